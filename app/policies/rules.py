"""The policy library's rules: who is eligible for an item (each item's criteria compiled into a plain
condition on the enterprise, :func:`eligible`; used by the scope, the 应知未知 list, the metrics, the
alerts, the exports, the handover list and the dashboard), what is in force on a day (status by date), who
may keep which policy and item, and the one write path for both (validation, the material-change rule).

Errors are :class:`PolicyError` (the kit's WorkflowError: 403/404/409/422 with a Chinese message)."""
from sqlalchemy import and_, false, func, or_, select, true, union_all

from .. import clock, scope
from ..extensions import db
from ..models import ENTERPRISE_CATEGORIES, Assignment, Department, Enterprise, Officer
from ..validation import InvalidValue, check_text, clean_date, clean_phone, valid_id
from ..vocab import (
    CASH_MODES, DEPARTMENT, ENTERPRISE, ENTERPRISE_SIZES, OFFICE_ROLES, OFFICER, POLICY_LEVELS, POLICY_STATUSES,
)
from ..workflow.errors import WorkflowError
from .models import (
    CRITERION_KINDS, EnterpriseSize, Policy, PolicyCriterion, PolicyDelivery, PolicyItem, PolicyUptake, PolicyUptakeEvent,
)


class PolicyError(WorkflowError):
    """A refused change of the policy library, a delivery or an uptake."""


# --- eligibility and force (SQL) ---------------------------------------------------------------------

MAX_BRANCHES = 400  # terms of one UNION ALL (SQLite allows 500 in one compound SELECT); more nest


def enterprise_condition(criteria):
    """The eligibility rule as a plain condition on ``Enterprise`` for one item's criteria ``{kind:
    [values]}``: for each kind with values the enterprise's attribute (industry, category, 街道, size)
    is one of them; kinds combine with AND; a kind without values is open to every enterprise, so no
    criteria at all means every enterprise. A missing attribute never matches a kind with values. The
    free-text condition is shown, not matched."""
    conds = []
    for kind in CRITERION_KINDS:
        values = sorted(set(criteria.get(kind) or ()))
        if not values:
            continue
        if kind == "size":  # 企业规模 lives in enterprise_size (one row per enterprise that has one)
            conds.append(Enterprise.id.in_(select(EnterpriseSize.enterprise_id).where(EnterpriseSize.size.in_(values))))
        else:
            column = getattr(Enterprise, kind)
            conds.append(and_(column.is_not(None), column.in_(values)))
    return and_(true(), *conds)


def item_criteria(*where):
    """``{item id: {kind: [values]}}`` of the items meeting ``where`` (conditions on ``PolicyItem``), read
    in one statement; an item without criteria maps to ``{}``."""
    rows = db.session.execute(
        select(PolicyItem.id, PolicyCriterion.kind, PolicyCriterion.value)
        .outerjoin(PolicyCriterion, PolicyCriterion.item_id == PolicyItem.id).where(*where)
        .order_by(PolicyItem.id, PolicyCriterion.id)).all()
    out = {}
    for item_id, kind, value in rows:
        kinds = out.setdefault(item_id, {})
        if kind is not None:
            kinds.setdefault(kind, []).append(value)
    return out


def _union(selects):
    if len(selects) == 1:
        return selects[0]
    if len(selects) <= MAX_BRANCHES:
        return union_all(*selects)
    parts = [_union(selects[i:i + MAX_BRANCHES]).subquery() for i in range(0, len(selects), MAX_BRANCHES)]
    return _union([select(p.c.item_id, p.c.enterprise_id) for p in parts])


def eligible(items=(), enterprises=()):
    """Subquery ``(item_id, enterprise_id)`` of every item meeting ``items`` (conditions on
    ``PolicyItem``) × every enterprise meeting ``enterprises`` (conditions on ``Enterprise``) that the item
    applies to. The items' criteria are read once (:func:`item_criteria`) and each item's become a plain
    condition on the enterprise (:func:`enterprise_condition`): one branch of a UNION ALL per distinct set
    of criteria, so the database scans the enterprises once per branch instead of evaluating correlated
    EXISTS over the criteria for every item × enterprise pair (docs/policies.md#rules)."""
    groups = {}
    for item_id, criteria in item_criteria(*items).items():
        key = tuple((k, tuple(sorted(set(criteria[k])))) for k in CRITERION_KINDS if criteria.get(k))
        groups.setdefault(key, []).append(item_id)
    base = select(PolicyItem.id.label("item_id"), Enterprise.id.label("enterprise_id")).select_from(PolicyItem).join(
        Enterprise, true())
    branches = [base.where(PolicyItem.id.in_(ids), enterprise_condition(dict(key)), *enterprises)
                for key, ids in groups.items()] or [base.where(false())]
    return _union(branches).subquery("eligible")


