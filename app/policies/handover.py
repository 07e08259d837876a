"""What of the policy library is open for an enterprise when its officer hands over (app/recall):
open applications (拟申报/已申报/已受理) and eligible in-force items the enterprise was not told of."""
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Enterprise
from ..vocab import UPTAKE_OPEN, UPTAKE_STATUSES
from .models import PolicyDelivery, PolicyItem, PolicyUptake
from .rules import item_in_force, pair_select, told


def open_items(enterprise_ids, officer_id=None):
    """[{kind: "policy", id, number_or_title, title, status_label, url, enterprise_id}] for these
    enterprises. ``officer_id`` is accepted for the handover's signature; the items are the enterprise's,
    whoever told it. ``id`` is the uptake's id for an application, the item's for an untold item."""
    ids = [int(i) for i in enterprise_ids or () if i is not None]
    if not ids:
        return []
    out = []
    rows = db.session.execute(select(PolicyUptake, PolicyItem).join(PolicyItem, PolicyItem.id == PolicyUptake.item_id)
                              .where(PolicyUptake.enterprise_id.in_(ids), PolicyUptake.status.in_(UPTAKE_OPEN))
                              .order_by(PolicyUptake.enterprise_id, PolicyUptake.id)).all()
    for uptake, item in rows:
        delivery = db.session.scalar(select(PolicyDelivery.id).where(
            PolicyDelivery.item_id == item.id, PolicyDelivery.enterprise_id == uptake.enterprise_id)
            .order_by(PolicyDelivery.id.desc()).limit(1))
        out.append({"kind": "policy", "id": uptake.id, "number_or_title": item.policy.doc_number or item.policy.title,
                    "title": f"申兑：{item.name}", "status_label": UPTAKE_STATUSES[uptake.status],
                    "url": f"/policies/deliveries/{delivery}" if delivery else f"/policies/items/{item.id}",
                    "enterprise_id": uptake.enterprise_id})
    untold = db.session.execute(pair_select(PolicyItem, Enterprise.id, items=[item_in_force(clock.today())],
                                            enterprises=[Enterprise.id.in_(ids)]).where(~told())
        .order_by(Enterprise.id, PolicyItem.id)).all()
    for item, ent_id in untold:
        out.append({"kind": "policy", "id": item.id, "number_or_title": item.policy.doc_number or item.policy.title,
                    "title": f"未宣传：{item.name}", "status_label": "应知未知", "url": f"/policies/items/{item.id}",
                    "enterprise_id": ent_id})
    return out
