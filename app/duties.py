"""Officers' duties (seed 六(一)(三), 七(一), 八(七)): the weekly report (周报) due by Friday, the
monthly work ledger (月度工作台账) due by the 5th, a visit to every enterprise every week — and the
records of what was late (迟报), missing (漏报), urged but still missing (催而不报) or not visited.

Every entry point (screens, CLI, beat) calls these functions with an explicit ``today``/``now``."""
import json
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import String, and_, cast, exists, func, insert, literal, select
from sqlalchemy import text as sql_text

from . import clock, db, masterdata, scope, stats, workdays
from .models import (
    REPORT_KINDS, VISIT_MODES, Assignment, DutyRecord, Enterprise, Issue, IssueEvent, Officer, Reminder, Report, Visit,
)
from .settings import Policy, get_policy
from .vocab import OPEN_STATUSES, REPORT_OWN_HEADING, REPORT_STATES


class DutyError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


# --- periods and due dates -------------------------------------------------------------------------

def _shift(day, policy: Policy):
    """A due day that is not a working day moves as the office set it (next / previous / stays)."""
    if policy.due_shift == 0 or workdays.is_workday(day):
        return day
    return workdays.add_workdays(day, 0) if policy.due_shift > 0 else workdays.add_workdays(day, -1)


def week_key(day):
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day):
    return f"{day.year}-{day.month:02d}"


def weekly_period(day, policy: Policy):
    """(start, end, due) of the week holding ``day``; due on the set weekday of that week."""
    start = clock.week_start(day)
    return start, start + timedelta(days=6), _shift(start + timedelta(days=policy.weekly_due_weekday - 1), policy)


def monthly_period(day, policy: Policy):
    """(start, end, due) of the month *reported* in ``day``'s month: last month, due on the set day."""
    first = day.replace(day=1)
    start = first - relativedelta(months=1)
    return start, first - timedelta(days=1), _shift(first.replace(day=policy.monthly_due_day), policy)


def period_key(report):
    return week_key(report.period_start) if report.kind == "weekly" else month_key(report.period_start)


# --- drafting ------------------------------------------------------------------------------------------

def _in_post(query):
    return query.where(Officer.active.is_(True), exists().where(
        Assignment.officer_id == Officer.id, Assignment.role == "chief", Assignment.is_current)).order_by(Officer.id)


def active_officers():
    """Chief officers in post: they owe the weekly report and the monthly work ledger."""
    return db.session.scalars(_in_post(select(Officer))).all()


def enterprises_of(officer_id, day=None):
    query = select(Enterprise).join(Assignment, Assignment.enterprise_id == Enterprise.id).where(
        Assignment.officer_id == officer_id, Assignment.is_current)
    return db.session.scalars(query.order_by(Enterprise.name).distinct()).all()


def draft_content(officer, start, end):
    """The whole first draft: the derived facts, then the heading of the officer's own text."""
    return compose(draft_facts(officer, start, end), "")


def draft_facts(officer, start, end):
    """The officer's own data for the period (visits, policy talks, problems filed, closed, open),
    derived afresh each time: a draft follows the data until it is submitted."""
    lines = []
    ents = enterprises_of(officer.id)
    ids = [e.id for e in ents]
    visits = db.session.scalars(select(Visit).where(
        Visit.officer_id == officer.id, Visit.visit_date.between(start, end)).order_by(Visit.visit_date, Visit.id)).all()
    by_ent = {}
    for v in visits:
        by_ent.setdefault(v.enterprise_id, []).append(v)
    lines.append(f"一、走访服务情况（{start:%Y-%m-%d}至{end:%Y-%m-%d}）")
    for ent in ents:
        items = by_ent.get(ent.id, [])
        if items:
            detail = "；".join(f"{v.visit_date:%m月%d日}{v.mode_label}：{v.summary}" for v in items)
            lines.append(f"  {ent.name}：走访{len(items)}次。{detail}")
        else:
            lines.append(f"  {ent.name}：本期未走访。")
    policies = [v for v in visits if v.topics and "政策宣传" in v.topics]
    lines.append(f"二、政策宣传：{len(policies)}次。")
    filed = db.session.scalars(select(Issue).where(
        Issue.enterprise_id.in_(ids), Issue.received_on.between(start, end)).order_by(Issue.id)).all() if ids else []
    lines.append(f"三、收集企业问题{len(filed)}个" + ("：" + "；".join(f"{i.number}{i.title}" for i in filed) if filed else "。"))
    closed = db.session.scalars(select(Issue).where(
        Issue.enterprise_id.in_(ids), Issue.status == "closed",
        stats.happened_between(Issue.closed_at, start, end))).all() if ids else []
    open_count = db.session.scalar(select(func.count()).select_from(Issue).where(
        Issue.enterprise_id.in_(ids), Issue.status.in_(OPEN_STATUSES))) if ids else 0
    progress = db.session.scalar(select(func.count()).select_from(IssueEvent).join(Issue).where(
        Issue.enterprise_id.in_(ids), IssueEvent.action == "progress",
        stats.happened_between(IssueEvent.at, start, end))) if ids else 0
    lines.append(f"四、问题办理：本期销号{len(closed)}个，办理进展反馈{progress}次，尚未办结{open_count}个。")
    return "\n".join(lines)


