"""Login hardening on top of Flask-AppBuilder (docs/architecture.md#security): sessions that end
on the server, a per-account token version, per-address throttling before the account lock,
the password policy (app/passwords.py), rate limits behind a proxy, idle and absolute session
expiry, security headers with a per-request CSP nonce."""
import secrets
from datetime import datetime, timedelta

from flask import current_app, flash, g, has_request_context, redirect, render_template, request, session, url_for
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission, PermissionView, User, ViewMenu, assoc_permissionview_role,
)
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user, user_logged_in
from sqlalchemy import delete, event, func, inspect as sa_inspect, select
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from .models import AccountState, LoginFailure, LoginSession, utcnow
from .passwords import password_complexity  # noqa: F401  (FAB's validator; app.accounts and app.demo import it here)
from .user_views import CSOUserDBModelView


def client_address():
    """The client's address as the rate limits see it: the peer, or the proxy's X-Forwarded-For
    when PROXY_FIX trusts that many hops."""
    return (get_remote_address() or "?")[:64]


class CSOSecurityManager(SecurityManager):
    """Lockout, token versions and server-side web sessions.

    FAB 5.3 overrides: ``auth_user_db`` (wraps FAB's), ``load_user`` (the session's row and token
    version), ``load_user_jwt`` (the JWT's ``tv`` claim), ``create_jwt_manager`` (adds the claim),
    ``_has_view_access`` (internal; one permission query per request cached in ``g`` — it skips
    FAB's ``FAB_ROLES`` built-in roles check), ``reset_password`` (the one path of every password
    change). On upgrade diff those against FAB's ``security/sqla/manager.py`` and
    ``security/manager.py`` and re-run tests/test_security.py and tests/test_sessions.py."""

    userdbmodelview = CSOUserDBModelView  # the user list and profile in Chinese (app/user_views.py)

    def _state(self, user, create=False):
        user_id = getattr(user, "id", user)
        state = self.session.get(AccountState, user_id)
        if state is None and create:
            state = AccountState(user_id=user_id, failed_logins=0, token_version=0)
            self.session.add(state)
        return state

    def is_locked(self, user):
        state = self._state(user)
        return bool(state and state.locked_until and state.locked_until > utcnow())

    def token_version(self, user):
        state = self._state(user)
        return (state.token_version or 0) if state is not None else 0

    def bump_token_version(self, user):
        """End every session and JWT of this account issued so far (committed by the caller)."""
        state = self._state(user, create=True)
        state.token_version = (state.token_version or 0) + 1

    # --- login: per-address throttling, then the account lock ----------------------------------

    def _find_login(self, username):
        if not username:
            return None
        return self.find_user(username=username) or self.find_user(email=username)

    def _window(self):
        return utcnow() - timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])

    def _failures(self, user, address=None):
        query = select(func.count(LoginFailure.id)).where(LoginFailure.user_id == user.id, LoginFailure.at >= self._window())
        if address is not None:
            query = query.where(LoginFailure.address == address)
        return self.session.execute(query).scalar_one()

    def throttled(self, user, address):
        """This address has failed LOGIN_LOCKOUT_ATTEMPTS times for this account within the window."""
        limit = current_app.config["LOGIN_LOCKOUT_ATTEMPTS"]
        return bool(limit) and self._failures(user, address) >= limit

    def auth_user_db(self, username, password):
        user = self._find_login(username)
        address = client_address()
        refused = user is not None and user.is_active and (
            self.is_locked(user) or self.throttled(user, address)
            or (request.path.startswith("/api/") and self.must_change_password(user)))
        if refused:
            # the same work as a real check, and the same answer as a wrong password: neither the
            # time nor the words tell a locked account from a wrong password or an unknown name
            check_password_hash(user.password or current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], password or "")
            return None
        result = super().auth_user_db(username, password)
        if user is not None and user.is_active:
            if result is None:
                self._record_failure(user, address)
            else:
                self._clear_failures(user)
            self.session.commit()
        return result

    def _record_failure(self, user, address):
        state = self._state(user, create=True)
        self.session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id, LoginFailure.at < self._window()))
        self.session.add(LoginFailure(user_id=user.id, address=address, at=utcnow()))
        self.session.flush()
        state.failed_logins = (state.failed_logins or 0) + 1
        limit = current_app.config["LOGIN_ACCOUNT_LOCKOUT_ATTEMPTS"]
        if limit and self._failures(user) >= limit and not self.is_locked(user):
            state.locked_until = utcnow() + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            self.bump_token_version(user)

    def _clear_failures(self, user):
        state = self._state(user, create=True)
        state.failed_logins = 0
        state.locked_until = None
        self.session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))

    def unlock(self, user):
        """The admin's unlock (安全 → 登录锁定, ``flask cso unlock``): the account lock and every
        address's throttle for this account."""
        self._clear_failures(user)
        self.session.commit()

    # --- permissions ----------------------------------------------------------------------

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

    # --- passwords ------------------------------------------------------------------------

    def reset_password(self, userid, password):
        """Any password change clears the first-login obligation and ends the account's other
        sessions and tokens (the token version is bumped on the password's change, see
        :func:`_bump_on_change`); the session that made the change stays."""
        result = super().reset_password(userid, password)
        state = self._state(int(userid))
        if state is not None and state.must_change_password:
            state.must_change_password = False
            self.session.commit()
        if has_request_context() and str(session.get("_user_id")) == str(userid) and session.get("_sid"):
            session["_tv"] = self.token_version(int(userid))
        return result

    def must_change_password(self, user):
        state = self._state(user) if user is not None else None
        return bool(state and state.must_change_password)

    def require_password_change(self, user):
        self._state(user, create=True).must_change_password = True

    # --- web sessions and JWTs ------------------------------------------------------------

    def start_session(self, user):
        """A new server-side session at each login (a fresh id: no fixation); the old rows of this
        account that have ended or expired go."""
        max_age = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
        self.session.execute(delete(LoginSession).where(
            LoginSession.user_id == user.id,
            (LoginSession.ended_at.is_not(None)) | (LoginSession.created_at < utcnow() - max_age)))
        sid = secrets.token_urlsafe(32)
        self.session.add(LoginSession(id=sid, user_id=user.id, created_at=utcnow()))
        self.session.commit()
        session["_sid"] = sid
        session["_tv"] = self.token_version(user)

    def end_session(self):
        sid = session.get("_sid")
        row = self.session.get(LoginSession, sid) if sid else None
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            self.session.commit()

    def session_valid(self, user):
        sid = session.get("_sid")
        row = self.session.get(LoginSession, sid) if isinstance(sid, str) else None
        max_age = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
        return (row is not None and row.user_id == user.id and row.ended_at is None
                and row.created_at > utcnow() - max_age and session.get("_tv") == self.token_version(user))

    def load_user(self, pk):
        """Flask-Login's loader: the user only while the session's server-side row is open and its
        token version is the account's."""
        user = super().load_user(pk)
        if user is not None and has_request_context() and not self.session_valid(user):
            return None
        return user

    def create_jwt_manager(self, app):
        manager = super().create_jwt_manager(app)
        manager.additional_claims_loader(lambda identity: {"tv": self.token_version(int(identity))})
        return manager

    def load_user_jwt(self, _jwt_header, jwt_data):
        try:
            user = self.get_user_by_id(int(jwt_data["sub"]))
        except (KeyError, TypeError, ValueError):
            return None
        if user is None or not user.is_active or jwt_data.get("tv") != self.token_version(user):
            return None
        g.user = user  # as FAB's: g.user cannot be set in before_request for JWT users
        return user


