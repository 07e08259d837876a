"""The sweep: who must be reminded of what, now — written once per (recipient, item, tier, period)
and sent as one digest per recipient (seed 六(一)(三)(五), 七, 八(七)).

``sweep(now)`` is what beat runs every quarter hour and what ``flask cso sweep --now …`` runs by
hand. It creates the current draft reports, records lapses, writes reminders (a unique dedupe
key per reminder: a second sweep at the same moment writes nothing) and groups them into
messages that respect quiet hours. Sending is separate (``mail.deliver_due``), so a crash between
the two loses nothing: the messages wait in the table."""
from datetime import timedelta
from html import escape

from flask import current_app
from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from . import clock, db, duties, stats, workdays
from .ledger.deadlines import tier_bounds
from .vocab import BEFORE_TRANSFER, LEADER, OFFICE_STAFF_ROLES, OPEN_STATUSES, TIERS, WITH_DEPARTMENT
from .mail import NO_ADDRESS, digest_send_time, new_message, next_send_time, short_subject, to_utc_naive
from .models import (
    AccountState, DepartmentUser, DutyRecord, Issue, OutboundMessage, Reminder, Report, User,
)
from .settings import get_policy

KIND_TITLES = {
    "visit": "本周尚未走访的企业", "report_due": "即将到期的报告", "report_late": "逾期未报的报告",
    "issue_approaching": "即将到期的问题", "issue_overdue": "已超期的问题", "issue_serious": "严重超期的问题",
    "urged_missing": "催报后仍未报送的服务官", "summary": "每日概况",
    "notice_blue": "即将到期的交办事项", "notice_explained": "逾期但已说明理由的交办事项（请研判）",
    "urge": "待发出的督办单", "criticism": "待审定的通报批评",
    "handover": "新交给您办理的事项",  # app.notifications: every hand-over is a message
}


def users_with_role(*roles):
    """Active logins holding any of ``roles``, by id — one query (the roles as an EXISTS, no lazy loads)."""
    from flask_appbuilder.security.sqla.models import Role

    return db.session.scalars(select(User).where(User.active.is_(True), User.roles.any(Role.name.in_(roles)))
                              .order_by(User.id)).all()


def department_users(department_id):
    return db.session.scalars(select(User).join(DepartmentUser, DepartmentUser.user_id == User.id).where(
        DepartmentUser.department_id == department_id, User.active.is_(True))).all()


def department_users_map():
    """{department id: [its active logins]} — every department's users in one query (the sweep's
    recipients of a department's problems and notices)."""
    out = {}
    for dept_id, user in db.session.execute(select(DepartmentUser.department_id, User).join(
            User, DepartmentUser.user_id == User.id).where(User.active.is_(True)).order_by(User.id)):
        out.setdefault(dept_id, []).append(user)
    return out


def _link(path):
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path


# --- what is due (set-based, issue 11: a constant number of statements whatever the data size) --------
# Each rule is one query (the problems: one per tier) that selects only what is due; recipients come
# from maps read once per sweep. A candidate is (recipient user id, dedupe key, kind, item type, item id,
# tier, period, text, link). The row-by-row logic this replaced is kept in bench/legacy_sweep.py, and
# tests/test_scale_sweep.py checks that both make the same reminders and messages.

def candidates(now):
    """Everything worth a reminder at ``now``: (user id, key, kind, item_type, item_id, tier, period, text, link)."""
    today = now.date()
    policy = get_policy()
    office = [u.id for u in users_with_role(*OFFICE_STAFF_ROLES)]
    depts = department_users_map()
    out = [*_unvisited(today, policy), *_reports(today, policy), *_issues(today, policy, office, depts),
           *_urged(office), *_summaries(today), *_ladder(today, office, depts)]
    return [c for c in out if c[0] is not None]


