"""The ledger beyond the matrix: numbering, races, deadlines on the 2026 calendar, tiers,
recomputation, history visibility, bad input, HTML screens."""
import threading
from datetime import date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from app import clock, db, ledger, workdays
from app.ledger.deadlines import current_due, tier, tier_bounds
from app.models import Issue, IssueEvent
from app.settings import Policy
from conftest import DB_URL, api_token, login
from world import department_of_login, enterprise_of_login, enterprises_of

POSTGRES = DB_URL.startswith("postgresql")


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def new_issue(ctx_user="officer01", enterprise=None, **kw):
    issue = ledger.create_issue(user(ctx_user), enterprise or enterprise_of_login("ent01"), kw.pop("title", "测试"),
                                kw.pop("description", "问题描述"), **kw)
    db.session.commit()
    return issue


def assigned_issue(at=None, level=None):
    with clock.at(at or clock.now().replace(tzinfo=None)):
        issue = new_issue(level=level)
        ledger.transition(user("office"), issue.id, "accept", {})
        ledger.transition(user("office"), issue.id, "assign", {"department": department_of_login("dept01")})
        db.session.commit()
    return issue


def test_numbers_are_per_year_and_gapless(ctx):
    this_year = lambda year: db.session.scalar(select(func.count()).select_from(Issue).where(Issue.year == year))  # noqa: E731
    before = this_year(clock.today().year)
    a, b = new_issue(), new_issue()
    assert a.year == b.year == clock.today().year
    assert (a.seq, b.seq) == (before + 1, before + 2) and b.number == f"{b.year}-{b.seq:04d}"
    earlier = this_year(2025)
    old = new_issue(received_on=date(2025, 12, 30))
    assert (old.year, old.seq, old.number) == (2025, earlier + 1, f"2025-{earlier + 1:04d}")


def test_deadlines_follow_the_2026_spring_festival(ctx):
    """Received and transferred on Fri 13 Feb 2026: Sat 14 Feb is a make-up working day,
    15–23 Feb are the holiday, Sat 28 Feb is worked again."""
    with clock.at(datetime(2026, 2, 13, 10, 0)):
        issue = new_issue(received_on=date(2026, 2, 13))
        assert issue.transfer_due == date(2026, 2, 14)
    issue = assigned_issue(datetime(2026, 2, 13, 10, 0))
    assert issue.feedback_due == date(2026, 2, 25)  # 14 Feb, 24 Feb, 25 Feb
    assert issue.resolve_due == date(2026, 3, 2)  # 14, 24, 25, 26, 27, 28 Feb, 2 Mar


def test_deadlines_follow_the_2026_national_day_and_major_month(ctx):
    issue = assigned_issue(datetime(2026, 9, 30, 16, 0))
    assert issue.feedback_due == date(2026, 10, 10)  # 8 Oct, 9 Oct, Sat 10 Oct (make-up)
    assert issue.resolve_due == date(2026, 10, 15)  # 8, 9, 10, 12, 13, 14, 15 Oct
    major = assigned_issue(datetime(2026, 1, 31, 9, 0), level="major")
    assert major.resolve_due == date(2026, 2, 28)  # one calendar month
    # the clock starts at the transfer, not at the department's click
    with clock.at(datetime(2026, 10, 12, 9, 0)):
        ledger.transition(user("dept01"), issue.id, "acknowledge", {})
    assert issue.resolve_due == date(2026, 10, 15)


def test_tier_bounds_agree_with_tier_for_every_day_of_2026():
    policy = Policy()
    today = date(2026, 2, 11)
    for offset in range(-40, 40):
        due = today + timedelta(days=offset)
        want = tier(due, today, policy)
        for name in ("approaching", "overdue", "serious", "overdue_only"):
            low, high = tier_bounds(name, today, policy)
            inside = (low is None or due >= low) and (high is None or due <= high)
            expect = {"approaching": want == "approaching", "serious": want == "serious",
                      "overdue": want in ("overdue", "serious"), "overdue_only": want == "overdue"}[name]
            assert inside == expect, (due, name, want)


