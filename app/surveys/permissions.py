"""Who may do what with this feature: {role: [(permission, view_menu), ...]}, merged by app.roles.

The office and the director run everything; leaders read everything; officers and units read their
own aggregated rates and handle (rectify, appeal) the bad reviews about them; enterprises answer their
own surveys. Rows are limited further by app/surveys/access.py."""
from ..vocab import DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, OFFICE, OFFICER

READ, WRITE = "can_read", "can_write"
MENU = "menu_access"
ALL_MENUS = ["满意度调查", "满意度统计", "差评处理", "督查记录", "问卷模板"]


def _menus(names):
    from ..vocab import MENU_ASSESSMENT

    return [(MENU, MENU_ASSESSMENT)] + [(MENU, n) for n in names]


_OFFICE = ([(v, m) for m in ("SurveyRequest", "BadReview", "Inspection", "SurveyTemplate") for v in (READ, WRITE)]
           + [(READ, "SurveyResult")] + _menus(ALL_MENUS))
PERMISSIONS = {
    OFFICE: _OFFICE,
    DIRECTOR: list(_OFFICE),
    LEADER: [(READ, m) for m in ("SurveyRequest", "BadReview", "Inspection", "SurveyTemplate", "SurveyResult")]
    + _menus(ALL_MENUS),
    OFFICER: [(READ, "BadReview"), (WRITE, "BadReview"), (READ, "SurveyResult")] + _menus(["满意度统计", "差评处理"]),
    DEPARTMENT: [(READ, "BadReview"), (WRITE, "BadReview"), (READ, "SurveyResult")] + _menus(["满意度统计", "差评处理"]),
    ENTERPRISE: [(READ, "SurveyRequest"), (WRITE, "SurveyRequest")] + _menus(["满意度调查"]),
}
