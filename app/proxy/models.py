"""Tables: 代办 cases by appointment (两不见面): catalogue, cases, steps."""