def pair_select(*columns, items=(), enterprises=()):
    """SELECT of ``columns`` over the eligible pairs (:func:`eligible`), with ``PolicyItem`` and ``Enterprise``
    joined to them, so columns and further conditions may name either."""
    pairs = eligible(items, enterprises)
    return (select(*columns).select_from(pairs).join(PolicyItem, PolicyItem.id == pairs.c.item_id)
            .join(Enterprise, Enterprise.id == pairs.c.enterprise_id))


def policy_in_force(day):
    """Criterion on ``Policy``: 现行有效 and inside its effective dates on ``day`` (expiry is by date)."""
    return and_(Policy.status == "current", or_(Policy.effective_to.is_(None), Policy.effective_to >= day),
                or_(Policy.effective_from.is_(None), Policy.effective_from <= day))


def item_in_force(day):
    return PolicyItem.policy_id.in_(select(Policy.id).where(policy_in_force(day)))


def _exists(column, *where):
    """EXISTS correlated to the item and the enterprise of the enclosing query, however deeply nested
    (SQLAlchemy correlates one level by itself)."""
    return select(column).where(*where).correlate(PolicyItem, Enterprise).exists()


def told():
    """Criterion over ``PolicyItem`` × ``Enterprise``: a delivery of the item's current revision exists."""
    return _exists(PolicyDelivery.id, PolicyDelivery.item_id == PolicyItem.id, PolicyDelivery.enterprise_id == Enterprise.id,
                   PolicyDelivery.item_revision == PolicyItem.revision)


def told_before():
    """A delivery of an older revision exists (the item changed materially since: re-delivery asked)."""
    return _exists(PolicyDelivery.id, PolicyDelivery.item_id == PolicyItem.id, PolicyDelivery.enterprise_id == Enterprise.id,
                   PolicyDelivery.item_revision < PolicyItem.revision)


def served_by(officer_id):
    """SELECT of the enterprises of the officer's current assignments (chief or liaison)."""
    return select(Assignment.enterprise_id).where(Assignment.officer_id == officer_id, Assignment.is_current)


def eligible_pairs(day, *where):
    """SELECT (item id, enterprise id) of in-force items and the enterprises they apply to (``where``:
    conditions on ``Enterprise``)."""
    pairs = eligible([item_in_force(day)], where)
    return select(pairs.c.item_id, pairs.c.enterprise_id)


def eligible_enterprises(item, day=None):
    """The enterprises an item applies to (in force or not), by name."""
    return db.session.scalars(pair_select(Enterprise, items=[PolicyItem.id == item.id]).order_by(Enterprise.name)).all()


# --- scope ---------------------------------------------------------------------------------------------

def _dept_items(user):
    return select(PolicyItem.id).where(scope.member_of(PolicyItem.department_id, scope.department_ids(user)))


def _criterion(model, user, roles, ents):
    """Officers see the whole library (it is public to the scheme's people) and the deliveries of their
    enterprises; a department its items (and the policies it keeps or has items in) and the deliveries
    and uptake of its items; an enterprise the items that apply to it and its own deliveries."""
    if model in (Policy, PolicyItem, PolicyCriterion) and OFFICER in roles:
        return None
    item_conds = []
    if DEPARTMENT in roles and user is not None:
        item_conds.append(PolicyItem.id.in_(_dept_items(user)))
    if ENTERPRISE in roles and user is not None:
        pairs = eligible((), [Enterprise.id.in_(ents)])
        item_conds.append(PolicyItem.id.in_(select(pairs.c.item_id)))
    item_crit = or_(*item_conds) if item_conds else false()
    if model is PolicyItem:
        return item_crit
    if model is PolicyCriterion:
        return PolicyCriterion.item_id.in_(select(PolicyItem.id).where(item_crit))
    if model is Policy:
        conds = [Policy.id.in_(select(PolicyItem.policy_id).where(item_crit))]
        if DEPARTMENT in roles and user is not None:
            conds.append(scope.member_of(Policy.department_id, scope.department_ids(user)))
        return or_(*conds)
    if model in (PolicyDelivery, PolicyUptake):
        conds = []
        if roles & {OFFICER, ENTERPRISE} and user is not None:
            conds.append(model.enterprise_id.in_(ents))
        if DEPARTMENT in roles and user is not None:
            conds.append(model.item_id.in_(_dept_items(user)))
        return or_(*conds) if conds else false()
    if model is PolicyUptakeEvent:
        return PolicyUptakeEvent.uptake_id.in_(select(PolicyUptake.id).where(_criterion(PolicyUptake, user, roles, ents)))
    if model is EnterpriseSize:
        return EnterpriseSize.enterprise_id.in_(ents)
    return false()


