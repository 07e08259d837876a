"""The sweep: who must be reminded of what, now — written once per (recipient, item, tier, period)
and sent as one digest per recipient (seed 六(一)(三)(五), 七, 八(七)).

``sweep(now)`` is what beat runs every quarter hour and what ``flask cso sweep --now …`` runs by
hand. It creates the current draft reports, records lapses, writes reminders (a unique dedupe
key per reminder: a second sweep at the same moment writes nothing) and groups them into
messages that respect quiet hours. Sending is separate (``mail.deliver_due``), so a crash between
the two loses nothing: the messages wait in the table."""
import json
from datetime import timedelta
from html import escape

from flask import current_app
from sqlalchemy import String, and_, case, cast, delete, exists, func, insert, literal, select, true, union_all, update
from sqlalchemy import text as sql_text

from . import clock, db, duties, stats, workdays
from .ledger.deadlines import tier_bounds
from .vocab import BEFORE_TRANSFER, LEADER, OFFICE_STAFF_ROLES, OPEN_STATUSES, TIERS, WITH_DEPARTMENT
from .mail import NO_ADDRESS, digest_send_time, new_message, next_send_time, short_subject, to_utc_naive
from .models import (
    REPORT_KINDS, AccountState, DepartmentUser, DutyRecord, Issue, OutboundMessage, Reminder, Report, User,
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


def office_ids():
    """The office's active logins (:data:`OFFICE_STAFF_ROLES`, as :func:`users_with_role`) as a subquery
    of ids — what a rule's query joins when the office is among its recipients (no id list as
    parameters). A DISTINCT join, not an EXISTS: SQLite materialises it once instead of probing the
    roles of every login for every problem."""
    from flask_appbuilder.security.sqla.models import Role, assoc_user_role

    return select(User.id.label("uid")).join(assoc_user_role, assoc_user_role.c.user_id == User.id).join(
        Role, Role.id == assoc_user_role.c.role_id).where(
        User.active.is_(True), Role.name.in_(OFFICE_STAFF_ROLES)).distinct().subquery("office")


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


def _linker():
    """:func:`_link` with the base read once (the sweep makes a link per due item)."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return lambda path: base + path


# --- what is due (set-based, issue 11) -------------------------------------------------------------
# Each rule is one query (the problems: one per tier) that selects only what is due, read as a stream
# (``yield_per``: a server-side cursor on PostgreSQL); the problems' and 催而不报 recipients are joined in
# the query (a unit's active logins, the office as a subquery of ids), the ladder's from maps read once.
# The sweep reads only candidates whose dedupe key is not written yet (``fresh``, an anti-join): a
# repeat run a quarter hour later builds nothing for what it already said.
# A candidate is (recipient user id, dedupe key, kind, item type, item id, tier, period, text, link).
# The row-by-row logic this replaced is kept in bench/legacy_sweep.py, and tests/test_scale_sweep.py
# checks that both make the same reminders and messages (docs/domain.md#the-sweep).

CHUNK = 10_000  # candidates written per chunk (one key look-up and one INSERT each): memory stays flat
DIGEST_LINES = 50  # lines one mail lists per group; the rest are counted, with a link to the full list
KIND_LISTS = {  # where the full list of a group lives (the link under a group cut at DIGEST_LINES)
    "visit": "/queues/unvisited", "report_due": "/reports/", "report_late": "/reports/",
    "issue_approaching": "/ledger/?tier=approaching", "issue_overdue": "/ledger/?tier=overdue_only",
    "issue_serious": "/ledger/?tier=serious", "urged_missing": "/dutyrecordview/list/", "summary": "/ledger/?open=1",
    "notice_blue": "/notices/", "notice_explained": "/notices/", "urge": "/urges/", "criticism": "/criticisms/",
    "handover": "/notifications/",
}


def _streamed(query):
    """Rows of a column query, CHUNK at a time (Core: no ORM row processing for a stream of tuples)."""
    return db.session.connection().execute(query.execution_options(yield_per=CHUNK))


def candidates(now, fresh=False):
    """Everything worth a reminder at ``now``, one at a time (a generator: the sweep writes them in
    chunks): (user id, key, kind, item_type, item_id, tier, period, text, link). ``fresh``: only those
    whose dedupe key is not written yet — the database drops the others (:func:`_unwritten`), so a
    repeat run reads and builds nothing for what it already said (what the sweep asks for)."""
    today = now.date()
    policy = get_policy()
    office = [u.id for u in users_with_role(*OFFICE_STAFF_ROLES)]
    depts = department_users_map()
    link = _linker()
    for rule in (_unvisited(today, policy, link, fresh), _reports(today, policy, link, fresh),
                 _issues(today, policy, link, fresh), _urged(link, fresh), _summaries(today, link, fresh),
                 _ladder(today, office, depts, link, fresh)):
        for c in rule or ():
            if c[0] is not None:
                yield c


def _iso_day(column):
    """A date column as ``date.isoformat()`` spells it (SQLite keeps dates as that text)."""
    return func.to_char(column, "YYYY-MM-DD") if _postgres() else cast(column, String)


def _unwritten(key):
    """The candidate's reminder is not written yet: an anti-join on the unique dedupe key, ``key`` its
    SQL spelling (:func:`duties.sql_key`), so that what a repeat run already said never leaves the
    database. Per (item, recipient): a recipient added later (a new department login) has keys of
    their own and is still reminded. A filter only — the chunk's key look-up and ON CONFLICT stay what
    makes a reminder happen once (a key spelled differently here would cost time, not a duplicate)."""
    return ~exists().where(Reminder.dedupe_key == key)


def _unvisited(today, policy, link, fresh=False):
    """Officers: an enterprise with no visit yet this week (from the set weekday on) — one query."""
    from .models import Assignment, Enterprise, Officer, Visit

    if today.isoweekday() < policy.visit_remind_weekday:
        return
    week = duties.week_key(today)
    start, end = clock.week_range(today)
    visited = exists().where(Visit.enterprise_id == Enterprise.id, Visit.visit_date.between(start, end))
    query = select(Enterprise.id, Enterprise.name, Officer.user_id).distinct().join(
        Assignment, and_(Assignment.enterprise_id == Enterprise.id, Assignment.is_current)).join(
        Officer, Officer.id == Assignment.officer_id).where(Officer.user_id.is_not(None), ~visited)
    if fresh:
        query = query.where(_unwritten(duties.sql_key("visit:", Enterprise.id, f":{week}:", Officer.user_id)))
    rows = _streamed(query.order_by(Enterprise.id, Officer.user_id))
    for ent_id, ent_name, uid in rows:
        yield (uid, f"visit:{ent_id}:{week}:{uid}", "visit", "enterprise", ent_id, "unvisited", week,
               f"{ent_name}：本周（{week}）尚未走访，每周至少走访一次。", link(f"/enterpriseview/show/{ent_id}"))


def _reports(today, policy, link, fresh=False):
    """Officers: reports due within N working days, or late — one query (report, officer's login)."""
    from .models import Officer

    last = workdays.add_workdays(today, policy.report_remind_days + 1) - timedelta(days=1)
    query = select(Report.id, Report.kind, Report.period_start, Report.due_on, Officer.user_id).join(
        Officer, Officer.id == Report.officer_id).where(
        Report.status == "draft", Officer.user_id.is_not(None), Report.due_on <= last)
    if fresh:  # the key's tier as below: late before today, else due soon
        query = query.where(_unwritten(duties.sql_key("report:", Report.id) + case(
            (Report.due_on < today, literal(":late", String)), else_=literal(":due_soon", String))))
    rows = _streamed(query.order_by(Report.id))
    for report in rows:  # a row with the report's columns (what period_key and the text read)
        uid, label = report.user_id, REPORT_KINDS.get(report.kind, report.kind)
        period = duties.period_key(report)
        if report.due_on < today:
            yield (uid, f"report:{report.id}:late", "report_late", "report", report.id, "late", period,
                   f"{label}（{period}）应于{report.due_on:%Y-%m-%d}前报送，已逾期，请尽快报送。",
                   link(f"/reports/{report.id}"))
        elif workdays.workdays_between(today, report.due_on) <= policy.report_remind_days:
            yield (uid, f"report:{report.id}:due_soon", "report_due", "report", report.id, "due_soon", period,
                   f"{label}（{period}）请于{report.due_on:%Y-%m-%d}前报送。", link(f"/reports/{report.id}"))


def _issues(today, policy, link, fresh=False):
    """Departments: their problems approaching or past the deadline; the office: its own step
    (before transfer) and seriously overdue ones — one query per tier, a row per (problem, recipient):
    the lead department's active logins, then the office's (a login in both is said once: same key)."""
    from .models import Enterprise

    office = office_ids()
    for level, bounds in (("serious", "serious"), ("overdue", "overdue_only"), ("approaching", "approaching")):
        low, high = tier_bounds(bounds, today, policy)
        due = [Issue.status.in_(OPEN_STATUSES), Issue.due_on.is_not(None), Issue.due_on <= high]
        if low is not None:
            due.append(Issue.due_on >= low)
        columns = (Issue.id.label("iid"), Issue.number, Issue.title, Issue.due_on, Enterprise.name.label("ent_name"))
        to_unit = select(*columns, User.id.label("uid")).join(Enterprise, Enterprise.id == Issue.enterprise_id).join(
            DepartmentUser, DepartmentUser.department_id == Issue.lead_department_id).join(
            User, and_(User.id == DepartmentUser.user_id, User.active.is_(True))).where(
            *due, Issue.status.in_(WITH_DEPARTMENT))
        to_office = select(*columns, office.c.uid).join(Enterprise, Enterprise.id == Issue.enterprise_id).join(
            office, true()).where(*due, *(() if level == "serious" else (Issue.status.in_(BEFORE_TRANSFER),)))
        if fresh:
            key = lambda uid: _unwritten(duties.sql_key("issue:", Issue.id, f":{level}:", _iso_day(Issue.due_on), ":", uid))  # noqa: E731
            to_unit, to_office = to_unit.where(key(User.id)), to_office.where(key(office.c.uid))
        both = union_all(to_unit, to_office).subquery()
        # by problem id: the order a mail lists a group in (a long group is cut at DIGEST_LINES)
        for iid, number, title, due_on, ent_name, uid in _streamed(select(both).order_by(both.c.iid, both.c.uid)):
            period = due_on.isoformat()
            yield (uid, f"issue:{iid}:{level}:{period}:{uid}", f"issue_{level}", "issue", iid, level, period,
                   f"{number} {ent_name}：{title}（时限{due_on:%Y-%m-%d}，{TIERS[level]}）", link(f"/ledger/{iid}"))


def _urged(link, fresh=False):
    """The office: officers who ignore an urge (催而不报) — one query, a row per (record, office login)."""
    from .models import Officer

    office = office_ids()
    query = select(DutyRecord.id, DutyRecord.period, DutyRecord.note, Officer.name, office.c.uid).join(
        Officer, Officer.id == DutyRecord.officer_id).join(office, true()).where(DutyRecord.kind == "urged_missing")
    if fresh:
        query = query.where(_unwritten(duties.sql_key("urged:", DutyRecord.id, ":", office.c.uid)))
    for rec_id, period, note, name, uid in _streamed(query.order_by(DutyRecord.id, office.c.uid)):
        yield (uid, f"urged:{rec_id}:{uid}", "urged_missing", "duty", rec_id, "urged", period,
               f"{name}：{note or ''}", link("/dutyrecordview/list/"))


def _daily_leaders():
    """Active leaders whose mail mode is the daily summary — one query."""
    from flask_appbuilder.security.sqla.models import Role

    return db.session.scalars(select(User).join(AccountState, AccountState.user_id == User.id).where(
        AccountState.mail_mode == "daily", User.active.is_(True), User.roles.any(Role.name == LEADER))
        .order_by(User.id)).all()


def _ladder(today, office, depts, link, fresh=False):
    """The urging ladder's reminders: the unit (blue), the office (督办单, 通报批评 drafts, "overdue with
    explanation") and leaders who asked for the daily summary (督办单 are copied to them). A few papers
    (app/accountability/ladder.py builds them): ``fresh`` drops the keys written, CHUNK at a time."""
    from .accountability import ladder

    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(office)))} if office else {}
    batch = []
    for c in ladder.candidates(today, link, lambda d: depts.get(d, []), [users[i] for i in office if i in users],
                               _daily_leaders()):
        batch.append((c[0].id, *c[1:]))
        if len(batch) >= CHUNK:
            yield from _not_taken(batch) if fresh else batch
            batch = []
    yield from _not_taken(batch) if fresh else batch  # (at the end: always one look-up when fresh)