def _unvisited(today, policy):
    """Officers: an enterprise with no visit yet this week (from the set weekday on) — one query."""
    from .models import Assignment, Enterprise, Officer, Visit

    if today.isoweekday() < policy.visit_remind_weekday:
        return
    week = duties.week_key(today)
    start, end = clock.week_range(today)
    visited = exists().where(Visit.enterprise_id == Enterprise.id, Visit.visit_date.between(start, end))
    rows = db.session.execute(select(Enterprise.id, Enterprise.name, Officer.user_id).distinct().join(
        Assignment, and_(Assignment.enterprise_id == Enterprise.id, Assignment.is_current)).join(
        Officer, Officer.id == Assignment.officer_id).where(Officer.user_id.is_not(None), ~visited)
        .order_by(Enterprise.id, Officer.user_id))
    for ent_id, ent_name, uid in rows:
        yield (uid, f"visit:{ent_id}:{week}:{uid}", "visit", "enterprise", ent_id, "unvisited", week,
               f"{ent_name}：本周（{week}）尚未走访，每周至少走访一次。", _link(f"/enterpriseview/show/{ent_id}"))


def _reports(today, policy):
    """Officers: reports due within N working days, or late — one query (report, officer's login)."""
    from .models import Officer

    last = workdays.add_workdays(today, policy.report_remind_days + 1) - timedelta(days=1)
    rows = db.session.execute(select(Report, Officer.user_id).join(Officer, Officer.id == Report.officer_id)
                              .options(load_only(Report.id, Report.kind, Report.period_start, Report.due_on))
                              .where(Report.status == "draft", Officer.user_id.is_not(None), Report.due_on <= last)
                              .order_by(Report.id))
    for report, uid in rows:
        period = duties.period_key(report)
        if report.due_on < today:
            yield (uid, f"report:{report.id}:late", "report_late", "report", report.id, "late", period,
                   f"{report.kind_label}（{period}）应于{report.due_on:%Y-%m-%d}前报送，已逾期，请尽快报送。",
                   _link(f"/reports/{report.id}"))
        elif workdays.workdays_between(today, report.due_on) <= policy.report_remind_days:
            yield (uid, f"report:{report.id}:due_soon", "report_due", "report", report.id, "due_soon", period,
                   f"{report.kind_label}（{period}）请于{report.due_on:%Y-%m-%d}前报送。", _link(f"/reports/{report.id}"))


def _due_issue_ids(today, policy):
    """The open problems some tier applies to today, as a subquery (the dedupe keys are read for these)."""
    return select(Issue.id).where(Issue.status.in_(OPEN_STATUSES), Issue.due_on.is_not(None),
                                  Issue.due_on <= tier_bounds("approaching", today, policy)[1])


def _issues(today, policy, office, depts):
    """Departments: their problems approaching or past the deadline; the office: its own step
    (before transfer) and seriously overdue ones — one query per tier."""
    from .models import Enterprise

    for level, bounds in (("serious", "serious"), ("overdue", "overdue_only"), ("approaching", "approaching")):
        low, high = tier_bounds(bounds, today, policy)
        query = select(Issue.id, Issue.number, Issue.title, Issue.due_on, Issue.status, Issue.lead_department_id,
                       Enterprise.name).join(Enterprise, Enterprise.id == Issue.enterprise_id).where(
            Issue.status.in_(OPEN_STATUSES), Issue.due_on.is_not(None), Issue.due_on <= high)
        if low is not None:
            query = query.where(Issue.due_on >= low)
        for iid, number, title, due_on, status, lead, ent_name in db.session.execute(query.order_by(Issue.id)):
            text = f"{number} {ent_name}：{title}（时限{due_on:%Y-%m-%d}，{TIERS[level]}）"
            link = _link(f"/ledger/{iid}")
            period = due_on.isoformat()
            recipients = []
            if lead and status in WITH_DEPARTMENT:
                recipients += [u.id for u in depts.get(lead, ())]
            if level == "serious" or status in BEFORE_TRANSFER:
                recipients += office
            for uid in recipients:
                yield (uid, f"issue:{iid}:{level}:{period}:{uid}", f"issue_{level}", "issue", iid, level, period,
                       text, link)


