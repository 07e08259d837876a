"""Import the office's roster 《首席服务官及具体分包人情况表》 (docs/domain.md#import-and-export-formats).

One module serves the upload page, ``flask cso import-assignments`` and
``POST /api/v1/import/assignments``:

1. **read** the file (``.xlsx``/``.xls`` through python-calamine, ``.csv`` in UTF-8 with or
   without BOM, UTF-16 or GBK/GB18030, detected from the bytes) into a grid of cells, and
   write the value of every merged range into each cell it covers;
2. **find the header** in the first rows (title and 填报单位 rows above it; one or two header
   rows, a group header such as 首席服务官 over 姓名/职务/联系电话; synonyms after NFKC and
   whitespace removal);
3. **parse** each data row (one enterprise, its chief(s) and liaison(s)), skipping blank,
   subtotal (合计/小计) and footnote (注/备注/填表人…) rows; several people or phones in one cell
   are paired in order; names, phones and codes are normalised with :mod:`app.validation`;
4. **plan** against the database: enterprises match by credit code, else by their name
   without place prefix and legal-form suffix; officers by name + phone. The plan lists what
   would be created, updated and ended, with per-row warnings and errors;
5. **apply** the plan in one transaction when asked and when there is no error at all; a changed
   chief or liaison ends the old assignment (end date, reason) and starts a new one. New
   officers get an Officer login (must change the initial password at first login).

Why python-calamine: it reads .xlsx, .xls and .ods with one API, in Rust (a 1,000-row roster
parses in milliseconds), exposes the real ``merged_cell_ranges`` of .xlsx and .xls sheets
(openpyxl does for .xlsx only and xlrd no longer reads .xlsx), returns phone numbers as numbers
(so we format them as digits ourselves, never via Excel's display) and raises on
password-protected workbooks. It is already a dependency (the holiday import uses it).

Every attempt — dry run, commit, refused file — leaves an :class:`~app.models.ImportLog` row
(who, when, file name, sha256 and the report).
"""
import csv
import hashlib
import io
import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import generate_password_hash

from . import clock, db
from .masterdata import RuleError, end_assignment
from .models import ASSIGNMENT_ROLES, ENTERPRISE_CATEGORIES, Assignment, Enterprise, ImportLog, Officer
from .validation import InvalidValue, clean_credit_code, clean_person_name, clean_phone, clean_text, nfkc

log = logging.getLogger(__name__)

KIND = "assignments"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 5000
HEADER_SCAN_ROWS = 15  # the header must start within the first rows
# Initial passwords are random (≈60 bits) and must be changed at the first login, where FAB
# hashes the new one with its slow default (scrypt, ≈0.25 s here). A slow hash for a random,
# single-use secret would make a roster with hundreds of new officers take minutes.
INITIAL_PASSWORD_HASH = "pbkdf2:sha256:1000"

ROLE_ORDER = ("chief", "liaison")
RANKS = {"chief": "县级", "liaison": "科级"}

# --- header vocabulary (docs/domain.md#import-and-export-formats), compared after NFKC and whitespace removal -----------

ENTERPRISE_HEADERS = {
    "name": ["企业名称", "包联企业", "服务企业", "企业(项目)名称", "企业", "企业全称", "企业名称(全称)",
             "包联企业名称", "服务企业名称", "重点企业", "重点企业名称", "企业(单位)名称", "项目(企业)名称",
             "包联企业(项目)", "企业(项目)"],
    "credit_code": ["统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码", "企业信用代码",
                    "统一社会信用代码(注册号)"],
    "subdistrict": ["所属街道", "乡镇", "属地", "所属乡镇", "街道", "所属街道(乡镇)", "所属乡镇(街道)",
                    "街道(乡镇)", "乡镇(街道)", "所在街道", "所在乡镇", "属地街道", "所属街镇", "街镇",
                    "所在地", "所属区域"],
    "industry": ["行业", "所属行业", "行业类别", "产业", "所属产业", "行业领域"],
    "category": ["企业类别", "企业类型", "类别"],
    "address": ["地址", "企业地址", "注册地址", "生产经营地址", "经营地址", "企业住所"],
    "legal_rep": ["法定代表人", "法人代表", "法人"],
    "contact": ["企业联系人", "联系人"],
    "phone": ["企业联系电话", "企业电话", "企业联系方式"],
}
ROLE_HEADERS = {
    "chief": ["首席服务官", "包联领导", "分包领导", "包抓领导", "联系领导", "包联县级领导", "县级包联领导",
              "首席服务官(包联领导)", "包联领导(首席服务官)"],
    "liaison": ["具体分包人", "分包人", "联络员", "服务专员", "驻企服务员", "具体分包人员", "分包联络员",
                "驻企联络员", "具体包联人", "具体联络员"],
}
SUB_HEADERS = {
    "name": ["姓名", "名字"],
    "title": ["职务", "职位", "职务职级", "单位及职务", "单位职务", "职务(职级)"],
    "unit": ["工作单位", "单位", "所在单位", "所在部门", "部门", "单位名称"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码", "办公电话", "移动电话"],
}
IGNORED_HEADERS = {"序号", "编号", "备注", "说明", "序"}

FIELD_LABELS = {
    "name": "企业名称", "credit_code": "统一社会信用代码", "subdistrict": "所属街道", "industry": "行业",
    "category": "企业类别", "address": "地址", "legal_rep": "法定代表人", "contact": "联系人",
    "phone": "联系电话",
}
OFFICER_FIELD_LABELS = {"title": "职务", "unit": "工作单位", "phone": "联系电话"}
MAX_LEN = {"name": 200, "subdistrict": 50, "industry": 50, "category": 50, "address": 300,
           "legal_rep": 50, "contact": 50}
OFFICER_MAX_LEN = {"title": 100, "unit": 100}

PLACEHOLDERS = {"", "无", "暂无", "待定", "空", "-", "--", "—", "——", "/", "\\", "null", "none", "nan", "n/a"}
PERSON_SPLIT = re.compile(r"[、,，;；/／\\|\n\r]+")
FOOTNOTE = re.compile(r"^(?:注|备注|说明|附注|附件|填表说明)(?:$|\s*[:.、\d一二三四五六七八九十(])"
                      r"|^(?:填表人|填报人|制表人|制表|审核人|审核|负责人|单位负责人|填报日期|填表日期|制表日期|"
                      r"联系人|联系电话|报送单位|填报单位)\s*[:：]")
SUBTOTAL = re.compile(r"^(?:合计|小计|总计|共计)")
MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")

PLACE_PREFIXES = ("中国", "河南省", "河南", "焦作市", "焦作", "城乡一体化示范区", "示范区", "解放区", "山阳区",
                  "中站区", "马村区", "修武县", "博爱县", "武陟县", "温县", "沁阳市", "孟州市")
LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团公司", "公司", "(有限合伙)",
                  "有限合伙", "合伙企业", "个人独资企业", "厂")

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
EXCEL_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_EXTS = (".csv", ".txt", ".tsv")


