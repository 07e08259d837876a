"""The assessment cycle's action × state × role matrix through POST /api/v1/assessment_cycle/<id>/transition,
each rule type at its boundaries (the rule library), and the accountability ladder.

Expectations from the rules (issue 13 item 7): the office computes (open, computed, reopened), freezes
(computed), reviews (frozen), publishes (reviewed) and closes the appeal window (published); only the
director reopens (frozen, reviewed, published, closed) and needs a reason; leaders read only; officers,
units and enterprises have no write permission on cycles at all.
"""
from types import SimpleNamespace

import pytest

from app import db
from app.assessments import scoring
from app.assessments.metrics import Value
from conftest import api_token

STATES = ["open", "computed", "frozen", "reviewed", "published", "closed", "reopened"]
USERS = ["office", "director", "leader", "officer01", "dept01"]
OFFICE = {"office", "director"}
RULES = {
    "compute": (OFFICE, {"open", "computed", "reopened"}),
    "freeze": (OFFICE, {"computed"}),
    "review": (OFFICE, {"frozen"}),
    "publish": (OFFICE, {"reviewed"}),
    "close": (OFFICE, {"published"}),
    "reopen": ({"director"}, {"frozen", "reviewed", "published", "closed"}),
}


def expected(user, action, state):
    who, states = RULES[action]
    if user not in OFFICE:
        return 403  # no write permission on cycles: refused before the row is looked at
    if user not in who:
        return 403
    return 200 if state in states else 409


@pytest.fixture(scope="module")
def cycle_id(app):
    """The demo's computed officer cycle of the current quarter on a scheme without manual items."""
    from app.assessments import cycles, schemes

    with app.app_context():
        s = schemes.create(None, "矩阵方案", "officer", "quarter", None, [
            {"dimension": "效率", "name": "按期办结", "max_points": 100, "rule": "ratio_linear", "metric": "on_time_rate",
             "params": {"floor": 0, "target": 100}}])
        schemes.activate(None, s.id)
        cycle = cycles.open_cycle(None, "2026Q3", "officer")
        cycles.compute(cycle)
        db.session.commit()
        cid = cycle.id
        db.session.remove()
    return cid


@pytest.mark.parametrize("state", STATES)
def test_cycle_matrix(app, client, cycle_id, state):
    from app.assessments.models import AssessmentCycle

    tokens = {u: api_token(client, u) for u in USERS}
    for action in RULES:
        for user in USERS:
            with app.app_context():
                c = db.session.get(AssessmentCycle, cycle_id)
                c.status, c.appeal_due = state, None
                db.session.commit()
                db.session.remove()
            body = {"action": action, **({"reason": "复核发现计分口径有误"} if action == "reopen" else {})}
            resp = client.post(f"/api/v1/assessment_cycle/{cycle_id}/transition", json=body, headers=tokens[user])
            assert resp.status_code == expected(user, action, state), (user, action, state, resp.get_json())


def test_reopen_needs_a_reason_and_is_logged(app, client, cycle_id):
    from app.assessments.models import AssessmentCycle, AssessmentCycleEvent

    with app.app_context():
        c = db.session.get(AssessmentCycle, cycle_id)
        c.status = "published"
        db.session.commit()
    director = api_token(client, "director")
    resp = client.post(f"/api/v1/assessment_cycle/{cycle_id}/transition", json={"action": "reopen"}, headers=director)
    assert resp.status_code == 422
    resp = client.post(f"/api/v1/assessment_cycle/{cycle_id}/transition", json={"action": "reopen", "reason": "口径调整"},
                       headers=director)
    assert resp.status_code == 200 and resp.get_json()["result"]["reopen_reason"] == "口径调整"
    with app.app_context():
        ev = db.session.query(AssessmentCycleEvent).filter_by(cycle_id=cycle_id, action="reopen").one()
        assert ev.note == "口径调整" and ev.actor_name


# --- the rule library at its boundaries ---------------------------------------------------------

def item(rule, max_points=10, dimension="效率", **params):
    return SimpleNamespace(rule=rule, max_points=max_points, dimension=dimension, params=params)


def val(raw, n=10, sufficient=True, **kw):
    return Value(raw=raw, n=n, text="", sufficient=sufficient, **kw)


def points(it, values):
    return {k: v[0] for k, v in scoring.score_item(it, values).items()}


def test_ratio_linear_boundaries():
    it = item("ratio_linear", 20, floor=60, target=95)
    got = points(it, {1: val(60), 2: val(59.9), 3: val(95), 4: val(100), 5: val(77.5)})
    assert got == {1: 0.0, 2: 0.0, 3: 20.0, 4: 20.0, 5: 10.0}


