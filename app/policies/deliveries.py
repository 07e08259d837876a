"""Who was told what (送达), the enterprise's confirmation and interest, uptake (申兑: 拟申报 → 已申报 →
已受理 → 已兑现 / 未通过), the stalled cash-out that becomes a ledger problem in one step, and the 应知未知
list (eligible, in force, not told of the current revision)."""
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, select

from .. import clock, scope, workdays
from ..extensions import db
from ..models import Assignment, Enterprise, Officer, Visit
from ..validation import InvalidValue, clean_date, valid_id
from ..vocab import (
    CASH_MODES, DELIVERY_CHANNELS, DEPARTMENT, ENTERPRISE, OFFICER, POLICY_INTEREST, POLICY_ISSUE_CATEGORY, UPTAKE_STATUSES,
)
from .models import PolicyDelivery, PolicyItem, PolicyUptake, PolicyUptakeEvent
from .rules import (
    PolicyError, _choice, _text, eligible, is_office, item_in_force, load, pair_select, served_by, told, told_before,
    unit_ids,
)

POLICY_TOPIC = "政策宣传"


def load_delivery(user, pk):
    return load(PolicyDelivery, user, pk, "宣传送达记录")


def _officer_enterprises(user):
    officer = scope.officer_of(user)
    if officer is None or not officer.active:
        return None, set()
    return officer, set(db.session.scalars(served_by(officer.id)))


def may_deliver(user, enterprise_id=None):
    """The office for any enterprise; an officer for the enterprises of their current assignments."""
    if is_office(user):
        return True
    if OFFICER not in scope.role_names(user):
        return False
    officer, ents = _officer_enterprises(user)
    return officer is not None and (enterprise_id is None or enterprise_id in ents)


def visit_for(user, visit_id):
    if visit_id in (None, ""):
        return None
    if not valid_id(visit_id) or not scope.visible(Visit, int(visit_id), user):
        raise PolicyError(422, "所选走访记录不存在或不在您的范围内。", "visit")
    return db.session.get(Visit, int(visit_id))


def record(user, values):
    """Record the delivery of one or more items (``items``: ids) to one enterprise, from a visit (its
    enterprise, officer and day) or on its own. Each item must be in force and apply to the enterprise."""
    visit = visit_for(user, values.get("visit"))
    enterprise_id = visit.enterprise_id if visit is not None else values.get("enterprise")
    if not valid_id(enterprise_id) or not scope.visible(Enterprise, int(enterprise_id), user):
        raise PolicyError(422, "所选企业不存在或不在您的服务范围内。", "enterprise")
    enterprise_id = int(enterprise_id)
    if not may_deliver(user, enterprise_id):
        raise PolicyError(403, "只有包联该企业的首席服务官或服务官办公室可以记录政策宣传。")
    raw = values.get("items")
    ids = raw if isinstance(raw, (list, tuple)) else ([raw] if raw not in (None, "") else [])
    if not ids:
        raise PolicyError(422, "请至少选择一项惠企事项。", "items")
    if not all(valid_id(i) for i in ids) or len(ids) > 100:
        raise PolicyError(422, "惠企事项编号无效。", "items")
    ids = list(dict.fromkeys(int(i) for i in ids))
    today = clock.today()
    allowed = set(db.session.scalars(pair_select(PolicyItem.id, items=[PolicyItem.id.in_(ids), item_in_force(today)],
                                                 enterprises=[Enterprise.id == enterprise_id])))
    wrong = [i for i in ids if i not in allowed]
    if wrong:
        raise PolicyError(422, "所选惠企事项不存在、已失效或不适用于该企业。", "items")
    channel = _choice(values, "channel", "宣传方式", DELIVERY_CHANNELS, default="visit")
    if visit is not None:
        delivered_on, officer_id = visit.visit_date, visit.officer_id
        given = values.get("delivered_on")
        try:
            differs = given not in (None, "") and clean_date(given) != visit.visit_date
        except InvalidValue:
            differs = True
        if differs:  # the visit's day is the delivery's: a different day is refused, not silently replaced
            raise PolicyError(422, f"已关联走访，送达日期即走访日期（{visit.visit_date}）；如另有送达日期，请不要关联走访。",
                              "delivered_on")
    else:
        delivered_on = values.get("delivered_on")
        try:
            delivered_on = clean_date(delivered_on) if delivered_on not in (None, "") else today
        except InvalidValue as exc:
            raise PolicyError(422, f"送达日期：{exc}", "delivered_on") from None
        officer = scope.officer_of(user)
        officer_id = officer.id if officer is not None else db.session.scalar(
            select(Assignment.officer_id).where(Assignment.enterprise_id == enterprise_id, Assignment.role == "chief",
                                                Assignment.is_current).limit(1))
    if delivered_on > today:
        raise PolicyError(422, "送达日期不能晚于今天。", "delivered_on")
    explained = values.get("explained") in (True, "1", "true", "on", "y", "yes")
    note = _text(values, "note", "备注", 500)
    made = []
    for item in db.session.scalars(select(PolicyItem).where(PolicyItem.id.in_(ids)).order_by(PolicyItem.id)):
        row = PolicyDelivery(item_id=item.id, enterprise_id=enterprise_id, officer_id=officer_id,
                             visit_id=visit.id if visit else None, channel=channel, delivered_on=delivered_on,
                             explained=explained, item_revision=item.revision, note=note,
                             created_by_id=user.id if user else None, created_at=clock.utcnow())
        db.session.add(row)
        made.append(row)
    db.session.flush()
    _tell_enterprise(enterprise_id, made)
    return made


