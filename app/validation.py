"""Field rules shared by every entry point (forms, REST, CLI, import).

Each ``clean_*`` function returns the normalised value or raises :class:`InvalidValue`
with a message in Chinese. Adapters at the bottom turn them into WTForms and marshmallow
validators so that the HTML forms and the API give the same answer.
"""
import re
import unicodedata
from datetime import date, datetime

import marshmallow
import wtforms


class InvalidValue(ValueError):
    """A value that breaks a business rule; ``str(exc)`` is the Chinese message, ``field`` the
    attribute it was meant for when known (set by :func:`checked`)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def checked(key, func, value):
    """``func(value)`` for a model's ``@validates(key)`` hook: a refusal names its field."""
    try:
        return func(value)
    except InvalidValue as exc:
        raise InvalidValue(str(exc), key) from None


# --- text ---------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def nfkc(text):
    """Full-width to half-width, ideographic spaces to plain ones, trimmed."""
    if text is None:
        return None
    return unicodedata.normalize("NFKC", str(text)).replace("\u3000", " ").strip()


# --- what stored text may hold (docs/architecture.md#security) ------------------------------

SHORT_TEXT_MAX = 200  # a one-line value without a column length of its own
LONG_TEXT_MAX = 5000  # descriptions, summaries, notes (Text columns, workflow parameters)
# control characters (C0 but tab/newline/CR in long texts, DEL, C1), bidirectional embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069), and lone surrogates
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_problem(text, max_length=None, multiline=False):
    """The Chinese reason ``text`` may not be stored, or None. ``max_length`` None: LONG_TEXT_MAX
    for multi-line text, SHORT_TEXT_MAX otherwise."""
    if text is None:
        return None
    text = str(text)
    limit = max_length or (LONG_TEXT_MAX if multiline else SHORT_TEXT_MAX)
    if len(text) > limit:
        return f"内容过长：最多{limit}个字符，当前为{len(text)}个。"
    if _SURROGATE.search(text):
        return "内容含有无效的字符编码（孤立的代理项），请重新输入。"
    if _CONTROL.search(text) or (not multiline and _LINE_BREAKS.search(text)):
        return "内容含有不可见的控制字符（如NUL" + ("" if multiline else "、换行") + "），请删除后重新输入。"
    if _BIDI.search(text):
        return "内容含有改变文字方向的不可见字符（如U+202E），请删除后重新输入。"
    return None


def check_text(text, max_length=None, multiline=False):
    """``text`` unchanged, or :class:`InvalidValue` with the reason."""
    problem = text_problem(text, max_length, multiline)
    if problem:
        raise InvalidValue(problem)
    return text


def column_limit(column):
    """(max length, multi-line) of a String/Text column, or None for other types."""
    import sqlalchemy as sa

    if not isinstance(column.type, sa.String):
        return None
    if isinstance(column.type, sa.Text) or not column.type.length:
        return LONG_TEXT_MAX, True
    return column.type.length, False


DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2100, 12, 31)  # the calendar window of every date we store


def date_problem(day):
    """The Chinese reason a calendar day is outside the window, or None."""
    if isinstance(day, datetime):
        day = day.date()
    if isinstance(day, date) and not DATE_MIN <= day <= DATE_MAX:
        return f"日期应在{DATE_MIN:%Y-%m-%d}至{DATE_MAX:%Y-%m-%d}之间，当前为{day.isoformat()}。"
    return None