def _urged(office):
    """The office: officers who ignore an urge (催而不报) — one query."""
    from .models import Officer

    rows = db.session.execute(select(DutyRecord.id, DutyRecord.period, DutyRecord.note, Officer.name).join(
        Officer, Officer.id == DutyRecord.officer_id).where(DutyRecord.kind == "urged_missing").order_by(DutyRecord.id))
    for rec_id, period, note, name in rows:
        for uid in office:
            yield (uid, f"urged:{rec_id}:{uid}", "urged_missing", "duty", rec_id, "urged", period,
                   f"{name}：{note or ''}", _link("/dutyrecordview/list/"))


def _daily_leaders():
    """Active leaders whose mail mode is the daily summary — one query."""
    from flask_appbuilder.security.sqla.models import Role

    return db.session.scalars(select(User).join(AccountState, AccountState.user_id == User.id).where(
        AccountState.mail_mode == "daily", User.active.is_(True), User.roles.any(Role.name == LEADER))
        .order_by(User.id)).all()


def _ladder(today, office, depts):
    """The urging ladder's reminders: the unit (blue), the office (督办单, 通报批评 drafts, "overdue with
    explanation") and leaders who asked for the daily summary (督办单 are copied to them)."""
    from .accountability import ladder

    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(office)))} if office else {}
    for c in ladder.candidates(today, _link, lambda d: depts.get(d, []), [users[i] for i in office if i in users],
                               _daily_leaders()):
        yield (c[0].id, *c[1:])


def _summaries(today):
    """Leaders who asked for it: a daily summary (the two counts read once)."""
    leaders = _daily_leaders()
    if not leaders:
        return
    overdue, total = stats.open_count(Issue.due_on < today), stats.open_count()
    for user in leaders:
        yield (user.id, f"summary:{today.isoformat()}:{user.id}", "summary", "summary", None, "daily",
               today.isoformat(), f"{today:%Y-%m-%d}：未办结问题{total}个，其中超期{overdue}个。", _link("/ledger/?open=1"))


def existing_keys(today, policy):
    """The dedupe keys already written that today's candidates could repeat — bounded to the items that
    are due now (this week's visits, draft reports, the problems some tier applies to, today's
    summary, the duty records and the ladder's papers), never the whole reminder table. One query."""
    week = duties.week_key(today)
    return set(db.session.scalars(select(Reminder.dedupe_key).where(or_(
        and_(Reminder.item_type == "issue", Reminder.item_id.in_(_due_issue_ids(today, policy))),
        and_(Reminder.item_type == "report", Reminder.item_id.in_(select(Report.id).where(Report.status == "draft"))),
        and_(Reminder.item_type == "enterprise", Reminder.period == week),
        and_(Reminder.item_type == "summary", Reminder.period == today.isoformat()),
        Reminder.item_type.in_(("duty", "notice", "urge", "criticism"))))))


def _render(user, reminders):
    groups = {}
    for r in reminders:
        groups.setdefault(r.kind, []).append(r)
    name = f"{user.first_name or ''}{user.last_name or ''}" or user.username
    text = [f"{name}，您好：", "", "首席服务官工作平台提醒您关注以下事项：", ""]
    html = [f"<p>{escape(name)}，您好：</p><p>首席服务官工作平台提醒您关注以下事项：</p>"]
    for kind, items in groups.items():
        text.append(f"【{KIND_TITLES.get(kind, kind)}】")
        html.append(f"<h3>{escape(KIND_TITLES.get(kind, kind))}</h3><ul>")
        for r in items:
            text.append(f"  · {r.text}  {r.link or ''}")
            html.append(f'<li>{escape(r.text)} <a href="{escape(r.link or "")}">去处理</a></li>')
        text.append("")
        html.append("</ul>")
    text.append("（本邮件由系统自动发送，请登录平台办理。）")
    html.append("<p>（本邮件由系统自动发送，请登录平台办理。）</p>")
    count = len(reminders)
    subject = f"【首席服务官工作平台】{count}项待办提醒" if count > 1 \
        else short_subject("【首席服务官工作平台】", reminders[0].text)  # never cut mid-word or mid-date
    return subject, "\n".join(text), "".join(html)


