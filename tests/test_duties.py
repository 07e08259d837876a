"""Duties, reminders, mail and bulletins (the rhythms of the notice), with time as a parameter."""
import email
import os
import socket
from datetime import date, datetime, timedelta
from email import policy as email_policy

import pytest
from flask import current_app
from sqlalchemy import func, select

from app import clock, db, duties, mail, reminders, workdays
from app.models import DutyRecord, OutboundMessage, Reminder, Report
from app.settings import Policy
from conftest import celery_client, celery_env, login, start_worker, stop_worker, worker_is_up
from world import officer_of


def working_morning(days_ahead=0, hour=10, minute=5):
    """The first working day at or after today + days_ahead, at hour:minute (local, naive):
    inside the hours reminders go out, whatever day the suite runs on."""
    day = clock.today() + timedelta(days=days_ahead)
    while not workdays.is_workday(day):
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)


def test_due_days_follow_the_calendar():
    p = Policy()
    assert duties.weekly_period(date(2026, 11, 25), p)[2] == date(2026, 11, 27)  # an ordinary Friday
    # Fri 2 Oct 2026 is National Day: moved to the next working day, or the previous one
    assert duties.weekly_period(date(2026, 9, 30), p)[2] == date(2026, 10, 8)
    assert duties.weekly_period(date(2026, 9, 30), Policy(due_shift=-1))[2] == date(2026, 9, 30)
    assert duties.weekly_period(date(2026, 9, 30), Policy(due_shift=0))[2] == date(2026, 10, 2)
    # the monthly work ledger for September is due by 5 Oct (a holiday) → 8 Oct; for January by 5 Feb
    assert duties.monthly_period(date(2026, 10, 1), p) == (date(2026, 9, 1), date(2026, 9, 30), date(2026, 10, 8))
    assert duties.monthly_period(date(2026, 2, 20), p)[2] == date(2026, 2, 5)
    # a make-up Saturday is a working day: a due day set on Saturday stays there in that week
    assert duties.weekly_period(date(2026, 2, 12), Policy(weekly_due_weekday=6))[2] == date(2026, 2, 14)


def test_next_send_time_respects_quiet_hours_and_make_up_days():
    tz = clock.tz()
    at = lambda *a: datetime(*a, tzinfo=tz)  # noqa: E731
    assert mail.next_send_time(at(2026, 11, 27, 10, 0), Policy()) == at(2026, 11, 27, 10, 0)
    assert mail.next_send_time(at(2026, 11, 27, 19, 0), Policy()) == at(2026, 11, 30, 8, 30)  # Friday night → Monday
    assert mail.next_send_time(at(2026, 11, 28, 10, 0), Policy()) == at(2026, 11, 30, 8, 30)  # Saturday
    assert mail.next_send_time(at(2026, 11, 30, 7, 0), Policy()) == at(2026, 11, 30, 8, 30)
    assert mail.next_send_time(at(2026, 2, 28, 10, 0), Policy()) == at(2026, 2, 28, 10, 0)  # make-up Saturday
    assert mail.next_send_time(at(2026, 10, 1, 10, 0), Policy()) == at(2026, 10, 8, 8, 30)  # National Day


def test_sweep_writes_each_reminder_once_and_digests_per_recipient(ctx):
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0  # the demo has sent nothing yet
    moment = working_morning()
    first = reminders.sweep(moment)
    again = reminders.sweep(moment)
    assert again["reminders"] == 0 and again["messages"] == 0
    keys = db.session.scalars(select(Reminder.dedupe_key)).all()
    assert len(keys) == len(set(keys)) == first["reminders"] > 0
    recipients = set(db.session.scalars(select(Reminder.recipient_id)))
    per_recipient = dict(db.session.execute(select(OutboundMessage.recipient_id, func.count()).group_by(
        OutboundMessage.recipient_id)).all())
    assert per_recipient == {r: 1 for r in recipients}  # one message per recipient, carrying all their reminders
    assert first["messages"] == len(recipients)


