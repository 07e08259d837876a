"""Drafting and editing a notice (the office's own step before ``submit``): from a ledger problem, a
meeting decision (``create_from_decision``), an officer's request or a leader's instruction.
Part of the notice's rules (app.notices.rules re-exports these)."""
from datetime import date

from sqlalchemy import select

from .. import clock, scope
from ..extensions import db
from ..models import Department, Issue, IssueEvent
from ..validation import valid_id
from ..vocab import OFFICE_ROLES, OPEN_STATUSES, labelled
from ..workflow import Step, WorkflowError
from .models import Notice, NoticeRecipient
from .rules import (
    BASES, DEFAULT_CC, DEFAULT_REQUIREMENTS, FEEDBACK_CYCLES, SECTIONS, SOLE_REQUIREMENTS, URGENCIES, WORKFLOW,
    default_requirements,
)

EDITABLE = ("department", "co_departments", "due_on", "title", "body", "urgency", "cc", "feedback_cycle")


def _office_only(user):
    if not scope.role_names(user) & OFFICE_ROLES:
        raise WorkflowError(403, "只有首席服务官办公室可以起草或修改交办通知单。")


def _issue(value):
    if value in (None, ""):
        return None
    issue = db.session.get(Issue, int(value)) if valid_id(value) else None
    if issue is None:
        raise WorkflowError(422, "所选问题不存在。", "issue")
    if issue.status not in OPEN_STATUSES:
        raise WorkflowError(409, f"问题当前状态为“{issue.status_label}”，不能再发交办通知单。", "issue")
    return issue


def _department(value, field):
    dept = db.session.get(Department, int(value)) if valid_id(value) else None
    if dept is None:
        raise WorkflowError(422, "所选单位不存在。", field)
    return dept


def _co(values, lead):
    ids = values.get("co_departments") or []
    if isinstance(ids, (str, int)):
        ids = [v for v in str(ids).replace("，", ",").split(",") if v.strip()]
    if not isinstance(ids, (list, tuple)):
        raise WorkflowError(422, "配合单位应为单位编号的列表。", "co_departments")
    co = list(dict.fromkeys(_department(str(v).strip(), "co_departments") for v in ids))
    if lead is not None and lead in co:
        raise WorkflowError(422, "牵头单位不能同时是配合单位。", "co_departments")
    return co


def _due(value):
    if value in (None, ""):
        return None
    try:
        due = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise WorkflowError(422, "办理时限的日期格式应为YYYY-MM-DD。", "due_on") from None
    if due < clock.today():
        raise WorkflowError(422, "办理时限不能早于今天。", "due_on")
    return due


def _text(value, field, limit):
    if value is None:
        return None
    if not isinstance(value, (str, int)):
        raise WorkflowError(422, f"{WORKFLOW.param_label(field)}应为文本。", field)
    text = str(value).strip()
    if len(text) > limit:
        raise WorkflowError(422, f"{WORKFLOW.param_label(field)}不能超过{limit}个字。", field)
    return text


def default_body(issue):
    """The four sections prefilled from the problem: the enterprise, the problem, the coordination so far."""
    if issue is None:
        return {"enterprise": "", "problem": "", "coordination": "", "requirements": default_requirements(False)}
    ent = issue.enterprise
    facts = "，".join(x for x in (ent.name, ent.address and f"位于{ent.address}", ent.industry and f"所属行业{ent.industry}",
                                  ent.legal_rep and f"法定代表人{ent.legal_rep}") if x)
    notes = db.session.scalars(select(IssueEvent.note).where(
        IssueEvent.issue_id == issue.id, IssueEvent.action == "progress", IssueEvent.internal.is_(False),
        IssueEvent.note.isnot(None)).order_by(IssueEvent.id)).all()
    return {"enterprise": facts + "。", "problem": f"{issue.title}：{issue.description}",
            "coordination": "；".join(n.strip().rstrip("。；;.") for n in notes) + "。" if notes else "经首席服务官协调，问题尚未解决。",
            "requirements": default_requirements(bool(issue.co_departments))}


def _body(value, issue, current=None):
    base = dict(current or default_body(issue))
    if value in (None, ""):
        return base
    if isinstance(value, str):
        base["problem"] = value.strip()
        return base
    if not isinstance(value, dict):
        raise WorkflowError(422, "正文应为文本，或含 " + labelled(SECTIONS) + " 的对象。", "body")
    by_heading = {v: k for k, v in SECTIONS.items()}
    for key, text in value.items():
        key = by_heading.get(key, key)
        if key not in SECTIONS:
            raise WorkflowError(422, f"正文中没有“{key}”一节，可用：{labelled(SECTIONS)}。", "body")
        base[key] = _text(text, "body", 5000) or ""
    return base


def _choice(value, field, allowed, default=None):
    if value in (None, ""):
        return default
    if value not in allowed:
        raise WorkflowError(422, f"{WORKFLOW.param_label(field)}应为：{'、'.join(allowed)}。", field)
    return value


