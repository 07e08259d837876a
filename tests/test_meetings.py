"""Consultation meetings (会商) through their public surfaces: locked minutes, the convener's sign-off,
gapless numbers, the ladder, who sees which decision, the documents, the feeds into the ledger."""
import hashlib
import io
import re
from datetime import date, timedelta

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import select

from app import db, ledger
from app.meetings import rules
from app.meetings.models import meeting_decision_codepartment
from app.models import Issue, IssueEvent, Meeting, MeetingDecision
from conftest import api_token, login
from world import department_of_login, enterprise_of_login, user_id


def _u(name):
    return current_app.appbuilder.sm.find_user(username=name)


def demo_meeting(status):
    return db.session.scalar(select(Meeting).where(Meeting.status == status).order_by(Meeting.id))


def post(client, token, pk, action, version=None, kind="meeting", **params):
    return client.post(f"/api/v1/{kind}/{pk}/transition", headers=token,
                       json={"action": action, **({"version": version} if version else {}), **params})


def held_meeting(level="consultation", issue_id=None, decisions=1):
    """A consultation meeting built up to ``held`` with one topic and ``decisions`` decisions (via rules)."""
    office = _u("office")
    issue_id = issue_id or ledger.create_issue(_u("officer01"), enterprise_of_login("ent01"), "测试问题", "会商测试",
                                               category="融资信贷").id
    meeting = rules.create_meeting(office, level, "测试会商", "2026-11-20 09:30", place="三楼")
    act = lambda name, **p: rules.transition(office, meeting.id, name, p)  # noqa: E731
    act("add_topic", issue=issue_id, waiver_reason="测试豁免") if level != "consultation" else act("add_topic", issue=issue_id)
    act("add_participant", department=department_of_login("dept01"))
    for n in range(decisions):
        act("add_decision", issue=issue_id, text=f"事项{n + 1}", department=department_of_login("dept01"))
    act("notify")
    act("hold")
    act("edit", overview="会议研究了有关问题。")
    db.session.commit()
    return meeting


def publish(meeting):
    rules.transition(_u("office"), meeting.id, "submit_minutes")
    rules.transition(_u("director"), meeting.id, "sign")
    rules.transition(_u("office"), meeting.id, "publish")
    db.session.commit()
    return meeting


def test_demo_has_two_meetings_in_different_states(ctx):
    published, draft = demo_meeting("published"), demo_meeting("draft")
    assert published.level == "consultation" and published.number and published.decisions
    assert draft.level == "director" and draft.topics and draft.topics[0].waiver_reason is None  # the ladder holds


def test_published_minutes_are_locked(ctx, client):
    meeting = demo_meeting("published")
    token = api_token(client, "office")
    for action, params in (("edit", {"overview": "改写"}), ("add_decision", {"text": "新增", "department": 1}),
                           ("remove_decision", {"decision": meeting.decisions[0].id}),
                           ("set_attendance", {"participant": meeting.participants[0].id, "attendance": "absent"})):
        resp = post(client, token, meeting.id, action, **params)
        assert resp.status_code == 409, resp.get_json()
        assert "已印发" in resp.get_json()["message"]
    db.session.expire_all()
    again = db.session.get(Meeting, meeting.id)
    assert again.overview == meeting.overview and len(again.decisions) == len(meeting.decisions)
    assert post(client, token, meeting.id, "publish").status_code == 409  # published once


def test_only_the_convener_signs(ctx, client):
    meeting = held_meeting()
    rules.transition(_u("office"), meeting.id, "submit_minutes")
    db.session.commit()
    office, director = api_token(client, "office"), api_token(client, "director")
    assert post(client, office, meeting.id, "sign").status_code == 403  # the office drafts, the convener signs
    assert post(client, office, meeting.id, "publish").status_code == 409  # not signed yet
    assert post(client, director, meeting.id, "sign").status_code == 200
    assert post(client, director, meeting.id, "sign").status_code == 409  # once
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).signed_by_id == user_id("director")


