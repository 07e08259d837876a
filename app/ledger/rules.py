"""The problem ledger's state machine on the workflow kit (docs/domain.md#the-problem-ledger).

The action table below is the whole of who may do what to a problem; :data:`WORKFLOW` applies it
(app.workflow.engine). Errors are :class:`LedgerError` (the kit's WorkflowError) with an HTTP-like
``status``: 403 role not allowed, 404 out of scope, 409 wrong status or stale version, 422 bad
parameters.
"""

from sqlalchemy import exists, select

from .. import clock, scope, workflow
from .deadlines import after_transfer, current_due
from ..extensions import db
from ..models import (
    ESCALATION_LEVELS, ISSUE_LEVELS, SATISFACTION, TRIAGE_CLASSES, Assignment, Department, EnterpriseUser,
    Issue, IssueCategory, IssueEvent,
)
from ..settings import get_policy
from ..validation import InvalidValue, clean_date, valid_id
from ..vocab import (
    BEFORE_TRANSFER, DEPARTMENT, ENTERPRISE, OFFICE_ROLES, OFFICER, WITH_DEPARTMENT, labelled,
)
from ..workflow import WorkflowError, action, numbering
from ..notices.ledger_link import close_check as notice_close_check, close_note as notice_close_note
from ..notifications import handovers

LedgerError = WorkflowError  # the name the ledger's callers know
STALE = "该问题已被他人更新，请刷新后再操作。"
NUMBERS = numbering.register("issue", "问题编号", "{year}-{seq:04d}", max_length=12)

PARAM_LABELS = {"department": "牵头单位", "note": "进展情况", "reason": "原因", "new_due": "延期后的办结日期",
                "level": "层级", "result": "办理结果", "satisfaction": "满意度", "title": "问题标题",
                "description": "问题描述", "source": "问题来源", "category": "问题类别", "triage_class": "问题分类",
                "region": "所属街道", "co_departments": "配合单位", "version": "version", "action": "操作",
                "override_reason": "强制销号理由"}


def sees_internal(user):
    """Everyone but an enterprise's own login sees the office's deliberations."""
    return not (scope.role_names(user) <= {ENTERPRISE})


# --- who is the actor, relative to this issue --------------------------------------------------

def role_kinds(user, issue):
    """What the user is *for this issue*: office, lead, co, officer, enterprise."""
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if DEPARTMENT in roles:
        depts = scope.department_id_set(user)
        if issue.lead_department_id in depts:
            kinds.add("lead")
        if depts & {d.id for d in issue.co_departments}:
            kinds.add("co")
    if OFFICER in roles:
        officer = scope.officer_of(user)
        if officer is not None and db.session.scalar(select(exists().where(
                Assignment.officer_id == officer.id, Assignment.enterprise_id == issue.enterprise_id,
                Assignment.is_current))):
            kinds.add("officer")
    if ENTERPRISE in roles and db.session.scalar(select(exists().where(
            EnterpriseUser.user_id == user.id, EnterpriseUser.enterprise_id == issue.enterprise_id))):
        kinds.add("enterprise")
    return kinds


# --- parameters ---------------------------------------------------------------------------------

def category(value):
    """An active category by name (422 listing the choices otherwise); None for no value."""
    if value in (None, ""):
        return None
    cat = db.session.scalar(select(IssueCategory).where(IssueCategory.name == str(value).strip()))
    if cat is None or not cat.active:
        names = "、".join(db.session.scalars(select(IssueCategory.name).where(IssueCategory.active.is_(True))
                                            .order_by(IssueCategory.sort)))
        raise LedgerError(422, f"问题类别“{value}”不存在，可选：{names}。", "category")
    return cat


def level_error(value):
    if value not in (None, "", *ISSUE_LEVELS):
        return LedgerError(422, "问题层级应为 ordinary（一般）或 major（重大复杂）。", "level")
    return None


def _date_param(value, field):
    try:
        return clean_date(value)  # within the calendar window (docs/architecture.md#security)
    except InvalidValue as exc:
        raise LedgerError(422, str(exc), field) from None


def _department(value, field):
    dept = db.session.get(Department, int(value)) if valid_id(value) else None
    if dept is None:
        raise LedgerError(422, "所选单位不存在。", field)
    return dept


