"""CSRF, login rate limits, lockout, cookies, idle expiry, page-size caps, passwords, roles."""
import re
import time
from datetime import timedelta

import pytest

from app import db
from app.accounts import create_login
from app.models import AccountState, Department, utcnow
from conftest import BASE_OVERRIDES, PASSWORD, api_token, login


@pytest.fixture(scope="module")
def strict_app(app):
    """CSRF on and a tight login limit, as in production."""
    from app import create_app

    return create_app({**BASE_OVERRIDES, "WTF_CSRF_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"})


def test_csrf_required_for_form_posts_and_get_never_deletes(strict_app, ctx):
    client = strict_app.test_client()
    client.post("/login/", data={"username": "office", "password": PASSWORD})  # refused: no token
    page = client.get("/login/").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    dept = Department(name="CSRF测试单位", kind="区直部门")
    db.session.add(dept)
    db.session.commit()
    # log in properly with the token from the form
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login/", data={"username": "office", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    assert client.get(f"/departmentview/delete/{dept.id}").status_code == 302  # GET: refused
    resp = client.post(f"/departmentview/delete/{dept.id}")  # POST without token: refused
    assert resp.status_code == 400 and "请求有误" in resp.get_data(as_text=True)
    resp = client.post("/departmentview/action_post", data={"action": "x", "rowid": [str(dept.id)]})
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(Department, dept.id) is not None


def test_login_rate_limited_on_html_and_api(strict_app):
    client = strict_app.test_client()
    codes = [client.post("/api/v1/security/login", json={"username": "nobody", "password": "x", "provider": "db"}).status_code
             for _ in range(4)]
    assert codes[:3] == [401, 401, 401] and codes[3] == 429
    last = client.post("/api/v1/security/login", json={"username": "nobody", "password": "x", "provider": "db"})
    assert "过于频繁" in last.get_json()["message"]
    html = []
    for _ in range(4):  # with a valid CSRF token, as a scripted attacker would
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login/").get_data(as_text=True)).group(1)
        html.append(client.post("/login/", data={"username": "nobody", "password": "x", "csrf_token": token}).status_code)
    assert html[-1] == 429 and html[0] == 302


def test_lockout_after_repeated_failures_then_admin_unlock(app, ctx, client):
    user = create_login("lockme", "Leader", "Lock-Me-2026!")
    for _ in range(app.config["LOGIN_LOCKOUT_ATTEMPTS"]):
        client.post("/login/", data={"username": "lockme", "password": "wrong-password"})
    # now even the right password is refused, on both doors
    resp = client.post("/login/", data={"username": "lockme", "password": "Lock-Me-2026!"}, follow_redirects=True)
    assert "临时锁定" in resp.get_data(as_text=True)  # the same words as for any failed login
    assert client.get("/").status_code == 302
    assert client.post("/api/v1/security/login", json={
        "username": "lockme", "password": "Lock-Me-2026!", "provider": "db"}).status_code == 401
    # the admin sees it and unlocks it
    login(client, "admin")
    page = client.get("/accountstateview/list/?psize_AccountStateView=100").get_data(as_text=True)
    assert "lockme" in page
    client.post("/accountstateview/action_post", data={"action": "unlock", "rowid": [str(user.id)]})
    client.post("/logout/")
    assert client.post("/login/", data={"username": "lockme", "password": "Lock-Me-2026!"}).status_code == 302
    assert client.get("/").status_code == 200


def test_lock_expires_after_cool_down(app, ctx, client):
    user = create_login("cooldown", "Leader", "Cool-Down-2026!")
    db.session.add(AccountState(user_id=user.id, failed_logins=0, locked_until=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    assert client.post("/api/v1/security/login", json={
        "username": "cooldown", "password": "Cool-Down-2026!", "provider": "db"}).status_code == 401
    db.session.get(AccountState, user.id).locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post("/api/v1/security/login", json={
        "username": "cooldown", "password": "Cool-Down-2026!", "provider": "db"}).status_code == 200


def test_session_cookie_flags_and_idle_expiry(app, client):
    resp = client.post("/login/", data={"username": "office", "password": PASSWORD})
    cookie = resp.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        sess["_seen"] = time.time() - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    resp = client.get("/enterpriseview/list/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.get("/enterpriseview/list/")  # the session is gone: still the login page
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_page_size_from_url_is_validated_and_capped(app, client):
    login(client, "office")
    resp = client.get("/enterpriseview/list/?psize_EnterpriseView=abc")
    assert resp.status_code == 302 and "psize" not in resp.headers["Location"]
    resp = client.get("/enterpriseview/list/?psize_EnterpriseView=100000")
    assert resp.status_code == 302 and f"psize_EnterpriseView={app.config['CSO_MAX_PAGE_SIZE']}" in resp.headers["Location"]
    assert client.get("/enterpriseview/list/?page_EnterpriseView=-1").status_code == 302
    assert client.get("/enterpriseview/list/?psize_EnterpriseView=10").status_code == 200
    headers = api_token(client, "office")
    resp = client.get("/api/v1/visit/?q=(page_size:100000,page:0)", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["count"] > app.config["FAB_API_MAX_PAGE_SIZE"]
    assert len(resp.get_json()["ids"]) == app.config["FAB_API_MAX_PAGE_SIZE"]  # capped, not refused
    assert client.get("/api/v1/visit/?q=(page_size:abc)", headers=headers).status_code == 400


def test_password_complexity_when_users_set_passwords(client):
    login(client, "leader")
    resp = client.post("/resetmypassword/form", data={"password": "short", "conf_password": "short"})
    html = resp.get_data(as_text=True)
    assert "密码至少10位" in html
    login(client, "leader")  # unchanged password still works


def test_public_role_gets_nothing_and_no_self_registration(app, ctx, client):
    public = app.appbuilder.sm.find_role("Public")
    assert public is not None and list(db.session.get(type(public), public.id).permissions) == []
    assert client.get("/register/form").status_code == 404
    assert client.get("/enterpriseview/list/").status_code == 302  # to the login page
    assert client.get("/api/v1/enterprise/").status_code == 401


def test_error_pages_are_chinese(client):
    login(client, "officer01")
    page = client.get("/enterpriseview/show/999999")
    assert page.status_code == 404 and "不在您的查看范围内" in page.get_data(as_text=True)
    page = client.get("/departmentview/add")
    assert page.status_code == 403 and "没有执行此操作的权限" in page.get_data(as_text=True)


def test_first_login_must_change_password(app, ctx, client):
    user = create_login("firstlogin", "Leader", "First-Login-2026!")
    app.appbuilder.sm.require_password_change(user)
    db.session.commit()
    client.post("/login/", data={"username": "firstlogin", "password": "First-Login-2026!"})
    resp = client.get("/ledger/")
    assert resp.status_code == 302 and "/resetmypassword/form" in resp.headers["Location"]
    client.post("/resetmypassword/form", data={"current_password": "First-Login-2026!", "password": "Brand-New-2026!", "conf_password": "Brand-New-2026!"})
    assert client.get("/ledger/").status_code == 200
