"""The mail of a hand-over (issue 9 items 1, 2): by 10:00 of the next working morning in either
mail mode, held by quiet hours, subjects never cut mid-word or mid-date, links at the portal's
real address, and "已发送邮件" said only when it was sent.

Times are worked out by hand from the default policy (mail from 08:30 to 18:00 on working days) and
the working-day calendar."""
import os
import random
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import current_app
from sqlalchemy import select

from app import clock, db, notifications, workdays
from app.mail import deliver_due, set_mode, short_subject
from app.models import OutboundMessage, Reminder, Setting
from app.notifications.models import Notification
from conftest import ROOT, flashes, login
from world import user_id


def _local(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.tz())


def _day_before_a_break():
    """A working day followed by a non-working day (a Friday, or the eve of a holiday)."""
    day = workdays.add_workdays(date(2026, 12, 1), 0)
    while workdays.is_workday(day + timedelta(days=1)):
        day = workdays.add_workdays(day, 1)
    return day


def _workday_followed_by_workday():
    day = workdays.add_workdays(date(2026, 12, 1), 0)
    while not workdays.is_workday(day + timedelta(days=1)):
        day = workdays.add_workdays(day, 1)
    return day


def _message_of(note):
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_type == "notification", Reminder.item_id == note.id))
    return reminder.message


def _notify_at(moment, username="dept01", key=None, title="问题 2026-0099 已转办贵单位（牵头），请签收办理"):
    with clock.at(moment):
        notes = notifications.notify([user_id(username)], title, "/ledger/1", kind="issue",
                                     key=key or f"test:{moment.isoformat()}:{username}")
        db.session.commit()
    assert len(notes) == 1
    return notes[0]


