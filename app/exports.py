"""Excel exports (docs/domain.md#import-and-export-formats): the problem ledger in the offices' layout, the assignment
table in the shape the roster importer reads back unchanged, visits, and the officers' monthly
work ledger.

Every function takes the user whose scope applies, the filters (a mapping of query arguments, the
same ones the list screens use) and ``out`` (a path or a binary file object), writes one workbook
and returns the number of data rows. Rows always come from ``scope.restrict(...)`` queries — the
ledger reuses ``issue_list.build_query`` so an export holds exactly the rows the list shows.

``user=None`` means *all rows* (full office scope). Only the command line passes it (``flask cso
export`` without ``--user``); inside a web or API request a None user is refused outright.

Safety: XlsxWriter runs with ``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers`` off
and every piece of user text goes through :func:`write_text` (``write_string``), so "=1+1" stays
text; text that starts with = + - @ also gets Excel's quote prefix, so editing the cell later does
not turn it into a formula either. Size: the workbook is written in ``constant_memory`` mode (rows
in order, flushed to a temp file as they are done) from queries read with ``yield_per`` (a
server-side cursor on PostgreSQL), related data fetched per chunk of rows with IN queries — memory
does not grow with the number of rows.
"""
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from itertools import chain
from types import SimpleNamespace
from urllib.parse import quote

import xlsxwriter
from xlsxwriter.worksheet import Worksheet
from flask import current_app, has_request_context
from sqlalchemy import and_, case, false, func, or_, select, true

from . import clock, db, issue_list, scope
from .deadlines import OPEN_STATUSES, tier_bounds
from .models import (
    ASSIGNMENT_ROLES, ESCALATION_LEVELS, ISSUE_LEVELS, ISSUE_SOURCES, ISSUE_STATUSES, SATISFACTION, VISIT_MODES,
    Assignment, Department, DepartmentUser, Enterprise, EnterpriseUser, Issue, IssueCategory, IssueEvent, Officer,
    Visit, issue_codepartment,
)
from .policy import get_policy

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1000  # rows per fetch, and per batch of related-data IN queries
KINDS = ("ledger", "assignments", "visits", "officers")


# --- whose rows ---------------------------------------------------------------------------------

class _AllRows:
    """The command line's user when no --user is given: full office scope, i.e. all rows.

    It goes through ``scope.restrict`` like any user (the Office role sees everything)."""

    id = None
    username = "cli"
    first_name, last_name = "命令行", ""
    roles = (SimpleNamespace(name="Office"),)
    is_authenticated = True
    active = True


ALL_ROWS = _AllRows()


class ExportError(ValueError):
    """Bad export parameters (answered 400 / shown to the user)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def _effective_user(user):
    if user is None:
        if has_request_context():  # a request never gets "all rows" by forgetting the user
            raise PermissionError("导出需要已登录的用户。")
        return ALL_ROWS
    return user


def _clean_args(args):
    """A plain dict of the non-empty query arguments (first value of each)."""
    if not args:
        return {}
    return {k: v for k, v in args.items() if v not in (None, "")}


def _getlist(args, key):
    return args.getlist(key) if hasattr(args, "getlist") else [args[key]]


# --- helpers: header, widths, safe strings -------------------------------------------------------

def content_disposition(filename, fallback=None, disposition="attachment"):
    """``attachment; filename="ascii.xlsx"; filename*=UTF-8''%E4%BC%81…`` (RFC 6266 / RFC 5987).

    Browsers that know ``filename*`` show the Chinese name; others fall back to the ASCII one
    (``fallback``, or the name with non-ASCII letters dropped)."""
    if fallback is None:
        stem, dot, ext = filename.rpartition(".")
        if not dot:
            stem, ext = filename, ""
        ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
        ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_stem).strip("._-")
        if not re.search(r"[A-Za-z]", ascii_stem):
            ascii_stem = ("export_" + ascii_stem).rstrip("_")
        fallback = ascii_stem + ("." + ext if ext and ext.isascii() else "")
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", fallback)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def text_width(value):
    """Display width of a cell's text in Excel column units: CJK/full-width characters count 2,
    others 1; for several lines, the widest line."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return max(len(line) for line in text.split("\n"))
    widest = 0
    for line in text.split("\n"):
        n = 0
        for ch in line:
            n += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        widest = max(widest, n)
    return widest


FORMULA_LEAD = ("=", "+", "-", "@")


def neutral_text(value):
    """``(text, needs_quote_prefix)``: text that could be read as a formula gets the quote prefix.

    A string of the form ``<r>…</r>`` would be copied into the sheet's XML unescaped by XlsxWriter
    (its marker for pre-built rich text): a zero-width space at the end keeps it plain text."""
    if value.startswith("<r>") and value.endswith("</r>"):
        value += "\u200b"
    return value, value.startswith(FORMULA_LEAD)


def write_text(ws, row, col, value, cell_format=None, quoted_format=None):
    """Write user text as a string cell — never a formula, URL or number, whatever it starts with.

    ``quoted_format`` (the same format with ``quote_prefix``) is used for text starting with
    = + - @, so that editing the cell in Excel later keeps it text too."""
    if value is None:
        return ws.write_blank(row, col, None, cell_format)
    if not isinstance(value, str):
        value = str(value)
    if value:
        value, quoted = neutral_text(value)
        if quoted and quoted_format is not None:
            cell_format = quoted_format
    return ws.write_string(row, col, value, cell_format)


EXCEL_EPOCH = date(1899, 12, 30).toordinal()


def excel_date(day):
    return day.toordinal() - EXCEL_EPOCH


def local_date(stamp, tz=None):
    """A stored (naive UTC) timestamp as the district's calendar day."""
    if not stamp:
        return None
    return stamp.replace(tzinfo=timezone.utc).astimezone(tz or clock.tz()).date()


def cn_date(day):
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def open_workbook(out):
    """An XlsxWriter workbook on a path or binary file object, safe and in constant memory."""
    tmpdir = current_app.config.get("EXPORT_TMPDIR")
    options = {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd",
    }
    if tmpdir:
        options["tmpdir"] = tmpdir
    wb = xlsxwriter.Workbook(out, options)
    wb.set_properties({"title": "首席服务官工作平台导出", "author": _app_name(), "company": _app_name()})
    return wb


