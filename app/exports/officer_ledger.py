"""The officers' monthly work ledger (服务官工作台账): per officer and month, the enterprises
served, visits, enterprises not visited, problems collected and resolved."""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from sqlalchemy import and_, case, or_, select

from .. import clock, querystring, scope
from ..models import ASSIGNMENT_ROLES, Assignment, Enterprise, Issue, Officer, Visit
from ..stats import utc_start
from . import common
from .common import local_date
from .workbook import (
    NUMBER, TEXT, Column, StreamingWorksheet, Styles, TableWriter, cn_date, notes, open_workbook, setup_sheet,
    title_rows,
)

OFFICER_COLUMNS = [
    Column("序号", "seq", NUMBER, 8), Column("月份", "month", TEXT, 10), Column("姓名", "name", TEXT, 10),
    Column("工作单位", "unit", TEXT, 18), Column("职务", "title", TEXT, 14), Column("包联角色", "roles", TEXT, 18),
    Column("包联企业数", "served_count", NUMBER, 10), Column("包联企业", "served", TEXT, 50),
    Column("走访次数", "visits", NUMBER, 10), Column("走访企业数", "visited_count", NUMBER, 10),
    Column("当月未走访企业", "not_visited", TEXT, 40), Column("收集问题数", "collected", NUMBER, 10),
    Column("办结问题数", "resolved", NUMBER, 10),
]
OFFICER_SEARCH = ("name", "unit", "title", "rank", "phone", "active")
MAX_MONTHS = 36
DEFAULT_MONTHS = 6
ROLE_ORDER = list(ASSIGNMENT_ROLES)  # chief, then liaison
OFFICER_NOTES = [
    "注：1. 包联企业为当月在岗的包联关系；走访次数、走访企业数按走访日期统计，当月未走访企业为当月包联而未走访的企业。",
    "2. 收集问题数按问题的反映时间统计，办结问题数按办结时间统计，均为该服务官跟进的问题。",
    "3. 首席服务官应于每月5日前报送上月工作台账。",
]


@dataclass(slots=True)
class OfficerMonthRow:
    seq: int
    month: str
    name: str
    unit: Optional[str]
    title: Optional[str]
    roles: Optional[str]
    served_count: int
    served: Optional[str]
    visits: int
    visited_count: int
    not_visited: Optional[str]
    collected: int
    resolved: int


@dataclass(slots=True)
class Served:
    enterprise_id: int
    name: str
    role: str
    start: object
    end: object


@dataclass
class MonthCounts:
    """Per (officer id, year, month): visits, enterprises visited, problems collected, resolved."""

    visits: Counter
    visited: dict
    collected: Counter
    resolved: Counter


def next_month(day):
    return day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1, day=1)


def month_range(args, today):
    """The months asked for: ``month_from``/``month_to`` (YYYY-MM), by default the last six."""
    last = querystring.month_arg(args, "month_to", "截止月份") or today.replace(day=1)
    first = querystring.month_arg(args, "month_from", "起始月份")
    if first is None:
        first = last
        for _ in range(DEFAULT_MONTHS - 1):
            first = (first - timedelta(days=1)).replace(day=1)
    if first > last:
        raise common.ExportError("month_from", "起始月份不能晚于截止月份。")
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
        if len(months) > MAX_MONTHS:
            raise common.ExportError("month_from", f"一次最多导出{MAX_MONTHS}个月。")
    return months


def officer_statement(user, raw):
    args = common.clean_args(raw)
    query = scope.restrict(Officer, select(Officer.id, Officer.name, Officer.unit, Officer.title), user)
    if (ids := querystring.id_list(args, "officer", "服务官")) is not None:
        query = query.where(Officer.id.in_(ids))
    query = common.apply_fab_filters(query, Officer, OFFICER_SEARCH, raw)
    return query.order_by(Officer.active.desc(), case((Officer.rank == "县级", 0), else_=1), Officer.id)