def _not_taken(batch):
    """The candidates of ``batch`` whose key is not written yet — one look-up, also for an empty batch
    (the statements of a sweep do not depend on whether the ladder has papers)."""
    taken = _taken({c[1] for c in batch})
    return [c for c in batch if c[1] not in taken]


def _summaries(today, link, fresh=False):
    """Leaders who asked for it: a daily summary (the two counts read once, and only when a leader's
    summary of the day is still to be written)."""
    leaders = _daily_leaders()
    if fresh and leaders:
        taken = _taken({f"summary:{today.isoformat()}:{user.id}" for user in leaders})
        leaders = [user for user in leaders if f"summary:{today.isoformat()}:{user.id}" not in taken]
    if not leaders:
        return
    overdue, total = stats.open_count(Issue.due_on < today), stats.open_count()
    for user in leaders:
        yield (user.id, f"summary:{today.isoformat()}:{user.id}", "summary", "summary", None, "daily",
               today.isoformat(), f"{today:%Y-%m-%d}：未办结问题{total}个，其中超期{overdue}个。", link("/ledger/?open=1"))


class _Digest:
    """One mail's content, folded line by line (a group keeps its first DIGEST_LINES lines and counts
    the rest), so a mail of 30,000 reminders is never a list of 30,000 lines in memory, nor in the mail."""

    __slots__ = ("name", "groups", "count", "first")

    def __init__(self, name):
        self.name, self.groups, self.count, self.first = name, {}, 0, None

    def add(self, kind, text, link):
        group = self.groups.get(kind)
        if group is None:
            group = self.groups[kind] = [0, []]
        group[0] += 1
        if len(group[1]) < DIGEST_LINES:
            group[1].append((text, link))
        if self.first is None:
            self.first = text
        self.count += 1

    def render(self):
        text = [f"{self.name}，您好：", "", "首席服务官工作平台提醒您关注以下事项：", ""]
        html = [f"<p>{escape(self.name)}，您好：</p><p>首席服务官工作平台提醒您关注以下事项：</p>"]
        for kind, (total, lines) in self.groups.items():
            text.append(f"【{KIND_TITLES.get(kind, kind)}】")
            html.append(f"<h3>{escape(KIND_TITLES.get(kind, kind))}</h3><ul>")
            for line, link in lines:
                text.append(f"  · {line}  {link or ''}")
                html.append(f'<li>{escape(line)} <a href="{escape(link or "")}">去处理</a></li>')
            if total > len(lines):  # the count and where the whole list is
                rest, where = total - len(lines), _link(KIND_LISTS.get(kind, "/"))
                text.append(f"  · ……另有{rest}项未列出（本类共{total}项），请登录平台查看：{where}")
                html.append(f'<li>……另有{rest}项未列出（本类共{total}项），<a href="{escape(where)}">登录平台查看</a></li>')
            text.append("")
            html.append("</ul>")
        text.append("（本邮件由系统自动发送，请登录平台办理。）")
        html.append("<p>（本邮件由系统自动发送，请登录平台办理。）</p>")
        subject = f"【首席服务官工作平台】{self.count}项待办提醒" if self.count > 1 \
            else short_subject("【首席服务官工作平台】", self.first)  # never cut mid-word or mid-date
        return subject, "\n".join(text), "".join(html)


