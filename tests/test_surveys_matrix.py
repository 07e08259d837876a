"""The bad-review case (差评件): every action × state × role through POST /api/v1/bad_review/<id>/transition,
and who sees survey rows on every path (list, show, REST) — written from the issue's rules, not the code.

Rules (issue 13 item 3, 国办发〔2019〕51号 申诉复核): the office verifies (待核实 → 整改中, 15 working days), the
rated party (or the office) reports the rectification (→ 待回访), the office calls back (→ 已办结, or back to
整改中); the rated party may appeal once within 3 working days from 待核实/整改中/待回访 (→ 申诉中) and the
director decides (成立 → 已剔除, kept visible; 不成立 → back). Leaders read; enterprises see no case; units
and officers see only the cases about themselves."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock, db, stats
from app.models import Officer
from app.surveys import rules
from app.surveys.models import BadReview, SurveyRequest
from app.workdays import add_workdays
from conftest import api_token, login
from test_surveys import clear, levels_by, user
from world import department_of_login, enterprise_of_login

STATES = ["open", "rectifying", "rectified", "closed", "appealed", "excluded"]
USERS = ["office", "director", "leader", "dept01", "dept02", "officer01", "ent01"]
RATED = "dept01"  # the case is about dept01's unit
RULES = {
    "verify": ({"office", "director"}, {"open"}),
    "rectify": ({"office", "director", RATED}, {"rectifying"}),
    "callback": ({"office", "director"}, {"rectified"}),
    "callback_failed": ({"office", "director"}, {"rectified"}),
    "appeal": ({RATED}, {"open", "rectifying", "rectified"}),
    "uphold": ({"director"}, {"appealed"}),
    "reject_appeal": ({"director"}, {"appealed"}),
}
PARAMS = {"verify": {"verification": "经核实属实"}, "rectify": {"rectification": "已整改"},
          "callback": {"callback": "企业满意"}, "callback_failed": {"callback": "仍不满意"},
          "appeal": {"reason": "企业误评"}, "uphold": {"decision": "申诉成立"}, "reject_appeal": {"decision": "申诉不成立"}}
AFTER = {"verify": "rectifying", "rectify": "rectified", "callback": "closed", "callback_failed": "rectifying",
         "appeal": "appealed", "uphold": "excluded", "reject_appeal": "rectifying"}
WRITERS = {"office", "director", "dept01", "dept02", "officer01"}  # write permission on BadReview (app roles)


def sees(who):
    return who in ("office", "director", "leader", RATED)


def expected(who, action, state):
    allowed, states = RULES[action]
    if who not in WRITERS:
        return 403
    if not sees(who):
        return 404
    if who not in allowed:
        return 403
    return 200 if state in states else 409


def _case_about_dept01():
    """A quarterly answer from ent01 with 不满意 about dept01's unit only (the officer rated 满意)."""
    ent = enterprise_of_login("ent01")
    clear(ent)
    dept = department_of_login("dept01")
    created, _ = rules.create_quarterly(stats.parse_period(stats.period("quarter", clock.today()).key), user("office"),
                                        only={ent})
    req = created[0]
    req.targets = {"officer": req.targets["officer"], "department": [dept]}
    db.session.flush()
    rules.submit(user("office"), req, levels_by(req, lambda it: 2 if it["target_type"] == "department" else 4), "phone")
    db.session.commit()
    return db.session.scalar(select(BadReview).where(BadReview.request_id == req.id))


def _put(case, state):
    case.status = state
    if state in ("rectifying", "rectified", "closed"):
        case.verified_at, case.due_on = clock.utcnow(), clock.today() + timedelta(days=21)
    if state in ("appealed", "excluded"):
        case.appealed_at, case.appeal_from, case.appeal_reason = clock.utcnow(), "open", "误评"
    case.excluded = state == "excluded"
    db.session.commit()
    return case


@pytest.fixture(scope="module")
def case_id(app):
    with app.app_context():
        case_id = _case_about_dept01().id
        db.session.remove()
    return case_id


@pytest.fixture(scope="module")
def tokens(app):
    c = app.test_client()
    return {u: api_token(c, u) for u in USERS}


CASES = [(a, s, u) for a in RULES for s in STATES for u in USERS]


