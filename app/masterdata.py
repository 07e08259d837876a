"""Rules for the master data (enterprises, departments, officers, assignments, visits, and the
office's holiday calendar and problem categories) — and the one write path for them.

Every entry point (FAB screens, REST, CLI, demo) writes a row with :func:`save` and deletes one
with :func:`remove`: they take the actor, fill derived values, check scope
(``scope.write_errors``) and the rules (:func:`item_errors`, :func:`delete_errors`), run the
model's change hooks in the same transaction (a holiday re-derives open deadlines) and flush;
a refusal is one :class:`RuleError` (field → Chinese message). The caller commits.
"""
from sqlalchemy import and_, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from . import clock, db, scope, validation
from .models import (
    ASSIGNMENT_ROLES, VISIT_MODES, Assignment, Department, Enterprise, Holiday, Issue, IssueCategory, Officer, Visit,
)


class RuleError(Exception):
    """A business rule refused the change; ``errors`` maps field → Chinese message."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def _id_of(item, attr):
    related = getattr(item, attr, None)
    if related is not None:
        return related.id
    if sa_inspect(item).attrs[attr].history.has_changes():  # a form cleared it: the old *_id goes at flush
        return None
    return getattr(item, attr + "_id", None)


def _taken(model, column, value, own_id):
    if value in (None, ""):
        return False
    query = select(model.id).where(column == value)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return db.session.scalar(query.limit(1)) is not None


def _enterprise_errors(item):
    errors = {}
    if not item.name:
        errors["name"] = "企业名称不能为空。"
    elif _taken(Enterprise, Enterprise.name, item.name, item.id):
        errors["name"] = f"企业“{item.name}”已存在。"
    if _taken(Enterprise, Enterprise.credit_code, item.credit_code, item.id):
        errors["credit_code"] = f"统一社会信用代码{item.credit_code}已被其他企业使用。"
    return errors


def _department_errors(item):
    if not (item.name or "").strip():
        return {"name": "单位名称不能为空。"}
    if _taken(Department, Department.name, item.name, item.id):
        return {"name": f"单位“{item.name}”已存在。"}
    return {}


def covering_assignment(officer_id, enterprise_id, day):
    """An assignment of this officer to this enterprise that covers ``day``, or None."""
    return db.session.scalar(
        select(Assignment).where(
            Assignment.officer_id == officer_id,
            Assignment.enterprise_id == enterprise_id,
            Assignment.start_date <= day,
            or_(Assignment.is_current, Assignment.end_date >= day),
        ).limit(1)
    )


def _visit_errors(item):
    errors = {}
    if item.mode not in VISIT_MODES:
        errors["mode"] = "走访方式应为实地、电话、视频或座谈。"
    if item.visit_date is None:
        errors["visit_date"] = "请填写走访日期。"
    elif item.visit_date > clock.today():
        errors["visit_date"] = "走访日期不能晚于今天。"
    if not (item.summary or "").strip():
        errors["summary"] = "请填写走访情况。"
    officer_id, enterprise_id = _id_of(item, "officer"), _id_of(item, "enterprise")
    if not officer_id:
        errors["officer"] = "请选择服务官（您的账号未关联服务官）。"
    if "visit_date" not in errors and officer_id and enterprise_id:
        if covering_assignment(officer_id, enterprise_id, item.visit_date) is None:
            errors["officer"] = "该服务官在走访日期并未包联此企业。"
    return errors


def _assignment_errors(item):
    errors = {}
    if item.role not in ASSIGNMENT_ROLES:
        errors["role"] = "角色应为首席服务官（chief）或具体分包人（liaison）。"
    if item.start_date is None:
        errors["start_date"] = "请填写开始日期。"
    if item.end_date is not None and item.start_date is not None and item.end_date < item.start_date:
        errors["end_date"] = "结束日期不能早于开始日期。"
    if item.end_date is not None and not (item.end_reason or "").strip():
        errors["end_reason"] = "结束包联须填写原因。"
    if item.end_date is None:
        officer_id, enterprise_id = _id_of(item, "officer"), _id_of(item, "enterprise")
        query = select(Assignment.id).where(
            Assignment.officer_id == officer_id, Assignment.enterprise_id == enterprise_id,
            Assignment.role == item.role, Assignment.is_current,
        )
        if item.id is not None:
            query = query.where(Assignment.id != item.id)
        if officer_id and enterprise_id and db.session.scalar(query.limit(1)):
            errors["officer"] = "该服务官已以相同角色包联此企业（在岗）。"
    return errors


def _holiday_errors(item):
    errors = {}
    if item.kind not in ("holiday", "workday"):
        errors["kind"] = "类型应为放假（holiday）或调休上班（workday）。"
    if _taken(Holiday, Holiday.day, item.day, item.id):
        errors["day"] = f"{item.day}已有设置，请直接编辑该日期。"
    return errors


def _category_errors(item):
    if not (item.name or "").strip():
        return {"name": "类别名称不能为空。"}
    if _taken(IssueCategory, IssueCategory.name, item.name, item.id):
        return {"name": f"类别“{item.name}”已存在。"}
    return {}


_CHECKS = {
    Holiday: _holiday_errors,
    IssueCategory: _category_errors,
    Enterprise: _enterprise_errors,
    Department: _department_errors,
    Visit: _visit_errors,
    Assignment: _assignment_errors,
}


def prepare(item, user, is_add):
    """Derived values every entry point fills the same way before the checks."""
    if isinstance(item, Assignment):
        sync_assignment_status(item)
    if isinstance(item, Visit):
        if _id_of(item, "officer") is None and user is not None:
            item.officer = scope.officer_of(user)  # the visiting officer defaults to the caller's own record
        if is_add:
            item.created_by_id = user.id if user is not None else None


def item_errors(item):
    check = _CHECKS.get(type(item))
    return {**(check(item) if check else {}), **validation.value_errors(item)}


def sync_assignment_status(item):
    """``status`` is derived from ``end_date``: one truth, two columns for easy filtering."""
    item.status = "ended" if item.end_date is not None else "active"


def end_assignment(assignment, reason, end_date=None):
    """End an active assignment (reassignment, recall, service period over). Never deletes."""
    if assignment.end_date is not None:
        raise RuleError({"end_date": "该包联关系已经结束。"})
    if not (reason or "").strip():
        raise RuleError({"end_reason": "结束包联须填写原因。"})
    end_date = end_date or clock.today()
    if end_date < assignment.start_date:
        raise RuleError({"end_date": "结束日期不能早于开始日期。"})
    assignment.end_date = end_date
    assignment.end_reason = reason.strip()
    sync_assignment_status(assignment)


def _used(*queries):
    return any(db.session.scalar(q.limit(1)) for q in queries)


def delete_errors(item):
    """History is never deleted: rows with dependants are refused with the reason."""
    from .models import DepartmentUser, EnterpriseUser, issue_codepartment

    if isinstance(item, Assignment):
        return {"_": "包联关系不能删除，请使用“结束包联”。"}
    if isinstance(item, Enterprise):
        if _used(select(Assignment.id).where(Assignment.enterprise_id == item.id),
                 select(Visit.id).where(Visit.enterprise_id == item.id),
                 select(Issue.id).where(Issue.enterprise_id == item.id),
                 select(EnterpriseUser.id).where(EnterpriseUser.enterprise_id == item.id)):
            return {"_": f"企业“{item.name}”已有包联、走访、问题记录或登录账号，不能删除。"}
    if isinstance(item, IssueCategory):
        if db.session.scalar(select(Issue.id).where(Issue.category_id == item.id).limit(1)):
            return {"_": f"类别“{item.name}”已被问题使用，不能删除；可取消“启用”。"}
    if isinstance(item, Department):
        if _used(select(Issue.id).where(Issue.lead_department_id == item.id),
                 select(issue_codepartment.c.issue_id).where(issue_codepartment.c.department_id == item.id),
                 select(DepartmentUser.id).where(DepartmentUser.department_id == item.id)):
            return {"_": f"单位“{item.name}”已承办过问题或有登录账号，不能删除。"}
    if isinstance(item, Officer):
        if item.user_id or _used(select(Assignment.id).where(Assignment.officer_id == item.id),
                                 select(Visit.id).where(Visit.officer_id == item.id),
                                 select(Issue.id).where(Issue.officer_id == item.id)):
            return {"_": f"服务官“{item.name}”已有包联或走访记录，不能删除；可将其设为不在岗。"}
    if isinstance(item, Visit):
        from .policies.models import PolicyDelivery

        if _used(select(Issue.id).where(Issue.visit_id == item.id),
                 select(PolicyDelivery.id).where(PolicyDelivery.visit_id == item.id)):
            return {"_": f"走访记录（{item.visit_date}）已登记问题或关联政策宣传记录，不能删除。"}
    return {}


def visited_this_week(enterprise_ids, day=None):
    """Set of enterprise ids among ``enterprise_ids`` with a visit in the week holding ``day``."""
    start, end = clock.week_range(day or clock.today())
    if not enterprise_ids:
        return set()
    rows = db.session.scalars(
        select(Visit.enterprise_id).where(
            and_(Visit.enterprise_id.in_(list(enterprise_ids)), Visit.visit_date.between(start, end))
        ).distinct()
    )
    return set(rows)


# --- the one write path ------------------------------------------------------------------------

CONFLICT = "保存失败：数据与已有记录冲突，请刷新后重试。"
REFERENCED = "该记录仍被其他数据引用，不能删除。"


def _calendar_changed(user, item):
    from .ledger import calendar_changed

    changed = calendar_changed(user, "节假日安排变更，按新日历重算时限")
    return f"已按新的节假日安排重算{changed}个未办结问题的时限。" if changed else None


# model → hooks run after a write, in the same transaction; each may return a note for the user
CHANGE_HOOKS = {Holiday: (_calendar_changed,)}


def _run_hooks(user, item):
    return [note for hook in CHANGE_HOOKS.get(type(item), ()) if (note := hook(user, item))]


def changeable_visits(user, ids):
    """The ids among ``ids`` of visits ``user`` may change or delete: the office's all; otherwise those the
    user recorded, made as the visiting officer, or of an enterprise whose current chief officer (首席服务官)
    the user is — not a liaison colleague's on the same enterprise (docs/domain.md, 走访记录). One query for
    a whole page (the list shows 编辑/删除 only on these rows)."""
    ids = [int(i) for i in ids if i is not None]
    if not ids or user is None:
        return set()
    if scope.writes_all(user):
        return set(ids)
    mine = Visit.created_by_id == user.id
    officer = scope.officer_of(user)
    if officer is not None:
        mine = or_(mine, Visit.officer_id == officer.id, Visit.enterprise_id.in_(select(Assignment.enterprise_id).where(
            Assignment.officer_id == officer.id, Assignment.role == "chief", Assignment.is_current)))
    return set(db.session.scalars(select(Visit.id).where(Visit.id.in_(ids), mine)))


def own_visit_errors(user, item):
    """A visit already saved is changed or deleted only by those :func:`changeable_visits` names."""
    if not isinstance(item, Visit) or item.id is None or user is None or item.id in changeable_visits(user, [item.id]):
        return {}
    return {"_": "只能修改或删除本人登记、本人走访或本人担任首席服务官的企业的走访记录。"}


def save_errors(user, item):
    """Everything that stands between a changed row and the database: scope, then the rules."""
    with db.session.no_autoflush:
        return scope.write_errors(user, item) or own_visit_errors(user, item) or item_errors(item)


def removal_errors(user, item):
    """Permission and scope, then the never-delete-history rules, before a row is deleted."""
    if not scope.may(user, "delete", type(item)):
        return {"_": "您没有删除此类数据的权限。"}
    with db.session.no_autoflush:
        return scope.write_errors(user, item) or own_visit_errors(user, item) or delete_errors(item)


def save(user, item, is_add):
    """Write a new or changed row for ``user``; returns the notes of its change hooks."""
    with db.session.no_autoflush:  # a half-filled row (a cleared field) is checked before it is written
        prepare(item, user, is_add)
    errors = save_errors(user, item)
    if errors:
        raise RuleError(errors)
    db.session.add(item)
    try:
        db.session.flush()
    except IntegrityError:  # a race after our checks (a unique name taken meanwhile)
        db.session.rollback()
        raise RuleError({"_": CONFLICT}) from None
    return _run_hooks(user, item)


def remove(user, item):
    """Delete a row for ``user`` when nothing depends on it; returns the notes of its change hooks."""
    errors = removal_errors(user, item)
    if errors:
        raise RuleError(errors)
    db.session.delete(item)
    try:
        db.session.flush()
    except IntegrityError:  # still referenced somewhere the rules did not foresee
        db.session.rollback()
        raise RuleError({"_": REFERENCED}) from None
    return _run_hooks(user, item)