def _tell_enterprise(enterprise_id, rows):
    from ..models import EnterpriseUser
    from .rules import notify

    users = list(db.session.scalars(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == enterprise_id)))
    for row in rows:
        notify(users, f"惠企政策“{row.item.name}”已送达，请确认", f"/policies/deliveries/{row.id}",
               key=f"policy_delivery:{row.id}")


def _own_enterprise(user, delivery):
    return ENTERPRISE in scope.role_names(user) and delivery.enterprise_id in set(
        db.session.scalars(scope.enterprise_ids(user))) if user is not None else False


def may_confirm(user, delivery):
    return _own_enterprise(user, delivery)


def confirm(user, pk, interest=None, version=None):
    """The enterprise confirms it was told (once) and may answer its interest (again later)."""
    delivery = load_delivery(user, pk)
    if not may_confirm(user, delivery):
        raise PolicyError(403, "只有被送达的企业可以确认。")
    if version not in (None, "") and (not valid_id(version) or int(version) != delivery.version):
        raise PolicyError(409, "该记录已被修改，请刷新后重试。", "version")
    if interest not in (None, ""):
        delivery.interest = _choice({"interest": interest}, "interest", "企业意向", interests_for(delivery.item))
    if delivery.confirmed_at is None:
        delivery.confirmed_at = clock.utcnow()
        delivery.confirmed_by_id = user.id
    elif interest in (None, ""):
        raise PolicyError(409, "已确认过，无需重复确认。")
    db.session.flush()
    if delivery.interest == "apply":
        uptake_for(delivery.item_id, delivery.enterprise_id, user, create=True)
    return delivery


# --- uptake --------------------------------------------------------------------------------------------

UPTAKE_ACTIONS = {  # action: (label, from statuses, to status, required params)
    "plan": ("拟申报", (None,), "planned", ()),
    "apply": ("已申报", (None, "planned"), "applied", ("applied_on",)),
    "accept": ("已受理", ("applied",), "accepted", ("accepted_on",)),
    "pay": ("已兑现", ("accepted", "applied"), "paid", ("paid_on", "amount")),
    "reject": ("未通过", ("applied", "accepted"), "rejected", ("reason",)),
}
PARAM_LABELS = {"applied_on": "申报日期", "accepted_on": "受理日期", "paid_on": "兑现日期", "amount": "兑现金额（元）",
                "reason": "未通过原因"}


