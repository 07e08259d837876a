"""The problem ledger's state machine — the one module every entry point calls (docs/domain.md#the-problem-ledger).

``create_issue`` files a problem; ``transition`` applies an action; ``edit_issue`` changes triage
fields; ``recompute_open`` re-derives deadlines after the calendar or the policy changed. Each
writes an append-only IssueEvent. Errors are :class:`LedgerError` with an HTTP-like ``status``:
403 role not allowed, 404 out of scope, 409 wrong status or stale version, 422 bad parameters.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import clock, db, scope
from .validation import valid_id
from .deadlines import after_transfer, current_due, transfer_due
from .models import (
    ESCALATION_LEVELS, ISSUE_LEVELS, ISSUE_SOURCES, SATISFACTION, TRIAGE_CLASSES,
    Assignment, Department, Enterprise, EnterpriseUser, Issue, IssueCategory,
    IssueCounter, IssueEvent, Officer, Visit,
)
from .policy import get_policy
from .vocab import BEFORE_TRANSFER, FILER_ROLES, FINAL_STATUSES, OFFICE_ROLES, OPEN_STATUSES, WITH_DEPARTMENT

# the office's deliberations; an enterprise following its problem does not see these
INTERNAL_ACTIONS = {"return", "request_extension", "approve_extension", "reject_extension", "escalate",
                    "declare_unable", "approve_unable", "edit", "recompute"}


class LedgerError(Exception):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def as_dict(self):
        if self.field:
            return {"message": {self.field: [self.message]}}
        return {"message": self.message}


STALE = "该问题已被他人更新，请刷新后再操作。"


def _flush():
    """Flush; a concurrent update of the same issue (version mismatch) becomes a 409."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise LedgerError(409, STALE) from None


def commit():
    """Commit the unit of work of one action, with the same 409 for a lost race."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise LedgerError(409, STALE) from None


def _id(value, field, label):
    """A row id from JSON or a form: an int (not a bool) within range, else 422."""
    if value in (None, ""):
        raise LedgerError(422, f"请选择{label}。", field)
    if not valid_id(value):
        raise LedgerError(422, f"{label}编号无效。", field)
    return int(value)


def _text(value, field):
    """Text parameters must be text (numbers are taken as text); lists and objects are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise LedgerError(422, f"{PARAM_LABELS.get(field, field)}格式不正确，应为文本。", field)
    return str(value)


def sees_internal(user):
    """Everyone but an enterprise's own login sees the office's deliberations."""
    return not (scope.role_names(user) <= {"Enterprise"})


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    roles: frozenset  # role kinds: office, lead, co, officer, enterprise
    sources: tuple  # statuses it may start from
    target: str | None  # status it leads to (None: unchanged)
    params: tuple = ()  # required parameters


def _a(name, label, roles, sources, target=None, params=()):
    return Action(name, label, frozenset(roles), tuple(sources), target, tuple(params))


ACTIONS = {a.name: a for a in [
    _a("accept", "受理", {"office"}, ("new",), "accepted"),
    _a("assign", "转办", {"office"}, ("accepted",), "assigned", ("department",)),
    _a("acknowledge", "签收", {"lead"}, ("assigned",), "in_progress"),
    _a("progress", "反馈进展", {"office", "lead", "co", "officer"}, ("assigned", "in_progress"), None, ("note",)),
    _a("return", "退回", {"lead"}, ("assigned", "in_progress"), "accepted", ("reason",)),
    _a("request_extension", "申请延期", {"lead"}, ("assigned", "in_progress"), None, ("new_due", "reason")),
    _a("approve_extension", "同意延期", {"office"}, ("assigned", "in_progress"), None),
    _a("reject_extension", "不同意延期", {"office"}, ("assigned", "in_progress"), None),
    _a("escalate", "提级会商", {"office", "officer"}, ("accepted", "assigned", "in_progress"), None, ("level",)),
    _a("resolve", "办结", {"lead", "officer"}, ("new", "accepted", "in_progress"), "resolved", ("result",)),
    _a("confirm", "确认评价", {"enterprise", "office"}, ("resolved",), None, ("satisfaction",)),
    _a("close", "销号", {"office"}, ("resolved",), "closed"),
    _a("declare_unable", "申请无法解决", {"lead"}, ("assigned", "in_progress"), None, ("reason",)),
    _a("approve_unable", "同意无法解决", {"office"}, ("assigned", "in_progress"), "unable"),
    _a("void", "作废", {"office"}, ("new", "accepted"), "void", ("reason",)),
]}

