"""Satisfaction surveys (issue 13 items 1-4, 8, 10) through the public surfaces: the ledger's 办结 asks
for a close-out survey (fatigue limit, batching), the sweep reminds and expires (CLI), the one-time
link is single use and expires, the office records phone answers but a rated officer never records
about themself, raw answers stay hidden from the rated parties, a bad answer reworks the problem and
opens a case, the rates are checked against numbers worked out by hand, and each role's scope.

Expectations come from the rules in the issue and the national 好差评 practice (docs/surveys.md), not
from the code's output."""
import re
from datetime import date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import delete, select

from app import clock, db, ledger, stats
from app.models import Issue, Officer
from app.surveys import bad_reviews, metrics, rules
from app.surveys.models import BadReview, BadReviewEvent, Inspection, SurveyAnswer, SurveyRequest, SurveyResponse
from conftest import api_token, login
from world import department_of_login, enterprise_of_login

T0 = datetime(2026, 11, 2, 9, 0)  # a Monday, local time


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def clear(enterprise_id=None):
    """No survey rows (of one enterprise): each test builds its own small world."""
    reqs = select(SurveyRequest.id)
    if enterprise_id is not None:
        reqs = reqs.where(SurveyRequest.enterprise_id == enterprise_id)
    cases = select(BadReview.id).where(BadReview.request_id.in_(reqs))
    responses = select(SurveyResponse.id).where(SurveyResponse.request_id.in_(reqs))
    db.session.execute(delete(BadReviewEvent).where(BadReviewEvent.bad_review_id.in_(cases)))
    db.session.execute(delete(BadReview).where(BadReview.id.in_(cases)))
    db.session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(responses)))
    db.session.execute(delete(SurveyResponse).where(SurveyResponse.id.in_(responses)))
    db.session.execute(delete(SurveyRequest).where(SurveyRequest.id.in_(reqs)))
    db.session.commit()


def resolved_issue(dept_login="dept01", ent_login="ent01"):
    """A new problem of ent01's enterprise, transferred to dept01's unit and resolved there (the ledger)."""
    office, dept = user("office"), user(dept_login)
    issue = ledger.create_issue(office, enterprise_of_login(ent_login), "测试问题", "企业反映的测试问题。")
    ledger.transition(office, issue.id, "accept")
    ledger.transition(office, issue.id, "assign", {"department": str(department_of_login(dept_login))})
    ledger.transition(dept, issue.id, "acknowledge")
    ledger.transition(dept, issue.id, "resolve", {"result": "已协调解决。"})
    db.session.commit()
    return db.session.get(Issue, issue.id)


def closeouts(enterprise_id):
    return db.session.scalars(select(SurveyRequest).where(
        SurveyRequest.enterprise_id == enterprise_id, SurveyRequest.kind == "closeout").order_by(SurveyRequest.id)).all()


def all_levels(req, level):
    return {it["field"]: level for it in rules.form_items(req) if it["question"].qtype == "level5"}


def levels_by(req, fn):
    return {it["field"]: fn(it) for it in rules.form_items(req) if it["question"].qtype == "level5"}


# --- templates ------------------------------------------------------------------------------------

def test_default_template_is_the_notices_four_dimensions_for_officer_and_department(ctx):
    tpl = rules.active_template("quarterly")
    level = [(q.target, q.dimension) for q in tpl.questions if q.qtype == "level5"]
    assert level == [(t, d) for t in ("officer", "department") for d in ("服务态度", "工作效率", "政策落实", "问题解决")]
    assert [q.qtype for q in tpl.questions if q.target == "overall"] == ["text"]


def test_template_locked_once_answered_and_versions(ctx, client):
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        created, _ = rules.create_quarterly(stats.parse_period("2026Q4"), user("office"), only={ent})
        db.session.commit()
    req = created[0]
    tpl_id = req.template_id
    draft = rules.new_version(user("office"), tpl_id)
    db.session.commit()
    assert draft.status == "draft" and draft.version > req.template.version
    with clock.at(T0 + timedelta(days=1)):
        rules.submit(user("ent01"), req, all_levels(req, 5), "portal")
        db.session.commit()
    login(client, "office")
    page = client.post(f"/surveys/templates/{tpl_id}/act", data={"action": "add_question", "target": "officer",
                                                                "qtype": "level5", "dimension": "服务态度", "text": "新题"},
                       follow_redirects=True)
    assert "只有未启用的草稿版本可以修改题目" in page.get_data(as_text=True)
    page = client.post(f"/surveys/templates/{draft.id}/act", data={"action": "activate"}, follow_redirects=True)
    assert "已启用该版本" in page.get_data(as_text=True)
    db.session.expire_all()
    assert rules.active_template("quarterly").id == draft.id
    assert db.session.get(type(draft), tpl_id).status == "retired"


