"""Tables: background jobs with progress and kept result files."""