def uptake_for(item_id, enterprise_id, user=None, create=False, quiet=False):
    row = db.session.scalar(select(PolicyUptake).where(PolicyUptake.item_id == item_id,
                                                       PolicyUptake.enterprise_id == enterprise_id))
    if row is None and create:
        now = clock.utcnow()
        row = PolicyUptake(item_id=item_id, enterprise_id=enterprise_id, status="planned", created_at=now,
                           updated_at=now, updated_by_id=user.id if user else None)
        db.session.add(row)
        db.session.flush()
        if not quiet:
            _event(row, user, "plan", None)
    return row


EVENT_LABELS = {"plan": "拟申报", "apply": "已申报", "accept": "已受理", "pay": "已兑现", "reject": "未通过",
                "escalate": "转为问题台账"}


def _event(row, user, action, from_status, note=None):
    from ..workflow.events import record as record_event

    record_event(PolicyUptakeEvent, "uptake", row, user, action, from_status, note=note)
    db.session.flush()


def uptake_kinds(user, item, enterprise_id):
    """What the user is for this pair: office, officer (serves the enterprise), enterprise (itself),
    department (the item's responsible unit)."""
    kinds = set()
    if is_office(user):
        kinds.add("office")
    roles = scope.role_names(user)
    if OFFICER in roles and may_deliver(user, enterprise_id):
        kinds.add("officer")
    if ENTERPRISE in roles and enterprise_id in set(db.session.scalars(scope.enterprise_ids(user))):
        kinds.add("enterprise")
    if item.department_id in unit_ids(user):
        kinds.add("department")
    return kinds


ACTION_KINDS = {  # who records which step: the applicant side plans and applies; the unit accepts, pays, rejects
    "plan": {"office", "officer", "enterprise"}, "apply": {"office", "officer", "enterprise", "department"},
    "accept": {"office", "department"}, "pay": {"office", "department"}, "reject": {"office", "department"},
}


NO_APPLICATION = ("auto",)  # 免申即享: the enterprise applies for nothing
APPLICATION_ACTIONS = ("plan", "apply")  # the enterprise side's steps (拟申报, 已申报)


def action_sources(action, item):
    """The statuses ``action`` starts from for the item's cash mode. 即申即享 and 申报审批 go through the
    enterprise's application (拟申报 → 已申报; 即申即享 may be paid straight from 已申报). 免申即享 has no
    application: neither 拟申报 nor 已申报, the unit records 已受理 (核定), 已兑现 or 未通过 from the start."""
    sources = UPTAKE_ACTIONS[action][1]
    if item.cash_mode in NO_APPLICATION:
        return () if action in APPLICATION_ACTIONS else tuple(dict.fromkeys((None, *sources)))
    return sources


def interests_for(item):
    """The interests an enterprise may answer: no 有意申报 for a 免申即享 item (there is nothing to apply for)."""
    if item.cash_mode in NO_APPLICATION:
        return {k: v for k, v in POLICY_INTEREST.items() if k != "apply"}
    return POLICY_INTEREST


def allowed_uptake(user, delivery):
    """The uptake actions the user may take now on the delivery's item × enterprise."""
    row = uptake_for(delivery.item_id, delivery.enterprise_id)
    status = row.status if row is not None else None
    kinds = uptake_kinds(user, delivery.item, delivery.enterprise_id)
    return [name for name in UPTAKE_ACTIONS
            if status in action_sources(name, delivery.item) and kinds & ACTION_KINDS[name]]


def _amount(value):
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise PolicyError(422, "兑现金额应为数字（元）。", "amount") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise PolicyError(422, "兑现金额应为0至1万亿元之间的数字。", "amount")
    return amount.quantize(Decimal("0.01"))


