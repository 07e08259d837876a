"""Recall and handover through the public surfaces (issue 15 items 6-7; docs/recall.md).

Expectations come from the rules: no approval before the 组织部 consultation is on record; at the
effective date the open problems the outgoing officer followed move to the incoming one with an
event each, closed ones and every history stay; an open problem not on the list is recorded
against the outgoing officer; the outgoing officer reads (never writes) the handed-over enterprise
for the transition period, then not at all; the handover week carries no visit lapse for either
officer and the incoming one owes the next week; suggestions show, nothing is recalled by itself.
"""
import io
from datetime import datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from app import clock, db, duties, gongwen
from app import ledger
from app.models import Assignment, DutyRecord, EnterpriseUser, Issue, IssueEvent, Officer, User, Visit
from app.recall.models import Handover, HandoverOmission, RecallCase, RecallRequest, ServiceTerm
from app.vocab import OPEN_STATUSES
from conftest import api_token, login


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def officer(name):
    return db.session.scalar(select(Officer).where(Officer.user_id == user(name).id))


def ent_login(enterprise_id):
    uid = db.session.scalar(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == enterprise_id))
    return db.session.get(User, uid).username


def chief_assignment(name):
    return db.session.scalar(select(Assignment).where(
        Assignment.officer_id == officer(name).id, Assignment.role == "chief", Assignment.is_current)
        .order_by(Assignment.enterprise_id).limit(1))


def post(client, url, token, body):
    resp = client.post(url, headers=token, json=body)
    return resp.status_code, resp.get_json()