def _app_name():
    try:
        return current_app.config.get("APP_NAME", "首席服务官工作平台")
    except RuntimeError:
        return "首席服务官工作平台"


def _district():
    return current_app.config.get("CSO_DISTRICT_NAME", "") or ""


FILLS = {"red": "#FFC7CE", "yellow": "#FFEB9C", "green": "#C6EFCE"}
BODY_FONT = "宋体"
TITLE_FONT = "黑体"


class Styles:
    """The formats of one workbook: title, sub-title, header, note and per fill (None, red, yellow,
    green) a text, quoted-text, date and number format."""

    def __init__(self, wb):
        base = {"font_name": BODY_FONT, "font_size": 10, "border": 1, "valign": "vcenter", "text_wrap": True}
        self.title = wb.add_format({"font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center",
                                    "valign": "vcenter"})
        self.subtitle = wb.add_format({"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter"})
        self.subtitle_right = wb.add_format({"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter",
                                             "align": "right"})
        self.header = wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
        self.note = wb.add_format({"font_name": BODY_FONT, "font_size": 9, "text_wrap": True, "valign": "top"})
        self.section = wb.add_format({"font_name": TITLE_FONT, "font_size": 11, "bold": True, "valign": "vcenter"})
        self.pct = wb.add_format({**base, "num_format": "0.0%", "align": "center"})
        self.cells = {}
        for fill in (None, *FILLS):
            extra = {"bg_color": FILLS[fill], "pattern": 1} if fill else {}
            self.cells[fill] = (
                wb.add_format({**base, **extra}),
                wb.add_format({**base, **extra, "quote_prefix": True}),
                wb.add_format({**base, **extra, "num_format": "yyyy-mm-dd", "align": "center"}),
                wb.add_format({**base, **extra, "align": "center"}),
            )
        self.text, self.quoted, self.date, self.number = self.cells[None]


TEXT, DATE, NUMBER = 0, 1, 2


def _column_letters(n):
    letters = []
    for col in range(n):
        name, col1 = "", col + 1
        while col1:
            col1, rem = divmod(col1 - 1, 26)
            name = chr(65 + rem) + name
        letters.append(name)
    return letters


_NEEDS_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
PRESERVE = ' xml:space="preserve"'
MAX_CELL_CHARS = 32767  # Excel's limit, in UTF-16 units