def triage(step, values):
    """Category, triage class, level and region from ``values`` (only those given)."""
    if values.get("category") not in (None, ""):
        step.set("category_id", category(values["category"]).id)
    if values.get("triage_class") not in (None, ""):
        if values["triage_class"] not in TRIAGE_CLASSES:
            raise LedgerError(422, "分类应为 policy（政策咨询类）、simple（简单事项类）或 complex（综合问题类）。", "triage_class")
        step.set("triage_class", values["triage_class"])
    if values.get("level") not in (None, ""):
        error = level_error(values["level"])
        if error:
            raise error
        step.set("level", values["level"])
    if values.get("region") not in (None, ""):
        step.set("region", str(values["region"]).strip()[:50])


# --- extra checks (status-independent conditions; a message when refused) ---------------------

def _pending_extension(step):
    return "没有待审批的延期申请。" if step.doc.pending_due is None else None


def _no_pending_extension(step):
    return "已有一项延期申请待办公室审批。" if step.doc.pending_due is not None else None


def _unable_requested(step):
    return None if step.doc.unable_requested else "责任单位尚未申请“无法解决”。"


def _may_resolve(step):
    issue, kinds = step.doc, step.kinds
    if issue.status in BEFORE_TRANSFER and "officer" not in kinds:
        return "未转办的问题只能由首席服务官在本级办结。"
    if issue.status in BEFORE_TRANSFER and issue.triage_class not in (None, "simple", "policy"):
        return "综合问题类须转办责任单位办理，首席服务官不能在本级办结。"
    if issue.status == "in_progress" and "lead" not in kinds:
        return "已转办的问题由牵头单位办结。"
    return None


def _confirmed(step):
    if step.doc.satisfaction in (None, "dissatisfied"):
        return "企业尚未确认满意，不能销号（可由办公室回访后代为确认）。"
    return None


def _may_confirm(step):
    issue, user = step.doc, step.user
    resolver = db.session.scalar(select(IssueEvent.actor_id).where(
        IssueEvent.issue_id == issue.id, IssueEvent.action == "resolve").order_by(IssueEvent.id.desc()).limit(1))
    if user is not None and resolver == user.id or "lead" in step.kinds or "co" in step.kinds:
        return "不能评价自己办理的问题。"  # nobody rates their own work
    if issue.satisfaction is not None and issue.satisfaction != "dissatisfied":
        return "企业已确认，等待办公室销号。"
    return None


def _not_yet_escalated(step):
    if "office" not in step.kinds and "officer" in step.kinds and step.doc.escalation:
        return "已提请提级会商。"
    return None


# --- handlers (each returns the note for the history) -------------------------------------------

def _accept(step):
    triage(step, step.params)
    return step.params.get("note")


def _assign(step):
    params = step.params
    lead = _department(params["department"], "department")
    co_ids = params.get("co_departments") or []
    if not isinstance(co_ids, list):
        raise LedgerError(422, "配合单位应为单位编号的列表。", "co_departments")
    co = list(dict.fromkeys(_department(c, "co_departments") for c in co_ids))  # duplicates ignored
    if lead in co:
        raise LedgerError(422, "牵头单位不能同时是配合单位。", "co_departments")
    issue = step.doc
    triage(step, params)
    step.set("lead_department_id", lead.id)
    old_co = sorted(d.id for d in issue.co_departments)
    if old_co != sorted(d.id for d in co):
        step.changes["co_departments"] = [old_co, sorted(d.id for d in co)]
        issue.co_departments = co
    now = clock.utcnow()
    step.set("assigned_at", now)
    for name in ("acknowledged_at", "first_feedback_at", "pending_due", "pending_reason"):
        step.set(name, None)
    step.set("unable_requested", False)
    feedback, resolve = after_transfer(clock.local(now).date(), issue.level, get_policy())
    step.set("feedback_due", feedback)
    step.set("resolve_due", resolve)
    return params.get("note") or f"转办至{lead.name}" + (f"，配合单位：{'、'.join(d.name for d in co)}" if co else "")


def _acknowledge(step):
    step.set("acknowledged_at", clock.utcnow())
    return step.params.get("note")


def _progress(step):
    if step.kinds & {"lead", "co"} and step.doc.first_feedback_at is None:
        step.set("first_feedback_at", clock.utcnow())
    return step.params["note"]