scope.register_criterion((Policy, PolicyItem, PolicyCriterion, PolicyDelivery, PolicyUptake, PolicyUptakeEvent,
                          EnterpriseSize), _criterion)


def is_office(user):
    return bool(scope.role_names(user) & OFFICE_ROLES)


def unit_ids(user):
    return scope.department_id_set(user) if DEPARTMENT in scope.role_names(user) else set()


def may_keep(user):
    """The office and departments keep the library (leaders, officers, enterprises only read it)."""
    return is_office(user) or bool(unit_ids(user))


def may_edit_policy(user, policy):
    if is_office(user):
        return True
    units = unit_ids(user)
    return bool(units) and policy.department_id in units


def may_edit_item(user, item):
    if is_office(user):
        return True
    return item.department_id in unit_ids(user)


def may_add_item(user, policy):
    """The office to any policy; a department to a policy it keeps or already has items in."""
    if is_office(user):
        return True
    units = unit_ids(user)
    return bool(units) and (policy.department_id in units or any(i.department_id in units for i in policy.items))


# --- loading -------------------------------------------------------------------------------------------

def load(model, user, pk, label):
    if not valid_id(pk) or not scope.visible(model, int(pk), user):
        raise PolicyError(404, f"{label}不存在或不在您的查看范围内。")
    return db.session.get(model, int(pk))


def load_policy(user, pk):
    return load(Policy, user, pk, "政策")


def load_item(user, pk):
    return load(PolicyItem, user, pk, "惠企事项")


def policy_query(user, args=None, day=None):
    """Scoped policies, newest first: ``status`` (the status by date), ``level``, ``q`` (title/发文字号)."""
    from .. import querystring

    args = args or {}
    day = day or clock.today()
    query = scope.restrict(Policy, select(Policy), user)
    if (statuses := querystring.choice_list(args, "status", "状态", POLICY_STATUSES)) is not None:
        conds = []
        if "current" in statuses:
            conds.append(policy_in_force(day))
        if "expired" in statuses:
            conds.append(or_(Policy.status == "expired", and_(Policy.status == "current", Policy.effective_to < day)))
        conds += [Policy.status == s for s in statuses if s in ("repealed", "revised")]
        query = query.where(or_(*conds))
    if (levels := querystring.choice_list(args, "level", "层级", POLICY_LEVELS)) is not None:
        query = query.where(Policy.level.in_(levels))
    if (text := querystring.text_arg(args, "q")) is not None:
        like = f"%{text[:50]}%"
        query = query.where(or_(Policy.title.like(like), Policy.doc_number.like(like)))
    return query.order_by(Policy.issued_on.desc().nullslast(), Policy.id.desc())


def item_query(user, args=None, day=None):
    """Scoped items: ``policy``, ``department``, ``in_force`` (1), ``q`` (name)."""
    from .. import querystring

    args = args or {}
    day = day or clock.today()
    query = scope.restrict(PolicyItem, select(PolicyItem), user)
    if (ids := querystring.id_list(args, "policy", "政策")) is not None:
        query = query.where(PolicyItem.policy_id.in_(ids))
    if (ids := querystring.id_list(args, "department", "责任单位")) is not None:
        query = query.where(PolicyItem.department_id.in_(ids))
    if querystring.flag_arg(args, "in_force"):
        query = query.where(item_in_force(day))
    if (text := querystring.text_arg(args, "q")) is not None:
        query = query.where(PolicyItem.name.like(f"%{text[:50]}%"))
    return query.order_by(PolicyItem.id)


# --- values --------------------------------------------------------------------------------------------