def test_a_designated_convener_signs_and_never_the_drafter(ctx, client):
    meeting = held_meeting()
    office, director = api_token(client, "office"), api_token(client, "director")
    assert post(client, office, meeting.id, "designate", convener=user_id("office")).status_code == 403
    assert post(client, director, meeting.id, "designate", convener=user_id("leader")).status_code == 422
    assert post(client, director, meeting.id, "designate", convener=user_id("office")).status_code == 200
    assert post(client, office, meeting.id, "submit_minutes").status_code == 200
    assert post(client, director, meeting.id, "sign").status_code == 403  # no longer the convener
    resp = post(client, office, meeting.id, "sign")
    assert resp.status_code == 409 and "起草人" in resp.get_json()["message"]


def test_numbers_are_gapless_and_taken_at_publication(ctx, client):
    first, second = held_meeting(), held_meeting()
    office = api_token(client, "office")
    rules.transition(_u("office"), second.id, "submit_minutes")
    db.session.commit()
    assert post(client, office, second.id, "publish").status_code == 409  # refused: no number taken
    publish(first)
    rules.transition(_u("director"), second.id, "sign")
    rules.transition(_u("office"), second.id, "publish")
    db.session.commit()
    year = date.today().year
    numbers = [m.number for m in db.session.scalars(select(Meeting).where(Meeting.year.isnot(None)).order_by(Meeting.seq))]
    seqs = [int(re.fullmatch(rf"示范区企服纪〔{year}〕(\d+)号", n).group(1)) for n in numbers]
    assert seqs == list(range(1, len(seqs) + 1))  # the demo's first, then these two: no gap


def test_director_level_topic_needs_a_consultation_outcome_or_a_waiver(ctx, client):
    office, director = api_token(client, "office"), api_token(client, "director")
    resp = client.post("/api/v1/meeting/", headers=office,
                       json={"level": "director", "title": "重大问题会商", "planned_at": "2026-12-20 15:00"})
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    fresh = ledger.create_issue(_u("officer01"), enterprise_of_login("ent01"), "未经会商", "x", category="融资信贷")
    db.session.commit()
    resp = post(client, office, pk, "add_topic", issue=fresh.id)
    assert resp.status_code == 409 and "部门会商" in str(resp.get_json()["message"])
    assert post(client, office, pk, "add_topic", issue=fresh.id, waiver_reason="情况紧急").status_code == 403
    assert post(client, director, pk, "add_topic", issue=fresh.id, waiver_reason="情况紧急").status_code == 200
    consulted = demo_meeting("published").decisions[0].issue_id  # decided in published consultation minutes
    assert post(client, office, pk, "add_topic", issue=consulted).status_code == 200
    topics = {t["issue"]: t["waiver_reason"] for t in client.get(f"/api/v1/meeting/{pk}", headers=office)
              .get_json()["result"]["topics"]}
    assert topics == {fresh.id: "情况紧急", consulted: None}


def _addressed(dept_id):
    return set(db.session.scalars(select(MeetingDecision.id).join(Meeting).where(
        Meeting.status.in_(("published", "closed")),
        (MeetingDecision.lead_department_id == dept_id) | MeetingDecision.id.in_(select(
            meeting_decision_codepartment.c.decision_id).where(meeting_decision_codepartment.c.department_id == dept_id)))))


@pytest.mark.parametrize("login_name", ["dept01", "dept04", "dept06", "dept07"])
def test_a_unit_sees_only_the_decisions_addressed_to_it(ctx, client, login_name):
    token = api_token(client, login_name)
    dept = department_of_login(login_name)
    listed = {d["id"] for d in client.get("/api/v1/meeting_decision/?page_size=100", headers=token).get_json()["result"]}
    assert listed == _addressed(dept)
    for decision in db.session.scalars(select(MeetingDecision)):
        status = client.get(f"/api/v1/meeting_decision/{decision.id}", headers=token).status_code
        assert status == (200 if decision.id in listed else 404)