# --- close-out requests: the ledger's hook, fatigue and batching ----------------------------------

def test_resolve_asks_once_batches_and_respects_the_7_day_limit(ctx):
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        a = resolved_issue()
    [first] = closeouts(ent)
    assert first.status == "pending" and first.issue_ids == [a.id]
    assert first.targets["department"] == [department_of_login("dept01")]
    assert first.targets["officer"] == [a.officer_id or rules.issue_targets(a)["officer"][0]]
    with clock.at(T0 + timedelta(days=1)):
        b = resolved_issue("dept02")
    [batched] = closeouts(ent)  # joins the open request: one request, two problems, both units rated
    assert batched.id == first.id and batched.issue_ids == [a.id, b.id]
    assert set(batched.targets["department"]) == {department_of_login("dept01"), department_of_login("dept02")}
    with clock.at(T0 + timedelta(days=2)):
        rules.submit(user("office"), batched, all_levels(batched, 4), "phone")
        db.session.commit()
    with clock.at(T0 + timedelta(days=3)):
        c = resolved_issue()
    queued = closeouts(ent)[-1]
    assert queued.id != first.id and queued.status == "queued" and queued.issue_ids == [c.id]
    assert queued.send_after == first.sent_at + timedelta(days=7)
    with clock.at(T0 + timedelta(days=6, hours=23)):
        assert rules.sweep()["sent"] == 0  # 7 days after the last request was sent: not yet
    with clock.at(T0 + timedelta(days=7, hours=1)):
        assert rules.sweep()["sent"] == 1
        db.session.commit()
    db.session.refresh(queued)
    assert queued.status == "pending" and queued.sent_at is not None


def test_sweep_reminds_after_3_days_and_expires_after_15_as_unanswered(ctx, app):
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        resolved_issue()
    [req] = closeouts(ent)
    runner = app.test_cli_runner()

    def sweep(moment):
        result = runner.invoke(args=["cso", "survey-sweep", "--now", moment.isoformat(), "--json"])
        assert result.exit_code == 0, result.output
        return result.output

    assert '"reminded": 0' in sweep(T0 + timedelta(days=2, hours=23))
    assert '"reminded": 1' in sweep(T0 + timedelta(days=3, hours=1))
    assert '"reminded": 0' in sweep(T0 + timedelta(days=4))  # once
    assert '"expired": 0' in sweep(T0 + timedelta(days=14, hours=23))
    assert '"expired": 1' in sweep(T0 + timedelta(days=15, hours=1))
    db.session.expire_all()
    req = db.session.get(SurveyRequest, req.id)
    assert req.status == "expired"
    nov = stats.parse_period("2026-11")
    officer_id = req.targets["officer"][0]
    sat = metrics.satisfaction("officer", [officer_id], nov)[officer_id]
    assert sat.unanswered >= 1 and sat.answered == 0 and sat.rate.numerator == 0  # 未评价, never satisfied
    with pytest.raises(rules.SurveyError):
        rules.submit(user("ent01"), req, all_levels(req, 5), "portal")


# --- the one-time link -------------------------------------------------------------------------------

