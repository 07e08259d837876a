"""Import the State Council's holiday arrangement (节假日安排) from CSV or Excel.

Columns, found by their header: 日期/date (required), 类型/kind (required: 休/假/节假日/holiday
→ 'holiday', 班/上班/调休上班/workday → 'workday'), 名称/name (optional).
"""
import csv
import io
import re
from datetime import date, datetime, timedelta

from . import workdays

HEADERS = {
    "day": {"日期", "date", "day"},
    "kind": {"类型", "kind", "type"},
    "name": {"名称", "name", "节日", "节日名称", "说明", "备注"},
}
KINDS = {
    "休": "holiday", "假": "holiday", "休息": "holiday", "放假": "holiday", "节假日": "holiday",
    "假日": "holiday", "holiday": "holiday",
    "班": "workday", "上班": "workday", "调休上班": "workday", "补班": "workday",
    "工作日": "workday", "workday": "workday",
}
EXCEL_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_EXTS = (".csv", ".txt")
HEADER_SCAN_ROWS = 10  # the header must be within the first rows
NAME_MAX = 50  # Holiday.name is String(50)

_DATE_PATTERNS = [
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
]
_EXCEL_EPOCH = date(1899, 12, 30)


def _text(cell):
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _parse_date(cell):
    """A date from a cell, or None."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if 1 <= cell < 2958466 and float(cell).is_integer():  # Excel serial day number
            return _EXCEL_EPOCH + timedelta(days=int(cell))
        cell = _text(cell)  # e.g. 20270101
    text = _text(cell)
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            try:
                return date(*map(int, m.groups()))
            except ValueError:
                return None
    return None


def _read_rows(filename, data):
    """(list of rows as lists of cells, error message or None)."""
    name = (filename or "").lower()
    if name.endswith(EXCEL_EXTS):
        try:
            import python_calamine
        except ImportError:
            return [], "读取Excel文件需要安装python-calamine"
        try:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            return book.get_sheet_by_index(0).to_python(skip_empty_area=False), None
        except Exception:  # noqa: BLE001 — any parser failure means an unreadable file
            return [], "无法读取该Excel文件，请确认文件未损坏"
    if name.endswith(CSV_EXTS):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return list(csv.reader(io.StringIO(text, newline=""))), None
        return [], "无法识别文件编码，请保存为UTF-8或GBK编码的CSV文件"
    return [], "仅支持CSV或Excel（.xlsx）文件"


def _find_header(rows):
    """(index of the header row, {field: column index}) or (None, None)."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns = {}
        for col, cell in enumerate(row):
            label = _text(cell).lower()
            for field, names in HEADERS.items():
                if label in names and field not in columns:
                    columns[field] = col
        if "day" in columns and "kind" in columns:
            return index, columns
    return None, None


def parse_holidays(filename: str, data: bytes):
    """Parse an uploaded file into (rows, errors).

    rows: [{"day": date, "kind": 'holiday'|'workday', "name": str|None, "row": n}];
    errors: [{"row": 1-based row in the file (None: the whole file), "column": header text,
    "message": Chinese}]. Rows with any error are left out of ``rows``.
    """
    table, problem = _read_rows(filename, data)
    if problem:
        return [], [{"row": None, "column": "", "message": problem}]
    header_index, columns = _find_header(table)
    if header_index is None:
        return [], [{"row": 1, "column": "", "message": "未找到表头：需要“日期”和“类型”两列"}]
    header = table[header_index]
    label = {field: _text(header[col]) for field, col in columns.items()}

    rows, errors, seen = [], [], {}

    def cell(row, field):
        col = columns.get(field)
        return row[col] if col is not None and col < len(row) else None

    for index in range(header_index + 1, len(table)):
        row, number = table[index], index + 1
        if not any(_text(c) for c in row):
            continue
        ok = True
        raw_day = cell(row, "day")
        day = _parse_date(raw_day)
        if day is None:
            ok = False
            message = ("日期不能为空" if not _text(raw_day)
                       else f"无法识别的日期“{_text(raw_day)}”，请使用YYYY-MM-DD格式")
            errors.append({"row": number, "column": label["day"], "message": message})
        elif day in seen:
            ok = False
            errors.append({"row": number, "column": label["day"],
                           "message": f"日期{day.isoformat()}与第{seen[day]}行重复"})
        raw_kind = _text(cell(row, "kind"))
        kind = KINDS.get(raw_kind.lower())
        if kind is None:
            ok = False
            message = ("类型不能为空" if not raw_kind
                       else f"无法识别的类型“{raw_kind}”，应为“休”（放假）或“班”（调休上班）")
            errors.append({"row": number, "column": label["kind"], "message": message})
        name = _text(cell(row, "name")) or None
        if name and len(name) > NAME_MAX:
            ok = False
            errors.append({"row": number, "column": label["name"],
                           "message": f"名称不能超过{NAME_MAX}个字"})
        if day is not None and day not in seen:
            seen[day] = number
        if ok:
            rows.append({"day": day, "kind": kind, "name": name, "row": number})
    if not rows and not errors:
        errors.append({"row": header_index + 1, "column": "", "message": "文件中没有数据行"})
    return rows, errors


def import_holidays(rows):
    """Upsert Holiday rows by day in the current session (flushed, not committed), then drop the
    working-day cache. Returns {"created": n, "updated": n, "unchanged": n}.
    A row without a name keeps the existing name."""
    from . import db
    from .models import Holiday

    result = {"created": 0, "updated": 0, "unchanged": 0}
    rows = list(rows)
    if not rows:
        return result
    days = [r["day"] for r in rows]
    existing = {h.day: h for h in db.session.query(Holiday)
                .filter(Holiday.day >= min(days), Holiday.day <= max(days))}
    for r in rows:
        holiday = existing.get(r["day"])
        name = r.get("name") or None
        if holiday is None:
            holiday = Holiday(day=r["day"], kind=r["kind"], name=name)
            db.session.add(holiday)
            existing[r["day"]] = holiday
            result["created"] += 1
        elif holiday.kind != r["kind"] or (name and holiday.name != name):
            holiday.kind = r["kind"]
            if name:
                holiday.name = name
            result["updated"] += 1
        else:
            result["unchanged"] += 1
    db.session.flush()
    workdays.invalidate()
    return result
