"""Rows → people: each data row is one enterprise with its chief(s) and liaison(s).

Blank, subtotal (合计/小计), repeated-header and column-number rows are skipped, and so is
everything from the first footnote (注/备注/填表人…) on. Several people or phones in one cell are
split (、，,；;/ or line breaks, not inside brackets) and paired in order; names, phones and
codes are normalised with :mod:`app.validation`. A row with data but no enterprise name is an
error, never dropped.
"""
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..accounts import valid_email
from ..models import ENTERPRISE_CATEGORIES
from ..validation import (
    LANDLINE, MOBILE, InvalidValue, clean_credit_code, clean_person_name, clean_phone, clean_text, nfkc,
    title_without_unit,
)
from .header import ENT_LOOKUP, FIELD_LABELS, OFFICER_FIELD_LABELS, is_placeholder, norm_label
from .read import cell_text
from .report import FileProblem

ROLE_ORDER = ("chief", "liaison")
MAX_LEN = {"name": 200, "subdistrict": 50, "industry": 50, "category": 50, "address": 300,
           "legal_rep": 50, "contact": 50}
OFFICER_MAX_LEN = {"title": 100, "unit": 100, "email": 120}

PERSON_SPLIT = re.compile(r"[、,，;；/／\\|\n\r]+")
FOOTNOTE = re.compile(r"^(?:注|备注|说明|附注|附件|填表说明)(?:$|\s*[:.、\d一二三四五六七八九十(])"
                      r"|^(?:填表人|填报人|制表人|制表|审核人|审核|负责人|单位负责人|填报日期|填表日期|制表日期|"
                      r"联系人|联系电话|报送单位|填报单位)\s*[:：]")
SUBTOTAL = re.compile(r"^(?:合计|小计|总计|共计)")
MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
OPEN_BRACKETS, CLOSE_BRACKETS = "(（[【", ")）]】"


@dataclass
class Person:
    name: str
    phone: str = None
    title: str = None
    unit: str = None
    email: str = None


@dataclass
class Row:
    number: int  # as Excel shows it (1-based)
    values: dict  # enterprise field → cleaned value (only non-empty cells of present columns)
    people: dict  # role → list of Person; role missing: column absent or cell empty
    name_origin: tuple = None


# --- one officer's details ---------------------------------------------------------------------


def _unscientific(text, raw, row, column, issues, origin):
    """"1.4708E+10" → its digits, or None (and an error) when Excel dropped some."""
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
    return digits


def _not_a_phone(raw):
    return (f"电话号码“{raw}”不正确：手机号应为11位（1开头，第二位3–9），座机号码为7–8位且不以0或1开头"
            "（如0391-3563650）。请核对是否漏填或多填了数字。")


def phone(raw, row, column, issues, origin):
    """Clean one phone; warnings for reformatting, errors for what cannot be a phone (never a guess)."""
    raw = (raw or "").strip()
    text = (nfkc(raw) or "").strip()
    if not text or is_placeholder(text):
        return None
    text = re.sub(r"\([^)]*\)", "", text)  # 13912345678(办)
    text = re.sub(r"[\u4e00-\u9fff:]+", "", text).strip()  # 手机:139…
    if SCIENTIFIC.match(text):
        text = _unscientific(text, raw, row, column, issues, origin)
        if text is None:
            return None
    try:
        value = clean_phone(text)
    except InvalidValue as exc:
        digits = re.sub(r"\D", "", text)
        if text.isdigit() and 9 <= len(digits) <= 11 and not digits.startswith(("0", "1")):
            try:  # a landline stored as a number lost its leading 0: 3913563650 → 0391-3563650
                value = clean_phone("0" + digits)
                if LANDLINE.match(value):
                    issues.warn(row, column, f"电话“{raw}”缺少开头的0（以数字保存所致），已按“{value}”导入。",
                                key=("phone0", origin))
                    return value
            except InvalidValue:
                pass
        issues.error(row, column, str(exc), key=("phone", origin, raw))
        return None
    if not (MOBILE.match(value) or LANDLINE.match(value)):
        issues.error(row, column, _not_a_phone(raw), key=("phone", origin, raw))
        return None
    if value != raw:
        issues.warn(row, column, f"电话“{raw}”已规范为“{value}”。", key=("phone", raw))
    return value