PARAM_LABELS = {"department": "牵头单位", "note": "进展情况", "reason": "原因", "new_due": "延期后的办结日期",
                "level": "层级", "result": "办理结果", "satisfaction": "满意度", "title": "问题标题",
                "description": "问题描述", "source": "问题来源", "category": "问题类别", "triage_class": "问题分类",
                "region": "所属街道", "co_departments": "配合单位", "version": "version", "action": "操作"}


# --- who is the actor, relative to this issue --------------------------------------------------

def role_kinds(user, issue):
    """What the user is *for this issue*: office, lead, co, officer, enterprise."""
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if "Department" in roles:
        depts = scope.department_id_set(user)
        if issue.lead_department_id in depts:
            kinds.add("lead")
        if depts & {d.id for d in issue.co_departments}:
            kinds.add("co")
    if "Officer" in roles:
        officer = scope.officer_of(user)
        if officer is not None and db.session.scalar(select(exists().where(
                Assignment.officer_id == officer.id, Assignment.enterprise_id == issue.enterprise_id,
                Assignment.is_current))):
            kinds.add("officer")
    if "Enterprise" in roles and db.session.scalar(select(exists().where(
            EnterpriseUser.user_id == user.id, EnterpriseUser.enterprise_id == issue.enterprise_id))):
        kinds.add("enterprise")
    return kinds


def _actor_name(user):
    if user is None:
        return "系统"
    return f"{user.first_name or ''}{user.last_name or ''}".strip() or user.username


def _event(issue, user, action, from_status, note=None, changes=None, internal=False):
    ev = IssueEvent(issue=issue, actor_id=user.id if user is not None else None, actor_name=_actor_name(user),
                    action=action, from_status=from_status, to_status=issue.status, note=note,
                    changes=changes or None, internal=internal or action in INTERNAL_ACTIONS, at=clock.utcnow())
    db.session.add(ev)
    return ev


def _set(issue, changes, field, value):
    """Assign and remember old → new for the event (dates as ISO strings)."""
    old = getattr(issue, field)
    if old != value:
        fmt = lambda v: v.isoformat() if isinstance(v, date) else v  # noqa: E731
        changes[field] = [fmt(old), fmt(value)]
        setattr(issue, field, value)


def _refresh_due(issue, changes):
    _set(issue, changes, "due_on", current_due(issue))


# --- numbering ----------------------------------------------------------------------------------

def next_number(year):
    """Gapless per year: the counter row is locked by the UPDATE until the transaction ends."""
    for _ in range(3):
        seq = db.session.execute(
            update(IssueCounter).where(IssueCounter.year == year)
            .values(last=IssueCounter.last + 1).returning(IssueCounter.last)
        ).scalar()
        if seq is not None:
            return seq
        try:
            with db.session.begin_nested():
                db.session.add(IssueCounter(year=year, last=1))
            return 1
        except IntegrityError:  # another transaction created the year's row first: use it
            continue
    raise LedgerError(409, "编号分配冲突，请重试。")


# --- filing -------------------------------------------------------------------------------------

def _category(value):
    if value in (None, ""):
        return None
    cat = db.session.scalar(select(IssueCategory).where(IssueCategory.name == str(value).strip()))
    if cat is None or not cat.active:
        names = "、".join(db.session.scalars(select(IssueCategory.name).where(IssueCategory.active.is_(True))
                                            .order_by(IssueCategory.sort)))
        raise LedgerError(422, f"问题类别“{value}”不存在，可选：{names}。", "category")
    return cat


