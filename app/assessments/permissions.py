"""Who may do what with this feature: {role: [(permission, view_menu), ...]}, merged by app.roles.

The office and the director run schemes, cycles, appeals and the ladder; leaders read all of it;
officers and units read their own published results and appeal them; enterprises nothing."""
from ..vocab import DEPARTMENT, DIRECTOR, LEADER, MENU_ASSESSMENT, OFFICE, OFFICER

READ, WRITE = "can_read", "can_write"
_MODELS = ("AssessmentScheme", "AssessmentCycle", "Appeal", "AssessmentCase")  # + Assessment: read only (changes go
# through the cycle's actions and appeals)
_MENU_OFFICE = [MENU_ASSESSMENT, "考核方案", "考核周期", "申诉复核", "问责跟踪"]


def _menus(names):
    return [("menu_access", n) for n in names]


PERMISSIONS = {
    OFFICE: [(v, m) for m in _MODELS for v in (READ, WRITE)] + [(READ, "Assessment")] + _menus(_MENU_OFFICE),
    DIRECTOR: [(v, m) for m in _MODELS for v in (READ, WRITE)] + [(READ, "Assessment")] + _menus(_MENU_OFFICE),
    LEADER: [(READ, m) for m in _MODELS] + [(READ, "Assessment")] + _menus(_MENU_OFFICE),
    OFFICER: [(READ, "Assessment"), (READ, "Appeal"), (WRITE, "Appeal")] + _menus([MENU_ASSESSMENT, "我的考核"]),
    DEPARTMENT: [(READ, "Assessment"), (READ, "Appeal"), (WRITE, "Appeal")] + _menus([MENU_ASSESSMENT, "我的考核"]),
}
