"""Every hand-over is a message (issue 9 item 1): who is told (bell + mail), who is not, and that a
retry tells nobody twice. Recipients are worked out by hand from the issue's text:
  转办 → the lead unit and the co-units; 直通车 → the enterprise's officers; 办结 → the enterprise;
  退回 / 申请延期 / 申请无法解决 → the office; 交办通知单送达 → its units; 异议/回复/延期 → the office;
  会议通知 → the participants; 纪要印发 → each decision's lead unit."""
from datetime import datetime

import pytest
from flask import current_app
from sqlalchemy import select

from app import clock, db, workdays
from app.models import Assignment, DepartmentUser, EnterpriseUser, Issue, OutboundMessage, Reminder, User
from app.notifications.models import Notification
from app.vocab import DIRECTOR, OFFICE
from conftest import api_token
from world import department_of_login, enterprise_of_login, user_id


def _users_of_department(dept_id):
    return set(db.session.scalars(select(DepartmentUser.user_id).where(DepartmentUser.department_id == dept_id)))


def _office():
    return {u.id for u in db.session.scalars(select(User).where(User.active.is_(True)))
            if {r.name for r in u.roles} & {OFFICE, DIRECTOR}}


def _told(since_id, kind=None):
    """{user id: [titles]} of notifications written after ``since_id``."""
    query = select(Notification).where(Notification.id > since_id).order_by(Notification.id)
    out = {}
    for n in db.session.scalars(query):
        if kind is None or kind in n.title:
            out.setdefault(n.user_id, []).append(n.title)
    return out


def _last_id():
    return db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0


@pytest.fixture()
def tokens(client):
    return {u: api_token(client, u) for u in ("office", "director", "dept01", "dept02", "officer01", "ent01")}


def _act(client, headers, pk, action, **params):
    resp = client.post(f"/api/v1/issue/{pk}/transition", headers=headers, json={"action": action, **params})
    assert resp.status_code == 200, (action, resp.get_json())
    return resp.get_json()


def _file(client, headers, ent, **extra):
    resp = client.post("/api/v1/issue/", headers=headers, json={
        "enterprise": ent, "title": "厂区道路破损", "description": "进厂道路破损影响物流。", "category": "融资信贷", **extra})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    return body.get("id") or body["result"]["id"]


def _officers_of(ent):
    from app.models import Officer

    return set(db.session.scalars(select(Officer.user_id).join(Assignment).where(
        Assignment.enterprise_id == ent, Assignment.is_current, Officer.user_id.is_not(None))))


def _working_hours():
    """A moment inside mail hours on a working day (mail goes at once)."""
    day = workdays.add_workdays(datetime(2026, 12, 1).date(), 0)
    return datetime(day.year, day.month, day.day, 10, 30)


def test_direct_channel_tells_the_officers_and_the_office_not_the_filer(ctx, client, tokens):
    ent = enterprise_of_login("ent01")
    officers = _officers_of(ent)
    assert officers, "the demo enterprise has officers with logins"
    since = _last_id()
    pk = _file(client, tokens["ent01"], ent)
    number = db.session.get(Issue, pk).number
    told = _told(since)
    assert set(told) == officers | _office()
    for uid in officers:
        assert any("直通车" in t and number in t for t in told[uid])
    assert user_id("ent01") not in told
    assert not (set(told) & _users_of_department(department_of_login("dept01")))


def test_an_officer_filing_tells_the_office_only(ctx, client, tokens):
    from world import enterprises_of

    ent = enterprises_of("officer01")[0]
    since = _last_id()
    _file(client, tokens["officer01"], ent, source="visit")
    told = _told(since)
    assert set(told) == _office()  # no 直通车 message to officers: it was one of them
    assert all("待受理" in t for ts in told.values() for t in ts)


def test_transfer_tells_lead_and_co_units_with_the_number_and_mail(ctx, client, tokens):
    ent = enterprise_of_login("ent01")
    pk = _file(client, tokens["officer01"], ent, source="visit")
    _act(client, tokens["office"], pk, "accept")
    lead, co = department_of_login("dept01"), department_of_login("dept02")
    since = _last_id()
    messages_before = db.session.scalar(select(OutboundMessage.id).order_by(OutboundMessage.id.desc()).limit(1)) or 0
    _act(client, tokens["office"], pk, "assign", department=lead, co_departments=[co])
    db.session.expire_all()
    number = db.session.get(Issue, pk).number
    told = _told(since)
    assert set(told) == _users_of_department(lead) | _users_of_department(co)
    for uid in _users_of_department(lead):
        assert told[uid] == [t for t in told[uid] if "牵头" in t and number in t] and told[uid]
    for uid in _users_of_department(co):
        assert all("配合" in t and number in t for t in told[uid])
    assert user_id("office") not in told and user_id("ent01") not in told
    # the mail: one per recipient, naming the number, linking the problem at the portal's address
    mails = db.session.scalars(select(OutboundMessage).where(OutboundMessage.id > messages_before)).all()
    assert {m.recipient_id for m in mails} == set(told)
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    for m in mails:
        assert number in m.subject and number in m.body_text
        assert f"{base}/ledger/{pk}" in m.body_text and f'href="{base}/ledger/{pk}"' in m.body_html


