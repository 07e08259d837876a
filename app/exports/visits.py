"""Visits (走访记录), newest first as the visit list shows them, with the list's filters."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from .. import clock, querystring, scope
from ..models import VISIT_MODES, Enterprise, Officer, Visit
from . import common
from .workbook import (
    DATE, NUMBER, TEXT, Column, StreamingWorksheet, Styles, TableWriter, cn_date, notes, open_workbook, setup_sheet,
    title_rows,
)

VISIT_COLUMNS = [
    Column("序号", "seq", NUMBER, 8), Column("走访日期", "visit_date", DATE, 12), Column("企业名称", "enterprise", TEXT, 36),
    Column("所属街道", "subdistrict", TEXT, 12), Column("服务官", "officer", TEXT, 12), Column("工作单位", "unit", TEXT, 18),
    Column("走访方式", "mode", TEXT, 10), Column("服务内容", "topics", TEXT, 30), Column("走访情况", "summary", TEXT, 60),
    Column("录入时间", "entered", TEXT, 18),
]
VISIT_SEARCH = ("enterprise", "officer", "visit_date", "mode", "topics", "summary")  # the visit list's search
VISIT_ORDER = {"visit_date": Visit.visit_date, "mode": Visit.mode}
VISIT_NOTES = ["注：按《首席服务官制度》要求，首席服务官及具体分包人每周至少深入包联企业一次；本表按走访日期倒序排列。"]


@dataclass(slots=True)
class VisitRow:
    seq: int
    visit_date: object
    enterprise: str
    subdistrict: Optional[str]
    officer: str
    unit: Optional[str]
    mode: Optional[str]
    topics: Optional[str]
    summary: Optional[str]
    entered: Optional[str]


def visit_statement(user, raw):
    """The scoped, filtered, ordered SELECT of the visits.

    ``raw``: ``enterprise``, ``officer`` (ids), ``date_from``/``date_to`` (YYYY-MM-DD), ``mode``
    (comma-separated), and the visit list's FAB filters and order (``_oc_VisitView``)."""
    args = common.clean_args(raw)
    query = scope.restrict(Visit, select(
        Visit.id, Visit.visit_date, Enterprise.name.label("enterprise"), Enterprise.subdistrict,
        Officer.name.label("officer"), Officer.unit, Visit.mode, Visit.topics, Visit.summary, Visit.created_at)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .join(Officer, Officer.id == Visit.officer_id), user)
    if (ids := querystring.id_list(args, "enterprise", "企业")) is not None:
        query = query.where(Visit.enterprise_id.in_(ids))
    if (ids := querystring.id_list(args, "officer", "服务官")) is not None:
        query = query.where(Visit.officer_id.in_(ids))
    if (start := querystring.date_arg(args, "date_from", "走访日期起")) is not None:
        query = query.where(Visit.visit_date >= start)
    if (end := querystring.date_arg(args, "date_to", "走访日期止")) is not None:
        query = query.where(Visit.visit_date <= end)
    if region := querystring.text_arg(args, "region"):  # the list's 所属街道 (app.views.RegionFilter)
        query = query.where(Enterprise.subdistrict == region)
    if (modes := querystring.text_list(args, "mode", "走访方式")) is not None:
        if any(m not in VISIT_MODES for m in modes):
            raise common.ExportError("mode", f"走访方式应为：{'、'.join(VISIT_MODES)}。")
        query = query.where(Visit.mode.in_(modes))
    query = common.apply_fab_filters(query, Visit, VISIT_SEARCH, raw)
    column, direction = common.fab_order(raw, "VisitView", VISIT_ORDER, ("visit_date", "desc"))
    order = VISIT_ORDER[column]
    return query.order_by(order.desc() if direction == "desc" else order.asc(),
                          Visit.id.desc() if direction == "desc" else Visit.id.asc())


def visits_workbook(user, args, out, today=None):
    """Visits with the list's filters (see :func:`visit_statement`); returns the row count."""
    user = common.effective_user(user)
    today = today or clock.today()
    stmt = visit_statement(user, args or {})

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("走访记录", worksheet_class=StreamingWorksheet)
    ncols = len(VISIT_COLUMNS)
    setup_sheet(ws, repeat_rows=2, freeze=(3, 3))
    as_of = cn_date(today)
    title_rows(ws, styles, ncols, f"{common.district()}首席服务官走访记录（截至{as_of}）",
               f"填报单位：{common.reporting_unit(user)}", f"导出日期：{as_of}")
    table = TableWriter(ws, styles, VISIT_COLUMNS, 2)
    table.header()
    n = 0
    for chunk in common.chunks(stmt):
        for visit in chunk:
            n += 1
            table.add(VisitRow(
                seq=n, visit_date=visit.visit_date, enterprise=visit.enterprise, subdistrict=visit.subdistrict,
                officer=visit.officer, unit=visit.unit, mode=VISIT_MODES.get(visit.mode, visit.mode),
                topics=visit.topics, summary=visit.summary,
                entered=clock.local(visit.created_at).strftime("%Y-%m-%d %H:%M") if visit.created_at else None))
    table.finish_widths()
    notes(ws, styles, table.row, ncols, VISIT_NOTES)
    wb.close()
    return n
