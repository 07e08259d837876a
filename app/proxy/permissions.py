"""Who may do what with 代办: {role: [(permission, view_menu), ...]}, merged by app.roles.

The office keeps the catalogue and monitors (reassigns, suspends) every case; officers handle the cases
of the enterprises they serve; enterprises book and confirm their own; departments record results on
the steps addressed to them; leaders read. Rows are limited by app.proxy.visibility."""
from ..vocab import DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, MENU_PROXY, OFFICE, OFFICER

READ, WRITE = "can_read", "can_write"
MENUS = [("menu_access", MENU_PROXY), ("menu_access", "代办件"), ("menu_access", "代办事项目录")]

PERMISSIONS = {
    OFFICE: [(READ, "ProxyCase"), (WRITE, "ProxyCase"), (READ, "ServiceItem"), (WRITE, "ServiceItem")] + MENUS,
    DIRECTOR: [(READ, "ProxyCase"), (WRITE, "ProxyCase"), (READ, "ServiceItem"), (WRITE, "ServiceItem")] + MENUS,
    LEADER: [(READ, "ProxyCase"), (READ, "ServiceItem")] + MENUS,
    OFFICER: [(READ, "ProxyCase"), (WRITE, "ProxyCase"), (READ, "ServiceItem")] + MENUS,
    DEPARTMENT: [(READ, "ProxyCase"), (WRITE, "ProxyCase"), (READ, "ServiceItem")] + MENUS,
    ENTERPRISE: [(READ, "ProxyCase"), (WRITE, "ProxyCase"), (READ, "ServiceItem")] + MENUS,
}
