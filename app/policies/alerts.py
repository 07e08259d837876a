"""What the sweep (app.reminders.sweep, every quarter hour) does for the policy library: policies past
their 失效日期 are stored as 已失效 (every read already goes by date), and an application window that
closes within POLICY_WINDOW_ALERT_DAYS working days with eligible enterprises not applied alerts their
officers and the office (app.notifications.notify, one per item, window and user)."""
from sqlalchemy import and_, exists, select

from .. import clock, scope, workdays
from ..extensions import db
from ..models import Enterprise, User
from ..vocab import OFFICE_STAFF_ROLES, POLICY_NOT_APPLYING, POLICY_WINDOW_ALERT_DAYS, UPTAKE_APPLIED
from .deliveries import NO_APPLICATION
from .models import Policy, PolicyDelivery, PolicyItem, PolicyUptake
from .rules import item_in_force, notify, officer_users, pair_select


def expire(today):
    """Store 已失效 on 现行有效 policies whose 失效日期 has passed; returns how many."""
    rows = db.session.scalars(select(Policy).where(Policy.status == "current", Policy.effective_to < today)).all()
    for policy in rows:
        policy.status = "expired"
        policy.updated_at = clock.utcnow()
    return len(rows)


def not_applied():
    """Criterion over PolicyItem × Enterprise: no application and no answer that rules it out."""
    applied = exists().where(PolicyUptake.item_id == PolicyItem.id, PolicyUptake.enterprise_id == Enterprise.id,
                             PolicyUptake.status.in_(UPTAKE_APPLIED))
    declined = exists().where(PolicyDelivery.item_id == PolicyItem.id, PolicyDelivery.enterprise_id == Enterprise.id,
                              PolicyDelivery.interest.in_(POLICY_NOT_APPLYING))
    return and_(~applied, ~declined)


def closing_items(today):
    """In-force items one applies for (not 免申即享) whose window closes today or within the alert's working days."""
    items = db.session.scalars(select(PolicyItem).where(
        item_in_force(today), PolicyItem.cash_mode.notin_(NO_APPLICATION), PolicyItem.window_close >= today,
        PolicyItem.window_close <= workdays.add_workdays(today, POLICY_WINDOW_ALERT_DAYS))).all()
    return [i for i in items if workdays.workdays_between(today, i.window_close) <= POLICY_WINDOW_ALERT_DAYS]


def window_gaps(today, item_ids=None):
    """{item: [enterprise ids]} of closing windows with eligible enterprises not applied."""
    out = {}
    for item in closing_items(today):
        if item_ids is not None and item.id not in item_ids:
            continue
        ents = list(db.session.scalars(pair_select(Enterprise.id, items=[PolicyItem.id == item.id]).where(not_applied())
                                       .order_by(Enterprise.id)))
        if ents:
            out[item] = ents
    return out


def office_users():
    users = db.session.scalars(select(User).where(User.active.is_(True))).all()
    return [u.id for u in users if scope.role_names(u) & OFFICE_STAFF_ROLES]


def window_alerts(today):
    """Alert officers (for their enterprises) and the office (for all); returns the number of items."""
    gaps = window_gaps(today)
    office = office_users()
    for item, ents in gaps.items():
        left = workdays.workdays_between(today, item.window_close)
        title = (f"惠企事项“{item.name}”申报将于{item.window_close.month}月{item.window_close.day}日截止"
                 f"（剩{left}个工作日），{len(ents)}家符合条件的企业尚未申报")
        key = f"policy_window:{item.id}:{item.window_close.isoformat()}"
        notify(officer_users(ents) + office, title, f"/policies/items/{item.id}", key=key)
    return len(gaps)


def run(today=None):
    """The sweep's step (idempotent: notify dedupes by key); returns a summary."""
    today = today or clock.today()
    expired = expire(today)
    alerted = window_alerts(today) if workdays.is_workday(today) else 0
    db.session.flush()
    return {"policies_expired": expired, "policy_window_alerts": alerted}
