"""差评件: the bad-review case on the workflow kit (docs/surveys.md#the-bad-review-loop).

A response with 不满意/非常不满意 about a rated party opens one case per party: 待核实 → (office verifies)
整改中, rectification due in 15 working days → (the rated party or the office reports it) 待回访 →
(the office calls the enterprise back) 已办结, or back to 整改中 when the enterprise is still not
satisfied. The rated party may appeal within 3 working days of the case opening; the director decides:
upheld → 已剔除 (the review is excluded from the rates and stays visible as excluded), rejected → back
to where it was (a rejected appeal before verification goes on to 整改中)."""
from sqlalchemy import select

from .. import clock, scope
from ..extensions import db
from ..models import Department, Officer
from ..vocab import ADMIN, BAD_LEVELS, DEPARTMENT, DIRECTOR, OFFICE_ROLES, OFFICE_STAFF_ROLES, OFFICER, SURVEY_TARGETS
from ..workdays import add_workdays
from ..workflow import Workflow, action, table
from . import access  # noqa: F401  (scope criteria)
from .models import BadReview, BadReviewEvent

RECTIFY_WORKDAYS = 15
APPEAL_WORKDAYS = 3
PARAM_LABELS = {"note": "说明", "verification": "核实情况", "rectification": "整改情况", "callback": "回访情况",
                "reason": "申诉理由", "decision": "复核意见"}


def role_kinds(user, case):
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if roles & {DIRECTOR, ADMIN}:
        kinds.add("director")
    if OFFICER in roles and case.target_type == "officer":
        officer = scope.officer_of(user)
        if officer is not None and officer.id == case.target_id:
            kinds.add("rated")
    if DEPARTMENT in roles and case.target_type == "department" and case.target_id in scope.department_id_set(user):
        kinds.add("rated")
    return kinds


def _in_appeal_window(step):
    if clock.today() > step.doc.appeal_due:
        return f"申诉期已过（应在{step.doc.appeal_due.month}月{step.doc.appeal_due.day}日前提出）。"
    if step.doc.appealed_at is not None:
        return "每件差评只能申诉一次。"
    return None


def _verify(step):
    step.set("verification", step.params["verification"])
    step.set("verified_at", clock.utcnow())
    step.set("due_on", add_workdays(clock.today(), RECTIFY_WORKDAYS))
    return step.params["verification"]


def _rectify(step):
    step.set("rectification", step.params["rectification"])
    step.set("rectified_at", clock.utcnow())
    return step.params["rectification"]


def _callback(step):
    step.set("callback", step.params["callback"])
    step.set("closed_at", clock.utcnow())
    return step.params["callback"]


def _callback_failed(step):
    step.set("callback", step.params["callback"])
    return "回访仍不满意，继续整改：" + step.params["callback"]


def _appeal(step):
    step.set("appeal_reason", step.params["reason"])
    step.set("appealed_at", clock.utcnow())
    step.set("appeal_from", step.doc.status)
    return step.params["reason"]


def _not_appellant(step):
    return "申诉人不能复核自己的申诉。" if step.user is not None and "rated" in step.kinds else None


def _uphold(step):
    step.set("decision", step.params["decision"])
    step.set("decided_by_id", step.user.id if step.user is not None else None)
    step.set("excluded", True)
    return "申诉成立，差评剔除：" + step.params["decision"]


def _reject(step):
    doc = step.doc
    step.set("decision", step.params["decision"])
    step.set("decided_by_id", step.user.id if step.user is not None else None)
    back = doc.appeal_from if doc.appeal_from in ("rectifying", "rectified") else "rectifying"
    step.set("status", back)
    if doc.verified_at is None:
        step.set("verified_at", clock.utcnow())
    if doc.due_on is None:
        step.set("due_on", add_workdays(clock.today(), RECTIFY_WORKDAYS))
    return "申诉不成立：" + step.params["decision"]


ACTIONS = table(
    action("verify", "核实属实", {"office"}, ("open",), "rectifying", ("verification",), handler=_verify),
    action("rectify", "报告整改", {"rated", "office"}, ("rectifying",), "rectified", ("rectification",),
           handler=_rectify),
    action("callback", "回访满意，办结", {"office"}, ("rectified",), "closed", ("callback",), handler=_callback),
    action("callback_failed", "回访不满意，继续整改", {"office"}, ("rectified",), "rectifying", ("callback",),
           handler=_callback_failed, style="default"),
    action("appeal", "申诉", {"rated"}, ("open", "rectifying", "rectified"), "appealed", ("reason",),
           handler=_appeal, check=_in_appeal_window, style="default"),
    action("uphold", "申诉成立（剔除差评）", {"director"}, ("appealed",), "excluded", ("decision",), handler=_uphold,
           check=_not_appellant, style="danger"),
    action("reject_appeal", "申诉不成立", {"director"}, ("appealed",), None, ("decision",), handler=_reject,
           check=_not_appellant),
)