def test_a_unit_reports_and_the_office_verifies_then_the_meeting_closes(ctx, client):
    meeting = publish(held_meeting(decisions=2))
    first, second = (d.id for d in meeting.decisions)
    dept, office, other = api_token(client, "dept01"), api_token(client, "office"), api_token(client, "dept02")
    assert post(client, other, first, "report", kind="meeting_decision", text="x").status_code == 404
    assert post(client, dept, first, "report", kind="meeting_decision").status_code == 422  # text needed
    assert post(client, dept, first, "report", kind="meeting_decision", text="已解决").status_code == 200
    assert post(client, office, first, "verify", kind="meeting_decision").status_code == 200
    assert client.get(f"/api/v1/meeting/{meeting.id}", headers=office).get_json()["result"]["status"] == "published"
    assert post(client, office, second, "cancel", kind="meeting_decision", reason="企业已自行解决").status_code == 200
    body = client.get(f"/api/v1/meeting/{meeting.id}", headers=office).get_json()["result"]
    assert body["status"] == "closed"


def test_each_decision_writes_an_event_on_its_problem(ctx, client):
    meeting = publish(held_meeting())
    decision = meeting.decisions[0]
    post(client, api_token(client, "dept01"), decision.id, "report", kind="meeting_decision", text="已对接企业")
    actions = [(e.action, e.internal) for e in db.session.scalars(select(IssueEvent).where(
        IssueEvent.issue_id == decision.issue_id).order_by(IssueEvent.id))]
    assert ("meeting_topic", True) in actions  # the deliberation: internal
    assert actions.count(("meeting_decision", False)) == 2  # published, reported
    ent = client.get(f"/api/v1/issue/{decision.issue_id}/history", headers=api_token(client, "ent01")).get_json()
    assert "meeting_topic" not in {e["action"] for e in ent["result"]}
    assert "meeting_decision" in {e["action"] for e in ent["result"]}


def test_an_enterprise_sees_decisions_on_its_own_problems_never_the_meeting(ctx, client):
    meeting = demo_meeting("published")
    decision = meeting.decisions[0]
    owner = db.session.get(Issue, decision.issue_id).enterprise_id
    own = next(u for u in (f"ent{i:02d}" for i in range(1, 32)) if enterprise_of_login(u) == owner)
    stranger = "ent02" if own != "ent02" else "ent03"
    token = api_token(client, own)
    body = client.get(f"/api/v1/meeting_decision/{decision.id}", headers=token).get_json()["result"]
    assert body["text"] == decision.text and body["meeting"] is None and "meeting_title" not in body
    listed = client.get("/api/v1/meeting_decision/", headers=token).get_json()["result"]
    assert {d["id"] for d in listed} == {d.id for d in db.session.scalars(select(MeetingDecision).join(Issue).where(
        Issue.enterprise_id == owner))}
    for url in (f"/api/v1/meeting/{meeting.id}", f"/api/v1/meeting/{meeting.id}/document", "/api/v1/meeting/"):
        assert client.get(url, headers=token).status_code == 403
    assert client.get(f"/api/v1/meeting_decision/{decision.id}", headers=api_token(client, stranger)).status_code == 404
    login(client, own)
    assert client.get(f"/meetings/{meeting.id}").status_code == 403
    page = client.get(f"/meeting_decisions/{decision.id}").get_data(as_text=True)
    assert decision.text in page and (meeting.overview or "").splitlines()[0] not in page


def test_the_minutes_docx_reads_back(ctx, client):
    from app import gongwen

    meeting = publish(held_meeting(decisions=2))
    resp = client.get(f"/api/v1/meeting/{meeting.id}/document", headers=api_token(client, "dept01"))
    assert resp.status_code == 200
    assert hashlib.sha256(resp.data).hexdigest() == db.session.get(Meeting, meeting.id).document_sha256
    text = gongwen.document_text(resp.data)
    assert meeting.number in text and "纪要" in text
    due = gongwen.due_text(meeting.decisions[0].due_on)
    assert f"一、事项1（牵头单位：{meeting.decisions[0].lead_department.name}；完成时限：{due}）" in text
    assert "二、事项2" in text
    demo = client.get(f"/api/v1/meeting/{demo_meeting('published').id}/document", headers=api_token(client, "office"))
    demo_text = gongwen.document_text(demo.data)
    for label in ("出席：", "列席：", "请假："):
        assert label in demo_text
    assert re.search(r"请假：[^\n]*区工商联", demo_text) and "配合单位：区发改委" in demo_text
    assert client.get(f"/api/v1/meeting/{demo_meeting('draft').id}/document",
                      headers=api_token(client, "office")).status_code == 409  # not published


