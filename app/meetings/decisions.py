"""The decisions (议定事项) of published minutes: ``open`` → report (the lead unit) → ``reported`` →
verify (the office) → ``verified``; cancel (the office, with a reason) → ``cancelled``; to_notice
(the office) turns an open decision into an assignment notice (app.notices) in one step.

Every action also writes an event on the decision's problem in the ledger (``meeting_decision``),
and the meeting closes by itself once every decision is verified or cancelled
(docs/domain.md, 六(二); docs/architecture.md#the-workflow-kit-and-how-to-add-a-workflow-document-type).
"""
from sqlalchemy import select

from .. import clock, scope, workflow
from ..extensions import db
from ..ledger import rules as ledger
from ..vocab import DEPARTMENT, MEETING_PUBLISHED, OFFICE_ROLES
from ..workflow import WorkflowError, action
from ..notifications import handovers
from . import rules
from .models import DecisionEvent, MeetingDecision

DecisionError = WorkflowError
PARAM_LABELS = {"text": "办理情况", "reason": "撤销原因", "note": "说明"}


def role_kinds(user, decision):
    """office; lead (the lead unit's login); co (a co-unit's login)."""
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if DEPARTMENT in roles:
        depts = scope.department_id_set(user)
        if decision.lead_department_id in depts:
            kinds.add("lead")
        if depts & {d.id for d in decision.co_departments}:
            kinds.add("co")
    return kinds


# --- checks and handlers ------------------------------------------------------------------------------

def _in_force(step):
    if step.doc.meeting.status not in MEETING_PUBLISHED:
        return "纪要尚未印发，议定事项尚未生效。"
    return None


def _notices_on(step):
    return _in_force(step) or _not_yet_a_notice(step)


def _not_yet_a_notice(step):
    """One decision, one notice: turning it again would send the unit the same task twice."""
    from ..notices.models import Notice

    made = db.session.execute(select(Notice.id, Notice.number).where(
        Notice.decision_id == step.doc.id, Notice.status != "void").order_by(Notice.id)).first()
    if made is None:
        return None
    return (f"该议定事项已转为交办通知单{made.number or f'（草稿 #{made.id}）'}，不能重复转办；"
            "如需重新交办，请先作废原通知单。")


def _report(step):
    step.set("report_text", rules._text(step.params["text"], "text", 4000, required=True))
    step.set("reported_at", clock.utcnow())
    step.set("reported_by_id", step.user.id)
    return step.params["text"]


def _verify(step):
    step.set("verified_at", clock.utcnow())
    step.set("verified_by_id", step.user.id)
    return step.params.get("note")


def _cancel(step):
    step.set("cancel_reason", rules._text(step.params["reason"], "reason", 500))
    return step.params["reason"]


def _to_notice(step):
    from ..notices.rules import create_from_decision

    notice = create_from_decision(step.user, step.doc)
    step.changes["notice_id"] = [None, notice.id]
    return f"转为交办通知单{notice.number or ''}（#{notice.id}）"


ACTIONS = workflow.table(
    action("report", "报告办理情况", {"lead"}, ("open",), "reported", ("text",), handler=_report, check=_in_force),
    action("verify", "核销", {"office"}, ("reported",), "verified", handler=_verify, check=_in_force),
    action("cancel", "撤销", {"office"}, ("open", "reported"), "cancelled", ("reason",), handler=_cancel,
           check=_in_force, style="danger"),
    action("to_notice", "转交办通知单", {"office"}, ("open",), None, handler=_to_notice, check=_notices_on,
           style="default"),
)
EVENT_LABELS = {name: a.label for name, a in ACTIONS.items()}


def _after(step, act):
    """The decision's problem hears of it; the meeting closes when nothing is left open."""
    decision = step.doc
    decision.updated_at = clock.utcnow()
    if decision.issue is not None:
        ledger.event(decision.issue, step.user, "meeting_decision", decision.issue.status,
                     note=f"{decision.meeting.number}第{decision.seq}项议定事项：{act.label}"
                          + (f"。{step.params.get('text') or step.params.get('reason')}"
                             if step.params.get("text") or step.params.get("reason") else ""))
    if act.target in ("verified", "cancelled"):  # the engine has set the new status already
        rules.close_if_done(decision.meeting, step.user)


WORKFLOW = workflow.Workflow(
    kind="meeting_decision", model=MeetingDecision, label="议定事项", actions=ACTIONS, role_kinds=role_kinds,
    event_model=DecisionEvent, event_owner="decision", param_labels=PARAM_LABELS, after=_after,
    notify=handovers.decision,  # every hand-over is a message (app.notifications)
)


def transition(user, decision_id, action_name, params=None, version=None):
    return WORKFLOW.apply(user, decision_id, action_name, params, version)


def load_for(user, decision_id, version=None):
    return WORKFLOW.load(user, decision_id, version)


def allowed_actions(user, decision):
    return WORKFLOW.allowed(user, decision)


def history(user, decision_id):
    decision = load_for(user, decision_id)
    return db.session.scalars(select(DecisionEvent).where(DecisionEvent.decision_id == decision.id)
                              .order_by(DecisionEvent.id)).all()