def _bump_on_change(sess, _flush_context, _instances):
    """Deactivating a login or changing its password ends its sessions and tokens at once,
    whatever path made the change (FAB's user screens, reset_password, the demo seeder)."""
    with sess.no_autoflush:
        for obj in list(sess.dirty):
            if not isinstance(obj, User) or obj.id is None:
                continue
            attrs = sa_inspect(obj).attrs
            if False in attrs.active.history.added or attrs.password.history.has_changes():
                state = sess.get(AccountState, obj.id)
                if state is None:
                    state = AccountState(user_id=obj.id, failed_logins=0, token_version=0)
                    sess.add(state)
                state.token_version = (state.token_version or 0) + 1


class OwnPasswordForm(DynamicForm):
    """One's own password change: the current password, then a new one that passes the policy
    and differs from the current one (so the first-login change cannot keep the initial one)."""

    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")],
                                     widget=BS3PasswordFieldWidget())
    password = PasswordField("新密码", description="至少10位，含大写字母、小写字母、数字、符号中的至少三类；不能是常见密码，不能包含账号或姓名。",
                             validators=[DataRequired("请输入新密码。"), PasswordComplexityValidator()],
                             widget=BS3PasswordFieldWidget())
    conf_password = PasswordField("确认新密码", validators=[EqualTo("password", message="两次输入的新密码不一致。")],
                                  widget=BS3PasswordFieldWidget())

    def validate_current_password(self, field):
        if not check_password_hash(g.user.password or "", field.data or ""):
            raise ValidationError("当前密码不正确。")

    def validate_password(self, field):
        if field.data and check_password_hash(g.user.password or "", field.data):
            raise ValidationError("新密码不能与当前密码（包括初始密码）相同。")


