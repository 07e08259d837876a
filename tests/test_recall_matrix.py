"""Every action × state × role through POST /api/v1/recall/<id>/transition and
/api/v1/handover/<id>/transition (table-driven).

Expectations are written from the rules (issue 15 items 6-7, docs/recall.md), not read from
app.recall: the office prepares, submits, applies and cancels a case; the approver (the director by
default) approves or returns it; leaders read; officers, units and enterprises have no business with
a case (no permission: 403). On a handover list the outgoing officer notes and signs, the incoming
officer signs or returns it, the office confirms and records omissions, the enterprise acknowledges
once the office confirmed; a stranger does not see the list (404 before 403 before 409).
"""
from datetime import datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from app import clock, db
from app.files.rules import attach_generated
from app.models import Assignment, EnterpriseUser, Officer, User
from app.recall import handover as handovers, rules
from app.recall.models import Handover, RecallCase
from conftest import api_token

OFFICE = {"office", "director"}


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def officer(name):
    return db.session.scalar(select(Officer).where(Officer.user_id == user(name).id))


def ent_login(enterprise_id):
    uid = db.session.scalar(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == enterprise_id))
    return db.session.get(User, uid).username


def build(out_name, in_name, state, effective=None, handover_state="draft"):
    """A case of ``out_name``'s first chief assignment handed to ``in_name`` in ``state``, through app.recall."""
    office, director = user("office"), user("director")
    out, inc = officer(out_name), officer(in_name)
    chief = db.session.scalar(select(Assignment).where(Assignment.officer_id == out.id, Assignment.role == "chief",
                                                       Assignment.is_current).order_by(Assignment.enterprise_id).limit(1))
    effective = effective or clock.today() + timedelta(days=7)
    case = rules.create_case(office, out.id, "post_change", replacement=inc.id, effective_on=effective,
                             assignments=[chief.id])
    att = attach_generated("recall", case.id, "组织部意见.docx", b"PK opinion", actor=office)
    db.session.flush()
    rules.transition(office, case.id, "consult", {"consulted_on": clock.today().isoformat(), "opinion": "同意",
                                                  "file": str(att.id)})
    if state == "cancelled":
        rules.transition(office, case.id, "cancel", {"reason": "情况变化"})
    if state in ("submitted", "approved", "due", "applied"):
        rules.transition(office, case.id, "submit", {})
    if state in ("approved", "due", "applied"):
        rules.transition(director, case.id, "approve", {})
        h = case.handovers[0]
        walk(h, "confirmed" if state in ("due", "applied") else handover_state)
    db.session.commit()
    return case


def walk(h, target):
    order = ["draft", "out_signed", "in_signed", "confirmed", "acknowledged"]
    for item in list(h.items):
        handovers.transition(db.session.get(User, h.outgoing.user_id), h.id, "note",
                             {"item": str(item.id), "note": "已与企业当面核对"})
    steps = {"out_signed": (h.outgoing.user_id, "sign_out"), "in_signed": (h.incoming.user_id, "sign_in"),
             "confirmed": (user("office").id, "confirm"), "acknowledged": (None, "acknowledge")}
    for state in order[1:order.index(target) + 1]:
        who, name = steps[state]
        actor = db.session.get(User, who) if who else user(ent_login(h.enterprise_id))
        handovers.transition(actor, h.id, name, {})


# --- recall cases ---------------------------------------------------------------------------------

STATES = ["draft", "submitted", "approved", "due", "applied", "cancelled"]
STATUS_OF = {"due": "approved"}  # "due": approved, every list confirmed, the effective date reached
OUTGOING = {"draft": "officer02", "submitted": "officer03", "approved": "officer04", "due": "officer05",
            "applied": "officer06", "cancelled": "officer07"}
USERS = ["office", "director", "leader", "officer02", "officer11", "officer01", "ent01", "dept01"]
RULES = {
    "submit": (OFFICE, {"draft"}),
    "approve": ({"director"}, {"submitted"}),  # the approver: the director unless the office named leaders
    "return": ({"director"}, {"submitted"}),
    "apply": (OFFICE, {"due"}),  # effective date reached and every list confirmed
    "cancel": (OFFICE, {"draft", "submitted", "approved", "due"}),
    "edit": (OFFICE, {"draft", "submitted"}),
    "consult": (OFFICE, {"draft", "submitted"}),
    "add_evidence": (OFFICE, {"draft", "submitted"}),
}
WRITERS = {"office", "director", "leader"}  # can_write on RecallCase (leaders: for when they approve)
AFTER = {"submit": "submitted", "approve": "approved", "return": "draft", "apply": "applied", "cancel": "cancelled"}


def expected(who, action, state):
    allowed, states = RULES[action]
    if who not in WRITERS:
        return 403
    if who not in allowed:
        return 403  # office, director and leaders all see every case
    return 200 if state in states else 409


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in {*USERS, "officer09", "officer12"}}


@pytest.fixture(scope="module")
def cases(checker):
    with checker.app_context():
        built = {}
        for state in STATES:
            case = build(OUTGOING[state], "officer11", state,
                         effective=clock.today() if state == "applied" else None)
            att = attach_generated("recall", case.id, "补充意见.docx", b"PK more", actor=user("office"))
            db.session.commit()
            built[state] = (case.id, att.id)
            assert case.status == ("applied" if state == "applied" else STATUS_OF.get(state, state))
        db.session.remove()
    return built


def params_for(action, file_id):
    return {"return": {"reason": "依据不足"}, "cancel": {"reason": "改派"}, "edit": {"reason_text": "补充情况说明"},
            "consult": {"consulted_on": clock.today().isoformat(), "opinion": "同意调整", "file": file_id},
            "add_evidence": {"kind": "other", "text": "电话回访记录"}}.get(action, {})


CASES = [(a, s, u) for a in RULES for s in STATES for u in USERS]


@pytest.mark.parametrize("action,state,who", CASES)
def test_recall_matrix(ctx, client, tokens, cases, action, state, who):
    pk, file_id = cases[state]
    before_status = db.session.get(RecallCase, pk).status
    before = len(db.session.get(RecallCase, pk).events)
    later = datetime.combine(clock.today() + timedelta(days=7), datetime.min.time()).replace(hour=9)
    with clock.at(later):  # the effective date of the fixtures
        resp = client.post(f"/api/v1/recall/{pk}/transition", headers=tokens[who],
                           json={"action": action, **params_for(action, file_id)})
    want = expected(who, action, state)
    assert resp.status_code == want, (resp.get_json(), want)
    db.session.expire_all()
    case = db.session.get(RecallCase, pk)
    if want == 200:
        assert resp.get_json()["result"]["status"] == case.status == AFTER.get(action, before_status)
        assert case.events[-1].action == action and len(case.events) == before + 1
    else:
        assert resp.get_json()["message"]
        assert case.status == before_status and len(case.events) == before


def test_leader_approves_when_the_office_says_so(ctx, client, tokens, cases):
    from conftest import login

    login(client, "office")
    assert client.post("/recall/settings", data={"approver": "leader"}).status_code == 302
    pk = cases["submitted"][0]
    refused = client.post(f"/api/v1/recall/{pk}/transition", headers=tokens["director"], json={"action": "approve"})
    assert refused.status_code == 403
    ok = client.post(f"/api/v1/recall/{pk}/transition", headers=tokens["leader"], json={"action": "approve"})
    assert ok.status_code == 200 and ok.get_json()["result"]["status"] == "approved"
