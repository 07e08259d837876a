"""Double submits: every create form and create API call may carry an idempotency key — the hidden
``idem_token`` field a form gets at each render (:func:`new_token`), or an ``Idempotency-Key`` header —
and a repeat of the same key by the same user answers with the first result (the same row), never
a second row (docs/architecture.md#security, README "Security").

The key is stored with the created row in the same transaction (unique per user, kind and key), so
two concurrent repeats cannot both commit: the loser's transaction is rolled back and it answers
with the winner's row. Requests without a key behave as before. The format of a key is checked by
the input layer (``views.install_request_guards``): ``KEY_FORMAT``.
"""
import re
import secrets

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import clock, db, scope
from .idempotency_model import IdempotencyKey

HEADER = "Idempotency-Key"
FORM_FIELD = "idem_token"  # no leading underscore: WTForms ignores such fields
KEY_FORMAT = re.compile(r"[A-Za-z0-9._:-]{8,80}")
BAD_KEY = "Idempotency-Key 应为8到80个字母、数字或 . _ : - 组成的字符串。"


class Repeated(Exception):
    """The key was committed by a concurrent request meanwhile; ``row`` is its result."""

    def __init__(self, row):
        super().__init__("repeated")
        self.row = row


def new_token():
    """A fresh token for one rendering of a create form (its hidden ``idem_token`` field)."""
    return secrets.token_urlsafe(24)


def request_key():
    """The key of the current request (header first, then the form's hidden field), or None."""
    if not has_request_context():
        return None
    key = request.headers.get(HEADER) or (request.form.get(FORM_FIELD) if request.form else None)
    return key if key and KEY_FORMAT.fullmatch(key) else None


def _user_id():
    user = scope.current_user()
    return getattr(user, "id", None)


def replayed(model, key=None):
    """The row a previous request with this key created (still visible to the user), or None."""
    key, user_id = key or request_key(), _user_id()
    if not key or user_id is None:
        return None
    row_id = db.session.scalar(select(IdempotencyKey.result_id).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.kind == model.__name__, IdempotencyKey.key == key))
    return db.session.get(model, row_id) if row_id is not None else None


def remember(row, key=None):
    """Store the key with the newly created (flushed) ``row``, in its transaction. Raises
    :class:`Repeated` (the session rolled back) when a concurrent request got there first."""
    key, user_id = key or request_key(), _user_id()
    if not key or user_id is None or row is None:
        return
    if row.id is None:
        db.session.flush()
    model = type(row)
    try:
        with db.session.begin_nested():
            db.session.add(IdempotencyKey(user_id=user_id, kind=model.__name__, key=key, result_id=row.id,
                                          created_at=clock.utcnow()))
    except IntegrityError:
        db.session.rollback()
        raise Repeated(replayed(model, key)) from None


def once(model, create):
    """``create()`` (which makes and flushes one ``model`` row — a class or its name) at most once per
    key: a repeat returns the first row instead. The caller commits, as it would after ``create()``."""
    if isinstance(model, str):
        model = IdempotencyKey.registry._class_registry[model]
    prior = replayed(model)
    if prior is not None:
        return prior
    row = create()
    try:
        remember(row)
    except Repeated as repeat:
        return repeat.row
    return row
