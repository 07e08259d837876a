"""Sending mail: SMTP when MAIL_SERVER is set, else ``.eml`` files in MAIL_OUTBOX.

Messages are rows (OutboundMessage) first and mail second, so nothing is lost when the SMTP
server is down: a failed attempt is counted, kept with its error (visible to Admin and Office)
and retried later with a growing pause; a sent message is never sent again."""
import hashlib
import os
import re
import smtplib
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app
from sqlalchemy import select

from . import clock, db, workdays
from .models import OutboundMessage
from .settings import get_policy

MAX_ATTEMPTS = 6
MESSAGE_STATUSES = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "no_address": "无法投递"}
NO_ADDRESS = "收件人未登记电子邮箱，无法投递；请在其账号或服务官信息中补充邮箱后重新发送。"


def new_message(user, subject, body_text, body_html, not_before, attachment_name=None, attachment=None):
    """A message to ``user``, queued; one to a login with no real address is kept as 无法投递 so the
    office sees it in 发件箱 (never silently dropped)."""
    from .accounts import mail_address

    address = mail_address(user)
    message = OutboundMessage(
        recipient_id=user.id, to_addr=address or "", subject=subject, body_text=body_text, body_html=body_html,
        attachment_name=attachment_name, attachment=attachment, created_at=clock.utcnow(), not_before=not_before,
        status="pending" if address else "no_address", last_error=None if address else NO_ADDRESS)
    db.session.add(message)
    return message


LATEST_MORNING = 1000  # mail held overnight reaches its recipient by 10:00 of the next working morning (issue 9)


def morning_start(policy=None):
    """HHMM at which held mail goes out: the office's 邮件发送开始时间, but never later than 10:00."""
    return min((policy or get_policy()).quiet_start, LATEST_MORNING)


def _local(now):
    return now.astimezone(clock.tz()) if now.tzinfo else now.replace(tzinfo=clock.tz())


def next_send_time(now, policy=None):
    """``now`` if it is inside working hours on a working day, else the next working morning."""
    policy = policy or get_policy()
    local = _local(now)
    hhmm = local.hour * 100 + local.minute
    start = morning_start(policy)
    start_h, start_m = divmod(start, 100)
    if workdays.is_workday(local.date()) and start <= hhmm < policy.quiet_end:
        return local
    day = local.date() if (workdays.is_workday(local.date()) and hhmm < start) \
        else workdays.add_workdays(local.date(), 1)
    return datetime(day.year, day.month, day.day, start_h, start_m, tzinfo=clock.tz())


def digest_send_time(now, policy=None):
    """When a daily digest begun at ``now`` goes out: the next working morning's start (today's,
    when ``now`` is before it on a working day) — by 10:00 of the next working morning at the latest."""
    local = _local(now)
    start = morning_start(policy)
    day = local.date()
    if not (workdays.is_workday(day) and local.hour * 100 + local.minute < start):
        day = workdays.add_workdays(day, 1)
    start_h, start_m = divmod(start, 100)
    return datetime(day.year, day.month, day.day, start_h, start_m, tzinfo=clock.tz())


_SUBJECT_ATOM = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-:/._]*")  # a date, number or latin word: never split
_CUT_AFTER = set("，。；：、）)】」』！？,;!? ")
_CUT_BEFORE = set("（(【「『 ")
_OPENERS, _CLOSERS = "（(【「『", "）)】」』"


def short_subject(prefix, text, limit=60):
    """``prefix + text`` within ``limit`` characters, shortened (with …) only at a clause boundary —
    never inside a date, a number, a latin word or a pair of brackets (issue 9 item 2)."""
    text = header_value(text, limit=10_000)
    if len(prefix) + len(text) <= limit:
        return prefix + text
    room = limit - len(prefix) - 1  # the …
    atoms = {m.start() + i for m in _SUBJECT_ATOM.finditer(text) for i in range(1, len(m.group()))}
    best = 0
    depth = 0
    for i in range(1, min(room, len(text)) + 1):
        ch = text[i - 1]
        depth += (ch in _OPENERS) - (ch in _CLOSERS)
        if i in atoms or depth > 0:
            continue
        if ch in _CUT_AFTER or (i < len(text) and text[i] in _CUT_BEFORE):
            best = i
    if best == 0:  # no clause boundary in reach: between two characters outside any date or bracket
        depth = 0
        for i in range(1, min(room, len(text)) + 1):
            ch = text[i - 1]
            depth += (ch in _OPENERS) - (ch in _CLOSERS)
            if i not in atoms and depth <= 0:
                best = i
    return prefix + text[:best].rstrip(" ，、；：,;:") + "…"


def outcome_text(messages, now=None):
    """What to tell the user about mail just queued: 已发送邮件 only when every message went out,
    else when the held ones will go (已排队，将于…发送); '' when there were none."""
    messages = [m for m in messages if m is not None]
    if not messages:
        return ""
    if all(m.status == "sent" for m in messages):
        return "已发送邮件"
    pending = [m for m in messages if m.status == "pending"]
    if pending:
        moment = clock.local(max(m.not_before for m in pending))
        return f"邮件已排队，将于{moment:%Y-%m-%d %H:%M}发送"
    return "邮件未能发送，请在发件箱查看原因"


def to_utc_naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]+")
HEADER_MAX = 200  # characters of a subject or a file name


def header_value(text, limit=HEADER_MAX):
    """A header value as typed text may make it: line breaks, control, direction and broken
    characters become one space (no header injection, nothing for ``email`` to refuse), trimmed."""
    text = _HEADER_UNSAFE.sub(" ", str(text or "")).strip()
    return re.sub(r" {2,}", " ", text)[:limit]