def draft_facts_many(officer_ids, start, end):
    """{officer id: :func:`draft_facts` text} for many officers at once — six queries whatever their
    number (the sweep drafts every chief officer's reports at the start of a period; issue 11)."""
    if not officer_ids:
        return {}
    ids = list(officer_ids)
    pairs = select(Assignment.officer_id, Assignment.enterprise_id).where(
        Assignment.officer_id.in_(ids), Assignment.is_current).distinct().subquery()
    ents = {}
    for oid, ent_id, name in db.session.execute(select(pairs.c.officer_id, Enterprise.id, Enterprise.name).join(
            Enterprise, Enterprise.id == pairs.c.enterprise_id).order_by(Enterprise.name, Enterprise.id)):
        ents.setdefault(oid, []).append((ent_id, name))
    visits = {}  # officer id → [(enterprise id, day, mode label, topics, summary)] — columns, not entities
    for oid, ent_id, day, mode, topics, summary in db.session.execute(select(
            Visit.officer_id, Visit.enterprise_id, Visit.visit_date, Visit.mode, Visit.topics, Visit.summary).where(
            Visit.officer_id.in_(ids), Visit.visit_date.between(start, end)).order_by(Visit.visit_date, Visit.id)):
        visits.setdefault(oid, []).append((ent_id, day, VISIT_MODES.get(mode, mode), topics, summary))
    filed = {}
    for oid, number, title in db.session.execute(select(pairs.c.officer_id, Issue.number, Issue.title).join(
            Issue, Issue.enterprise_id == pairs.c.enterprise_id).where(Issue.received_on.between(start, end))
            .order_by(Issue.id)):
        filed.setdefault(oid, []).append(f"{number}{title}")

    def counted(query):
        return dict(db.session.execute(query.group_by(pairs.c.officer_id)).all())

    closed = counted(select(pairs.c.officer_id, func.count(Issue.id)).join(
        Issue, Issue.enterprise_id == pairs.c.enterprise_id).where(
        Issue.status == "closed", stats.happened_between(Issue.closed_at, start, end)))
    open_ = counted(select(pairs.c.officer_id, func.count(Issue.id)).join(
        Issue, Issue.enterprise_id == pairs.c.enterprise_id).where(Issue.status.in_(OPEN_STATUSES)))
    progress = counted(select(pairs.c.officer_id, func.count(IssueEvent.id)).join(
        Issue, Issue.enterprise_id == pairs.c.enterprise_id).join(IssueEvent, IssueEvent.issue_id == Issue.id).where(
        IssueEvent.action == "progress", stats.happened_between(IssueEvent.at, start, end)))
    out = {}
    for oid in ids:
        lines = [f"一、走访服务情况（{start:%Y-%m-%d}至{end:%Y-%m-%d}）"]
        by_ent = {}
        for v in visits.get(oid, ()):
            by_ent.setdefault(v[0], []).append(v)
        for ent_id, name in ents.get(oid, ()):
            items = by_ent.get(ent_id, [])
            if items:
                detail = "；".join(f"{day:%m月%d日}{mode}：{summary}" for _, day, mode, _, summary in items)
                lines.append(f"  {name}：走访{len(items)}次。{detail}")
            else:
                lines.append(f"  {name}：本期未走访。")
        policies = [v for v in visits.get(oid, ()) if v[3] and "政策宣传" in v[3]]
        lines.append(f"二、政策宣传：{len(policies)}次。")
        f = filed.get(oid, []) if ents.get(oid) else []
        lines.append(f"三、收集企业问题{len(f)}个" + ("：" + "；".join(f) if f else "。"))
        lines.append(f"四、问题办理：本期销号{closed.get(oid, 0)}个，办理进展反馈{progress.get(oid, 0)}次，"
                     f"尚未办结{open_.get(oid, 0)}个。")
        out[oid] = "\n".join(lines)
    return out


