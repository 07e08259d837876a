"""Files → tables: ``.xlsx``/``.xls``/``.ods`` through python-calamine, ``.csv`` in UTF-8 (with or
without BOM), UTF-16 or GBK/GB18030, detected from the bytes; merged ranges written into every
cell they cover.

Why python-calamine: it reads .xlsx, .xls and .ods with one API, in Rust (a 1,000-row roster
parses in milliseconds), exposes the real ``merged_cell_ranges`` of .xlsx and .xls sheets
(openpyxl does for .xlsx only and xlrd no longer reads .xlsx), returns phone numbers as numbers
(so we format them as digits ourselves, never via Excel's display) and raises on
password-protected workbooks.
"""
import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from time import monotonic as time_now

from .report import FileProblem

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
EXCEL_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_EXTS = (".csv", ".txt", ".tsv")


@dataclass
class Table:
    rows: list
    merges: list
    kind: str
    sheet: str = None
    origin: dict = field(default_factory=dict)  # (r, c) → (r0, c0) of the merged range it came from


def cell_text(value):
    """A cell as text: numbers as plain digits (13912345678.0 → "13912345678", never 1.39E+10)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time(0) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_tables(data, filename, max_rows):
    """The worksheets of the file as :class:`Table` s (first visible sheet first), or FileProblem."""
    if not data:
        raise FileProblem("文件为空（0字节），请选择填好的名册文件。")
    ext = os.path.splitext(filename or "")[1].lower()
    if ext and ext not in EXCEL_EXTS + TEXT_EXTS:
        raise FileProblem(f"不支持“{ext}”文件：请上传Excel（.xlsx、.xls）或CSV文件。")
    if data[:8] == CFB_MAGIC and ENCRYPTED_MARK in data:
        raise FileProblem("该Excel文件设置了打开密码（已加密），无法读取。请在Excel中取消密码后另存，再重新导入。")
    if data[:4] == ZIP_MAGIC or data[:8] == CFB_MAGIC:
        return _read_excel(data, max_rows, "xls" if data[:8] == CFB_MAGIC else "xlsx")
    if ext in EXCEL_EXTS:
        raise FileProblem("文件内容不是Excel表格（可能已损坏，或只是改了扩展名）。请用Excel打开确认后另存为.xlsx再导入。")
    return [_read_csv(data, max_rows)]


# --- the parser's cost, bounded before it runs (docs/architecture.md#security) ---------------------

MAX_UNCOMPRESSED = 64 * 1024 * 1024  # all members of an .xlsx together, inflated
MAX_MEMBER_RATIO = 100  # inflated / compressed for a member over RATIO_FLOOR (a roster's XML packs ~10:1)
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 1000
MAX_COLUMNS = 200  # a roster has about twenty; column GR
TIME_BUDGET = 30.0  # seconds of reading per import, checked between sheets
_SHEET_MEMBER = re.compile(r"xl/worksheets/[^/]+\.xml")
_CELL_REF = re.compile(rb'<(?:\w+:)?(?:c|row)\b[^>]*?\br="([A-Z]{0,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="(?:[A-Z]{1,3}[0-9]{1,7}:)?([A-Z]{1,3})([0-9]{1,7})"')


def _column_number(letters):
    number = 0
    for ch in letters.decode():
        number = number * 26 + ord(ch) - 64
    return number


def _extent(member):
    """(rows, columns) of a worksheet's XML: its declared <dimension> and every cell and row
    reference, read as a stream (the caller has bounded its inflated size)."""
    rows = cols = 0
    tail = b""
    while True:
        chunk = member.read(256 * 1024)
        if not chunk:
            return rows, cols
        text = tail + chunk
        for pattern in (_DIMENSION, _CELL_REF):
            for letters, digits in pattern.findall(text):
                rows = max(rows, int(digits))
                cols = max(cols, _column_number(letters) if letters else 0)
        tail = text[-512:]


def check_xlsx_cost(data, max_rows):
    """Refuse an .xlsx whose inflated size, compression ratio or sheet extent would make the
    parser slow or large (a zip bomb; one cell at ALL5000 making 5 million empty cells), before
    calamine sees it. Raises FileProblem."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        members = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileProblem("无法读取该Excel文件：文件可能已损坏，或不是Excel格式。请用Excel打开后另存为.xlsx再导入。") from None
    too_big = FileProblem(f"该Excel文件解压后过大（超过{MAX_UNCOMPRESSED // (1024 * 1024)}MB）或压缩比异常，"
                          "不像名册文件，已拒绝。请删除多余内容后另存再导入。")
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise too_big
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_MEMBER_RATIO * max(m.compress_size, 1):
            raise too_big
    with book:
        for m in members:
            if not _SHEET_MEMBER.fullmatch(m.filename):
                continue
            try:
                with book.open(m) as member:
                    rows, cols = _extent(member)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                raise FileProblem("无法读取该Excel文件中的工作表：文件可能已损坏。请用Excel打开后另存为.xlsx再导入。") from None
            if rows > max_rows + 200:
                raise FileProblem(f"工作表有{rows}行，超过单次导入上限{max_rows}行，请分批导入。")
            if cols > MAX_COLUMNS:
                raise FileProblem(f"工作表用到了第{cols}列，超过名册允许的{MAX_COLUMNS}列，"
                                  "请删除表格右侧多余的内容（或整列）后另存再导入。")