def _name(first_name, last_name, username):
    return f"{first_name or ''}{last_name or ''}" or username


def _render(user, reminders):
    """(subject, text, HTML) of a mail of ``reminders`` (in their order) to ``user``."""
    digest = _Digest(_name(user.first_name, user.last_name, user.username))
    for r in reminders:
        digest.add(r.kind, r.text, r.link)
    return digest.render()


def sweep(now=None):
    """Run the whole sweep at ``now`` (aware or local naive). Returns a summary dict."""
    now = now or clock.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=clock.tz())
    from .notifications.service import gathered

    with clock.at(now), gathered():  # hand-overs told during the sweep join its one mail per recipient
        done = duties_and_steps(now.date())
        reminders, messages = write(now, candidates(now, fresh=True))
        db.session.commit()
    return {"now": now.isoformat(timespec="minutes"), **done, "reminders": reminders, "messages": messages}


def duties_and_steps(today):
    """The sweep's steps before its reminders, committed: report drafts, duty lapses, and the other
    modules' own steps. Returns their figures for the sweep's summary."""
    from .accountability import ladder
    from .policies import alerts as policy_alerts  # 惠企政策: expiry by date, application-window alerts
    from .recall import rules as recall_rules  # 服务官调整: cases whose effective date has come (app/recall)
    from .surveys.rules import sweep as survey_sweep  # 满意度评价: send queued, remind after 3 days, expire after 15

    done = {"drafted_reports": duties.ensure_reports(today), "duty_records": duties.record_lapses(today)}
    done.update({f"surveys_{k}": v for k, v in survey_sweep().items()})
    done.update(ladder.escalate(today) if workdays.is_workday(today) else {})
    done.update(policy_alerts.run(today))
    done["recall_applied"] = len(recall_rules.apply_due(today)[0])
    db.session.commit()
    return done