def _truncate(text):
    if len(text) * 2 <= MAX_CELL_CHARS or len(text.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS:
        return text
    encoded = text.encode("utf-16-le")[:MAX_CELL_CHARS * 2]
    return encoded.decode("utf-16-le", "ignore")


def xml_cell_text(text):
    """Cell text for an inline string, escaped as XlsxWriter escapes it (XML characters, control
    characters as _xHHHH_, a literal _xHHHH_ protected) — always plain text, whatever it holds."""
    if _NEEDS_ESCAPE.search(text):
        text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class StreamingWorksheet(Worksheet):
    """An XlsxWriter worksheet (``constant_memory``) with a fast path for plain data rows.

    XlsxWriter keeps per-cell bookkeeping that costs more than the export itself at 200,000
    rows; :meth:`append_row` writes one row's cells in the very XML XlsxWriter writes for them in
    ``constant_memory`` mode (inline strings, numbers, styled blanks) in one go, after flushing
    whatever row XlsxWriter still buffers, and keeps the sheet's dimensions. Everything else
    (titles, merges, panes, widths, formats, packaging) is ordinary XlsxWriter. Rows must come in
    order and a fast row cannot also get ``set_row`` options or ordinary writes."""

    _last_fast_row = -1

    def append_row(self, row, cells_xml, last_col):
        if not self.constant_memory:
            raise RuntimeError("append_row needs constant_memory mode")
        if row <= self._last_fast_row or row < self.previous_row or (row == self.previous_row and self.table):
            raise ValueError(f"rows must be written in order (row {row})")
        self._write_single_row(row)  # flush the row XlsxWriter buffers (title, header …)
        self._check_dimensions(row, 0)
        self._check_dimensions(row, last_col)
        self._last_fast_row = row
        self.fh.write(f'<row r="{row + 1}">{cells_xml}</row>')


class TableWriter:
    """Writes rows of one sheet in order: header, then data rows (value kinds per column) through
    the fast path, then sets column widths from the header and the first rows (CJK counted as 2,
    capped). User text is always an inline *string* cell; text starting with = + - @ gets the
    quote-prefix format as well."""

    SAMPLE = 2000  # rows used for the widths

    def __init__(self, ws, styles, columns, first_row):
        self.ws, self.styles, self.columns = ws, styles, columns
        self.kinds = [kind for _, kind, _ in columns]
        self.row = first_row
        self.widths = [text_width(name) + 2 for name, _, _ in columns]
        self.sampled = 0
        self.refs = _column_letters(len(columns))
        self.last_col = len(columns) - 1
        self.header_row = first_row
        self._xf = {fill: tuple(f._get_xf_index() for f in formats) for fill, formats in styles.cells.items()}

    def header(self):
        for col, (name, _, _) in enumerate(self.columns):
            self.ws.write_string(self.row, col, name, self.styles.header)
        self.header_row = self.row
        self.row += 1

    def add(self, values, fill=None):
        xf_text, xf_quoted, xf_date, xf_number = self._xf[fill]
        number = str(self.row + 1)
        parts = []
        append = parts.append
        for kind, ref, value in zip(self.kinds, self.refs, values):
            if value is None or value == "":
                if fill is not None:
                    append(f'<c r="{ref}{number}" s="{xf_text}"/>')
            elif kind == TEXT:
                text = value if value.__class__ is str else str(value)
                if len(text) > 16383:
                    text = _truncate(text)
                xf = xf_quoted if text.startswith(FORMULA_LEAD) else xf_text
                space = PRESERVE if text[0].isspace() or text[-1].isspace() else ""
                append(f'<c r="{ref}{number}" s="{xf}" t="inlineStr"><is><t{space}>{xml_cell_text(text)}</t></is></c>')
            elif kind == DATE:
                append(f'<c r="{ref}{number}" s="{xf_date}"><v>{value.toordinal() - EXCEL_EPOCH}</v></c>')
            else:
                append(f'<c r="{ref}{number}" s="{xf_number}"><v>{value:.16G}</v></c>')
        self.ws.append_row(self.row, "".join(parts), self.last_col)
        if self.sampled < self.SAMPLE:
            self.sampled += 1
            widths, kinds = self.widths, self.kinds
            for col, value in enumerate(values):
                if value is None:
                    continue
                w = 11 if kinds[col] == DATE else text_width(value) + 2
                if w > widths[col]:
                    widths[col] = w
        self.row += 1

    def finish_widths(self):
        for col, (_, _, cap) in enumerate(self.columns):
            self.ws.set_column(col, col, min(max(self.widths[col], 6), cap))

    @property
    def count(self):
        return self.row - self.header_row - 1


def _title_rows(ws, styles, ncols, title, left, right=None):
    """Row 0: merged title; row 1: 填报单位 (left) and the date (right)."""
    last = ncols - 1
    ws.set_row(0, 32)
    ws.merge_range(0, 0, 0, last, title, styles.title)
    ws.set_row(1, 20)
    split = max(1, ncols * 2 // 3)
    if right and ncols > 2:
        ws.merge_range(1, 0, 1, split - 1, left, styles.subtitle)
        ws.merge_range(1, split, 1, last, right, styles.subtitle_right)
    else:
        ws.merge_range(1, 0, 1, last, left, styles.subtitle)


def _notes(ws, styles, row, ncols, lines):
    """The 注 footer: one merged row per line, below a blank row."""
    row += 1
    for line in lines:
        ws.set_row(row, 30 if len(line) > ncols * 6 else 18)
        ws.merge_range(row, 0, row, ncols - 1, line, styles.note)
        row += 1
    return row


def _reporting_unit(user):
    """What goes after 填报单位: the office, the department, the officer's unit, the enterprise."""
    office = current_app.config.get("CSO_OFFICE_NAME") or (_district() + "首席服务官办公室")
    roles = scope.role_names(user)
    if user is ALL_ROWS or roles & (scope.FULL_ROLES | scope.READ_ALL_ROLES):
        return office
    if "Department" in roles:
        names = db.session.scalars(select(Department.name).join(
            DepartmentUser, DepartmentUser.department_id == Department.id).where(DepartmentUser.user_id == user.id)).all()
        if names:
            return "、".join(names)
    if "Officer" in roles:
        officer = scope.officer_of(user)
        if officer is not None:
            return f"{officer.unit or ''}（{officer.name}）" if officer.unit else officer.name
    if "Enterprise" in roles:
        names = db.session.scalars(select(Enterprise.name).join(
            EnterpriseUser, EnterpriseUser.enterprise_id == Enterprise.id).where(EnterpriseUser.user_id == user.id)).all()
        if names:
            return "、".join(names)
    return office


def _chunks(stmt, size=None):
    """Stream a SELECT in lists of ``size`` rows (yield_per: a server-side cursor on PostgreSQL)."""
    size = size or CHUNK
    result = db.session.execute(stmt, execution_options={"yield_per": size})
    try:
        yield from result.partitions(size)
    finally:
        result.close()


# --- FAB list filters (_flt_<n>_<column>=value), as the model list screens send them ----------------

def _apply_fab_filters(query, model, search_columns, args):
    """Apply a ModelView's search filters from the query arguments to a SELECT (ignoring unknown
    columns and operators), so an export from a FAB list screen has the rows that list shows."""
    if not args:
        return query
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    filters = SQLAInterface(model).get_filters(list(search_columns))
    allowed = filters.get_search_filters()
    for key in list(args.keys()):
        match = re.fullmatch(r"_flt_(\d+)_(.+)", key)
        if not match or match.group(2) not in allowed:
            continue
        index, column = int(match.group(1)), match.group(2)
        if index >= len(allowed[column]):
            continue
        filters.add_filter_index(column, index, _getlist(args, key))
    return filters.apply_all(query)


def _fab_order(args, view_name, allowed, default):
    column = args.get(f"_oc_{view_name}") if args else None
    direction = args.get(f"_od_{view_name}") if args else None
    if column in allowed and direction in ("asc", "desc"):
        return column, direction
    return default


def _ids(args, key):
    value = args.get(key)
    if not value:
        return None
    items = [v.strip() for v in str(value).split(",") if v.strip()]
    if not all(v.isdigit() for v in items):
        raise ExportError(key, "应为数字编号（多个用逗号分隔）。")
    return [int(v) for v in items]


def _date_arg(args, key):
    value = args.get(key)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ExportError(key, "日期格式应为YYYY-MM-DD。") from None


# --- 1. the problem ledger -----------------------------------------------------------------------

LEDGER_COLUMNS = [  # (header, kind, widest column width)
    ("序号", NUMBER, 8), ("问题编号", TEXT, 12), ("企业名称", TEXT, 30), ("所属街道", TEXT, 12),
    ("首席服务官", TEXT, 12), ("具体分包人", TEXT, 18), ("问题来源", TEXT, 10), ("反映时间", DATE, 12),
    ("问题类别", TEXT, 14), ("问题描述", TEXT, 50), ("问题层级", TEXT, 14), ("牵头单位", TEXT, 18),
    ("配合单位", TEXT, 24), ("交办单编号", TEXT, 14), ("交办时间", DATE, 12), ("办理时限", DATE, 12),
    ("办理进展", TEXT, 36), ("办理结果", TEXT, 36), ("办结时间", DATE, 12), ("办理状态", TEXT, 10),
    ("是否超期", TEXT, 10), ("是否销号", TEXT, 10), ("回访情况", TEXT, 30), ("企业满意度", TEXT, 12),
    ("备注", TEXT, 30),
]
LEDGER_HEADERS = [name for name, _, _ in LEDGER_COLUMNS]
LEDGER_FIRST_DATA_ROW = 3  # 0 title, 1 填报单位, 2 header

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


def _ledger_lookups():
    categories = dict(db.session.execute(select(IssueCategory.id, IssueCategory.name)).all())
    departments = dict(db.session.execute(select(Department.id, Department.name)).all())
    return categories, departments


def _enterprise_info(ids, cache):
    """{enterprise id: (name, subdistrict, chiefs, liaisons)} for the ids not cached yet (bounded by the
    number of enterprises, not of rows)."""
    missing = [i for i in ids if i not in cache]
    if not missing:
        return
    for eid, name, subdistrict in db.session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.subdistrict).where(Enterprise.id.in_(missing))):
        cache[eid] = [name, subdistrict, [], []]
    rows = db.session.execute(
        select(Assignment.enterprise_id, Assignment.role, Officer.name)
        .join(Officer, Officer.id == Assignment.officer_id)
        .where(Assignment.enterprise_id.in_(missing), Assignment.end_date.is_(None), Officer.active == true())
        .order_by(Assignment.enterprise_id, Assignment.start_date, Assignment.id))
    for eid, role, name in rows:
        entry = cache.get(eid)
        if entry is not None:
            (entry[2] if role == "chief" else entry[3]).append(name)