def clean_date(value):
    """A calendar day from a form, JSON or a parameter (``YYYY-MM-DD`` or a date) within the window."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = str(value).strip()
        try:
            value = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
        except ValueError:
            value = None
        if value is None:
            raise InvalidValue("日期格式应为YYYY-MM-DD（如2026-05-01），且须是存在的日期。")
    problem = date_problem(value)
    if problem:
        raise InvalidValue(problem)
    return value


def value_errors(item):
    """Field → message for every String/Text column of a row that breaks the text rules and every
    Date column outside the window: the same limits for forms, API, CLI and import."""
    import sqlalchemy as sa

    errors = {}
    state = sa.inspect(item)
    for attr in state.mapper.column_attrs:
        if state.persistent and not state.attrs[attr.key].history.has_changes():
            continue  # a stored value nobody touched now does not block an unrelated edit
        value = getattr(item, attr.key, None)
        if isinstance(value, str):
            limit = column_limit(attr.columns[0])
            problem = limit and text_problem(value, *limit)
        else:
            problem = date_problem(value) if isinstance(attr.columns[0].type, sa.Date) else None
        if problem:
            errors[attr.key] = problem
    return errors


def clean_person_name(text):
    """Names lose their padding: "王　伟" → "王伟"."""
    text = nfkc(check_text(text, 200, multiline=True))  # line breaks collapse below
    if not text:
        raise InvalidValue("姓名不能为空。")
    if re.search(r"[\u4e00-\u9fff]", text):
        text = _SPACES.sub("", text)
    else:
        text = _SPACES.sub(" ", text)
    return text


def clean_text(text):
    """One-line text (names): normalised (NFKC, one space between words); refused when it holds
    control, direction or broken characters (:func:`text_problem`)."""
    text = nfkc(check_text(text, LONG_TEXT_MAX, multiline=True))  # line breaks collapse below
    return _SPACES.sub(" ", text) if text else text


# --- unified social credit code (GB 32100-2015) ---------------------------------------------

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_char(first17):
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def clean_credit_code(code):
    """Return the upper-case code, or raise with the reason it is wrong."""
    code = nfkc(code)
    if not code:
        return None
    code = code.replace(" ", "").upper()
    if len(code) != 18:
        raise InvalidValue(f"统一社会信用代码应为18位，当前为{len(code)}位。")
    bad = sorted({c for c in code if c not in CREDIT_CHARSET})
    if bad:
        raise InvalidValue(f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用I、O、Z、S、V）。")
    if credit_check_char(code[:17]) != code[17]:
        raise InvalidValue("统一社会信用代码校验位不正确，请核对后重新输入。")
    return code


# --- phones ------------------------------------------------------------------------------

_AREA3 = ("010", "020", "021", "022", "023", "024", "025", "027", "028", "029")


# what a phone is once cleaned: a mobile 1[3-9] + 9 digits, or area code - local number, where a
# local number has 7 or 8 digits and never starts with 0 or 1
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-[2-9]\d{6,7}$")
LOCAL_NUMBER = re.compile(r"[2-9]\d{6,7}")


def _area_code():
    from flask import current_app, has_app_context

    return current_app.config.get("CSO_AREA_CODE", "0391") if has_app_context() else "0391"


def clean_phone(phone):
    """Mobile numbers become 11 digits; landlines ``0391-1234567`` (area code, dash, number)."""
    text = nfkc(phone)
    if not text:
        return None
    if re.fullmatch(r"\d+\.0", text):  # a number cell read as float
        text = text[:-2]
    digits = re.sub(r"[\s\-()（）—.]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isdigit():
        raise InvalidValue(f"电话号码“{phone}”格式不正确：只能包含数字、空格和“-”。")
    if len(digits) == 11 and digits.startswith("1"):
        if digits[1] not in "3456789":
            raise InvalidValue(f"手机号码“{phone}”不正确。")
        return digits
    if digits.startswith("0"):
        area_len = 3 if digits[:3] in _AREA3 else 4
        area, number = digits[:area_len], digits[area_len:]
        if LOCAL_NUMBER.fullmatch(number):
            return f"{area}-{number}"
    elif LOCAL_NUMBER.fullmatch(digits):  # a local number without the area code: the district's own
        return f"{_area_code()}-{digits}"
    # anything else is not guessed: 1383911 is a truncated mobile, not a landline
    raise InvalidValue(f"电话号码“{phone}”格式不正确：手机号应为11位，座机应为“区号-号码”，如0391-3563650。")


# --- ids ------------------------------------------------------------------------------------

MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite would overflow only past 2**63


def valid_id(value):
    """A row id as it may arrive in a URL or a form: digits only, within the integer range."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value <= MAX_ID
    text = str(value)
    return text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID


# --- adapters ---------------------------------------------------------------------------


class FormRule:
    """WTForms validator: normalises ``field.data`` in place or shows the message by the field."""

    def __init__(self, func):
        self.func = func

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = self.func(field.data)
        except InvalidValue as exc:
            raise wtforms.validators.StopValidation(str(exc)) from None


def api_rule(func):
    """marshmallow validator built from a ``clean_*`` function."""

    def validator(value):
        if value in (None, ""):
            return
        try:
            func(value)
        except InvalidValue as exc:
            raise marshmallow.ValidationError(str(exc)) from None

    return validator


# --- officers' positions ----------------------------------------------------------------------

def title_without_unit(title, unit):
    """The title without the unit in front: ("区党工委副书记", "区党工委") → "副书记", so that
    unit + title never reads "区党工委区党工委副书记"."""
    if title and unit and title.startswith(unit) and len(title) > len(unit):
        return title[len(unit):].lstrip(" ·-—、，,")
    return title


def position(unit, title):
    """Unit and title as one phrase (区党工委副书记), the unit written once."""
    title = title_without_unit(title, unit)
    return f"{unit or ''}{title or ''}"
