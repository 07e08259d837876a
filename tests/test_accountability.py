"""The urging ladder (blue / yellow 督办单 / red 通报批评 on working days), "with explanation", and the
criticism and urge workflows through HTTP — issue 12 item 3."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import bulletins, clock, db, stats, workdays
from app.accountability import ladder
from app.accountability.models import Criticism, Lapse, Urge
from app.models import DutyRecord
from app.notices.models import Notice
from conftest import api_token, login


def _running_notice():
    notice = db.session.scalar(select(Notice).where(Notice.status.in_(("sent", "acknowledged"))).order_by(Notice.id))
    assert notice is not None, "the demo has notices with their units"
    return notice


def _due(notice, day, explained=False):
    notice.due_on = day
    notice.next_feedback_on = None
    notice.rework_count = 0
    notice.explanation = "需等待市级批复，已函告办公室。" if explained else None
    notice.explained_at = datetime.combine(day - timedelta(days=1), datetime.min.time()) if explained else None
    db.session.flush()


def _counts(notice):
    return (db.session.scalar(select(func.count()).select_from(Urge).where(Urge.notice_id == notice.id, Urge.reason == "overdue")),
            db.session.scalar(select(func.count()).select_from(Criticism).where(Criticism.refs["notice"].as_integer() == notice.id)),
            db.session.scalar(select(func.count()).select_from(Lapse).where(Lapse.ref_id == notice.id, Lapse.kind == "notice_overdue")))


def _first_day_after_a_holiday(year):
    """A working day whose previous calendar day is a day off that is not a weekend (National Day)."""
    day = date(year, 10, 1)
    while not workdays.is_workday(day):
        day += timedelta(days=1)
    return day


def test_ladder_counts_working_days_across_national_day(ctx):
    notice = _running_notice()
    due = date(2026, 9, 30)  # the eve of the National Day holiday
    _due(notice, due)
    holiday = due + timedelta(days=3)
    assert not workdays.is_workday(holiday)
    ladder.escalate(holiday)
    assert _counts(notice) == (0, 0, 0), "no working day has passed in the holiday"
    yellow = workdays.add_workdays(due, 1)
    assert yellow == _first_day_after_a_holiday(2026)
    ladder.escalate(yellow)
    assert _counts(notice) == (1, 0, 1)
    ladder.escalate(workdays.add_workdays(due, 4))
    assert _counts(notice) == (1, 0, 1), "the same due date: one 督办单, one lapse"
    red = workdays.add_workdays(due, 5)
    ladder.escalate(red)
    assert _counts(notice) == (1, 1, 1)
    ladder.escalate(red + timedelta(days=7))
    assert _counts(notice) == (1, 1, 1), "idempotent: every later sweep adds nothing"
    crit = db.session.scalar(select(Criticism).where(Criticism.refs["notice"].as_integer() == notice.id))
    assert crit.status == "draft" and crit.basis == "notice_overdue" and crit.department_id == notice.lead.id


def test_a_make_up_saturday_counts_as_a_working_day(ctx):
    saturday = next(d for d in (date(2026, 1, 1) + timedelta(days=i) for i in range(365))
                    if d.weekday() == 5 and workdays.is_workday(d))  # a 调休 working Saturday
    notice = _running_notice()
    _due(notice, saturday - timedelta(days=1))  # due on the Friday before
    ladder.escalate(saturday)
    assert _counts(notice)[0] == 1


def test_an_explanation_before_the_due_date_holds_back_the_criticism(ctx):
    notice = _running_notice()
    due = date(2026, 11, 2)
    _due(notice, due, explained=True)
    red = workdays.add_workdays(due, 6)
    ladder.escalate(red)
    urges, criticisms, lapses = _counts(notice)
    assert (urges, criticisms, lapses) == (1, 0, 1)
    office = [ctx.appbuilder.sm.find_user(username="office")]
    told = [c for c in ladder.candidates(red, lambda p: p, lambda _: [], office, []) if c[2] == "notice_explained"]
    assert [c[4] for c in told] == [notice.id]


def test_blue_reminds_the_unit_one_working_day_before(ctx):
    notice = _running_notice()
    today = date(2026, 11, 26)  # a Thursday
    _due(notice, workdays.add_workdays(today, 1))
    from types import SimpleNamespace

    unit = [SimpleNamespace(id=-1)]
    blue = [c for c in ladder.candidates(today, lambda p: p, lambda _: unit, [], []) if c[2] == "notice_blue"]
    assert [c[4] for c in blue] == [notice.id]
    _due(notice, workdays.add_workdays(today, 2))
    assert not [c for c in ladder.candidates(today, lambda p: p, lambda _: unit, [], []) if c[2] == "notice_blue"]


def _draft_criticism(client, department=None):
    headers = api_token(client, "office")
    resp = client.post("/api/v1/criticism/", headers=headers, json={
        "basis": "notice_overdue", "title": "关于某单位交办事项逾期的通报批评", "text": "交办事项逾期5个工作日未办结。",
        "department": department})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"], headers


def test_criticism_path_director_approves_office_publishes_unit_replies(ctx, client):
    from world import department_of_login

    dept = department_of_login("dept01")
    cid, office = _draft_criticism(client, dept)
    version = lambda: client.get(f"/api/v1/criticism/{cid}", headers=office).get_json()["result"]["version"]  # noqa: E731
    assert client.post(f"/api/v1/criticism/{cid}/transition", headers=office,
                       json={"action": "approve", "version": version()}).status_code == 403  # the office is not the director
    director = api_token(client, "director")
    assert client.post(f"/api/v1/criticism/{cid}/transition", headers=director,
                       json={"action": "approve", "version": version()}).status_code == 200
    unit = api_token(client, "dept01")
    assert client.get(f"/api/v1/criticism/{cid}", headers=unit).status_code == 404  # not published yet
    assert client.post(f"/api/v1/criticism/{cid}/transition", headers=office,
                       json={"action": "publish", "version": version()}).status_code == 200
    assert client.get(f"/api/v1/criticism/{cid}", headers=unit).status_code == 200
    assert client.get(f"/api/v1/criticism/{cid}", headers=api_token(client, "dept02")).status_code == 404
    assert client.get(f"/api/v1/criticism/{cid}", headers=api_token(client, "ent01")).status_code in (403, 404)
    resp = client.post(f"/api/v1/criticism/{cid}/transition", headers=unit,
                       json={"action": "reply", "version": version(), "text": "已完成整改，建立台账每周调度。"})
    assert resp.status_code == 200 and resp.get_json()["result"]["rectify_reply"].startswith("已完成整改")
    assert client.get(f"/api/v1/criticism/{cid}", headers=api_token(client, "leader")).status_code == 200
    # published criticisms appear in the bulletin of their period
    data = bulletins.snapshot("weekly", stats.period("week", clock.today()))
    assert "关于某单位交办事项逾期的通报批评" in [row[2] for row in data["criticisms"]]


def test_the_director_never_approves_their_own_draft(ctx, client):
    director = api_token(client, "director")
    resp = client.post("/api/v1/criticism/", headers=director, json={
        "basis": "other", "title": "主任起草的通报", "text": "事实。", "department": 1})
    cid = resp.get_json()["id"]
    v = resp.get_json()["result"]["version"]
    refused = client.post(f"/api/v1/criticism/{cid}/transition", headers=director, json={"action": "approve", "version": v})
    assert refused.status_code == 409 and "起草人" in refused.get_json()["message"]


def test_criticism_from_lateness_records(ctx, client):
    record = db.session.scalar(select(DutyRecord).where(DutyRecord.kind.in_(("late_report", "missing_report"))).limit(1))
    assert record is not None, "the demo leaves late and missing reports"
    headers = api_token(client, "office")
    resp = client.post("/api/v1/criticism/", headers=headers, json={"duty_records": [record.id]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()["result"]
    assert body["officer"] == record.officer_id and body["basis"] == record.kind
    assert client.post("/api/v1/criticism/", headers=headers, json={"duty_records": ["x"]}).status_code == 422


def test_urge_is_sent_with_its_number_and_document(ctx, client):
    from app.gongwen import document_text

    notice = _running_notice()
    _due(notice, date(2026, 11, 2))
    ladder.escalate(date(2026, 11, 5))
    db.session.commit()
    urge = db.session.scalar(select(Urge).where(Urge.notice_id == notice.id, Urge.reason == "overdue"))
    office = api_token(client, "office")
    unit_login = "dept%02d" % notice.lead.id if notice.lead.id < 10 else None
    resp = client.post(f"/api/v1/urge/{urge.id}/transition", headers=office, json={"action": "send", "version": urge.version})
    assert resp.status_code == 200, resp.get_json()
    number = resp.get_json()["result"]["number"]
    assert number.startswith("示范区企服督〔") and number.endswith("号")
    login(client, "office")
    doc = client.get(f"/urges/{urge.id}/document")
    assert doc.status_code == 200 and number in document_text(doc.data)
    if unit_login:
        assert client.get(f"/api/v1/urge/{urge.id}", headers=api_token(client, unit_login)).status_code == 200
    assert client.get(f"/api/v1/urge/{urge.id}", headers=api_token(client, "ent01")).status_code in (403, 404)


def test_the_sweep_runs_the_ladder(ctx, checker):
    import json

    notice = _running_notice()
    _due(notice, date(2026, 11, 2))
    db.session.commit()
    runner = checker.test_cli_runner()
    result = runner.invoke(args=["cso", "sweep", "--now", "2026-11-10T10:20", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["urges"] >= 1 and summary["criticisms"] >= 1
    db.session.expire_all()
    assert _counts(notice) == (1, 1, 1)


@pytest.mark.parametrize("path", ["/criticisms/", "/urges/"])
def test_screens_as_office_and_unit(ctx, client, path):
    login(client, "office")
    assert client.get(path).status_code == 200
    login(client, "dept01")
    assert client.get(path).status_code == 200
    login(client, "ent01")
    assert client.get(path).status_code in (302, 403)


def test_ladder_reminders_fit_the_reminder_table(ctx):
    """Every field of a ladder reminder fits its column (PostgreSQL refuses what SQLite would keep)."""
    from app.models import Reminder

    notice = _running_notice()
    _due(notice, date(2026, 11, 2))
    ladder.escalate(date(2026, 11, 12))
    office = [ctx.appbuilder.sm.find_user(username="office")]
    rows = list(ladder.candidates(date(2026, 11, 12), lambda p: "http://portal" + p, lambda _: office, office, office))
    assert {r[2] for r in rows} >= {"urge", "criticism"}
    limits = {1: Reminder.dedupe_key, 2: Reminder.kind, 3: Reminder.item_type, 5: Reminder.tier, 6: Reminder.period}
    for row in rows:
        for i, column in limits.items():
            assert len(str(row[i])) <= column.type.length, (column.name, row[i])