def _norm_label(text):
    text = nfkc(text) or ""
    text = re.sub(r"\s+", "", text).replace("*", "").replace("※", "")
    return text.rstrip(":")


def _lookup(mapping):
    return {_norm_label(s): key for key, syns in mapping.items() for s in syns}


ENT_LOOKUP = _lookup(ENTERPRISE_HEADERS)
ROLE_LOOKUP = _lookup(ROLE_HEADERS)
SUB_LOOKUP = _lookup(SUB_HEADERS)
ROLE_PREFIXES = sorted(ROLE_LOOKUP, key=len, reverse=True)


# --- results ------------------------------------------------------------------------------


class FileProblem(Exception):
    """The file as a whole cannot be imported; ``str(exc)`` is the Chinese message."""


def empty_report(dry_run):
    return {
        "ok": False, "dry_run": bool(dry_run),
        "created": {"enterprise": 0, "officer": 0, "assignment": 0},
        "updated": {"enterprise": 0, "officer": 0, "assignment": 0},
        "ended": {"assignment": 0},
        "errors": [], "warnings": [],
    }


@dataclass
class ImportResult:
    """What the screens need beyond the report: the planned changes (for the preview) and the
    new logins with their initial passwords (only after a successful commit, shown once)."""

    report: dict
    changes: list = field(default_factory=list)  # [{"action", "kind", "row", "text"}]
    credentials: list = field(default_factory=list)  # [{"name", "unit", "title", "phone", "username", "password"}]
    log_id: int = None
    sheet: str = None
    file_error: bool = False  # the file itself was refused (unreadable, empty, too big, no header)

    @property
    def ok(self):
        return self.report["ok"]


class Issues:
    """Errors and warnings of one import; ``key`` reports a problem once (e.g. once per merged cell)."""

    def __init__(self):
        self.errors, self.warnings = [], []
        self._seen = set()

    def error(self, row, column, message, key=None):
        if key is not None:
            if ("error",) + tuple(key) in self._seen:
                return
            self._seen.add(("error",) + tuple(key))
        self.errors.append({"row": row, "column": column or "", "message": message})

    def warn(self, row, column, message, key=None):
        if key is not None:
            if key in self._seen:
                return
            self._seen.add(key)
        self.warnings.append({"row": row, "column": column or "", "message": message})


# --- reading ------------------------------------------------------------------------------


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


def _limits():
    config = current_app.config
    return (int(config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
            int(config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)))


def _mib(n):
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".") + " MB"


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


def _read_excel(data, max_rows, kind):
    import python_calamine

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
            sheet = book.get_sheet_by_index(index)
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


# --- header -------------------------------------------------------------------------------


def _candidates(label):
    key = _norm_label(label)
    if not key:
        return []
    out = [key]
    bare = re.sub(r"\([^)]*\)", "", key)
    if bare and bare != key:
        out.append(bare)
    return out


def resolve_label(label):
    """("ent", field) | ("role", role, sub) | ("sub", sub) | ("ignore",) | None."""
    for key in _candidates(label):
        if key in ENT_LOOKUP:
            return ("ent", ENT_LOOKUP[key])
        if key in ROLE_LOOKUP:
            return ("role", ROLE_LOOKUP[key], "name")
        for prefix in ROLE_PREFIXES:
            if key.startswith(prefix):
                rest = key[len(prefix):].lstrip("的及")
                if rest in SUB_LOOKUP:
                    return ("role", ROLE_LOOKUP[prefix], SUB_LOOKUP[rest])
        if key in SUB_LOOKUP:
            return ("sub", SUB_LOOKUP[key])
        if key in IGNORED_HEADERS:
            return ("ignore",)
    return None


@dataclass
class Header:
    index: int  # 0-based row of the (first) header row
    height: int  # 1 or 2
    columns: dict  # field key ("ent.name", "chief.phone", …) → column index
    labels: dict  # column index → the header text as the file shows it

    @property
    def data_start(self):
        return self.index + self.height

    def label(self, key):
        col = self.columns.get(key)
        return self.labels.get(col, "") if col is not None else ""

    def has(self, key):
        return key in self.columns


def _texts(row):
    return [re.sub(r"\s+", "", nfkc(cell_text(v)) or "") for v in row]


def _build_header(rows, index, two):
    top = rows[index]
    sub = rows[index + 1] if two else None
    width = max(len(top), len(sub) if sub is not None else 0)
    top_text = [cell_text(v).strip() for v in top] + [""] * (width - len(top))
    sub_text = ([cell_text(v).strip() for v in sub] + [""] * (width - len(sub))) if two else [""] * width
    specs, labels = [], []
    carry, carry_label = None, ""
    for c in range(width):
        t, s = top_text[c], sub_text[c]
        rt = resolve_label(t) if t else None
        rs = resolve_label(s) if (two and s) else None
        label = t
        if two:
            if t:
                carry, carry_label = (rt, t) if rt and rt[0] == "role" else (None, "")
            elif rs and rs[0] == "sub" and carry is not None:
                rt, t = carry, carry_label  # a group header written once over its sub-columns (CSV)
            if rs and rs[0] == "sub" and rt and rt[0] == "role":
                spec, label = ("role", rt[1], rs[1]), f"{t}/{s}"
            elif rs and rs[0] in ("ent", "role"):
                spec, label = rs, s
            elif rt is not None and rt[0] != "ignore":
                spec = rt
            elif rs is not None:
                spec, label = rs, s
            else:
                spec = rt
        else:
            spec = rt
        specs.append(spec)
        labels.append(label)
    columns, out_labels = {}, {}
    last_role = None
    for c, spec in enumerate(specs):
        if spec is None or spec[0] == "ignore":
            continue
        if spec[0] == "ent":
            key = "ent." + spec[1]
            last_role = None
        elif spec[0] == "role":
            key = f"{spec[1]}.{spec[2]}"
            last_role = spec[1]
        else:  # a bare 姓名/职务/联系电话: belongs to the officer column on its left
            sub_field = spec[1]
            if last_role:
                key = f"{last_role}.{sub_field}"
            elif sub_field == "phone":
                key = "ent.phone"
            else:
                continue
        if key not in columns:
            columns[key] = c
            out_labels[c] = labels[c]
    repeated = {label for label in out_labels.values() if list(out_labels.values()).count(label) > 1}
    for c, label in out_labels.items():
        if label in repeated:  # e.g. two columns both called 联系电话: name the Excel column too
            out_labels[c] = f"{label}（{column_letter(c)}列）"
    return Header(index=index, height=2 if two else 1, columns=columns, labels=out_labels)


