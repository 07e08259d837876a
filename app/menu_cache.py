"""The navbar's menu, rendered once per set of roles instead of on every page.

Flask-AppBuilder renders ``appbuilder/navbar_menu.html`` on every HTML page: ~60 entries, each with a
visibility check and a URL — about half of a fast page's time (27 ms of the office's 58 ms home page at
province size; docs/architecture.md, "Flask-AppBuilder overrides"). What it shows depends only on the
login's roles (``menu_access`` permissions) and the menu, which is fixed after start-up. So
``app/templates/appbuilder/navbar_menu.html`` calls :func:`menu_html`, which renders FAB's own template
(read from FAB's package, not copied) once per role set and keeps it for ``TTL`` seconds: a change to a
role's permissions reaches the menu within that time (the views check access on every request anyway).
"""
import time

from flask import current_app, g, render_template_string
from markupsafe import Markup

TTL = 60  # seconds a rendered menu is kept
_FAB_TEMPLATE = "appbuilder/navbar_menu.html"
_cache = {}  # (role ids) -> (rendered at, Markup)
_source = []  # FAB's template source, read once


def _fab_source():
    if not _source:
        loader = current_app.blueprints["appbuilder"].jinja_loader  # FAB's own templates, not our override
        _source.append(loader.get_source(current_app.jinja_env, _FAB_TEMPLATE)[0])
    return _source[0]


def menu_html():
    from flask_login import current_user

    sm = current_app.appbuilder.sm
    user = g.user if getattr(g, "user", None) is not None else current_user
    key = tuple(sorted(role.id for role in sm.get_user_roles(user))) if user is not None else ()
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is None or now - hit[0] > TTL:
        hit = (now, Markup(render_template_string(_fab_source(), menu=current_app.appbuilder.menu)))
        _cache[key] = hit
    return hit[1]


def clear():
    """Forget every rendered menu (tests that change a role's permissions)."""
    _cache.clear()


def install(app):
    app.add_template_global(menu_html, "cso_menu_html")