def _latest_notes(issue_ids):
    """{(issue id, 'progress'|'confirm'): (note, at)} of the latest such event per issue."""
    latest = (select(func.max(IssueEvent.id))
              .where(IssueEvent.issue_id.in_(issue_ids), IssueEvent.action.in_(("progress", "confirm")),
                     IssueEvent.internal == false())
              .group_by(IssueEvent.issue_id, IssueEvent.action))
    rows = db.session.execute(select(IssueEvent.issue_id, IssueEvent.action, IssueEvent.note, IssueEvent.at)
                              .where(IssueEvent.id.in_(latest)))
    return {(iid, action): (note, at) for iid, action, note, at in rows}


def _co_departments(issue_ids, departments):
    found = defaultdict(list)
    rows = db.session.execute(select(issue_codepartment.c.issue_id, issue_codepartment.c.department_id)
                              .where(issue_codepartment.c.issue_id.in_(issue_ids))
                              .order_by(issue_codepartment.c.issue_id, issue_codepartment.c.department_id))
    for iid, did in rows:
        found[iid].append(departments.get(did, ""))
    return found


class LedgerSummary:
    """Counts for the 汇总 sheet, gathered while the rows are written (so they are the same rows)."""

    def __init__(self):
        self.status = Counter()
        self.tiers = Counter()
        self.by = {"category": defaultdict(Counter), "department": defaultdict(Counter),
                   "officer": defaultdict(Counter)}

    def add(self, status, tier, category, department, officer):
        self.status[status] += 1
        if tier:
            self.tiers[tier] += 1
        for name, key in (("category", category), ("department", department), ("officer", officer)):
            c = self.by[name][key]
            c["total"] += 1
            if status in ("resolved", "closed"):
                c["solved"] += 1
            elif status in OPEN_STATUSES:
                c["open"] += 1
            if status == "closed":
                c["closed"] += 1
            if status == "void":
                c["void"] += 1
            if tier in ("overdue", "serious"):
                c["overdue"] += 1

    @property
    def total(self):
        return sum(self.status.values())


def rate(solved, total, void=0):
    """解决率: solved (已办结 + 已销号) over the problems that count (all but 已作废)."""
    base = total - void
    return solved / base if base else None


def ledger_row(row, info, notes, co_names, categories, departments, tiers, tz=None):
    """(values, tier) of one ledger row, in LEDGER_COLUMNS order (序号 left None)."""
    (iid, number, eid, region, source, received_on, category_id, title, description, level, lead_id, assigned_at,
     resolve_due, due_on, resolution, resolved_at, status, satisfaction, rework, pending_due, escalation,
     unable_requested) = row
    name, subdistrict, chiefs, liaisons = info.get(eid) or ("", "", (), ())
    current = tiers(status, due_on)
    progress = notes.get((iid, "progress"))
    confirm = notes.get((iid, "confirm"))
    if confirm is not None:
        visit_back = confirm[0] or f"{local_date(confirm[1], tz).isoformat()} 已确认"
    else:
        visit_back = None
    remarks = []
    if escalation:
        remarks.append(f"已提级：{ESCALATION_LEVELS.get(escalation, escalation)}")
    if pending_due:
        remarks.append(f"申请延期至{pending_due.isoformat()}，待审批")
    if unable_requested and status in OPEN_STATUSES:
        remarks.append("已申请无法解决，待审批")
    if rework:
        remarks.append(f"企业不满意重办{rework}次")
    described = description or ""
    if title and not described.startswith(title):
        described = f"{title}：{described}" if described else title
    values = [
        None, number, name, region or subdistrict, "、".join(chiefs), "、".join(liaisons),
        ISSUE_SOURCES.get(source, source), received_on, categories.get(category_id), described,
        ISSUE_LEVELS.get(level, level), departments.get(lead_id), "、".join(co_names), None,
        local_date(assigned_at, tz), resolve_due or due_on, progress[0] if progress else None, resolution,
        local_date(resolved_at, tz), ISSUE_STATUSES.get(status, status),
        "是" if current in ("overdue", "serious") else "否", "是" if status == "closed" else "否",
        visit_back, SATISFACTION.get(satisfaction), "；".join(remarks) or None,
    ]
    return values, current


TIER_FILL = {"overdue": "red", "serious": "red", "approaching": "yellow"}