def _text(values, key, label, max_length, required=False, multiline=False):
    value = values.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PolicyError(422, f"请填写{label}。", key)
        return None
    if not isinstance(value, str):
        raise PolicyError(422, f"{label}应为文字。", key)
    value = value.strip()
    try:
        check_text(value, max_length, multiline=multiline)
    except InvalidValue as exc:
        raise PolicyError(422, f"{label}：{exc}", key) from None
    if max_length and len(value) > max_length:
        raise PolicyError(422, f"{label}不能超过{max_length}字。", key)
    return value


def _date(values, key, label):
    value = values.get(key)
    if value in (None, ""):
        return None
    try:
        return clean_date(value)
    except InvalidValue as exc:
        raise PolicyError(422, f"{label}：{exc}", key) from None


def _choice(values, key, label, choices, default=None):
    value = values.get(key)
    if value in (None, ""):
        if default is None:
            raise PolicyError(422, f"请选择{label}。", key)
        return default
    value = str(value).strip()
    for k, v in choices.items():
        if value in (k, v):
            return k
    raise PolicyError(422, f"{label}应为：{'、'.join(choices.values())}。", key)


def _int(values, key, label, lo, hi):
    value = values.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise PolicyError(422, f"{label}应为{lo}至{hi}之间的整数。", key)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise PolicyError(422, f"{label}应为{lo}至{hi}之间的整数。", key) from None
    if not lo <= number <= hi:
        raise PolicyError(422, f"{label}应为{lo}至{hi}之间的整数。", key)
    return number


SPLIT = ("、", "，", ",", "；", ";", "/", "\n")


def split_values(value):
    """A list from a list or a text '装备制造、新材料' (empty parts dropped, order kept, once each)."""
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    elif isinstance(value, str):
        text = value
        for sep in SPLIT[1:]:
            text = text.replace(sep, SPLIT[0])
        parts = text.split(SPLIT[0])
    else:
        raise PolicyError(422, "条件应为文字或列表。")
    out = []
    for p in (p.strip() for p in parts):
        if p and p not in out:
            out.append(p)
    return out


def _criteria(values):
    """{kind: [values]} from ``industries``, ``categories``, ``subdistricts``, ``sizes`` (lists or text)."""
    out = {}
    for kind, key in (("industry", "industries"), ("category", "categories"), ("subdistrict", "subdistricts"),
                      ("size", "sizes")):
        parts = split_values(values.get(key))
        label = CRITERION_KINDS[kind]
        for p in parts:
            if len(p) > 50:
                raise PolicyError(422, f"{label}“{p[:20]}…”不能超过50字。", key)
        if kind == "category":
            wrong = [p for p in parts if p not in ENTERPRISE_CATEGORIES]
            if wrong:
                raise PolicyError(422, f"企业类别“{wrong[0]}”不存在，可选：{'、'.join(ENTERPRISE_CATEGORIES)}。", key)
        if kind == "size":
            keys = []
            for p in parts:
                k = next((k for k, v in ENTERPRISE_SIZES.items() if p in (k, v)), None)
                if k is None:
                    raise PolicyError(422, f"企业规模应为：{'、'.join(ENTERPRISE_SIZES.values())}。", key)
                keys.append(k)
            parts = list(dict.fromkeys(keys))
        out[kind] = parts
    return out


def _department(user, value):
    """The item's responsible department: a department login's own unit; the office picks any."""
    units = unit_ids(user)
    if not is_office(user):
        if value in (None, "") and len(units) == 1:
            return next(iter(units))
        if valid_id(value) and int(value) in units:
            return int(value)
        raise PolicyError(422, "责任单位只能是本单位。", "department")
    if value in (None, ""):
        raise PolicyError(422, "请选择责任单位。", "department")
    if not valid_id(value) or db.session.get(Department, int(value)) is None:
        raise PolicyError(422, "所选责任单位不存在。", "department")
    return int(value)


def department_by_name(name):
    return db.session.scalar(select(Department.id).where(Department.name == name))


# --- policies ------------------------------------------------------------------------------------------

POLICY_FIELDS = ("title", "doc_number", "issuer", "level", "issued_on", "published_on", "effective_from",
                 "effective_to", "status", "successor", "summary", "interpretation")


