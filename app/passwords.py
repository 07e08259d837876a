"""The password policy (docs/architecture.md#security): what a password a user sets must be.

* at least 10 characters with three of: upper case, lower case, digits, symbols;
* not a common or breached password (``app/common_passwords.txt``, about 200 — 123456, a123456,
  woaini1314, qq123456, P@ssw0rd… — also with symbols, a leetspeak spelling or digits appended);
* not built on the holder's own username or name.

:func:`password_complexity` is FAB's ``FAB_PASSWORD_COMPLEXITY_VALIDATOR`` (every form where a
password is set: one's own change, the admin's reset, the admin's new user) and is called by
``app.accounts.create_login``; the holder's words come from the request (the form's username and
name fields, or the logged-in user on the own-change form) or are given as ``words``.
"""
import os
import re
from functools import lru_cache

from flask import has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError

LIST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "common_passwords.txt")
LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t"})
MIN_WORD = 3  # shorter usernames or names are not looked for inside a password


@lru_cache(maxsize=1)
def common_passwords():
    with open(LIST_FILE, encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip() and not line.startswith("#"))


def _variants(password):
    """The spellings a guesser would try first: lower case, symbols dropped, digits trimmed, leet read."""
    low = password.lower()
    core = re.sub(r"[^0-9a-z]", "", low)
    letters = re.sub(r"[^0-9a-z]+$", "", re.sub(r"[0-9]+[^0-9a-z]*$", "", low))  # trailing digits/symbols off
    leet = re.sub(r"[^a-z]", "", letters.translate(LEET))
    return {v for v in (low, core, re.sub(r"[0-9]+$", "", core), letters, leet) if v}


def is_common(password):
    """A listed password, or one followed by digits only, in any of its :func:`_variants`."""
    listed = common_passwords()
    for variant in _variants(password or ""):
        head = len(variant.rstrip("0123456789"))
        if any(variant[:end] in listed for end in range(max(head, 1), len(variant) + 1)):
            return True  # the listed word itself, or it with digits appended (qq123456 → qq123456789)
    return False


def _request_words():
    """The holder's username and name as the current form knows them."""
    if not has_request_context():
        return []
    words = [request.form.get(key) for key in ("username", "first_name", "last_name")]
    from flask_login import current_user

    endpoint = request.endpoint or ""
    holder = None
    if endpoint.startswith("ResetMyPasswordView") and current_user.is_authenticated:
        holder = current_user
    elif endpoint.startswith("ResetPasswordView") and (request.args.get("pk") or "").isdigit():
        from flask import current_app

        holder = current_app.appbuilder.sm.get_user_by_id(int(request.args["pk"]))
    if holder is not None:
        words += [holder.username, holder.first_name, holder.last_name,
                  (holder.first_name or "") + (holder.last_name or "")]
    first, last = request.form.get("first_name") or "", request.form.get("last_name") or ""
    return words + [first + last]


def personal(password, words=()):
    """Does the password contain the holder's username or name?"""
    low = (password or "").lower()
    for word in list(words) + _request_words():
        word = (word or "").strip().lower()
        if len(word) >= MIN_WORD or (word and not word.isascii() and len(word) >= 2):
            if word in low:
                return True
    return False


def password_complexity(password, words=()):
    """Raise PasswordComplexityValidationError (Chinese message) unless the password may be set."""
    password = password or ""
    classes = sum(bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]"))
    if len(password) < 10 or classes < 3:
        raise PasswordComplexityValidationError("密码至少10位，并包含大写字母、小写字母、数字、符号中的至少三类。")
    if is_common(password):
        raise PasswordComplexityValidationError("该密码过于常见（在常见或已泄露密码之列），请换一个不易猜到的密码。")
    if personal(password, words):
        raise PasswordComplexityValidationError("密码不能包含本人的账号或姓名。")