def ledger_notes(policy):
    statuses = "→".join(ISSUE_STATUSES[s] for s in ("new", "accepted", "assigned", "in_progress", "resolved", "closed"))
    return [
        f"注：1. 办理状态：{statuses}；另有{ISSUE_STATUSES['unable']}、{ISSUE_STATUSES['void']}。",
        f"2. 颜色：红色为超期（含严重超期，即超过时限{policy.serious_days}个工作日及以上），"
        f"黄色为临期（剩余不超过{policy.approaching_days}个工作日），绿色为已销号。“是否超期”按导出之日的当前时限判断。",
        f"3. 办理时限按“13710”工作法：接到问题{policy.transfer_days}个工作日内转办，转办后{policy.feedback_days}个工作日内首次反馈，"
        f"一般问题{policy.resolve_days}个工作日内办结，重大复杂问题{policy.major_months}个月内办结，未按期解决的提请会商；"
        "“0”即问题全部跟踪到销号清零。工作日按国家法定节假日和调休安排计算。",
        "4. 办理进展为最近一次反馈，回访情况为最近一次确认评价；交办单编号在交办通知单启用后填写。",
    ]


def _describe_filters(args):
    labels = {"status": "状态", "tier": "时限", "enterprise": "企业", "department": "单位", "officer": "服务官",
              "category": "类别", "region": "街道/乡镇", "source": "来源", "level": "层级", "received_from": "反映日期起",
              "received_to": "反映日期止", "q": "关键词", "open": "仅未办结"}
    parts = []
    for key in issue_list.FILTERS:
        value = args.get(key)
        if value:
            if key == "status":
                value = "、".join(ISSUE_STATUSES.get(v, v) for v in str(value).split(","))
            elif key == "tier":
                value = "、".join(issue_list.TIER_CHOICES.get(v, v) for v in str(value).split(","))
            elif key == "source":
                value = "、".join(ISSUE_SOURCES.get(v, v) for v in str(value).split(","))
            parts.append(f"{labels[key]}={value}")
    return "；".join(parts) or "全部"


def ledger_statement(user, args, today=None, limit=None):
    """The scoped, filtered SELECT of the ledger's columns, in the export's order."""
    args = _clean_args(args)
    query = issue_list.build_query(user, args, today=today)
    order = args.get("order") or "number"
    if order not in issue_list.ORDERS:
        raise issue_list.FilterError("order", f"排序应为：{'、'.join(issue_list.ORDERS)}。")
    stmt = query.with_only_columns(*_ISSUE_FIELDS).order_by(*issue_list.ORDERS[order])
    return stmt.limit(limit) if limit else stmt


def iter_ledger_rows(user, args, today=None, limit=None):
    """Yield ``(values, status, tier)`` per ledger row, values in LEDGER_COLUMNS order (序号 filled).

    Streams: the issues are read ``CHUNK`` at a time and each chunk's enterprises, officers,
    co-departments and latest progress/confirm notes come with one IN query each."""
    user = _effective_user(user)
    today = today or clock.today()
    stmt = ledger_statement(user, args, today, limit)
    categories, departments = _ledger_lookups()
    tiers = _Tiers(today, get_policy())
    tz = clock.tz()
    enterprises = {}
    n = 0
    for chunk in _chunks(stmt):
        ids = [r[0] for r in chunk]
        _enterprise_info({r[2] for r in chunk}, enterprises)
        notes = _latest_notes(ids)
        co = _co_departments(ids, departments)
        for row in chunk:
            values, current = ledger_row(row, enterprises, notes, co.get(row[0], ()), categories, departments, tiers, tz)
            n += 1
            values[0] = n
            yield values, row[16], current


def ledger_workbook(user, args, out, today=None, limit=None):
    """The problem ledger in the offices' layout (docs/domain.md#import-and-export-formats), plus a 汇总 sheet. Returns the row count.

    ``args``: the ledger list's filters (issue_list.FILTERS) and ``order`` (default: by number);
    raises ``issue_list.FilterError`` for a bad one. ``limit``: at most this many rows."""
    user = _effective_user(user)
    args = _clean_args(args)
    today = today or clock.today()
    policy = get_policy()
    rows = iter_ledger_rows(user, args, today, limit)
    first = next(rows, None)  # bad filters raise here, before a file is written

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("问题台账", worksheet_class=StreamingWorksheet)
    summary_ws = wb.add_worksheet("汇总")
    ncols = len(LEDGER_COLUMNS)
    ws.set_landscape()
    ws.set_paper(8)  # A3: 25 columns
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.freeze_panes(LEDGER_FIRST_DATA_ROW, 3)  # header rows and 序号/问题编号/企业名称 stay in view
    as_of = cn_date(today)
    title = f"{_district()}企业问题台账（截至{as_of}）"
    _title_rows(ws, styles, ncols, title, f"填报单位：{_reporting_unit(user)}", f"填报日期：{as_of}")
    ws.set_row(2, 30)
    table = TableWriter(ws, styles, LEDGER_COLUMNS, 2)
    table.header()

    summary = LedgerSummary()
    n = 0
    if first is not None:
        for values, status, current in chain((first,), rows):
            n += 1
            table.add(values, "green" if status == "closed" else TIER_FILL.get(current))
            summary.add(status, current, values[8] or "（未分类）", values[11] or "（未交办）", values[4] or "（未配备）")
    table.finish_widths()
    if n:
        ws.autofilter(2, 0, 2 + n, ncols - 1)
    _notes(ws, styles, table.row, ncols, ledger_notes(policy))
    _summary_sheet(summary_ws, styles, summary, as_of, _describe_filters(args))
    wb.close()
    return n


SUMMARY_OVERALL = ["问题总数", "已办结（含已销号）", "其中已销号", "办理中（未办结）", "无法解决", "已作废",
                   "解决率", "销号率", "超期（含严重超期）", "其中严重超期", "临期"]
SUMMARY_GROUP_HEADERS = ["问题数", "已办结", "办理中", "超期", "解决率"]