def compose(facts, notes):
    """A report's text: the facts, then the officer's own text under its heading."""
    notes = (notes or "").strip("\n")
    return f"{facts}\n{REPORT_OWN_HEADING}" + (f"\n{notes}" if notes else "")


def own_text(text):
    """The officer's own part of a report text: what follows the heading (all of it when the text
    has no heading, e.g. a note typed alone)."""
    text = text or ""
    head, sep, tail = text.partition(REPORT_OWN_HEADING)
    return tail.strip("\n") if sep else text.strip()


def report_notes(report):
    """The officer's own text of a report (stored apart since issue 9; older drafts: from content)."""
    return report.notes if report.notes is not None else own_text(report.content)


def saved_facts(report):
    """The facts as last saved (the baseline of "what changed")."""
    if report.facts is not None:
        return report.facts
    head, sep, _ = (report.content or "").partition(REPORT_OWN_HEADING)
    return head.rstrip("\n") if sep else ""


def fresh_facts(report):
    return draft_facts(report.officer, report.period_start, report.period_end)


def fact_changes(report, fresh=None):
    """[(old line or None, new line or None)] where the facts derived now differ from the saved
    ones — a visit or a problem recorded after the draft was written."""
    import difflib

    old, new = saved_facts(report).splitlines(), (fresh if fresh is not None else fresh_facts(report)).splitlines()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        olds, news = old[i1:i2], new[j1:j2]
        for k in range(max(len(olds), len(news))):
            out.append((olds[k] if k < len(olds) else None, news[k] if k < len(news) else None))
    return out


def refresh_draft(report):
    """Re-derive a draft's facts and store them with the officer's own text kept (returns the
    changes against the facts saved before). Submitted reports stay as submitted."""
    if report.status != "draft":
        return []
    fresh = fresh_facts(report)
    changes = fact_changes(report, fresh)
    notes = report_notes(report)
    report.notes, report.facts, report.content = notes, fresh, compose(fresh, notes)
    return changes


def report_state(report, today=None):
    """(state, label): 未报送 / 逾期未报 / 已报送 / 迟报 (submitted after its due day, local time)."""
    today = today or clock.today()
    if report.status == "submitted":
        late = report.submitted_at is not None and clock.local(report.submitted_at).date() > report.due_on
        state = "late" if late else "submitted"
    else:
        state = "overdue" if report.due_on < today else "draft"
    return state, REPORT_STATES[state]


DRAFT_CHUNK = 500  # officers whose drafts are derived and written at once (the sweep's memory stays flat)
LAPSE_CHUNK = 10_000  # duty records checked against their keys and written at once


def ensure_reports(today=None):
    """Create the draft reports of the current periods for every chief officer (idempotent).
    A period whose due day has already passed when it is first seen (a new deployment, a new
    officer) is not created: nobody is recorded for a duty the portal never asked for."""
    today = today or clock.today()
    policy = get_policy()
    periods = [(kind, p) for kind, p in (("weekly", weekly_period(today, policy)), ("monthly", monthly_period(today, policy)))
               if p[2] >= today]
    if not periods:
        return 0
    officers = db.session.scalars(_in_post(select(Officer.id))).all()
    have = {kind: set(db.session.scalars(select(Report.officer_id).where(Report.kind == kind, Report.period_start == p[0])))
            for kind, p in periods}  # who already has it: one query per kind
    db.session.flush()
    return sum(_draft_chunk(officers[i:i + DRAFT_CHUNK], periods, have) for i in range(0, len(officers), DRAFT_CHUNK))