def test_resolve_tells_the_enterprise_and_department_steps_tell_the_office(ctx, client, tokens):
    ent = enterprise_of_login("ent01")
    lead = department_of_login("dept01")
    pk = _file(client, tokens["officer01"], ent, source="visit")
    _act(client, tokens["office"], pk, "accept")
    _act(client, tokens["office"], pk, "assign", department=lead)
    _act(client, tokens["dept01"], pk, "acknowledge")
    number = db.session.get(Issue, pk).number
    office = _office()
    for action, params, word in (("request_extension", {"new_due": "2099-12-31", "reason": "需协调市级部门"}, "延期"),
                                 ("declare_unable", {"reason": "超出职权"}, "无法解决")):
        since = _last_id()
        _act(client, tokens["dept01"], pk, action, **params)
        told = _told(since)
        assert set(told) == office, action
        assert all(word in t and number in t for ts in told.values() for t in ts)
    since = _last_id()
    _act(client, tokens["office"], pk, "reject_extension")
    assert set(_told(since)) == _users_of_department(lead) - {user_id("office")}
    since = _last_id()
    _act(client, tokens["dept01"], pk, "resolve", result="已修复道路")
    told = _told(since)
    enterprise_users = set(db.session.scalars(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == ent)))
    assert set(told) == enterprise_users and user_id("ent01") in told
    assert all(any("确认" in t and number in t for t in ts) for ts in told.values())  # (a survey may ask too)
    since = _last_id()
    _act(client, tokens["ent01"], pk, "confirm", satisfaction="satisfied")
    told = _told(since)
    assert set(told) == office and all("待销号" in t for ts in told.values() for t in ts)


def test_return_tells_the_office(ctx, client, tokens):
    pk = _file(client, tokens["officer01"], enterprise_of_login("ent01"), source="visit")
    _act(client, tokens["office"], pk, "accept")
    _act(client, tokens["office"], pk, "assign", department=department_of_login("dept01"))
    since = _last_id()
    _act(client, tokens["dept01"], pk, "return", reason="不属于本单位职责")
    told = _told(since)
    assert set(told) == _office()
    note = db.session.scalar(select(Notification).where(Notification.id > since).limit(1))
    assert "退回" in note.title and note.body == "不属于本单位职责"


def test_a_retry_of_the_same_event_tells_nobody_twice(ctx):
    """The engine keys each message by the event: telling again about the same event writes nothing."""
    from app import ledger
    from app.ledger.rules import WORKFLOW
    from app.models import IssueEvent
    from app.workflow import Step

    sm = current_app.appbuilder.sm
    office, officer = sm.find_user(username="office"), sm.find_user(username="officer01")
    issue = ledger.create_issue(officer, enterprise_of_login("ent01"), "停车难", "厂区门口停车难。", category="融资信贷")
    ledger.transition(office, issue.id, "accept")
    ledger.transition(office, issue.id, "assign", {"department": str(department_of_login("dept01"))})
    db.session.commit()
    count = db.session.scalar(select(db.func.count()).select_from(Notification))
    reminders = db.session.scalar(select(db.func.count()).select_from(Reminder))
    event = db.session.scalar(select(IssueEvent).where(IssueEvent.issue_id == issue.id, IssueEvent.action == "assign"))
    step = Step(office, issue, {}, {"office"})
    WORKFLOW.tell(step, WORKFLOW.actions["assign"], event)
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == count
    assert db.session.scalar(select(db.func.count()).select_from(Reminder)) == reminders


def test_a_refused_action_tells_nobody(ctx, client, tokens):
    pk = _file(client, tokens["officer01"], enterprise_of_login("ent01"), source="visit")
    since = _last_id()
    resp = client.post(f"/api/v1/issue/{pk}/transition", headers=tokens["dept01"], json={"action": "assign"})
    assert resp.status_code in (403, 404, 409, 422)
    assert _told(since) == {}


# --- 交办通知单 and 会商 ------------------------------------------------------------------------------

def test_a_sent_notice_tells_its_units_and_their_answers_tell_the_office(ctx, client):
    from test_notices import _draft, _new_issue, _post, _to_registered, _upload

    tokens = {u: api_token(client, u) for u in ("office", "director", "dept01")}
    lead, co = department_of_login("dept01"), department_of_login("dept02")
    pk = _draft(client, tokens, _new_issue("accepted"))
    _to_registered(client, tokens, pk)
    scan = _upload(client, tokens["office"], pk)
    since = _last_id()
    resp = _post(client, tokens["office"], pk, "send", delivery="scan", attachment=scan)
    assert resp.status_code == 200, resp.get_json()
    number = resp.get_json()["number"]
    notice_told = _told(since, kind="交办通知单")
    assert set(notice_told) == _users_of_department(lead) | _users_of_department(co)
    assert all(any(number in t and "牵头" in t for t in notice_told[u]) for u in _users_of_department(lead))
    assert all(any(number in t and "配合" in t for t in notice_told[u]) for u in _users_of_department(co))
    since = _last_id()
    assert _post(client, tokens["dept01"], pk, "acknowledge").status_code == 200
    assert _told(since, kind="交办通知单") == {}  # nothing lands on anyone's desk
    since = _last_id()
    resp = _post(client, tokens["dept01"], pk, "object", reason="不属于本单位职责范围")
    assert resp.status_code == 200, resp.get_json()
    told = _told(since, kind="交办通知单")
    assert set(told) == _office() and all(number in t and "异议" in t for ts in told.values() for t in ts)


def test_meeting_notice_tells_participants_and_published_decisions_tell_lead_units(ctx):
    from test_meetings import held_meeting, publish

    since = _last_id()
    meeting = held_meeting()
    told = _told(since, kind="会议通知")
    dept = _users_of_department(department_of_login("dept01"))
    assert set(told) == (dept | {meeting.convener_id}) - {user_id("office")}  # participants and the convener
    assert all(meeting.title in t for ts in told.values() for t in ts)
    since = _last_id()
    publish(meeting)
    told = _told(since, kind="会商议定事项")
    assert set(told) == dept
    db.session.expire_all()
    number = db.session.get(type(meeting), meeting.id).number
    assert number and all(number in t for ts in told.values() for t in ts)