def _served(user, ids, start, end):
    """{officer id: [Served]} for the assignments that overlap [start, end)."""
    served = defaultdict(list)
    rows = common.named(scope.restrict(Assignment, select(
        Assignment.officer_id, Assignment.enterprise_id, Enterprise.name, Assignment.role,
        Assignment.start_date, Assignment.end_date)
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
        .where(Assignment.officer_id.in_(ids), Assignment.start_date < end,
               or_(Assignment.end_date.is_(None), Assignment.end_date >= start)), user)
        .order_by(Assignment.officer_id, Assignment.role, Enterprise.name))
    for a in rows:
        served[a.officer_id].append(Served(enterprise_id=a.enterprise_id, name=a.name, role=a.role,
                                           start=a.start_date, end=a.end_date))
    return served


def _month_counts(user, ids, start, end):
    counts = MonthCounts(Counter(), defaultdict(set), Counter(), Counter())
    visits = scope.restrict(Visit, select(Visit.officer_id, Visit.enterprise_id, Visit.visit_date).where(
        Visit.officer_id.in_(ids), Visit.visit_date >= start, Visit.visit_date < end), user)
    for part in common.chunks(visits, 5000):
        for v in part:
            key = (v.officer_id, v.visit_date.year, v.visit_date.month)
            counts.visits[key] += 1
            counts.visited[key].add(v.enterprise_id)
    issues = scope.restrict(Issue, select(Issue.officer_id, Issue.received_on, Issue.resolved_at).where(
        Issue.officer_id.in_(ids), or_(and_(Issue.received_on >= start, Issue.received_on < end),
                                       and_(Issue.resolved_at >= utc_start(start), Issue.resolved_at < utc_start(end)))),
        user)
    tz = clock.tz()
    for part in common.chunks(issues, 5000):
        for i in part:
            if start <= i.received_on < end:
                counts.collected[(i.officer_id, i.received_on.year, i.received_on.month)] += 1
            if i.resolved_at is not None:
                day = local_date(i.resolved_at, tz)
                if start <= day < end:
                    counts.resolved[(i.officer_id, day.year, day.month)] += 1
    return counts


def _month_row(seq, officer, month, served, counts):
    month_end = next_month(month) - timedelta(days=1)
    active = [s for s in served if s.start <= month_end and (s.end is None or s.end >= month)]
    key = (officer.id, month.year, month.month)
    seen = counts.visited.get(key, set())
    roles = sorted({s.role for s in active}, key=ROLE_ORDER.index)
    names = sorted({(s.name, s.enterprise_id) for s in active})
    return OfficerMonthRow(
        seq=seq, month=f"{month.year}-{month.month:02d}", name=officer.name, unit=officer.unit, title=officer.title,
        roles="、".join(ASSIGNMENT_ROLES[r] for r in roles) or None, served_count=len(names),
        served="、".join(e for e, _ in names) or None, visits=counts.visits[key], visited_count=len(seen),
        not_visited="、".join(e for e, i in names if i not in seen) or None,
        collected=counts.collected[key], resolved=counts.resolved[key])


def officer_ledger_workbook(user, args, out, today=None):
    """Per officer and month; returns the row count. ``args``: ``month_from``/``month_to``
    (YYYY-MM, default the last six months), ``officer`` ids, and the officer list's FAB filters."""
    user = common.effective_user(user)
    today = today or clock.today()
    months = month_range(common.clean_args(args), today)
    first, last = months[0], months[-1]
    start, end = first, next_month(last)  # [start, end)
    stmt = officer_statement(user, args or {})

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("服务官工作台账", worksheet_class=StreamingWorksheet)
    ncols = len(OFFICER_COLUMNS)
    setup_sheet(ws, repeat_rows=2, freeze=(3, 3))
    period = f"{first.year}年{first.month}月" + (f"至{last.year}年{last.month}月" if last != first else "")
    title_rows(ws, styles, ncols, f"{common.district()}首席服务官工作台账（{period}）",
               f"填报单位：{common.reporting_unit(user)}", f"导出日期：{cn_date(today)}")
    table = TableWriter(ws, styles, OFFICER_COLUMNS, 2)
    table.header()
    n = 0
    for chunk in common.chunks(stmt, 200):
        ids = [officer.id for officer in chunk]
        served = _served(user, ids, start, end)
        counts = _month_counts(user, ids, start, end)
        for officer in chunk:
            for month in months:
                n += 1
                table.add(_month_row(n, officer, month, served[officer.id], counts))
    table.finish_widths()
    notes(ws, styles, table.row, ncols, OFFICER_NOTES)
    wb.close()
    return n