def column_letter(index):
    """0 → A, 25 → Z, 26 → AA (as Excel names columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _valid(header):
    return "ent.name" in header.columns and ("chief.name" in header.columns or "liaison.name" in header.columns)


def find_header(rows):
    for index in range(min(HEADER_SCAN_ROWS, len(rows))):
        top = [resolve_label(cell_text(v).strip()) for v in rows[index] if cell_text(v).strip()]
        if not any(spec and spec[0] in ("ent", "role") for spec in top):
            continue  # a title, 填报单位 or blank row: the header starts below
        one = _build_header(rows, index, False)
        two = _build_header(rows, index, True) if index + 1 < len(rows) else None
        if two is not None and _valid(two) and len(two.columns) > len(one.columns):
            return two
        if _valid(one):
            return one
        if two is not None and _valid(two):
            return two
    return None


# --- parsing rows -------------------------------------------------------------------------


@dataclass
class Person:
    name: str
    phone: str = None
    title: str = None
    unit: str = None


@dataclass
class Row:
    number: int  # as Excel shows it (1-based)
    values: dict  # enterprise field → cleaned value (only non-empty cells of present columns)
    people: dict  # role → list of Person; role missing: column absent or cell empty
    name_origin: tuple = None


def _is_placeholder(text):
    return _norm_label(text).lower() in PLACEHOLDERS


def _phone(raw, row, column, issues, origin):
    """Clean one phone; warnings for reformatting, errors for what cannot be a phone."""
    raw = (raw or "").strip()
    text = (nfkc(raw) or "").strip()
    if not text or _is_placeholder(text):
        return None
    text = re.sub(r"\([^)]*\)", "", text)  # 13912345678(办)
    text = re.sub(r"[\u4e00-\u9fff:]+", "", text).strip()  # 手机:139…
    if SCIENTIFIC.match(text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        digits = str(int(number)) if number is not None and number == number.to_integral_value() else ""
        mantissa = re.sub(r"\D", "", text.split("e")[0].split("E")[0])
        if not digits or len(mantissa) < len(digits) - 1:
            issues.error(row, column, f"电话号码“{raw}”以科学计数法保存，位数已丢失。请在Excel中把该列设为“文本”并重新填写后再导入。",
                         key=("phone", origin))
            return None
        text = digits
    try:
        value = clean_phone(text)
    except InvalidValue as exc:
        digits = re.sub(r"\D", "", text)
        if text.isdigit() and 9 <= len(digits) <= 11 and not digits.startswith(("0", "1")):
            try:  # a landline stored as a number lost its leading 0: 3913563650 → 0391-3563650
                value = clean_phone("0" + digits)
                issues.warn(row, column, f"电话“{raw}”缺少开头的0（以数字保存所致），已按“{value}”导入。", key=("phone0", origin))
                return value
            except InvalidValue:
                pass
        issues.error(row, column, str(exc), key=("phone", origin, raw))
        return None
    if value != raw:
        issues.warn(row, column, f"电话“{raw}”已规范为“{value}”。", key=("phone", raw))
    return value


OPEN_BRACKETS, CLOSE_BRACKETS = "(（[【", ")）]】"


def _split(text, raw=False):
    """Parts of a cell holding several values (、，,；;/ or line breaks, not inside brackets);
    ``raw`` keeps each part as typed (for messages)."""
    parts, current, depth = [], [], 0
    for ch in text or "":
        if ch in OPEN_BRACKETS:
            depth += 1
        elif ch in CLOSE_BRACKETS:
            depth = max(0, depth - 1)
        if depth == 0 and PERSON_SPLIT.match(ch):
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    parts = [p.strip() for p in parts]
    return [p if raw else nfkc(p) for p in parts if p and not _is_placeholder(p)]


def _split_phones(text):
    parts = _split(text)
    out = []
    for part in parts:
        pieces = part.split()
        if len(pieces) > 1 and all(re.sub(r"\D", "", p) and len(re.sub(r"\D", "", p)) >= 7 for p in pieces):
            try:
                clean_phone(part)
                out.append(part)
            except InvalidValue:
                out.extend(pieces)  # "13912345678 13812345678"
        else:
            out.append(part)
    return out


def _person_entries(raw, row, column, issues, origin):
    """Names in one cell → [(name, phone found in the cell, extra text in brackets)]."""
    entries = []
    for typed in _split(raw, raw=True):
        part = nfkc(typed)
        phone = None
        found = MOBILE_IN_TEXT.search(part)
        if found:
            phone = found.group(0)
            part = (part[:found.start()] + part[found.end():]).strip()
        extra = None
        bracket = re.match(r"^(.*?)\s*\((.*)\)\s*$", part)
        if bracket:
            part, extra = bracket.group(1), bracket.group(2).strip(" ,;、") or None
        part = part.strip(" :-")
        tokens = part.split()
        if extra is None and len(tokens) > 1 and 2 <= len(tokens[0]) <= 4 and len("".join(tokens)) > 4 \
                and re.fullmatch(r"[\u4e00-\u9fff·]+", tokens[0]):
            part, extra = tokens[0], " ".join(tokens[1:])  # "张建国 区工信局局长"
        if not part:
            continue
        try:
            name = clean_person_name(part)
        except InvalidValue as exc:
            issues.error(row, column, str(exc), key=("name", origin, part))
            continue
        if len(name) > 20 or re.search(r"\d", name) or re.search(r"[()（）:：]", name):
            issues.error(row, column, f"姓名“{part}”不正确：一个单元格里有多人时，请用顿号“、”分隔。",
                         key=("name", origin, part))
            continue
        if name != typed.strip() and (phone or extra):
            issues.warn(row, column, f"“{typed.strip()}”已拆分为姓名“{name}”" + (f"、职务“{extra}”" if extra else "")
                        + (f"、电话“{phone}”" if phone else "") + "。", key=("name", typed.strip()))
        elif name != typed.strip():
            issues.warn(row, column, f"姓名“{typed.strip()}”已规范为“{name}”。", key=("name", typed.strip()))
        if len(name) > 4 and re.fullmatch(r"[\u4e00-\u9fff]+", name):
            issues.warn(row, column, f"姓名“{name}”较长，请确认没有把职务或单位写进姓名栏。", key=("long", name))
        entries.append((name, phone, extra))
    return entries


def _pair(values, count, row, column, issues, what, origin):
    """Spread a list of values over ``count`` people in order."""
    if count == 0 or not values:
        return [None] * count
    if len(values) == count:
        return values
    if count == 1:
        if len(values) > 1 and what == "电话":
            issues.warn(row, column, f"一人填写了{len(values)}个电话，已取第一个“{values[0]}”。", key=("multi", origin))
        return [values[0]]
    if len(values) == 1 and what != "电话":
        return values * count
    issues.warn(row, column, f"{count}人对应{len(values)}个{what}，已按顺序配对，其余留空。", key=("pair", origin))
    return (values + [None] * count)[:count]


def parse_people(raw, row, header, role, issues, origin_of):
    """The people of one role in one row (names, with phones/titles/units paired in order)."""
    name_col = header.columns[f"{role}.name"]
    name_label = header.labels[name_col]
    entries = _person_entries(raw(name_col), row, name_label, issues, origin_of(name_col))
    if not entries:
        return []
    count = len(entries)
    phones = [None] * count
    col = header.columns.get(f"{role}.phone")
    if col is not None:
        label = header.labels[col]
        cleaned = [p for p in (_phone(v, row, label, issues, origin_of(col)) for v in _split_phones(raw(col))) if p]
        phones = _pair(cleaned, count, row, label, issues, "电话", origin_of(col))
        if count > 1 and len(cleaned) == count:
            issues.warn(row, name_label, f"一个单元格中有{count}人（{'、'.join(e[0] for e in entries)}），已与电话按顺序配对。",
                        key=("split", origin_of(name_col)))
    elif count > 1:
        issues.warn(row, name_label, f"一个单元格中有{count}人（{'、'.join(e[0] for e in entries)}），已分别导入。",
                    key=("split", origin_of(name_col)))
    extras = {}
    for sub in ("title", "unit"):
        col = header.columns.get(f"{role}.{sub}")
        if col is None:
            extras[sub] = [None] * count
            continue
        text = (nfkc(raw(col)) or "").strip()
        if not text or _is_placeholder(text):
            extras[sub] = [None] * count
        elif count == 1:
            extras[sub] = [clean_text(text)]
        else:
            parts = _split(text)
            if len(parts) == count:
                extras[sub] = [clean_text(p) for p in parts]
            else:
                issues.warn(row, header.labels[col], f"{count}人的{OFFICER_FIELD_LABELS[sub]}无法逐一对应，已按整格填给每人。",
                            key=("pair", origin_of(col)))
                extras[sub] = [clean_text(text)] * count
    people = []
    seen = set()
    for i, (name, inline_phone, extra) in enumerate(entries):
        phone = phones[i]
        if phone is None and inline_phone:
            phone = _phone(inline_phone, row, name_label, issues, origin_of(name_col))
        title = extras["title"][i]
        if title is None and extra:  # 何伟（区工信局局长）
            title = clean_text(extra)
        for sub, value in (("title", title), ("unit", extras["unit"][i])):
            if value and len(value) > OFFICER_MAX_LEN[sub]:
                issues.error(row, header.label(f"{role}.{sub}") or name_label,
                             f"{OFFICER_FIELD_LABELS[sub]}不能超过{OFFICER_MAX_LEN[sub]}个字。")
        key = (name, phone)
        if key in seen:
            continue
        seen.add(key)
        people.append(Person(name=name, phone=phone, title=title, unit=extras["unit"][i]))
    return people


def _is_number_row(texts):
    cells = [t for t in texts if t]
    return len(cells) >= 3 and all(t.isdigit() and len(t) <= 2 for t in cells)


def parse_rows(table, header, issues, max_rows):
    rows_out = []
    rows = table.rows
    head_texts = {_norm_label(header.labels[c]) for c in header.labels}
    data_rows = 0
    footer = False
    origin = table.origin

    for r in range(header.data_start, len(rows)):
        row = rows[r]
        number = r + 1
        texts = _texts(row)
        nonblank = [t for t in texts if t]
        if not nonblank:
            continue
        first = nonblank[0]
        name_col = header.columns["ent.name"]
        name_text = texts[name_col] if name_col < len(texts) else ""
        if footer or FOOTNOTE.match(first):
            if footer and name_text and any(
                    header.columns.get(f"{role}.name") is not None and header.columns[f"{role}.name"] < len(texts)
                    and texts[header.columns[f"{role}.name"]] for role in ROLE_ORDER):
                issues.warn(number, header.label("ent.name"), f"本行位于表尾的说明（第{footer}行）之后，未导入；"
                            "如是数据，请把说明移到表格最后。")
            footer = footer or number  # 注/填表人 … and everything below them
            continue
        if SUBTOTAL.match(first) or SUBTOTAL.match(name_text):
            continue
        if name_text and _norm_label(name_text) in head_texts and _norm_label(name_text) in ENT_LOOKUP:
            continue  # the header repeated (printed over several pages)
        if _is_number_row(texts):
            continue  # a row of column numbers under the header
        data_rows += 1
        if data_rows > max_rows:
            raise FileProblem(f"数据超过单次导入上限{max_rows}行，请分批导入。")

        def raw(col, _row=row):
            return cell_text(_row[col]) if col is not None and col < len(_row) else ""

        def origin_of(col, _r=r):
            return origin.get((_r, col), (_r, col))

        values = {}
        for key, col in header.columns.items():
            if not key.startswith("ent."):
                continue
            fld, label = key[4:], header.labels[col]
            text = (nfkc(raw(col)) or "").strip()
            if not text or _is_placeholder(text):
                continue
            if fld == "credit_code":
                try:
                    value = clean_credit_code(text)
                except InvalidValue as exc:
                    issues.error(number, label, f"{exc}（表中为“{text}”）")
                    continue
            elif fld == "phone":
                value = _phone(raw(col), number, label, issues, origin_of(col))
                if value is None:
                    continue
            else:
                value = clean_text(text)
                if fld == "name" and raw(col).strip() != value:
                    issues.warn(number, label, f"企业名称“{raw(col).strip()}”已规范为“{value}”（全角字符、空格）。",
                                key=("ent", origin_of(col)))
                if len(value) > MAX_LEN.get(fld, 200):
                    issues.error(number, label, f"{FIELD_LABELS[fld]}不能超过{MAX_LEN[fld]}个字。")
                    continue
                if fld == "category" and value not in ENTERPRISE_CATEGORIES:
                    issues.warn(number, label, f"企业类别“{value}”不在可选范围（{'、'.join(ENTERPRISE_CATEGORIES)}）内，已忽略。",
                                key=("cat", value, origin_of(col)))
                    continue
            values[fld] = value

        people = {}
        for role in ROLE_ORDER:
            if not header.has(f"{role}.name"):
                continue
            people[role] = parse_people(raw, number, header, role, issues, origin_of)

        if not values.get("name"):
            has_people = any(people.values())
            if has_people or values:
                issues.error(number, header.label("ent.name"), "企业名称不能为空。")
            continue
        rows_out.append(Row(number=number, values=values, people=people,
                            name_origin=origin.get((r, name_col), (r, name_col))))
    return rows_out


def merge_warnings(table, header, issues):
    """One warning per vertically merged range inside the data: its value went to every row."""
    groups = defaultdict(list)
    col_label = {col: header.labels[col] for col in header.columns.values()}
    for (r0, c0), (r1, c1) in table.merges:
        if r1 <= r0 or r0 < header.data_start or r0 >= len(table.rows):
            continue
        cols = [c for c in range(c0, c1 + 1) if c in col_label]
        if cols:
            groups[(r0, min(r1, len(table.rows) - 1))].extend(cols)
    for (r0, r1), cols in sorted(groups.items()):
        labels = [col_label[c] for c in sorted(cols)]
        issues.warn(r0 + 1, labels[0],
                    f"第{r0 + 1}–{r1 + 1}行的“{'、'.join(labels)}”为合并单元格，其值已应用到所覆盖的每一行。")


# --- matching and planning ------------------------------------------------------------------


def place_prefixes():
    """Place names stripped from the front of enterprise names for matching (longest first);
    ``IMPORT_PLACE_PREFIXES`` in the config adds the district's own."""
    extra = tuple(current_app.config.get("IMPORT_PLACE_PREFIXES", ()) or ())
    return tuple(sorted(set(extra + PLACE_PREFIXES), key=len, reverse=True))


