"""Field rules shared by every entry point (forms, REST, CLI, import).

Each ``clean_*`` function returns the normalised value or raises :class:`InvalidValue`
with a message in Chinese. Adapters at the bottom turn them into WTForms and marshmallow
validators so that the HTML forms and the API give the same answer.
"""
import re
import unicodedata

import marshmallow
import wtforms


class InvalidValue(ValueError):
    """A value that breaks a business rule; ``str(exc)`` is the Chinese message."""


# --- text ---------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def nfkc(text):
    """Full-width to half-width, ideographic spaces to plain ones, trimmed."""
    if text is None:
        return None
    return unicodedata.normalize("NFKC", str(text)).replace("\u3000", " ").strip()


def clean_person_name(text):
    """Names lose their padding: "王　伟" → "王伟"."""
    text = nfkc(text)
    if not text:
        raise InvalidValue("姓名不能为空。")
    if re.search(r"[\u4e00-\u9fff]", text):
        text = _SPACES.sub("", text)
    else:
        text = _SPACES.sub(" ", text)
    return text


def clean_text(text):
    text = nfkc(text)
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
