"""Listing the reports (周报与月度工作台账): filters, sorting by any column, each row's state.

One module for the report list screen, its .xlsx export (app/exports/reports.py) and its printed
page, always through ``scope.restrict`` (an officer sees their own reports, the office all).

Filters (query arguments, all optional, bad ones answered in Chinese by ``QueryError``):
``kind`` (weekly / monthly), ``state`` (draft 未报送, overdue 逾期未报, submitted 已报送, late 迟报),
``officer`` (ids), ``enterprise`` (ids: the officers serving it now), ``region`` (所属街道: the officers
serving an enterprise there now), ``period_from`` / ``period_to`` (YYYY-MM-DD: periods overlapping
the span). ``sort``: a column name, ``-`` in front for descending (default ``-period``)."""
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from . import clock, db, pinyin_order, querystring, scope
from .models import REPORT_KINDS, Assignment, DutyRecord, Enterprise, Officer, Report
from .vocab import REPORT_STATES

SORTS = {
    "officer": (Officer.name,), "kind": (Report.kind,), "period": (Report.period_start,),
    "due": (Report.due_on,), "state": (Report.status, Report.submitted_at), "submitted": (Report.submitted_at,),
}
SORT_LABELS = {"officer": "服务官", "kind": "类型", "period": "期间", "due": "截止日期", "state": "状态",
               "submitted": "报送时间"}
DEFAULT_SORT = "-period"
LIMIT = 2000  # a screen or workbook of reports (31 officers × 52 weeks fit many times)


def _state_condition(state, today):
    """SQL for one state; 迟报 is the late_report duty record that submission writes (app.duties)."""
    late = exists().where(DutyRecord.report_id == Report.id, DutyRecord.kind == "late_report")
    return {
        "draft": and_(Report.status == "draft", Report.due_on >= today),
        "overdue": and_(Report.status == "draft", Report.due_on < today),
        "submitted": and_(Report.status == "submitted", ~late),
        "late": and_(Report.status == "submitted", late),
    }[state]


def statement(user, args, today=None):
    """The scoped, filtered, sorted SELECT of reports (see the module docstring)."""
    today = today or clock.today()
    query = scope.restrict(Report, select(Report).join(Officer, Officer.id == Report.officer_id), user)
    if kinds := querystring.choice_list(args, "kind", "类型", REPORT_KINDS):
        query = query.where(Report.kind.in_(kinds))
    if states := querystring.choice_list(args, "state", "状态", REPORT_STATES):
        query = query.where(or_(*(_state_condition(s, today) for s in states)))
    if (ids := querystring.id_list(args, "officer", "服务官")) is not None:
        query = query.where(Report.officer_id.in_(ids))
    serving = None
    if (ids := querystring.id_list(args, "enterprise", "企业")) is not None:
        serving = select(Assignment.officer_id).where(Assignment.enterprise_id.in_(ids), Assignment.is_current)
    region = querystring.text_arg(args, "region")
    if region:
        in_region = select(Assignment.officer_id).join(Enterprise, Enterprise.id == Assignment.enterprise_id).where(
            Enterprise.subdistrict == region, Assignment.is_current)
        serving = in_region if serving is None else serving.intersect(in_region)
    if serving is not None:
        query = query.where(Report.officer_id.in_(serving))
    if (start := querystring.date_arg(args, "period_from", "期间起")) is not None:
        query = query.where(Report.period_end >= start)
    if (end := querystring.date_arg(args, "period_to", "期间止")) is not None:
        query = query.where(Report.period_start <= end)
    sort = (args.get("sort") or DEFAULT_SORT).strip()
    key = sort.lstrip("-")
    if key not in SORTS:
        raise querystring.QueryError("sort", "排序应为：" + "、".join(f"{k}（{v}）" for k, v in SORT_LABELS.items()) + "，前加“-”为倒序。")
    desc = sort.startswith("-")
    order = [c.desc().nulls_last() if desc else c.asc().nulls_last() for c in SORTS[key]]
    return query.order_by(*order, Report.id.desc() if desc else Report.id.asc())


def rows(user, args, today=None):
    stmt = statement(user, args, today).limit(LIMIT).options(selectinload(Report.officer))
    found = db.session.scalars(stmt).all()
    sort = args.get("sort") or DEFAULT_SORT
    if sort.lstrip("-") == "officer":  # names by pinyin, not code point (the SQL order stays within a name)
        found = sorted(found, key=lambda r: pinyin_order.key(r.officer.name), reverse=sort.startswith("-"))
    return found


def sort_link(args, column):
    """The ``sort`` value a column header links to: ascending first, descending when already so."""
    current = args.get("sort") or DEFAULT_SORT
    return f"-{column}" if current == column else column