LOGIN_ENDPOINTS = ("AuthDBView.login", "SecurityApi.login")


def install(app, appbuilder):
    """Wire it all: proxy, login limits, logout, sessions, first login, headers.

    FAB 5.3: wraps ``app.view_functions`` of FAB's endpoints by name (``AuthDBView.login``,
    ``AuthDBView.logout``, ``SecurityApi.login``), swaps the form of the registered
    ``ResetMyPasswordView`` and uses ``sm.limiter``; on upgrade re-check those names."""
    hops = app.config["PROXY_FIX"]
    if hops and not isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    limiter = appbuilder.sm.limiter
    for endpoint in LOGIN_ENDPOINTS:
        app.view_functions[endpoint] = limiter.limit(
            app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=client_address,
            error_message="登录尝试过于频繁，请稍后再试。",
        )(app.view_functions[endpoint])
    for view in appbuilder.baseviews:
        if type(view).__name__ == "ResetMyPasswordView":
            view.form = OwnPasswordForm
            view.form_title = "修改密码"
    from . import db

    if not event.contains(db.session, "before_flush", _bump_on_change):
        event.listen(db.session, "before_flush", _bump_on_change)
    user_logged_in.connect(lambda _app, user, **_: appbuilder.sm.start_session(user), app, weak=False)
    _install_logout(app, appbuilder)
    _install_session_checks(app, appbuilder)
    install_headers(app)

    @app.errorhandler(429)
    def too_many(exc):
        if request.path.startswith("/api/"):
            return {"message": "登录尝试过于频繁，请稍后再试。"}, 429
        return ("<h3>登录尝试过于频繁，请稍后再试。</h3>", 429, {"Content-Type": "text/html; charset=utf-8"})


def _install_logout(app, appbuilder):
    """``/logout/``: GET shows a confirm form (FAB's navbar links there; our navbar posts at once),
    POST with the CSRF token ends the session on the server."""

    def logout():
        if request.method == "POST":
            user = current_user if current_user.is_authenticated else None
            appbuilder.sm.end_session()
            logout_user()
            session.clear()
            if user is not None:
                appbuilder.sm.on_user_logout(user)
            flash("已安全退出。", "info")
            return redirect(url_for("AuthDBView.login"))
        if not current_user.is_authenticated:
            return redirect(url_for("AuthDBView.login"))
        g.user = current_user
        return render_template("cso/logout.html", appbuilder=appbuilder, base_template=appbuilder.base_template)

    app.view_functions["AuthDBView.logout"] = logout
    app.add_url_rule("/logout/", endpoint="AuthDBView.logout", methods=["POST"])


def _install_session_checks(app, appbuilder):
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
            appbuilder.sm.end_session()
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


# --- security headers ----------------------------------------------------------------------

def csp_nonce():
    """This request's CSP nonce; FAB's templates call ``csp_nonce()`` (baselib.get_nonce) on
    every inline script they render."""
    if "_csp_nonce" not in g:
        g._csp_nonce = secrets.token_urlsafe(16)
    return g._csp_nonce


STATIC_ENDPOINTS = ("static", "appbuilder.static")


def install_headers(app):
    app.jinja_env.globals["csp_nonce"] = csp_nonce  # a global: FAB imports baselib without context too

    @app.after_request
    def security_headers(resp):
        nonce = g.get("_csp_nonce")
        script = "script-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
        resp.headers["Content-Security-Policy"] = (
            f"default-src 'self'; {script}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        resp.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if request.endpoint not in STATIC_ENDPOINTS:  # pages and API answers may hold personal data
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["Pragma"] = "no-cache"
        if app.config.get("SESSION_COOKIE_SECURE"):
            resp.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return resp