def _summary_sheet(ws, styles, s, as_of, scope_text):
    """汇总: overall figures, then counts by status, category, lead department and chief officer."""
    ncols = 6
    _title_rows(ws, styles, ncols, f"{_district()}企业问题台账汇总（截至{as_of}）",
                f"统计范围：与“问题台账”工作表相同（筛选条件：{scope_text}）")
    ws.set_column(0, 0, 28)
    ws.set_column(1, ncols - 1, 12)
    row = 3
    total, void = s.total, s.status["void"]
    solved = s.status["resolved"] + s.status["closed"]
    ws.write_string(row, 0, "一、总体情况", styles.section)
    row += 1
    ws.write_string(row, 0, "指标", styles.header)
    ws.write_string(row, 1, "数值", styles.header)
    row += 1
    overall = {
        "问题总数": total, "已办结（含已销号）": solved, "其中已销号": s.status["closed"],
        "办理中（未办结）": sum(s.status[k] for k in OPEN_STATUSES), "无法解决": s.status["unable"], "已作废": void,
        "解决率": rate(solved, total, void), "销号率": rate(s.status["closed"], total, void),
        "超期（含严重超期）": s.tiers["overdue"] + s.tiers["serious"], "其中严重超期": s.tiers["serious"],
        "临期": s.tiers["approaching"],
    }
    for label in SUMMARY_OVERALL:
        ws.write_string(row, 0, label, styles.text)
        value = overall[label]
        if label.endswith("率"):
            ws.write_number(row, 1, value, styles.pct) if value is not None else ws.write_string(row, 1, "—", styles.number)
        else:
            ws.write_number(row, 1, value, styles.number)
        row += 1

    row += 1
    ws.write_string(row, 0, "二、按办理状态", styles.section)
    row += 1
    ws.write_string(row, 0, "办理状态", styles.header)
    ws.write_string(row, 1, "问题数", styles.header)
    row += 1
    for key, label in ISSUE_STATUSES.items():
        ws.write_string(row, 0, label, styles.text)
        ws.write_number(row, 1, s.status[key], styles.number)
        row += 1
    ws.write_string(row, 0, "合计", styles.header)
    ws.write_number(row, 1, total, styles.number)
    row += 2

    for title, key, first in (("三、按问题类别", "category", "问题类别"), ("四、按牵头单位", "department", "牵头单位"),
                              ("五、按首席服务官", "officer", "首席服务官")):
        ws.write_string(row, 0, title, styles.section)
        row += 1
        for col, name in enumerate([first, *SUMMARY_GROUP_HEADERS]):
            ws.write_string(row, col, name, styles.header)
        row += 1
        groups = s.by[key]
        for name in sorted(groups, key=lambda k: (-groups[k]["total"], k)):
            c = groups[name]
            write_text(ws, row, 0, name, styles.text, styles.quoted)
            for col, field in enumerate(("total", "solved", "open", "overdue"), start=1):
                ws.write_number(row, col, c[field], styles.number)
            value = rate(c["solved"], c["total"], c["void"])
            ws.write_number(row, 5, value, styles.pct) if value is not None else ws.write_string(row, 5, "—", styles.number)
            row += 1
        row += 1
    _notes(ws, styles, row - 1, ncols, [
        "注：解决率 =（已办结 + 已销号）÷（问题总数 − 已作废）；销号率 = 已销号 ÷（问题总数 − 已作废）。",
        "超期、临期按导出之日未办结问题的当前时限计算；按首席服务官统计的是企业当前在岗的首席服务官。",
    ])


# --- 2. the assignment table (首席服务官及具体分包人情况表) -----------------------------------------

ASSIGNMENT_COLUMNS = [
    ("序号", NUMBER, 8), ("企业名称", TEXT, 40), ("统一社会信用代码", TEXT, 22), ("所属街道", TEXT, 14),
    ("行业", TEXT, 14), ("首席服务官", TEXT, 14), ("首席服务官职务", TEXT, 24), ("首席服务官电话", TEXT, 16),
    ("具体分包人", TEXT, 20), ("具体分包人职务", TEXT, 24), ("具体分包人电话", TEXT, 28),
]
ASSIGNMENT_HEADERS = [name for name, _, _ in ASSIGNMENT_COLUMNS]
ENTERPRISE_SEARCH = ("name", "credit_code", "subdistrict", "industry", "category")


def assignments_workbook(user, out, args=None, today=None):
    """One row per enterprise with active assignments: its chief officer(s) and liaisons (several
    joined with '、' in order, their titles and phones likewise), under a merged title row and a
    single header row — the shape app/roster_import.py reads back with no change.

    ``args`` (optional): ``enterprise``/``officer`` ids, ``region``, and the enterprise list's
    FAB filters (``_flt_<n>_name`` …)."""
    user = _effective_user(user)
    raw = args or {}
    args = _clean_args(raw)
    today = today or clock.today()
    first_chief = (select(func.min(Assignment.officer_id))
                   .where(Assignment.enterprise_id == Enterprise.id, Assignment.role == "chief",
                          Assignment.end_date.is_(None)).correlate(Enterprise).scalar_subquery())
    serving = scope.restrict(Assignment, select(Assignment.enterprise_id).where(Assignment.end_date.is_(None)), user)
    query = scope.restrict(Enterprise, select(
        Enterprise.id, Enterprise.name, Enterprise.credit_code, Enterprise.subdistrict, Enterprise.industry), user)
    query = query.where(Enterprise.id.in_(serving))
    if (ids := _ids(args, "enterprise")) is not None:
        query = query.where(Enterprise.id.in_(ids))
    if (ids := _ids(args, "officer")) is not None:
        query = query.where(Enterprise.id.in_(select(Assignment.enterprise_id).where(
            Assignment.officer_id.in_(ids), Assignment.end_date.is_(None))))
    if args.get("region"):
        query = query.where(Enterprise.subdistrict.in_([v.strip() for v in str(args["region"]).split(",") if v.strip()]))
    query = _apply_fab_filters(query, Enterprise, ENTERPRISE_SEARCH, raw)
    stmt = query.order_by(first_chief.asc().nulls_last(), Enterprise.id)

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("包联情况表", worksheet_class=StreamingWorksheet)
    ncols = len(ASSIGNMENT_COLUMNS)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_row(0, 32)
    ws.merge_range(0, 0, 0, ncols - 1, f"{_district()}重点企业首席服务官及具体分包人情况表", styles.title)
    ws.freeze_panes(2, 2)
    ws.repeat_rows(1)
    ws.set_row(1, 24)
    table = TableWriter(ws, styles, ASSIGNMENT_COLUMNS, 1)
    table.header()
    n = 0
    for chunk in _chunks(stmt):
        ids = [r[0] for r in chunk]
        people = defaultdict(lambda: ([], []))
        rows = db.session.execute(scope.restrict(Assignment, select(
            Assignment.enterprise_id, Assignment.role, Officer.name, Officer.title, Officer.phone)
            .join(Officer, Officer.id == Assignment.officer_id)
            .where(Assignment.enterprise_id.in_(ids), Assignment.end_date.is_(None)), user)
            .order_by(Assignment.enterprise_id, Assignment.start_date, Assignment.id))
        for eid, role, name, title, phone in rows:
            people[eid][0 if role == "chief" else 1].append((name, title, phone))
        for eid, name, code, subdistrict, industry in chunk:
            chiefs, liaisons = people[eid]
            join = _join_people
            n += 1
            table.add([n, name, code, subdistrict, industry,
                       join(chiefs, 0), join(chiefs, 1), join(chiefs, 2),
                       join(liaisons, 0), join(liaisons, 1), join(liaisons, 2)])
    table.finish_widths()
    wb.close()
    return n