def _utc(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _sent(message_id, moment):
    with clock.at(moment):
        deliver_due(moment)
    db.session.expire_all()
    return db.session.get(OutboundMessage, message_id).status == "sent"


def test_immediate_in_working_hours_goes_at_once(ctx):
    day = _workday_followed_by_workday()
    now = _local(day, 10, 30)
    message = _message_of(_notify_at(now))
    assert message.not_before == _utc(now)
    assert _sent(message.id, now + timedelta(minutes=1))


def test_quiet_hours_hold_immediate_mail_until_the_next_working_morning(ctx):
    friday = _day_before_a_break()
    next_day = workdays.add_workdays(friday, 1)
    evening = _local(friday, 20, 0)
    message = _message_of(_notify_at(evening))
    assert message.not_before == _utc(_local(next_day, 8, 30))
    assert not _sent(message.id, evening + timedelta(minutes=5))  # held overnight
    assert not _sent(message.id, _local(next_day, 8, 15))
    assert _sent(message.id, _local(next_day, 8, 30))  # by 10:00 of the next working morning
    # a second one in the same night joins the held mail: one mail in the morning, not two
    later = _local(next_day, 21, 0)
    first = _message_of(_notify_at(later, key="night:1"))
    second = _message_of(_notify_at(later + timedelta(minutes=30), key="night:2"))
    assert first.id == second.id and "2项" in second.subject


def test_early_morning_mail_waits_for_opening_time(ctx):
    day = _workday_followed_by_workday()
    message = _message_of(_notify_at(_local(day, 6, 45)))
    assert message.not_before == _utc(_local(day, 8, 30))


@pytest.mark.parametrize("hour,expected_day", [(7, 0), (11, 1), (17, 1), (22, 1)])
def test_the_daily_digest_goes_by_the_next_working_morning(ctx, hour, expected_day):
    """每日汇总: everything of a day in one mail, sent at the next working morning's opening (08:30) —
    a digest begun before opening time on a working day goes that same morning, not a day later."""
    set_mode(current_app.appbuilder.sm.find_user(username="dept01"), "daily")
    db.session.commit()
    day = _workday_followed_by_workday()
    moment = _local(day, hour)
    message = _message_of(_notify_at(moment))
    send_day = day if expected_day == 0 else workdays.add_workdays(day, 1)
    assert message.not_before == _utc(_local(send_day, 8, 30))
    assert not _sent(message.id, moment + timedelta(minutes=1))
    assert _sent(message.id, _local(send_day, 10, 0))


def test_the_digest_collects_the_day_into_one_mail(ctx):
    set_mode(current_app.appbuilder.sm.find_user(username="dept01"), "daily")
    db.session.commit()
    day = _workday_followed_by_workday()
    a = _message_of(_notify_at(_local(day, 9), key="d:1"))
    b = _message_of(_notify_at(_local(day, 15), key="d:2", title="交办通知单 示范区企服交〔2026〕3号 已送达贵单位"))
    assert a.id == b.id
    assert "2项待办提醒" in b.subject and "2026-0099" in b.body_text and "〔2026〕3号" in b.body_text


def test_a_digest_over_a_long_break_still_goes_on_the_first_working_morning(ctx):
    set_mode(current_app.appbuilder.sm.find_user(username="dept01"), "daily")
    db.session.commit()
    friday = _day_before_a_break()
    message = _message_of(_notify_at(_local(friday, 16)))
    assert message.not_before == _utc(_local(workdays.add_workdays(friday, 1), 8, 30))


@pytest.mark.parametrize("mode", ["immediate", "daily"])
def test_a_late_opening_time_never_pushes_mail_past_ten(ctx, mode):
    """Even when 邮件发送开始时间 is set later than 10:00, held mail goes by 10:00."""
    db.session.merge(Setting(key="policy.quiet_start", value="1100"))
    set_mode(current_app.appbuilder.sm.find_user(username="dept01"), mode)
    db.session.commit()
    day = _workday_followed_by_workday()
    message = _message_of(_notify_at(_local(day, 19)))
    assert message.not_before == _utc(_local(workdays.add_workdays(day, 1), 10, 0))


def test_a_notification_is_mailed_once_even_when_the_sweep_runs_again(ctx):
    from app import reminders

    day = _workday_followed_by_workday()
    note = _notify_at(_local(day, 11))
    before = db.session.scalar(select(db.func.count()).select_from(Reminder).where(Reminder.item_id == note.id,
                                                                                     Reminder.item_type == "notification"))
    reminders.sweep(_local(day, 11, 15))
    reminders.sweep(_local(day, 11, 30))
    db.session.expire_all()
    assert before == 1 == db.session.scalar(select(db.func.count()).select_from(Reminder).where(
        Reminder.item_id == note.id, Reminder.item_type == "notification"))
    assert db.session.scalar(select(db.func.count()).select_from(Notification).where(Notification.key == note.key)) == 1


# --- subjects ------------------------------------------------------------------------------------

PREFIX = "【首席服务官工作平台】"
NAMES = ["焦作市恒达精密机械有限公司", "示范区新材料科技股份有限公司第二分公司", "Henan Xinda Precision Co., Ltd.",
         "中原（焦作）智能装备产业园运营管理有限公司"]
TITLES = ["流动资金贷款到期续贷困难", "厂区门口道路破损严重影响物流车辆进出", "电力增容申请审批进度缓慢（已反映三次）",
          "员工子女入学 school enrollment 协调"]


def _texts(n=300):
    rng = random.Random(9)
    for _ in range(n):
        due = date(2026, 1, 1) + timedelta(days=rng.randrange(700))
        number = f"{rng.choice([2026, 2027])}-{rng.randrange(1, 9999):04d}"
        yield (f"{number} {rng.choice(NAMES)}{'、'.join(rng.sample(NAMES, rng.randrange(0, 3)))}："
               f"{rng.choice(TITLES)}（时限{due:%Y-%m-%d}，{rng.choice(['临期', '超期', '严重超期'])}）")


DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_subjects_are_never_cut_mid_word_or_mid_date():
    for text in _texts():
        for limit in (40, 50, 60, 78):
            subject = short_subject(PREFIX, text, limit)
            assert len(subject) <= limit
            if subject == PREFIX + text:
                continue
            assert subject.endswith("…")
            kept = subject[len(PREFIX):-1]
            assert text.startswith(kept)
            # no broken date, number or latin word at the cut
            assert not re.search(r"[0-9A-Za-z]$", kept) or not re.match(r"[0-9A-Za-z\-:/.]", text[len(kept)])
            for found in re.findall(r"\d{4}-\d{2}-\d{2}", kept):
                assert found in text
            # brackets closed: never "…（时限2026-"
            assert kept.count("（") == kept.count("）")
            assert not kept.endswith(("（", "(", "，", "、", "："))


def test_a_long_single_reminder_subject_ends_at_a_clause(ctx):
    """The sweep's one-item subject (reminders._render) used to be cut at 40 characters: "…（时限2026-"."""
    from app import reminders
    from app.models import Issue

    issue = db.session.scalar(select(Issue).where(Issue.status == "in_progress").limit(1))
    text = (f"{issue.number} 示范区新材料科技股份有限公司第二分公司：厂区门口道路破损严重影响物流车辆进出"
            f"（时限2026-12-08，超期）")
    subject, _, _ = reminders._render(current_app.appbuilder.sm.find_user(username="dept01"),
                                      [Reminder(kind="issue_overdue", text=text, link="/")])
    assert "（时限2026-" not in subject and subject.startswith(PREFIX + issue.number)
    assert subject.endswith("…") or subject == PREFIX + text


# --- links and the portal's address ----------------------------------------------------------------

def test_mail_links_use_the_portal_base_url(ctx):
    current_app.config["PORTAL_BASE_URL"] = "https://cso.example.gov.cn/portal/"
    try:
        message = _message_of(_notify_at(_local(_workday_followed_by_workday(), 11)))
    finally:
        current_app.config["PORTAL_BASE_URL"] = "http://127.0.0.1:5000"
    assert "https://cso.example.gov.cn/portal/ledger/1" in message.body_text
    assert 'href="https://cso.example.gov.cn/portal/ledger/1"' in message.body_html


def test_run_py_port_sets_the_portal_address_unless_given():
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_BASE_URL"}
    code = "import run; run.portal_address(5987); import config; print(config.PORTAL_BASE_URL)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "http://127.0.0.1:5987"
    env["PORTAL_BASE_URL"] = "https://cso.example.gov.cn"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "https://cso.example.gov.cn"
    assert "portal_address(args.port)" in open(os.path.join(ROOT, "run.py"), encoding="utf-8").read()


# --- what the screen says -------------------------------------------------------------------------

@pytest.mark.parametrize("hour,expected", [(10, "已发送邮件"), (20, "邮件已排队，将于")])
def test_publishing_a_bulletin_says_sent_only_when_sent(ctx, client, hour, expected):
    from app import bulletins
    from app.models import Bulletin

    day = _workday_followed_by_workday()
    moment = _local(day, hour)
    with clock.at(moment):
        b = bulletins.generate("weekly")
        db.session.commit()
        login(client, "office")
        resp = client.post(f"/bulletins/{b.id}/publish", data={"commentary": "请相关单位抓紧办理。"}, follow_redirects=True)
    text = " ".join(flashes(resp.get_data(as_text=True)))
    assert expected in text, text
    if hour == 20:
        opening = _local(workdays.add_workdays(day, 1), 8, 30)
        assert f"{opening:%Y-%m-%d %H:%M}发送" in text and "已发送邮件" not in text
    messages = db.session.scalars(select(OutboundMessage).where(OutboundMessage.attachment.is_not(None),
                                                                OutboundMessage.subject.contains(b.title[:10]))).all()
    assert messages and all((m.status == "sent") == (hour == 10) for m in messages if m.to_addr)
    db.session.expire_all()
    assert db.session.get(Bulletin, b.id).status == "published"


def test_a_hand_over_told_during_the_sweep_joins_its_one_mail_per_recipient(ctx):
    """Features the sweep runs (policies' window alerts, the ladder …) may notify: that line goes into
    the recipient's one mail of this sweep; a line left without a message (a crash) is picked up next time."""
    from app import reminders
    from app.notifications import service

    day = _workday_followed_by_workday()
    moment = _local(day, 11)
    with clock.at(moment), service.gathered():
        note = notifications.notify([user_id("dept01")], "问题 2026-0099 测试：扫描中的通知", "/ledger/1", key="gather:1")[0]
        db.session.commit()
    line = db.session.scalar(select(Reminder).where(Reminder.item_type == "notification", Reminder.item_id == note.id))
    assert line.message_id is None
    before = {m.id for m in db.session.scalars(select(OutboundMessage).where(OutboundMessage.recipient_id == user_id("dept01")))}
    reminders.sweep(moment + timedelta(minutes=15))
    db.session.expire_all()
    line = db.session.get(Reminder, line.id)
    new = [m for m in db.session.scalars(select(OutboundMessage).where(OutboundMessage.recipient_id == user_id("dept01")))
           if m.id not in before]
    assert len(new) == 1 and line.message_id == new[0].id and "扫描中的通知" in new[0].body_text