def test_threshold_band_boundaries():
    it = item("threshold_band", 20, bands=[[95, 20], [85, 10]])
    assert points(it, {1: val(95), 2: val(94.9), 3: val(85), 4: val(84.9)}) == {1: 20, 2: 10, 3: 10, 4: 0}


def test_per_event_caps():
    deduct = item("per_event", 10, dimension="质量", weights={"late_report": -1, "urged_missing": -3})
    got = points(deduct, {1: val(0, counts={}), 2: val(2, counts={"late_report": 2}),
                          3: val(4, counts={"urged_missing": 4})})
    assert got == {1: 10.0, 2: 8.0, 3: 0.0}  # from the maximum, never below 0
    minus = item("per_event", 6, dimension="扣分", per=-3)
    assert points(minus, {1: val(1), 2: val(2), 3: val(3)}) == {1: -3.0, 2: -6.0, 3: -6.0}  # capped at −max
    plus = item("per_event", 5, dimension="加分", per=2)
    assert points(plus, {1: val(2), 2: val(3)}) == {1: 4.0, 2: 5.0}


def test_rank_points_ties():
    it = item("rank_points", 10, first=10, step=3)
    got = points(it, {1: val(90), 2: val(80), 3: val(80), 4: val(70), 5: val(10)})
    assert got == {1: 10, 2: 7, 3: 7, 4: 1, 5: 0}  # ranks 1, 2, 2, 4, 5: 10, 7, 7, 1, max(−2, 0)


def test_minimum_sample_and_no_data():
    it = item("ratio_linear", 10, floor=0, target=100)
    got = scoring.score_item(it, {1: val(50), 2: val(100), 3: val(None, n=2, sufficient=False)})
    assert got[3][:2] == (7.5, "insufficient")  # the median of 5 and 10
    nobody = scoring.score_item(it, {1: val(None, sufficient=False), 2: Value(no_data=True)})
    assert {v[1] for v in nobody.values()} == {"no_data"}
    # a no-data item is left out and the ordinary items are rescaled to 100
    a, b = item("ratio_linear", 60), item("ratio_linear", 40)
    assert scoring.total([(a, 30, "ok"), (b, None, "no_data")]) == (50.0, False)


def test_veto_forces_fail():
    from app.assessments import settings

    it = item("veto", 0, dimension="纪律")
    got = scoring.score_item(it, {1: val(1), 2: val(0)})
    assert got[1][1] == "veto" and got[2][1] == "ok"
    score, vetoed = scoring.total([(item("manual", 100), 95, "ok"), (it, 0.0, "veto")])
    assert (score, vetoed) == (95.0, True)
    assert settings.grade(score, vetoed, settings.AssessmentSettings()) == "不合格"
    s = settings.AssessmentSettings()
    assert [settings.grade(x, False, s) for x in (90, 89.99, 80, 79.99, 60, 59.99)] == ["优秀", "良好", "良好", "合格", "合格", "不合格"]


# --- the ladder ------------------------------------------------------------------------------------

def test_ladder_case_steps(app, client, cycle_id):
    """Publishing a quarter opens a case for every 不合格; the case walks report → no progress → request → closed."""
    from app.assessments.models import AssessmentCase, AssessmentCycle

    office = api_token(client, "office")
    with app.app_context():
        c = db.session.get(AssessmentCycle, cycle_id)
        c.status = "reviewed"
        fail = sum(1 for a in c.assessments if a.grade == "不合格")
        db.session.commit()
    resp = client.post(f"/api/v1/assessment_cycle/{cycle_id}/transition", json={"action": "publish"}, headers=office)
    assert resp.status_code == 200
    with app.app_context():
        cases = db.session.query(AssessmentCase).filter_by(cycle_id=cycle_id).all()
        assert len(cases) >= fail > 0
        case_id = cases[0].id
    from conftest import login

    login(client, "office")
    for action, status in (("report", "reported"), ("no_progress", "no_progress"), ("request", "requested"),
                           ("close", "closed")):
        resp = client.post(f"/assessments/cases/{case_id}/act", data={"action": action, "note": f"{action}说明"})
        assert resp.status_code == 302
        with app.app_context():
            case = db.session.get(AssessmentCase, case_id)
            assert case.status == status
    with app.app_context():
        case = db.session.get(AssessmentCase, case_id)
        assert case.reported_on and case.follow_up_due > case.reported_on and case.requested_on and case.closed_on
    login(client, "officer01")
    assert client.get(f"/assessments/cases/{case_id}").status_code in (302, 403, 404)