def test_report_reminders_late_and_urged_records(ctx):
    officer = officer_of("officer07")
    monday = clock.week_start(clock.today()) + timedelta(weeks=3)
    start, end, due = duties.weekly_period(monday, Policy())
    report = Report(officer_id=officer.id, kind="weekly", period_start=start, period_end=end, due_on=due,
                    status="draft", content="草稿")
    db.session.add(report)
    db.session.commit()
    at = lambda d, h=10: datetime.combine(d, datetime.min.time()).replace(hour=h)  # noqa: E731
    reminders.sweep(at(due - timedelta(days=2)))  # Wednesday: 2 working days before Friday
    keys = set(db.session.scalars(select(Reminder.dedupe_key).where(Reminder.item_id == report.id, Reminder.item_type == "report")))
    assert f"report:{report.id}:due_soon" in keys
    after = due + timedelta(days=3)  # the Monday after: late, urged
    reminders.sweep(at(after))
    assert db.session.scalar(select(DutyRecord.id).where(DutyRecord.report_id == report.id, DutyRecord.kind == "missing_report"))
    later = after + timedelta(days=3)  # two working days after the urge, still nothing
    reminders.sweep(at(later))
    urged = db.session.scalar(select(DutyRecord).where(DutyRecord.report_id == report.id, DutyRecord.kind == "urged_missing"))
    assert urged is not None
    office_keys = set(db.session.scalars(select(Reminder.dedupe_key).where(Reminder.kind == "urged_missing")))
    assert any(k.startswith(f"urged:{urged.id}:") for k in office_keys)
    with clock.at(at(later, 11)):
        with pytest.raises(duties.DutyError):
            duties.submit_report(current_app.appbuilder.sm.find_user(username="officer06"), report.id, "不是我的报告内容")
        duties.submit_report(officer.user, report.id, "本周走访三家企业，收集问题两个。")
    db.session.commit()
    assert db.session.scalar(select(DutyRecord.id).where(DutyRecord.report_id == report.id, DutyRecord.kind == "late_report"))