def name_key(name, prefixes=None):
    """Enterprise name for matching: no spaces, no place prefix, no legal-form suffix."""
    key = re.sub(r"\s+", "", nfkc(name) or "")
    prefixes = prefixes or place_prefixes()
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if key.startswith(prefix) and len(key) - len(prefix) >= 2:
                key, changed = key[len(prefix):], True
                break
    for suffix in LEGAL_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            key = key[: -len(suffix)]
            break
    return key


@dataclass(eq=False)
class PersonPlan:
    name: str
    phone: str
    existing: Officer = None
    title: str = None
    unit: str = None
    rank: str = "科级"
    row: int = 0
    updates: dict = field(default_factory=dict)
    officer: Officer = None  # set when applied
    username: str = None

    @property
    def label(self):
        return f"{self.name}（{self.phone}）" if self.phone else self.name


@dataclass(eq=False)
class EnterprisePlan:
    row: int
    name: str
    key: str
    existing: Enterprise = None
    values: dict = field(default_factory=dict)
    updates: dict = field(default_factory=dict)  # field → (old, new)
    people: dict = field(default_factory=dict)  # role → [PersonPlan] (only roles with people)
    rows: list = field(default_factory=list)
    enterprise: Enterprise = None  # set when applied


@dataclass
class Plan:
    enterprises: list = field(default_factory=list)
    persons: list = field(default_factory=list)
    creates: list = field(default_factory=list)  # (EnterprisePlan, PersonPlan, role)
    ends: list = field(default_factory=list)  # (Assignment, reason, EnterprisePlan, role)
    changes: list = field(default_factory=list)


