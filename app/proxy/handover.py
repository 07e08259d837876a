"""What the recall helper's handover list (issue 15 item 7) needs from 代办: the open cases an outgoing
officer handles for the given enterprises. Moving them is ``app.proxy.rules.reassign``."""
from sqlalchemy import select

from ..extensions import db
from ..vocab import PROXY_OPEN
from .models import ProxyCase


def open_items(enterprise_ids, officer_id):
    """[{kind: "proxy", id, number, title, status_label, url}] — open cases (not delivered, terminated or
    cancelled) of ``enterprise_ids`` handled by ``officer_id``, oldest first."""
    ids = [int(i) for i in enterprise_ids or ()]
    if not ids:
        return []
    cases = db.session.scalars(select(ProxyCase).where(
        ProxyCase.enterprise_id.in_(ids), ProxyCase.officer_id == officer_id, ProxyCase.status.in_(PROXY_OPEN))
        .order_by(ProxyCase.id)).all()
    return [{"kind": "proxy", "id": c.id, "number": c.number, "title": c.title, "status_label": c.status_label,
             "url": f"/proxy/{c.id}"} for c in cases]
