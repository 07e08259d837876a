"""Every action × state × role of the 代办 case through POST /api/v1/proxy_case/<id>/transition.

Expectations are written from the rules (issue 15 items 4-5, docs/proxy.md), not read from app.proxy:
the case's officer (officer01, chief of ent01's enterprise) schedules, collects materials, starts and
works the steps; the enterprise (ent01) confirms the power of attorney and the delivery; the office
monitors (urgent, suspend, terminate, reassign, open a problem); a department (dept01) records the
result of the step addressed to it. Who sees the case at all: the office, leaders, officer01, ent01,
and dept01 once a step is addressed to it; 403 (no write permission) before 404 (out of scope) before
403 (not their action) before 409 (state or rule) before 422 (parameters).

The case asks for three items — A (dept01), B and C (dept02) — and the enterprise authorises A and B
only, so ``add_step`` of C is refused by the authorisation (409) wherever the officer may add steps.
"""
from datetime import datetime, time, timedelta

import pytest
from flask import current_app

from app import clock, db, workdays
from app.proxy import catalogue, rules
from app.proxy.models import ProxyCase
from conftest import api_token
from world import department_of_login, enterprise_of_login, officer_of

STATES = ["requested", "scheduled", "authorized", "in_progress", "done", "delivered", "suspended", "terminated",
          "cancelled"]
USERS = ["office", "leader", "officer01", "officer02", "ent01", "ent02", "dept01", "dept03"]
KINDS = {"office": {"office"}, "officer01": {"officer"}, "ent01": {"enterprise"}, "dept01": {"department"}}
RUNNING = {"scheduled", "authorized", "in_progress"}
OPEN = {"requested", "scheduled", "authorized", "in_progress", "done", "suspended"}
RULES = {
    "schedule": ({"officer"}, {"requested", "scheduled"}),
    "receive": ({"officer"}, RUNNING),
    "tell_missing": ({"officer"}, RUNNING),
    "authorize": ({"enterprise", "officer"}, {"scheduled"}),
    "renew": ({"enterprise", "officer"}, {"authorized", "in_progress"}),
    "start": ({"officer"}, {"authorized"}),
    "add_step": ({"officer"}, {"authorized", "in_progress"}),
    "submit_step": ({"officer"}, {"in_progress"}),
    "complete_step": ({"officer", "department"}, {"in_progress"}),
    "open_issue": ({"officer", "office"}, {"in_progress"}),
    "finish": ({"officer"}, {"in_progress"}),
    "confirm_delivery": ({"enterprise"}, {"done"}),
    "mark_urgent": ({"officer", "office"}, {"requested"} | RUNNING),
    "suspend": ({"officer", "office"}, RUNNING),
    "resume": ({"officer", "office"}, {"suspended"}),
    "terminate": ({"officer", "office"}, RUNNING | {"suspended"}),
    "cancel": ({"enterprise", "officer", "office"}, {"requested", "scheduled"}),
    "reassign": ({"office"}, OPEN),
}
# allowed by role and state, refused by a rule of the case itself
RULE_REFUSALS = {
    ("tell_missing", "officer01"): 409,  # every material is in: nothing to tell
    ("add_step", "officer01"): 409,  # item C is outside the authorisation
    ("open_issue", "officer01"): 409, ("open_issue", "office"): 409,  # step A is not overdue
    ("finish", "officer01"): 409,  # step B has no result yet
    ("authorize", "officer01"): 422, ("renew", "officer01"): 422,  # the officer needs the signed scan
}
AFTER = {"schedule": "scheduled", "authorize": "authorized", "start": "in_progress", "confirm_delivery": "delivered",
         "suspend": "suspended", "resume": "scheduled", "terminate": "terminated", "cancel": "cancelled"}


def sees(user, state):
    if user in ("office", "leader", "officer01", "ent01"):
        return True
    return user == "dept01" and state in ("in_progress", "done", "delivered")  # a step addressed to it


def expected(user, action, state):
    who, states = RULES[action]
    if user == "leader":
        return 403  # reads only: no write permission on ProxyCase
    if not sees(user, state):
        return 404
    if not KINDS.get(user, set()) & who:
        return 403
    if state not in states:
        return 409
    return RULE_REFUSALS.get((action, user), 200)


