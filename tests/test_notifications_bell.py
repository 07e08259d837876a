"""The bell (issue 9 item 1): the navbar's unread count, the list with mark read / mark all read, each
entry opening the thing it is about; REST GET /api/v1/notification/ answers with the caller's own only."""
import re

from sqlalchemy import select

from app import db, notifications
from app.notifications.models import Notification
from conftest import api_token, login
from world import user_id


def _give(username, n, prefix="测试消息"):
    notes = []
    for i in range(n):
        notes += notifications.notify([user_id(username)], f"{prefix}{i + 1} 问题 2026-0001", "/ledger/1",
                                      kind="issue", key=f"bell:{username}:{prefix}:{i}")
    db.session.commit()
    return notes


def _unread(username):
    return db.session.scalar(select(db.func.count()).select_from(Notification).where(
        Notification.user_id == user_id(username), Notification.read_at.is_(None)))


def _badge(html):
    m = re.search(r'id="cso-bell-count">(\d+)<', html)
    return int(m.group(1)) if m else 0


def test_the_bell_counts_unread_and_the_list_marks_read(ctx, client):
    _give("dept01", 3)
    expected = _unread("dept01")
    login(client, "dept01")
    home = client.get("/").get_data(as_text=True)
    assert 'id="cso-bell"' in home and _badge(home) == expected >= 3
    page = client.get("/notifications/").get_data(as_text=True)
    assert "测试消息3 问题 2026-0001" in page and "全部标为已读" in page
    mine = db.session.scalars(select(Notification).where(Notification.user_id == user_id("dept01"),
                                                         Notification.title.like("测试消息%"))
                              .order_by(Notification.id)).all()
    # opening one marks it read and goes to the thing
    resp = client.post(f"/notifications/{mine[0].id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/ledger/1")
    assert _badge(client.get("/").get_data(as_text=True)) == expected - 1
    client.post(f"/notifications/{mine[1].id}/read")
    assert _badge(client.get("/").get_data(as_text=True)) == expected - 2
    unread_page = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "测试消息3" in unread_page and "测试消息1 " not in unread_page
    client.post("/notifications/read_all")
    home = client.get("/").get_data(as_text=True)
    assert _badge(home) == 0 and 'id="cso-bell"' in home
    assert _unread("dept01") == 0
    assert "没有未读消息" in client.get("/notifications/?unread=1").get_data(as_text=True)


def test_nobody_opens_or_marks_anothers_notification(ctx, client):
    theirs = _give("dept02", 1)[0]
    login(client, "dept01")
    assert "测试消息1" not in client.get("/notifications/").get_data(as_text=True)
    resp = client.post(f"/notifications/{theirs.id}/open", follow_redirects=True)
    assert "该消息不存在" in resp.get_data(as_text=True)
    client.post(f"/notifications/{theirs.id}/read")
    client.post("/notifications/read_all")
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None


def test_a_stored_link_never_leaves_the_portal(ctx, client):
    note = notifications.notify([user_id("dept01")], "外部链接", "//evil.example.com/x", key="bell:evil")[0]
    db.session.commit()
    login(client, "dept01")
    resp = client.post(f"/notifications/{note.id}/open")
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]


def test_rest_lists_own_notifications_and_marks_them_read(ctx, client):
    _give("dept01", 2, prefix="接口消息")
    theirs = _give("dept02", 1, prefix="别人的消息")[0]
    headers = api_token(client, "dept01")
    body = client.get("/api/v1/notification/?unread=1&page_size=100", headers=headers).get_json()
    assert body["count"] == body["unread"] == _unread("dept01")
    titles = [r["title"] for r in body["result"]]
    assert "接口消息2 问题 2026-0001" in titles and not any("别人的消息" in t for t in titles)
    assert all(r["url"].startswith("/") for r in body["result"])
    first = next(r for r in body["result"] if r["title"].startswith("接口消息1"))
    assert client.get(f"/api/v1/notification/{theirs.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/notification/{theirs.id}/read", headers=headers).status_code == 404
    resp = client.post(f"/api/v1/notification/{first['id']}/read", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["result"]["unread"] is False
    assert client.get("/api/v1/notification/?unread=1", headers=headers).get_json()["unread"] == body["unread"] - 1
    resp = client.post("/api/v1/notification/read_all", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["marked"] == body["unread"] - 1
    assert _unread("dept01") == 0
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None
    assert client.get("/api/v1/notification/?page_size=abc", headers=headers).status_code == 400
    assert client.get("/api/v1/notification/").status_code == 401


def test_every_role_has_a_bell(ctx, client):
    for username in ("office", "director", "leader", "officer01", "dept01", "ent01"):
        login(client, username)
        assert 'id="cso-bell"' in client.get("/").get_data(as_text=True), username
        assert client.get("/notifications/").status_code == 200, username
        headers = api_token(client, username)
        assert client.get("/api/v1/notification/", headers=headers).status_code == 200, username


def test_the_mail_preference_page_says_when_mail_arrives(ctx, client):
    login(client, "dept01")
    page = client.get("/settings/mail/", follow_redirects=True).get_data(as_text=True)
    assert "每日汇总" in page and "上午10:00前" in page and "消息" in page


def test_out_of_range_ids_are_404_not_500(client):
    """An id past the database's integer (schemathesis found 218938288308139577049088) is as missing as any other."""
    from conftest import api_token

    headers = api_token(client, "officer01")
    for pk in (2**31, 218938288308139577049088):
        assert client.get(f"/api/v1/notification/{pk}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/notification/{pk}/read", headers=headers).status_code == 404