def test_one_time_link_single_use_replaced_and_expiring(ctx, app, client):
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        created, _ = rules.create_quarterly(stats.parse_period("2026Q4"), user("office"), only={ent})
        db.session.commit()
    req = created[0]
    headers = api_token(client, "office")
    with clock.at(T0 + timedelta(hours=1)):
        first = client.post(f"/api/v1/survey_request/{req.id}/link", headers=headers).get_json()["url"]
        second = client.post(f"/api/v1/survey_request/{req.id}/link", headers=headers).get_json()["url"]
    public = app.test_client()
    path = lambda url: "/s/" + url.rsplit("/s/", 1)[1]  # noqa: E731
    with clock.at(T0 + timedelta(days=1)):
        assert public.get(path(first)).status_code == 404  # replaced by the second link
        page = public.get(path(second))
        assert page.status_code == 200 and "企业满意度评价" in page.get_data(as_text=True)
        assert 'name="viewport"' in page.get_data(as_text=True)
        form = {**all_levels(req, "5"), "respondent": "张经理"}
        missing = public.post(path(second), data={k: v for k, v in list(form.items())[1:]})
        assert missing.status_code == 200 and "请评价" in missing.get_data(as_text=True)
        done = public.post(path(second), data=form)
        assert done.status_code == 200 and "评价已提交" in done.get_data(as_text=True)
        again = public.post(path(second), data=form)
        assert again.status_code == 409 and "只能使用一次" in again.get_data(as_text=True)
    db.session.expire_all()
    response = db.session.scalar(select(SurveyResponse).where(SurveyResponse.request_id == req.id))
    assert response.channel == "link" and response.recorded_by_id is None and response.respondent == "张经理"
    assert public.get("/s/not-a-token").status_code == 404
    # expiry: a link issued for a request that then runs past its 15 days
    clear(ent)
    with clock.at(T0):
        created, _ = rules.create_quarterly(stats.parse_period("2026Q4"), user("office"), only={ent})
        token = rules.issue_link(user("office"), created[0].id)
        db.session.commit()
    with clock.at(T0 + timedelta(days=15, hours=1)):
        late = public.get(f"/s/{token}")
        assert late.status_code == 410 and "已过期" in late.get_data(as_text=True)


def test_public_page_needs_the_csrf_token(app):
    """The one-time page is a form like any other: CSRFProtect refuses a post without the token."""
    from app import create_app
    from conftest import BASE_OVERRIDES

    strict = create_app({**BASE_OVERRIDES, "WTF_CSRF_ENABLED": True})
    with strict.app_context():
        ent = enterprise_of_login("ent01")
        clear(ent)
        created, _ = rules.create_quarterly(stats.parse_period("2026Q4"), user("office"), only={ent})
        req = created[0]
        token = rules.issue_link(user("office"), req.id)
        fields = all_levels(req, "5")
        db.session.commit()
        c = strict.test_client()
        assert c.post(f"/s/{token}", data=fields).status_code == 400
        page = c.get(f"/s/{token}").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert c.post(f"/s/{token}", data={**fields, "csrf_token": csrf}).status_code == 200
        db.session.expire_all()
        assert db.session.get(SurveyRequest, req.id).status == "answered"
        db.session.remove()


# --- who answers -------------------------------------------------------------------------------------

def test_the_rated_officer_never_records_an_answer_about_themself(ctx, client):
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        created, _ = rules.create_quarterly(stats.parse_period("2026Q4"), user("office"), only={ent})
        db.session.commit()
    req = created[0]
    rated = db.session.get(Officer, req.targets["officer"][0])
    sm = current_app.appbuilder.sm
    rated.user.roles = [*rated.user.roles, sm.find_role("Office")]  # an officer who also works in the office
    db.session.commit()
    headers = api_token(client, rated.user.username)
    answer = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=headers,
                         json={**all_levels(req, 5), "channel": "phone"})
    assert answer.status_code == 403 and "不能录入" in answer.get_json()["message"]
    office = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=api_token(client, "office"),
                         json={**all_levels(req, 4), "channel": "phone", "note": "电话回访"})
    assert office.status_code == 201
    assert office.get_json()["result"]["response"]["channel"] == "phone"


def test_enterprise_answers_in_its_portal_other_enterprises_cannot(ctx, client):
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        created, _ = rules.create_quarterly(stats.parse_period("2026Q4"), user("office"), only={ent})
        db.session.commit()
    req = created[0]
    other = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=api_token(client, "ent02"),
                        json=all_levels(req, 5))
    assert other.status_code == 404
    bad = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=api_token(client, "ent01"),
                      json={**all_levels(req, 5), list(all_levels(req, 5))[0]: 7})
    assert bad.status_code == 422
    text_field = next(it["field"] for it in rules.form_items(req) if it["question"].qtype == "text")
    nul = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=api_token(client, "ent01"),
                      json={**all_levels(req, 5), text_field: "好\x00"})
    assert nul.status_code == 422 and "控制字符" in str(nul.get_json()["message"])
    ok = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=api_token(client, "ent01"),
                     json=all_levels(req, 5))
    assert ok.status_code == 201 and ok.get_json()["result"]["status"] == "answered"
    twice = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=api_token(client, "ent01"),
                        json=all_levels(req, 5))
    assert twice.status_code == 409


