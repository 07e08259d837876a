"""Tables: in-portal notifications (the bell) on every hand-over."""