def _user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def appointment():
    return datetime.combine(workdays.add_workdays(clock.today(), 2), time(10, 0)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture(scope="module")
def world(checker):
    with checker.app_context():
        office = _user("office")
        a = catalogue.save_item(office, {"name": "矩阵事项A", "department": department_of_login("dept01"), "time_limit": 3,
                                         "limit_kind": "working", "materials": "申请表\n营业执照"})
        b = catalogue.save_item(office, {"name": "矩阵事项B", "department": department_of_login("dept02"),
                                         "time_limit": 10, "limit_kind": "calendar", "materials": "承诺书"})
        c = catalogue.save_item(office, {"name": "矩阵事项C", "department": department_of_login("dept02"), "time_limit": 5})
        ent = enterprise_of_login("ent01")
        other = [o.id for o in rules._serving_officers(ent) if o.id != officer_of("officer01").id]
        built = {"items": (a.id, b.id, c.id), "liaison": other[0] if other else None}
        for state in STATES:
            built[state] = make_case(state, a.id, b.id, c.id)
        db.session.commit()
        db.session.remove()
    return built


def make_case(state, a, b, c):
    u = {n: _user(n) for n in ("office", "officer01", "ent01", "dept01")}
    case = rules.create_case(u["ent01"], {"title": f"矩阵 {state}", "items": [a, b, c]})

    def act(who, name, **params):
        rules.transition(u[who], case.id, name, params)

    at = STATES.index(state)
    if state == "cancelled":
        act("ent01", "cancel", reason="企业自行办理")
    elif state != "requested":
        act("officer01", "schedule", appointment_at=appointment(), mode="visit")
        act("officer01", "receive", received=[0, 1, 2])
        if state == "suspended":
            act("officer01", "suspend", reason="withdrawn")
        elif state == "terminated":
            act("office", "terminate", reason="not_eligible")
        elif at >= STATES.index("authorized"):
            act("ent01", "authorize", items=[a, b], until=(clock.today() + timedelta(days=30)).isoformat())
    steps = {}
    if state in ("in_progress", "done", "delivered"):
        act("officer01", "start")
        steps = {s.item_id: s.id for s in case.steps}
        act("officer01", "submit_step", step=steps[a], acceptance_no="SL-A")
    if state in ("done", "delivered"):
        act("dept01", "complete_step", step=steps[a], result_no="R-A")
        act("officer01", "submit_step", step=steps[b], acceptance_no="SL-B")
        act("officer01", "complete_step", step=steps[b], result_no="R-B")
        act("officer01", "finish")
    if state == "delivered":
        act("ent01", "confirm_delivery", met_department="no", met_counterparty="no")
    assert case.status == state, (state, case.status)
    return {"id": case.id, "A": steps.get(a), "B": steps.get(b)}


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in USERS}


def params_for(action, case, world):
    a, b, c = world["items"]
    future = (clock.today() + timedelta(days=60)).isoformat()
    return {
        "schedule": {"appointment_at": appointment(), "mode": "online"}, "receive": {"received": [0, 1, 2]},
        "authorize": {"items": [a, b], "until": future}, "renew": {"until": future}, "add_step": {"item": c},
        "submit_step": {"step": case["B"], "acceptance_no": "SL-B2"},
        "complete_step": {"step": case["A"], "result_no": "R-A2"}, "open_issue": {"step": case["A"]},
        "confirm_delivery": {"met_department": "no", "met_counterparty": "yes"}, "mark_urgent": {"reason": "工期紧"},
        "suspend": {"reason": "withdrawn"}, "terminate": {"reason": "other", "note": "企业另行办理"},
        "cancel": {"reason": "企业自行办理"}, "reassign": {"officer": world["liaison"]},
    }.get(action, {})


CASES = [(a, s, u) for a in RULES for s in STATES for u in USERS]


@pytest.mark.parametrize("action,state,user", CASES)
def test_proxy_matrix(ctx, client, world, tokens, action, state, user):
    if action == "reassign" and world["liaison"] is None:
        pytest.skip("the demo enterprise has a single serving officer")
    case = world[state]
    pk = case["id"]
    before = len(db.session.get(ProxyCase, pk).events)
    resp = client.post(f"/api/v1/proxy_case/{pk}/transition", headers=tokens[user],
                       json={"action": action, **params_for(action, case, world)})
    want = expected(user, action, state)
    assert resp.status_code == want, (resp.get_json(), want)
    db.session.expire_all()
    row = db.session.get(ProxyCase, pk)
    if want == 200:
        assert resp.get_json()["result"]["status"] == row.status == AFTER.get(action, state)
        assert row.events[-1].action == action and len(row.events) == before + 1
    else:
        assert resp.get_json()["message"]
        assert row.status == state and len(row.events) == before
