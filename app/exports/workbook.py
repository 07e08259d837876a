"""Writing .xlsx safely: the one place that knows XlsxWriter's traps.

Every workbook the platform writes (the exports here, bulletins, the roster's one-time credentials
sheet) should come from :func:`open_workbook` and put user text in cells with :func:`write_cell`
(or :func:`write_text`); long sheets use :class:`TableWriter`, the streaming fast path.

Safety, whatever a user typed:

* the workbook runs with ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers``
  off (``SAFE_OPTIONS``), and text is always written as a *string* cell: "=1+1" stays text;
* text starting with = + - @ (``FORMULA_LEAD``) also gets Excel's quote prefix when a quoted
  format is given (:func:`text_formats` makes the pair), so editing the cell later keeps it text;
* XlsxWriter copies a string of the form ``<r>…</r>`` into the sheet or shared-string XML
  *unescaped* (its marker for pre-built rich text): such text could close the cell's ``<si>`` and
  open new ones (``…</r></si><si><r>…``), shifting every later shared string. :func:`neutral_text`
  adds a zero-width space at the end, which makes it plain (escaped) text;
* control characters become Excel's ``_xHHHH_`` escapes and a literal ``_xHHHH_`` in the text is
  protected (``_x005F_xHHHH_``), so the cell reads back exactly as typed; lone surrogates (which
  UTF-8 cannot hold) become U+FFFD; text is cut at Excel's 32,767 characters.

Also here: the RFC 5987 ``Content-Disposition`` for Chinese file names, column letters, display
widths (CJK counted twice), the office layout's styles, the title rows and the 注 footer.
"""
import contextvars
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from urllib.parse import quote

import xlsxwriter
from flask import current_app, has_app_context
from xlsxwriter.worksheet import Worksheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAFE_OPTIONS = {
    "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    "default_date_format": "yyyy-mm-dd",
}
APP_NAME = "首席服务官工作平台"
FORMULA_LEAD = ("=", "+", "-", "@")
MAX_CELL_CHARS = 32767  # Excel's limit, in UTF-16 units
EXCEL_EPOCH = date(1899, 12, 30).toordinal()


def _config(key, default=None):
    return current_app.config.get(key, default) if has_app_context() else default


def open_workbook(out, streaming=True, title=None):
    """An XlsxWriter workbook on a path or binary file object, with ``SAFE_OPTIONS``.

    ``streaming=True``: ``constant_memory`` (rows must be written in order; flushed to a temp file
    in ``EXPORT_TMPDIR`` as they are done) — for exports of any size. ``streaming=False``:
    ``in_memory`` — for small sheets written in any order (bulletins, credentials)."""
    options = dict(SAFE_OPTIONS)
    if streaming:
        options["constant_memory"] = True
        if tmpdir := _config("EXPORT_TMPDIR"):
            options["tmpdir"] = tmpdir
    else:
        options["in_memory"] = True
    wb = PrintableWorkbook(out, options)
    name = _config("APP_NAME", APP_NAME) or APP_NAME
    wb.set_properties({"title": title or f"{APP_NAME}导出", "author": name, "company": name})
    return wb


def text_formats(wb, properties=None):
    """``(plain, quoted)``: a cell format and its twin with Excel's quote prefix, for write_cell."""
    properties = dict(properties or {})
    return wb.add_format(properties), wb.add_format({**properties, "quote_prefix": True})


# --- safe cells ---------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def neutral_text(value):
    """``(text, needs_quote_prefix)``: text XlsxWriter will write as plain, escaped text.

    ``<r>…</r>`` (XlsxWriter's raw rich-text marker, see the module's notes) gets a zero-width
    space at the end; text that Excel could read as a formula is flagged for the quote prefix."""
    if value.startswith("<r>") and value.endswith("</r>"):
        value += "\u200b"
    if not value.isascii() and _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return value, value.startswith(FORMULA_LEAD)