def write(now, cands, chunk=None):
    """Write the new reminders of ``cands`` (any iterable, read once) and their messages, a chunk of
    ``chunk`` (default :data:`CHUNK`) candidates at a time: the chunk's dedupe keys already written (one
    query), the new recipients' logins, mail modes and pending digests (one query each) and their new
    messages (one INSERT … RETURNING), then one INSERT of the chunk's reminders with their final
    message ids (PostgreSQL: one jsonb array; SQLite: an executemany; ON CONFLICT DO NOTHING: a
    concurrent sweep that got there first wins quietly).
    The lines still without a message (hand-overs told during this sweep, or left by a crash) join
    their recipient's message; last, each message touched is rendered from its rows, a few hundred
    messages per query. What stays in memory across chunks is one message id per recipient.
    Returns (reminders attached, messages written or added to)."""
    chunk = chunk or CHUNK
    box = _Messages(now, get_policy())
    written, batch = 0, []
    for c in cands:
        batch.append(c)
        if len(batch) >= chunk:
            written += _write_chunk(box, batch)
            batch = []
    if batch:
        written += _write_chunk(box, batch)
    written += _attach_orphans(box, chunk)
    return written, box.render(chunk)


_COLUMNS = (("dedupe_key", "varchar"), ("recipient_id", "integer"), ("kind", "varchar"), ("item_type", "varchar"),
            ("item_id", "integer"), ("tier", "varchar"), ("period", "varchar"), ("text", "varchar"),
            ("link", "varchar"), ("message_id", "integer"))
