"""The consultation meeting's state machine on the workflow kit (docs/domain.md, 六(二);
docs/architecture.md#the-workflow-kit-and-how-to-add-a-workflow-document-type).

``draft`` → notify → ``notified`` → hold → ``held`` → submit_minutes → ``pending_sign`` → sign (the
convener) / return → publish (印发: number taken, minutes locked, the 纪要 .docx stored with its
SHA-256) → ``published`` → ``closed`` by itself once every decision is verified or cancelled;
cancel (reason) from draft/notified. While the meeting is editable (draft, notified, held) the
office adds and removes topics, participants and decisions and edits the text — each an action
of the same table, so screens and REST share one path, one history and one 403/404/409/422
contract. After publication nothing is edited in place: ``correct`` drafts a 更正纪要, a new
meeting linked to the first, numbered when it is published.

The ladder: a topic at director level needs a consultation-level outcome on its problem (a
decision on it in published consultation minutes), a leading-group topic a director-level one —
or the director's recorded waiver (``waiver_reason``).
"""
from datetime import date, datetime, timedelta

from flask import url_for
from sqlalchemy import exists, func, select

from .. import clock, scope, workflow
from ..extensions import db
from ..files import rules as files
from ..ledger import rules as ledger
from ..models import Department, Enterprise, Issue, Officer, User
from ..validation import valid_id
from ..vocab import (
    ATTENDANCE, DECISION_FINAL, DIRECTOR, FINAL_STATUSES, MEETING_EDITABLE, MEETING_LEVELS, MEETING_PUBLISHED,
    OFFICE_ROLES, OFFICE_STAFF_ROLES, labelled,
)
from ..workflow import WorkflowError, action, numbering
from ..notifications import handovers
from .models import FEEDBACK_CYCLES, Meeting, MeetingDecision, MeetingEvent, MeetingParticipant, MeetingTopic

MeetingError = WorkflowError
NUMBERS = numbering.register("minutes", "纪要编号", "示范区企服纪〔{year}〕{seq}号", max_length=40)
LADDER = {"director": "consultation", "leading_group": "director"}  # a topic here needs an outcome there
DUE_DAYS = 20  # 会议纪要一般在20日内办结: a decision's default due date, calendar days after the meeting
PARAM_LABELS = {
    "level": "会议层级", "title": "会议名称", "planned_at": "会议时间", "held_at": "召开时间", "place": "会议地点",
    "convener": "召集人", "overview": "会议概况", "distribution": "分送单位", "issue": "议题对应的问题",
    "topic": "议题", "background": "问题背景", "coordination": "前期协调情况", "proposal": "拟办意见",
    "waiver_reason": "豁免理由", "department": "单位", "officer": "服务官", "enterprise": "企业",
    "person": "参会人员", "attendance": "出席情况", "participant": "参会单位", "text": "议定事项",
    "co_departments": "配合单位", "due_on": "完成时限", "feedback_cycle": "反馈周期", "decision": "议定事项",
    "reason": "原因", "note": "说明",
}


# --- who is the actor, relative to this meeting --------------------------------------------------

def role_kinds(user, meeting):
    """office (prepares, publishes), director (designates, waives), convener (signs)."""
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if DIRECTOR in roles:
        kinds.add("director")
    if user is not None and meeting.convener_id == user.id:
        kinds.add("convener")
    return kinds


def may_prepare(user):
    return bool(scope.role_names(user) & OFFICE_ROLES)


# --- parameters ----------------------------------------------------------------------------------

def _text(value, field, limit=None, required=False):
    text = str(value).strip() if value not in (None, "") else ""
    if required and not text:
        raise MeetingError(422, f"请填写{PARAM_LABELS.get(field, field)}。", field)
    if limit and len(text) > limit:
        raise MeetingError(422, f"{PARAM_LABELS.get(field, field)}最长{limit}个字。", field)
    return text or None