def create_issue(user, enterprise_id, title, description, source=None, category=None, visit_id=None,
                 received_on=None, level=None):
    """File a problem. Officers for their enterprises; enterprises for themselves (直通车); office for any."""
    roles = scope.role_names(user)
    if not roles & FILER_ROLES:
        raise LedgerError(403, "您的角色不能登记问题。")
    enterprise_id = _id(enterprise_id, "enterprise", "企业")
    if not scope.visible(Enterprise, enterprise_id, user):
        raise LedgerError(422, "所选企业不存在或不在您的服务范围内。", "enterprise")
    title = (_text(title, "title") or "").strip()
    description = (_text(description, "description") or "").strip()
    source, category, level = _text(source, "source"), _text(category, "category"), _text(level, "level")
    if not description:
        raise LedgerError(422, "请填写问题描述。", "description")
    if not title:
        title = description[:40]
    if len(title) > 200:
        raise LedgerError(422, "问题标题不能超过200字。", "title")
    is_office = bool(roles & OFFICE_ROLES)
    if "Enterprise" in roles and not is_office and "Officer" not in roles:
        source = "direct"
    source = source or ("visit" if visit_id else "phone" if is_office else "visit")
    if source not in ISSUE_SOURCES:
        raise LedgerError(422, "问题来源应为：" + "、".join(f"{k}（{v}）" for k, v in ISSUE_SOURCES.items()), "source")
    if level not in (None, "", *ISSUE_LEVELS):
        raise LedgerError(422, "问题层级应为 ordinary（一般）或 major（重大复杂）。", "level")
    today = clock.today()
    received_on = received_on or today
    if received_on > today:
        raise LedgerError(422, "反映时间不能晚于今天。", "received_on")
    visit = None
    if visit_id not in (None, ""):
        visit_id = _id(visit_id, "visit", "走访记录")
        visit = db.session.get(Visit, visit_id)
        if visit is None or visit.enterprise_id != enterprise_id or not scope.visible(Visit, visit_id, user):
            raise LedgerError(422, "所选走访记录不存在、不属于该企业或不在您的范围内。", "visit")
    officer = scope.officer_of(user) if "Officer" in roles else None
    if officer is None:  # the chief follows problems filed by others
        officer = db.session.scalar(select(Officer).join(Assignment).where(
            Assignment.enterprise_id == enterprise_id, Assignment.role == "chief",
            Assignment.is_current).limit(1))
    policy = get_policy()
    year = received_on.year
    seq = next_number(year)
    enterprise = db.session.get(Enterprise, enterprise_id)
    issue = Issue(
        number=f"{year}-{seq:04d}", year=year, seq=seq, enterprise_id=enterprise_id, officer=officer,
        visit=visit, source=source, category=_category(category), level=level or "ordinary",
        region=enterprise.subdistrict, title=title, description=description, status="new",
        received_on=received_on, created_by_id=user.id if user is not None else None,
        created_at=clock.utcnow(), updated_at=clock.utcnow(),
    )
    issue.transfer_due = transfer_due(received_on, policy)
    issue.due_on = current_due(issue)
    db.session.add(issue)
    _event(issue, user, "create", None, note=f"来源：{ISSUE_SOURCES[source]}")
    db.session.flush()
    return issue


# --- transitions ----------------------------------------------------------------------------------

def load_for(user, issue_id, version=None):
    """The issue if the user may see it (404 otherwise); 409 when ``version`` is given and stale."""
    issue = db.session.get(Issue, int(issue_id)) if valid_id(issue_id) else None
    if issue is None or not scope.visible(Issue, issue.id, user):
        raise LedgerError(404, "问题不存在或不在您的查看范围内。")
    if version not in (None, ""):
        try:
            stale = int(version) != issue.version
        except (TypeError, ValueError):
            raise LedgerError(422, "version 应为整数。", "version") from None
        if stale:
            raise LedgerError(409, STALE)
    return issue


def allowed_actions(user, issue):
    """Actions this user may take on this issue now (for buttons)."""
    kinds = role_kinds(user, issue)
    out = []
    for action in ACTIONS.values():
        if action.roles & kinds and issue.status in action.sources and _extra_check(action, user, issue, kinds) is None:
            out.append(action)
    return out