def _read_excel(data, max_rows, kind):
    import python_calamine

    if kind == "xlsx" and data[:4] == ZIP_MAGIC:
        check_xlsx_cost(data, max_rows)
    deadline = time_now() + TIME_BUDGET

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise FileProblem("该Excel文件设置了密码（已加密），无法读取。请在Excel中取消密码后另存，再重新导入。") from None
    except BaseException as exc:  # noqa: BLE001 — calamine raises its own errors and pyo3 panics
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise FileProblem("该Excel文件设置了密码（已加密），无法读取。请在Excel中取消密码后另存，再重新导入。") from None
        raise FileProblem("无法读取该Excel文件：文件可能已损坏，或不是Excel格式。请用Excel打开后另存为.xlsx再导入。") from None
    tables = []
    try:
        for index, meta in enumerate(book.sheets_metadata):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            if time_now() > deadline:
                raise FileProblem("读取该Excel文件用时过长，已停止。请删除多余的工作表或内容后另存再导入。")
            sheet = book.get_sheet_by_index(index)
            if sheet.width > MAX_COLUMNS:
                raise FileProblem(f"工作表“{meta.name}”有{sheet.width}列，超过名册允许的{MAX_COLUMNS}列，请删除多余的列后再导入。")
            if sheet.height > max_rows + 200:
                raise FileProblem(f"工作表“{meta.name}”有{sheet.height}行，超过单次导入上限{max_rows}行，请分批导入。")
            rows = sheet.to_python(skip_empty_area=False)  # absolute positions: row i is Excel row i+1
            table = Table(rows=[list(r) for r in rows], merges=list(sheet.merged_cell_ranges or []),
                          kind=kind, sheet=meta.name)
            if meta.visible == python_calamine.SheetVisibleEnum.Visible:
                tables.append(table)
    except FileProblem:
        raise
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise FileProblem("无法读取该Excel文件中的工作表：文件可能已损坏。请用Excel打开后另存为.xlsx再导入。") from None
    finally:
        try:
            book.close()
        except BaseException:  # noqa: BLE001
            pass
    return tables


def _decode(data):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem("无法识别文件编码：请将CSV保存为UTF-8或GBK（ANSI）编码后再导入，或直接上传Excel文件。")


def _read_csv(data, max_rows):
    text = _decode(data)
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    if "\x00" in text or controls > 8:
        raise FileProblem("文件内容不是表格：既不是Excel文件，也不是文本格式的CSV文件。")
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    commas = sum(line.count(",") for line in sample)
    tabs = sum(line.count("\t") for line in sample)
    semis = sum(line.count(";") for line in sample)
    delimiter = "\t" if tabs > commas else ("," if commas or not semis else ";")
    if text.count("\n") > max_rows + 200:
        raise FileProblem(f"文件有{text.count(chr(10))}行，超过单次导入上限{max_rows}行，请分批导入。")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise FileProblem("CSV文件格式有误（引号不配对或单元格过长），请用Excel打开后另存再导入。") from None
    return Table(rows=rows, merges=[], kind="csv")


def fill_merges(table):
    """Write each merged range's value into every cell it covers (calamine gives it only to the
    top-left cell); remember where each filled value came from."""
    rows = table.rows
    if not rows or not table.merges:
        return
    width = max(len(r) for r in rows)
    for (r0, c0), (r1, c1) in table.merges:
        if r0 >= len(rows):
            continue
        r1, c1 = min(r1, len(rows) - 1), min(c1, width - 1)
        top = rows[r0]
        value = top[c0] if c0 < len(top) else ""
        for r in range(r0, r1 + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    row[c] = value
                    table.origin[(r, c)] = (r0, c0)