@pytest.mark.parametrize("action,state,who", CASES, ids=[f"{a}-{s}-{u}" for a, s, u in CASES])
def test_bad_review_matrix(case_id, ctx, client, tokens, action, state, who):
    case = _put(db.session.get(BadReview, case_id), state)
    r = client.post(f"/api/v1/bad_review/{case.id}/transition", headers=tokens[who],
                    json={"action": action, "version": case.version, **PARAMS[action]})
    want = expected(who, action, state)
    assert r.status_code == want, (r.status_code, r.get_json())
    db.session.expire_all()
    after = db.session.get(BadReview, case.id)
    if want == 200:
        assert after.status == AFTER[action]
        if action == "uphold":
            assert after.excluded is True
    else:
        assert after.status == state


def test_appeal_window_is_three_working_days_and_once(ctx, client):
    case = _case_about_dept01()
    headers = api_token(client, "dept01")
    assert case.appeal_due == add_workdays(clock.local(case.opened_at).date(), 3)
    with clock.at(clock.now() + timedelta(days=10)):
        late = client.post(f"/api/v1/bad_review/{case.id}/transition", headers=headers,
                           json={"action": "appeal", "version": case.version, "reason": "误评"})
    assert late.status_code == 409 and "申诉期已过" in late.get_json()["message"]
    ok = client.post(f"/api/v1/bad_review/{case.id}/transition", headers=headers,
                     json={"action": "appeal", "version": case.version, "reason": "误评"})
    assert ok.status_code == 200
    rejected = client.post(f"/api/v1/bad_review/{case.id}/transition", headers=api_token(client, "director"),
                           json={"action": "reject_appeal", "version": case.version + 1, "decision": "不成立"})
    assert rejected.status_code == 200 and rejected.get_json()["result"]["status"] == "rectifying"
    assert rejected.get_json()["result"]["due_on"]  # verified by the decision: 15 working days start
    again = client.post(f"/api/v1/bad_review/{case.id}/transition", headers=headers,
                        json={"action": "appeal", "version": case.version + 2, "reason": "再次申诉"})
    assert again.status_code == 409 and "只能申诉一次" in again.get_json()["message"]


def test_excluded_case_stays_visible_as_excluded(ctx, client):
    case = _put(_case_about_dept01(), "appealed")
    r = client.post(f"/api/v1/bad_review/{case.id}/transition", headers=api_token(client, "director"),
                    json={"action": "uphold", "version": case.version, "decision": "误评"})
    assert r.status_code == 200
    listed = client.get("/api/v1/bad_review/?status=excluded", headers=api_token(client, "office")).get_json()
    assert case.id in [c["id"] for c in listed["result"]] and all(c["excluded"] for c in listed["result"])
    login(client, "dept01")
    page = client.get(f"/surveys/bad_reviews/{case.id}").get_data(as_text=True)
    assert "已剔除" in page and "不计入满意率" in page


# --- scope: who sees which rows on every path ---------------------------------------------------------

@pytest.fixture()
def world(ctx):
    """ent01's quarterly answer (a bad one about dept01), ent02's open request, an inspection."""
    case = _case_about_dept01()
    ent02 = enterprise_of_login("ent02")
    clear(ent02)
    other, _ = rules.create_quarterly(stats.period("quarter", clock.today()), user("office"), only={ent02})
    officer = db.session.scalars(select(Officer.id).order_by(Officer.id)).first()
    from app.surveys import inspections

    insp = inspections.record(user("office"), {"subject_type": "officer", "officer": officer, "method": "phone",
                                               "day": clock.today().isoformat(), "efficiency": 4, "quality": 4,
                                               "level": 4, "effect": 4, "findings": "抽查"})
    db.session.commit()
    return {"own": case.request_id, "other": other[0].id, "case": case.id, "inspection": insp.id}


READ_REQUESTS = {"office": "all", "director": "all", "leader": "all", "ent01": "own", "ent02": "other",
                 "officer01": None, "dept01": None}


