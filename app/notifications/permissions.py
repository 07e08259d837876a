"""Who may do what with this feature: {role: [(permission, view_menu), ...]}, merged by app.roles.

Every login reads and marks its own notifications (the service only ever touches the caller's)."""
from ..vocab import DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, OFFICE, OFFICER

PERMISSIONS = {role: [("can_read", "Notification"), ("can_write", "Notification")]
               for role in (OFFICE, DIRECTOR, LEADER, OFFICER, DEPARTMENT, ENTERPRISE)}

# the lists behind the home pages' figures (本周未走访企业) and 催报 (the office only)
for _role in (OFFICE, DIRECTOR, LEADER, OFFICER):
    PERMISSIONS[_role].append(("can_read", "WorkQueue"))
for _role in (OFFICE, DIRECTOR):
    PERMISSIONS[_role].append(("can_write", "WorkQueue"))
