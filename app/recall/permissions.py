"""Who may do what with recall and handover: {role: [(permission, view_menu), ...]}, merged by app.roles.

The office (and the director) write recall cases and handover lists; leaders read cases and may
approve when the office named the leading group as approver (the action table decides, by the
setting); officers work on the handover lists they hand over or take over; enterprises acknowledge
their list and may ask for another officer. Departments see none of it."""
from ..vocab import DIRECTOR, ENTERPRISE, LEADER, MENU_RECALL, OFFICE, OFFICER

READ, WRITE = "can_read", "can_write"


def _menus(*names):
    return [("menu_access", n) for n in (MENU_RECALL, *names)]


PERMISSIONS = {
    OFFICE: [(READ, "RecallCase"), (WRITE, "RecallCase"), (READ, "Handover"), (WRITE, "Handover")]
    + _menus("召回调整", "工作交接"),
    DIRECTOR: [(READ, "RecallCase"), (WRITE, "RecallCase"), (READ, "Handover"), (WRITE, "Handover")]
    + _menus("召回调整", "工作交接"),
    LEADER: [(READ, "RecallCase"), (WRITE, "RecallCase"), (READ, "Handover")] + _menus("召回调整", "工作交接"),
    OFFICER: [(READ, "Handover"), (WRITE, "Handover")] + _menus("工作交接"),
    ENTERPRISE: [(READ, "Handover"), (WRITE, "Handover"), (READ, "RecallRequest"), (WRITE, "RecallRequest")]
    + _menus("工作交接", "申请更换服务官"),
}