def _day(value, key):
    try:
        day = clean_date(value)
    except InvalidValue as exc:
        raise PolicyError(422, f"{PARAM_LABELS[key]}：{exc}", key) from None
    if day > clock.today():
        raise PolicyError(422, f"{PARAM_LABELS[key]}不能晚于今天。", key)
    return day


def uptake_step(user, delivery_id, action, params=None, version=None):
    """One uptake step on the pair of this delivery (the kit's order of checks: action 422, row 404,
    version 409, role 403, state 409, params 422)."""
    params = params or {}
    if not isinstance(action, str) or action not in UPTAKE_ACTIONS:
        raise PolicyError(422, "未知的申兑操作。", "action")
    delivery = load_delivery(user, delivery_id)
    label, sources, target, required = UPTAKE_ACTIONS[action]
    row = uptake_for(delivery.item_id, delivery.enterprise_id)
    if version not in (None, "") and row is not None and (not valid_id(version) or int(version) != row.version):
        raise PolicyError(409, "申兑记录已被他人修改，请刷新后重试。", "version")
    if not uptake_kinds(user, delivery.item, delivery.enterprise_id) & ACTION_KINDS[action]:
        raise PolicyError(403, f"您不能记录“{label}”。")
    status = row.status if row is not None else None
    if not action_sources(action, delivery.item):
        raise PolicyError(409, f"“{delivery.item.name}”为{CASH_MODES[delivery.item.cash_mode]}事项，企业无需申报，"
                               f"不能记录“{label}”。")
    if status not in action_sources(action, delivery.item):
        now_label = UPTAKE_STATUSES.get(status, "未开始")
        raise PolicyError(409, f"当前申兑状态为“{now_label}”，不能记录“{label}”。")
    for key in required:
        if params.get(key) in (None, ""):
            raise PolicyError(422, f"请填写{PARAM_LABELS[key]}。", key)
    if row is None and action == "plan":
        return uptake_for(delivery.item_id, delivery.enterprise_id, user, create=True)
    row = row or uptake_for(delivery.item_id, delivery.enterprise_id, user, create=True, quiet=True)
    if action == "apply":
        row.applied_on = _day(params["applied_on"], "applied_on")
    elif action == "accept":
        row.accepted_on = _day(params["accepted_on"], "accepted_on")
        if row.applied_on and row.accepted_on < row.applied_on:
            raise PolicyError(422, "受理日期不能早于申报日期。", "accepted_on")
    elif action == "pay":
        row.paid_on = _day(params["paid_on"], "paid_on")
        if (row.accepted_on or row.applied_on) and row.paid_on < (row.accepted_on or row.applied_on):
            raise PolicyError(422, "兑现日期不能早于受理（申报）日期。", "paid_on")
        row.amount = _amount(params["amount"])
    elif action == "reject":
        reason = _text(params, "reason", "未通过原因", 500, required=True)
        row.reject_reason = reason
    before = status
    row.status = target
    row.updated_at = clock.utcnow()
    row.updated_by_id = user.id if user else None
    db.session.flush()
    note = {"apply": f"申报日期 {row.applied_on}", "accept": f"受理日期 {row.accepted_on}",
            "pay": f"兑现日期 {row.paid_on}，金额 {row.amount} 元", "reject": row.reject_reason}.get(action)
    _event(row, user, action, before, note)
    if action == "apply":  # the responsible unit has an application to accept
        _tell_department(delivery, row)
    return row


def _tell_department(delivery, row):
    from ..models import DepartmentUser
    from .rules import notify

    users = list(db.session.scalars(select(DepartmentUser.user_id).where(
        DepartmentUser.department_id == delivery.item.department_id)))
    notify(users, f"{delivery.enterprise.name}已申报惠企事项“{delivery.item.name}”，请受理", f"/policies/deliveries/{delivery.id}",
           key=f"policy_uptake:{row.id}:applied")


