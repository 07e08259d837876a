"""Every action × state × role through POST /api/v1/meeting/<id>/transition and
/api/v1/meeting_decision/<id>/transition (table-driven).

The expectations are written from the rules (the meetings issue, docs/domain.md 六(二)), not read
from app.meetings: who may act (the office prepares and publishes, the convener — the director
here — signs or returns, the director designates, the lead unit reports, the office verifies),
from which states, and who may see the meeting or decision at all (404 before 403 before 409).
"""
import pytest
from flask import current_app

from app import db, ledger
from app.meetings import decisions as decision_rules, rules
from app.models import Meeting, MeetingDecision
from conftest import api_token
from world import department_of_login, enterprise_of_login, user_id

# --- meetings -----------------------------------------------------------------------------------

STATES = ["draft", "notified", "held", "pending_sign", "signed", "published", "closed", "cancelled"]
STATUS_OF = {"signed": "pending_sign"}  # "signed": pending_sign after the convener's 审签
USERS = ["office", "director", "leader", "dept01", "dept03", "officer01", "officer02", "ent01"]
OFFICE = {"office", "director"}
EDITABLE = {"draft", "notified", "held"}
RULES = {
    "notify": (OFFICE, {"draft"}),
    "hold": (OFFICE, {"notified"}),
    "submit_minutes": (OFFICE, {"held"}),
    "sign": ({"director"}, {"pending_sign"}),  # the convener only, once
    "return": ({"director"}, {"pending_sign", "signed"}),
    "publish": (OFFICE, {"signed"}),  # signed minutes only
    "cancel": (OFFICE, {"draft", "notified"}),
    "correct": (OFFICE, {"published", "closed"}),
    "edit": (OFFICE, EDITABLE),
    "designate": ({"director"}, EDITABLE),
    "add_topic": (OFFICE, EDITABLE),
    "add_participant": (OFFICE, EDITABLE),
    "add_decision": (OFFICE, EDITABLE),
}
WRITERS = OFFICE  # the roles with write permission on Meeting (app.roles)
AFTER = {"notify": "notified", "hold": "held", "submit_minutes": "pending_sign", "return": "held",
         "publish": "published", "cancel": "cancelled"}


def sees(user, state):
    # dept01 takes part, officer01 serves the topic's enterprise; enterprises never see a meeting
    return user in ("office", "director", "leader", "dept01", "officer01")


def expected(user, action, state):
    who, states = RULES[action]
    if user not in WRITERS:
        return 403  # no write permission on meetings at all: refused before the row is looked at
    if not sees(user, state):
        return 404
    if user not in who:
        return 403
    return 200 if state in states else 409


@pytest.fixture(scope="module")
def ids(app):
    with app.app_context():
        return {"enterprise": enterprise_of_login("ent01"), "dept01": department_of_login("dept01"),
                "dept02": department_of_login("dept02"), "dept03": department_of_login("dept03"),
                "office": user_id("office")}


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in {*USERS, "dept02", "ent02"}}


def users():
    sm = current_app.appbuilder.sm
    return {n: sm.find_user(username=n) for n in ("office", "director", "officer01", "dept01")}


def make_meeting(ids, state):
    """A consultation meeting in ``state``, built through app.meetings as the right people: a topic on a
    problem of ent01's enterprise (served by officer01), dept01 taking part, one decision led by dept01
    with dept02 as co-unit."""
    u = users()
    issue = ledger.create_issue(u["officer01"], ids["enterprise"], "会商测试问题", f"矩阵 {state}", category="融资信贷")
    meeting = rules.create_meeting(u["office"], "consultation", f"矩阵会商 {state}", "2026-11-20 09:30", place="三楼")
    act = lambda who, name, **p: rules.transition(u[who], meeting.id, name, p)  # noqa: E731
    act("office", "add_topic", issue=issue.id)
    act("office", "add_participant", department=ids["dept01"])
    act("office", "add_decision", issue=issue.id, text="限期解决", department=ids["dept01"],
        co_departments=[ids["dept02"]])
    if state == "cancelled":
        act("office", "cancel", reason="议题已解决")
    if STATES.index(state) >= STATES.index("notified") and state != "cancelled":
        act("office", "notify")
    if STATES.index(state) >= STATES.index("held") and state != "cancelled":
        act("office", "hold")
        act("office", "edit", overview="会议研究了有关问题。")
    if STATES.index(state) >= STATES.index("pending_sign") and state != "cancelled":
        act("office", "submit_minutes")
    if STATES.index(state) >= STATES.index("signed") and state != "cancelled":
        act("director", "sign")
    if state in ("published", "closed"):
        act("office", "publish")
    if state == "closed":
        decision = meeting.decisions[0]
        decision_rules.transition(u["dept01"], decision.id, "report", {"text": "已办结"})
        decision_rules.transition(u["office"], decision.id, "verify", {})
    db.session.commit()
    assert meeting.status == STATUS_OF.get(state, state)
    return meeting.id, issue.id


@pytest.fixture(scope="module")
def meetings(checker, ids):
    with checker.app_context():
        built = {state: make_meeting(ids, state) for state in STATES}
        other = ledger.create_issue(users()["office"], ids["enterprise"], "另一问题", "矩阵 其他问题", category="融资信贷")
        db.session.commit()
        built["other_issue"] = other.id
        db.session.remove()
    return built