def test_officer_edits_and_submits_through_the_page(ctx, client):
    officer = officer_of("officer08")
    report = db.session.scalar(select(Report).where(Report.officer_id == officer.id, Report.status == "draft"))
    login(client, "officer08")
    assert "周报" in client.get("/reports/").get_data(as_text=True)
    r = client.post(f"/reports/{report.id}", data={"content": "短", "submit": "1"}, follow_redirects=True)
    assert "过短" in r.get_data(as_text=True)
    client.post(f"/reports/{report.id}", data={"content": "本期走访企业三家，协调用电问题一个。", "submit": "1"})
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "submitted"
    login(client, "officer09")
    assert client.get(f"/reports/{report.id}").status_code == 404  # someone else's report


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_down_then_up_sends_once(ctx):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    port = _free_port()
    current_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        user = current_app.appbuilder.sm.find_user(username="leader")
        msg = OutboundMessage(recipient_id=user.id, to_addr=user.email, subject="【测试】中文主题", body_text="正文内容",
                              body_html="<p>正文内容</p>", not_before=clock.utcnow() - timedelta(minutes=1), status="pending")
        db.session.add(msg)
        db.session.commit()
        with pytest.raises(OSError):
            mail.deliver(msg.id)  # nobody listening yet
        db.session.expire_all()
        msg = db.session.get(OutboundMessage, msg.id)
        assert (msg.status, msg.attempts) == ("pending", 1) and msg.last_error
        controller = Controller(Keep(), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            msg.not_before = clock.utcnow() - timedelta(seconds=1)
            db.session.commit()
            assert mail.deliver(msg.id) == "sent"
            assert mail.deliver(msg.id) == "sent"  # already sent: skipped, not sent again
        finally:
            controller.stop()
        assert len(received) == 1
        assert str(email.message_from_bytes(received[0].as_bytes(), policy=email_policy.default)["Subject"]) == "【测试】中文主题"
    finally:
        current_app.config.update(MAIL_SERVER=None)


def test_bulletin_generate_publish_download(ctx, client, monkeypatch):
    from app.jobs import rules as job_rules

    sent = []
    monkeypatch.setattr(job_rules, "dispatch", lambda job: sent.append((job.id, job.task_id)))
    login(client, "office")
    r = client.post("/bulletins/generate", data={"kind": "weekly"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/jobs/{sent[0][0]}")  # a background job
    assert job_rules.run(*sent[0])["state"] == "done"  # what the worker does
    from app.models import Bulletin

    b = db.session.scalar(select(Bulletin).where(Bulletin.kind == "weekly").order_by(Bulletin.id.desc()))
    assert b.status == "draft"
    login(client, "leader")
    assert client.get(f"/bulletins/{b.id}").status_code == 404  # drafts are the office's
    login(client, "office")
    before = db.session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.attachment.is_not(None)))
    client.post(f"/bulletins/{b.id}/publish", data={"commentary": "本周整体进展顺利，超期问题请相关单位抓紧办理。"})
    db.session.expire_all()
    assert db.session.get(Bulletin, b.id).status == "published"
    after = db.session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.attachment.is_not(None)))
    assert after > before
    login(client, "leader")
    page = client.get(f"/bulletins/{b.id}").get_data(as_text=True)
    assert "本周整体进展顺利" in page
    xlsx = client.get(f"/bulletins/{b.id}/xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK" and "filename*=UTF-8''" in xlsx.headers["Content-Disposition"]


def test_quarterly_bulletin_from_the_screen_and_the_cli(ctx, client, checker):
    """The office picks 上季度工作通报 on the bulletins page; ``flask cso bulletin quarterly`` does the same
    by hand, and an unknown kind is refused in Chinese (app/bulletins.KINDS, issue 13 item 4)."""
    from app.models import Bulletin

    login(client, "office")
    page = client.get("/bulletins/").get_data(as_text=True)
    assert '<option value="quarterly">上季度工作通报</option>' in page
    assert "系统于每周五17:00、每月1日8:00、每季度首日8:30自动生成草稿" in page  # read off config.BEAT_SCHEDULE
    done = checker.test_cli_runner().invoke(args=["cso", "bulletin", "quarterly", "--period", "2026-10-08"])
    assert done.exit_code == 0 and "首席服务官工作季度通报（2026年第3季度）" in done.output, done.output
    b = db.session.scalar(select(Bulletin).where(Bulletin.kind == "quarterly"))
    assert (b.period_start, b.period_end, b.status) == (date(2026, 7, 1), date(2026, 9, 30), "draft")
    bad = checker.test_cli_runner().invoke(args=["cso", "bulletin", "yearly"])
    assert bad.exit_code == 2 and "quarterly（季度通报）" in bad.output
    r = client.post("/bulletins/generate", data={"kind": "yearly"}, follow_redirects=True)
    assert "通报类型应为" in r.get_data(as_text=True)


def test_cli_sweep_json_and_outbox(checker, tmp_path, monkeypatch):
    import json

    monkeypatch.setitem(checker.config, "MAIL_OUTBOX", str(tmp_path))
    monkeypatch.setitem(checker.config, "MAIL_SERVER", None)
    moment = working_morning(minute=20).isoformat(timespec="minutes")
    run = lambda: checker.test_cli_runner().invoke(args=["cso", "sweep", "--now", moment, "--json"])  # noqa: E731
    first = run()
    assert first.exit_code == 0, first.output
    second = run()
    assert second.exit_code == 0, second.output
    a, b = json.loads(first.stdout.strip().splitlines()[-1]), json.loads(second.stdout.strip().splitlines()[-1])
    assert a["messages"] > 0 and a["sent"] == a["messages"] == len(list(tmp_path.glob("*.eml"))) and a["failed"] == 0
    assert (b["reminders"], b["messages"], b["sent"]) == (0, 0, 0)
    bad = checker.test_cli_runner().invoke(args=["cso", "sweep", "--now", "明天"])
    assert bad.exit_code == 2 and "YYYY-MM-DDTHH:MM" in bad.output


def test_real_worker_runs_the_sweep_once(app, tmp_path):
    """The beat task through a real worker on the configured broker (SQLite by default, Redis in CI):
    the second run at the same moment writes nothing new."""
    env = celery_env(tmp_path, MAIL_OUTBOX=str(tmp_path / "outbox"))
    worker, client = start_worker(env), celery_client(env)
    try:
        moment = working_morning(days_ahead=1, hour=11, minute=0).isoformat()
        first = client.send_task("cso.sweep", args=[moment]).get(timeout=120)
        second = client.send_task("cso.sweep", args=[moment]).get(timeout=120)
        assert second["reminders"] == 0 and second["messages"] == 0
        # the demo has no mail yet and everybody reads it at once: one message per recipient, all due now
        assert first["reminders"] > 0 and first["queued"] == first["messages"] > 0
    finally:
        stop_worker(worker)


def test_visit_and_department_reminders_at_their_boundaries(ctx):
    """No-visit reminders start on the set weekday; departments hear of their problems when the
    deadline is one working day away, again when it is past — once each."""
    from app import ledger
    from app.models import Visit
    from world import department_of_login, enterprises_of

    sm = current_app.appbuilder.sm
    ent = enterprises_of("officer10")[0]
    # a week in which nobody visits this enterprise: Tuesday is quiet, Wednesday reminds
    monday = clock.week_start(clock.today()) + timedelta(weeks=6)
    db.session.execute(Visit.__table__.delete().where(Visit.enterprise_id == ent, Visit.visit_date >= monday))
    db.session.commit()
    reminders.sweep(datetime.combine(monday + timedelta(days=1), datetime.min.time()).replace(hour=10))
    key = f"visit:{ent}:{duties.week_key(monday)}:{sm.find_user(username='officer10').id}"
    assert db.session.scalar(select(Reminder.id).where(Reminder.dedupe_key == key)) is None
    reminders.sweep(datetime.combine(monday + timedelta(days=2), datetime.min.time()).replace(hour=10))
    assert db.session.scalar(select(Reminder.id).where(Reminder.dedupe_key == key)) is not None
    # a problem transferred now: approaching the day before its deadline, overdue the day after
    with clock.at(datetime.combine(monday, datetime.min.time()).replace(hour=9)):
        issue = ledger.create_issue(sm.find_user(username="office"), ent, "提醒测试", "部门提醒边界")
        ledger.transition(sm.find_user(username="office"), issue.id, "accept", {})
        ledger.transition(sm.find_user(username="office"), issue.id, "assign", {"department": department_of_login("dept04")})
        db.session.commit()
    dept_user = sm.find_user(username="dept04").id
    kinds = lambda: set(db.session.scalars(select(Reminder.tier).where(  # noqa: E731
        Reminder.item_type == "issue", Reminder.item_id == issue.id, Reminder.recipient_id == dept_user)))
    assert issue.due_on == issue.feedback_due  # first feedback is what is due first
    reminders.sweep(datetime.combine(issue.due_on - timedelta(days=3), datetime.min.time()).replace(hour=10))
    assert kinds() == set()
    reminders.sweep(datetime.combine(issue.due_on, datetime.min.time()).replace(hour=10))
    assert kinds() == {"approaching"}
    reminders.sweep(datetime.combine(issue.due_on + timedelta(days=1), datetime.min.time()).replace(hour=10))
    reminders.sweep(datetime.combine(issue.due_on + timedelta(days=1), datetime.min.time()).replace(hour=11))
    assert kinds() == {"approaching", "overdue"}
    assert db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.item_id == issue.id, Reminder.item_type == "issue", Reminder.recipient_id == dept_user)) == 2