def cash_due(row, item=None):
    """The day the cash-out is due: 兑现时限 working days after 受理 (None without both)."""
    item = item or row.item
    if row.accepted_on is None or not item.cash_days:
        return None
    return workdays.add_workdays(row.accepted_on, item.cash_days)


def stalled(row, today=None):
    """已受理 and past its cash-out time limit, not yet a ledger problem."""
    due = cash_due(row) if row is not None else None
    return row is not None and row.status == "accepted" and due is not None and due < (today or clock.today())


def may_escalate(user, delivery):
    row = uptake_for(delivery.item_id, delivery.enterprise_id)
    kinds = uptake_kinds(user, delivery.item, delivery.enterprise_id)
    return stalled(row) and row.issue_id is None and bool(kinds & {"office", "officer", "enterprise"})


def escalate(user, delivery_id):
    """A stalled cash-out becomes a ledger problem of category 政策兑现 (one step; once)."""
    from ..ledger.filing import create_issue

    delivery = load_delivery(user, delivery_id)
    row = uptake_for(delivery.item_id, delivery.enterprise_id)
    if not uptake_kinds(user, delivery.item, delivery.enterprise_id) & {"office", "officer", "enterprise"}:
        raise PolicyError(403, "只有服务官办公室、包联服务官或企业本身可以把兑现滞后转为问题。")
    if row is not None and row.issue_id is not None:
        raise PolicyError(409, f"已转为问题 {row.issue.number}，不能重复转办。")
    if not stalled(row):
        raise PolicyError(409, "只有已受理且超过兑现时限仍未兑现的申报才能转为问题。")
    item = delivery.item
    due = cash_due(row)
    description = (f"企业于{row.applied_on or row.accepted_on}申报“{item.policy.title}”中的惠企事项“{item.name}”，"
                   f"{row.accepted_on}已由{item.department.name}受理，兑现时限为受理后{item.cash_days}个工作日"
                   f"（应于{due}前兑现），至今未兑现，请协调兑现。")
    issue = create_issue(user, delivery.enterprise_id, f"惠企政策兑现滞后：{item.name}"[:200], description,
                         category=POLICY_ISSUE_CATEGORY)
    row.issue_id = issue.id
    row.updated_at = clock.utcnow()
    db.session.flush()
    _event(row, user, "escalate", row.status, f"问题编号 {issue.number}")
    return issue


# --- 应知未知 ------------------------------------------------------------------------------------------

def unaware_query(user, officer_id=None, day=None):
    """SELECT (PolicyItem, Enterprise, changed) of eligible pairs not told of the item's current revision,
    within the user's enterprises (an officer: their own; the office: all, or one officer's)."""
    day = day or clock.today()
    where = []
    ents = scope.enterprise_ids(user)
    if ents is not None:
        where.append(Enterprise.id.in_(ents))
    if officer_id is not None:
        where.append(Enterprise.id.in_(served_by(officer_id)))
    query = pair_select(PolicyItem, Enterprise, told_before().label("changed"), items=[item_in_force(day)],
                        enterprises=where).where(~told())
    return query.order_by(PolicyItem.window_close.is_(None), PolicyItem.window_close, Enterprise.name, PolicyItem.id)


def unaware(user, officer_id=None, day=None, limit=None):
    query = unaware_query(user, officer_id, day)
    if limit:
        query = query.limit(limit)
    return db.session.execute(query).all()