def stable_message_id(message):
    """A Message-ID that stays the same on every attempt to send this message (the row's identity,
    not the moment): a second delivery after a crash is recognisably the same mail (README, Security)."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rpartition("@")[2] or "localhost"
    created = message.created_at.isoformat() if message.created_at else ""
    digest = hashlib.sha256(f"{message.id}:{created}:{message.recipient_id}".encode()).hexdigest()[:16]
    return f"<cso-message-{message.id}-{digest}@{domain}>"


def build(message):
    """The e-mail of a message row. Every header value goes through :func:`header_value` here (the
    one place), so text from problem titles or names can never break or add a header."""
    mail = EmailMessage()
    mail["Subject"] = header_value(message.subject) or "首席服务官工作平台提醒"
    mail["From"] = formataddr(("首席服务官工作平台", current_app.config["MAIL_DEFAULT_SENDER"]))
    mail["To"] = header_value(message.to_addr)
    mail["Message-ID"] = stable_message_id(message)
    mail.set_content(message.body_text)
    mail.add_alternative(message.body_html, subtype="html")
    if message.attachment:
        mail.add_attachment(message.attachment, maintype="application",
                            subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            filename=header_value(message.attachment_name) or "attachment.xlsx")
    return mail


def _send_smtp(mail):
    cfg = current_app.config
    cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    with cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(mail)


def _write_eml(message, mail):
    folder = current_app.config["MAIL_OUTBOX"]
    os.makedirs(folder, exist_ok=True)
    # named by the message, not the moment: a redelivery after a crash overwrites the same file
    path = os.path.join(folder, f"{clock.local(message.created_at):%Y%m%d}-{message.id:06d}.eml")
    with open(path, "wb") as fh:
        fh.write(bytes(mail))
    return path


def deliver(message_id):
    """Send one pending message now. Returns its status. Safe to call twice: a sent one is skipped."""
    query = select(OutboundMessage).where(OutboundMessage.id == message_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never send the same message
    message = db.session.scalar(query)
    if message is None or message.status != "pending":
        db.session.rollback()
        return message.status if message is not None else None
    from .accounts import mail_address

    if mail_address(message.to_addr) is None:
        message.status, message.last_error = "no_address", NO_ADDRESS
        db.session.commit()
        return message.status
    try:
        mail = build(message)
    except Exception as exc:  # noqa: BLE001 — a message that cannot be built fails alone, with its error
        return _unbuildable(message, exc)
    message.attempts += 1
    try:
        if current_app.config.get("MAIL_SERVER"):
            _send_smtp(mail)
        else:
            message.eml_path = _write_eml(message, mail)
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:  # back off: 2, 4, 8 … minutes
            message.not_before = clock.utcnow() + timedelta(minutes=2 ** message.attempts)
        db.session.commit()
        raise
    message.status, message.sent_at, message.last_error = "sent", clock.utcnow(), None
    db.session.commit()
    return message.status


def _unbuildable(message, exc):
    """A message that can never be sent as it stands (building it raised): 发送失败 with the reason,
    shown in 发件箱; the office may correct the cause and send it again."""
    message.status = "failed"
    message.last_error = f"邮件无法生成：{type(exc).__name__}: {exc}"[:500]
    db.session.commit()
    return message.status


def due_messages(now=None):
    """Ids of pending messages whose time has come (quiet hours and back-off respected)."""
    now_utc = to_utc_naive(now) if now else clock.utcnow()
    return list(db.session.scalars(select(OutboundMessage.id).where(
        OutboundMessage.status == "pending", OutboundMessage.not_before <= now_utc).order_by(OutboundMessage.id)))


def deliver_due(now=None):
    """Send what is due, one by one; a failure is recorded and the others still go. (sent, failed)"""
    sent = failed = 0
    for message_id in due_messages(now):
        try:
            status = deliver(message_id)
        except (OSError, smtplib.SMTPException):  # recorded by deliver(); retried later
            failed += 1
            continue
        except Exception as exc:  # noqa: BLE001 — one bad message never stops the batch
            db.session.rollback()
            _record_failure(message_id, exc)
            failed += 1
            continue
        sent += status == "sent"
        failed += status == "failed"
    return sent, failed


def _record_failure(message_id, exc):
    message = db.session.get(OutboundMessage, message_id)
    if message is not None and message.status == "pending":
        message.status, message.last_error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        db.session.commit()


MAIL_MODES = {"immediate": "即时提醒", "daily": "每日汇总"}


def requeue(messages):
    """The office sends failed or pending messages again (发件箱 → 重新发送); sent ones stay sent.
    Returns how many were queued."""
    from .accounts import mail_address

    count = 0
    for message in messages:
        if message.status != "sent":
            if message.recipient is not None and mail_address(message.recipient):
                message.to_addr = mail_address(message.recipient)  # an address added since
            message.status, message.not_before, message.attempts = "pending", clock.utcnow(), 0
            count += 1
    db.session.flush()
    return count


def set_mode(user, mode):
    """A user's own choice: each reminder at once, or one summary a day (ValueError when unknown)."""
    from .models import AccountState

    if mode not in MAIL_MODES:
        raise ValueError("请选择“即时提醒”或“每日汇总”。")
    state = db.session.get(AccountState, user.id) or AccountState(user_id=user.id, failed_logins=0)
    state.mail_mode = mode
    db.session.add(state)
    db.session.flush()
    return state
