"""Tables: satisfaction surveys (好差评), bad-review cases and inspections (督查)."""