def _join_people(items, index):
    """Names, titles or phones of several people in one cell, '、'-joined in the same order (a
    missing title or phone keeps its place, so the n-th phone is the n-th person's)."""
    parts = [p[index] or "" for p in items]
    return "、".join(parts) if any(parts) else None


# --- 3. visits ---------------------------------------------------------------------------------------

VISIT_COLUMNS = [
    ("序号", NUMBER, 8), ("走访日期", DATE, 12), ("企业名称", TEXT, 36), ("所属街道", TEXT, 12), ("服务官", TEXT, 12),
    ("工作单位", TEXT, 18), ("走访方式", TEXT, 10), ("服务内容", TEXT, 30), ("走访情况", TEXT, 60),
    ("录入时间", TEXT, 18),
]
VISIT_SEARCH = ("visit_date", "mode", "topics", "summary")
VISIT_ORDER = {"visit_date": Visit.visit_date, "mode": Visit.mode}


def visits_workbook(user, args, out, today=None):
    """Visits, newest first (as the list shows them), with the list's filters: ``enterprise``,
    ``officer`` (ids), ``date_from``/``date_to``, ``mode``, and the visit list's FAB filters."""
    user = _effective_user(user)
    raw = args or {}
    args = _clean_args(raw)
    today = today or clock.today()
    query = scope.restrict(Visit, select(
        Visit.id, Visit.visit_date, Enterprise.name, Enterprise.subdistrict, Officer.name, Officer.unit, Visit.mode,
        Visit.topics, Visit.summary, Visit.created_at)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .join(Officer, Officer.id == Visit.officer_id), user)
    if (ids := _ids(args, "enterprise")) is not None:
        query = query.where(Visit.enterprise_id.in_(ids))
    if (ids := _ids(args, "officer")) is not None:
        query = query.where(Visit.officer_id.in_(ids))
    if (start := _date_arg(args, "date_from")) is not None:
        query = query.where(Visit.visit_date >= start)
    if (end := _date_arg(args, "date_to")) is not None:
        query = query.where(Visit.visit_date <= end)
    if args.get("mode"):
        modes = [m.strip() for m in str(args["mode"]).split(",") if m.strip()]
        if any(m not in VISIT_MODES for m in modes):
            raise ExportError("mode", f"走访方式应为：{'、'.join(VISIT_MODES)}。")
        query = query.where(Visit.mode.in_(modes))
    query = _apply_fab_filters(query, Visit, VISIT_SEARCH, raw)
    column, direction = _fab_order(raw, "VisitView", VISIT_ORDER, ("visit_date", "desc"))
    order = VISIT_ORDER[column]
    stmt = query.order_by(order.desc() if direction == "desc" else order.asc(),
                          Visit.id.desc() if direction == "desc" else Visit.id.asc())

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("走访记录", worksheet_class=StreamingWorksheet)
    ncols = len(VISIT_COLUMNS)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.freeze_panes(3, 3)
    as_of = cn_date(today)
    _title_rows(ws, styles, ncols, f"{_district()}首席服务官走访记录（截至{as_of}）",
                f"填报单位：{_reporting_unit(user)}", f"导出日期：{as_of}")
    table = TableWriter(ws, styles, VISIT_COLUMNS, 2)
    table.header()
    n = 0
    for chunk in _chunks(stmt):
        for _, day, ent, subdistrict, officer, unit, mode, topics, summary, created in chunk:
            n += 1
            stamp = clock.local(created).strftime("%Y-%m-%d %H:%M") if created else None
            table.add([n, day, ent, subdistrict, officer, unit, VISIT_MODES.get(mode, mode), topics, summary, stamp])
    table.finish_widths()
    _notes(ws, styles, table.row, ncols, [
        "注：按《首席服务官制度》要求，首席服务官及具体分包人每周至少深入包联企业一次；本表按走访日期倒序排列。"])
    wb.close()
    return n


# --- 4. the officers' monthly work ledger --------------------------------------------------------------

OFFICER_COLUMNS = [
    ("序号", NUMBER, 8), ("月份", TEXT, 10), ("姓名", TEXT, 10), ("工作单位", TEXT, 18), ("职务", TEXT, 14),
    ("包联角色", TEXT, 18), ("包联企业数", NUMBER, 10), ("包联企业", TEXT, 50), ("走访次数", NUMBER, 10),
    ("走访企业数", NUMBER, 10), ("当月未走访企业", TEXT, 40), ("收集问题数", NUMBER, 10), ("办结问题数", NUMBER, 10),
]
OFFICER_SEARCH = ("name", "unit", "title", "rank", "phone", "active")
MAX_MONTHS = 36


def _month(value, key):
    try:
        year, month = str(value).split("-")[:2]
        return date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise ExportError(key, "月份格式应为YYYY-MM。") from None


def _next_month(day):
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _utc_start(day):
    """Local midnight of ``day`` as naive UTC (how timestamps are stored)."""
    return datetime.combine(day, time(0), tzinfo=clock.tz()).astimezone(timezone.utc).replace(tzinfo=None)


