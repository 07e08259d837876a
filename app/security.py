"""Login hardening on top of Flask-AppBuilder: lockout, password complexity, rate limits,
idle session expiry (docs/architecture.md#security)."""
import re
from datetime import datetime, timedelta

from flask import current_app, flash, g, has_request_context, redirect, request, session, url_for
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission, PermissionView, ViewMenu, assoc_permissionview_role,
)
from sqlalchemy import select
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from .models import AccountState, utcnow


def password_complexity(password):
    """At least 10 characters with three of: upper case, lower case, digits, symbols."""
    password = password or ""
    classes = sum(
        bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    if len(password) < 10 or classes < 3:
        raise PasswordComplexityValidationError(
            "密码至少10位，并包含大写字母、小写字母、数字、符号中的至少三类。"
        )


class CSOSecurityManager(SecurityManager):
    """Locks an account after repeated failures, for a cool-down or until an admin unlocks it.

    FAB 5.3 overrides: ``auth_user_db`` (wraps FAB's, which counts ``fail_login_count``),
    ``_has_view_access`` (internal; replaced by one permission query per request cached in ``g`` —
    it skips FAB's ``FAB_ROLES`` built-in roles check), ``reset_password`` (the one path of every
    password change). On upgrade diff those against FAB's ``security/sqla/manager.py`` and
    ``security/manager.py`` and re-run tests/test_security.py."""

    def _state(self, user, create=False):
        state = self.session.get(AccountState, user.id)
        if state is None and create:
            state = AccountState(user_id=user.id, failed_logins=0)
            self.session.add(state)
        return state

    def is_locked(self, user):
        state = self._state(user)
        return bool(state and state.locked_until and state.locked_until > utcnow())

    def auth_user_db(self, username, password):
        user = self.find_user(username=username) if username else None
        if user is not None and self.is_locked(user):
            return None  # same answer as a wrong password: no hint which names exist
        if user is not None and request.path.startswith("/api/") and self.must_change_password(user):
            return None  # no API token before the initial password is changed on the web
        result = super().auth_user_db(username, password)
        if user is not None:
            state = self._state(user, create=True)
            if result is None:
                state.failed_logins = (state.failed_logins or 0) + 1
                limit = current_app.config["LOGIN_LOCKOUT_ATTEMPTS"]
                if limit and state.failed_logins >= limit:
                    state.locked_until = utcnow() + timedelta(
                        minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]
                    )
                    state.failed_logins = 0
            else:
                state.failed_logins = 0
                state.locked_until = None
            self.session.commit()
        return result

    def _has_view_access(self, user, permission_name, view_name):
        """One query per request for all of the user's permissions, instead of one per menu entry
        and button (about 20 a page). Permissions do not change within a request."""
        if not has_request_context():
            return super()._has_view_access(user, permission_name, view_name)
        cache = g.setdefault("_cso_permissions", {})
        key = getattr(user, "id", None)
        if key not in cache:
            role_ids = [role.id for role in self.get_user_roles(user)]
            rows = self.session.execute(
                select(Permission.name, ViewMenu.name).select_from(PermissionView)
                .join(Permission, Permission.id == PermissionView.permission_id)
                .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
                .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
                .where(assoc_permissionview_role.c.role_id.in_(role_ids))
            ).all() if role_ids else []
            cache[key] = {(p, v) for p, v in rows}
        return (permission_name, view_name) in cache[key]

    def reset_password(self, userid, password):
        """Any password change clears the first-login obligation."""
        result = super().reset_password(userid, password)
        state = self.session.get(AccountState, userid)
        if state is not None and state.must_change_password:
            state.must_change_password = False
            self.session.commit()
        return result

    def must_change_password(self, user):
        state = self.session.get(AccountState, user.id) if user is not None else None
        return bool(state and state.must_change_password)

    def require_password_change(self, user):
        self._state(user, create=True).must_change_password = True

    def unlock(self, user):
        state = self._state(user, create=True)
        state.failed_logins = 0
        state.locked_until = None
        self.session.commit()


LOGIN_ENDPOINTS = ("AuthDBView.login", "SecurityApi.login")


def install(app, appbuilder):
    """Rate-limit both logins and expire idle sessions.

    FAB 5.3: wraps ``app.view_functions`` of FAB's endpoints by name (``AuthDBView.login``,
    ``SecurityApi.login``, ``ResetMyPasswordView.this_form_get/post``) and uses ``sm.limiter``;
    on upgrade re-check those endpoint names and the limiter attribute."""
    limiter = appbuilder.sm.limiter
    rate = app.config["LOGIN_RATE_LIMIT"]
    for endpoint in LOGIN_ENDPOINTS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(
            rate, methods=["POST"], key_func=get_remote_address,
            error_message="登录尝试过于频繁，请稍后再试。",
        )(view)

    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])

    @app.before_request
    def expire_idle_session():
        if request.endpoint in ("static", "appbuilder.static") or request.path.startswith("/api/"):
            return None
        session.permanent = True
        now = datetime.utcnow().timestamp()
        last = session.get("_seen")
        session["_seen"] = now
        if last and current_user.is_authenticated and now - last > idle.total_seconds():
            logout_user()
            session.clear()
            flash("长时间未操作，登录已过期，请重新登录。", "warning")
            return redirect(url_for("AuthDBView.login", next=request.full_path))
        return None

    free = {"ResetMyPasswordView.this_form_get", "ResetMyPasswordView.this_form_post", "AuthDBView.logout",
            "AuthDBView.login", "static", "appbuilder.static", "SecurityApi.login", "SecurityApi.refresh"}

    @app.before_request
    def first_login_password_change():
        if request.endpoint in free or not current_user.is_authenticated:
            return None
        if appbuilder.sm.must_change_password(current_user):
            if request.path.startswith("/api/"):
                return {"message": "请先登录网页修改初始密码。"}, 403
            flash("首次登录请先修改初始密码。", "warning")
            return redirect(url_for("ResetMyPasswordView.this_form_get"))
        return None

    @app.errorhandler(429)
    def too_many(exc):
        if request.path.startswith("/api/"):
            return {"message": "登录尝试过于频繁，请稍后再试。"}, 429
        return ("<h3>登录尝试过于频繁，请稍后再试。</h3>", 429, {"Content-Type": "text/html; charset=utf-8"})