def upload(client, case_id, name="组织部意见.docx"):
    """The consultation file, uploaded by the office on the case's page (the file store's route)."""
    login(client, "office")
    data = gongwen.letter_docx(gongwen.Letter(issuer="组织部", number="组函〔2026〕1号", title="意见", recipients="办公室",
                                              sections=[gongwen.Section("", ["同意。"])], signer="组织部",
                                              date=clock.today()))
    resp = client.post(f"/files/recall/{case_id}/upload", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    from app.models import Attachment

    return db.session.scalar(select(Attachment.id).where(Attachment.owner_kind == "recall", Attachment.owner_id == case_id)
                             .order_by(Attachment.id.desc()))


def start_case(client, tokens, out_name, in_name, effective, assignment_ids=None):
    """Create, record the consultation, submit and approve through REST; returns the case id."""
    a = chief_assignment(out_name)
    status, body = post(client, "/api/v1/recall/", tokens["office"], {
        "officer": officer(out_name).id, "reason": "post_change", "replacement": officer(in_name).id,
        "effective_on": effective.isoformat(), "assignments": assignment_ids or [a.id]})
    assert status == 201, body
    pk = body["id"]
    file_id = upload(client, pk)
    assert post(client, f"/api/v1/recall/{pk}/transition", tokens["office"], {
        "action": "consult", "consulted_on": clock.today().isoformat(), "opinion": "同意", "file": file_id})[0] == 200
    assert post(client, f"/api/v1/recall/{pk}/transition", tokens["office"], {"action": "submit"})[0] == 200
    status, body = post(client, f"/api/v1/recall/{pk}/transition", tokens["director"], {"action": "approve"})
    assert status == 200, body
    return pk


def sign_all(client, tokens, pk, out_name, in_name, confirm=True):
    db.session.expire_all()
    for h in db.session.get(RecallCase, pk).handovers:
        for item in h.items:
            assert post(client, f"/api/v1/handover/{h.id}/transition", tokens[out_name],
                        {"action": "note", "item": item.id, "note": "已核对"})[0] == 200
        assert post(client, f"/api/v1/handover/{h.id}/transition", tokens[out_name], {"action": "sign_out"})[0] == 200
        assert post(client, f"/api/v1/handover/{h.id}/transition", tokens[in_name], {"action": "sign_in"})[0] == 200
        if confirm:
            status, body = post(client, f"/api/v1/handover/{h.id}/transition", tokens["office"], {"action": "confirm"})
            assert status == 200, body


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    names = ["office", "director", "leader", "officer01", "officer03", "officer04", "officer05", "officer06",
             "officer11", "dept01", "ent01"]
    return {n: api_token(client, n) for n in names}


# --- approval ------------------------------------------------------------------------------------------

def test_consultation_required_before_approval(ctx, client, tokens):
    a = chief_assignment("officer03")
    status, body = post(client, "/api/v1/recall/", tokens["office"], {
        "officer": officer("officer03").id, "reason": "health", "replacement": officer("officer11").id,
        "effective_on": (clock.today() + timedelta(days=3)).isoformat(), "assignments": [a.id]})
    assert status == 201 and body["result"]["number"].startswith("示范区企服调〔")
    pk = body["id"]
    assert post(client, f"/api/v1/recall/{pk}/transition", tokens["office"], {"action": "submit"})[0] == 200
    status, body = post(client, f"/api/v1/recall/{pk}/transition", tokens["director"], {"action": "approve"})
    assert status == 409 and "组织部" in body["message"]
    # a file of another owner does not count as the consultation's
    other = db.session.scalar(select(func.min(RecallCase.id)))  # the demo case, with its own file
    from app.models import Attachment

    foreign = db.session.scalar(select(Attachment.id).where(Attachment.owner_kind == "recall", Attachment.owner_id == other))
    status, body = post(client, f"/api/v1/recall/{pk}/transition", tokens["office"], {
        "action": "consult", "consulted_on": clock.today().isoformat(), "opinion": "同意", "file": foreign})
    assert status == 422 and "file" in body["message"]
    status, _ = post(client, f"/api/v1/recall/{pk}/transition", tokens["office"], {
        "action": "consult", "consulted_on": (clock.today() + timedelta(days=1)).isoformat(), "opinion": "同意",
        "file": upload(client, pk)})
    assert status == 422  # a consultation in the future
    status, _ = post(client, f"/api/v1/recall/{pk}/transition", tokens["office"], {
        "action": "consult", "consulted_on": clock.today().isoformat(), "opinion": "同意调整", "file": upload(client, pk)})
    assert status == 200
    status, body = post(client, f"/api/v1/recall/{pk}/transition", tokens["director"], {"action": "approve"})
    assert status == 200 and body["result"]["status"] == "approved"
    assert [h["enterprise"] for h in body["result"]["handovers"]] == [a.enterprise.name]  # one list per enterprise


def test_one_case_per_officer_and_bad_input(ctx, client, tokens):
    a = chief_assignment("officer04")
    base = {"officer": officer("officer04").id, "reason": "other", "replacement": officer("officer11").id,
            "effective_on": clock.today().isoformat()}
    assert post(client, "/api/v1/recall/", tokens["office"], {**base, "reason": "bogus"})[0] == 422
    assert post(client, "/api/v1/recall/", tokens["office"], {**base, "effective_on": "2020-01-01"})[0] == 422
    assert post(client, "/api/v1/recall/", tokens["office"], {**base, "assignments": [999999]})[0] == 422
    assert post(client, "/api/v1/recall/", tokens["office"], {**base, "assignments": "x"})[0] == 422
    assert post(client, "/api/v1/recall/", tokens["officer01"], base)[0] == 403
    assert post(client, "/api/v1/recall/", tokens["office"], {**base, "assignments": [a.id]})[0] == 201
    assert post(client, "/api/v1/recall/", tokens["office"], base)[0] == 409  # one case under way per officer


# --- the effective date --------------------------------------------------------------------------------

def test_effective_date_moves_open_problems_and_keeps_closed_ones(ctx, client, tokens, runner_env):
    out, inc = officer("officer05"), officer("officer11")
    a = chief_assignment("officer05")
    ent = a.enterprise_id
    # one open problem filed by the outgoing officer, one closed one (the office files and closes it)
    open_issue = ledger.create_issue(user("officer05"), ent, "续贷协调", "企业流动资金贷款续贷", category="融资信贷")
    closed = ledger.create_issue(user("officer05"), ent, "政策咨询", "咨询高新技术企业认定", category="政策咨询")
    ledger.transition(user("officer05"), closed.id, "resolve", {"result": "已当面解答"})
    ledger.transition(user("office"), closed.id, "confirm", {"satisfaction": "satisfied", "note": "电话回访"})
    ledger.transition(user("office"), closed.id, "close", {})
    db.session.commit()
    closed_id, open_id = closed.id, open_issue.id
    closed_events = [(e.id, e.action, e.note) for e in db.session.scalars(
        select(IssueEvent).where(IssueEvent.issue_id == closed_id).order_by(IssueEvent.id))]
    open_before = {i.id for i in db.session.scalars(select(Issue).where(
        Issue.enterprise_id == ent, Issue.officer_id == out.id, Issue.status.in_(OPEN_STATUSES)))}
    assert open_id in open_before and db.session.get(Issue, closed_id).status == "closed"
    effective = clock.today() + timedelta(days=5)
    pk = start_case(client, tokens, "officer05", "officer11", effective)
    late = ledger.create_issue(user("office"), ent, "新增问题", "清单生成后才登记的问题", category="其他")  # not on the list
    db.session.commit()
    late_id = late.id
    sign_all(client, tokens, pk, "officer05", "officer11")
    db.session.expire_all()
    assert db.session.get(RecallCase, pk).status == "approved"  # not applied before its date
    result = runner_env.invoke(args=["cso", "recall-apply", "--today", (effective - timedelta(days=1)).isoformat()])
    assert "已执行" not in result.output and db.session.get(RecallCase, pk).status == "approved"
    result = runner_env.invoke(args=["cso", "recall-apply", "--today", effective.isoformat()])
    assert "已执行" in result.output, result.output
    db.session.expire_all()
    case = db.session.get(RecallCase, pk)
    assert case.status == "applied"
    old = db.session.get(Assignment, a.id)
    assert old.end_date == effective - timedelta(days=1) and case.number in old.end_reason
    new = db.session.scalar(select(Assignment).where(Assignment.officer_id == inc.id, Assignment.enterprise_id == ent,
                                                     Assignment.role == "chief", Assignment.is_current))
    assert new is not None and new.start_date == effective
    for issue_id in open_before | {late_id}:
        issue = db.session.get(Issue, issue_id)
        assert issue.officer_id == inc.id
        last = db.session.scalars(select(IssueEvent).where(IssueEvent.issue_id == issue_id)
                                  .order_by(IssueEvent.id.desc())).first()
        assert last.action == "handover" and last.changes == {"officer_id": [out.id, inc.id]}
    assert db.session.get(Issue, closed_id).officer_id == out.id  # closed stays, history unchanged
    assert [(e.id, e.action, e.note) for e in db.session.scalars(
        select(IssueEvent).where(IssueEvent.issue_id == closed_id).order_by(IssueEvent.id))] == closed_events
    omissions = db.session.scalars(select(HandoverOmission).where(HandoverOmission.officer_id == out.id)).all()
    assert [o.ref_id for o in omissions] == [late_id]  # recorded against the outgoing officer
    h = case.handovers[0]
    assert all(i.moved for i in h.items if i.kind == "issue") and h.events[-1].action == "apply"


def test_the_sweep_applies_due_cases(ctx, client, tokens):
    from app import reminders

    effective = clock.today() + timedelta(days=2)
    pk = start_case(client, tokens, "officer04", "officer11", effective)
    sign_all(client, tokens, pk, "officer04", "officer11")
    reminders.sweep(datetime.combine(effective - timedelta(days=1), datetime.min.time()).replace(hour=10))
    db.session.expire_all()
    assert db.session.get(RecallCase, pk).status == "approved"
    summary = reminders.sweep(datetime.combine(effective, datetime.min.time()).replace(hour=0, minute=15))
    db.session.expire_all()
    case = db.session.get(RecallCase, pk)
    assert case.status == "applied" and case.applied_at is not None and case.events[-1].actor_name == "系统"
    assert summary is not None


def test_lists_confirmed_late_take_effect_when_applied(ctx, client, tokens, runner_env):
    a = chief_assignment("officer04")
    planned = clock.today() + timedelta(days=1)
    pk = start_case(client, tokens, "officer04", "officer11", planned)
    sign_all(client, tokens, pk, "officer04", "officer11")
    actual = planned + timedelta(days=3)
    assert "已执行" in runner_env.invoke(args=["cso", "recall-apply", "--today", actual.isoformat()]).output
    db.session.expire_all()
    case = db.session.get(RecallCase, pk)
    assert case.effective_on == actual and planned.isoformat() in case.events[-1].note
    assert db.session.get(Assignment, a.id).end_date == actual - timedelta(days=1)
    new = db.session.scalar(select(Assignment).where(Assignment.officer_id == officer("officer11").id,
                                                     Assignment.enterprise_id == a.enterprise_id, Assignment.is_current))
    assert new.start_date == actual  # never backdated: the new officer's duties start when they take over


@pytest.fixture()
def runner_env(app):
    return app.test_cli_runner()


def test_applied_at_once_when_the_date_is_today(ctx, client, tokens):
    a = chief_assignment("officer06")
    pk = start_case(client, tokens, "officer06", "officer11", clock.today())
    sign_all(client, tokens, pk, "officer06", "officer11")
    db.session.expire_all()
    case = db.session.get(RecallCase, pk)
    assert case.status == "applied"
    assert db.session.get(Assignment, a.id).end_date is not None
    # the enterprise was told and acknowledges; the letter names the new officer
    h = case.handovers[0]
    ent_name = ent_login(h.enterprise_id)
    ent_token = api_token(client, ent_name)
    status, body = post(client, f"/api/v1/handover/{h.id}/transition", ent_token, {"action": "acknowledge"})
    assert status == 200 and body["result"]["status"] == "acknowledged"
    assert all("note" not in i for i in body["result"]["items"])  # the officers' notes are not the enterprise's
    from app.notifications.models import Notification

    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user(ent_name).id, Notification.url == f"/handover/{h.id}"))
    resp = client.get(f"/api/v1/handover/{h.id}/letter", headers=ent_token)
    assert resp.status_code == 200 and "officer11" not in resp.headers["Content-Disposition"]
    text = gongwen.document_text(resp.data)
    assert officer("officer11").name in text and h.enterprise.name in text