def email(raw, row, column, issues, origin):
    text = (nfkc(raw) or "").strip()
    if not text or is_placeholder(text):
        return None
    text = text.replace(" ", "").rstrip(".;；,，")
    if not valid_email(text):
        issues.error(row, column, f"电子邮箱“{raw.strip()}”格式不正确（应如 zhangsan@example.gov.cn）。",
                     key=("email", origin, raw))
        return None
    return text.lower()


# --- several values in one cell -----------------------------------------------------------------


def split(text, raw=False):
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
    return [p if raw else nfkc(p) for p in parts if p and not is_placeholder(p)]


def split_phones(text):
    out = []
    for part in split(text):
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


def _name_parts(typed):
    """One typed entry → (rest of the text, phone found in it, extra text in brackets or after the name)."""
    part = nfkc(typed)
    found_phone = None
    found = MOBILE_IN_TEXT.search(part)
    if found:
        found_phone = found.group(0)
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
    return part, found_phone, extra


def person_entries(raw, row, column, issues, origin):
    """Names in one cell → [(name, phone found in the cell, extra text in brackets)]."""
    entries = []
    for typed in split(raw, raw=True):
        part, found_phone, extra = _name_parts(typed)
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
        typed = typed.strip()
        if name != typed and (found_phone or extra):
            issues.warn(row, column, f"“{typed}”已拆分为姓名“{name}”" + (f"、职务“{extra}”" if extra else "")
                        + (f"、电话“{found_phone}”" if found_phone else "") + "。", key=("name", typed))
        elif name != typed:
            issues.warn(row, column, f"姓名“{typed}”已规范为“{name}”。", key=("name", typed))
        if len(name) > 4 and re.fullmatch(r"[\u4e00-\u9fff]+", name):
            issues.warn(row, column, f"姓名“{name}”较长，请确认没有把职务或单位写进姓名栏。", key=("long", name))
        entries.append((name, found_phone, extra))
    return entries


def pair(values, count, row, column, issues, what, origin):
    """Spread a list of values over ``count`` people in order."""
    if count == 0 or not values:
        return [None] * count
    if len(values) == count:
        return values
    if count == 1:
        if len(values) > 1 and what in ("电话", "电子邮箱"):
            issues.warn(row, column, f"一人填写了{len(values)}个{what}，已取第一个“{values[0]}”。", key=("multi", origin))
        return [values[0]]
    if len(values) == 1 and what not in ("电话", "电子邮箱"):
        return values * count
    issues.warn(row, column, f"{count}人对应{len(values)}个{what}，已按顺序配对，其余留空。", key=("pair", origin))
    return (values + [None] * count)[:count]


# --- the people of one role in one row ---------------------------------------------------------


class _Cells:
    """One data row as the parser reads it: raw text by column, and where a merged value came from."""

    def __init__(self, row, r, origin, number, header, issues):
        self.row, self.r, self.origin, self.number = row, r, origin, number
        self.header, self.issues = header, issues

    def raw(self, col):
        return cell_text(self.row[col]) if col is not None and col < len(self.row) else ""

    def origin_of(self, col):
        return self.origin.get((self.r, col), (self.r, col))


def _contacts(cells, role, entries, what, clean):
    """Phones or e-mails of the role's column, cleaned and paired with the names in order."""
    header, count = cells.header, len(entries)
    col = header.columns.get(f"{role}.{what}")
    if col is None:
        return [None] * count, None
    label, origin = header.labels[col], cells.origin_of(col)
    texts = split_phones(cells.raw(col)) if what == "phone" else split(cells.raw(col))
    cleaned = [v for v in (clean(t, cells.number, label, cells.issues, origin) for t in texts) if v]
    return pair(cleaned, count, cells.number, label, cells.issues, OFFICER_FIELD_LABELS[what], origin), cleaned


