"""Optimistic locking: every workflow document has a ``version`` column (SQLAlchemy's
``version_id_col``); a stale version or a lost race ends as one 409, never a 500."""
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from .errors import WorkflowError

STALE = "该记录已被他人更新，请刷新后再操作。"


def flush(stale=STALE):
    """Flush; a concurrent update of the same row (version mismatch) becomes a 409."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError(409, stale) from None


def commit(stale=STALE):
    """Commit the unit of work of one action, with the same 409 for a lost race."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError(409, stale) from None


def check_version(doc, version, stale=STALE):
    """409 when the caller acted on an older version of ``doc`` than the stored one."""
    if version in (None, ""):
        return
    try:
        given = int(version)
    except (TypeError, ValueError):
        raise WorkflowError(422, "version 应为整数。", "version") from None
    if given != doc.version:
        raise WorkflowError(409, stale)
