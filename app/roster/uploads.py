"""The uploaded roster between 预览 and 确认导入, kept for the user who previewed it.

The preview keeps the file's bytes under ``<instance>/imports/uploads/<token>`` (0600) with a
small ``<token>.json`` beside it: who previewed it (``user_id``), its sha256, name, the ``logins``
choice, the number of rows and the digest of the planned changes (:func:`app.roster.changes_digest`).
The page's form carries only the random token, so another user — even another office user with
the same file — cannot commit it (:func:`load` answers ``None`` for anyone but the owner), and the
commit cannot change what was previewed (the choice and the digest come from here, not the form).
The background job of 确认导入 (``app.jobs.kinds``, kind ``import``) reads the file from here and
removes it after its transaction committed (:func:`discard_after_commit`); what is never confirmed
goes after a day (:data:`KEEP_SECONDS`). See docs/jobs.md#roster-import.
"""
import json
import os
import re
import secrets
import time

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

KEEP_SECONDS = 24 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MISSING_UPLOAD = "找不到待导入的文件（可能已超过24小时，或不是您预览的文件），请重新上传并预览。"
_DISCARD = "cso_roster_discard"  # session.info key: tokens to remove once the transaction commits


def directory(*parts):
    path = os.path.join(current_app.instance_path, "imports", *parts)
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def purge(path):
    """Drop what is older than a day in ``path`` (uploads never confirmed, credentials never fetched)."""
    limit = time.time() - KEEP_SECONDS
    for name in os.listdir(path):
        full = os.path.join(path, name)
        try:
            if os.path.isfile(full) and os.path.getmtime(full) < limit:
                os.remove(full)
        except OSError:
            pass


def write_private(path, data):
    """Write ``data`` to ``path`` (owner read/write only), atomically."""
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _paths(token):
    base = os.path.join(directory("uploads"), token)
    return base, base + ".json"


def save(data, user_id, **meta):
    """Keep the previewed file for ``user_id``; returns its token (the only thing the form carries)."""
    purge(directory("uploads"))
    token = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(token)
    write_private(data_path, data)
    payload = {**meta, "user_id": user_id, "at": time.time()}
    write_private(meta_path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return token


def load(token, user_id):
    """``(bytes, meta)`` of the upload if ``user_id`` previewed it and it is not older than a day;
    ``None`` otherwise (missing, expired, a forged token, someone else's)."""
    if not token or not isinstance(token, str) or not TOKEN_RE.match(token) or user_id is None:
        return None
    data_path, meta_path = _paths(token)
    try:
        with open(meta_path, "rb") as fh:
            meta = json.loads(fh.read().decode("utf-8"))
        if meta.get("user_id") != user_id or time.time() - float(meta.get("at", 0)) > KEEP_SECONDS:
            return None
        with open(data_path, "rb") as fh:
            return fh.read(), meta
    except (OSError, ValueError, TypeError):
        return None


def meta_of(token, user_id):
    found = load(token, user_id)
    return found[1] if found else None


def discard(token):
    if token and isinstance(token, str) and TOKEN_RE.match(token):
        for path in _paths(token):
            try:
                os.remove(path)
            except OSError:
                pass


def discard_after_commit(session, token):
    """Remove the upload once ``session``'s open transaction commits (a rollback keeps it for 重试)."""
    session.info.setdefault(_DISCARD, set()).add(token)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    for token in session.info.pop(_DISCARD, ()):
        discard(token)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(_DISCARD, None)