# --- a bad close-out answer: rework and a case --------------------------------------------------------

def test_dissatisfied_close_out_sends_the_problem_back_and_opens_a_case(ctx, client):
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        issue = resolved_issue()
    [req] = closeouts(ent)
    rework = issue.rework_count
    values = levels_by(req, lambda it: 1 if it["target_type"] == "department" and it["question"].dimension == "问题解决"
                       else 4)
    with clock.at(T0 + timedelta(days=1)):
        r = client.post(f"/api/v1/survey_request/{req.id}/answer", headers=api_token(client, "ent01"), json=values)
    assert r.status_code == 201
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.status == "in_progress" and issue.rework_count == rework + 1 and issue.satisfaction == "dissatisfied"
    [case] = db.session.scalars(select(BadReview).where(BadReview.request_id == req.id)).all()
    assert (case.target_type, case.target_id, case.issue_id) == ("department", department_of_login("dept01"), issue.id)
    assert case.status == "open" and case.worst_level == 1
    # a satisfied answer on the next round confirms the problem (非常满意/满意 → satisfied)
    with clock.at(T0 + timedelta(days=9)):
        ledger.transition(user("dept01"), issue.id, "resolve", {"result": "重新办理完毕。"})
        db.session.commit()
    req2 = closeouts(ent)[-1]
    assert req2.id != req.id and req2.status == "pending" and req2.issue_ids == [issue.id]
    with clock.at(T0 + timedelta(days=10)):
        rules.submit(user("ent01"), req2, all_levels(req2, 4), "portal")
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).satisfaction == "satisfied"


# --- the rates, by hand --------------------------------------------------------------------------------

@pytest.fixture()
def small_sample(ctx):
    before = ctx.config.get("CSO_MIN_SAMPLE")
    ctx.config["CSO_MIN_SAMPLE"] = 2
    yield
    ctx.config["CSO_MIN_SAMPLE"] = before if before is not None else stats.DEFAULT_MIN_SAMPLE