def _extra_check(action, user, issue, kinds):
    """Status-independent conditions beyond role and source status; a message when refused."""
    name = action.name
    if name in ("approve_extension", "reject_extension") and issue.pending_due is None:
        return "没有待审批的延期申请。"
    if name == "request_extension" and issue.pending_due is not None:
        return "已有一项延期申请待办公室审批。"
    if name == "approve_unable" and not issue.unable_requested:
        return "责任单位尚未申请“无法解决”。"
    if name == "resolve":
        if issue.status in BEFORE_TRANSFER and "officer" not in kinds:
            return "未转办的问题只能由首席服务官在本级办结。"
        if issue.status in BEFORE_TRANSFER and issue.triage_class not in (None, "simple", "policy"):
            return "综合问题类须转办责任单位办理，首席服务官不能在本级办结。"
        if issue.status == "in_progress" and "lead" not in kinds:
            return "已转办的问题由牵头单位办结。"
    if name == "close" and issue.satisfaction in (None, "dissatisfied"):
        return "企业尚未确认满意，不能销号（可由办公室回访后代为确认）。"
    if name == "confirm":
        resolver = db.session.scalar(select(IssueEvent.actor_id).where(
            IssueEvent.issue_id == issue.id, IssueEvent.action == "resolve").order_by(IssueEvent.id.desc()).limit(1))
        if user is not None and resolver == user.id or "lead" in kinds or "co" in kinds:
            return "不能评价自己办理的问题。"
        if issue.satisfaction is not None and issue.satisfaction != "dissatisfied":
            return "企业已确认，等待办公室销号。"
    if name == "escalate" and "office" not in kinds and "officer" in kinds and issue.escalation:
        return "已提请提级会商。"
    return None


def transition(user, issue_id, action_name, params=None, version=None):
    if not isinstance(action_name, str):
        raise LedgerError(422, "操作（action）应为文本。", "action")
    params = {k: (v if k == "co_departments" else _text(v, k)) for k, v in dict(params or {}).items()}
    action = ACTIONS.get(action_name)
    if action is None:
        raise LedgerError(422, f"未知的操作：{action_name}。可用操作：{'、'.join(ACTIONS)}。", "action")
    issue = load_for(user, issue_id, version)
    kinds = role_kinds(user, issue)
    if not action.roles & kinds:
        raise LedgerError(403, f"您不能对该问题执行“{action.label}”。")
    if issue.status not in action.sources:
        raise LedgerError(409, f"问题当前状态为“{issue.status_label}”，不能执行“{action.label}”。")
    refusal = _extra_check(action, user, issue, kinds)
    if refusal:
        raise LedgerError(409, refusal)
    for name in action.params:
        if params.get(name) in (None, "", []):
            raise LedgerError(422, f"请填写{PARAM_LABELS.get(name, name)}。", name)
    before = issue.status
    changes = {}
    note = HANDLERS[action.name](user, issue, params, changes, kinds)
    if action.target:
        _set(issue, changes, "status", action.target)
    _refresh_due(issue, changes)
    issue.updated_at = clock.utcnow()
    _event(issue, user, action.name, before, note=note, changes=changes)
    _flush()
    return issue


def _date_param(value, field):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise LedgerError(422, "日期格式应为YYYY-MM-DD。", field) from None


def _h_accept(user, issue, params, changes, kinds):
    _triage(issue, params, changes)
    return params.get("note")


def _triage(issue, params, changes):
    if params.get("category") not in (None, ""):
        _set(issue, changes, "category_id", _category(params["category"]).id)
    if params.get("triage_class") not in (None, ""):
        if params["triage_class"] not in TRIAGE_CLASSES:
            raise LedgerError(422, "分类应为 policy（政策咨询类）、simple（简单事项类）或 complex（综合问题类）。", "triage_class")
        _set(issue, changes, "triage_class", params["triage_class"])
    if params.get("level") not in (None, ""):
        if params["level"] not in ISSUE_LEVELS:
            raise LedgerError(422, "问题层级应为 ordinary（一般）或 major（重大复杂）。", "level")
        _set(issue, changes, "level", params["level"])
    if params.get("region") not in (None, ""):
        _set(issue, changes, "region", str(params["region"]).strip()[:50])


def _department(value, field):
    dept = db.session.get(Department, int(value)) if valid_id(value) else None
    if dept is None:
        raise LedgerError(422, "所选单位不存在。", field)
    return dept


