"""notify(): the one call when a transition puts work on someone's desk (issue 9 item 1).

Each recipient gets a :class:`Notification` (the bell) and — through the reminders' own path — a
``Reminder`` row (unique dedupe key) in their ``OutboundMessage``: at once in working hours, held by
quiet hours until the next working morning, or in the recipient's daily digest (mail mode 每日汇总),
which goes out by 10:00 of the next working morning (``mail.digest_send_time``). Sending stays with
beat's sweep (``mail.deliver_due`` every quarter hour), so a rolled-back transition sends nothing and
a repeated one (same ``key``) writes nothing new."""
import hashlib
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock, db
from ..mail import new_message, next_send_time, to_utc_naive
from ..models import AccountState, OutboundMessage, Reminder, User
from ..settings import get_policy
from ..validation import valid_id
from .models import Notification

TITLE_MAX, BODY_MAX, URL_MAX, KEY_MAX = 200, 2000, 300, 200


def absolute(url):
    """A portal path as the address mail links to (config PORTAL_BASE_URL; run.py --port sets it)."""
    if url.startswith(("http://", "https://")):
        return url
    base = current_app.config["PORTAL_BASE_URL"] if has_app_context() else ""
    return base.rstrip("/") + "/" + url.lstrip("/")


def _key(key, limit=KEY_MAX):
    key = str(key)
    return key if len(key) <= limit else key[: limit - 17] + ":" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _recipients(user_ids):
    ids = []
    for uid in user_ids or ():
        if uid is None:
            continue
        uid = getattr(uid, "id", uid)  # a User is taken as its id
        if isinstance(uid, int) and uid not in ids:
            ids.append(uid)
    if not ids:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)))}
    return [users[i] for i in ids if i in users]


def notify(user_ids, title, url, *, body="", kind="", key=None, reminder=None):
    """Tell each user (ab_user ids; duplicates, None and inactive logins ignored) in the portal and
    by mail. Returns the notifications written (none for a user who already has ``key``).
    ``reminder``: fields of the mail's Reminder row instead of the hand-over's (the 催报 is recorded
    as the report's late reminder, what app.duties counts 催而不报 from)."""
    users = _recipients(user_ids)
    if not users:
        return []
    title = " ".join(str(title or "").split())[:TITLE_MAX] or "新的待办事项"
    body = str(body or "")[:BODY_MAX]
    url = str(url or "/")[:URL_MAX]
    key = _key(key) if key else None
    kind = str(kind or "")[:30]
    if key:
        have = set(db.session.scalars(select(Notification.user_id).where(
            Notification.key == key, Notification.user_id.in_([u.id for u in users]))))
        users = [u for u in users if u.id not in have]
    now = clock.now()
    policy = get_policy()
    written = []
    for user in users:
        try:
            with db.session.begin_nested():  # a concurrent twin that got there first wins, quietly
                note = Notification(user_id=user.id, kind=kind, title=title, body=body, url=url, key=key,
                                    created_at=clock.utcnow())
                db.session.add(note)
                db.session.flush()
                _mail(user, note, now, policy, reminder or {})
        except IntegrityError:
            continue
        written.append(note)
    return written


_GATHER = ContextVar("cso_notifications_gather", default=False)


@contextmanager
def gathered():
    """Inside ``reminders.sweep``: a hand-over's mail line is written without a message, and the
    sweep puts it into the recipient's one mail of this run (with their reminders)."""
    token = _GATHER.set(True)
    try:
        yield
    finally:
        _GATHER.reset(token)


def _mail(user, note, now, policy, fields):
    """The notification's line in the recipient's next mail (the reminders' deduplicated path)."""
    from ..reminders import _render

    dedupe = _key(f"notify:{note.key}:{user.id}" if note.key else f"notification:{note.id}")
    text = note.title + (f"：{note.body}" if note.body else "")
    values = {"kind": "handover", "item_type": "notification", "item_id": note.id, "tier": "handover",
              "period": clock.local(note.created_at).date().isoformat(), **fields}
    reminder = Reminder(dedupe_key=dedupe, recipient_id=user.id, text=text[:500], link=absolute(note.url)[:300],
                        created_at=clock.utcnow(), **values)
    db.session.add(reminder)
    db.session.flush()
    if _GATHER.get():
        return
    message = _message_for(user, now, policy)
    reminder.message = message
    db.session.flush()
    everything = db.session.scalars(select(Reminder).where(Reminder.message_id == message.id)
                                    .order_by(Reminder.id)).all()
    message.subject, message.body_text, message.body_html = _render(user, everything)