def test_rates_match_a_small_world_worked_out_by_hand(ctx, small_sample):
    """Officer O and unit D rated by three responses from two enterprises in November, one expired.

    O: R1 (E1) 5 4 3 2, R2 (E1) 5 5 5 5, R3 (E2) 2 1 3 4 → satisfied (≥ 基本满意) 3 + 4 + 2 = 9 of 12 = 75.0 %;
       E1 7/8, E2 2/4 → enterprise-weighted (0.875 + 0.5) / 2 = 0.6875; 服务态度 2/3, 工作效率 2/3, 政策落实 3/3,
       问题解决 2/3; one expired request → 未评价 1.
    D: R1 4 4 4 4, R2 1 2 4 4, R3 3 3 3 3 → 10 of 12 = 83.3 %; E1 6/8, E2 4/4 → 0.875.
    Bad answers open cases: O in R1 and R3, D in R2. Excluding R3's case about O on appeal leaves
    O with 7 of 8 = 87.5 % and one enterprise (under the minimum of 2: no enterprise-weighted value)."""
    clear()
    officer, dept = db.session.scalars(select(Officer.id).order_by(Officer.id).limit(1)).one(), department_of_login("dept01")
    e1, e2 = enterprise_of_login("ent01"), enterprise_of_login("ent02")
    tpl = rules.active_template("quarterly")
    plan = [(e1, (5, 4, 3, 2), (4, 4, 4, 4)), (e1, (5, 5, 5, 5), (1, 2, 4, 4)), (e2, (2, 1, 3, 4), (3, 3, 3, 3))]
    moment = datetime(2026, 11, 10, 10, 0)
    reqs = []
    with clock.at(moment):
        for ent, mine, theirs in plan:
            req = SurveyRequest(kind="quarterly", template_id=tpl.id, enterprise_id=ent, issue_ids=[],
                                targets={"officer": [officer], "department": [dept]}, status="pending",
                                sent_at=clock.utcnow(), expires_at=clock.utcnow() + timedelta(days=15))
            db.session.add(req)
            db.session.flush()
            dims = {"服务态度": 0, "工作效率": 1, "政策落实": 2, "问题解决": 3}
            values = levels_by(req, lambda it: (mine if it["target_type"] == "officer" else theirs)[
                dims[it["question"].dimension]])
            rules.submit(user("office"), req, values, "phone")
            reqs.append(req)
        db.session.add(SurveyRequest(kind="quarterly", template_id=tpl.id, enterprise_id=e2, issue_ids=[],
                                     targets={"officer": [officer]}, status="expired", sent_at=clock.utcnow(),
                                     expired_at=clock.utcnow()))
        db.session.commit()
    nov = stats.parse_period("2026-11")
    o = metrics.satisfaction("officer", None, nov)[officer]
    assert (o.rate.numerator, o.rate.denominator, o.rate.percent) == (9, 12, 75.0)
    assert o.enterprise_weighted == pytest.approx(0.6875)
    assert {k: (r.numerator, r.denominator) for k, r in o.dimensions.items()} == {
        "服务态度": (2, 3), "工作效率": (2, 3), "政策落实": (3, 3), "问题解决": (2, 3)}
    assert (o.answered, o.unanswered) == (3, 1) and len(o.evidence) == 12
    d = metrics.satisfaction("department", [dept], nov)[dept]
    assert (d.rate.numerator, d.rate.denominator, d.rate.percent) == (10, 12, 83.3)
    assert d.enterprise_weighted == pytest.approx(0.875) and d.unanswered == 0
    assert metrics.satisfaction("officer", None, stats.parse_period("2026-10")) == {}
    # the monthly bulletin of November carries the same figures (app/bulletins.py)
    from app import bulletins

    bulletin = bulletins.generate("monthly", date(2026, 12, 3))
    name = db.session.get(Officer, officer).name
    assert [r[1:6] for r in bulletin.data["satisfaction_officer"] if r[1] == name] == [[name, 3, 1, "75.0%", "68.8%"]]
    assert any(r[4] == "83.3%" for r in bulletin.data["satisfaction_department"])
    # … and so does the quarterly bulletin of the fourth quarter (issue 13 item 4), made on 2027-01-04
    quarterly = bulletins.generate("quarterly", date(2027, 1, 4))
    assert (quarterly.kind, quarterly.period_start, quarterly.period_end) == ("quarterly", date(2026, 10, 1), date(2026, 12, 31))
    assert quarterly.title == "首席服务官工作季度通报（2026年第4季度）"
    assert [r[1:6] for r in quarterly.data["satisfaction_officer"] if r[1] == name] == [[name, 3, 1, "75.0%", "68.8%"]]
    assert {r["label"] for r in quarterly.data["rates"]} >= {"解决率", "销号率"}
    assert {k: len(v) for k, v in metrics.bad_reviews("officer", None, nov, verified_only=False).items()} == {officer: 2}
    assert metrics.bad_reviews("officer", None, nov) == {}  # none verified yet
    # R3's case about O: the rated officer appeals, the director upholds → excluded, kept visible
    case = db.session.scalar(select(BadReview).where(BadReview.request_id == reqs[2].id,
                                                     BadReview.target_type == "officer"))
    officer_user = db.session.get(Officer, officer).user
    with clock.at(moment + timedelta(hours=2)):
        bad_reviews.transition(officer_user, case.id, "appeal", {"reason": "企业误评，当日未接触该企业。"})
        bad_reviews.transition(user("director"), case.id, "uphold", {"decision": "经核实属误评，予以剔除。"})
        db.session.commit()
    o = metrics.satisfaction("officer", None, nov)[officer]
    assert (o.rate.numerator, o.rate.denominator, o.rate.percent) == (7, 8, 87.5)
    assert o.enterprise_weighted is None  # one enterprise left, under the minimum of 2
    assert db.session.get(BadReview, case.id).status == "excluded"
    # under the default minimum sample (5 responses' worth of answers) nothing here has a value
    ctx.config["CSO_MIN_SAMPLE"] = 5
    assert metrics.satisfaction("department", [dept], nov)[dept].rate.text == "样本不足"


# --- inspections ------------------------------------------------------------------------------------------

