"""Metrics of the policy library for assessments and the dashboard (their definitions are in
app.stats.RATES: ``policy_reach``, ``policy_cash_on_time``).

* :func:`reach` — 政策宣传到位率 per officer: of the (enterprise, item) pairs where the enterprise is
  served by the officer at the end of the period and the item is in force then and applies to it, the
  share told of the item's current revision on or before the period's last day.
* :func:`cash_out_on_time` — 政策按期兑现率: of the applications paid in the period, the share paid
  within the item's 兑现时限 (working days after 受理; no limit or no 受理 date counts as on time).
"""
from sqlalchemy import exists, or_, select

from .. import stats
from ..extensions import db
from ..models import Assignment, Enterprise
from .models import PolicyDelivery, PolicyItem, PolicyUptake
from .rules import item_in_force, pair_select


def reach(officer_ids, period):
    """{officer_id: app.stats.Rate} for the given officers over ``period`` (an app.stats.Period)."""
    ids = [int(i) for i in officer_ids or () if i is not None]
    if not ids:
        return {}
    end = period.end
    told = exists().where(PolicyDelivery.item_id == PolicyItem.id, PolicyDelivery.enterprise_id == Enterprise.id,
                          PolicyDelivery.item_revision == PolicyItem.revision, PolicyDelivery.delivered_on <= end)
    served = [Assignment.officer_id.in_(ids), Assignment.start_date <= end,
              or_(Assignment.end_date.is_(None), Assignment.end_date >= end)]
    rows = db.session.execute(pair_select(
        Assignment.officer_id, PolicyItem.id, Enterprise.id, told.label("told"), items=[item_in_force(end)],
        enterprises=[Enterprise.id.in_(select(Assignment.enterprise_id).where(*served))]).join(
        Assignment, Assignment.enterprise_id == Enterprise.id).where(*served).distinct()).all()
    pairs = {i: set() for i in ids}
    hits = {i: set() for i in ids}
    for officer_id, item_id, ent_id, was_told in rows:
        pairs[officer_id].add((item_id, ent_id))
        if was_told:
            hits[officer_id].add((item_id, ent_id))
    return {i: stats.rate("policy_reach", len(hits[i]), len(pairs[i])) for i in ids}


def cash_out_on_time(period, department_ids=None):
    """app.stats.Rate over the applications paid in ``period`` (optionally of these departments' items)."""
    from .deliveries import cash_due

    query = select(PolicyUptake).join(PolicyItem, PolicyItem.id == PolicyUptake.item_id).where(
        PolicyUptake.status == "paid", period.covers(PolicyUptake.paid_on))
    if department_ids is not None:
        query = query.where(PolicyItem.department_id.in_(list(department_ids)))
    rows = db.session.scalars(query).all()
    on_time = 0
    for row in rows:
        due = cash_due(row)
        on_time += due is None or row.paid_on <= due
    return stats.rate("policy_cash_on_time", on_time, len(rows))


__all__ = ["reach", "cash_out_on_time"]