# PostgreSQL: a chunk of reminders is one statement with one parameter, a JSON array of rows (json.dumps
# and the server's JSON parser are fast; 10,000 rows of bound values would be 100,000 parameters)
_JSON_INSERT = sql_text(
    "INSERT INTO reminder (" + ", ".join(f'"{c}"' for c, _ in _COLUMNS) + ', "created_at") SELECT '
    + ", ".join(f"CAST(e->>{i} AS {t})" for i, (_, t) in enumerate(_COLUMNS))
    + ", :created_at FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS t(e, n) ORDER BY n "
    "ON CONFLICT (dedupe_key) DO NOTHING")


def _postgres():
    return db.session.get_bind().dialect.name == "postgresql"


def _taken(keys):
    """The dedupe keys among ``keys`` already written."""
    return duties.keys_taken(Reminder.dedupe_key, keys)


def _insert_reminders(rows, created_at):
    """One INSERT of the chunk that skips a dedupe key written meanwhile by a concurrent sweep (ON
    CONFLICT DO NOTHING); returns the rows written. ``rows``: tuples in :data:`_COLUMNS` order."""
    if _postgres():
        result = db.session.execute(_JSON_INSERT, {"created_at": created_at,
                                                   "rows": json.dumps(rows, ensure_ascii=False)})
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        result = db.session.connection().execute(  # Core executemany: the rows written come back as the rowcount
            sqlite_insert(Reminder).on_conflict_do_nothing(index_elements=["dedupe_key"]),
            [{**dict(zip((c for c, _ in _COLUMNS), r)), "created_at": created_at} for r in rows])
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def _write_chunk(box, batch):
    taken = _taken({c[1] for c in batch})
    new = []
    for c in batch:
        if c[1] not in taken:  # also a key twice in the chunk (a department user who is office staff too)
            taken.add(c[1])
            new.append(c)
    if not new:
        return 0
    message_of = box.messages_for({c[0] for c in new})
    rows = [(c[1], c[0], c[2], c[3], c[4], c[5], c[6], c[7][:500], c[8], message_of[c[0]])
            for c in new if message_of[c[0]] is not None]
    return _insert_reminders(rows, box.stamp) if rows else 0


