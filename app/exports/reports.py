"""Reports (周报与月度工作台账) as .xlsx: the report list with its filters (app.report_listing),
one row per report with its full text — drafts with their facts derived now, as the page shows them."""
from dataclasses import dataclass
from typing import Optional

from .. import clock, duties, report_listing
from ..models import REPORT_KINDS
from . import common
from .workbook import (
    DATE, NUMBER, TEXT, Column, StreamingWorksheet, Styles, TableWriter, cn_date, notes, open_workbook, setup_sheet,
    title_rows,
)

REPORT_COLUMNS = [
    Column("序号", "seq", NUMBER, 6), Column("服务官", "officer", TEXT, 10), Column("工作单位", "unit", TEXT, 16),
    Column("类型", "kind", TEXT, 12), Column("期间起", "start", DATE, 11), Column("期间止", "end", DATE, 11),
    Column("截止日期", "due", DATE, 11), Column("状态", "state", TEXT, 9), Column("报送时间", "submitted", TEXT, 16),
    Column("报告内容", "content", TEXT, 80),
]
REPORT_NOTES = ["注：周报每周五前、月度工作台账每月5日前报送；“迟报”为截止日期后报送，“逾期未报”为截止日期已过仍未报送；"
                "未报送的报告按导出时的走访和问题数据起草。"]
FILLS = {"overdue": "red", "late": "yellow", "submitted": "green"}


@dataclass(slots=True)
class ReportRow:
    seq: int
    officer: str
    unit: Optional[str]
    kind: str
    start: object
    end: object
    due: object
    state: str
    submitted: Optional[str]
    content: str


def reports_workbook(user, args, out, today=None):
    """The visible reports matching ``args`` (see app.report_listing); returns the row count."""
    user = common.effective_user(user)
    today = today or clock.today()
    reports = report_listing.rows(user, args or {}, today)
    wb = open_workbook(out, title="周报与月度工作台账")
    styles = Styles(wb)
    ws = wb.add_worksheet("周报与月报", worksheet_class=StreamingWorksheet)
    ncols = len(REPORT_COLUMNS)
    setup_sheet(ws, repeat_rows=2, freeze=(3, 2))
    as_of = cn_date(today)
    title_rows(ws, styles, ncols, f"{common.district()}首席服务官周报与月度工作台账（截至{as_of}）",
               f"填报单位：{common.reporting_unit(user)}", f"导出日期：{as_of}")
    table = TableWriter(ws, styles, REPORT_COLUMNS, 2)
    table.header()
    for n, report in enumerate(reports, start=1):
        state, label = duties.report_state(report, today)
        content = report.content if report.status == "submitted" else duties.compose(
            duties.fresh_facts(report), duties.report_notes(report))
        table.add(ReportRow(
            seq=n, officer=report.officer.name, unit=report.officer.unit, kind=REPORT_KINDS.get(report.kind, report.kind),
            start=report.period_start, end=report.period_end, due=report.due_on, state=label,
            submitted=clock.local(report.submitted_at).strftime("%Y-%m-%d %H:%M") if report.submitted_at else None,
            content=content), FILLS.get(state))
    table.finish_widths()
    notes(ws, styles, table.row, ncols, REPORT_NOTES)
    wb.close()
    return len(reports)
