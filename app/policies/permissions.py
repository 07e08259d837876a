"""Who may do what with this feature: {role: [(permission, view_menu), ...]}, merged by app.roles.

``Policy`` covers the library (policies and their items; writing: the office and the departments, each
unit only its own items — app.policies.rules decides per row); ``PolicyDelivery`` covers deliveries and
uptake (writing: the office, officers for their enterprises, enterprises for themselves, departments for
the uptake of their items). Leaders read everything. Menu entries live under 惠企政策."""
from ..vocab import DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, MENU_POLICIES, OFFICE, OFFICER

READ, WRITE = "can_read", "can_write"
LIBRARY, UNAWARE, DELIVERIES, MINE, IMPORT, SIZES = "政策库", "应知未知", "政策宣传记录", "适用于我", "导入政策", "企业规模"


def _menus(*names):
    return [("menu_access", MENU_POLICIES)] + [("menu_access", n) for n in names]


_OFFICE = [(READ, "Policy"), (WRITE, "Policy"), (READ, "PolicyDelivery"), (WRITE, "PolicyDelivery")] \
    + _menus(LIBRARY, UNAWARE, DELIVERIES, IMPORT, SIZES)
PERMISSIONS = {
    OFFICE: _OFFICE,
    DIRECTOR: list(_OFFICE),
    LEADER: [(READ, "Policy"), (READ, "PolicyDelivery")] + _menus(LIBRARY, UNAWARE, DELIVERIES),
    OFFICER: [(READ, "Policy"), (READ, "PolicyDelivery"), (WRITE, "PolicyDelivery")]
    + _menus(LIBRARY, UNAWARE, DELIVERIES),
    DEPARTMENT: [(READ, "Policy"), (WRITE, "Policy"), (READ, "PolicyDelivery"), (WRITE, "PolicyDelivery")]
    + _menus(LIBRARY, DELIVERIES, IMPORT),
    ENTERPRISE: [(READ, "Policy"), (READ, "PolicyDelivery"), (WRITE, "PolicyDelivery")]
    + _menus(MINE, DELIVERIES),
}
# entries that serve enterprise logins only (the page answers 404 to anyone else): app.roles keeps them
# from the Admin role, which otherwise holds every permission
ENTERPRISE_ONLY = [("menu_access", MINE)]
