"""The accountability ladder of assessments (六(四)): a published quarter opens a case for every subject
graded 不合格 or in the bottom (red) band two quarters running. A case is reported to the 四位一体督察组
with a follow-up due date → no progress → request to the 纪工委 for accountability → closed; each step
has its date and its note (the case's history)."""
from datetime import date

from sqlalchemy import select

from .. import clock, scope, workdays
from ..extensions import db
from ..vocab import ASSESSMENT_FAIL, OFFICE_ROLES
from ..workflow import Workflow, action, table
from . import settings
from .models import Assessment, AssessmentCase, AssessmentCaseEvent
from .schemes import AssessmentError

PARAM_LABELS = {"note": "情况说明", "follow_up_due": "跟踪督导期限"}


def triggers(cycle):
    """{subject_id: reason} of the subjects whose result opens a case."""
    from .cycles import period_of, previous_cycle

    if period_of(cycle).kind != "quarter":
        return {}
    prev = previous_cycle(cycle)
    prev_bands = {} if prev is None else dict(db.session.execute(select(Assessment.subject_id, Assessment.band).where(
        Assessment.cycle_id == prev.id)).all())
    out = {}
    for a in cycle.assessments:
        reasons = []
        if a.grade == ASSESSMENT_FAIL:
            reasons.append("考核等次为不合格" + ("（一票否决）" if a.vetoed else ""))
        if a.band == "red" and prev_bands.get(a.subject_id) == "red":
            reasons.append("连续两个季度排名处于末位（红档）")
        if reasons:
            out[a.subject_id] = "；".join(reasons)
    return out


def open_cases(cycle):
    made = []
    names = {a.subject_id: a.subject_name for a in cycle.assessments}
    for sid, reason in triggers(cycle).items():
        exists = db.session.scalar(select(AssessmentCase.id).where(
            AssessmentCase.cycle_id == cycle.id, AssessmentCase.subject_type == cycle.subject,
            AssessmentCase.subject_id == sid))
        if exists:
            continue
        case = AssessmentCase(subject_type=cycle.subject, subject_id=sid, subject_name=names[sid], cycle_id=cycle.id,
                              trigger=reason[:300], status="opened", opened_at=clock.utcnow())
        db.session.add(case)
        db.session.flush()
        WORKFLOW.record(case, None, "create", None, note=f"{cycle.period}考核：{reason}")
        made.append(case)
    return made


def role_kinds(user, case):
    roles = scope.role_names(user)
    return {"office"} if roles & OFFICE_ROLES else set()


def _today():
    return clock.today()


def _report(step):
    due = step.params.get("follow_up_due")
    if due:
        try:
            due = date.fromisoformat(due)
        except ValueError:
            raise AssessmentError(422, "跟踪督导期限应为日期（YYYY-MM-DD）。", "follow_up_due") from None
        if due <= _today():
            raise AssessmentError(422, "跟踪督导期限应晚于今天。", "follow_up_due")
    else:
        due = workdays.add_workdays(_today(), settings.get().follow_up_workdays)
    step.set("reported_on", _today())
    step.set("follow_up_due", due)
    return step.params["note"]


def _no_progress(step):
    step.set("no_progress_on", _today())
    return step.params["note"]


def _request(step):
    step.set("requested_on", _today())
    return step.params["note"]


def _close(step):
    step.set("closed_on", _today())
    return step.params["note"]


ACTIONS = table(
    action("report", "报四位一体督察组", {"office"}, ("opened",), "reported", ("note",), handler=_report),
    action("no_progress", "认定整改无进展", {"office"}, ("reported",), "no_progress", ("note",), handler=_no_progress),
    action("request", "提请纪工委问责", {"office"}, ("no_progress",), "requested", ("note",), handler=_request),
    action("close", "结案", {"office"}, ("opened", "reported", "no_progress", "requested"), "closed", ("note",),
           handler=_close, style="danger"),
)
EVENT_LABELS = {"create": "启动", **{n: a.label for n, a in ACTIONS.items()}}

WORKFLOW = Workflow(kind="assessment_case", model=AssessmentCase, label="问责跟踪", actions=ACTIONS,
                    role_kinds=role_kinds, event_model=AssessmentCaseEvent, event_owner="case",
                    param_labels=PARAM_LABELS)


def load(user, pk):
    return WORKFLOW.load(user, pk)


def history(case):
    return db.session.scalars(select(AssessmentCaseEvent).where(AssessmentCaseEvent.case_id == case.id)
                              .order_by(AssessmentCaseEvent.id)).all()


def case_query(user, args=None):
    args = args or {}
    query = scope.restrict(AssessmentCase, select(AssessmentCase), user)
    if args.get("status"):
        query = query.where(AssessmentCase.status == args["status"])
    return query.order_by(AssessmentCase.id.desc())