def _return(step):
    issue = step.doc
    step.set("lead_department_id", None)
    if issue.co_departments:
        step.changes["co_departments"] = [sorted(d.id for d in issue.co_departments), []]
        issue.co_departments = []
    for name in ("assigned_at", "acknowledged_at", "first_feedback_at", "feedback_due", "resolve_due",
                 "pending_due", "pending_reason"):
        step.set(name, None)
    step.set("unable_requested", False)
    step.set("returned_at", clock.utcnow())  # the office's 被退回 queue counts on it (app.notifications.queues)
    return step.params["reason"]


def _request_extension(step):
    issue, params = step.doc, step.params
    new_due = _date_param(params["new_due"], "new_due")
    if new_due < clock.today():
        raise LedgerError(422, "延期后的日期不能早于今天。", "new_due")
    if issue.resolve_due and new_due <= issue.resolve_due:
        raise LedgerError(422, f"延期后的日期应晚于当前办结时限{issue.resolve_due.isoformat()}。", "new_due")
    step.set("pending_due", new_due)
    step.set("pending_reason", str(params["reason"])[:500])
    return params["reason"]


def _approve_extension(step):
    issue = step.doc
    step.set("resolve_due", issue.pending_due)
    if issue.feedback_due and issue.feedback_due > issue.resolve_due:
        step.set("feedback_due", issue.resolve_due)
    step.set("pending_due", None)
    step.set("pending_reason", None)
    return step.params.get("note")


def _reject_extension(step):
    step.set("pending_due", None)
    step.set("pending_reason", None)
    return step.params.get("reason") or step.params.get("note")


def _escalate(step):
    level = step.params["level"]
    if level not in ESCALATION_LEVELS:
        raise LedgerError(422, "提级层级应为：" + labelled(ESCALATION_LEVELS), "level")
    if "office" not in step.kinds and level != "consultation":
        raise LedgerError(403, "首席服务官可提请部门会商；更高层级由办公室决定。")
    step.set("escalation", level)
    if level in ("director", "leading_group"):
        step.set("level", "major")
    return step.params.get("note")


def _resolve(step):
    step.set("resolution", str(step.params["result"]))
    step.set("resolved_at", clock.utcnow())
    step.set("satisfaction", None)
    if step.doc.status == "in_progress" and step.doc.first_feedback_at is None:
        step.set("first_feedback_at", clock.utcnow())
    return step.params.get("note")


def _confirm(step):
    issue, params, kinds = step.doc, step.params, step.kinds
    value = params["satisfaction"]
    if value not in SATISFACTION:
        raise LedgerError(422, "满意度应为 satisfied（满意）、basically_satisfied（基本满意）或 dissatisfied（不满意）。",
                          "satisfaction")
    if "enterprise" not in kinds and not params.get("note"):  # the office records a call-back (回访)
        raise LedgerError(422, "代企业确认时请填写回访情况。", "note")
    step.set("satisfaction", value)
    if value == "dissatisfied":
        step.set("status", "in_progress" if issue.lead_department_id else "accepted")
        step.set("rework_count", issue.rework_count + 1)
        step.set("resolved_at", None)
    who = "企业确认" if "enterprise" in kinds else "办公室回访"
    return f"{who}：{SATISFACTION[value]}" + (f"。{params['note']}" if params.get("note") else "")


def _close(step):
    step.set("closed_at", clock.utcnow())
    return notice_close_note(step)  # the note, with the office's override reason when a notice is open


def _may_close(step):  # confirmed, and no open assignment notice unless the office overrides (app/notices)
    return _confirmed(step) or notice_close_check(step)


def _declare_unable(step):
    step.set("unable_requested", True)
    return step.params["reason"]


def _approve_unable(step):
    step.set("unable_requested", False)
    return step.params.get("note")


def _void(step):
    return step.params["reason"]


# --- the action table -------------------------------------------------------------------------------
# internal=True: the office's deliberations, hidden from the enterprise following its problem

