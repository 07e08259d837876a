"""The problem ledger (企业问题台账) in the offices' layout, and its 汇总 sheet.

The rows are exactly the ledger list's: ``listing.build_query`` with the list's filters, in
the caller's scope. Issues are read ``CHUNK`` at a time; each chunk's enterprises, officers,
co-departments and latest progress/confirm notes come with one IN query each, so memory does not
grow with the number of rows. Every row is a :class:`LedgerRow` (named fields, one per column).

The 汇总 figures are computed in one place, :func:`summary_counts`, from a :class:`LedgerSummary`
tallied while the rows are written (so they count the very same rows).
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import Optional

from sqlalchemy import false, func, select, true

from .. import clock, db, stats
from ..ledger import listing
from ..ledger.rules import sees_internal
from ..ledger.deadlines import tier_bounds
from ..models import (
    ESCALATION_LEVELS, ISSUE_LEVELS, ISSUE_SOURCES, SATISFACTION, Assignment, Department, Enterprise, Issue,
    IssueCategory, IssueEvent, Officer, issue_codepartment,
)
from ..notices.ledger_link import latest_sent_numbers
from ..settings import get_policy
from ..vocab import ISSUE_STATUSES, LIFECYCLE, OPEN_STATUSES, OVERDUE_TIERS, SOLVED_STATUSES, TIER_COLOURS, TIER_FILTERS
from . import common
from .common import local_date
from .workbook import (
    DATE, NUMBER, TEXT, Column, StreamingWorksheet, Styles, TableWriter, cn_date, headers, notes, open_workbook,
    setup_sheet, title_rows, write_text,
)

LEDGER_COLUMNS = [  # caps sized to print 25 columns one page wide on A3 landscape (~60 %), long text wraps
    Column("序号", "seq", NUMBER, 6), Column("问题编号", "number", TEXT, 11), Column("企业名称", "enterprise", TEXT, 28),
    Column("所属街道", "region", TEXT, 10), Column("首席服务官", "chiefs", TEXT, 12),
    Column("具体分包人", "liaisons", TEXT, 12), Column("问题来源", "source", TEXT, 10),
    Column("反映时间", "received_on", DATE, 11), Column("问题类别", "category", TEXT, 10),
    Column("问题描述", "description", TEXT, 40), Column("问题层级", "level", TEXT, 10),
    Column("牵头单位", "lead_department", TEXT, 14), Column("配合单位", "co_departments", TEXT, 14),
    Column("交办单编号", "notice_number", TEXT, 12), Column("交办时间", "assigned_on", DATE, 11),
    Column("办理时限", "due_on", DATE, 11), Column("办理进展", "progress", TEXT, 26),
    Column("办理结果", "resolution", TEXT, 22), Column("办结时间", "resolved_on", DATE, 11),
    Column("办理状态", "status_label", TEXT, 10), Column("是否超期", "overdue", TEXT, 10),
    Column("是否销号", "closed_out", TEXT, 10), Column("回访情况", "visit_back", TEXT, 18),
    Column("企业满意度", "satisfaction", TEXT, 12), Column("备注", "remarks", TEXT, 18),
]
LEDGER_HEADERS = headers(LEDGER_COLUMNS)
LEDGER_FIRST_DATA_ROW = 3  # 0 title, 1 填报单位, 2 header
NO_CATEGORY, NO_DEPARTMENT, NO_CHIEF = "（未分类）", "（未交办）", "（未配备）"


@dataclass(slots=True)
class LedgerRow:
    """One ledger row: a field per column (LEDGER_COLUMNS' keys), plus the status and tier behind
    the row's colour."""

    seq: Optional[int]
    number: str
    enterprise: str
    region: Optional[str]
    chiefs: str
    liaisons: str
    source: Optional[str]
    received_on: object
    category: Optional[str]
    description: str
    level: Optional[str]
    lead_department: Optional[str]
    co_departments: str
    notice_number: Optional[str]
    assigned_on: object
    due_on: object
    progress: Optional[str]
    resolution: Optional[str]
    resolved_on: object
    status_label: str
    overdue: str
    closed_out: str
    visit_back: Optional[str]
    satisfaction: Optional[str]
    remarks: Optional[str]
    status: str = ""
    tier: Optional[str] = None

    @property
    def fill(self):
        return "green" if self.status == "closed" else TIER_COLOURS.get(self.tier)


_ISSUE_FIELDS = (
    Issue.id, Issue.number, Issue.enterprise_id, Issue.region, Issue.source, Issue.received_on, Issue.category_id,
    Issue.title, Issue.description, Issue.level, Issue.lead_department_id, Issue.assigned_at, Issue.resolve_due,
    Issue.due_on, Issue.resolution, Issue.resolved_at, Issue.status, Issue.satisfaction, Issue.rework_count,
    Issue.pending_due, Issue.escalation, Issue.unable_requested,
)


class _Tiers:
    """tier() for many rows at once: the SQL filter's bounds (deadlines.tier_bounds), computed once."""

    def __init__(self, today, policy):
        self.serious_high = tier_bounds("serious", today, policy)[1]
        self.overdue_high = tier_bounds("overdue", today, policy)[1]
        self.approach_low, self.approach_high = tier_bounds("approaching", today, policy)

    def __call__(self, status, due):
        if due is None or status not in OPEN_STATUSES:
            return None
        if due <= self.serious_high:
            return "serious"
        if due <= self.overdue_high:
            return "overdue"
        if self.approach_low <= due <= self.approach_high:
            return "approaching"
        return None


@dataclass(slots=True)
class EnterpriseInfo:
    name: str
    subdistrict: Optional[str]
    chiefs: list = field(default_factory=list)
    liaisons: list = field(default_factory=list)


NO_ENTERPRISE = EnterpriseInfo("", "")


@dataclass
class Lookups:
    """What the rows refer to, read once per export (categories, departments, tiers) or once per
    enterprise (names and current officers, cached: bounded by the enterprises, not the rows)."""

    categories: dict
    departments: dict
    tiers: _Tiers
    tz: object
    enterprises: dict = field(default_factory=dict)

    @classmethod
    def load(cls, today):
        return cls(dict(db.session.execute(select(IssueCategory.id, IssueCategory.name)).all()),
                   dict(db.session.execute(select(Department.id, Department.name)).all()),
                   _Tiers(today, get_policy()), clock.tz())

    def add_enterprises(self, ids):
        missing = [i for i in ids if i not in self.enterprises]
        if not missing:
            return
        for ent in common.named(
                select(Enterprise.id, Enterprise.name, Enterprise.subdistrict).where(Enterprise.id.in_(missing))):
            self.enterprises[ent.id] = EnterpriseInfo(ent.name, ent.subdistrict)
        rows = common.named(
            select(Assignment.enterprise_id, Assignment.role, Officer.name)
            .join(Officer, Officer.id == Assignment.officer_id)
            .where(Assignment.enterprise_id.in_(missing), Assignment.is_current, Officer.active == true())
            .order_by(Assignment.enterprise_id, Assignment.start_date, Assignment.id))
        for person in rows:
            info = self.enterprises.get(person.enterprise_id)
            if info is not None:
                (info.chiefs if person.role == "chief" else info.liaisons).append(person.name)


def _latest_notes(issue_ids):
    """{(issue id, 'progress'|'confirm'): event} of the latest such event per issue."""
    latest = (select(func.max(IssueEvent.id))
              .where(IssueEvent.issue_id.in_(issue_ids), IssueEvent.action.in_(("progress", "confirm")),
                     IssueEvent.internal == false())
              .group_by(IssueEvent.issue_id, IssueEvent.action))
    rows = common.named(select(IssueEvent.issue_id, IssueEvent.action, IssueEvent.note, IssueEvent.at)
                        .where(IssueEvent.id.in_(latest)))
    return {(ev.issue_id, ev.action): ev for ev in rows}


def _co_departments(issue_ids, departments):
    found = defaultdict(list)
    rows = common.named(select(issue_codepartment.c.issue_id, issue_codepartment.c.department_id)
                        .where(issue_codepartment.c.issue_id.in_(issue_ids))
                        .order_by(issue_codepartment.c.issue_id, issue_codepartment.c.department_id))
    for link in rows:
        found[link.issue_id].append(departments.get(link.department_id, ""))
    return found


def _remarks(issue, internal=True):
    """备注. ``internal=False`` (an enterprise's own export, ``ledger.sees_internal``) leaves out what its
    issue page and API leave out (``listing.serialize``): escalations, pending extensions, "unable"."""
    remarks = []
    if internal and issue.escalation:
        remarks.append(f"已提级：{ESCALATION_LEVELS.get(issue.escalation, issue.escalation)}")
    if internal and issue.pending_due:
        remarks.append(f"申请延期至{issue.pending_due.isoformat()}，待审批")
    if internal and issue.unable_requested and issue.status in OPEN_STATUSES:
        remarks.append("已申请无法解决，待审批")
    if issue.rework_count:
        remarks.append(f"企业不满意重办{issue.rework_count}次")
    return "；".join(remarks) or None


def ledger_row(issue, lookups, notes_by_issue, co_names, notice_number=None, internal=True):
    """The :class:`LedgerRow` of one issue (a row of ``_ISSUE_FIELDS``; 序号 left None)."""
    info = lookups.enterprises.get(issue.enterprise_id) or NO_ENTERPRISE
    tz = lookups.tz
    status = issue.status
    current = lookups.tiers(status, issue.due_on)
    progress = notes_by_issue.get((issue.id, "progress"))
    confirm = notes_by_issue.get((issue.id, "confirm"))
    visit_back = (confirm.note or f"{local_date(confirm.at, tz).isoformat()} 已确认") if confirm is not None else None
    described, title = issue.description or "", issue.title
    if title and not described.startswith(title):
        described = f"{title}：{described}" if described else title
    return LedgerRow(
        seq=None, number=issue.number, enterprise=info.name, region=issue.region or info.subdistrict,
        chiefs="、".join(info.chiefs), liaisons="、".join(info.liaisons),
        source=ISSUE_SOURCES.get(issue.source, issue.source), received_on=issue.received_on,
        category=lookups.categories.get(issue.category_id), description=described,
        level=ISSUE_LEVELS.get(issue.level, issue.level), lead_department=lookups.departments.get(issue.lead_department_id),
        co_departments="、".join(co_names), notice_number=notice_number, assigned_on=local_date(issue.assigned_at, tz),
        due_on=issue.resolve_due or issue.due_on, progress=progress.note if progress else None,
        resolution=issue.resolution, resolved_on=local_date(issue.resolved_at, tz),
        status_label=ISSUE_STATUSES.get(status, status), overdue="是" if current in OVERDUE_TIERS else "否",
        closed_out="是" if status == "closed" else "否", visit_back=visit_back,
        satisfaction=SATISFACTION.get(issue.satisfaction), remarks=_remarks(issue, internal), status=status, tier=current,
    )


def ledger_statement(user, args, today=None, limit=None):
    """The scoped, filtered SELECT of the ledger's columns, in the export's order."""
    args = common.clean_args(args)
    query = listing.build_query(user, args, today=today)
    order = args.get("order") or "number"
    if order not in listing.ORDERS:
        raise common.ExportError("order", f"排序应为：{'、'.join(listing.ORDERS)}。")
    stmt = query.with_only_columns(*_ISSUE_FIELDS).order_by(*listing.ORDERS[order])
    return stmt.limit(limit) if limit else stmt


def iter_ledger_rows(user, args, today=None, limit=None):
    """Yield a :class:`LedgerRow` per ledger row (序号 filled), streaming."""
    user = common.effective_user(user)
    today = today or clock.today()
    stmt = ledger_statement(user, args, today, limit)
    lookups = Lookups.load(today)
    internal = sees_internal(user)  # the issue page's field visibility, for every row of this export
    n = 0
    for chunk in common.chunks(stmt):
        ids = [issue.id for issue in chunk]
        lookups.add_enterprises({issue.enterprise_id for issue in chunk})
        notes_by_issue = _latest_notes(ids)
        co = _co_departments(ids, lookups.departments)
        notices = latest_sent_numbers(ids)  # 交办单编号: the latest sent notice (app/notices)
        for issue in chunk:
            row = ledger_row(issue, lookups, notes_by_issue, co.get(issue.id, ()), notices.get(issue.id), internal)
            n += 1
            row.seq = n
            yield row


def ledger_notes(policy):
    statuses = "→".join(ISSUE_STATUSES[s] for s in LIFECYCLE)
    return [
        f"注：1. 办理状态：{statuses}；另有{ISSUE_STATUSES['unable']}、{ISSUE_STATUSES['void']}。",
        f"2. 颜色：红色为超期（含严重超期，即超过时限{policy.serious_days}个工作日及以上），"
        f"黄色为临期（剩余不超过{policy.approaching_days}个工作日），绿色为已销号。“是否超期”按导出之日的当前时限判断。",
        f"3. 办理时限按“13710”工作法：接到问题{policy.transfer_days}个工作日内转办，转办后{policy.feedback_days}个工作日内首次反馈，"
        f"一般问题{policy.resolve_days}个工作日内办结，重大复杂问题{policy.major_months}个月内办结，未按期解决的提请会商；"
        "“0”即问题全部跟踪到销号清零。工作日按国家法定节假日和调休安排计算。",
        "4. 办理进展为最近一次反馈，回访情况为最近一次确认评价；交办单编号为最近一次送达的交办通知单编号。",
    ]


def describe_filters(args):
    """The 统计范围 line: the ledger filters given, with their Chinese labels and values."""
    from ..notifications.queues import QUEUE_LABELS  # a home page's work queue (queue=…)

    labels = {"status": ISSUE_STATUSES, "tier": TIER_FILTERS, "source": ISSUE_SOURCES, "queue": QUEUE_LABELS}
    parts = []
    for key in listing.FILTERS:
        value = args.get(key)
        if value:
            if key in labels:
                value = "、".join(labels[key].get(v, v) for v in str(value).split(","))
            parts.append(f"{listing.FILTER_LABELS[key]}={value}")
    return "；".join(parts) or "全部"


def ledger_workbook(user, args, out, today=None, limit=None):
    """The problem ledger in the offices' layout, plus a 汇总 sheet. Returns the row count.

    ``args``: the ledger list's filters (listing.FILTERS) and ``order`` (default: by number);
    raises ``QueryError`` for a bad one, before anything is written. ``limit``: at most this many rows."""
    user = common.effective_user(user)
    args = common.clean_args(args)
    today = today or clock.today()
    rows = iter_ledger_rows(user, args, today, limit)
    first = next(rows, None)  # bad filters raise here, before a file is written

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("问题台账", worksheet_class=StreamingWorksheet)
    summary_ws = wb.add_worksheet("汇总")
    ncols = len(LEDGER_COLUMNS)
    setup_sheet(ws, paper=8, repeat_rows=2, freeze=(LEDGER_FIRST_DATA_ROW, 3))  # A3: 25 columns
    as_of = cn_date(today)
    title_rows(ws, styles, ncols, f"{common.district()}企业问题台账（截至{as_of}）",
               f"填报单位：{common.reporting_unit(user)}", f"填报日期：{as_of}")
    ws.set_row(2, 30)
    table = TableWriter(ws, styles, LEDGER_COLUMNS, 2)
    table.header()
    summary = LedgerSummary()
    n = 0
    if first is not None:
        for row in chain((first,), rows):
            n += 1
            table.add(row, row.fill)
            summary.add(row)
    table.finish_widths()
    if n:
        ws.autofilter(2, 0, 2 + n, ncols - 1)
    notes(ws, styles, table.row, ncols, ledger_notes(get_policy()))
    summary_sheet(summary_ws, styles, summary_counts(summary), as_of, describe_filters(args))
    wb.close()
    return n


# --- 汇总 ---------------------------------------------------------------------------------------------

GROUPS = (("category", "三、按问题类别", "问题类别"), ("department", "四、按牵头单位", "牵头单位"),
          ("officer", "五、按首席服务官", "首席服务官"))


class LedgerSummary:
    """The 汇总 tally, gathered while the rows are written (so it counts the same rows)."""

    def __init__(self):
        self.status = Counter()
        self.tiers = Counter()
        self.by = {key: defaultdict(Counter) for key, _, _ in GROUPS}

    def add(self, row):
        status, tier = row.status, row.tier
        self.status[status] += 1
        if tier:
            self.tiers[tier] += 1
        for key, name in (("category", row.category or NO_CATEGORY),
                          ("department", row.lead_department or NO_DEPARTMENT), ("officer", row.chiefs or NO_CHIEF)):
            c = self.by[key][name]
            c["total"] += 1
            if status in SOLVED_STATUSES:
                c["solved"] += 1
            elif status in OPEN_STATUSES:
                c["open"] += 1
            if status == "closed":
                c["closed"] += 1
            if status == "void":
                c["void"] += 1
            if tier in OVERDUE_TIERS:
                c["overdue"] += 1

    @property
    def total(self):
        return sum(self.status.values())


def rate(solved, total, void=0):
    """解决率 (app.stats, the one definition): solved over the problems that count (all but 已作废)."""
    return stats.rate("solution", solved, total - void)


SUMMARY_OVERALL = ["问题总数", "已办结（含已销号）", "其中已销号", "办理中（未办结）", "无法解决", "已作废",
                   "解决率", "销号率", "超期（含严重超期）", "其中严重超期", "临期"]
SUMMARY_GROUP_HEADERS = ["问题数", "已办结", "办理中", "超期", "解决率"]


def summary_counts(s):
    """Every figure of the 汇总 sheet from the tally: ``{"overall": {label: value}, "by_status":
    [(label, n)], "total": n, "groups": {key: [{"name", "total", "solved", "open", "overdue",
    "rate"}]}}`` — rates are app.stats Rates (样本不足 under the minimum sample)."""
    total, void = s.total, s.status["void"]
    solved = sum(s.status[k] for k in SOLVED_STATUSES)
    overall = {
        "问题总数": total, "已办结（含已销号）": solved, "其中已销号": s.status["closed"],
        "办理中（未办结）": sum(s.status[k] for k in OPEN_STATUSES), "无法解决": s.status["unable"], "已作废": void,
        "解决率": stats.solution_rate(s.status), "销号率": stats.closure_rate(s.status),
        "超期（含严重超期）": sum(s.tiers[t] for t in OVERDUE_TIERS), "其中严重超期": s.tiers["serious"],
        "临期": s.tiers["approaching"],
    }
    groups = {}
    for key, _, _ in GROUPS:
        tally = s.by[key]
        groups[key] = [{"name": name, "total": c["total"], "solved": c["solved"], "open": c["open"],
                        "overdue": c["overdue"], "rate": rate(c["solved"], c["total"], c["void"])}
                       for name, c in sorted(tally.items(), key=lambda kv: (-kv[1]["total"], kv[0]))]
    return {"overall": overall, "by_status": [(label, s.status[key]) for key, label in ISSUE_STATUSES.items()],
            "total": total, "groups": groups}


def _write_rate(ws, row, col, value, styles):
    if value.value is None:
        ws.write_string(row, col, value.text, styles.number)  # 样本不足: never 0 % or 100 % from two items
    else:
        ws.write_number(row, col, value.value, styles.pct)


def _header_row(ws, row, names, styles):
    for col, name in enumerate(names):
        ws.write_string(row, col, name, styles.header)
    return row + 1


def summary_sheet(ws, styles, figures, as_of, scope_text):
    """汇总: overall figures, then counts by status, category, lead department and chief officer."""
    ncols = 6
    setup_sheet(ws)  # A4 landscape (six columns), one page wide, page numbers
    title_rows(ws, styles, ncols, f"{common.district()}企业问题台账汇总（截至{as_of}）",
               f"统计范围：与“问题台账”工作表相同（筛选条件：{scope_text}）")
    ws.set_column(0, 0, 28)
    ws.set_column(1, ncols - 1, 12)
    ws.write_string(3, 0, "一、总体情况", styles.section)
    row = _header_row(ws, 4, ["指标", "数值"], styles)
    for label in SUMMARY_OVERALL:
        ws.write_string(row, 0, label, styles.text)
        value = figures["overall"][label]
        if label.endswith("率"):
            _write_rate(ws, row, 1, value, styles)
        else:
            ws.write_number(row, 1, value, styles.number)
        row += 1
    row += 1
    ws.write_string(row, 0, "二、按办理状态", styles.section)
    row = _header_row(ws, row + 1, ["办理状态", "问题数"], styles)
    for label, n in figures["by_status"]:
        ws.write_string(row, 0, label, styles.text)
        ws.write_number(row, 1, n, styles.number)
        row += 1
    ws.write_string(row, 0, "合计", styles.header)
    ws.write_number(row, 1, figures["total"], styles.number)
    row += 2
    for key, title, first in GROUPS:
        ws.write_string(row, 0, title, styles.section)
        row = _header_row(ws, row + 1, [first, *SUMMARY_GROUP_HEADERS], styles)
        for group in figures["groups"][key]:
            write_text(ws, row, 0, group["name"], styles.text, styles.quoted)
            for col, name in enumerate(("total", "solved", "open", "overdue"), start=1):
                ws.write_number(row, col, group[name], styles.number)
            _write_rate(ws, row, 5, group["rate"], styles)
            row += 1
        row += 1
    notes(ws, styles, row - 1, ncols, [
        f"注：解决率：{stats.RATES['solution'].definition}销号率：{stats.RATES['closure'].definition}"
        f"样本少于{stats.min_sample()}个的比率显示为“{stats.INSUFFICIENT}”。",
        "超期、临期按导出之日未办结问题的当前时限计算；按首席服务官统计的是企业当前在岗的首席服务官。",
    ])