class Planner:
    def __init__(self, issues, filename, kind):
        self.issues = issues
        self.filename = filename
        self.kind = kind
        self.prefixes = place_prefixes()
        self.enterprises = db.session.scalars(select(Enterprise)).all()
        self.by_code = {e.credit_code: e for e in self.enterprises if e.credit_code}
        self.by_name = {e.name: e for e in self.enterprises}
        self.by_key = defaultdict(list)
        for e in self.enterprises:
            self.by_key[self.key(e.name)].append(e)
        officers = db.session.scalars(select(Officer)).all()
        self.officers_by_name = defaultdict(list)
        for o in officers:
            self.officers_by_name[o.name].append(o)
        self.active = defaultdict(lambda: defaultdict(list))
        for a in db.session.scalars(select(Assignment).where(Assignment.end_date.is_(None))):
            self.active[a.enterprise_id][a.role].append(a)
        self.officer_by_id = {o.id: o for o in officers}
        self._grams = self._heads = None

    def key(self, name):
        return name_key(name, self.prefixes)

    # -- enterprises --
    def match_enterprise(self, row):
        values = row.values
        name, code = values["name"], values.get("credit_code")
        key = self.key(name)
        label_code = "ent.credit_code"
        by_code = self.by_code.get(code) if code else None
        candidates = self.by_key.get(key, [])
        by_name = self.by_name.get(name) or (candidates[0] if len(candidates) == 1 else None)
        if by_code is not None:
            if by_name is not None and by_name is not by_code:
                self.issues.error(row.number, self.header.label(label_code),
                                  f"统一社会信用代码{code}属于系统中的“{by_code.name}”，与本行企业名称“{name}”（系统中另有此企业）不一致。")
                return False, None
            return True, by_code
        if len(candidates) > 1 and by_name is None:
            names = "、".join(e.name for e in candidates[:5])
            self.issues.error(row.number, self.header.label("ent.name"),
                              f"企业名称“{name}”与系统中多家企业相近（{names}），请填写统一社会信用代码或企业全称以区分。")
            return False, None
        if by_name is not None:
            if code and by_name.credit_code and by_name.credit_code != code:
                self.issues.error(row.number, self.header.label(label_code),
                                  f"系统中“{by_name.name}”的统一社会信用代码为{by_name.credit_code}，与本行的{code}不一致。")
                return False, None
            return True, by_name
        return True, None

    def similar(self, key):
        """An enterprise whose matching name contains this one or is contained in it (≥4 chars)."""
        if len(key) < 4:
            return None
        if self._grams is None:  # bigram → keys holding it; and first bigram → keys
            self._grams, self._heads = defaultdict(set), defaultdict(set)
            for other in self.by_key:
                if len(other) >= 4:
                    self._heads[other[:2]].add(other)
                    for i in range(len(other) - 1):
                        self._grams[other[i:i + 2]].add(other)
        candidates = set(self._grams.get(key[:2], ()))  # keys that may contain this one
        for i in range(len(key) - 1):
            candidates |= self._heads.get(key[i:i + 2], set())  # keys this one may contain
        for other in sorted(candidates):
            if other != key and (other in key or key in other):
                return self.by_key[other][0]
        return None

    # -- officers --
    def resolve_person(self, person, role, row, persons, name_phones):
        phone = person.phone
        if phone is None:
            phones = name_phones.get(person.name, set())
            if len(phones) == 1:
                phone = next(iter(phones))  # the same person, phone given in another row
            elif len(phones) > 1:
                self.issues.error(row.number, self.header.label(f"{role}.name"),
                                  f"表中有{len(phones)}位“{person.name}”（电话不同），本行未填电话，无法确定是哪一位。",
                                  key=("which", row.number, person.name))
                return None
        key = (person.name, phone)
        plan = persons.get(key)
        if plan is None:
            plan = PersonPlan(name=person.name, phone=phone, rank=RANKS[role], row=row.number)
            same_name = self.officers_by_name.get(person.name, [])
            if phone:
                exact = [o for o in same_name if o.phone == phone]
                blank = [o for o in same_name if not o.phone]
                if exact:
                    plan.existing = min(exact, key=lambda o: o.id)
                elif len(blank) == 1:
                    plan.existing = blank[0]
                    plan.updates["phone"] = (None, phone)
                elif same_name:
                    self.issues.warn(row.number, self.header.label(f"{role}.name"),
                                     f"系统中已有同名服务官“{person.name}”（电话不同），将按电话{phone}作为另一人新建。",
                                     key=("homonym", person.name, phone))
            else:
                if len(same_name) == 1:
                    plan.existing = same_name[0]
                elif len(same_name) > 1:
                    self.issues.error(row.number, self.header.label(f"{role}.name"),
                                      f"系统中有{len(same_name)}名服务官叫“{person.name}”，请填写联系电话以区分。")
                    return None
            persons[key] = plan
        for attr in ("title", "unit"):
            value = getattr(person, attr)
            if not value:
                continue
            current = getattr(plan, attr)
            if current is None:
                setattr(plan, attr, value)
            elif current != value:
                self.issues.warn(row.number, self.header.label(f"{role}.{attr}"),
                                 f"{person.name}的{OFFICER_FIELD_LABELS[attr]}在第{plan.row}行为“{current}”，本行为“{value}”，按第{plan.row}行导入。",
                                 key=("conflict", person.name, attr, value))
        return plan

    def plan(self, rows, header):
        self.header = header
        issues = self.issues
        plan = Plan()
        by_file_key, by_file_code = {}, {}
        name_phones = defaultdict(set)
        for row in rows:
            for people in row.people.values():
                for p in people:
                    if p.phone:
                        name_phones[p.name].add(p.phone)
        persons = {}

        for row in rows:
            values = row.values
            key = self.key(values["name"])
            code = values.get("credit_code")
            ent_plan = by_file_code.get(code) if code else None
            if ent_plan is None:
                ent_plan = by_file_key.get(key)
            if ent_plan is not None:
                other_code = ent_plan.values.get("credit_code")
                if code and other_code and code != other_code:
                    issues.error(row.number, header.label("ent.credit_code"),
                                 f"企业“{values['name']}”在第{ent_plan.row}行的统一社会信用代码为{other_code}，与本行不一致。")
                    continue
                if ent_plan.key != key and code:
                    issues.error(row.number, header.label("ent.name"),
                                 f"统一社会信用代码{code}在第{ent_plan.row}行对应“{ent_plan.name}”，与本行企业名称不一致。")
                    continue
                existing = ent_plan.existing
                if code and existing is not None and existing.credit_code and existing.credit_code != code:
                    issues.error(row.number, header.label("ent.credit_code"),
                                 f"系统中“{existing.name}”的统一社会信用代码为{existing.credit_code}，与本行的{code}不一致。")
                    continue
                if code and code in self.by_code and self.by_code[code] is not existing:
                    issues.error(row.number, header.label("ent.credit_code"),
                                 f"统一社会信用代码{code}属于系统中的“{self.by_code[code].name}”，与本行企业名称不一致。")
                    continue
                if row.name_origin != ent_plan.rows[0].name_origin:
                    issues.warn(row.number, header.label("ent.name"),
                                f"企业“{values['name']}”在第{ent_plan.row}行已出现，两行的人员合并导入。",
                                key=("dup", ent_plan.row, row.number))
                for fld, value in values.items():
                    ent_plan.values.setdefault(fld, value)
            else:
                ok, existing = self.match_enterprise(row)
                if not ok:
                    continue
                ent_plan = EnterprisePlan(row=row.number, name=values["name"], key=key, existing=existing,
                                          values=dict(values))
                plan.enterprises.append(ent_plan)
                if existing is None:
                    twin = self.similar(key)
                    if twin is not None:
                        issues.warn(row.number, header.label("ent.name"),
                                    f"“{values['name']}”与系统中的“{twin.name}”名称相近，可能是同一企业；如是，请使用相同名称或填写统一社会信用代码。")
            if code:
                by_file_code[code] = ent_plan
            by_file_key[key] = ent_plan
            ent_plan.rows.append(row)
            for role, people in row.people.items():
                if not people:
                    continue
                planned = ent_plan.people.setdefault(role, [])
                for person in people:
                    pp = self.resolve_person(person, role, row, persons, name_phones)
                    if pp is not None and pp not in planned:
                        planned.append(pp)
            for role in ROLE_ORDER:
                if header.has(f"{role}.name") and not row.people.get(role) and role not in ent_plan.people:
                    label = header.label(f"{role}.name")
                    hint = "（CSV文件没有合并单元格信息：若原表此格为合并单元格，请逐行填写或改用Excel文件导入）" \
                        if self.kind == "csv" else ""
                    if ent_plan.existing is not None and self.active[ent_plan.existing.id][role]:
                        message = f"未填写{ASSIGNMENT_ROLES[role]}，保留系统中现有的包联关系。{hint}"
                    else:
                        message = f"未填写{ASSIGNMENT_ROLES[role]}。{hint}"
                    issues.warn(row.number, label, message, key=("norole", row.number, role))

        if issues.errors:
            return plan
        self._diff_enterprises(plan)
        self._diff_people(plan, persons)
        self._diff_assignments(plan)
        plan.persons = list(persons.values())
        return plan

    def _diff_enterprises(self, plan):
        for ep in plan.enterprises:
            ent = ep.existing
            if ent is None:
                plan.changes.append({"action": "create", "kind": "enterprise", "row": ep.row,
                                     "text": f"新增企业：{ep.name}" + (f"（{ep.values['credit_code']}）" if ep.values.get("credit_code") else "")})
                continue
            for fld, value in ep.values.items():
                old = getattr(ent, fld)
                if fld == "name":
                    if value == old or self.key(value) == self.key(old):
                        continue  # matched by name: the stored full name is kept
                    if value in self.by_name and self.by_name[value] is not ent:
                        self.issues.error(ep.row, self.header.label("ent.name"), f"企业名称“{value}”已被系统中另一家企业使用。")
                        continue
                    self.issues.warn(ep.row, self.header.label("ent.name"),
                                     f"按统一社会信用代码匹配到“{old}”，企业名称将改为“{value}”。")
                if fld == "credit_code" and old and old != value:
                    continue  # conflicts were refused while matching
                if old != value:
                    ep.updates[fld] = (old, value)
            if ep.updates:
                detail = "；".join(f"{FIELD_LABELS[f]}：{o or '（空）'} → {n}" for f, (o, n) in ep.updates.items())
                plan.changes.append({"action": "update", "kind": "enterprise", "row": ep.row,
                                     "text": f"更新企业：{ent.name}（{detail}）"})

    def _diff_people(self, plan, persons):
        for pp in persons.values():
            if pp.existing is None:
                plan.changes.append({"action": "create", "kind": "officer", "row": pp.row,
                                     "text": f"新增服务官：{pp.label}" + (f"，{pp.title}" if pp.title else "") + "，并开通登录账号"})
                continue
            officer = pp.existing
            for attr in ("title", "unit"):
                value = getattr(pp, attr)
                if value and value != getattr(officer, attr):
                    pp.updates[attr] = (getattr(officer, attr), value)
            if not officer.active:
                self.issues.warn(pp.row, "", f"服务官{officer.name}在系统中为“不在岗”，仍按名册建立包联关系，请核对。",
                                 key=("inactive", officer.id))
            if pp.updates:
                detail = "；".join(f"{OFFICER_FIELD_LABELS[f]}：{o or '（空）'} → {n}" for f, (o, n) in pp.updates.items())
                plan.changes.append({"action": "update", "kind": "officer", "row": pp.row,
                                     "text": f"更新服务官：{officer.name}（{detail}）"})

    def _diff_assignments(self, plan):
        for ep in plan.enterprises:
            for role in ROLE_ORDER:
                wanted = ep.people.get(role)
                if not wanted:
                    continue  # column absent or cell empty: existing assignments stay
                current = self.active[ep.existing.id][role] if ep.existing is not None else []
                current_ids = {a.officer_id for a in current}
                wanted_ids = {pp.existing.id for pp in wanted if pp.existing is not None}
                label = ASSIGNMENT_ROLES[role]
                names = "、".join(pp.name for pp in wanted)
                for a in current:
                    if a.officer_id not in wanted_ids:
                        officer = self.officer_by_id.get(a.officer_id)
                        reason = f"名册导入调整：{label}改为{names}（{self.filename}）"[:200]
                        plan.ends.append((a, reason, ep, role))
                        plan.changes.append({"action": "end", "kind": "assignment", "row": ep.row,
                                             "text": f"结束包联：{ep.existing.name} — {officer.name if officer else a.officer_id}（{label}）"})
                for pp in wanted:
                    if pp.existing is not None and pp.existing.id in current_ids:
                        continue
                    plan.creates.append((ep, pp, role))
                    plan.changes.append({"action": "create", "kind": "assignment", "row": ep.row,
                                         "text": f"新增包联：{ep.existing.name if ep.existing else ep.name} — {pp.name}（{label}）"})


