"""Who may do what with this feature: {role: [(permission, view_menu), ...]}, merged by app.roles.

Every login reads and marks its own notifications (the service only ever touches the caller's)."""
from ..vocab import DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, OFFICE, OFFICER

PERMISSIONS = {role: [("can_read", "Notification"), ("can_write", "Notification")]
               for role in (OFFICE, DIRECTOR, LEADER, OFFICER, DEPARTMENT, ENTERPRISE)}
