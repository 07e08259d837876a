"""Query-string arguments, parsed in one place for the screens, the REST API and the exports.

Each function reads one argument from ``args`` (a request's ``request.args``, or any mapping of
strings such as the CLI's ``-f KEY=VALUE`` filters), returns ``None`` when it is absent or empty
(no filter), and otherwise the parsed value — or raises :class:`QueryError` with the argument's
name and a Chinese message. Screens flash the message and go back to their list; the API answers
``400 {"message": {field: [message]}}``; nothing a user can type in a URL ends in a 500.

* ids: digits only, 1 … ``validation.MAX_ID`` (the same bound as ids in paths: an ``Integer``
  column holds no larger id; a larger number would also overflow SQLite's 64-bit integers);
* id lists and choice/text lists: comma-separated (ASCII or full-width comma), at most
  ``MAX_ITEMS`` items;
* dates ``YYYY-MM-DD`` and months ``YYYY-MM``, within ``DATE_MIN`` … ``DATE_MAX``;
* bounded integers for page numbers and page sizes.

The ``*_of`` functions parse a value already taken out of the arguments.
"""
import re
from datetime import date

from .validation import DATE_MAX, DATE_MIN, MAX_ID
MAX_ITEMS = 1000  # values in one list argument

_DIGITS = re.compile(r"[0-9]{1,19}")  # length-capped before int(): no huge conversions
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_SEPARATORS = re.compile(r"[,，]")
TRUE_WORDS = ("1", "true", "yes", "on")


class QueryError(ValueError):
    """A bad query argument: ``field`` is the argument's name, ``message`` the Chinese text."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message

    def as_api(self):
        """The body of the API's 400 answer."""
        return {"message": {self.field: [self.message]}}


def text_arg(args, key):
    """The argument's (first) value, stripped; None when absent or blank."""
    if not args:
        return None
    value = args.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _items(text, key, label):
    items = [v.strip() for v in _SEPARATORS.split(text) if v.strip()]
    if len(items) > MAX_ITEMS:
        raise QueryError(key, f"{label}最多可选{MAX_ITEMS}项。")
    return items


def _id_message(label, many=False):
    return f"{label}应为1到{MAX_ID}之间的数字编号" + ("（多个用逗号分隔）。" if many else "。")


def _id(text, key, label, many=False):
    if not _DIGITS.fullmatch(text) or not 0 < int(text) <= MAX_ID:
        raise QueryError(key, _id_message(label, many))
    return int(text)


def id_of(value, key, label):
    """One id from a value (str or int)."""
    return _id(str(value).strip(), key, label)


def ids_of(value, key, label):
    """A list of ids from a comma-separated value (an empty list for ``","``)."""
    return [_id(item, key, label, True) for item in _items(str(value), key, label)]


def id_arg(args, key, label):
    text = text_arg(args, key)
    return None if text is None else _id(text, key, label)


def id_list(args, key, label):
    text = text_arg(args, key)
    return None if text is None else ids_of(text, key, label)


def _in_window(day, key, label, shown):
    if not DATE_MIN <= day <= DATE_MAX:
        raise QueryError(key, f"{label}应在{DATE_MIN:%Y-%m-%d}至{DATE_MAX:%Y-%m-%d}之间，当前为{shown}。")
    return day


def date_of(value, key, label):
    """A calendar day ``YYYY-MM-DD`` within the window."""
    text = str(value).strip()
    match = _DATE.fullmatch(text)
    try:
        day = date(*(int(g) for g in match.groups())) if match else None
    except ValueError:
        day = None
    if day is None:
        raise QueryError(key, f"{label}格式应为YYYY-MM-DD（如2026-05-01），且须是存在的日期。")
    return _in_window(day, key, label, text)


def month_of(value, key, label):
    """A month ``YYYY-MM`` within the window, as the first day of that month."""
    text = str(value).strip()
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise QueryError(key, f"{label}格式应为YYYY-MM（如2026-05）。")
    return _in_window(date(int(match.group(1)), int(match.group(2)), 1), key, label, text)


def date_arg(args, key, label):
    text = text_arg(args, key)
    return None if text is None else date_of(text, key, label)


def month_arg(args, key, label):
    text = text_arg(args, key)
    return None if text is None else month_of(text, key, label)


def int_arg(args, key, label, default, minimum, maximum):
    """A whole number within [minimum, maximum] (page numbers, page sizes); ``default`` when absent."""
    text = text_arg(args, key)
    if text is None:
        return default
    if not _DIGITS.fullmatch(text) or not minimum <= int(text) <= maximum:
        raise QueryError(key, f"{label}应为{minimum}到{maximum}之间的整数。")
    return int(text)


