"""The sweep's candidate logic and write loop as they were before issue 11 (row by row: a query or
more per item, one UPDATE per new reminder). Kept for ``tests/test_scale_sweep.py``, which checks that
the set-based :func:`app.reminders.sweep` makes the same reminders and messages, and for
``bench/bench_sweep.py --legacy`` (the before figures). Not used by the app."""
from html import escape  # noqa: F401

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import clock, db, duties, stats, workdays
from app.ledger.deadlines import tier
from app.mail import digest_send_time, new_message, next_send_time, to_utc_naive
from app.models import AccountState, DepartmentUser, DutyRecord, Issue, OutboundMessage, Reminder, Report, User
from app.reminders import _render, duties_and_steps
from app.settings import get_policy
from app.vocab import BEFORE_TRANSFER, LEADER, OFFICE_STAFF_ROLES, OPEN_STATUSES, TIERS, WITH_DEPARTMENT


def users_with_role(*roles):
    return [u for u in db.session.scalars(select(User).where(User.active.is_(True))) if {r.name for r in u.roles} & set(roles)]


def department_users(department_id):
    return db.session.scalars(select(User).join(DepartmentUser, DepartmentUser.user_id == User.id).where(
        DepartmentUser.department_id == department_id, User.active.is_(True))).all()


def _link(path):
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path


def candidates(now):
    """Everything worth a reminder at ``now``: (user, key, kind, item_type, item_id, tier, period, text, link)."""
    today = now.date()
    policy = get_policy()
    office = users_with_role(*OFFICE_STAFF_ROLES)
    out = [*_unvisited(today, policy), *_reports(today, policy), *_issues(today, policy, office),
           *_urged(office), *_summaries(today), *_ladder(today, office)]
    return [c for c in out if c[0] is not None]


def _unvisited(today, policy):
    """Officers: an enterprise with no visit yet this week (from the set weekday on)."""
    if today.isoweekday() < policy.visit_remind_weekday:
        return
    week = duties.week_key(today)
    for ent, user_ids in duties.unvisited_this_week(today):
        for uid in user_ids:
            yield (db.session.get(User, uid), f"visit:{ent.id}:{week}:{uid}", "visit", "enterprise", ent.id,
                   "unvisited", week, f"{ent.name}：本周（{week}）尚未走访，每周至少走访一次。",
                   _link(f"/enterpriseview/show/{ent.id}"))


def _reports(today, policy):
    """Officers: reports due within N working days, or late."""
    for report in db.session.scalars(select(Report).where(Report.status == "draft")):
        user = report.officer.user
        if user is None:
            continue
        period = duties.period_key(report)
        if report.due_on < today:
            yield (user, f"report:{report.id}:late", "report_late", "report", report.id, "late", period,
                   f"{report.kind_label}（{period}）应于{report.due_on:%Y-%m-%d}前报送，已逾期，请尽快报送。",
                   _link(f"/reports/{report.id}"))
        elif workdays.workdays_between(today, report.due_on) <= policy.report_remind_days:
            yield (user, f"report:{report.id}:due_soon", "report_due", "report", report.id, "due_soon", period,
                   f"{report.kind_label}（{period}）请于{report.due_on:%Y-%m-%d}前报送。", _link(f"/reports/{report.id}"))


def _issues(today, policy, office):
    """Departments: their problems approaching or past the deadline; the office: its own step
    (before transfer) and seriously overdue ones."""
    # by id: the order a mail lists a group in, now that a long group is cut (reminders.DIGEST_LINES)
    for issue in db.session.scalars(select(Issue).where(Issue.status.in_(OPEN_STATUSES), Issue.due_on.is_not(None))
                                    .order_by(Issue.id)):
        level = tier(issue.due_on, today, policy)
        if level is None:
            continue
        text = f"{issue.number} {issue.enterprise.name}：{issue.title}（时限{issue.due_on:%Y-%m-%d}，{TIERS[level]}）"
        link = _link(f"/ledger/{issue.id}")
        period = issue.due_on.isoformat()
        kind = f"issue_{level}"
        recipients = []
        if issue.lead_department_id and issue.status in WITH_DEPARTMENT:
            recipients += department_users(issue.lead_department_id)
        if level == "serious" or issue.status in BEFORE_TRANSFER:
            recipients += office
        for user in recipients:
            yield (user, f"issue:{issue.id}:{level}:{period}:{user.id}", kind, "issue", issue.id, level, period, text, link)