def write_text(ws, row, col, value, cell_format=None, quoted_format=None):
    """Write user text as a string cell — never a formula, URL, number or raw XML.

    ``quoted_format`` (the same format with ``quote_prefix``, see :func:`text_formats`) is used
    for text starting with = + - @. None writes a (formatted) blank cell."""
    if value is None:
        return ws.write_blank(row, col, None, cell_format)
    if not isinstance(value, str):
        value = str(value)
    if value:
        value, quoted = neutral_text(value)
        if quoted and quoted_format is not None:
            cell_format = quoted_format
    return ws.write_string(row, col, value, cell_format)


def write_cell(ws, row, col, value, cell_format=None, quoted_format=None, date_format=None):
    """Write any value safely: int/float (not bool) as a number; date/datetime as an Excel date
    with ``date_format`` (a format with a ``num_format`` such as yyyy-mm-dd), or, without one, as
    the text ``YYYY-MM-DD`` (``YYYY-MM-DD HH:MM``); None as a blank; everything else as text
    through :func:`write_text`."""
    if value is None:
        return ws.write_blank(row, col, None, cell_format)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ws.write_number(row, col, value, cell_format)
    if isinstance(value, (date, datetime)):
        if date_format is not None:
            return ws.write_datetime(row, col, value, date_format)
        value = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value.isoformat()
    return write_text(ws, row, col, value, cell_format, quoted_format)


_NEEDS_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f&<>\ufffe\uffff\ud800-\udfff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")