def test_inspections_recorded_by_the_office_feed_the_score(ctx, client):
    db.session.execute(delete(Inspection))
    db.session.commit()
    officer = db.session.scalars(select(Officer.id).order_by(Officer.id).limit(1)).one()
    headers = api_token(client, "office")
    base = {"subject_type": "officer", "officer": officer, "method": "phone", "day": "2026-11-05",
            "efficiency": 5, "quality": 4, "level": 4, "effect": 3, "findings": "电话抽查。"}
    assert client.post("/api/v1/inspection/", headers=headers, json=base).status_code == 201
    assert client.post("/api/v1/inspection/", headers=headers,
                       json={**base, "day": "2026-11-20", "efficiency": 3, "quality": 3, "level": 3, "effect": 3,
                             "method": "visit"}).status_code == 201
    assert client.post("/api/v1/inspection/", headers=headers, json={**base, "effect": 6}).status_code == 422
    assert client.post("/api/v1/inspection/", headers=headers, json={**base, "method": "x"}).status_code == 422
    assert client.post("/api/v1/inspection/", headers=headers, json={**base, "day": "2026-13-01"}).status_code == 422
    assert client.post("/api/v1/inspection/", headers=api_token(client, "leader"), json=base).status_code == 403
    # (5+4+4+3)/4 = 4.0 and 3.0 → mean 3.5 × 20 = 70.0 from 2 inspections
    score, n, ids = metrics.inspection("officer", [officer], stats.parse_period("2026-11"))[officer]
    assert (score, n, len(ids)) == (70.0, 2, 2)
    assert metrics.inspection("officer", [officer], stats.parse_period("2026-10")) == {}
    # the inspected officer cannot record an inspection of themself
    rated = db.session.get(Officer, officer)
    rated.user.roles = [*rated.user.roles, current_app.appbuilder.sm.find_role("Office")]
    db.session.commit()
    own = client.post("/api/v1/inspection/", headers=api_token(client, rated.user.username), json=base)
    assert own.status_code == 403


# --- the quarterly requests from the CLI ----------------------------------------------------------------

def test_survey_quarter_cli_one_request_per_served_enterprise(ctx, app):
    from app.models import Assignment

    clear()
    served = set(db.session.scalars(select(Assignment.enterprise_id).where(Assignment.is_current)))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["cso", "survey-quarter", "--period", "2026Q4", "--json"])
    assert first.exit_code == 0, first.output
    db.session.expire_all()
    rows = db.session.scalars(select(SurveyRequest).where(SurveyRequest.kind == "quarterly")).all()
    assert {r.enterprise_id for r in rows} == served and len(rows) == len(served)
    assert all(r.period == "2026Q4" and r.status == "pending" and r.targets["officer"] for r in rows)
    again = runner.invoke(args=["cso", "survey-quarter", "--period", "2026Q4"])
    assert again.exit_code == 0 and "新发出0份" in again.output
    bad = runner.invoke(args=["cso", "survey-quarter", "--period", "2026-11"])
    assert bad.exit_code != 0 and "季度" in bad.output


def test_request_page_names_problems_by_number_linked_where_visible(ctx, client):
    """The request's 涉及问题 are 问题编号 (2026-0057), not database ids (#57); each linked only for a viewer
    who may open that problem (walk-through defect 13)."""
    ent = enterprise_of_login("ent01")
    clear(ent)
    with clock.at(T0):
        a = resolved_issue()
    [req] = closeouts(ent)
    foreign = db.session.scalar(select(Issue).where(Issue.enterprise_id != ent).order_by(Issue.id).limit(1))
    req.issue_ids = [a.id, foreign.id]  # a problem the enterprise may not open: named, not linked
    db.session.commit()
    page = login(client, "office").get(f"/surveys/requests/{req.id}").get_data(as_text=True)
    cell = re.search(r'id="cso-issues">(.*?)</td>', page).group(1)
    assert f'<a href="/ledger/{a.id}">{a.number}</a>' in cell and f">{foreign.number}</a>" in cell
    assert f"#{a.id}" not in cell
    page = login(client, "ent01").get(f"/surveys/requests/{req.id}").get_data(as_text=True)
    cell = re.search(r'id="cso-issues">(.*?)</td>', page).group(1)
    assert f'<a href="/ledger/{a.id}">{a.number}</a>' in cell
    assert foreign.number in cell and f"/ledger/{foreign.id}" not in cell
    body = client.get(f"/api/v1/survey_request/{req.id}", headers=api_token(client, "ent01")).get_json()["result"]
    assert body["issues"] == [{"id": a.id, "number": a.number, "visible": True},
                              {"id": foreign.id, "number": foreign.number, "visible": False}]