def test_the_decision_turns_into_a_notice(ctx, client):
    from app.models import Notice

    decision = demo_meeting("published").decisions[1]
    resp = post(client, api_token(client, "office"), decision.id, "to_notice", kind="meeting_decision")
    assert resp.status_code == 200, resp.get_json()
    notice = db.session.scalar(select(Notice).where(Notice.decision_id == decision.id))
    assert notice is not None and notice.issue_id == decision.issue_id


def test_a_correction_is_a_new_numbered_meeting(ctx, client):
    first = demo_meeting("published")
    office = api_token(client, "office")
    assert post(client, office, first.id, "correct", note="议定事项时限有误").status_code == 200
    new = db.session.scalar(select(Meeting).where(Meeting.corrects_id == first.id))
    assert new.status == "held" and new.number is None and len(new.topics) == len(first.topics)
    publish(new)
    assert new.seq == first.seq + 1 and db.session.get(Meeting, first.id).overview == first.overview


def test_overdue_decisions_and_absences(ctx):
    meeting = publish(held_meeting())
    decision = meeting.decisions[0]
    assert decision.due_on == meeting.held_at.date() + timedelta(days=20)
    assert decision in rules.overdue_decisions(decision.due_on + timedelta(days=1))
    assert decision not in rules.overdue_decisions(decision.due_on)
    absent = department_of_login("dept03")
    assert rules.absences().get(absent) == 1  # the demo meeting: 区工商联 请假


def test_bad_input_answers_in_chinese(ctx, client):
    office = api_token(client, "office")
    for body, field in (({"level": "x", "title": "t", "planned_at": "2026-12-01 09:00"}, "level"),
                        ({"level": "consultation", "title": "t", "planned_at": "明天"}, "planned_at"),
                        ({"level": "consultation", "planned_at": "2026-12-01"}, "title")):
        resp = client.post("/api/v1/meeting/", headers=office, json=body)
        assert resp.status_code == 422 and field in resp.get_json()["message"]
    assert client.get("/api/v1/meeting/?status=nope", headers=office).status_code == 400
    assert client.post("/api/v1/meeting/", headers=api_token(client, "dept01"), json={}).status_code == 403
    draft = demo_meeting("draft")
    resp = post(client, office, draft.id, "add_participant", enterprise=1, attendance="present")
    assert resp.status_code == 422 and "列席" in str(resp.get_json()["message"])
    assert post(client, office, draft.id, "edit", version=draft.version + 5, place="x").status_code == 409


def test_screens_and_exports(ctx, client):
    published = demo_meeting("published")
    login(client, "office")
    page = client.get("/meetings/").get_data(as_text=True)
    assert published.title in page and published.number in page
    page = client.get(f"/meetings/{published.id}").get_data(as_text=True)
    assert 'data-action="correct"' in page and 'data-action="edit"' not in page and "cso-attachments" in page
    draft = demo_meeting("draft")
    page = client.get(f"/meetings/{draft.id}").get_data(as_text=True)
    assert 'data-action="add_topic"' in page and "候选议题" in page
    resp = client.post(f"/meetings/{draft.id}/act", data={"action": "edit", "version": draft.version, "place": "五楼"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, draft.id).place == "五楼"
    sheet = client.get("/meeting_decisions/sheet.xlsx")
    assert sheet.status_code == 200
    ws = load_workbook(io.BytesIO(sheet.data)).active
    assert ws["A1"].value == "会商议定事项督办台账" and ws.cell(4, 1).value == published.number
    register = client.get("/meetings/register.xlsx?status=published")
    assert load_workbook(io.BytesIO(register.data)).active.cell(4, 2).value == published.title
    login(client, "dept06")
    page = client.get("/meeting_decisions/").get_data(as_text=True)
    assert "本单位会商事项" in page
    assert client.get(f"/meetings/{draft.id}").status_code == 404  # not a participant