# --- read-only transition access ------------------------------------------------------------------------

def test_outgoing_officer_reads_but_cannot_write_then_loses_access(ctx, client, tokens):
    a = chief_assignment("officer06")
    ent = a.enterprise_id
    issue = ledger.create_issue(user("officer06"), ent, "用电增容", "二期用电增容", category="水电气暖")
    db.session.commit()
    issue_id = issue.id
    pk = start_case(client, tokens, "officer06", "officer11", clock.today())
    sign_all(client, tokens, pk, "officer06", "officer11")
    t = tokens["officer06"]
    assert client.get(f"/api/v1/issue/{issue_id}", headers=t).status_code == 200  # still reads
    assert client.get(f"/api/v1/enterprise/{ent}", headers=t).status_code == 200
    status, _ = post(client, f"/api/v1/issue/{issue_id}/transition", t, {"action": "resolve", "result": "已解决"})
    assert status == 403  # not the enterprise's officer any more
    status, body = post(client, "/api/v1/issue/", t, {"enterprise": ent, "title": "新问题", "description": "内容",
                                                      "category": "其他"})
    assert status == 422 and "enterprise" in body["message"]
    status, body = post(client, "/api/v1/visit/", t, {"enterprise": ent, "visit_date": clock.today().isoformat(),
                                                      "mode": "onsite", "summary": "走访"})
    assert status == 422 and "enterprise" in body["message"], body
    login(client, "officer06")
    resp = client.post(f"/files/issue/{issue_id}/upload", data={"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
                       content_type="multipart/form-data")
    from app.models import Attachment

    assert not db.session.scalar(select(Attachment.id).where(Attachment.owner_kind == "issue",
                                                             Attachment.owner_id == issue_id))
    assert resp.status_code in (302, 403)
    form = client.get("/visitview/add").get_data(as_text=True)  # the visit form offers only what they serve
    from app.models import Enterprise

    others = [db.session.get(Enterprise, e).name for e in db.session.scalars(select(Assignment.enterprise_id).where(
        Assignment.officer_id == officer("officer06").id, Assignment.is_current))]
    assert db.session.get(Enterprise, ent).name not in form and all(name in form for name in others)
    # the incoming officer acts
    status, _ = post(client, f"/api/v1/issue/{issue_id}/transition", tokens["officer11"],
                     {"action": "resolve", "result": "已协调供电公司"})
    assert status == 200
    # after the transition period (30 days by default) the outgoing officer sees nothing
    with clock.at(datetime.combine(clock.today() + timedelta(days=30), datetime.min.time()).replace(hour=10)):
        assert client.get(f"/api/v1/issue/{issue_id}", headers=t).status_code == 200
    with clock.at(datetime.combine(clock.today() + timedelta(days=31), datetime.min.time()).replace(hour=10)):
        assert client.get(f"/api/v1/issue/{issue_id}", headers=t).status_code == 404
        assert client.get(f"/api/v1/enterprise/{ent}", headers=t).status_code == 404


# --- duties --------------------------------------------------------------------------------------------

def test_no_double_lapse_in_the_handover_week(ctx, client, tokens, runner_env):
    out, inc = officer("officer05"), officer("officer11")
    a = chief_assignment("officer05")
    ent = a.enterprise_id
    monday = clock.week_start(clock.today()) + timedelta(weeks=1)
    effective = monday + timedelta(days=2)  # Wednesday of the handover week
    pk = start_case(client, tokens, "officer05", "officer11", effective)
    sign_all(client, tokens, pk, "officer05", "officer11")
    assert "已执行" in runner_env.invoke(args=["cso", "recall-apply", "--today", effective.isoformat()]).output
    assert not db.session.scalar(select(Visit.id).where(Visit.enterprise_id == ent, Visit.visit_date >= monday))

    def lapses(week_start):
        return db.session.execute(select(DutyRecord.officer_id).where(
            DutyRecord.kind == "missed_visit", DutyRecord.enterprise_id == ent,
            DutyRecord.period == duties.week_key(week_start))).scalars().all()

    duties.record_lapses(monday + timedelta(weeks=1))  # records the handover week
    db.session.commit()
    assert lapses(monday) == []  # neither the outgoing (ended) nor the incoming (starts next week)
    duties.record_lapses(monday + timedelta(weeks=2))  # records the week after
    db.session.commit()
    assert lapses(monday + timedelta(weeks=1)) == [inc.id]
    assert out.id not in lapses(monday + timedelta(weeks=1))


# --- triggers, requests, service periods -------------------------------------------------------------------

def test_suggestions_show_and_nothing_happens_by_itself(ctx, client, tokens):
    o = officer("officer04")
    db.session.execute(Visit.__table__.delete().where(Visit.officer_id == o.id,
                                                      Visit.visit_date > clock.today() - timedelta(days=28)))
    db.session.commit()
    cases_before = db.session.scalar(select(func.count()).select_from(RecallCase))
    login(client, "office")
    html = client.get("/recall/").get_data(as_text=True)
    row = html[html.index(f'data-officer="{o.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-trigger="no_visits"' in row
    assert f'data-officer="{officer("officer12").id}"' not in html  # the demo case is under way
    assert db.session.scalar(select(func.count()).select_from(RecallCase)) == cases_before  # never automatic
    # starting a case from the suggestion takes the trigger as evidence
    page = client.get(f"/recall/new?officer={o.id}").get_data(as_text=True)
    assert 'id="cso-triggered"' in page
    a = chief_assignment("officer04")
    client.post("/recall/new", data={"officer": o.id, "reason": "underperform", "assignments": a.id, "with_triggers": "1"})
    case = db.session.scalar(select(RecallCase).where(RecallCase.officer_id == o.id))
    assert case is not None and [e.kind for e in case.evidence] == ["visit_gap"] and "4周" in case.evidence[0].text


def test_assessment_and_survey_triggers(ctx, client, tokens, monkeypatch):
    """The three triggers fed by assessments and surveys, from the sources' own answers (the grades, the
    satisfaction rate and the verified bad reviews of the last quarter)."""
    from types import SimpleNamespace

    from app import stats
    from app.assessments import query
    from app.surveys import metrics

    o2, o3, o4, o5 = (officer(n).id for n in ("officer02", "officer03", "officer04", "officer05"))
    grades = {o2: [("2026Q2", "不合格"), ("2026Q3", "不合格")], o3: [("2026Q2", "不合格"), ("2026Q3", "合格")],
              o4: [("2025", "不合格"), ("2026Q3", "不合格")]}  # an annual grade is not a quarter
    monkeypatch.setattr(query, "officer_grades", lambda oid: grades.get(oid, []))
    quarters = []

    def satisfaction(kind, ids, period):
        quarters.append(period.key)
        return {o4: SimpleNamespace(rate=stats.rate("satisfaction", 16, 20)),  # 80 %: under 85 %
                o3: SimpleNamespace(rate=stats.rate("satisfaction", 17, 20)),  # 85 %: not under
                o5: SimpleNamespace(rate=stats.rate("satisfaction", 1, 2))}  # too few answers: no value
    monkeypatch.setattr(metrics, "satisfaction", satisfaction)
    monkeypatch.setattr(metrics, "bad_reviews", lambda kind, ids, period, verified_only=True:
                        {o5: [11, 12], o3: [13]} if verified_only else {})
    login(client, "office")
    html = client.get("/recall/").get_data(as_text=True)

    def triggers_of(oid):
        if f'data-officer="{oid}"' not in html:
            return set()
        row = html[html.index(f'data-officer="{oid}"'):]
        import re

        return set(re.findall(r'data-trigger="(\w+)"', row[:row.index("</tr>")]))

    assert "two_fail" in triggers_of(o2)
    assert not triggers_of(o3) & {"two_fail", "satisfaction", "bad_reviews"}
    assert "satisfaction" in triggers_of(o4) and "two_fail" not in triggers_of(o4)
    assert "bad_reviews" in triggers_of(o5) and "satisfaction" not in triggers_of(o5)
    assert quarters == [stats.period("quarter", clock.today()).previous().key]  # the last full quarter


def test_enterprise_request_is_a_trigger_and_a_basis(ctx, client, tokens):
    a = chief_assignment("officer03")
    ent_name = ent_login(a.enterprise_id)
    login(client, ent_name)
    assert client.get("/recall_request/").status_code == 200
    assert client.post("/recall_request/", data={"reason": "短"}).status_code == 302
    assert not db.session.scalar(select(RecallRequest.id).where(RecallRequest.enterprise_id == a.enterprise_id))
    client.post("/recall_request/", data={"reason": "服务官长期不到企业，问题无人跟进。"})
    req = db.session.scalar(select(RecallRequest).where(RecallRequest.enterprise_id == a.enterprise_id))
    assert req is not None and req.officer_id == officer("officer03").id and req.status == "open"
    login(client, "office")
    html = client.get("/recall/").get_data(as_text=True)
    row = html[html.index(f'data-officer="{req.officer_id}"'):]
    assert 'data-trigger="request"' in row[:row.index("</tr>")]
    status, body = post(client, "/api/v1/recall/", tokens["office"], {
        "officer": req.officer_id, "reason": "dissatisfied", "request": req.id})
    assert status == 201 and [e["kind"] for e in body["result"]["evidence"]] == ["request"]
    db.session.expire_all()
    assert db.session.get(RecallRequest, req.id).status == "taken"
    # other roles: the request page is the enterprise's
    login(client, "officer03")
    assert client.get("/recall_request/").status_code in (302, 403)


def test_service_period_queue_extend(ctx, client, tokens):
    term = db.session.scalar(select(ServiceTerm).order_by(ServiceTerm.id))  # the demo's, ending within the month
    login(client, "office")
    html = client.get("/recall/").get_data(as_text=True)
    assert f'data-assignment="{term.assignment_id}"' in html
    bad = client.post(f"/recall/term/{term.assignment_id}/extend", data={"term_end": clock.today().isoformat()})
    assert bad.status_code == 302
    new_end = clock.today() + timedelta(days=365)
    client.post(f"/recall/term/{term.assignment_id}/extend", data={"term_end": new_end.isoformat()})
    db.session.expire_all()
    assert db.session.get(ServiceTerm, term.id).term_end == new_end
    assert f'data-assignment="{term.assignment_id}"' not in client.get("/recall/").get_data(as_text=True)
    login(client, "officer01")
    assert client.post(f"/recall/term/{term.assignment_id}/extend", data={"term_end": "2030-01-01"}).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(ServiceTerm, term.id).term_end == new_end


# --- scope per role ----------------------------------------------------------------------------------------

def test_scope_per_role(ctx, client, tokens):
    pk = start_case(client, tokens, "officer03", "officer11", clock.today() + timedelta(days=4))
    h = db.session.get(RecallCase, pk).handovers[0]
    own_ent = ent_login(h.enterprise_id)
    ent_token = api_token(client, own_ent)
    for name in ("officer01", "officer03", "dept01", "ent01"):  # nobody but the office and leaders sees a case
        assert client.get("/api/v1/recall/", headers=tokens[name]).status_code == 403
        assert client.get(f"/api/v1/recall/{pk}", headers=tokens[name]).status_code == 403
    assert client.get(f"/api/v1/recall/{pk}", headers=tokens["leader"]).status_code == 200
    assert client.get(f"/api/v1/recall/{pk}/approval_form", headers=tokens["leader"]).status_code == 200
    # the handover list: the two officers and the office; the enterprise once confirmed; nobody else
    for name, want in (("officer03", 200), ("officer11", 200), ("office", 200), ("leader", 200), ("officer01", 404)):
        assert client.get(f"/api/v1/handover/{h.id}", headers=tokens[name]).status_code == want, name
        assert client.get(f"/api/v1/handover/{h.id}/list_docx", headers=tokens[name]).status_code == want, name
        ids = [r["id"] for r in client.get("/api/v1/handover/", headers=tokens[name]).get_json()["result"]]
        assert (h.id in ids) == (want == 200), name
    assert client.get(f"/api/v1/handover/{h.id}", headers=ent_token).status_code == 404  # not yet confirmed
    assert client.get(f"/api/v1/handover/{h.id}", headers=tokens["dept01"]).status_code == 403
    assert client.get(f"/api/v1/handover/{h.id}/letter", headers=tokens["office"]).status_code == 409
    sign_all(client, tokens, pk, "officer03", "officer11")
    assert client.get(f"/api/v1/handover/{h.id}", headers=ent_token).status_code == 200
    assert client.get(f"/api/v1/handover/{h.id}", headers=tokens["ent01"]).status_code == 404
    docx = client.get(f"/api/v1/handover/{h.id}/list_docx", headers=ent_token)
    assert docx.status_code == 200 and "已核对" not in gongwen.document_text(docx.data)  # no notes for the enterprise
    office_docx = client.get(f"/api/v1/handover/{h.id}/list_docx", headers=tokens["office"])
    assert "交接说明：已核对" in gongwen.document_text(office_docx.data)
    # screens
    login(client, "officer01")
    assert client.get(f"/handover/{h.id}").status_code == 404
    assert client.get("/recall/").status_code in (302, 403)
    login(client, own_ent)
    page = client.get(f"/handover/{h.id}").get_data(as_text=True)
    assert officer("officer11").name in page and 'data-action="acknowledge"' in page and "已核对" not in page
    login(client, "dept01")
    assert client.get("/handover/").status_code in (302, 403)


def test_documents(ctx, client, tokens):
    import openpyxl

    pk = start_case(client, tokens, "officer04", "officer11", clock.today() + timedelta(days=4))
    case = db.session.get(RecallCase, pk)
    form = client.get(f"/api/v1/recall/{pk}/approval_form", headers=tokens["office"])
    text = gongwen.document_text(form.data)
    assert case.number in text and "首席服务官调整审批表" in text and officer("officer04").name in text
    assert "同意" in text  # the 组织部 opinion
    h = case.handovers[0]
    xlsx = client.get(f"/api/v1/handover/{h.id}/list_xlsx", headers=tokens["officer04"])
    assert xlsx.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert h.enterprise.name in ws.cell(1, 1).value
    assert [ws.cell(r, 4).value for r in range(4, 4 + len(h.items))] == [i.title for i in h.items]