def test_tiers_filter_in_the_api(ctx, client):
    today = clock.today()
    with clock.at(datetime.combine(today - timedelta(days=60), datetime.min.time()).replace(hour=9)):
        serious = new_issue(received_on=today - timedelta(days=60), title="严重超期样例")
    fresh = new_issue(title="刚收到")
    headers = api_token(client, "office")
    got = lambda tier_name: set(client.get(f"/api/v1/issue/?tier={tier_name}&page_size=100&q=", headers=headers).get_json()["ids"])  # noqa: E731
    body = client.get(f"/api/v1/issue/{serious.id}", headers=headers).get_json()["result"]
    assert body["tier"] == "serious" and body["transfer_due"] == serious.transfer_due.isoformat()
    assert serious.id in got("serious") and serious.id in got("overdue") and serious.id not in got("approaching")
    fresh_tier = tier(fresh.due_on, today, Policy())
    assert (fresh.id in got("approaching")) == (fresh_tier == "approaching")
    assert client.get("/api/v1/issue/?tier=late", headers=headers).status_code == 400


def test_stale_version_is_a_conflict(ctx, client):
    issue = new_issue()
    headers = api_token(client, "office")
    old = issue.version
    ok = client.post(f"/api/v1/issue/{issue.id}/transition", headers=headers, json={"action": "accept", "version": old})
    assert ok.status_code == 200 and ok.get_json()["result"]["version"] == old + 1
    stale = client.post(f"/api/v1/issue/{issue.id}/transition", headers=headers,
                        json={"action": "escalate", "level": "consultation", "version": old})
    assert stale.status_code == 409 and "已被他人更新" in stale.get_json()["message"]


def test_bad_input_gets_clear_answers(ctx, client):
    issue = assigned_issue()
    off = api_token(client, "office")
    dept = api_token(client, "dept01")
    post = lambda h, body: client.post(f"/api/v1/issue/{issue.id}/transition", headers=h, json=body)  # noqa: E731
    r = post(off, {"action": "fly"})
    assert r.status_code == 422 and "未知的操作" in r.get_json()["message"]["action"][0]
    r = post(dept, {"action": "return"})
    assert r.status_code == 422 and "原因" in r.get_json()["message"]["reason"][0]
    r = post(dept, {"action": "request_extension", "new_due": "2020-01-01", "reason": "x"})
    assert r.status_code == 422 and "不能早于今天" in r.get_json()["message"]["new_due"][0]
    r = post(dept, {"action": "request_extension", "new_due": "明天", "reason": "x"})
    assert r.status_code == 422
    r = post(api_token(client, "leader"), {"action": "progress", "note": "x"})
    assert r.status_code == 403
    r = post(api_token(client, "officer02"), {"action": "progress", "note": "x"})
    assert r.status_code == 404
    r = client.post("/api/v1/issue/", headers=off, json={"enterprise": 999999, "description": "x"})
    assert r.status_code == 422 and "enterprise" in r.get_json()["message"]
    r = client.post("/api/v1/issue/", headers=off, json={"enterprise": enterprise_of_login("ent01"), "description": "x",
                                                        "category": "不存在的类别"})
    assert r.status_code == 422 and "不存在" in r.get_json()["message"]["category"][0]
    r = client.post("/api/v1/issue/", headers=api_token(client, "officer01"), json={
        "enterprise": enterprises_of("officer02")[0], "description": "越权"})
    assert r.status_code == 422
    assert client.post("/api/v1/issue/", headers=off, data="x", content_type="text/plain").status_code == 400
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "assigned"


def test_direct_channel_and_history_visibility(ctx, client):
    ent = api_token(client, "ent01")
    r = client.post("/api/v1/issue/", headers=ent, json={"enterprise": enterprise_of_login("ent01"),
                                                         "description": "直通车：希望协调办理不动产登记", "source": "phone"})
    assert r.status_code == 201 and r.get_json()["result"]["source"] == "direct"
    pk = r.get_json()["id"]
    off, dept = api_token(client, "office"), api_token(client, "dept01")
    for h, body in [(off, {"action": "accept"}), (off, {"action": "assign", "department": department_of_login("dept01")}),
                    (dept, {"action": "request_extension", "new_due": str(clock.today() + timedelta(days=30)), "reason": "内部原因"}),
                    (off, {"action": "reject_extension", "reason": "不同意"}), (dept, {"action": "acknowledge"}),
                    (dept, {"action": "resolve", "result": "已办理"})]:
        assert client.post(f"/api/v1/issue/{pk}/transition", headers=h, json=body).status_code == 200
    seen_by_ent = [e["action"] for e in client.get(f"/api/v1/issue/{pk}/history", headers=ent).get_json()["result"]]
    seen_by_office = [e["action"] for e in client.get(f"/api/v1/issue/{pk}/history", headers=off).get_json()["result"]]
    assert "request_extension" in seen_by_office and "request_extension" not in seen_by_ent
    assert seen_by_ent == ["create", "accept", "assign", "acknowledge", "resolve"]
    # the department cannot rate its own work; the enterprise can, and dissatisfied reopens it
    assert client.post(f"/api/v1/issue/{pk}/transition", headers=dept,
                       json={"action": "confirm", "satisfaction": "satisfied"}).status_code == 403
    r = client.post(f"/api/v1/issue/{pk}/transition", headers=ent, json={"action": "confirm", "satisfaction": "dissatisfied"})
    assert r.status_code == 200 and r.get_json()["result"]["status"] == "in_progress"
    assert r.get_json()["result"]["rework_count"] == 1