@pytest.mark.skipif(not (os.environ.get("CELERY_BROKER_URL") or "").startswith("redis"),
                    reason="redelivery after a killed worker is tested on Redis (CI)")
def test_killed_worker_is_redelivered_and_sends_nothing_twice(app, tmp_path):
    import signal
    import time

    env = celery_env(tmp_path, MAIL_OUTBOX=str(tmp_path / "outbox"), CELERY_VISIBILITY_TIMEOUT="5")
    client = celery_client(env)
    moment = (datetime.combine(clock.today(), datetime.min.time()) + timedelta(weeks=9, hours=10)).isoformat()
    worker = start_worker(env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not worker_is_up(client, env):  # the worker is up and waiting
            assert time.monotonic() < deadline, "the Celery worker did not start"
        with app.app_context():
            drafts = lambda: db.session.scalar(select(func.count()).select_from(Report))  # noqa: E731
            before = drafts()
            task_id = client.send_task("cso.sweep", args=[moment]).id
            sent = time.monotonic()
            while drafts() == before:  # the sweep's first commit (report drafts) is in: it is running
                assert time.monotonic() < sent + 60, "the sweep never started"
                db.session.remove()
                time.sleep(0.01)
            db.session.remove()
        os.killpg(worker.pid, signal.SIGKILL)  # mid-sweep: no warm shutdown, no ack
        worker.wait(timeout=30)
        # kombu hands an unacknowledged task on once it is older than the visibility timeout, looking
        # when a worker starts polling (then only every ~100 s): start the next worker after that
        time.sleep(max(0.0, sent + int(env["CELERY_VISIBILITY_TIMEOUT"]) + 0.5 - time.monotonic()))
        worker = start_worker(env, start_new_session=True)
        first = client.AsyncResult(task_id).get(timeout=120)  # redelivered to the new worker
        assert "reminders" in first and "queued" in first
        again = client.send_task("cso.sweep", args=[moment]).get(timeout=120)
        assert again["reminders"] == 0
        with app.app_context():  # let the queued send tasks run
            while mail.due_messages(datetime.fromisoformat(moment).replace(tzinfo=clock.tz())):
                assert time.monotonic() < deadline + 120, "queued messages were never sent"
                db.session.remove()
                time.sleep(0.2)
            db.session.remove()
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    with app.app_context():
        keys = db.session.scalars(select(Reminder.dedupe_key)).all()
        assert len(keys) == len(set(keys))
        files = sorted(str(p) for p in (tmp_path / "outbox").glob("*.eml"))
        here = sorted(m.eml_path for m in db.session.scalars(select(OutboundMessage).where(
            OutboundMessage.status == "sent", OutboundMessage.eml_path.like(f"{tmp_path}%"))))
        assert files and files == here  # every file is one sent message: none went out twice


def test_daily_digest_waits_for_the_next_working_morning_and_collects(ctx):
    from app.models import AccountState

    user = current_app.appbuilder.sm.find_user(username="officer11")
    state = db.session.get(AccountState, user.id) or AccountState(user_id=user.id, failed_logins=0)
    state.mail_mode = "daily"
    db.session.add(state)
    db.session.commit()
    monday = clock.week_start(clock.today()) + timedelta(weeks=12)
    reminders.sweep(datetime.combine(monday + timedelta(days=2), datetime.min.time()).replace(hour=10))
    reminders.sweep(datetime.combine(monday + timedelta(days=2), datetime.min.time()).replace(hour=15))
    pending = db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.recipient_id == user.id, OutboundMessage.status == "pending",
        OutboundMessage.not_before > mail.to_utc_naive(datetime.combine(monday + timedelta(days=2), datetime.min.time())
                                                       .replace(tzinfo=clock.tz())))).all()
    assert len(pending) == 1  # one digest, collected over the day
    local = clock.local(pending[0].not_before)
    assert (local.hour, local.minute) == (8, 30) and local.date() > monday + timedelta(days=2)
    state.mail_mode = "immediate"
    db.session.commit()