def _h_assign(user, issue, params, changes, kinds):
    lead = _department(params["department"], "department")
    co_ids = params.get("co_departments") or []
    if not isinstance(co_ids, list):
        raise LedgerError(422, "配合单位应为单位编号的列表。", "co_departments")
    co = list(dict.fromkeys(_department(c, "co_departments") for c in co_ids))  # duplicates ignored
    if lead in co:
        raise LedgerError(422, "牵头单位不能同时是配合单位。", "co_departments")
    _triage(issue, params, changes)
    _set(issue, changes, "lead_department_id", lead.id)
    old_co = sorted(d.id for d in issue.co_departments)
    if old_co != sorted(d.id for d in co):
        changes["co_departments"] = [old_co, sorted(d.id for d in co)]
        issue.co_departments = co
    now = clock.utcnow()
    _set(issue, changes, "assigned_at", now)
    _set(issue, changes, "acknowledged_at", None)
    _set(issue, changes, "first_feedback_at", None)
    _set(issue, changes, "pending_due", None)
    _set(issue, changes, "pending_reason", None)
    _set(issue, changes, "unable_requested", False)
    feedback, resolve = after_transfer(clock.local(now).date(), issue.level, get_policy())
    _set(issue, changes, "feedback_due", feedback)
    _set(issue, changes, "resolve_due", resolve)
    return params.get("note") or f"转办至{lead.name}" + (f"，配合单位：{'、'.join(d.name for d in co)}" if co else "")


def _h_acknowledge(user, issue, params, changes, kinds):
    _set(issue, changes, "acknowledged_at", clock.utcnow())
    return params.get("note")


def _h_progress(user, issue, params, changes, kinds):
    if kinds & {"lead", "co"} and issue.first_feedback_at is None:
        _set(issue, changes, "first_feedback_at", clock.utcnow())
    return params["note"]


def _h_return(user, issue, params, changes, kinds):
    _set(issue, changes, "lead_department_id", None)
    if issue.co_departments:
        changes["co_departments"] = [sorted(d.id for d in issue.co_departments), []]
        issue.co_departments = []
    for field in ("assigned_at", "acknowledged_at", "first_feedback_at", "feedback_due", "resolve_due",
                  "pending_due", "pending_reason"):
        _set(issue, changes, field, None)
    _set(issue, changes, "unable_requested", False)
    return params["reason"]


def _h_request_extension(user, issue, params, changes, kinds):
    new_due = _date_param(params["new_due"], "new_due")
    if new_due < clock.today():
        raise LedgerError(422, "延期后的日期不能早于今天。", "new_due")
    if issue.resolve_due and new_due <= issue.resolve_due:
        raise LedgerError(422, f"延期后的日期应晚于当前办结时限{issue.resolve_due.isoformat()}。", "new_due")
    _set(issue, changes, "pending_due", new_due)
    _set(issue, changes, "pending_reason", str(params["reason"])[:500])
    return params["reason"]


def _h_approve_extension(user, issue, params, changes, kinds):
    _set(issue, changes, "resolve_due", issue.pending_due)
    if issue.feedback_due and issue.feedback_due > issue.resolve_due:
        _set(issue, changes, "feedback_due", issue.resolve_due)
    _set(issue, changes, "pending_due", None)
    _set(issue, changes, "pending_reason", None)
    return params.get("note")


def _h_reject_extension(user, issue, params, changes, kinds):
    _set(issue, changes, "pending_due", None)
    _set(issue, changes, "pending_reason", None)
    return params.get("reason") or params.get("note")


def _h_escalate(user, issue, params, changes, kinds):
    level = params["level"]
    if level not in ESCALATION_LEVELS:
        raise LedgerError(422, "提级层级应为：" + "、".join(f"{k}（{v}）" for k, v in ESCALATION_LEVELS.items()), "level")
    if "office" not in kinds and level != "consultation":
        raise LedgerError(403, "首席服务官可提请部门会商；更高层级由办公室决定。")
    _set(issue, changes, "escalation", level)
    if level in ("director", "leading_group"):
        _set(issue, changes, "level", "major")
    return params.get("note")


def _h_resolve(user, issue, params, changes, kinds):
    _set(issue, changes, "resolution", str(params["result"]))
    _set(issue, changes, "resolved_at", clock.utcnow())
    _set(issue, changes, "satisfaction", None)
    if issue.status == "in_progress" and issue.first_feedback_at is None:
        _set(issue, changes, "first_feedback_at", clock.utcnow())
    return params.get("note")