def count_plan(plan, report):
    report["created"]["enterprise"] = sum(1 for ep in plan.enterprises if ep.existing is None)
    report["updated"]["enterprise"] = sum(1 for ep in plan.enterprises if ep.existing is not None and ep.updates)
    report["created"]["officer"] = sum(1 for pp in plan.persons if pp.existing is None)
    report["updated"]["officer"] = sum(1 for pp in plan.persons if pp.existing is not None and pp.updates)
    report["created"]["assignment"] = len(plan.creates)
    report["ended"]["assignment"] = len(plan.ends)


# --- applying -----------------------------------------------------------------------------


class ApplyError(Exception):
    pass


def _usernames():
    from flask_appbuilder.security.sqla.models import User

    return set(db.session.scalars(select(User.username)))


def _username(pp, taken):
    """"o" + the mobile number, else "officer" + the officer id; "-2", "-3"… when taken."""
    digits = re.sub(r"\D", "", pp.phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        base = f"o{digits}"
    elif pp.officer is not None and pp.officer.id is not None:
        base = f"officer{pp.officer.id:05d}"
    else:
        return None
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return name


def _new_login(sm, role, username, person, password):
    """A login for a new officer, as ``sm.add_user`` + ``sm.require_password_change`` make it,
    but without their per-user flush: ``add_user`` flushes the whole session for each user
    (even with commit=False), which made 700 new officers take ~6 s; here all the logins go in
    the one flush of the import."""
    from .models import AccountState

    user = sm.user_model()
    user.first_name = person.name[:1]
    user.last_name = person.name[1:] or person.name
    user.username = username
    user.email = f"{username}@cso.local"
    user.active = True
    user.roles = [role]
    user.password = generate_password_hash(password, method=INITIAL_PASSWORD_HASH)
    db.session.add(user)
    db.session.add(AccountState(user=user, failed_logins=0, must_change_password=True))
    return user


def apply_plan(plan, today):
    """Write the plan into the session (flushed, not committed). Returns the new logins."""
    from .demo import random_password

    sm = current_app.appbuilder.sm
    role = sm.find_role("Officer")
    if role is None:
        raise ApplyError("系统中缺少“Officer”角色，无法为新服务官开通账号。请先运行 flask cso sync-roles。")

    with db.session.no_autoflush:
        for ep in plan.enterprises:
            if ep.existing is None:
                ep.enterprise = Enterprise(is_key=True, **ep.values)
                db.session.add(ep.enterprise)
            else:
                ep.enterprise = ep.existing
                for fld, (_, new) in ep.updates.items():
                    setattr(ep.existing, fld, new)
        credentials = []
        taken = {u.lower() for u in _usernames()}

        def login(pp):
            pp.username = pp.username or _username(pp, taken)
            password = random_password()
            pp.officer.user = _new_login(sm, role, pp.username, pp, password)
            credentials.append({"name": pp.name, "unit": pp.unit or "", "title": pp.title or "",
                                "phone": pp.phone or "", "username": pp.username, "password": password})

        later = []
        for pp in plan.persons:
            if pp.existing is not None:
                pp.officer = pp.existing
                for attr, (_, new) in pp.updates.items():
                    setattr(pp.existing, attr, new)
                continue
            pp.officer = Officer(name=pp.name, phone=pp.phone, title=pp.title, unit=pp.unit, rank=pp.rank, active=True)
            db.session.add(pp.officer)
            pp.username = _username(pp, taken)  # "o" + mobile: known now, the login goes in the same INSERTs
            if pp.username:
                login(pp)
            else:
                later.append(pp)  # "officer<id>" needs the id
        for assignment, reason, ep, _role in plan.ends:
            try:
                end_assignment(assignment, reason, max(today, assignment.start_date))
            except RuleError as exc:
                raise ApplyError(f"第{ep.row}行：{exc}") from None
        db.session.flush()  # ended rows leave the partial unique index before the new ones arrive
        for pp in later:
            login(pp)
        db.session.flush()
    if plan.creates:  # many rows, no ids needed back: one executemany
        db.session.execute(Assignment.__table__.insert(), [
            {"enterprise_id": ep.enterprise.id, "officer_id": pp.officer.id, "role": role_name, "start_date": today,
             "end_date": None, "status": "active", "end_reason": None}
            for ep, pp, role_name in plan.creates])
    return credentials


# --- the entry point ----------------------------------------------------------------------


def _sorted(items):
    return sorted(items, key=lambda i: (i["row"] is not None, i["row"] or 0))


def _log(user, filename, sha, dry_run, report):
    entry = ImportLog(kind=KIND, user_id=getattr(user, "id", None), filename=(filename or "")[:255] or "（无文件名）",
                      sha256=sha, dry_run=bool(dry_run), ok=bool(report["ok"]), report=report)
    db.session.add(entry)
    return entry


def import_roster(data: bytes, filename: str, user=None, dry_run: bool = True) -> ImportResult:
    """Read, check and (unless ``dry_run`` or any error) apply a roster; always logs the attempt."""
    data = data or b""
    filename = os.path.basename((filename or "").replace("\\", "/"))
    sha = hashlib.sha256(data).hexdigest()
    report = empty_report(dry_run)
    result = ImportResult(report=report)
    issues = Issues()
    max_bytes, max_rows = _limits()
    today = clock.today()
    plan = None
    try:
        if len(data) > max_bytes:
            raise FileProblem(f"文件大小{_mib(len(data))}，超过上限{_mib(max_bytes)}，请删去无关的工作表或分批导入。")
        tables = read_tables(data, filename, max_rows)
        if not any(any(cell_text(v).strip() for v in row) for t in tables for row in t.rows):
            raise FileProblem("文件中没有任何数据。")
        table = header = None
        for candidate in tables:
            fill_merges(candidate)
            header = find_header(candidate.rows)
            if header is not None:
                table = candidate
                break
        if header is None:
            raise FileProblem(f"未找到表头：前{HEADER_SCAN_ROWS}行中需要有“企业名称”（或包联企业、服务企业）列，"
                              "以及“首席服务官”（或包联领导）或“具体分包人”（或联络员）列。")
        result.sheet = table.sheet
        if len(tables) > 1:
            issues.warn(None, "", f"工作簿有多个工作表，已读取“{table.sheet}”。")
        merge_warnings(table, header, issues)
        rows = parse_rows(table, header, issues, max_rows)
        if not rows and not issues.errors:
            raise FileProblem(f"表头（第{header.index + 1}行）下没有数据行。")
        planner = Planner(issues, filename, table.kind)
        plan = planner.plan(rows, header)
        if not issues.errors:
            count_plan(plan, report)
            result.changes = plan.changes
    except FileProblem as exc:
        issues.error(None, "", str(exc))
        result.file_error = True
        plan = None
    except Exception:  # noqa: BLE001 — a file we did not foresee is refused, never a 500
        db.session.rollback()
        log.exception("roster import could not read %r", filename)
        issues.error(None, "", "无法处理该文件（系统错误，已记录日志），未导入任何数据。请用Excel另存为.xlsx后重试，或联系管理员。")
        result.file_error = True
        plan = None

    report["errors"] = _sorted(issues.errors)
    report["warnings"] = _sorted(issues.warnings)
    report["ok"] = not issues.errors

    if report["ok"] and not dry_run and plan is not None:
        try:
            result.credentials = apply_plan(plan, today)
            entry = _log(user, filename, sha, dry_run, report)
            db.session.commit()
            result.log_id = entry.id
            return result
        except Exception as exc:  # noqa: BLE001 — all or nothing, and never a 500
            db.session.rollback()
            if isinstance(exc, ApplyError):
                message = str(exc)
            elif isinstance(exc, SQLAlchemyError):
                log.warning("roster import failed while writing: %s", exc)
                message = "写入数据库时发生冲突（可能有人同时修改了包联数据），未导入任何数据，请重新导入。"
            else:
                log.exception("roster import failed while writing")
                message = "导入时发生系统错误，未写入任何数据。请稍后重试或联系管理员。"
            report.update(empty_report(dry_run))
            report["errors"] = [{"row": None, "column": "", "message": message}]
            report["warnings"] = _sorted(issues.warnings)
            result.changes, result.credentials = [], []
    else:
        db.session.rollback()  # a dry run or a refused file writes nothing but its log line
    try:
        entry = _log(user, filename, sha, dry_run, report)
        db.session.commit()
        result.log_id = entry.id
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not write the import log")
    return result


def run_import(data: bytes, filename: str, user, dry_run: bool) -> dict:
    """The report of :func:`import_roster` (see the module docstring)."""
    return import_roster(data, filename, user, dry_run).report


# --- presentation helpers shared by the screen, the API and the CLI ----------------------------


def summary(report):
    """One Chinese sentence for a report."""
    verb = "预计" if report["dry_run"] else "已"
    c, u, e = report["created"], report["updated"], report["ended"]
    if not report["ok"]:
        return f"有{len(report['errors'])}处错误，未导入任何数据。"
    text = (f"{verb}新增企业{c['enterprise']}家、服务官{c['officer']}人、包联关系{c['assignment']}条；"
            f"更新企业{u['enterprise']}家、服务官{u['officer']}人；结束包联关系{e['assignment']}条。")
    if not any(c.values()) and not any(u.values()) and not e["assignment"]:
        text = "名册与系统一致，没有需要变更的数据。" if report["dry_run"] else "名册与系统一致，未做任何变更。"
    if report["warnings"]:
        text += f"提示{len(report['warnings'])}条。"
    return text


def where(item):
    parts = []
    if item.get("row"):
        parts.append(f"第{item['row']}行")
    if item.get("column"):
        parts.append(f"［{item['column']}］")
    return "".join(parts)


CREDENTIAL_COLUMNS = [("name", "姓名"), ("unit", "工作单位"), ("title", "职务"), ("phone", "联系电话"),
                      ("username", "登录账号"), ("password", "初始密码")]


def credentials_xlsx(credentials):
    """The new logins as an .xlsx sheet (in memory)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("新开通账号")
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = book.add_format({"num_format": "@", "border": 1})
    sheet.merge_range(0, 0, 0, len(CREDENTIAL_COLUMNS) - 1,
                      "服务官登录账号（初始密码仅此一次提供，首次登录须修改密码）", book.add_format({"bold": True}))
    for c, (_, label) in enumerate(CREDENTIAL_COLUMNS):
        sheet.write_string(1, c, label, bold)
    for r, cred in enumerate(credentials, start=2):
        for c, (key, _) in enumerate(CREDENTIAL_COLUMNS):
            sheet.write_string(r, c, str(cred.get(key) or ""), text)
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 3, 18)
    sheet.set_column(4, 5, 20)
    book.close()
    return buffer.getvalue()