def _extras(cells, role, count):
    """Titles and units of the role's columns, one per person (a single value goes to everyone)."""
    header, extras = cells.header, {}
    for sub in ("title", "unit"):
        col = header.columns.get(f"{role}.{sub}")
        text = (nfkc(cells.raw(col)) or "").strip() if col is not None else ""
        if not text or is_placeholder(text):
            extras[sub] = [None] * count
        elif count == 1:
            extras[sub] = [clean_text(text)]
        else:
            parts = split(text)
            if len(parts) == count:
                extras[sub] = [clean_text(p) for p in parts]
            else:
                cells.issues.warn(cells.number, header.labels[col],
                                  f"{count}人的{OFFICER_FIELD_LABELS[sub]}无法逐一对应，已按整格填给每人。",
                                  key=("pair", cells.origin_of(col)))
                extras[sub] = [clean_text(text)] * count
    return extras


def parse_people(cells, role):
    """The people of one role in one row (names, with phones/titles/units/e-mails paired in order)."""
    header, issues, row = cells.header, cells.issues, cells.number
    name_col = header.columns[f"{role}.name"]
    name_label = header.labels[name_col]
    entries = person_entries(cells.raw(name_col), row, name_label, issues, cells.origin_of(name_col))
    if not entries:
        return []
    count = len(entries)
    phones, cleaned = _contacts(cells, role, entries, "phone", phone)
    if count > 1:
        paired = "已与电话按顺序配对" if cleaned is not None and len(cleaned) == count else "已分别导入"
        if cleaned is None or len(cleaned) == count:
            issues.warn(row, name_label, f"一个单元格中有{count}人（{'、'.join(e[0] for e in entries)}），{paired}。",
                        key=("split", cells.origin_of(name_col)))
    emails, _ = _contacts(cells, role, entries, "email", email)
    extras = _extras(cells, role, count)
    people, seen = [], set()
    for i, (name, inline_phone, extra) in enumerate(entries):
        number = phones[i]
        if number is None and inline_phone:
            number = phone(inline_phone, row, name_label, issues, cells.origin_of(name_col))
        unit = extras["unit"][i]
        title = extras["title"][i]
        if title is None and extra:  # 何伟（区工信局局长）
            title = clean_text(extra)
        title = title_without_unit(title, unit)
        for sub, value in (("title", title), ("unit", unit)):
            if value and len(value) > OFFICER_MAX_LEN[sub]:
                issues.error(row, header.label(f"{role}.{sub}") or name_label,
                             f"{OFFICER_FIELD_LABELS[sub]}不能超过{OFFICER_MAX_LEN[sub]}个字。")
        if (name, number) in seen:
            continue
        seen.add((name, number))
        people.append(Person(name=name, phone=number, title=title, unit=unit, email=emails[i]))
    return people


# --- rows ----------------------------------------------------------------------------------------


def _texts(row):
    return [re.sub(r"\s+", "", nfkc(cell_text(v)) or "") for v in row]


def _is_number_row(texts):
    cells = [t for t in texts if t]
    return len(cells) >= 3 and all(t.isdigit() and len(t) <= 2 for t in cells)