def _h_confirm(user, issue, params, changes, kinds):
    value = params["satisfaction"]
    if value not in SATISFACTION:
        raise LedgerError(422, "满意度应为 satisfied（满意）、basically_satisfied（基本满意）或 dissatisfied（不满意）。",
                          "satisfaction")
    if "enterprise" not in kinds:  # the office records a call-back (回访) on the enterprise's behalf
        if not params.get("note"):
            raise LedgerError(422, "代企业确认时请填写回访情况。", "note")
    _set(issue, changes, "satisfaction", value)
    if value == "dissatisfied":
        _set(issue, changes, "status", "in_progress" if issue.lead_department_id else "accepted")
        _set(issue, changes, "rework_count", issue.rework_count + 1)
        _set(issue, changes, "resolved_at", None)
    who = "企业确认" if "enterprise" in kinds else "办公室回访"
    return f"{who}：{SATISFACTION[value]}" + (f"。{params['note']}" if params.get("note") else "")


def _h_close(user, issue, params, changes, kinds):
    _set(issue, changes, "closed_at", clock.utcnow())
    return params.get("note")


def _h_declare_unable(user, issue, params, changes, kinds):
    _set(issue, changes, "unable_requested", True)
    return params["reason"]


def _h_approve_unable(user, issue, params, changes, kinds):
    _set(issue, changes, "unable_requested", False)
    return params.get("note")


def _h_void(user, issue, params, changes, kinds):
    return params["reason"]


HANDLERS = {
    "accept": _h_accept, "assign": _h_assign, "acknowledge": _h_acknowledge, "progress": _h_progress,
    "return": _h_return, "request_extension": _h_request_extension, "approve_extension": _h_approve_extension,
    "reject_extension": _h_reject_extension, "escalate": _h_escalate, "resolve": _h_resolve,
    "confirm": _h_confirm, "close": _h_close, "declare_unable": _h_declare_unable,
    "approve_unable": _h_approve_unable, "void": _h_void,
}

EDITABLE = ("title", "description", "category", "triage_class", "level", "region")


def edit_issue(user, issue_id, values, version=None):
    """Office edits of the triage fields; each change is logged; a level change moves the deadline."""
    issue = load_for(user, issue_id, version)
    if "office" not in role_kinds(user, issue):
        raise LedgerError(403, "只有首席服务官办公室可以修改问题信息。")
    if issue.status in FINAL_STATUSES:
        raise LedgerError(409, f"问题已{issue.status_label}，不能再修改。")
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise LedgerError(422, f"这些字段不能在此修改：{'、'.join(sorted(unknown))}。", sorted(unknown)[0])
    values = {k: _text(v, k) for k, v in values.items()}
    changes = {}
    for field in ("title", "description"):
        if field in values:
            text = (values[field] or "").strip()
            if not text:
                raise LedgerError(422, "不能为空。", field)
            _set(issue, changes, field, text)
    old_level = issue.level
    _triage(issue, values, changes)
    if issue.level != old_level and issue.assigned_at and not _extended(issue):
        feedback, resolve = after_transfer(clock.local(issue.assigned_at).date(), issue.level, get_policy())
        _set(issue, changes, "resolve_due", resolve)
    if not changes:
        return issue
    _refresh_due(issue, changes)
    issue.updated_at = clock.utcnow()
    _event(issue, user, "edit", issue.status, changes=changes)
    _flush()
    return issue


def _extended(issue):
    return db.session.scalar(select(exists().where(
        IssueEvent.issue_id == issue.id, IssueEvent.action == "approve_extension"))) if issue.id else False


def recompute_open(user, reason):
    """After a calendar or policy change: re-derive the open issues' deadlines (approved
    extensions are kept). Returns how many issues changed."""
    policy = get_policy()
    changed = 0
    for issue in db.session.scalars(select(Issue).where(Issue.status.in_(OPEN_STATUSES)).order_by(Issue.id)):
        changes = {}
        _set(issue, changes, "transfer_due", transfer_due(issue.received_on, policy))
        if issue.assigned_at:
            feedback, resolve = after_transfer(clock.local(issue.assigned_at).date(), issue.level, policy)
            _set(issue, changes, "feedback_due", feedback)
            if not _extended(issue):
                _set(issue, changes, "resolve_due", resolve)
        _refresh_due(issue, changes)
        if changes:
            changed += 1
            _event(issue, user, "recompute", issue.status, note=reason, changes=changes, internal=True)
    db.session.flush()
    return changed


def history(user, issue_id):
    issue = load_for(user, issue_id)
    query = select(IssueEvent).where(IssueEvent.issue_id == issue.id).order_by(IssueEvent.id)
    if not sees_internal(user):
        query = query.where(IssueEvent.internal.is_(False))
    return db.session.scalars(query).all()