def _policy_values(user, values, policy=None):
    out = {
        "title": _text(values, "title", "政策标题", 200, required=True),
        "doc_number": _text(values, "doc_number", "发文字号", 80),
        "issuer": _text(values, "issuer", "发文机关", 100),
        "level": _choice(values, "level", "政策层级", POLICY_LEVELS),
        "issued_on": _date(values, "issued_on", "成文日期"),
        "published_on": _date(values, "published_on", "发布日期"),
        "effective_from": _date(values, "effective_from", "生效日期"),
        "effective_to": _date(values, "effective_to", "失效日期"),
        "status": _choice(values, "status", "政策状态", POLICY_STATUSES, default="current"),
        "summary": _text(values, "summary", "政策摘要", 5000, multiline=True),
        "interpretation": _text(values, "interpretation", "政策解读", 20000, multiline=True),
    }
    if out["effective_from"] and out["effective_to"] and out["effective_to"] < out["effective_from"]:
        raise PolicyError(422, "失效日期不能早于生效日期。", "effective_to")
    successor = values.get("successor")
    if successor in (None, ""):
        out["successor_id"] = None
    else:
        if not valid_id(successor) or not scope.visible(Policy, int(successor), user):
            raise PolicyError(422, "所选新政策不存在。", "successor")
        if policy is not None and int(successor) == policy.id:
            raise PolicyError(422, "新政策不能是本政策自己。", "successor")
        out["successor_id"] = int(successor)
    if out["status"] == "revised" and out["successor_id"] is None:
        raise PolicyError(422, "已修订的政策须指明修订后的新政策。", "successor")
    return out


def create_policy(user, values):
    if not may_keep(user):
        raise PolicyError(403, "只有首席服务官办公室和责任单位可以维护政策库。")
    data = _policy_values(user, values)
    units = unit_ids(user)
    keeper = None if is_office(user) else min(units)
    now = clock.utcnow()
    policy = Policy(**data, department_id=keeper, created_by_id=user.id if user else None, created_at=now,
                    updated_at=now)
    db.session.add(policy)
    db.session.flush()
    return policy


def update_policy(user, pk, values, version=None):
    policy = load_policy(user, pk)
    if not may_edit_policy(user, policy):
        raise PolicyError(403, "您不能修改这项政策（由其他单位维护）。")
    _check_version(policy, version, "政策")
    data = _policy_values(user, {**policy_form(policy), **values}, policy)
    for key, value in data.items():
        setattr(policy, key, value)
    policy.updated_at = clock.utcnow()
    db.session.flush()
    return policy


def policy_form(policy):
    return {"title": policy.title, "doc_number": policy.doc_number, "issuer": policy.issuer, "level": policy.level,
            "issued_on": policy.issued_on, "published_on": policy.published_on,
            "effective_from": policy.effective_from, "effective_to": policy.effective_to, "status": policy.status,
            "successor": policy.successor_id, "summary": policy.summary, "interpretation": policy.interpretation}


def _check_version(row, version, label):
    if version in (None, ""):
        return
    if not valid_id(version) or int(version) != row.version:
        raise PolicyError(409, f"该{label}已被他人修改，请刷新后重试。", "version")


# --- items ---------------------------------------------------------------------------------------------

MATERIAL = ("benefit", "cash_mode", "window_open", "window_close", "cash_days")  # + the criteria


def _item_values(user, values):
    out = {
        "name": _text(values, "name", "事项名称", 200, required=True),
        "benefit": _text(values, "benefit", "支持内容", 5000, required=True, multiline=True),
        "target_desc": _text(values, "target_desc", "其他申报条件", 5000, multiline=True),
        "cash_mode": _choice(values, "cash_mode", "兑现方式", CASH_MODES),
        "window_open": _date(values, "window_open", "申报开始日期"),
        "window_close": _date(values, "window_close", "申报截止日期"),
        "cash_days": _int(values, "cash_days", "兑现时限（工作日）", 1, 365),
        "department_id": _department(user, values.get("department")),
        "contact": _text(values, "contact", "联系人", 50),
        "phone": _text(values, "phone", "联系电话", 30),
    }
    if out["phone"]:
        try:
            out["phone"] = clean_phone(out["phone"])
        except InvalidValue as exc:
            raise PolicyError(422, f"联系电话：{exc}", "phone") from None
    if out["window_open"] and out["window_close"] and out["window_close"] < out["window_open"]:
        raise PolicyError(422, "申报截止日期不能早于开始日期。", "window_close")
    return out, _criteria(values)