def _message_for(user, now, policy):
    """The daily digest (mail mode 每日汇总) or, in immediate mode, a message of its own — joined to one
    already held for the same morning, so a night of hand-overs is one mail at 8:30, not ten."""
    from ..reminders import _message_for as reminder_message

    state = db.session.get(AccountState, user.id)
    if state is not None and state.mail_mode == "daily":
        return reminder_message(user, now, policy)
    send_at = to_utc_naive(next_send_time(now, policy))
    same = db.session.info.setdefault(_TX_MESSAGES, {}).get(user.id)  # this transaction's mail to them
    if same is not None:
        message = db.session.get(OutboundMessage, same)
        if message is not None and message.status == "pending":
            return message
    if send_at > to_utc_naive(now):
        held = db.session.scalar(select(OutboundMessage).where(
            OutboundMessage.recipient_id == user.id, OutboundMessage.status == "pending",
            OutboundMessage.not_before == send_at, OutboundMessage.attachment.is_(None))
            .order_by(OutboundMessage.id.desc()).limit(1))
        if held is not None:
            return held
    message = new_message(user, "", "", "", send_at)
    db.session.flush()
    db.session.info[_TX_MESSAGES][user.id] = message.id
    return message


_TX_MESSAGES = "cso_notification_messages"  # {user id: message id} written in the open transaction


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_TX_MESSAGES, None)


def unmail_seeded():
    """The demo district's history (app.demo.seed): drop the mail (not the notifications) of
    hand-overs written so far while the mail has not gone — the pending hand-over lines, and the
    messages left with nothing else in them — and mark what is older than three days read."""
    from sqlalchemy import delete

    pending = select(OutboundMessage.id).where(OutboundMessage.status.in_(("pending", "no_address")))
    lines = select(Reminder.id).where(Reminder.kind == "handover", Reminder.message_id.in_(pending))
    touched = set(db.session.scalars(select(Reminder.message_id).where(Reminder.id.in_(lines)).distinct()))
    db.session.execute(delete(Reminder).where(Reminder.id.in_(lines)).execution_options(synchronize_session=False))
    for message_id in touched:
        left = db.session.scalars(select(Reminder).where(Reminder.message_id == message_id).order_by(Reminder.id)).all()
        message = db.session.get(OutboundMessage, message_id)
        if not left:
            db.session.delete(message)
        else:
            from ..reminders import _render

            message.subject, message.body_text, message.body_html = _render(message.recipient, left)
    # what the demo's people would have read already: everything older than three days
    cutoff = clock.utcnow() - timedelta(days=3)
    db.session.execute(update(Notification).where(Notification.read_at.is_(None), Notification.created_at < cutoff)
                       .values(read_at=cutoff).execution_options(synchronize_session=False))
    db.session.flush()


# --- reading and marking (screens and REST call these) ----------------------------------------

def own(user):
    return select(Notification).where(Notification.user_id == user.id)


def unread_count(user):
    if user is None or not getattr(user, "id", None):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def listing(user, unread_only=False, page=0, page_size=20):
    query = own(user)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .offset(page * page_size).limit(page_size)).all()
    return rows, total


def get_own(user, notification_id):
    """The user's own notification, or None (another's is as good as missing)."""
    note = db.session.get(Notification, notification_id) if valid_id(notification_id) else None  # no huge ids
    return note if note is not None and note.user_id == user.id else None


def mark_read(user, notification_id):
    note = get_own(user, notification_id)
    if note is not None and note.read_at is None:
        note.read_at = clock.utcnow()
        db.session.flush()
    return note


def mark_all_read(user):
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=clock.utcnow()))
    return result.rowcount or 0
