"""The append-only history of a workflow document, and the field setter that feeds it.

Each document type has an event table built on ``models.EventMixin``; :func:`record` adds one
row per action (who, when, what, from → to, note, the changed fields old → new)."""
from datetime import date

from .. import clock
from ..extensions import db


def actor_name(user):
    """How the history names the actor (a login's display name; 系统 for tasks and the CLI)."""
    if user is None:
        return "系统"
    return f"{user.first_name or ''}{user.last_name or ''}".strip() or user.username


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def set_field(doc, changes, field, value):
    """Assign ``doc.field = value`` and remember old → new in ``changes`` (dates as ISO text)."""
    old = getattr(doc, field)
    if old != value:
        changes[field] = [_plain(old), _plain(value)]
        setattr(doc, field, value)


def record(event_model, owner_field, doc, user, action, from_status, note=None, changes=None, internal=False):
    """Append one event to ``doc``'s history (``owner_field``: the event's relationship to it)."""
    event = event_model(**{owner_field: doc}, actor_id=user.id if user is not None else None,
                        actor_name=actor_name(user), action=action, from_status=from_status,
                        to_status=doc.status, note=note, changes=changes or None, internal=internal,
                        at=clock.utcnow())
    db.session.add(event)
    return event