def _enterprise_value(cells, fld, col):
    """The cleaned value of one enterprise cell, or None (empty, or refused with an error/warning)."""
    issues, number, label = cells.issues, cells.number, cells.header.labels[col]
    text = (nfkc(cells.raw(col)) or "").strip()
    if not text or is_placeholder(text):
        return None
    if fld == "credit_code":
        try:
            return clean_credit_code(text)
        except InvalidValue as exc:
            issues.error(number, label, f"{exc}（表中为“{text}”）")
            return None
    if fld == "phone":
        return phone(cells.raw(col), number, label, issues, cells.origin_of(col))
    value = clean_text(text)
    if fld == "name" and cells.raw(col).strip() != value:
        issues.warn(number, label, f"企业名称“{cells.raw(col).strip()}”已规范为“{value}”（全角字符、空格）。",
                    key=("ent", cells.origin_of(col)))
    if len(value) > MAX_LEN.get(fld, 200):
        issues.error(number, label, f"{FIELD_LABELS[fld]}不能超过{MAX_LEN[fld]}个字。")
        return None
    if fld == "category" and value not in ENTERPRISE_CATEGORIES:
        issues.warn(number, label, f"企业类别“{value}”不在可选范围（{'、'.join(ENTERPRISE_CATEGORIES)}）内，已忽略。",
                    key=("cat", value, cells.origin_of(col)))
        return None
    return value


def _parse_row(cells):
    """One data row → :class:`Row`, or None (with an error when the row holds data but no name)."""
    header = cells.header
    values = {}
    for key, col in header.columns.items():
        if key.startswith("ent."):
            value = _enterprise_value(cells, key[4:], col)
            if value is not None:
                values[key[4:]] = value
    people = {role: parse_people(cells, role) for role in ROLE_ORDER if header.has(f"{role}.name")}
    if not values.get("name"):
        filled = [header.labels[col] for col in sorted(header.columns.values())
                  if (nfkc(cells.raw(col)) or "").strip()]
        if values or any(people.values()) or filled:
            detail = f"（本行填有“{'、'.join(filled[:4])}”）" if filled else ""
            cells.issues.error(cells.number, header.label("ent.name"),
                               f"企业名称不能为空{detail}：请补填企业名称，或删除本行。")
        return None
    name_col = header.columns["ent.name"]
    return Row(number=cells.number, values=values, people=people, name_origin=cells.origin_of(name_col))


def _skipped(texts, header, head_texts):
    """Subtotal, repeated header and column-number rows carry no data."""
    first = next(t for t in texts if t)
    name_col = header.columns["ent.name"]
    name_text = texts[name_col] if name_col < len(texts) else ""
    if SUBTOTAL.match(first) or SUBTOTAL.match(name_text):
        return True
    if name_text and norm_label(name_text) in head_texts and norm_label(name_text) in ENT_LOOKUP:
        return True  # the header repeated (printed over several pages)
    return _is_number_row(texts)  # a row of column numbers under the header


def _after_footer(texts, header, footer, number, issues):
    """A row below the footnotes: never imported; a warning when it looks like data."""
    name_col = header.columns["ent.name"]
    if name_col < len(texts) and texts[name_col] and any(
            header.columns.get(f"{role}.name") is not None and header.columns[f"{role}.name"] < len(texts)
            and texts[header.columns[f"{role}.name"]] for role in ROLE_ORDER):
        issues.warn(number, header.label("ent.name"), f"本行位于表尾的说明（第{footer}行）之后，未导入；"
                    "如是数据，请把说明移到表格最后。")


def parse_rows(table, header, issues, max_rows):
    """The data rows of the table below its header, as :class:`Row` s."""
    rows_out = []
    head_texts = {norm_label(header.labels[c]) for c in header.labels}
    data_rows = 0
    footer = None
    for r in range(header.data_start, len(table.rows)):
        row = table.rows[r]
        number = r + 1
        texts = _texts(row)
        first = next((t for t in texts if t), None)
        if first is None:
            continue
        if footer is not None:
            _after_footer(texts, header, footer, number, issues)
            continue
        if FOOTNOTE.match(first):
            footer = number  # 注/填表人 … and everything below them
            continue
        if _skipped(texts, header, head_texts):
            continue
        data_rows += 1
        if data_rows > max_rows:
            raise FileProblem(f"数据超过单次导入上限{max_rows}行，请分批导入。")
        parsed = _parse_row(_Cells(row, r, table.origin, number, header, issues))
        if parsed is not None:
            rows_out.append(parsed)
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