def choices_of(value, key, label, allowed):
    """Comma-separated values, each one of ``allowed`` (a mapping or sequence of keys)."""
    items = _items(str(value), key, label)
    bad = [v for v in items if v not in allowed]
    if bad:
        raise QueryError(key, f"{label}：不认识的取值：{'、'.join(bad)}；可选：{'、'.join(allowed)}。")
    return items


def choice_list(args, key, label, allowed):
    text = text_arg(args, key)
    return None if text is None else choices_of(text, key, label, allowed)


def text_list(args, key, label):
    """Comma-separated free text values (names, regions); None when absent."""
    text = text_arg(args, key)
    return None if text is None else _items(text, key, label)


def flag_arg(args, key):
    """True for 1/true/yes/on, otherwise False."""
    text = text_arg(args, key)
    return text is not None and text.lower() in TRUE_WORDS


# --- Rison (FAB's REST list and _info arguments: ?q=(filters:!(…),page:0,page_size:25)) ------

MAX_RISON_CHARS = 4000
MAX_RISON_DEPTH = 8
_RISON_NUMBER = re.compile(r"-?[0-9]{1,19}(?:\.[0-9]{1,19})?")


def rison_problem(text):
    """Chinese message when ``q`` is not a Rison value FAB can use safely; None when it is.

    FAB 5.3 parses ``q`` with prison inside its ``@safe`` wrapper, so what prison or the database
    cannot take (``1.7e+34``, a 5,000-digit number, a float page, a huge offset) became a 500."""
    import prison

    if len(text) > MAX_RISON_CHARS:
        return f"查询参数 q 过长（最多{MAX_RISON_CHARS}个字符）。"
    try:
        value = prison.loads(text)
    except Exception:  # noqa: BLE001 — prison raises ValueError, IndexError, KeyError … on bad input
        return "查询参数 q 不是有效的 Rison 格式，如 (page:0,page_size:25)。"
    return _rison_value_problem(value, 0)


def _rison_value_problem(value, depth):
    if depth > MAX_RISON_DEPTH:
        return "查询参数 q 嵌套过深。"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if not _RISON_NUMBER.fullmatch(str(value)) or abs(value) > MAX_ID:
            return f"查询参数 q 中的数字超出范围（绝对值不超过{MAX_ID}）。"
        return None
    if isinstance(value, str):
        return None if len(value) <= MAX_RISON_CHARS else "查询参数 q 中的文本过长。"
    if isinstance(value, dict):
        for key in ("page", "page_size"):
            if key in value and (isinstance(value[key], bool) or not isinstance(value[key], int)):
                return f"查询参数 q 中的 {key} 应为整数。"
        items = value.values()
    else:
        items = value
    for item in items:
        problem = _rison_value_problem(item, depth + 1)
        if problem:
            return problem
    return None


# --- every request: argument lengths, JSON bodies (installed by views.install_request_guards) --

MAX_ARG_CHARS = 12000  # one query argument (an id list of MAX_ITEMS ids fits); SQLite's LIKE takes 50,000 bytes
MAX_JSON_BYTES = 1024 * 1024  # a JSON body; files go as multipart uploads with their own limits
MAX_JSON_DEPTH = 32
MAX_JSON_INT = 2**63 - 1  # what a 64-bit database integer holds (ids are bounded tighter: MAX_ID)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def args_problem(args):
    """(argument, Chinese message) for the first query argument longer than MAX_ARG_CHARS, or None."""
    for key, values in args.lists():
        if len(key) > MAX_ARG_CHARS or any(len(v) > MAX_ARG_CHARS for v in values):
            return key[:50], f"查询参数过长（每项最多{MAX_ARG_CHARS}个字符）。"
    return None


def json_depth(raw):
    """The nesting depth of a JSON text, counted without parsing it (strings skipped)."""
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def json_problem(raw):
    """Chinese message when a JSON body may not reach the views: too large, nested too deep (the
    parser would recurse out of its stack), unreadable, or holding numbers beyond 64 bits,
    NaN/Infinity or broken characters (lone surrogates); None when it is fine."""
    import json
    import math

    if len(raw) > MAX_JSON_BYTES:
        return f"请求体过大（JSON最多{MAX_JSON_BYTES // 1024}KB）。"
    if json_depth(raw) > MAX_JSON_DEPTH:
        return f"请求体嵌套过深（最多{MAX_JSON_DEPTH}层）。"
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return "请求体不是有效的JSON。"
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int) and abs(item) > MAX_JSON_INT:
            return f"请求体中的数字超出范围（绝对值不超过{MAX_JSON_INT}）。"
        elif isinstance(item, float) and not math.isfinite(item):
            return "请求体中的数字无效（不接受NaN或Infinity）。"
        elif isinstance(item, str) and re.search("[\ud800-\udfff]", item):
            return "请求体含有无效的字符编码（孤立的代理项）。"
    return None
