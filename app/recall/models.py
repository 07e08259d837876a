"""Tables: recall of officers and the signed handover."""
