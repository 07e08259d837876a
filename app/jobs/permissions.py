"""Who may do what with this feature: {role: [(permission, view_menu), ...]}, merged by app.roles.

Everyone with a login has their own jobs (what they started): read them, retry them. A job and its
file are the owner's alone (app.jobs.rules.get_for), whatever the role."""
from ..vocab import DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, OFFICE, OFFICER

PERMISSIONS = {role: [("can_read", "Job"), ("can_write", "Job")]
               for role in (OFFICE, DIRECTOR, LEADER, OFFICER, DEPARTMENT, ENTERPRISE)}