def _set_criteria(item, criteria):
    item.criteria = [PolicyCriterion(kind=kind, value=v) for kind, vs in criteria.items() for v in vs]


def create_item(user, policy_id, values):
    policy = load_policy(user, policy_id)
    if not may_add_item(user, policy):
        raise PolicyError(403, "您不能为这项政策添加惠企事项。")
    data, criteria = _item_values(user, values)
    now = clock.utcnow()
    item = PolicyItem(policy_id=policy.id, **data, revision=1, created_at=now, updated_at=now)
    _set_criteria(item, criteria)
    db.session.add(item)
    db.session.flush()
    return item


def criteria_of(item):
    return {kind: item.values(kind) for kind in CRITERION_KINDS}


def item_form(item):
    c = criteria_of(item)
    return {"name": item.name, "benefit": item.benefit, "target_desc": item.target_desc,
            "cash_mode": item.cash_mode, "window_open": item.window_open, "window_close": item.window_close,
            "cash_days": item.cash_days, "department": item.department_id, "contact": item.contact,
            "phone": item.phone, "industries": c["industry"], "categories": c["category"],
            "subdistricts": c["subdistrict"], "sizes": c["size"]}


def update_item(user, pk, values, version=None):
    """Edit an item; a material change (benefit, cash mode, window, time limit, who it is for) raises the
    revision: deliveries of the old revision no longer count, and the officers who told are asked to
    deliver it again. Returns (item, material)."""
    item = load_item(user, pk)
    if not may_edit_item(user, item):
        raise PolicyError(403, "您不能修改这项惠企事项（由其他责任单位负责）。")
    _check_version(item, version, "惠企事项")
    data, criteria = _item_values(user, {**item_form(item), **values})
    before = {k: getattr(item, k) for k in MATERIAL}
    old_criteria = {k: sorted(v) for k, v in criteria_of(item).items()}
    material = any(before[k] != data[k] for k in MATERIAL) or old_criteria != {k: sorted(v) for k, v in criteria.items()}
    for key, value in data.items():
        setattr(item, key, value)
    if old_criteria != {k: sorted(v) for k, v in criteria.items()}:
        item.criteria.clear()
        db.session.flush()
        _set_criteria(item, criteria)
    now = clock.utcnow()
    item.updated_at = now
    if material:
        item.revision = item.revision + 1
        item.changed_at = now
    db.session.flush()
    if material:
        _ask_redelivery(item)
    return item, material


def officer_users(enterprise_ids):
    """ab_user ids of the active officers currently serving these enterprises."""
    if not enterprise_ids:
        return []
    return list(db.session.scalars(select(Officer.user_id).join(Assignment, Assignment.officer_id == Officer.id).where(
        Assignment.enterprise_id.in_(list(enterprise_ids)), Assignment.is_current, Officer.active == true(),
        Officer.user_id.isnot(None)).distinct()))


def notify(user_ids, title, url, key):
    """app.notifications.notify (the bell and its mail)."""
    from .. import notifications

    notifications.notify(user_ids, title, url, kind="policy", key=key)


def _ask_redelivery(item):
    told_to = set(db.session.scalars(select(PolicyDelivery.enterprise_id).where(
        PolicyDelivery.item_id == item.id, PolicyDelivery.item_revision < item.revision)))
    if told_to:
        notify(officer_users(told_to), f"惠企事项“{item.name}”已变更，请向企业重新宣传送达", f"/policies/items/{item.id}",
               key=f"policy_item:{item.id}:rev{item.revision}")


def set_size(user, enterprise_id, size):
    """企业规模 of one enterprise (the office); an empty size removes it."""
    if not is_office(user):
        raise PolicyError(403, "只有首席服务官办公室可以维护企业规模。")
    if not valid_id(enterprise_id) or db.session.get(Enterprise, int(enterprise_id)) is None:
        raise PolicyError(422, "所选企业不存在。", "enterprise")
    row = db.session.get(EnterpriseSize, int(enterprise_id))
    if size in (None, ""):
        if row is not None:
            db.session.delete(row)
        return None
    key = _choice({"size": size}, "size", "企业规模", ENTERPRISE_SIZES)
    if row is None:
        row = EnterpriseSize(enterprise_id=int(enterprise_id), size=key)
        db.session.add(row)
    row.size = key
    db.session.flush()
    return row


def count(query):
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