def moment(value, field):
    """A local date-time 'YYYY-MM-DD HH:MM' (or ISO with T; a date alone means 09:00)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, second=0, microsecond=0)
    text = str(value or "").strip().replace("T", " ")
    try:
        parsed = datetime.fromisoformat(text) if " " in text else datetime.combine(date.fromisoformat(text),
                                                                                    datetime.min.time()).replace(hour=9)
    except ValueError:
        raise MeetingError(422, f"{PARAM_LABELS.get(field, field)}格式应为YYYY-MM-DD HH:MM。", field) from None
    if not 2000 <= parsed.year <= 2100:
        raise MeetingError(422, f"{PARAM_LABELS.get(field, field)}超出范围。", field)
    return parsed.replace(tzinfo=None, second=0, microsecond=0)


def day(value, field):
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise MeetingError(422, f"{PARAM_LABELS.get(field, field)}格式应为YYYY-MM-DD。", field) from None
    if not 2000 <= parsed.year <= 2100:
        raise MeetingError(422, f"{PARAM_LABELS.get(field, field)}超出范围。", field)
    return parsed


def row(model, value, field, message=None):
    found = db.session.get(model, int(value)) if valid_id(value) else None
    if found is None:
        raise MeetingError(422, message or f"所选{PARAM_LABELS.get(field, field)}不存在。", field)
    return found


def _level(value):
    if value not in MEETING_LEVELS:
        raise MeetingError(422, "会议层级应为：" + labelled(MEETING_LEVELS), "level")
    return value


def _convener(value):
    user = row(User, value, "convener")
    if not user.active or not scope.role_names(user) & OFFICE_STAFF_ROLES:
        raise MeetingError(422, "召集人应为办公室主任或其指定的办公室工作人员。", "convener")
    return user


def default_convener(user):
    """The director convenes: the creating director, else the first active director (else the creator)."""
    if DIRECTOR in scope.role_names(user):
        return user
    for candidate in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        if DIRECTOR in scope.role_names(candidate):
            return candidate
    return user


def _own(meeting, model, value, field):
    """A topic / participant / decision of this meeting (422 otherwise)."""
    found = db.session.get(model, int(value)) if valid_id(value) else None
    if found is None or found.meeting_id != meeting.id:
        raise MeetingError(422, f"该会议没有所选{PARAM_LABELS[field]}。", field)
    return found


def meeting_day(meeting):
    return (meeting.held_at or meeting.planned_at).date()


# --- creating ------------------------------------------------------------------------------------

def create_meeting(user, level, title, planned_at, place=None, convener=None):
    """A new meeting in ``draft`` (the office prepares it; the director convenes by default)."""
    if not may_prepare(user):
        raise MeetingError(403, "只有首席服务官办公室可以筹备会商。")
    level = _level(level)
    title = _text(title, "title", 200, required=True)
    if planned_at in (None, ""):
        raise MeetingError(422, "请填写会议时间。", "planned_at")
    when = moment(planned_at, "planned_at")
    if convener not in (None, "") and DIRECTOR not in scope.role_names(user):
        raise MeetingError(403, "召集人由办公室主任指定。", "convener")
    chosen = _convener(convener) if convener not in (None, "") else default_convener(user)
    meeting = Meeting(level=level, title=title, planned_at=when, place=_text(place, "place", 200),
                      convener_id=chosen.id, created_by_id=user.id if user else None, status="draft",
                      created_at=clock.utcnow(), updated_at=clock.utcnow(),
                      designated_by_id=user.id if chosen.id != user.id and DIRECTOR in scope.role_names(user) else None)
    db.session.add(meeting)
    db.session.flush()
    WORKFLOW.record(meeting, user, "create", None, note=f"筹备{MEETING_LEVELS[level]}：{title}（召集人：{workflow.actor_name(chosen)}）")
    WORKFLOW.flush()
    return meeting


# --- editing handlers (while draft / notified / held) ---------------------------------------------

EDIT_FIELDS = {"title": 200, "place": 200, "overview": None, "distribution": 500}


def _edit(step):
    given = [k for k in (*EDIT_FIELDS, "planned_at") if step.params.get(k) not in (None, "")]
    if not given:
        raise MeetingError(422, "请填写要修改的内容。", "title")
    for name in given:
        if name == "planned_at":
            step.set("planned_at", moment(step.params[name], name))
        else:
            step.set(name, _text(step.params[name], name, EDIT_FIELDS[name]))
    return step.params.get("note")


def outcome_exists(issue_id, level):
    """A decision on the problem in published minutes of a meeting at ``level`` (not cancelled)."""
    return db.session.scalar(select(exists().where(
        MeetingDecision.issue_id == issue_id, MeetingDecision.status != "cancelled",
        MeetingDecision.meeting_id == Meeting.id, Meeting.level == level, Meeting.status.in_(MEETING_PUBLISHED))))


def _ladder(step, issue):
    """The escalation ladder: (waiver_reason, waived_by_id) for the topic, or a refusal."""
    need = LADDER.get(step.doc.level)
    if need is None or outcome_exists(issue.id, need):
        return None, None
    waiver = _text(step.params.get("waiver_reason"), "waiver_reason", 500)
    if waiver is None:
        raise MeetingError(409, f"问题{issue.number}尚无{MEETING_LEVELS[need]}结论（已印发纪要中的议定事项），"
                                f"不能列入{MEETING_LEVELS[step.doc.level]}议题；办公室主任可填写豁免理由后列入。", "issue")
    if "director" not in step.kinds:
        raise MeetingError(403, "只有办公室主任可以豁免前置会商程序。", "waiver_reason")
    return waiver, step.user.id


def _add_topic(step):
    meeting = step.doc
    issue = row(Issue, step.params["issue"], "issue")
    if not scope.visible(Issue, issue.id, step.user):
        raise MeetingError(422, "所选问题不存在。", "issue")
    if issue.status in FINAL_STATUSES:
        raise MeetingError(422, f"问题{issue.number}已{issue.status_label}，不能列入议题。", "issue")
    if any(t.issue_id == issue.id for t in meeting.topics):
        raise MeetingError(422, f"问题{issue.number}已是本次会议的议题。", "issue")
    waiver, waived_by = _ladder(step, issue)
    position = max((t.position for t in meeting.topics), default=0) + 1
    meeting.topics.append(MeetingTopic(
        issue_id=issue.id, position=position, background=_text(step.params.get("background"), "background"),
        coordination=_text(step.params.get("coordination"), "coordination"),
        proposal=_text(step.params.get("proposal"), "proposal"), waiver_reason=waiver, waived_by_id=waived_by))
    note = f"议题{position}：{issue.number} {issue.title}" + (f"（主任豁免前置会商：{waiver}）" if waiver else "")
    ledger.event(issue, step.user, "meeting_topic", issue.status, internal=True,
                 note=f"列入{MEETING_LEVELS[meeting.level]}议题：{meeting.title}")
    return note


def _remove_topic(step):
    topic = _own(step.doc, MeetingTopic, step.params["topic"], "topic")
    if any(d.topic_id == topic.id for d in step.doc.decisions):
        raise MeetingError(422, "该议题已有议定事项，请先删除议定事项。", "topic")
    step.doc.topics.remove(topic)
    ledger.event(topic.issue, step.user, "meeting_topic", topic.issue.status, internal=True,
                 note=f"移出会商议题：{step.doc.title}")
    return f"删除议题：{topic.issue.number} {topic.issue.title}"


def _attendance(value, enterprise=False, default="present"):
    value = value or ("attending" if enterprise else default)
    if value not in ATTENDANCE:
        raise MeetingError(422, "出席情况应为：" + labelled(ATTENDANCE), "attendance")
    if enterprise and value not in ("attending", "leave", "absent"):
        raise MeetingError(422, "企业只能列席会议。", "attendance")
    return value


def _add_participant(step):
    params, meeting = step.params, step.doc
    given = [k for k in ("department", "officer", "enterprise") if params.get(k) not in (None, "")]
    if len(given) != 1:
        raise MeetingError(422, "请选择一个参会单位、服务官或列席企业。", "department")
    field = given[0]
    who = row({"department": Department, "officer": Officer, "enterprise": Enterprise}[field], params[field], field)
    column = f"{field}_id"
    if any(getattr(p, column) == who.id for p in meeting.participants):
        raise MeetingError(422, f"{who.name}已在参会名单中。", field)
    part = MeetingParticipant(**{column: who.id}, person=_text(params.get("person"), "person", 100),
                              attendance=_attendance(params.get("attendance"), field == "enterprise"))
    meeting.participants.append(part)
    return f"参会：{who.name}（{ATTENDANCE[part.attendance]}）"


def _set_attendance(step):
    part = _own(step.doc, MeetingParticipant, step.params["participant"], "participant")
    value = _attendance(step.params["attendance"], part.enterprise_id is not None)
    before = part.attendance
    part.attendance = value
    if step.params.get("person") not in (None, ""):
        part.person = _text(step.params["person"], "person", 100)
    return f"{part.name}：{ATTENDANCE.get(before, before)} → {ATTENDANCE[value]}"


def _remove_participant(step):
    part = _own(step.doc, MeetingParticipant, step.params["participant"], "participant")
    step.doc.participants.remove(part)
    return f"移出参会名单：{part.name}"


def _co_departments(value, lead):
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        value = [value]
    co = list(dict.fromkeys(row(Department, v, "co_departments") for v in value if v not in (None, "")))
    if lead in co:
        raise MeetingError(422, "牵头单位不能同时是配合单位。", "co_departments")
    return co


def _decision_topic(meeting, params):
    if params.get("topic") not in (None, ""):
        return _own(meeting, MeetingTopic, params["topic"], "topic")
    if params.get("issue") not in (None, ""):
        topic = next((t for t in meeting.topics if str(t.issue_id) == str(params["issue"])), None)
        if topic is None:
            raise MeetingError(422, "议定事项对应的问题须是本次会议的议题。", "issue")
        return topic
    return None


def _add_decision(step):
    params, meeting = step.params, step.doc
    text = _text(params["text"], "text", 2000, required=True)
    lead = row(Department, params["department"], "department", "所选牵头单位不存在。")
    co = _co_departments(params.get("co_departments"), lead)
    due = day(params["due_on"], "due_on") if params.get("due_on") not in (None, "") else \
        meeting_day(meeting) + timedelta(days=DUE_DAYS)
    cycle = params.get("feedback_cycle") or "once"
    if cycle not in FEEDBACK_CYCLES:
        raise MeetingError(422, "反馈周期应为：" + labelled(FEEDBACK_CYCLES), "feedback_cycle")
    topic = _decision_topic(meeting, params)
    seq = max((d.seq for d in meeting.decisions), default=0) + 1
    meeting.decisions.append(MeetingDecision(
        topic_id=topic.id if topic else None, issue_id=topic.issue_id if topic else None, seq=seq, text=text,
        lead_department_id=lead.id, co_departments=co, due_on=due, feedback_cycle=cycle, status="open",
        created_at=clock.utcnow(), updated_at=clock.utcnow()))
    return f"议定事项{seq}：{text}（牵头单位：{lead.name}；完成时限：{due.isoformat()}）"


def _remove_decision(step):
    decision = _own(step.doc, MeetingDecision, step.params["decision"], "decision")
    step.doc.decisions.remove(decision)
    return f"删除议定事项{decision.seq}：{decision.text}"


def _designate(step):
    chosen = _convener(step.params["convener"])
    step.set("convener_id", chosen.id)
    step.set("designated_by_id", step.user.id)
    return f"指定召集人：{workflow.actor_name(chosen)}" + (f"。{step.params['note']}" if step.params.get("note") else "")


# --- the main line ----------------------------------------------------------------------------------

def _ready_to_notify(step):
    if not step.doc.topics:
        return "请先添加议题。"
    if not step.doc.participants:
        return "请先添加参会单位。"
    return None


def _hold(step):
    held = moment(step.params["held_at"], "held_at") if step.params.get("held_at") else step.doc.planned_at
    if held > clock.now().replace(tzinfo=None):  # a meeting is recorded as held after it took place
        raise MeetingError(422, f"会议尚未召开（召开时间 {held:%Y-%m-%d %H:%M} 晚于当前时间），请在会后登记召开；"
                                "提前召开的，请填写实际召开时间。", "held_at")
    step.set("held_at", held)
    return step.params.get("note")


def _minutes_ready(step):
    if not (step.doc.overview or "").strip():
        return "请先填写会议概况。"
    if not step.doc.decisions and step.doc.corrects_id is None:
        return "请先添加议定事项。"
    return None


def _submit(step):
    step.set("minutes_by_id", step.user.id)
    return step.params.get("note")


def _may_sign(step):
    if step.doc.signed_at is not None:
        return "纪要已审签，等待印发。"
    if step.user is not None and step.doc.minutes_by_id == step.user.id:
        return "审签人不能是纪要起草人。"
    return None


def _sign(step):
    step.set("signed_by_id", step.user.id)
    step.set("signed_at", clock.utcnow())
    return step.params.get("note") or "召集人审签。"


def _return(step):
    step.set("signed_by_id", None)
    step.set("signed_at", None)
    return step.params["reason"]


def _signed(step):
    return None if step.doc.signed_at is not None else "纪要尚未经召集人审签，不能印发。"


def _publish(step):
    from . import documents

    meeting, now = step.doc, clock.utcnow()
    year = clock.local(now).year
    seq, number = numbering.take(NUMBERS.kind, year)
    step.set("year", year)
    step.set("seq", seq)
    step.set("number", number)
    step.set("published_at", now)
    for decision in meeting.decisions:
        if decision.issue is not None:
            ledger.event(decision.issue, step.user, "meeting_decision", decision.issue.status,
                         note=f"会商议定（{number}第{decision.seq}项）：{documents.decision_line(decision)}")
    documents.store_minutes(meeting, step.user)
    return f"印发纪要 {number}"


def _cancel(step):
    step.set("cancel_reason", _text(step.params["reason"], "reason", 500))
    return step.params["reason"]


def _correct(step):
    """Draft a 更正纪要: a new meeting (held, minutes to be written) linked to this one."""
    first = step.doc
    new = Meeting(level=first.level, title=f"{first.title}（更正）", planned_at=first.planned_at,
                  held_at=first.held_at, place=first.place, convener_id=first.convener_id, corrects_id=first.id,
                  overview=first.overview, distribution=first.distribution, status="held",
                  created_by_id=step.user.id, created_at=clock.utcnow(), updated_at=clock.utcnow())
    new.participants = [MeetingParticipant(department_id=p.department_id, officer_id=p.officer_id,
                                           enterprise_id=p.enterprise_id, person=p.person, attendance=p.attendance)
                        for p in first.participants]
    new.topics = [MeetingTopic(issue_id=t.issue_id, position=t.position, background=t.background,
                               coordination=t.coordination, proposal=t.proposal, waiver_reason=t.waiver_reason,
                               waived_by_id=t.waived_by_id) for t in first.topics]
    db.session.add(new)
    db.session.flush()
    WORKFLOW.record(new, step.user, "create", None, note=f"更正纪要，更正{first.number}")
    step.changes["correction_id"] = [None, new.id]
    return f"起草更正纪要（会商 #{new.id}）" + (f"：{step.params['note']}" if step.params.get("note") else "")


# --- the action table (buttons follow this order) -----------------------------------------------------
# internal=True: hidden from enterprises (who never see a meeting anyway)

ACTIONS = workflow.table(
    action("notify", "发出会议通知", {"office"}, ("draft",), "notified", check=_ready_to_notify),
    action("hold", "登记召开", {"office"}, ("notified",), "held", handler=_hold),
    action("submit_minutes", "提交纪要审签", {"office"}, ("held",), "pending_sign", handler=_submit,
           check=_minutes_ready),
    action("sign", "审签", {"convener"}, ("pending_sign",), None, handler=_sign, check=_may_sign),
    action("return", "退回修改", {"convener"}, ("pending_sign",), "held", ("reason",), handler=_return, style="danger"),
    action("publish", "印发", {"office"}, ("pending_sign",), "published", handler=_publish, check=_signed),
    action("cancel", "取消会议", {"office"}, ("draft", "notified"), "cancelled", ("reason",), handler=_cancel,
           style="danger"),
    action("correct", "起草更正纪要", {"office"}, MEETING_PUBLISHED, None, handler=_correct, style="default"),
    action("edit", "修改会议信息", {"office"}, MEETING_EDITABLE, handler=_edit, style="default"),
    action("designate", "指定召集人", {"director"}, MEETING_EDITABLE, None, ("convener",), handler=_designate,
           style="default"),
    action("add_topic", "添加议题", {"office"}, MEETING_EDITABLE, None, ("issue",), handler=_add_topic),
    action("remove_topic", "删除议题", {"office"}, MEETING_EDITABLE, None, ("topic",), handler=_remove_topic,
           style="danger"),
    action("add_participant", "添加参会单位", {"office"}, MEETING_EDITABLE, None, handler=_add_participant),
    action("set_attendance", "登记出席情况", {"office"}, MEETING_EDITABLE, None, ("participant", "attendance"),
           handler=_set_attendance, style="default"),
    action("remove_participant", "移出参会名单", {"office"}, MEETING_EDITABLE, None, ("participant",),
           handler=_remove_participant, style="danger"),
    action("add_decision", "添加议定事项", {"office"}, MEETING_EDITABLE, None, ("text", "department"),
           handler=_add_decision),
    action("remove_decision", "删除议定事项", {"office"}, MEETING_EDITABLE, None, ("decision",),
           handler=_remove_decision, style="danger"),
)
EDIT_ACTIONS = ("edit", "designate", "add_topic", "remove_topic", "add_participant", "set_attendance",
                "remove_participant", "add_decision", "remove_decision")
EVENT_LABELS = {name: a.label for name, a in ACTIONS.items()} | {"create": "筹备", "close": "办结"}


def _after(step, act):
    step.doc.updated_at = clock.utcnow()  # every action bumps the version: a stale form is a 409


WORKFLOW = workflow.Workflow(
    kind="meeting", model=Meeting, label="会商", actions=ACTIONS, role_kinds=role_kinds, event_model=MeetingEvent,
    event_owner="meeting", param_labels=PARAM_LABELS, raw_params=("co_departments",), after=_after,
    notify=handovers.meeting,  # every hand-over is a message (app.notifications)
)


def transition(user, meeting_id, action_name, params=None, version=None):
    return WORKFLOW.apply(user, meeting_id, action_name, params, version)


def load_for(user, meeting_id, version=None):
    return WORKFLOW.load(user, meeting_id, version)


def allowed_actions(user, meeting):
    return WORKFLOW.allowed(user, meeting)


def history(user, meeting_id):
    meeting = load_for(user, meeting_id)
    return db.session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id)
                              .order_by(MeetingEvent.id)).all()


def close_if_done(meeting, user):
    """Published minutes whose every decision is verified or cancelled: the meeting is closed."""
    if meeting.status == "published" and all(d.status in DECISION_FINAL for d in meeting.decisions):
        meeting.status = "closed"
        meeting.updated_at = clock.utcnow()
        WORKFLOW.record(meeting, user, "close", "published", note="议定事项均已核销或撤销，会商办结。")
        return True
    return False


# --- what other parts ask ----------------------------------------------------------------------------

def candidate_issues(user):
    """Escalated problems (``Issue.escalation`` set, not closed or void) the user may see, with the
    meetings they are already a topic of: the candidate topics (ledger → meetings)."""
    issues = db.session.scalars(scope.restrict(Issue, select(Issue), user).where(
        Issue.escalation.isnot(None), Issue.status.notin_(FINAL_STATUSES)).order_by(Issue.received_on, Issue.id)).all()
    taken = {}
    if issues:
        for issue_id, meeting_id in db.session.execute(select(MeetingTopic.issue_id, MeetingTopic.meeting_id).join(
                Meeting, Meeting.id == MeetingTopic.meeting_id).where(
                MeetingTopic.issue_id.in_([i.id for i in issues]), Meeting.status != "cancelled")):
            taken.setdefault(issue_id, []).append(meeting_id)
    return [(issue, taken.get(issue.id, [])) for issue in issues]


def overdue_decisions(today=None):
    """Open decisions of published minutes past their due date — each a lapse of its lead unit
    (for the urging ladder; system work, no scope)."""
    today = today or clock.today()
    return db.session.scalars(select(MeetingDecision).join(Meeting, Meeting.id == MeetingDecision.meeting_id).where(
        MeetingDecision.status == "open", MeetingDecision.due_on < today, Meeting.status.in_(MEETING_PUBLISHED))
        .order_by(MeetingDecision.due_on, MeetingDecision.id)).all()


def absences(start=None, end=None):
    """{department_id: number of meetings it missed (请假 or 缺席)} among meetings held in [start, end]."""
    query = select(MeetingParticipant.department_id, func.count()).join(
        Meeting, Meeting.id == MeetingParticipant.meeting_id).where(
        MeetingParticipant.department_id.isnot(None), MeetingParticipant.attendance.in_(("leave", "absent")),
        Meeting.held_at.isnot(None))
    if start is not None:
        query = query.where(Meeting.held_at >= datetime.combine(start, datetime.min.time()))
    if end is not None:
        query = query.where(Meeting.held_at < datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return dict(db.session.execute(query.group_by(MeetingParticipant.department_id)).all())


def _may_remove_file(user, meeting_id, att):
    """The office removes what it attached; the published 纪要 (its hash on the meeting) stays."""
    meeting = db.session.get(Meeting, meeting_id)
    return may_prepare(user) and meeting is not None and att.id != meeting.attachment_id


files.register_owner(
    "meeting", label="会商", visible=lambda user, pk: scope.visible(Meeting, pk, user),
    may_attach=lambda user, pk: may_prepare(user), may_remove=_may_remove_file,
    url=lambda pk: url_for("MeetingView.show", pk=pk))