def _draft_chunk(part, periods, have):
    """The drafts of a chunk of officers: six queries per kind and one INSERT (a function of its own, so
    that a chunk's texts are gone before the next chunk's are derived)."""
    todo = {kind: ((start, end, due), draft_facts_many([o for o in part if o not in have[kind]], start, end))
            for kind, (start, end, due) in periods}
    rows = []
    for officer_id in part:  # officer by officer, weekly before monthly: the ids come out as before
        for kind, ((start, end, due), facts) in todo.items():
            if officer_id in facts:
                rows.append({"officer_id": officer_id, "kind": kind, "period_start": start, "period_end": end,
                             "due_on": due, "status": "draft", "content": compose(facts[officer_id], ""),
                             "facts": facts[officer_id], "notes": "", "created_at": clock.utcnow()})
    if rows:
        db.session.execute(insert(Report), rows)  # one executemany
    return len(rows)


def _record(officer_id, kind, period, enterprise_id=None, report_id=None, note=None):
    """A duty record once per key (one look-up; the sweep's lapses are written in bulk, _write_records)."""
    row = _row(clock.utcnow(), officer_id, kind, period, enterprise_id, report_id, note)
    if db.session.scalar(select(DutyRecord.id).where(DutyRecord.key == row["key"])):
        return None
    rec = DutyRecord(**row)
    db.session.add(rec)
    return rec


def _own_report(user, report_id):
    report = db.session.get(Report, report_id)
    officer = scope.officer_of(user)
    if report is None or officer is None or report.officer_id != officer.id:
        raise DutyError(404, "报告不存在或不是您的报告。")
    return report


def save_draft(user, report_id, content):
    """The officer keeps working on their own text before submitting; the facts are re-derived
    and saved with it (``content``: the officer's text, or a whole report text whose own part
    follows the heading)."""
    try:
        report = _own_report(user, report_id)
    except DutyError:
        raise DutyError(403, "只能修改自己尚未报送的报告。") from None
    if report.status != "draft":
        raise DutyError(409, "只能修改自己尚未报送的报告。")
    report.notes = own_text(content)
    refresh_draft(report)
    db.session.flush()
    return report


def submit_report(user, report_id, content):
    """The officer submits their own report: the facts as derived at this moment and their own text
    (as for :func:`save_draft`); after its due day it is also recorded as late (迟报)."""
    report = _own_report(user, report_id)
    if report.status == "submitted":
        raise DutyError(409, "该报告已经提交。")
    notes = own_text(content)
    if len(notes) < 10:
        raise DutyError(422, "报告内容过短，请补充后再提交。")
    now = clock.now()
    report.notes = notes
    refresh_draft(report)
    report.status, report.submitted_at = "submitted", clock.utcnow()
    if now.date() > report.due_on:
        _record(report.officer_id, "late_report", period_key(report), report_id=report.id,
                note=f"{report.kind_label}应于{report.due_on:%Y-%m-%d}前报送，实际{now:%Y-%m-%d}报送")
    db.session.flush()
    return report


def record_lapses(today=None):
    """After due days pass: missing reports (漏报), urged but still missing (催而不报), and last
    week's enterprises nobody visited. Idempotent; returns how many records it wrote. The lapses are
    read as a stream and written LAPSE_CHUNK at a time (the chunk's keys looked up, one INSERT)."""
    today = today or clock.today()
    written, batch = 0, []
    for row in _lapses(today, get_policy()):
        batch.append(row)
        if len(batch) >= LAPSE_CHUNK:
            written += _write_records(batch)
            batch = []
    if batch:
        written += _write_records(batch)
    return written


def _lapses(today, policy):
    """The duty records due at ``today`` (some already written), as rows."""
    stamp = clock.utcnow()
    drafts = db.session.execute(select(Report.id, Report.officer_id, Report.kind, Report.period_start).where(
        Report.status == "draft", Report.due_on < today).order_by(Report.id).execution_options(yield_per=LAPSE_CHUNK))
    for part in drafts.partitions():
        urged = dict(db.session.execute(select(Reminder.item_id, func.min(Reminder.created_at)).where(
            Reminder.item_type == "report", Reminder.tier == "late", Reminder.item_id.in_([r.id for r in part]))
            .group_by(Reminder.item_id)).all())
        for report in part:
            label = REPORT_KINDS.get(report.kind, report.kind)
            period = week_key(report.period_start) if report.kind == "weekly" else month_key(report.period_start)
            yield _row(stamp, report.officer_id, "missing_report", period, report_id=report.id,
                       note=f"{label}（{report.period_start:%Y-%m-%d}起）逾期未报")
            urged_on = urged.get(report.id)
            if urged_on and workdays.workdays_between(clock.local(urged_on).date(), today) >= policy.urge_grace_days:
                yield _row(stamp, report.officer_id, "urged_missing", period, report_id=report.id,
                           note=f"{clock.local(urged_on):%Y-%m-%d}催报后仍未报送")
    last_week = clock.week_start(today) - timedelta(days=7)
    yield from _missed_visits(last_week, last_week + timedelta(days=6), stamp)