def test_extension_keeps_the_old_date_in_history(ctx, client):
    issue = assigned_issue()
    old_due = issue.resolve_due
    dept, off = api_token(client, "dept01"), api_token(client, "office")
    new_due = str(old_due + timedelta(days=20))
    client.post(f"/api/v1/issue/{issue.id}/transition", headers=dept, json={"action": "request_extension", "new_due": new_due, "reason": "等待审批"})
    r = client.post(f"/api/v1/issue/{issue.id}/transition", headers=off, json={"action": "approve_extension"})
    assert r.get_json()["result"]["resolve_due"] == new_due
    ev = db.session.scalar(select(IssueEvent).where(IssueEvent.issue_id == issue.id, IssueEvent.action == "approve_extension"))
    assert ev.changes["resolve_due"] == [old_due.isoformat(), new_due]


def test_policy_and_calendar_changes_recompute_open_deadlines(ctx, client):
    plain = assigned_issue()
    extended = assigned_issue()
    d1, d2 = plain.resolve_due, extended.resolve_due
    ledger.transition(user("dept01"), extended.id, "request_extension", {"new_due": str(d2 + timedelta(days=30)), "reason": "x"})
    ledger.transition(user("office"), extended.id, "approve_extension", {})
    db.session.commit()
    login(client, "office")
    client.post("/settings/deadlines/", data={"resolve_days": "10"})
    db.session.expire_all()
    assert db.session.get(Issue, plain.id).resolve_due == workdays.add_workdays(clock.local(plain.assigned_at).date(), 10)
    assert db.session.get(Issue, extended.id).resolve_due == d2 + timedelta(days=30)  # approved extension kept
    assert db.session.scalar(select(func.count()).select_from(IssueEvent).where(
        IssueEvent.issue_id == plain.id, IssueEvent.action == "recompute")) == 1
    client.post("/settings/deadlines/", data={"resolve_days": "7"})
    db.session.expire_all()
    assert db.session.get(Issue, plain.id).resolve_due == d1
    # a holiday declared on the due date pushes it by a working day
    client.post("/holidayview/add", data={"day": d1.isoformat(), "kind": "holiday", "name": "测试假日"})
    db.session.expire_all()
    assert db.session.get(Issue, plain.id).resolve_due > d1
    from app.models import Holiday

    db.session.execute(Holiday.__table__.delete().where(Holiday.name == "测试假日"))
    db.session.commit()
    workdays.invalidate()
    ledger.recompute_open(None, "测试清理")
    db.session.commit()


