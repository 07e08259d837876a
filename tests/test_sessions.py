"""Sessions and credentials (issue 10 items 6–8; docs/architecture.md#security): logout ends the
session on the server, a token version ends sessions and JWTs on lockout, deactivation and password
change, one's own password change asks for the current one and refuses common and personal
passwords, the lockout policy (per-address throttling before the account lock; admin unlock), and
the client address behind a trusted proxy."""
import re
import statistics
import time
from datetime import timedelta

import pytest

from app import db
from app.accounts import create_login
from app.models import AccountState, LoginSession, User, utcnow
from conftest import BASE_OVERRIDES, PASSWORD, api_token, login

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _cookie(client):
    return client.get_cookie("session").value


def _replay(app, cookie):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _user(username):
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()


@pytest.fixture(scope="module")
def strict_app(app):
    from app import create_app

    return create_app({**BASE_OVERRIDES, "WTF_CSRF_ENABLED": True})


# --- item 6: logout, token version ------------------------------------------------------------

def test_replayed_cookie_after_logout_no_longer_reaches_the_ledger(app, client):
    login(client, "office")
    cookie = _cookie(client)
    assert _replay(app, cookie).get("/ledger/").status_code == 200  # the same cookie works before
    client.post("/logout/")
    resp = _replay(app, cookie).get("/ledger/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/ledger/").status_code == 302


def test_logout_only_by_post_with_the_csrf_token(strict_app):
    client = strict_app.test_client()
    token = TOKEN.search(client.get("/login/").get_data(as_text=True)).group(1)
    client.post("/login/", data={"username": "office", "password": PASSWORD, "csrf_token": token})
    page = client.get("/logout/")  # GET: a confirm form, still logged in
    assert page.status_code == 200 and 'id="cso-logout-confirm"' in page.get_data(as_text=True)
    assert client.get("/ledger/").status_code == 200
    assert client.post("/logout/").status_code == 400  # no token: refused, still logged in
    assert client.get("/ledger/").status_code == 200
    navbar = client.get("/ledger/").get_data(as_text=True)
    assert 'id="cso-logout-form" method="post"' in navbar  # the navbar's 退出 posts
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    assert client.post("/logout/", data={"csrf_token": token}).status_code == 302
    assert client.get("/ledger/").status_code == 302


def test_password_change_ends_other_sessions_and_tokens_but_not_this_one(app, ctx, client):
    create_login("changer", "Leader", "Chan-Ge-2026!x")
    login(client, "changer", "Chan-Ge-2026!x")
    elsewhere = app.test_client()
    login(elsewhere, "changer", "Chan-Ge-2026!x")
    headers = api_token(app.test_client(), "changer", "Chan-Ge-2026!x")
    assert client.get("/api/v1/issue/", headers=headers).status_code == 200
    resp = client.post("/resetmypassword/form", data={
        "current_password": "Chan-Ge-2026!x", "password": "Quite-New-Kw81", "conf_password": "Quite-New-Kw81"})
    assert resp.status_code == 302
    assert client.get("/ledger/").status_code == 200  # the session that changed it stays
    assert elsewhere.get("/ledger/").status_code == 302  # the other browser is logged out
    assert app.test_client().get("/api/v1/issue/", headers=headers).status_code == 401
    assert api_token(app.test_client(), "changer", "Quite-New-Kw81")


def test_deactivation_ends_sessions_and_tokens_even_after_reactivation(app, ctx, client):
    create_login("leaving", "Leader", "Leave-Soon-2026!")
    login(client, "leaving", "Leave-Soon-2026!")
    headers = api_token(app.test_client(), "leaving", "Leave-Soon-2026!")
    cookie = _cookie(client)
    user = _user("leaving")
    user.active = False
    db.session.commit()
    assert app.test_client().get("/api/v1/issue/", headers=headers).status_code == 401
    user.active = True  # back again: what was issued before the deactivation stays dead
    db.session.commit()
    assert app.test_client().get("/api/v1/issue/", headers=headers).status_code == 401
    assert _replay(app, cookie).get("/ledger/").status_code == 302


