"""Appeals (申诉复核): the assessed officer or unit appeals a published result within the appeal
window (working days, a setting); the office upholds it (the item's new points: score, grade and
rank are recomputed and every changed result keeps its earlier version) or rejects it with a reason."""
from sqlalchemy import select

from .. import clock, scope
from ..extensions import db
from ..models import DepartmentUser, Officer
from ..validation import LONG_TEXT_MAX, text_problem, valid_id
from ..vocab import DEPARTMENT, OFFICE_ROLES, OFFICER
from ..workflow import Workflow, action, table
from . import cycles
from .models import Appeal, AppealEvent, Assessment, AssessmentVersion
from .schemes import AssessmentError

PARAM_LABELS = {"points": "改判后得分", "note": "复核意见", "item": "考核项"}


def is_subject(user, a):
    """True when the login is the assessed officer, or acts for the assessed unit."""
    if user is None:
        return False
    roles = scope.role_names(user)
    if a.subject_type == "officer" and OFFICER in roles:
        return db.session.scalar(select(Officer.id).where(Officer.user_id == user.id)) == a.subject_id
    if a.subject_type == "department" and DEPARTMENT in roles:
        return a.subject_id in set(db.session.scalars(select(DepartmentUser.department_id).where(
            DepartmentUser.user_id == user.id)))
    return False


def may_appeal(user, a):
    """None when this user may appeal this result now, else the reason (Chinese)."""
    if not is_subject(user, a):
        return "只有被考核的服务官或单位本人可以申诉。"
    cycle = a.cycle
    if cycle.status != "published":
        return "考核结果公布后、申诉期内方可申诉。"
    if cycle.appeal_due and clock.today() > cycle.appeal_due:
        return f"申诉期已于{cycle.appeal_due:%Y-%m-%d}届满。"
    if db.session.scalar(select(Appeal.id).where(Appeal.assessment_id == a.id, Appeal.status == "filed")):
        return "已有待复核的申诉，请等待办公室复核。"
    return None


def file(user, assessment_id, reason, item_id=None):
    a = db.session.get(Assessment, int(assessment_id)) if valid_id(assessment_id) else None
    if a is None or not scope.visible(Assessment, a.id, user):
        raise AssessmentError(404, "考核结果不存在或不在您的查看范围内。")
    refusal = may_appeal(user, a)
    if refusal:
        raise AssessmentError(403 if refusal.startswith("只有") else 409, refusal)
    reason = str(reason or "").strip() if isinstance(reason, (str, int, float)) else None
    if not reason:
        raise AssessmentError(422, "请填写申诉理由。", "reason")
    problem = text_problem(reason, LONG_TEXT_MAX, multiline=True)
    if problem:
        raise AssessmentError(422, f"申诉理由：{problem}", "reason")
    item = None
    if item_id not in (None, ""):
        try:
            item_id = int(item_id)
        except (TypeError, ValueError):
            raise AssessmentError(422, "考核项不正确。", "item") from None
        item = next((ln.item for ln in a.lines if ln.item_id == item_id), None)
        if item is None:
            raise AssessmentError(422, "该考核项不属于这份考核结果。", "item")
    appeal = Appeal(assessment=a, item=item, reason=reason, filed_by_id=user.id, filed_at=clock.utcnow(), status="filed")
    db.session.add(appeal)
    db.session.flush()
    WORKFLOW.record(appeal, user, "create", None, note=reason)
    from .. import notifications

    notifications.notify(cycles.office_user_ids(), f"{a.subject_name}对{a.cycle.period}考核结果提出申诉",
                         f"/assessments/appeals/{appeal.id}", kind="appeal", key=f"appeal:{appeal.id}:file")
    return appeal


def role_kinds(user, appeal):
    roles = scope.role_names(user)
    kinds = {"office"} if roles & OFFICE_ROLES else set()
    if is_subject(user, appeal.assessment):
        kinds.add("appellant")
    return kinds


def _open_cycle(step):
    return None if step.doc.assessment.cycle.status == "published" else "考核周期已不在申诉期，不能复核。"


def _uphold(step):
    appeal = step.doc
    a = appeal.assessment
    item_id = appeal.item_id or step.params.get("item")
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise AssessmentError(422, "请选择改判的考核项。", "item") from None
    line = next((ln for ln in a.lines if ln.item_id == item_id), None)
    if line is None:
        raise AssessmentError(422, "该考核项不属于这份考核结果。", "item")
    if line.item.rule == "veto":
        value = cycles.parse_points(step.params["points"], line.item)
        before = 1.0 if line.state == "veto" else 0.0
        line.state, line.raw_text = ("veto" if value else "ok"), ("成立" if value else "不成立")
    else:
        value = cycles.parse_points(step.params["points"], line.item)
        before = line.points
        line.points, line.state = value, "ok"
    step.set("item_id", item_id)
    step.set("points_before", before)
    step.set("points_after", value)
    step.set("decided_by_id", getattr(step.user, "id", None))
    step.set("decided_at", clock.utcnow())
    step.set("decision_note", step.params.get("note"))
    line.note = f"申诉改判（申诉#{appeal.id}）：{before if before is not None else '—'} → {value:g}"
    db.session.flush()
    cycle = a.cycle
    cycles.finish(cycle)
    latest = {v.assessment_id: v for v in db.session.scalars(select(AssessmentVersion).join(
        Assessment, Assessment.id == AssessmentVersion.assessment_id).where(Assessment.cycle_id == cycle.id)
        .order_by(AssessmentVersion.revision))}
    for other in cycle.assessments:
        v = latest.get(other.id)
        if other.id == a.id or v is None or (v.score, v.rank, v.grade) != (other.score, other.rank, other.grade):
            cycles.snapshot(other, f"申诉#{appeal.id}改判" + ("" if other.id == a.id else "后名次调整"), appeal.id)
    return step.params.get("note") or f"{line.item.name}改判为{value:g}"


def _reject(step):
    step.set("decided_by_id", getattr(step.user, "id", None))
    step.set("decided_at", clock.utcnow())
    step.set("decision_note", step.params["note"])
    return step.params["note"]


ACTIONS = table(
    action("uphold", "申诉成立（改判）", {"office"}, ("filed",), "upheld", ("points",), handler=_uphold, check=_open_cycle),
    action("reject", "维持原评", {"office"}, ("filed",), "rejected", ("note",), handler=_reject, check=_open_cycle,
           style="danger"),
)
EVENT_LABELS = {"create": "提出申诉", **{n: a.label for n, a in ACTIONS.items()}}

WORKFLOW = Workflow(kind="appeal", model=Appeal, label="申诉", actions=ACTIONS, role_kinds=role_kinds,
                    event_model=AppealEvent, event_owner="appeal", param_labels=PARAM_LABELS)


def load(user, pk):
    return WORKFLOW.load(user, pk)


def history(appeal):
    return db.session.scalars(select(AppealEvent).where(AppealEvent.appeal_id == appeal.id).order_by(AppealEvent.id)).all()


def appeal_query(user, args=None):
    args = args or {}
    query = scope.restrict(Appeal, select(Appeal), user)
    if args.get("status"):
        query = query.where(Appeal.status == args["status"])
    if args.get("assessment"):
        query = query.where(Appeal.assessment_id == args["assessment"])
    return query.order_by(Appeal.id.desc())