def delivery_query(user, args=None):
    """Scoped deliveries, newest first: ``item``, ``enterprise``, ``officer``, ``unconfirmed`` (1)."""
    from .. import querystring

    args = args or {}
    query = scope.restrict(PolicyDelivery, select(PolicyDelivery), user)
    for key, label, column in (("item", "惠企事项", PolicyDelivery.item_id),
                               ("enterprise", "企业", PolicyDelivery.enterprise_id),
                               ("officer", "服务官", PolicyDelivery.officer_id)):
        if (ids := querystring.id_list(args, key, label)) is not None:
            query = query.where(column.in_(ids))
    if querystring.flag_arg(args, "unconfirmed"):
        query = query.where(PolicyDelivery.confirmed_at.is_(None))
    return query.order_by(PolicyDelivery.delivered_on.desc(), PolicyDelivery.id.desc())


def enterprise_limit(user):
    """The enterprise side of the pairs a user counts (the dashboard's funnel, the summary export): None
    (every enterprise) for the office, leaders and a department (for its own items — its items are the
    limit, ``scope.restrict(PolicyItem, …)``); else the SELECT of the user's enterprises."""
    if scope.sees_all(user) or DEPARTMENT in scope.role_names(user):
        return None
    return scope.enterprise_ids(user)


def enterprise_filters(args):
    """Conditions on ``Enterprise`` from ``region`` (街道), ``industry``, ``ent_category`` (one value each,
    the dashboard's and the ledger list's names)."""
    from .. import querystring

    conds = []
    for key, column in (("region", Enterprise.subdistrict), ("industry", Enterprise.industry),
                        ("ent_category", Enterprise.category)):
        if (value := querystring.text_arg(args, key)) is not None:
            conds.append(column == value[:50])
    return conds


def uptake_query(user, args=None, day=None):
    """Scoped 申兑 rows (``scope.restrict(PolicyUptake, …)``), newest change first. Filters: ``status``
    (keys of UPTAKE_STATUSES, comma-separated; ``applied`` alone is not 已申报-and-after — name each),
    ``item``, ``enterprise`` (ids), ``region`` / ``industry`` / ``ent_category`` (the enterprise's),
    ``current`` (1: only pairs of an item in force today that applies to the enterprise — the pairs of the
    dashboard's 政策直达漏斗, whose 已申报 and 已兑现 link here)."""
    from .. import querystring

    args = args or {}
    day = day or clock.today()
    query = scope.restrict(PolicyUptake, select(PolicyUptake), user).join(
        Enterprise, Enterprise.id == PolicyUptake.enterprise_id)
    if (statuses := querystring.choice_list(args, "status", "申兑状态", UPTAKE_STATUSES)) is not None:
        query = query.where(PolicyUptake.status.in_(statuses))
    for key, label, column in (("item", "惠企事项", PolicyUptake.item_id), ("enterprise", "企业", PolicyUptake.enterprise_id)):
        if (ids := querystring.id_list(args, key, label)) is not None:
            query = query.where(column.in_(ids))
    ents = enterprise_filters(args)
    if querystring.flag_arg(args, "current"):
        # only the enterprises with an uptake row can join: the pairs are built for those alone
        pairs = eligible([item_in_force(day), PolicyItem.id.in_(select(PolicyUptake.item_id))],
                         [*ents, Enterprise.id.in_(select(PolicyUptake.enterprise_id))])
        query = query.join(pairs, and_(pairs.c.item_id == PolicyUptake.item_id,
                                       pairs.c.enterprise_id == PolicyUptake.enterprise_id))
    else:
        query = query.where(*ents)
    return query.order_by(PolicyUptake.updated_at.desc(), PolicyUptake.id.desc())


def items_for_enterprise(enterprise_id, day=None):
    """(item, told) of the in-force items that apply to one enterprise (适用于我, the visit's picker)."""
    day = day or clock.today()
    return db.session.execute(pair_select(PolicyItem, told().label("told"), items=[item_in_force(day)],
                                          enterprises=[Enterprise.id == enterprise_id]).order_by(PolicyItem.id)).all()


def officer_choices(user):
    if OFFICER in scope.role_names(user) and not scope.sees_all(user):
        return []
    return db.session.scalars(select(Officer).where(Officer.active.is_(True)).order_by(Officer.name)).all()