def sweep(now=None):
    """Run the whole sweep at ``now`` (aware or local naive). Returns a summary dict."""
    now = now or clock.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=clock.tz())
    from .notifications.service import gathered

    with clock.at(now), gathered():  # hand-overs told during the sweep join its one mail per recipient
        today = now.date()
        drafts = duties.ensure_reports(today)
        records = duties.record_lapses(today)
        from .surveys.rules import sweep as survey_sweep  # 满意度评价: send queued, remind after 3 days, expire after 15

        surveyed = {f"surveys_{k}": v for k, v in survey_sweep().items()}
        from .accountability import ladder

        escalated = ladder.escalate(today) if workdays.is_workday(today) else {}
        from .policies import alerts as policy_alerts  # 惠企政策: expiry by date, application-window alerts

        escalated = {**escalated, **policy_alerts.run(today)}
        from .recall import rules as recall_rules  # 服务官调整: cases whose effective date has come (app/recall)

        escalated["recall_applied"] = len(recall_rules.apply_due(today)[0])
        db.session.commit()
        reminders, messages = write(now, candidates(now))
        db.session.commit()
    return {"now": now.isoformat(timespec="minutes"), "drafted_reports": drafts,
            "duty_records": len(records), "reminders": reminders, "messages": messages, **surveyed, **escalated}


def write(now, cands):
    """Write the new reminders of ``cands`` and their messages, set-based: the dedupe keys that could
    repeat (one query, :func:`existing_keys`), the lines still without a message, the recipients, their
    mail modes and pending digests in one query each, then one INSERT … RETURNING of the new messages
    (subject and body rendered before), one executemany INSERT of the reminders with their final
    message ids, and one executemany UPDATE each for the digests added to and the lines attached.
    Returns (reminders attached, messages written or added to)."""
    policy = get_policy()
    today = now.date()
    existing = existing_keys(today, policy)
    by_user = {}
    for c in cands:
        if c[1] not in existing:
            by_user.setdefault(c[0], []).append(c)
            existing.add(c[1])
    for _attempt in range(2):
        try:
            with db.session.begin_nested():  # a concurrent sweep that got there first: drop its keys, retry once
                return _write(now, policy, by_user)
        except IntegrityError:
            keys = [c[1] for items in by_user.values() for c in items]
            taken = set()
            for i in range(0, len(keys), 500):
                taken |= set(db.session.scalars(select(Reminder.dedupe_key).where(Reminder.dedupe_key.in_(keys[i:i + 500]))))
            by_user = {uid: kept for uid, items in by_user.items() if (kept := [c for c in items if c[1] not in taken])}
    return 0, 0


class _Line:
    __slots__ = ("id", "kind", "text", "link")

    def __init__(self, id, kind, text, link):
        self.id, self.kind, self.text, self.link = id, kind, text, link


