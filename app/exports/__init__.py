"""Excel exports (docs/domain.md#import-and-export-formats): the problem ledger in the offices'
layout (with its 汇总 sheet), the assignment table in the shape the roster importer reads back
unchanged, visits, and the officers' monthly work ledger.

    workbook.py        safe XlsxWriter workbooks and cells, file names, styles, the streaming fast path
    common.py          whose rows, arguments, streaming SELECTs, FAB list filters, 填报单位
    ledger.py          企业问题台账 + 汇总 (summary_counts)
    assignments.py     首席服务官及具体分包人情况表
    visits.py          走访记录
    officer_ledger.py  服务官工作台账
    views.py           /export/<kind>, /api/v1/export/<kind>, ``flask cso export``

Every export takes the user whose scope applies, the filters (a mapping of query arguments, the
same ones the list screens use, parsed by ``app.querystring``) and ``out`` (a path or a binary
file object), writes one workbook and returns the number of data rows. Rows always come from
``scope.restrict(...)`` queries — the ledger reuses ``ledger.listing.build_query`` so an export holds
exactly the rows the list shows. ``user=None`` means *all rows* (full office scope); only the
command line passes it, inside a request it is refused. A bad argument raises
:class:`ExportError` (``app.querystring.QueryError``) before anything is written.

Size: workbooks are written in ``constant_memory`` mode from queries read with ``yield_per`` (a
server-side cursor on PostgreSQL), related data fetched per chunk of rows with IN queries —
memory does not grow with the number of rows.
"""
from .. import clock
from .assignments import ASSIGNMENT_COLUMNS, ASSIGNMENT_HEADERS, AssignmentRow, assignments_workbook
from .common import ALL_ROWS, ExportError, effective_user
from .ledger import (
    LEDGER_COLUMNS, LEDGER_FIRST_DATA_ROW, LEDGER_HEADERS, LedgerRow, iter_ledger_rows, ledger_statement,
    ledger_workbook, summary_counts,
)
from .officer_ledger import MAX_MONTHS, OFFICER_COLUMNS, OfficerMonthRow, officer_ledger_workbook
from .visits import VISIT_COLUMNS, VisitRow, visits_workbook
from .workbook import (
    XLSX_MIMETYPE, content_disposition, open_workbook, text_width, write_cell, write_text, xml_cell_text,
)

__all__ = [
    "ALL_ROWS", "ASSIGNMENT_COLUMNS", "ExportForbidden", "may_export", "ASSIGNMENT_HEADERS", "AssignmentRow", "ExportError", "FILE_NAMES",
    "KINDS", "LEDGER_COLUMNS", "LEDGER_FIRST_DATA_ROW", "LEDGER_HEADERS", "LedgerRow", "MAX_MONTHS",
    "OFFICER_COLUMNS", "OfficerMonthRow", "VISIT_COLUMNS", "VisitRow", "XLSX_MIMETYPE", "assignments_workbook",
    "content_disposition", "export", "file_names", "iter_ledger_rows", "ledger_statement", "ledger_workbook",
    "officer_ledger_workbook", "open_workbook", "summary_counts", "text_width", "visits_workbook",
    "write_cell", "write_text", "xml_cell_text",
]

KINDS = ("ledger", "assignments", "visits", "officers")
FILE_NAMES = {
    "ledger": ("企业问题台账", "ledger"),
    "assignments": ("首席服务官及具体分包人情况表", "assignments"),
    "visits": ("走访记录", "visits"),
    "officers": ("服务官工作台账", "officer_ledger"),
}


def file_names(kind, today=None):
    """(Chinese file name, ASCII fallback) for an export, e.g. 企业问题台账_20261127.xlsx."""
    stamp = (today or clock.today()).strftime("%Y%m%d")
    chinese, ascii_name = FILE_NAMES[kind]
    return f"{chinese}_{stamp}.xlsx", f"{ascii_name}_{stamp}.xlsx"


# the models each export reads: a caller who may not read all of them (scope.may) gets none of it —
# the same read permission as the list screens and the REST resources (docs/architecture.md#security)
KIND_MODELS = {"ledger": ("Issue",), "assignments": ("Assignment", "Enterprise", "Officer"),
               "visits": ("Visit", "Enterprise", "Officer"), "officers": ("Officer", "Visit", "Assignment")}


class ExportForbidden(PermissionError):
    """The caller's role may not read what this export holds (403 / a flash / a CLI error)."""


def may_export(kind, user):
    from .. import models, scope

    user = effective_user(user)
    return all(scope.may(user, "read", getattr(models, name)) for name in KIND_MODELS.get(kind, ()))


def export(kind, user, args, out, today=None):
    """Dispatch by kind (ledger | assignments | visits | officers); returns the row count."""
    if kind in KIND_MODELS and not may_export(kind, user):
        raise ExportForbidden(f"您的角色无权导出“{FILE_NAMES[kind][0]}”。")
    if kind == "ledger":
        return ledger_workbook(user, args, out, today=today)
    if kind == "assignments":
        return assignments_workbook(user, out, args=args, today=today)
    if kind == "visits":
        return visits_workbook(user, args, out, today=today)
    if kind == "officers":
        return officer_ledger_workbook(user, args, out, today=today)
    raise ExportError("kind", f"导出类型应为：{'、'.join(KINDS)}。")