def test_html_screens_act_and_file(ctx, client):
    issue = assigned_issue()
    login(client, "dept01")
    page = client.get(f"/ledger/{issue.id}").get_data(as_text=True)
    assert 'data-action="acknowledge"' in page and 'data-action="close"' not in page
    r = client.post(f"/ledger/{issue.id}/act", data={"action": "acknowledge", "version": issue.version})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "in_progress"
    r = client.post(f"/ledger/{issue.id}/act", data={"action": "return"}, follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    inbox = client.get("/ledger/").get_data(as_text=True)
    assert issue.number in inbox and "本单位待办问题" in inbox
    login(client, "ent01")
    r = client.post("/ledger/new", data={"enterprise": str(enterprise_of_login("ent01")), "description": "网页直通车诉求"})
    assert r.status_code == 302
    created = db.session.scalar(select(Issue).where(Issue.description == "网页直通车诉求"))
    assert created.source == "direct"
    r = client.post("/ledger/new", data={"enterprise": str(enterprises_of("officer02")[0]), "description": "越权诉求"})
    assert r.status_code == 200 and db.session.scalar(select(Issue).where(Issue.description == "越权诉求")) is None
    login(client, "office")
    page = client.get("/ledger/?tier=overdue").get_data(as_text=True)
    assert 'class="danger"' in page and "没有符合条件的问题" not in page  # the demo has overdue problems
    assert client.get("/ledger/?status=nonsense", follow_redirects=True).status_code == 200
    assert client.get("/ledger/999999").status_code == 404


def test_demo_ledger_is_consistent(ctx):
    rows = db.session.scalars(select(Issue).where(Issue.title != "测试")).all()
    statuses = {r.status for r in rows}
    assert {"new", "accepted", "assigned", "in_progress", "resolved", "closed", "unable", "void"} <= statuses
    policy, today = Policy(), clock.today()
    tiers = {tier(r.due_on, today, policy) for r in rows if r.status in ("new", "accepted", "assigned", "in_progress")}
    assert {"overdue", "serious"} & tiers
    for r in rows:
        assert r.due_on == current_due(r), r.number
        assert r.events and r.events[0].action == "create"
    assert any(e.action == "return" for r in rows for e in r.events)
    assert any(e.action == "approve_extension" for r in rows for e in r.events)
    assert any(r.satisfaction for r in rows if r.status == "closed")


@pytest.mark.skipif(not POSTGRES, reason="races are tested on PostgreSQL")
def test_concurrent_creation_gives_unique_gapless_numbers(app):
    errors, numbers = [], []
    barrier = threading.Barrier(8, timeout=60)  # a thread that fails breaks the barrier instead of hanging the rest

    def work():
        with app.app_context():
            try:
                barrier.wait()
                issue = ledger.create_issue(user("office"), enterprise_of_login("ent01"), "并发", "并发创建")
                db.session.commit()
                numbers.append(issue.seq)
            except Exception as exc:  # noqa: BLE001
                barrier.abort()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(8)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert not errors, errors
    assert sorted(numbers) == list(range(min(numbers), min(numbers) + 8))


@pytest.mark.skipif(not POSTGRES, reason="races are tested on PostgreSQL")
def test_two_people_acting_at_once(app):
    with app.app_context():
        issue = assigned_issue()
        pk, version = issue.id, issue.version
        db.session.remove()
    results = []
    barrier = threading.Barrier(2, timeout=60)  # a thread that fails breaks the barrier instead of hanging the other
    # logged in before the race: what is raced here is the transition (the very first logins of one user at
    # the same instant both insert the user's AccountState row, and one fails: not this test's subject).
    # Both actions keep the issue visible to both people, so the loser's answer is always the 409.
    headers = {who: api_token(app.test_client(), who) for who in ("dept01", "office")}

    def work(who, action, params):
        try:
            barrier.wait()
            r = app.test_client().post(f"/api/v1/issue/{pk}/transition", headers=headers[who],
                                       json={"action": action, "version": version, **params})
            results.append(r.status_code)
        except BaseException as exc:  # noqa: BLE001
            barrier.abort()
            results.append(exc)

    threads = [threading.Thread(target=work, args=("dept01", "acknowledge", {})),
               threading.Thread(target=work, args=("office", "escalate", {"level": "consultation", "note": "需会商"}))]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results) == [200, 409]
    with app.app_context():
        issue = db.session.get(Issue, pk)
        assert issue.version == version + 1
        assert len([e for e in issue.events if e.action in ("acknowledge", "escalate")]) == 1


def test_office_keeps_the_category_list(ctx, client):
    login(client, "office")
    client.post("/issuecategoryview/add", data={"name": "数据要素", "sort": "20", "active": "y"})
    headers = api_token(client, "officer01")
    body = {"enterprise": enterprise_of_login("ent01"), "description": "数据资产入表咨询", "category": "数据要素"}
    r = client.post("/api/v1/issue/", headers=headers, json=body)
    assert r.status_code == 201 and r.get_json()["result"]["category"] == "数据要素"
    from app.models import IssueCategory

    cat = db.session.scalar(select(IssueCategory).where(IssueCategory.name == "数据要素"))
    page = client.post(f"/issuecategoryview/delete/{cat.id}", follow_redirects=True).get_data(as_text=True)
    assert "不能删除" in page
    client.post(f"/issuecategoryview/edit/{cat.id}", data={"name": "数据要素", "sort": "20"})  # unticked: inactive
    r = client.post("/api/v1/issue/", headers=headers, json=body)
    assert r.status_code == 422 and "category" in r.get_json()["message"]
