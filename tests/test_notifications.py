"""notify(): the bell and the mail of a hand-over (issue 9 items 1, 2).

Expectations from the issue: each hand-over reaches the recipient in the portal and by mail in
their chosen mode, once (a retry writes nothing), by 10:00 of the next working morning at the latest."""
from datetime import datetime

from sqlalchemy import func, select

from app import clock, db, notifications, workdays
from app.mail import deliver_due, set_mode
from app.models import OutboundMessage, Reminder
from app.notifications.models import Notification
from world import user_id

TZ = "Asia/Shanghai"


def _at(*args):
    return datetime(*args, tzinfo=clock.tz())


def _workday(after=datetime(2026, 12, 1).date(), n=0):
    """A working day (n-th after ``after``) whose next day is a working day too."""
    day = workdays.add_workdays(after, n)
    while not workdays.is_workday(workdays.add_workdays(day, 1)) or workdays.add_workdays(day, 1).toordinal() != day.toordinal() + 1:
        day = workdays.add_workdays(day, 1)
    return day


def _messages(uid):
    return db.session.scalars(select(OutboundMessage).where(OutboundMessage.recipient_id == uid)
                              .order_by(OutboundMessage.id)).all()


def test_notify_writes_bell_and_mail_once_per_key(ctx):
    day = _workday()
    a, b = user_id("dept01"), user_id("dept02")
    before = {u: len(_messages(u)) for u in (a, b)}
    with clock.at(_at(day.year, day.month, day.day, 11, 0)):
        written = notifications.notify([a, b, a, None], "问题 2026-0001 已转办贵单位", "/ledger/1",
                                       kind="issue", key="t:1")
        again = notifications.notify([a, b], "问题 2026-0001 已转办贵单位", "/ledger/1", kind="issue", key="t:1")
        db.session.commit()
    assert len(written) == 2 and again == []
    for uid in (a, b):
        notes = db.session.scalars(select(Notification).where(Notification.user_id == uid, Notification.key == "t:1")).all()
        assert len(notes) == 1 and notes[0].read_at is None
        messages = _messages(uid)
        assert len(messages) == before[uid] + 1
        message = messages[-1]
        assert "2026-0001" in message.subject
        assert "http://" in message.body_text and "/ledger/1" in message.body_text
    assert db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.kind == "handover", Reminder.dedupe_key.like("notify:t:1:%"))) == 2