def test_lockout_ends_sessions_and_tokens_at_once(app, ctx, client):
    create_login("locked", "Leader", "Lock-Soon-2026!")
    login(client, "locked", "Lock-Soon-2026!")
    headers = api_token(app.test_client(), "locked", "Lock-Soon-2026!")
    attempts = app.config["LOGIN_LOCKOUT_ATTEMPTS"]
    for n in range(app.config["LOGIN_ACCOUNT_LOCKOUT_ATTEMPTS"] // attempts + 1):
        attacker = app.test_client()
        for _ in range(attempts):
            attacker.post("/login/", data={"username": "locked", "password": "guess"},
                          environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
    db.session.expire_all()
    assert db.session.get(AccountState, _user("locked").id).locked_until > utcnow()
    assert client.get("/ledger/").status_code == 302
    assert app.test_client().get("/api/v1/issue/", headers=headers).status_code == 401


def test_session_has_an_absolute_lifetime(app, ctx, client):
    login(client, "office")
    sid = db.session.execute(db.select(LoginSession.id).filter_by(user_id=_user("office").id, ended_at=None)
                             .order_by(LoginSession.created_at.desc())).scalars().first()
    db.session.get(LoginSession, sid).created_at = utcnow() - timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1)
    db.session.commit()
    assert client.get("/ledger/").status_code == 302


def test_a_forged_or_old_token_without_the_version_claim_is_refused(app, ctx):
    from flask_jwt_extended import create_access_token

    with app.app_context():
        old = create_access_token(identity=str(_user("office").id), additional_claims={"tv": -1})
    assert app.test_client().get("/api/v1/issue/", headers={"Authorization": "Bearer " + old}).status_code == 401


# --- item 7: passwords ------------------------------------------------------------------------

def _change(client, current, new):
    resp = client.post("/resetmypassword/form", data={"current_password": current, "password": new, "conf_password": new})
    return resp.status_code, resp.get_data(as_text=True)


def test_own_password_change_asks_for_the_current_one(app, ctx, client):
    create_login("zhangsan", "Leader", "Start-Word-2026!", name="张三丰")
    login(client, "zhangsan", "Start-Word-2026!")
    code, html = _change(client, "wrong-current", "Fresh-Word-Kq71")
    assert code == 200 and "当前密码不正确" in html
    code, html = _change(client, "", "Fresh-Word-Kq71")
    assert code == 200 and "请输入当前密码" in html
    login(client, "zhangsan", "Start-Word-2026!")  # unchanged
    for common in ("Woaini1314!", "Qq123456789!", "P@ssw0rd2026", "A123456789!", "Admin@123456"):
        code, html = _change(client, "Start-Word-2026!", common)
        assert code == 200 and "过于常见" in html, common
    for own in ("Zhangsan-2026!", "My-张三丰-2026x"):
        code, html = _change(client, "Start-Word-2026!", own)
        assert code == 200 and "账号或姓名" in html, own
    login(client, "zhangsan", "Start-Word-2026!")
    assert _change(client, "Start-Word-2026!", "Fresh-Word-Kq71")[0] == 302
    login(client, "zhangsan", "Fresh-Word-Kq71")


def test_first_login_change_refuses_the_initial_password(app, ctx, client):
    user = create_login("newbie", "Leader", "Initial-Pw-2026!")
    app.appbuilder.sm.require_password_change(user)
    db.session.commit()
    client.post("/login/", data={"username": "newbie", "password": "Initial-Pw-2026!"})
    code, html = _change(client, "Initial-Pw-2026!", "Initial-Pw-2026!")
    assert code == 200 and "不能与当前密码" in html
    assert client.get("/ledger/").status_code == 302  # still must change it
    assert _change(client, "Initial-Pw-2026!", "Chosen-Pw-Zx93")[0] == 302
    assert client.get("/ledger/").status_code == 200


def test_admin_new_user_form_refuses_common_passwords(client):
    from app.passwords import password_complexity
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    for bad in ("Woaini1314!", "Qwerty123456", "1Qaz2wsx!@#"):
        with pytest.raises(PasswordComplexityValidationError):
            password_complexity(bad)
    password_complexity("Kp4-river-Moss")  # a fine one passes


def test_locked_answer_takes_as_long_as_a_wrong_password(app, ctx):
    """Timing does not tell a locked account from a wrong password. The two are measured in turns
    (a locked account and an unlocked one with the same hash cost), so machine load hits both alike."""
    create_login("slowhash", "Leader", "Slow-Hash-2026!", hash_method="pbkdf2:sha256:200000")
    create_login("slowhash2", "Leader", "Slow-Hash-2026!", hash_method="pbkdf2:sha256:200000")
    client = app.test_client()

    def timed(username, password, address):
        start = time.perf_counter()
        resp = client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"},
                           environ_base={"REMOTE_ADDR": address})
        assert resp.status_code == 401
        return time.perf_counter() - start

    uid = _user("slowhash").id
    state = db.session.get(AccountState, uid) or AccountState(user_id=uid, failed_logins=0)
    state.locked_until = utcnow() + timedelta(minutes=10)
    db.session.add(state)
    db.session.commit()
    wrong, locked = [], []
    for n in range(1, 6):
        wrong.append(timed("slowhash2", "wrong-one", f"192.0.2.{n}"))
        locked.append(timed("slowhash", "Slow-Hash-2026!", f"198.51.100.{n}"))
    assert statistics.median(locked) > 0.5 * statistics.median(wrong), (locked, wrong)