def _attach_orphans(box, chunk):
    """Lines without a message join their recipient's message — keyset chunks by id."""
    attached, after = 0, 0
    while True:
        rows = db.session.execute(select(Reminder.id, Reminder.recipient_id).where(
            Reminder.message_id.is_(None), Reminder.id > after).order_by(Reminder.id).limit(chunk)).all()
        if not rows:
            return attached
        after = rows[-1].id
        message_of = box.messages_for({r.recipient_id for r in rows})
        lone = [{"id": r.id, "message_id": message_of[r.recipient_id]} for r in rows
                if message_of[r.recipient_id] is not None]
        if lone:
            db.session.execute(update(Reminder), lone)
            attached += len(lone)
        if len(rows) < chunk:
            return attached


class _Messages:
    """The message of each recipient of this sweep (a daily recipient's pending digest, else a new one)."""

    def __init__(self, now, policy):
        self.now, self.policy, self.moment, self.stamp = now, policy, to_utc_naive(now), clock.utcnow()
        self.send_now = to_utc_naive(next_send_time(now, policy))
        self.send_digest = to_utc_naive(digest_send_time(now, policy))
        self.message_of = {}  # user id → message id (None: no such login)
        self.fresh = set()  # the messages written by this sweep

    def messages_for(self, user_ids):
        from .accounts import mail_address

        todo = sorted(u for u in user_ids if u not in self.message_of)
        if not todo:
            return self.message_of
        emails = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(todo))).all())
        daily = set(db.session.scalars(select(AccountState.user_id).where(
            AccountState.mail_mode == "daily", AccountState.user_id.in_([u for u in todo if u in emails]))))
        pending = {}  # a daily recipient's pending digest (the newest) is added to
        if daily:
            for mid, uid in db.session.execute(select(OutboundMessage.id, OutboundMessage.recipient_id).where(
                    OutboundMessage.recipient_id.in_(sorted(daily)), OutboundMessage.status == "pending",
                    OutboundMessage.not_before > self.moment).order_by(OutboundMessage.id)):
                pending[uid] = mid
        new_rows = []
        for uid in todo:
            if uid not in emails:
                self.message_of[uid] = None
            elif uid in pending:
                self.message_of[uid] = pending[uid]
            else:
                address = mail_address(emails[uid])
                new_rows.append({"recipient_id": uid, "to_addr": address or "", "subject": "", "body_text": "",
                                 "body_html": "", "created_at": self.stamp, "attempts": 0,
                                 "not_before": self.send_digest if uid in daily else self.send_now,
                                 "status": "pending" if address else "no_address",
                                 "last_error": None if address else NO_ADDRESS})
        if new_rows:  # rendered once all their lines are in (render)
            for mid, uid in db.session.execute(insert(OutboundMessage).returning(
                    OutboundMessage.id, OutboundMessage.recipient_id), new_rows):
                self.message_of[uid] = mid
                self.fresh.add(mid)
        return self.message_of

    def render(self, chunk):
        """Subject and body of every message touched, from all its lines (a message's lines streamed in
        id order and folded, :class:`_Digest`); a new message left without lines (its keys all taken by
        a concurrent sweep) goes. Returns the number of messages."""
        mids = sorted({m for m in self.message_of.values() if m is not None})
        per = max(1, chunk // 20)
        kept = 0
        for i in range(0, len(mids), per):
            part = mids[i:i + per]
            names = {mid: _name(first, last, username) for mid, first, last, username in db.session.execute(
                select(OutboundMessage.id, User.first_name, User.last_name, User.username).join(
                    User, User.id == OutboundMessage.recipient_id).where(OutboundMessage.id.in_(part)))}
            bodies, digest, current = [], None, None
            for mid, kind, text, link in _streamed(select(Reminder.message_id, Reminder.kind, Reminder.text, Reminder.link)
                                                   .where(Reminder.message_id.in_(part))
                                                   .order_by(Reminder.message_id, Reminder.id)):
                if mid != current:
                    if digest is not None:
                        bodies.append(_body(current, digest))
                    current, digest = mid, _Digest(names[mid])
                digest.add(kind, text, link)
            if digest is not None:
                bodies.append(_body(current, digest))
            if bodies:
                db.session.execute(update(OutboundMessage), bodies)
            empty = sorted(set(part) & self.fresh - {b["id"] for b in bodies})
            if empty:
                db.session.execute(delete(OutboundMessage).where(OutboundMessage.id.in_(empty)))
            kept += len(bodies)
        return kept


def _body(mid, digest):
    subject, body_text, body_html = digest.render()
    return {"id": mid, "subject": subject, "body_text": body_text, "body_html": body_html}


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