@pytest.mark.parametrize("who", list(READ_REQUESTS))
def test_survey_request_scope_on_list_show_and_rest(world, client, who):
    headers = api_token(client, who)
    want = READ_REQUESTS[who]
    listed = client.get("/api/v1/survey_request/?page_size=500", headers=headers)
    own = client.get(f"/api/v1/survey_request/{world['own']}", headers=headers)
    if want is None:  # officers and units: no raw answers, no requests at all (403 on every path)
        assert listed.status_code == 403 and own.status_code == 403
        login(client, who)
        assert client.get(f"/surveys/requests/{world['own']}").status_code in (302, 403)
        return
    ids = {r["id"] for r in listed.get_json()["result"]}
    if want == "all":
        assert {world["own"], world["other"]} <= ids
        assert own.status_code == 200 and own.get_json()["result"]["response"]["answers"]
    elif want == "own":
        assert world["own"] in ids and world["other"] not in ids
        assert own.status_code == 200 and own.get_json()["result"]["response"]["answers"]
        assert client.get(f"/api/v1/survey_request/{world['other']}", headers=headers).status_code == 404
    else:
        assert world["other"] in ids and world["own"] not in ids
        assert own.status_code == 404
    login(client, who)
    page = client.get(f"/surveys/requests/{world['own']}")
    assert page.status_code == (200 if want in ("all", "own") else 404)


READ_CASES = {"office": True, "director": True, "leader": True, "dept01": True, "dept02": False, "officer01": False,
              "ent01": None}


@pytest.mark.parametrize("who", list(READ_CASES))
def test_bad_review_scope(world, client, who):
    headers = api_token(client, who)
    listed = client.get("/api/v1/bad_review/", headers=headers)
    one = client.get(f"/api/v1/bad_review/{world['case']}", headers=headers)
    login(client, who)
    page = client.get(f"/surveys/bad_reviews/{world['case']}")
    if READ_CASES[who] is None:  # enterprises: no permission at all
        assert listed.status_code == 403 and one.status_code == 403 and page.status_code in (302, 403)
        return
    assert (world["case"] in {c["id"] for c in listed.get_json()["result"]}) is READ_CASES[who]
    assert one.status_code == (200 if READ_CASES[who] else 404)
    assert page.status_code == (200 if READ_CASES[who] else 404)


@pytest.mark.parametrize("who", USERS)
def test_inspections_are_the_offices(world, client, who):
    listed = client.get("/api/v1/inspection/", headers=api_token(client, who))
    if who in ("office", "director", "leader"):
        assert world["inspection"] in {r["id"] for r in listed.get_json()["result"]}
    else:
        assert listed.status_code == 403


