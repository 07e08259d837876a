"""The navbar's menu is rendered once per role set (app/menu_cache.py): each login still sees exactly the
entries its roles allow, whoever rendered a menu before, and a changed permission shows within the TTL."""
import re

from app import db, menu_cache
from conftest import login


def _menu(client):
    html = client.get("/").get_data(as_text=True)
    start = html.index('<ul class="nav navbar-nav">')
    return re.findall(r'href="(/[^"#]*)"', html[start:html.index("navbar-right", start)])


def _fab_menu(app, client):
    """The same page with FAB's own menu template rendered on the request, as before the cache."""
    menu_cache.clear()
    original = menu_cache.TTL
    menu_cache.TTL = -1  # every call renders afresh
    try:
        return _menu(client)
    finally:
        menu_cache.TTL = original


def test_each_role_sees_its_own_menu_whoever_came_first(app, client):
    seen = {}
    for user in ("office", "ent01", "dept01", "officer01", "office", "ent01"):
        login(client, user)
        seen.setdefault(user, []).append(_menu(client))
        assert seen[user][-1] == _fab_menu(app, client)  # cached == rendered by FAB for these roles
    assert seen["office"][0] == seen["office"][1] and seen["ent01"][0] == seen["ent01"][1]
    assert "/settings/deadlines/" in seen["office"][0]
    assert "/settings/deadlines/" not in seen["ent01"][0] and "/settings/deadlines/" not in seen["dept01"][0]
    assert "/reports/" in seen["officer01"][0] and "/reports/" not in seen["ent01"][0]


def test_a_permission_taken_away_leaves_the_menu_within_the_ttl(app, ctx, client):
    sm = app.appbuilder.sm
    login(client, "ent01")
    before = _menu(client)
    assert "/surveys/" in before
    role = sm.find_role("Enterprise")
    pv = sm.find_permission_view_menu("menu_access", "满意度调查")
    assert pv in role.permissions
    sm.del_permission_role(role, pv)
    db.session.commit()
    assert "/surveys/" in _menu(client)  # still the kept rendering, within TTL seconds
    original = menu_cache.TTL
    menu_cache.TTL = 0  # the TTL has passed
    try:
        assert "/surveys/" not in _menu(client)
    finally:
        menu_cache.TTL = original
        sm.add_permission_role(role, pv)
        db.session.commit()
        menu_cache.clear()