def officer_ledger_workbook(user, args, out, today=None):
    """Per officer and month: enterprises served, visits, enterprises not visited, problems
    collected and resolved. ``args``: ``month_from``/``month_to`` (YYYY-MM, default the last six
    months), ``officer`` ids, and the officer list's FAB filters."""
    user = _effective_user(user)
    raw = args or {}
    args = _clean_args(raw)
    today = today or clock.today()
    last = _month(args["month_to"], "month_to") if args.get("month_to") else today.replace(day=1)
    if args.get("month_from"):
        first = _month(args["month_from"], "month_from")
    else:
        first = last
        for _ in range(5):
            first = (first - timedelta(days=1)).replace(day=1)
    if first > last:
        raise ExportError("month_from", "起始月份不能晚于截止月份。")
    months = [first]
    while months[-1] < last:
        months.append(_next_month(months[-1]))
        if len(months) > MAX_MONTHS:
            raise ExportError("month_from", f"一次最多导出{MAX_MONTHS}个月。")
    start, end = first, _next_month(last)  # [start, end)

    query = scope.restrict(Officer, select(Officer.id, Officer.name, Officer.unit, Officer.title), user)
    if (ids := _ids(args, "officer")) is not None:
        query = query.where(Officer.id.in_(ids))
    query = _apply_fab_filters(query, Officer, OFFICER_SEARCH, raw)
    stmt = query.order_by(Officer.active.desc(), case((Officer.rank == "县级", 0), else_=1), Officer.id)

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("服务官工作台账", worksheet_class=StreamingWorksheet)
    ncols = len(OFFICER_COLUMNS)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.freeze_panes(3, 3)
    as_of = cn_date(today)
    period = f"{first.year}年{first.month}月" + (f"至{last.year}年{last.month}月" if last != first else "")
    _title_rows(ws, styles, ncols, f"{_district()}首席服务官工作台账（{period}）",
                f"填报单位：{_reporting_unit(user)}", f"导出日期：{as_of}")
    table = TableWriter(ws, styles, OFFICER_COLUMNS, 2)
    table.header()
    n = 0
    for chunk in _chunks(stmt, 200):
        ids = [r[0] for r in chunk]
        served = defaultdict(list)  # officer → [(enterprise id, name, role, start, end)]
        for oid, eid, name, role, a_start, a_end in db.session.execute(scope.restrict(Assignment, select(
                Assignment.officer_id, Assignment.enterprise_id, Enterprise.name, Assignment.role,
                Assignment.start_date, Assignment.end_date)
                .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
                .where(Assignment.officer_id.in_(ids), Assignment.start_date < end,
                       or_(Assignment.end_date.is_(None), Assignment.end_date >= start)), user)
                .order_by(Assignment.officer_id, Assignment.role, Enterprise.name)):
            served[oid].append((eid, name, role, a_start, a_end))
        visits = Counter()
        visited = defaultdict(set)
        visit_rows = scope.restrict(Visit, select(Visit.officer_id, Visit.enterprise_id, Visit.visit_date).where(
            Visit.officer_id.in_(ids), Visit.visit_date >= start, Visit.visit_date < end), user)
        for part in _chunks(visit_rows, 5000):
            for oid, eid, day in part:
                key = (oid, day.year, day.month)
                visits[key] += 1
                visited[key].add(eid)
        collected, resolved = Counter(), Counter()
        issues = scope.restrict(Issue, select(Issue.officer_id, Issue.received_on, Issue.resolved_at).where(
            Issue.officer_id.in_(ids), or_(and_(Issue.received_on >= start, Issue.received_on < end),
                                           and_(Issue.resolved_at >= _utc_start(start),
                                                Issue.resolved_at < _utc_start(end)))), user)
        for part in _chunks(issues, 5000):
            for oid, received, resolved_at in part:
                if start <= received < end:
                    collected[(oid, received.year, received.month)] += 1
                if resolved_at is not None:
                    day = local_date(resolved_at)
                    if start <= day < end:
                        resolved[(oid, day.year, day.month)] += 1
        for oid, name, unit, title in chunk:
            for month in months:
                month_end = _next_month(month) - timedelta(days=1)
                active = [(eid, ename, role) for eid, ename, role, a_start, a_end in served[oid]
                          if a_start <= month_end and (a_end is None or a_end >= month)]
                key = (oid, month.year, month.month)
                seen = visited.get(key, set())
                roles = sorted({role for _, _, role in active}, key=["chief", "liaison"].index)
                names = sorted({(ename, eid) for eid, ename, _ in active})
                n += 1
                table.add([
                    n, f"{month.year}-{month.month:02d}", name, unit, title,
                    "、".join(ASSIGNMENT_ROLES[r] for r in roles) or None, len(names),
                    "、".join(e for e, _ in names) or None, visits[key], len(seen),
                    "、".join(e for e, i in names if i not in seen) or None, collected[key], resolved[key],
                ])
    table.finish_widths()
    _notes(ws, styles, table.row, ncols, [
        "注：1. 包联企业为当月在岗的包联关系；走访次数、走访企业数按走访日期统计，当月未走访企业为当月包联而未走访的企业。",
        "2. 收集问题数按问题的反映时间统计，办结问题数按办结时间统计，均为该服务官跟进的问题。",
        "3. 首席服务官应于每月5日前报送上月工作台账。",
    ])
    wb.close()
    return n


# --- names ---------------------------------------------------------------------------------------------

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


def export(kind, user, args, out, today=None):
    """Dispatch by kind (ledger | assignments | visits | officers); returns the row count."""
    if kind == "ledger":
        return ledger_workbook(user, args, out, today=today)
    if kind == "assignments":
        return assignments_workbook(user, out, args=args, today=today)
    if kind == "visits":
        return visits_workbook(user, args, out, today=today)
    if kind == "officers":
        return officer_ledger_workbook(user, args, out, today=today)
    raise ExportError("kind", f"导出类型应为：{'、'.join(KINDS)}。")