# --- item 7: the lockout policy ---------------------------------------------------------------

def _try(client, username, password, address):
    return client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"},
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_one_address_cannot_lock_the_administrator_out(app, ctx):
    client = app.test_client()
    for _ in range(3 * app.config["LOGIN_ACCOUNT_LOCKOUT_ATTEMPTS"]):  # far more than both limits
        assert _try(client, "admin", "guess-guess", "203.0.113.66") == 401
    assert _try(client, "admin", PASSWORD, "203.0.113.66") == 401  # that address is throttled for admin
    assert _try(client, "admin", PASSWORD, "192.168.1.10") == 200  # the administrator's own desk is not
    state = db.session.get(AccountState, _user("admin").id)
    db.session.refresh(state)
    assert state.locked_until is None


def test_many_addresses_lock_the_account_until_the_cool_down_or_an_admin_unlock(app, ctx):
    create_login("target", "Leader", "Tar-Get-2026!x")
    client = app.test_client()
    attempts, total = app.config["LOGIN_LOCKOUT_ATTEMPTS"], app.config["LOGIN_ACCOUNT_LOCKOUT_ATTEMPTS"]
    assert attempts < total  # per-address throttling comes first
    for n in range(total // attempts):
        for _ in range(attempts):
            _try(client, "target", "guess-guess", f"203.0.113.{n + 1}")
    assert _try(client, "target", "Tar-Get-2026!x", "192.168.1.10") == 401  # the account is locked now
    result = app.test_cli_runner().invoke(args=["cso", "unlock", "target"])
    assert result.exit_code == 0, result.output
    assert _try(client, "target", "Tar-Get-2026!x", "203.0.113.1") == 200  # unlock clears the addresses too
    for n in range(total // attempts):  # lock again, then let the cool-down pass
        for _ in range(attempts):
            _try(client, "target", "guess-guess", f"203.0.113.{n + 1}")
    assert _try(client, "target", "Tar-Get-2026!x", "192.168.1.10") == 401
    state = db.session.get(AccountState, _user("target").id)
    db.session.refresh(state)
    state.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _try(client, "target", "Tar-Get-2026!x", "192.168.1.10") == 200


# --- item 8: the real client address behind a proxy -------------------------------------------

@pytest.mark.parametrize("hops", [0, 1])
def test_rate_limit_sees_the_forwarded_address_only_with_proxy_fix(app, hops):
    from app import create_app

    proxied = create_app({**BASE_OVERRIDES, "PROXY_FIX": hops, "LOGIN_RATE_LIMIT": "3 per minute"})
    client = proxied.test_client()

    def attempt(forwarded):
        return client.post("/api/v1/security/login", json={"username": "nobody", "password": "x", "provider": "db"},
                           headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code

    assert [attempt("203.0.113.7") for _ in range(4)] == [401, 401, 401, 429]
    # another client behind the same proxy: its own limit with PROXY_FIX, the proxy's without
    assert attempt("203.0.113.8") == (401 if hops else 429)
    # a client cannot pick its address by sending its own X-Forwarded-For: the proxy appends the
    # real one and only the last hop is trusted
    assert attempt("1.2.3.4, 203.0.113.7") == 429