def _rated_users(case):
    from ..models import DepartmentUser

    if case.target_type == "officer":
        return db.session.scalars(select(Officer.user_id).where(Officer.id == case.target_id)).all()
    return db.session.scalars(select(DepartmentUser.user_id).where(DepartmentUser.department_id == case.target_id)).all()


def _staff(*roles):
    from ..reminders import users_with_role

    return [u.id for u in users_with_role(*roles)]


def handover(step, act):
    """Who gets the case on their desk after each action (app.notifications through the kit)."""
    case = step.doc
    url = f"/surveys/bad_reviews/{case.id}"
    if act.name in ("verify", "callback_failed"):
        return [(_rated_users(case), f"差评件#{case.id}待整改（{case.due_on}前）", url)]
    if act.name == "rectify":
        return [(_staff(*OFFICE_STAFF_ROLES), f"差评件#{case.id}已报告整改，待回访企业", url)]
    if act.name == "appeal":
        return [(_staff(DIRECTOR), f"差评件#{case.id}申诉待复核（{subject_name(case)}）", url)]
    if act.name in ("uphold", "reject_appeal"):
        return [(_rated_users(case), f"差评件#{case.id}申诉复核：{'成立，已剔除' if act.name == 'uphold' else '不成立'}", url)]
    return []


WORKFLOW = Workflow(kind="bad_review", model=BadReview, label="差评件", actions=ACTIONS, role_kinds=role_kinds,
                    event_model=BadReviewEvent, event_owner="bad_review", param_labels=PARAM_LABELS, notify=handover)


def open_cases(response):
    """One case per rated party given 不满意/非常不满意 in this response; the office is told."""
    req = response.request
    by_target = {}
    for a in response.answers:
        if a.level in BAD_LEVELS and a.target_type:
            by_target.setdefault((a.target_type, a.target_id), []).append(a)
    cases = []
    today = clock.today()
    for (target_type, target_id), answers in sorted(by_target.items()):
        issue_id = _issue_of(req, target_type, target_id)
        case = BadReview(response_id=response.id, request_id=req.id, enterprise_id=req.enterprise_id,
                         issue_id=issue_id, target_type=target_type, target_id=target_id,
                         answer_ids=[a.id for a in answers], worst_level=min(a.level for a in answers),
                         opened_at=clock.utcnow(), appeal_due=add_workdays(today, APPEAL_WORKDAYS), status="open")
        db.session.add(case)
        db.session.flush()
        WORKFLOW.record(case, None, "create", None, note=f"企业评价“{'、'.join(sorted({a.dimension for a in answers}))}”"
                        f"为不满意，自动立案")
        cases.append(case)
    if cases:
        _tell(cases)
    return cases


def _issue_of(req, target_type, target_id):
    from ..models import Issue
    from .rules import issue_targets

    for issue_id in req.issue_ids or []:
        issue = db.session.get(Issue, issue_id)
        if issue is not None and target_id in issue_targets(issue).get(target_type, []):
            return issue_id
    return None


def _tell(cases):
    """The office (to verify) and the rated party (it may appeal within 3 working days)."""
    from .. import notifications

    office = _staff(*OFFICE_STAFF_ROLES)
    for case in cases:
        url = f"/surveys/bad_reviews/{case.id}"
        notifications.notify(office, f"新差评件待核实：{subject_name(case)}", url, kind="bad_review",
                             key=f"bad_review:{case.id}:open")
        notifications.notify(_rated_users(case), f"收到一件差评（可在{case.appeal_due}前申诉）", url,
                             kind="bad_review", key=f"bad_review:{case.id}:rated")


def subject_name(case):
    model = Officer if case.target_type == "officer" else Department
    row = db.session.get(model, case.target_id)
    return f"{SURVEY_TARGETS[case.target_type]} {row.name if row else case.target_id}"


def transition(user, case_id, name, params=None, version=None):
    return WORKFLOW.apply(user, case_id, name, params, version)


def load(user, case_id):
    return WORKFLOW.load(user, case_id)