def _row(stamp, officer_id, kind, period, enterprise_id=None, report_id=None, note=None):
    return {"key": f"{kind}:{officer_id}:{period}:{enterprise_id or '-'}", "officer_id": officer_id, "kind": kind,
            "period": period, "enterprise_id": enterprise_id, "report_id": report_id, "note": note, "created_at": stamp}


def keys_taken(column, keys):
    """The values among ``keys`` already in the unique ``column`` — one query for a chunk of thousands
    (PostgreSQL: one JSON array parameter, not a bound value each; the sweep's chunks, issue 11)."""
    if db.session.get_bind().dialect.name == "postgresql":
        where = sql_text(f"{column.table.name}.{column.name} = ANY(ARRAY(SELECT json_array_elements_text("
                         "CAST(:keys AS json))))").bindparams(keys=json.dumps(sorted(keys), ensure_ascii=False))
    else:
        where = column.in_(keys)
    return set(db.session.scalars(select(column).where(where)))


def _write_records(batch):
    """Write the rows of ``batch`` whose key is not there yet (one look-up of the batch's keys, one INSERT)."""
    taken = keys_taken(DutyRecord.key, {r["key"] for r in batch})
    rows = []
    for r in batch:
        if r["key"] not in taken:
            taken.add(r["key"])
            rows.append(r)
    if rows:
        db.session.execute(insert(DutyRecord), rows)  # one executemany
    return len(rows)


def sql_key(*parts):
    """A key built in SQL the way Python spells it in an f-string: string literals and columns joined
    with ``||`` (integers as their digits) — what an anti-join on a unique key compares with (the
    sweep's candidates and lapses that are already written stay in the database, issue 11)."""
    out = None
    for part in parts:
        part = literal(part, String) if isinstance(part, str) else cast(part, String)
        out = part if out is None else out + part
    return out


def _missed_visits(start, end, stamp):
    """Enterprises with an active chief and no visit by any of their officers in [start, end], whose
    record is not written yet — only those come back from the database (two NOT EXISTS: a repeat run
    reads nothing), streamed."""
    visited = exists().where(Visit.enterprise_id == Assignment.enterprise_id, Visit.visit_date.between(start, end))
    written = exists().where(DutyRecord.key == sql_key(
        "missed_visit:", Assignment.officer_id, f":{week_key(start)}:", Assignment.enterprise_id))  # as _row spells it
    chiefs = db.session.execute(select(Assignment.enterprise_id, Assignment.officer_id).where(
        Assignment.role == "chief", Assignment.start_date <= start, Assignment.is_current, ~visited, ~written)
        .order_by(Assignment.id).execution_options(yield_per=LAPSE_CHUNK))
    for enterprise_id, officer_id in chiefs:
        yield _row(stamp, officer_id, "missed_visit", week_key(start), enterprise_id=enterprise_id,
                   note=f"{start:%Y-%m-%d}至{end:%Y-%m-%d}未走访")


def unvisited_this_week(today):
    """(enterprise, [officer user ids]) for enterprises with no visit yet this week."""
    rows = db.session.execute(select(Enterprise, Officer.user_id).join(
        Assignment, and_(Assignment.enterprise_id == Enterprise.id, Assignment.is_current)).join(
        Officer, Officer.id == Assignment.officer_id).where(Officer.user_id.is_not(None))).all()
    visited = masterdata.visited_this_week({ent.id for ent, _ in rows}, today)
    out = {}
    for ent, user_id in rows:
        if ent.id not in visited:
            out.setdefault(ent, set()).add(user_id)
    return sorted(out.items(), key=lambda kv: kv[0].id)