def _urged(office):
    """The office: officers who ignore an urge (催而不报)."""
    for rec in db.session.scalars(select(DutyRecord).where(DutyRecord.kind == "urged_missing")):
        for user in office:
            yield (user, f"urged:{rec.id}:{user.id}", "urged_missing", "duty", rec.id, "urged", rec.period,
                   f"{rec.officer.name}：{rec.note or ''}", _link("/dutyrecordview/list/"))


def _ladder(today, office):
    """The urging ladder's reminders: the unit (blue), the office (督办单, 通报批评 drafts, "overdue with
    explanation") and leaders who asked for the daily summary (督办单 are copied to them)."""
    from app.accountability import ladder

    leaders = [u for u in users_with_role(LEADER) if (s := db.session.get(AccountState, u.id)) and s.mail_mode == "daily"]
    return ladder.candidates(today, _link, department_users, office, leaders)


def _summaries(today):
    """Leaders who asked for it: a daily summary."""
    for user in users_with_role(LEADER):
        state = db.session.get(AccountState, user.id)
        if state is None or state.mail_mode != "daily":
            continue
        overdue = stats.open_count(Issue.due_on < today)
        yield (user, f"summary:{today.isoformat()}:{user.id}", "summary", "summary", None, "daily", today.isoformat(),
               f"{today:%Y-%m-%d}：未办结问题{stats.open_count()}个，其中超期{overdue}个。", _link("/ledger/?open=1"))


def sweep(now=None):
    """Run the whole sweep at ``now`` (aware or local naive). Returns a summary dict."""
    now = now or clock.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=clock.tz())
    from app.notifications.service import gathered

    with clock.at(now), gathered():  # hand-overs told during the sweep join its one mail per recipient
        today = now.date()
        done = duties_and_steps(today)  # the same steps before the reminders as app.reminders.sweep
        policy = get_policy()
        existing = set(db.session.scalars(select(Reminder.dedupe_key)))
        by_user = {}
        for c in candidates(now):
            if c[1] not in existing:
                by_user.setdefault(c[0].id, (c[0], []))[1].append(c)
                existing.add(c[1])
        orphans = {}  # lines with no message yet: hand-overs told during this sweep, or left by a crash
        for r in db.session.scalars(select(Reminder).where(Reminder.message_id.is_(None)).order_by(Reminder.id)):
            orphans.setdefault(r.recipient_id, []).append(r)
        for uid in orphans:
            if uid not in by_user and (recipient := db.session.get(User, uid)) is not None:
                by_user[uid] = (recipient, [])
        reminders = messages = 0
        for user, items in by_user.values():
            try:
                with db.session.begin_nested():  # a concurrent sweep that got there first wins, quietly
                    rows = [Reminder(dedupe_key=key, recipient_id=user.id, kind=kind, item_type=itype, item_id=iid,
                                     tier=level, period=period, text=text[:500], link=link, created_at=clock.utcnow())
                            for _, key, kind, itype, iid, level, period, text, link in items]
                    db.session.add_all(rows)
                    db.session.flush()
                    message = _message_for(user, now, policy)
                    for r in rows + orphans.get(user.id, []):
                        r.message = message
                    db.session.flush()
                    everything = db.session.scalars(select(Reminder).where(Reminder.message_id == message.id)
                                                    .order_by(Reminder.id)).all()
                    message.subject, message.body_text, message.body_html = _render(user, everything)
            except IntegrityError:
                continue
            reminders += len(rows) + len(orphans.get(user.id, []))
            messages += 1
        db.session.commit()
    return {"now": now.isoformat(timespec="minutes"), **done, "reminders": reminders, "messages": messages}


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