def _set_recipients(step, lead, co):
    notice = step.doc
    old = sorted((r.role, r.department_id) for r in notice.recipients)
    new = sorted([("lead", lead.id)] + [("co", d.id) for d in co])
    if old != new:
        step.changes["recipients"] = [old, new]
        kept = {r.department_id: r for r in notice.recipients}  # a unit keeps its row (one per notice and unit:
        rows = []                                                # a new row beside the old one broke the key)
        for role, department in [("lead", lead)] + [("co", d) for d in co]:
            row = kept.pop(department.id, None) or NoticeRecipient(department=department)
            row.role = role
            rows.append(row)
        notice.recipients = rows


def _apply(step, values, issue, creating):
    notice = step.doc
    if creating or "department" in values or "co_departments" in values:
        lead = _department(values.get("department"), "department") if (creating or values.get("department")) \
            else notice.lead
        if lead is None:
            raise WorkflowError(422, "请选择牵头单位。", "department")
        _set_recipients(step, lead, _co(values, lead))
    if creating or "due_on" in values:
        step.set("due_on", _due(values.get("due_on")))
    if creating or "title" in values:
        title = _text(values.get("title"), "title", 200)
        if not title:
            title = f"关于{issue.enterprise.name}{issue.title}的交办通知" if issue else "关于有关事项的交办通知"
        step.set("title", title[:200])
    if creating or "body" in values or "co_departments" in values:
        body = _body(values.get("body"), issue, None if creating else notice.body)
        if body.get("requirements") in (DEFAULT_REQUIREMENTS, SOLE_REQUIREMENTS):  # the untouched default
            body["requirements"] = default_requirements(bool(notice.co_units))  # names 配合单位 only if any
        step.set("body", body)
    if creating or "urgency" in values:
        step.set("urgency", _choice(values.get("urgency"), "urgency", URGENCIES))
    if creating or "cc" in values:
        cc = _text(values.get("cc"), "cc", 300)
        step.set("cc", cc if cc is not None else (DEFAULT_CC if creating else None))
    if creating or "feedback_cycle" in values:
        step.set("feedback_cycle", _choice(values.get("feedback_cycle"), "feedback_cycle", FEEDBACK_CYCLES, "none"))


def create_draft(user, values):
    """A new ``draft`` from ``values`` (issue or decision, department, co_departments, due_on, title,
    body, urgency, cc, feedback_cycle, basis). Flushed, not committed."""
    _office_only(user)
    values = dict(values or {})
    issue = _issue(values.get("issue"))
    decision = values.get("decision")
    if decision not in (None, "") and not valid_id(decision):
        raise WorkflowError(422, "议定事项编号不正确。", "decision")
    if issue is None and decision in (None, ""):
        raise WorkflowError(422, "请指定交办的问题（issue）或会商议定事项（decision）。", "issue")
    if issue is not None and not scope.visible(Issue, issue.id, user):
        raise WorkflowError(422, "所选问题不存在。", "issue")
    basis = _choice(values.get("basis"), "basis", BASES, "decision" if decision not in (None, "") else "issue")
    notice = Notice(status="draft", basis=basis, issue_id=issue.id if issue else None, issue=issue,
                    decision_id=int(decision) if decision not in (None, "") else None, title="", body={},
                    drafted_by_id=user.id if user is not None else None, drafted_at=clock.utcnow(),
                    created_at=clock.utcnow(), updated_at=clock.utcnow(), feedback_cycle="none", rework_count=0)
    step = Step(user, notice, values, {"office"})
    _apply(step, values, issue, creating=True)
    db.session.add(notice)
    db.session.flush()
    WORKFLOW.record(notice, user, "create", None, note=f"起草：{notice.title}")
    WORKFLOW.flush()
    return notice


def create_from_decision(user, decision, **values):
    """A draft from a meeting decision (会商议定事项): ``decision`` is the decision row (its ``id``,
    ``issue_id``, ``lead_department_id``, ``co_departments`` (rows or ids), ``due_on``,
    ``feedback_cycle``, ``text``); ``values`` override any field as in :func:`create_draft`."""
    co = getattr(decision, "co_departments", None) or []
    text = getattr(decision, "text", None)
    base = {"decision": getattr(decision, "id", decision), "issue": getattr(decision, "issue_id", None),
            "department": getattr(decision, "lead_department_id", None),
            "co_departments": [getattr(d, "id", d) for d in co], "due_on": getattr(decision, "due_on", None),
            "feedback_cycle": getattr(decision, "feedback_cycle", None), "basis": "decision",
            "body": {"requirements": f"根据会商议定事项：{text}"} if text else None}
    return create_draft(user, {**{k: v for k, v in base.items() if v not in (None, "")}, **values})


def edit_draft(user, notice_id, values, version=None):
    """Change a ``draft`` (the office; after a return, too). One ``edit`` event with the changes."""
    notice = WORKFLOW.load(user, notice_id, version)
    _office_only(user)
    if notice.status != "draft":
        raise WorkflowError(409, f"交办通知单当前状态为“{notice.status_label}”，只有草稿可以修改。")
    values = {k: v for k, v in dict(values or {}).items() if k in EDITABLE}
    step = Step(user, notice, values, {"office"})
    _apply(step, values, notice.issue, creating=False)
    if step.changes:
        notice.updated_at = clock.utcnow()
        WORKFLOW.record(notice, user, "edit", notice.status, changes=step.changes)
    WORKFLOW.flush()
    return notice