ACTIONS = workflow.table(
    action("accept", "受理", {"office"}, ("new",), "accepted", handler=_accept),
    action("assign", "转办", {"office"}, ("accepted",), "assigned", ("department",), handler=_assign),
    action("acknowledge", "签收", {"lead"}, ("assigned",), "in_progress", handler=_acknowledge),
    action("progress", "反馈进展", {"office", "lead", "co", "officer"}, WITH_DEPARTMENT, None, ("note",),
           handler=_progress),
    action("return", "退回", {"lead"}, WITH_DEPARTMENT, "accepted", ("reason",), handler=_return,
           internal=True, style="danger"),
    action("request_extension", "申请延期", {"lead"}, WITH_DEPARTMENT, None, ("new_due", "reason"),
           handler=_request_extension, check=_no_pending_extension, internal=True),
    action("approve_extension", "同意延期", {"office"}, WITH_DEPARTMENT, handler=_approve_extension,
           check=_pending_extension, internal=True),
    action("reject_extension", "不同意延期", {"office"}, WITH_DEPARTMENT, handler=_reject_extension,
           check=_pending_extension, internal=True, style="default"),
    action("escalate", "提级会商", {"office", "officer"}, ("accepted", *WITH_DEPARTMENT), None, ("level",),
           handler=_escalate, check=_not_yet_escalated, internal=True),
    action("resolve", "办结", {"lead", "officer"}, ("new", "accepted", "in_progress"), "resolved", ("result",),
           handler=_resolve, check=_may_resolve),
    action("confirm", "确认评价", {"enterprise", "office"}, ("resolved",), None, ("satisfaction",),
           handler=_confirm, check=_may_confirm),
    action("close", "销号", {"office"}, ("resolved",), "closed", handler=_close, check=_may_close),
    action("declare_unable", "申请无法解决", {"lead"}, WITH_DEPARTMENT, None, ("reason",), handler=_declare_unable,
           internal=True),
    action("approve_unable", "同意无法解决", {"office"}, WITH_DEPARTMENT, "unable", handler=_approve_unable,
           check=_unable_requested, internal=True),
    action("void", "作废", {"office"}, BEFORE_TRANSFER, "void", ("reason",), handler=_void, style="danger"),
)
# events written outside the action table that the enterprise does not see either
INTERNAL_EVENTS = {"edit", "recompute"}


def _after(step, act):
    """After every action: the deadline that applies now, and the time of the change."""
    step.set("due_on", current_due(step.doc))
    step.doc.updated_at = clock.utcnow()
    if act.name == "resolve":  # 办结: the close-out satisfaction survey (app/surveys)
        from ..surveys.rules import problem_resolved

        problem_resolved(step.doc)


def confirm_from_survey(issue, value, note):
    """The enterprise's five-level close-out answer (app/surveys) as this problem's confirmation, on
    the same handler as ``confirm`` (不满意 sends it back to rework). Only while it waits for one."""
    if issue.status != "resolved" or issue.satisfaction not in (None, "dissatisfied"):
        return False
    step = workflow.Step(None, issue, {"satisfaction": value}, {"enterprise"})
    before = issue.status
    _confirm(step)
    _after(step, ACTIONS["confirm"])
    ev = event(issue, None, "confirm", before, note=note, changes=step.changes)
    if getattr(WORKFLOW, "notify", None):  # the hand-over messages of a confirm (rework: the lead unit)
        db.session.flush()
        WORKFLOW.tell(step, ACTIONS["confirm"], ev)
    return True


WORKFLOW = workflow.Workflow(
    kind="issue", model=Issue, label="问题", actions=ACTIONS, role_kinds=role_kinds, event_model=IssueEvent,
    event_owner="issue", param_labels=PARAM_LABELS, raw_params=("co_departments",), after=_after, stale=STALE,
    notify=handovers.issue,  # every hand-over is a message (app.notifications)
)


def transition(user, issue_id, action_name, params=None, version=None):
    return WORKFLOW.apply(user, issue_id, action_name, params, version)


def load_for(user, issue_id, version=None):
    return WORKFLOW.load(user, issue_id, version)


def allowed_actions(user, issue):
    return WORKFLOW.allowed(user, issue)


def commit():
    WORKFLOW.commit()


def event(issue, user, action_name, from_status, note=None, changes=None, internal=False):
    return WORKFLOW.record(issue, user, action_name, from_status, note=note, changes=changes,
                           internal=internal or action_name in INTERNAL_EVENTS)


def history(user, issue_id):
    issue = load_for(user, issue_id)
    query = select(IssueEvent).where(IssueEvent.issue_id == issue.id).order_by(IssueEvent.id)
    if not sees_internal(user):
        query = query.where(IssueEvent.internal.is_(False))
    return db.session.scalars(query).all()