def params_for(action, ids, meetings):
    return {
        "return": {"reason": "概况不完整"}, "cancel": {"reason": "改期"}, "edit": {"place": "五楼会议室"},
        "designate": {"convener": ids["office"]}, "add_topic": {"issue": meetings["other_issue"]},
        "add_participant": {"department": ids["dept03"]},
        "add_decision": {"text": "补充事项", "department": ids["dept02"]},
    }.get(action, {})


CASES = [(a, s, u) for a in RULES for s in STATES for u in USERS]


@pytest.mark.parametrize("action,state,user", CASES)
def test_meeting_matrix(ctx, client, ids, tokens, meetings, action, state, user):
    pk = meetings[state][0]
    before = len(db.session.get(Meeting, pk).events)
    resp = client.post(f"/api/v1/meeting/{pk}/transition", headers=tokens[user],
                       json={"action": action, **params_for(action, ids, meetings)})
    want = expected(user, action, state)
    assert resp.status_code == want, (resp.get_json(), want)
    db.session.expire_all()
    meeting = db.session.get(Meeting, pk)
    if want == 200:
        assert resp.get_json()["result"]["status"] == meeting.status == AFTER.get(action, STATUS_OF.get(state, state))
        assert meeting.events[-1].action == action and len(meeting.events) == before + 1
        if action == "sign":
            assert meeting.signed_by_id == user_id("director")
    else:
        assert resp.get_json()["message"]
        assert meeting.status == STATUS_OF.get(state, state) and len(meeting.events) == before


# --- decisions ----------------------------------------------------------------------------------

D_STATES = ["unpublished", "open", "reported", "verified", "cancelled"]
D_USERS = ["office", "director", "leader", "dept01", "dept02", "dept03", "officer01", "officer02", "ent01", "ent02"]
D_RULES = {
    "report": ({"dept01"}, {"open"}),  # the lead unit
    "verify": (OFFICE, {"reported"}),
    "cancel": (OFFICE, {"open", "reported"}),
    "to_notice": (OFFICE, {"open"}),
}
D_WRITERS = {"office", "director", "dept01", "dept02", "dept03"}
D_AFTER = {"report": "reported", "verify": "verified", "cancel": "cancelled"}


def d_sees(user, state):
    if user in ("office", "director", "leader"):
        return True
    # the lead and co-unit, the problem's officer and enterprise: once the minutes are published
    return user in ("dept01", "dept02", "officer01", "ent01") and state != "unpublished"


def d_expected(user, action, state):
    who, states = D_RULES[action]
    if user not in D_WRITERS:
        return 403  # leaders, officers, enterprises only read decisions
    if not d_sees(user, state):
        return 404
    if user not in who:
        return 403
    if state == "unpublished":
        return 409  # not in force before 印发
    if state not in states:
        return 409
    return 200


def make_decision(ids, state):
    """A decision in ``state`` ("unpublished": in a held meeting), two decisions per meeting so that
    verifying or cancelling one does not close the meeting."""
    u = users()
    issue = ledger.create_issue(u["officer01"], ids["enterprise"], "议定事项测试", f"矩阵 {state}", category="融资信贷")
    meeting = rules.create_meeting(u["office"], "consultation", f"议定事项矩阵 {state}", "2026-11-20 09:30")
    act = lambda who, name, **p: rules.transition(u[who], meeting.id, name, p)  # noqa: E731
    act("office", "add_topic", issue=issue.id)
    act("office", "add_participant", department=ids["dept03"])
    for text in ("第一项", "第二项"):
        act("office", "add_decision", issue=issue.id, text=text, department=ids["dept01"], co_departments=[ids["dept02"]])
    act("office", "notify")
    act("office", "hold")
    act("office", "edit", overview="概况")
    if state != "unpublished":
        act("office", "submit_minutes")
        act("director", "sign")
        act("office", "publish")
    decision = meeting.decisions[0]
    step = lambda who, name, **p: decision_rules.transition(u[who], decision.id, name, p)  # noqa: E731
    if state in ("reported", "verified"):
        step("dept01", "report", text="已办结")
    if state == "verified":
        step("office", "verify")
    if state == "cancelled":
        step("office", "cancel", reason="情况变化")
    db.session.commit()
    return decision.id


@pytest.fixture(scope="module")
def decisions(checker, ids):
    with checker.app_context():
        built = {state: make_decision(ids, state) for state in D_STATES}
        db.session.remove()
    return built


D_PARAMS = {"report": {"text": "已与企业对接解决"}, "cancel": {"reason": "企业已自行解决"}}
D_CASES = [(a, s, u) for a in D_RULES for s in D_STATES for u in D_USERS]


@pytest.mark.parametrize("action,state,user", D_CASES)
def test_decision_matrix(ctx, client, tokens, decisions, action, state, user):
    pk = decisions[state]
    status = db.session.get(MeetingDecision, pk).status
    before = len(db.session.get(MeetingDecision, pk).events)
    resp = client.post(f"/api/v1/meeting_decision/{pk}/transition", headers=tokens[user],
                       json={"action": action, **D_PARAMS.get(action, {})})
    want = d_expected(user, action, state)
    assert resp.status_code == want, (resp.get_json(), want)
    db.session.expire_all()
    decision = db.session.get(MeetingDecision, pk)
    if want == 200:
        assert decision.status == D_AFTER.get(action, status) == resp.get_json()["result"]["status"]
        assert decision.events[-1].action == action and len(decision.events) == before + 1
    else:
        assert resp.get_json()["message"]
        assert decision.status == status and len(decision.events) == before