def test_rated_parties_never_read_raw_answers_only_their_own_rates(world, client):
    """dept01 is rated in ent01's answer: it reads its own aggregated row, never the answers, and never
    another unit's row; the office reads every row."""
    dept = department_of_login("dept01")
    login(client, "dept01")
    page = client.get("/surveys/results/").get_data(as_text=True)
    assert f'data-id="department-{dept}"' in page
    assert set(re.findall(r'data-id="([a-z]+-\d+)"', page)) == {f"department-{dept}"}
    case_page = client.get(f"/surveys/bad_reviews/{world['case']}").get_data(as_text=True)
    assert "查看答卷" not in case_page  # the case names the dimension and level, the answer sheet stays hidden
    assert client.get(f"/surveys/requests/{world['own']}").status_code in (302, 403)
    officer_user = db.session.get(Officer, db.session.get(SurveyRequest, world["own"]).targets["officer"][0]).user
    login(client, officer_user.username)
    page = client.get("/surveys/results/").get_data(as_text=True)
    assert f'data-id="department-{dept}"' not in page
    assert set(re.findall(r'data-id="([a-z]+)-', page)) == {"officer"}
    login(client, "office")
    page = client.get("/surveys/results/").get_data(as_text=True)
    assert f'data-id="department-{dept}"' in page
    xlsx = client.get("/surveys/results/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_every_survey_screen_answers_for_its_roles(world, client):
    for who, paths in {
        "office": ["/surveys/", "/surveys/results/", "/surveys/bad_reviews/", "/surveys/inspections/",
                   "/surveys/templates/", f"/surveys/requests/{world['own']}", f"/surveys/requests/{world['other']}",
                   f"/surveys/bad_reviews/{world['case']}", "/surveys/results/?period=2026-11"],
        "leader": ["/surveys/", "/surveys/results/", "/surveys/bad_reviews/", "/surveys/inspections/",
                   "/surveys/templates/"],
        "ent02": ["/surveys/", f"/surveys/requests/{world['other']}"],
        "officer01": ["/surveys/results/", "/surveys/bad_reviews/"],
    }.items():
        login(client, who)
        for path in paths:
            assert client.get(path).status_code == 200, (who, path)
    login(client, "office")
    assert client.get("/surveys/results/?period=bad").status_code == 302
    assert client.get("/surveys/?status=nope").status_code == 302
    assert client.get("/api/v1/survey_request/?status=nope", headers=api_token(client, "office")).status_code == 400
    login(client, "leader")  # leaders read: no write forms offered
    assert "cso-quarter" not in client.get("/surveys/").get_data(as_text=True)
    assert "cso-inspection-form" not in client.get("/surveys/inspections/").get_data(as_text=True)


def test_own_ratings_readable_only_after_the_assessments_publish_the_period(world, client):
    """Before publication a rated unit reads no raw rating; once the 2026Qn department cycle is published
    it reads its own four ratings of that period (no enterprise name), and an officer still none."""
    from app.assessments.models import AssessmentCycle, AssessmentScheme

    key = stats.period("quarter", clock.today()).key
    login(client, "dept01")
    assert "尚无已公布的考核期" in client.get("/surveys/results/mine").get_data(as_text=True)
    cycle = db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.subject == "department",
                                                            AssessmentCycle.period == key))
    if cycle is None:  # the demo may hold the quarter's cycle already (not published)
        scheme = AssessmentScheme(name="测试方案", subject="department", period_kind="quarter", version=99,
                                  status="active")
        db.session.add(scheme)
        db.session.flush()
        cycle = AssessmentCycle(scheme_id=scheme.id, subject="department", period=key)
        db.session.add(cycle)
    cycle.status, cycle.published_at = "published", clock.utcnow()  # as the assessments' publish leaves it
    db.session.commit()
    page = client.get("/surveys/results/mine").get_data(as_text=True)
    table = page.split(f'id="cso-mine-department-{key}"', 1)[1].split("</table>", 1)[0]
    from app.surveys.models import SurveyAnswer, SurveyResponse

    dept = department_of_login("dept01")
    answers = db.session.execute(select(SurveyAnswer.level).join(SurveyResponse).where(
        SurveyAnswer.target_type == "department", SurveyAnswer.target_id == dept, SurveyAnswer.level.is_not(None),
        stats.parse_period(key).has(SurveyResponse.submitted_at))).scalars().all()  # the world's four and the demo's
    assert table.count("<tr class=") == len(answers) >= 4
    assert table.count(">不满意<") == answers.count(2) >= 4  # the world rated the unit 不满意 on all four
    ent_name = db.session.get(SurveyRequest, world["own"]).enterprise.name
    assert ent_name not in page
    officer_user = db.session.get(Officer, db.session.get(SurveyRequest, world["own"]).targets["officer"][0]).user
    login(client, officer_user.username)
    assert "尚无已公布的考核期" in client.get("/surveys/results/mine").get_data(as_text=True)
    login(client, "dept02")  # another unit: only its own ratings of the period (none of the world's)
    other = db.session.execute(select(func.count()).select_from(SurveyAnswer).join(SurveyResponse).where(
        SurveyAnswer.target_type == "department", SurveyAnswer.target_id == department_of_login("dept02"),
        SurveyAnswer.level.is_not(None), stats.parse_period(key).has(SurveyResponse.submitted_at))).scalar()
    page = client.get("/surveys/results/mine").get_data(as_text=True)
    table = page.split(f'id="cso-mine-department-{key}"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr class=") == other


def test_each_step_puts_the_case_on_the_next_desk(ctx, client):
    """Opening tells the office and the rated unit; verify → the unit (rectify), rectify → the office
    (call back), appeal → the director (decide)."""
    from app.notifications.models import Notification

    case = _case_about_dept01()
    url = f"/surveys/bad_reviews/{case.id}"

    def told(username, words):
        titles = db.session.scalars(select(Notification.title).where(
            Notification.user_id == user(username).id, Notification.url == url)).all()
        return any(words in t for t in titles)

    assert told("office", "待核实") and told("dept01", "申诉")
    post = lambda who, body: client.post(f"/api/v1/bad_review/{case.id}/transition",  # noqa: E731
                                         headers=api_token(client, who), json=body)
    assert post("office", {"action": "verify", "version": 1, "verification": "属实"}).status_code == 200
    assert told("dept01", "待整改")
    assert post("dept01", {"action": "rectify", "version": 2, "rectification": "已整改"}).status_code == 200
    assert told("director", "待回访") or told("office", "待回访")
    assert post("dept01", {"action": "appeal", "version": 3, "reason": "误评"}).status_code == 200
    assert told("director", "申诉待复核")