def xml_cell_text(text):
    """Cell text for an inline string, escaped as XlsxWriter escapes it (XML characters, control
    characters as _xHHHH_, a literal _xHHHH_ protected) — always plain text, whatever it holds."""
    if _NEEDS_ESCAPE.search(text):
        text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = _SURROGATE.sub("\ufffd", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def truncate(text):
    """Text cut to Excel's cell limit (32,767 UTF-16 units)."""
    if len(text) * 2 <= MAX_CELL_CHARS or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= MAX_CELL_CHARS:
        return text
    encoded = text.encode("utf-16-le", "surrogatepass")[:MAX_CELL_CHARS * 2]
    return encoded.decode("utf-16-le", "ignore")


# --- names, widths, dates -------------------------------------------------------------------------

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


def column_letter(col):
    """Excel's letters for a 0-based column: 0 → A, 25 → Z, 26 → AA."""
    name, col1 = "", col + 1
    while col1:
        col1, rem = divmod(col1 - 1, 26)
        name = chr(65 + rem) + name
    return name


def column_letters(n):
    return [column_letter(col) for col in range(n)]


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


def excel_date(day):
    return day.toordinal() - EXCEL_EPOCH


def cn_date(day):
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


# --- styles and layout -------------------------------------------------------------------------------

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


# --- printing ----------------------------------------------------------------------------------------
#
# Every sheet prints landscape, one page wide (as many pages tall as it takes), its header rows
# repeated on each page, narrow margins, centred, "第 n 页，共 N 页" in the footer. The paper is A4
# unless the columns are so wide that A4 would shrink the text below ``MIN_A4_SCALE`` — then A3
# (``paper=None``, decided when the workbook is closed from the final column widths). Wrapped text
# gets row heights from its length (:class:`TableWriter`, :func:`notes`): LibreOffice and Excel do
# not grow a row for wrapped text written by a program, so without them lines print over each other.

A4, A3 = 9, 8
MARGIN_IN = 0.4  # left/right margins (inches)
MM_PER_UNIT = 1.9  # one Excel column-width unit printed at 100 % (7 px at 96 dpi, plus the cell padding)
PRINTABLE_MM = {A4: 297 - 2 * MARGIN_IN * 25.4, A3: 420 - 2 * MARGIN_IN * 25.4}  # landscape widths
MIN_A4_SCALE = 0.75  # below this on A4, use A3
LINE_PT = {9: 12.0, 10: 13.5, 11: 14.5}  # row height per line of text, by font size (宋体)
MAX_ROW_PT = 409  # Excel's largest row height
FOOTER = "&C第 &P 页，共 &N 页"


def column_units(ws, col):
    """A column's width in Excel's character units (XlsxWriter 3.3 keeps pixels: 7 per unit + 5)."""
    info = ws.col_info.get(col)
    if info is None or info.width is None:
        return 8.43
    px = info.width
    return (px - 5) / 7 if px >= 12 else px / 12


def sheet_width(ws, first=0, last=None):
    """The sheet's column widths added up (Excel units; unset columns count 8.43)."""
    if last is None:
        used = [c for c in (ws.dim_colmax, max(ws.col_info, default=None)) if c is not None]
        if not used:
            return 0
        last = max(used)
    return sum(column_units(ws, col) for col in range(first, last + 1))


def fit_scale(width_units, paper):
    """The print scale that puts ``width_units`` on one landscape page width of ``paper`` (≤ 1)."""
    if width_units <= 0:
        return 1.0
    return min(1.0, PRINTABLE_MM[paper] / (width_units * MM_PER_UNIT))


def paper_for(width_units):
    """A4 landscape unless the text would print below ``MIN_A4_SCALE`` of its size there; then A3."""
    return A4 if fit_scale(width_units, A4) >= MIN_A4_SCALE else A3


def setup_sheet(ws, paper=None, repeat_rows=None, freeze=None):
    """Print setup of a report sheet: landscape, ``paper`` (9 A4, 8 A3; None: chosen by the final
    width when the workbook closes), one page wide, the header rows repeated on every page, narrow
    margins, centred, page numbers in the footer; panes frozen at ``freeze`` (row, col)."""
    ws.set_landscape()
    ws.set_paper(paper or A4)
    ws.cso_auto_paper = paper is None
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=MARGIN_IN, right=MARGIN_IN, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer(FOOTER, {"margin": 0.25})
    if repeat_rows is not None:
        ws.repeat_rows(repeat_rows)
    if freeze is not None:
        ws.freeze_panes(*freeze)


def lines_needed(text, width_units, font_size=10):
    """How many lines ``text`` wraps to in a column ``width_units`` wide at ``font_size`` points:
    a column holds 7 px per unit (+1), a CJK character is as wide as its font size (96 dpi) and a
    Latin one half of it; 8 % is kept in hand for word breaks. Never fewer lines than it takes."""
    if text is None or text == "":
        return 1
    if not isinstance(text, str):
        text = str(text)
    half = font_size * 96 / 72 / 2  # px of one half-width character
    usable = max(1.0, (7 * width_units + 1) / half * 0.92)
    total = 0
    for line in text.split("\n"):
        total += max(1, -(-text_width(line) // int(usable)))
    return total


def row_height(lines, font_size=10):
    """Points for ``lines`` lines of text of ``font_size`` (None for one line: the default height)."""
    if lines <= 1:
        return None
    return min(MAX_ROW_PT, round(lines * LINE_PT.get(font_size, font_size * 1.35) + 3, 1))


class PrintableWorkbook(xlsxwriter.Workbook):
    """An XlsxWriter workbook that settles the paper of sheets set up with ``paper=None`` from
    their final column widths when it is closed."""

    def close(self):
        for ws in self.worksheets():
            if not ws.constant_memory and ws.table:
                fit_row_heights(ws)
            if getattr(ws, "cso_auto_paper", False):
                ws.set_paper(paper_for(sheet_width(ws)))
        return super().close()


def fit_row_heights(ws):
    """In-memory sheets (bulletins, registers, the dashboard's tables): every row without a height
    of its own that holds wrapped text gets the height its longest wrapped cell needs (merged cells
    excepted: :func:`notes` and the title rows set theirs)."""
    table = getattr(ws.str_table, "string_table", None) or {}
    texts = {index: text for text, index in table.items()}
    for row, cells in ws.table.items():
        info = ws.row_info.get(row)
        if info is not None and info.height is not None:
            continue
        lines, font = 1, 10
        for col, cell in cells.items():
            fmt = getattr(cell, "format", None)
            if fmt is None or not fmt.text_wrap or (row, col) in ws.merged_cells or type(cell).__name__ != "String":
                continue
            text = texts.get(cell.string)
            if not text:
                continue
            n = lines_needed(text, column_units(ws, col))
            if n > lines:
                lines, font = n, max(font, int(fmt.font_size or 10))
        if lines > 1:
            ws.set_row(row, row_height(lines, font), info.row_format if info is not None else None)


def title_rows(ws, styles, ncols, title, left, right=None):
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


def notes(ws, styles, row, ncols, lines):
    """The 注 footer: one merged row per line, below a blank row, each as tall as its text needs
    across the merged columns (call it after the column widths are set); returns the next free row."""
    row += 1
    width = sheet_width(ws, 0, ncols - 1) if ws.col_info else ncols * 8.43
    for line in lines:
        ws.set_row(row, max(18, row_height(lines_needed(line, width * 0.95), 9) or 0))
        ws.merge_range(row, 0, row, ncols - 1, line, styles.note)
        row += 1
    return row


# --- the streaming fast path ------------------------------------------------------------------------

TEXT, DATE, NUMBER = 0, 1, 2
PRESERVE = ' xml:space="preserve"'


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, the row field it shows, the value kind (TEXT, DATE,
    NUMBER) and the widest it may grow."""

    header: str
    key: str
    kind: int = TEXT
    width: int = 12


# rows-done counter of a background job (app/jobs): set around an export, TableWriter ticks it per row
PROGRESS = contextvars.ContextVar("cso_export_progress", default=None)


def headers(columns):
    return [c.header for c in columns]


class StreamingWorksheet(Worksheet):
    """An XlsxWriter worksheet (``constant_memory``) with a fast path for plain data rows.

    XlsxWriter keeps per-cell bookkeeping that costs more than the export itself at 200,000
    rows; :meth:`append_row` writes one row's cells in the very XML XlsxWriter writes for them in
    ``constant_memory`` mode (inline strings, numbers, styled blanks) in one go, after flushing
    whatever row XlsxWriter still buffers, and keeps the sheet's dimensions. Everything else
    (titles, merges, panes, widths, formats, packaging) is ordinary XlsxWriter. Rows must come in
    order and a fast row cannot also get ``set_row`` options or ordinary writes."""

    _last_fast_row = -1

    def append_row(self, row, cells_xml, last_col, height=None):
        if not self.constant_memory:
            raise RuntimeError("append_row needs constant_memory mode")
        if row <= self._last_fast_row or row < self.previous_row or (row == self.previous_row and self.table):
            raise ValueError(f"rows must be written in order (row {row})")
        self._write_single_row(row)  # flush the row XlsxWriter buffers (title, header …)
        self._check_dimensions(row, 0)
        self._check_dimensions(row, last_col)
        self._last_fast_row = row
        if height:
            self.fh.write(f'<row r="{row + 1}" ht="{height:g}" customHeight="1">{cells_xml}</row>')
        else:
            self.fh.write(f'<row r="{row + 1}">{cells_xml}</row>')


class TableWriter:
    """Writes the rows of one sheet in order: the header, then named rows (any object with the
    columns' keys as attributes, e.g. a dataclass) through the fast path, then the column widths
    from the header and the first rows (CJK counted as 2, capped). Text is always an inline
    *string* cell, escaped like :func:`xml_cell_text`; text starting with = + - @ gets the
    quote-prefix format as well; ``<r>…</r>`` is plain text here (inline strings are escaped).

    Row heights: a row whose text wraps (longer than its column's cap ``Column.width``) gets the
    height of its most wrapped cell (:func:`lines_needed`, :func:`row_height`), and a column that
    holds such text is as wide as its cap, so the estimate and the printed lines agree."""

    SAMPLE = 2000  # rows used for the widths

    def __init__(self, ws, styles, columns, first_row):
        self.ws, self.styles, self.columns = ws, styles, columns
        self.kinds = [c.kind for c in columns]
        keys = [c.key for c in columns]
        getter = attrgetter(*keys)
        self._values = getter if len(keys) > 1 else (lambda item: (getter(item),))
        self.row = first_row
        self.widths = [text_width(c.header) + 2 for c in columns]
        self.caps = [c.width for c in columns]
        self.longest = [0] * len(columns)  # the widest text estimate seen per column (all rows)
        self.sampled = 0
        self.refs = column_letters(len(columns))
        self.last_col = len(columns) - 1
        self.header_row = first_row
        self._xf = {fill: tuple(f._get_xf_index() for f in formats) for fill, formats in styles.cells.items()}
        self._tick = PROGRESS.get()

    def header(self):
        for col, column in enumerate(self.columns):
            self.ws.write_string(self.row, col, column.header, self.styles.header)
        self.header_row = self.row
        self.row += 1

    def add(self, item, fill=None):
        """One data row from a named row; ``fill``: None, "red", "yellow" or "green"."""
        self.add_values(self._values(item), fill)

    def add_values(self, values, fill=None):
        """One data row from values in column order (the fast path itself)."""
        xf_text, xf_quoted, xf_date, xf_number = self._xf[fill]
        number = str(self.row + 1)
        parts = []
        append = parts.append
        lines = 1
        longest, caps = self.longest, self.caps
        for col, (kind, ref, value) in enumerate(zip(self.kinds, self.refs, values)):
            if value is None or value == "":
                if fill is not None:
                    append(f'<c r="{ref}{number}" s="{xf_text}"/>')
            elif kind == TEXT:
                text = value if value.__class__ is str else str(value)
                if len(text) > 16383:
                    text = truncate(text)
                xf = xf_quoted if text.startswith(FORMULA_LEAD) else xf_text
                est = len(text) if text.isascii() else 2 * len(text)
                if est > longest[col]:
                    longest[col] = est
                if est > caps[col] - 2 or "\n" in text:
                    n = lines_needed(text, caps[col])
                    if n > lines:
                        lines = n
                space = PRESERVE if text[0].isspace() or text[-1].isspace() else ""
                append(f'<c r="{ref}{number}" s="{xf}" t="inlineStr"><is><t{space}>{xml_cell_text(text)}</t></is></c>')
            elif kind == DATE:
                append(f'<c r="{ref}{number}" s="{xf_date}"><v>{value.toordinal() - EXCEL_EPOCH}</v></c>')
            else:
                append(f'<c r="{ref}{number}" s="{xf_number}"><v>{value:.16G}</v></c>')
        self.ws.append_row(self.row, "".join(parts), self.last_col, row_height(lines) if lines > 1 else None)
        if self.sampled < self.SAMPLE:
            self._sample(values)
        self.row += 1
        if self._tick is not None:
            self._tick()

    def _sample(self, values):
        self.sampled += 1
        widths, kinds = self.widths, self.kinds
        for col, value in enumerate(values):
            if value is None:
                continue
            w = 11 if kinds[col] == DATE else text_width(value) + 2
            if w > widths[col]:
                widths[col] = w

    def finish_widths(self):
        """Widths from the header and the sampled rows, at least as wide as any text seen (so a
        row estimated as one line is one line), at most the column's cap."""
        for col, column in enumerate(self.columns):
            wanted = max(self.widths[col], self.longest[col] + 2 if self.kinds[col] == TEXT else 0, 6)
            self.ws.set_column(col, col, min(wanted, column.width))

    @property
    def count(self):
        return self.row - self.header_row - 1