def _write(now, policy, by_user):
    from .accounts import mail_address

    orphans = {}  # lines with no message yet: hand-overs told during this sweep, or left by a crash
    for row in db.session.execute(select(Reminder.id, Reminder.recipient_id, Reminder.kind, Reminder.text, Reminder.link)
                                  .where(Reminder.message_id.is_(None)).order_by(Reminder.id)):
        orphans.setdefault(row.recipient_id, []).append(_Line(row.id, row.kind, row.text, row.link))
    ids = sorted(set(by_user) | set(orphans))
    if not ids:
        return 0, 0
    users = {u.id: u for u in db.session.execute(select(User.id, User.username, User.first_name, User.last_name,
                                                         User.email).where(User.id.in_(ids)))}
    ids = [i for i in ids if i in users]
    daily = set(db.session.scalars(select(AccountState.user_id).where(AccountState.mail_mode == "daily",
                                                                       AccountState.user_id.in_(ids))))
    moment = to_utc_naive(now)
    pending = {}  # a daily recipient's pending digest (the newest) is added to
    if daily:
        for mid, uid in db.session.execute(select(OutboundMessage.id, OutboundMessage.recipient_id).where(
                OutboundMessage.recipient_id.in_(sorted(daily)), OutboundMessage.status == "pending",
                OutboundMessage.not_before > moment).order_by(OutboundMessage.id)):
            pending[uid] = mid
    attached = {}
    if pending:
        for row in db.session.execute(select(Reminder.id, Reminder.message_id, Reminder.kind, Reminder.text, Reminder.link)
                                      .where(Reminder.message_id.in_(sorted(pending.values()))).order_by(Reminder.id)):
            attached.setdefault(row.message_id, []).append(_Line(row.id, row.kind, row.text, row.link))
    stamp = clock.utcnow()
    send_now = to_utc_naive(next_send_time(now, policy))
    send_digest = to_utc_naive(digest_send_time(now, policy)) if daily else None
    new_rows, new_lines, digests = [], {}, []
    for uid in ids:
        user = users[uid]
        lines = sorted(attached.get(pending.get(uid), []) + orphans.get(uid, []), key=lambda r: r.id)
        lines += [_Line(None, c[2], c[7][:500], c[8]) for c in by_user.get(uid, ())]
        subject, body_text, body_html = _render(user, lines)
        if uid in pending:
            digests.append({"id": pending[uid], "subject": subject, "body_text": body_text, "body_html": body_html})
            continue
        address = mail_address(user.email)
        new_rows.append({"recipient_id": uid, "to_addr": address or "", "subject": subject, "body_text": body_text,
                         "body_html": body_html, "created_at": stamp, "attempts": 0,
                         "not_before": send_digest if uid in daily else send_now,
                         "status": "pending" if address else "no_address", "last_error": None if address else NO_ADDRESS})
    message_of = dict(pending)
    if new_rows:
        for mid, uid in db.session.execute(insert(OutboundMessage).returning(
                OutboundMessage.id, OutboundMessage.recipient_id), new_rows):
            message_of[uid] = mid
    if digests:
        db.session.execute(update(OutboundMessage), digests)
    reminder_rows = [{"dedupe_key": c[1], "recipient_id": uid, "kind": c[2], "item_type": c[3], "item_id": c[4],
                      "tier": c[5], "period": c[6], "text": c[7][:500], "link": c[8], "created_at": stamp,
                      "message_id": message_of[uid]} for uid in ids for c in by_user.get(uid, ())]
    if reminder_rows:
        db.session.execute(insert(Reminder), reminder_rows)
    lone = [{"id": r.id, "message_id": message_of[uid]} for uid in ids for r in orphans.get(uid, ())]
    if lone:
        db.session.execute(update(Reminder), lone)
    return len(reminder_rows) + len(lone), len(ids)


def _message_for(user, now, policy):
    """The recipient's message: a pending daily digest is added to; otherwise a new one."""
    state = db.session.get(AccountState, user.id)
    daily = state is not None and state.mail_mode == "daily"
    if daily:
        pending = db.session.scalar(select(OutboundMessage).where(
            OutboundMessage.recipient_id == user.id, OutboundMessage.status == "pending",
            OutboundMessage.not_before > to_utc_naive(now)).order_by(OutboundMessage.id.desc()).limit(1))
        if pending is not None:
            return pending
        send_at = digest_send_time(now, policy)  # the next working morning, by 10:00 (issue 9)
    else:
        send_at = next_send_time(now, policy)
    message = new_message(user, "", "", "", to_utc_naive(send_at))
    db.session.flush()
    return message
