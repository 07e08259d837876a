"""Lists and shapes of meetings and decisions, shared by the screens, REST and the exports: query
arguments through app.querystring (a bad one is a QueryError → 400 / a flash), rows through
app.scope, and what an enterprise may read of a decision (never the meeting's deliberation)."""
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select

from .. import clock, paging, querystring, scope
from ..extensions import db
from ..models import Issue
from ..vocab import DECISION_STATUSES, ENTERPRISE, MEETING_LEVELS, MEETING_STATUSES
from .models import Meeting, MeetingDecision, meeting_decision_codepartment

QueryError = querystring.QueryError


def sees_deliberation(user):
    """Everyone who may see a meeting at all; an enterprise's own login never does."""
    return not (scope.role_names(user) <= {ENTERPRISE})


def meeting_query(user, args):
    """Scoped, filtered meetings: ``status``, ``level`` (comma-separated), ``year``, ``q`` (title or
    number), ``planned_from``/``planned_to`` (YYYY-MM-DD); newest first."""
    query = scope.restrict(Meeting, select(Meeting), user)
    if (statuses := querystring.choice_list(args, "status", "状态", MEETING_STATUSES)) is not None:
        query = query.where(Meeting.status.in_(statuses))
    if (levels := querystring.choice_list(args, "level", "会议层级", MEETING_LEVELS)) is not None:
        query = query.where(Meeting.level.in_(levels))
    if querystring.text_arg(args, "year") is not None:
        query = query.where(Meeting.year == querystring.int_arg(args, "year", "年度", None, 2000, 2100))
    if (start := querystring.date_arg(args, "planned_from", "会议时间起")) is not None:
        query = query.where(Meeting.planned_at >= datetime.combine(start, time()))
    if (end := querystring.date_arg(args, "planned_to", "会议时间止")) is not None:
        query = query.where(Meeting.planned_at < datetime.combine(end + timedelta(days=1), time()))
    if (text := querystring.text_arg(args, "q")) is not None:
        like = f"%{text[:50]}%"
        query = query.where(or_(Meeting.title.like(like), Meeting.number.like(like)))
    return query.order_by(Meeting.planned_at.desc(), Meeting.id.desc())


def decision_query(user, args, today=None):
    """Scoped, filtered decisions: ``status``, ``department`` (lead or co), ``meeting``, ``issue``,
    ``overdue`` (1: open and past due); by due date."""
    query = scope.restrict(MeetingDecision, select(MeetingDecision), user)
    if (statuses := querystring.choice_list(args, "status", "状态", DECISION_STATUSES)) is not None:
        query = query.where(MeetingDecision.status.in_(statuses))
    if (ids := querystring.id_list(args, "department", "单位")) is not None:
        query = query.where(or_(MeetingDecision.lead_department_id.in_(ids), MeetingDecision.id.in_(select(
            meeting_decision_codepartment.c.decision_id).where(meeting_decision_codepartment.c.department_id.in_(ids)))))
    if (ids := querystring.id_list(args, "meeting", "会议")) is not None:
        query = query.where(MeetingDecision.meeting_id.in_(ids))
    if (ids := querystring.id_list(args, "issue", "问题")) is not None:
        query = query.where(MeetingDecision.issue_id.in_(ids))
    if querystring.flag_arg(args, "overdue"):
        query = query.where(MeetingDecision.status == "open", MeetingDecision.due_on < (today or clock.today()))
    return query.order_by(MeetingDecision.due_on, MeetingDecision.id)


page = paging.page  # one page of a list query (app/paging.py)


# --- shapes -----------------------------------------------------------------------------------------

def _iso(value):
    return value.isoformat(timespec="minutes") if value is not None else None


def serialize_decision(decision, user=None, today=None):
    today = today or clock.today()
    meeting = decision.meeting
    overdue = decision.status == "open" and decision.due_on < today
    out = {
        "id": decision.id, "version": decision.version, "meeting": meeting.id, "number": meeting.number,
        "meeting_title": meeting.title, "seq": decision.seq, "text": decision.text, "status": decision.status,
        "status_label": decision.status_label, "issue": decision.issue_id,
        "issue_number": decision.issue.number if decision.issue else None,
        "enterprise_name": decision.issue.enterprise.name if decision.issue else None,
        "department": decision.lead_department_id, "department_name": decision.lead_department.name,
        "co_departments": [d.id for d in decision.co_departments],
        "co_department_names": [d.name for d in decision.co_departments],
        "due_on": decision.due_on.isoformat(), "feedback_cycle": decision.feedback_cycle,
        "feedback_label": decision.feedback_label, "report_text": decision.report_text,
        "reported_at": _iso(decision.reported_at), "verified_at": _iso(decision.verified_at),
        "cancel_reason": decision.cancel_reason, "overdue": overdue,
        "days_overdue": (today - decision.due_on).days if overdue else 0,
    }
    if not sees_deliberation(user):  # an enterprise: the decision, not where it was deliberated
        out.pop("meeting_title")
        out["meeting"] = None
    return out


def serialize_meeting(meeting, user=None, full=True):
    out = {
        "id": meeting.id, "version": meeting.version, "status": meeting.status, "status_label": meeting.status_label,
        "level": meeting.level, "level_label": meeting.level_label, "title": meeting.title,
        "planned_at": _iso(meeting.planned_at), "held_at": _iso(meeting.held_at), "place": meeting.place,
        "convener": meeting.convener_id, "convener_name": _name(meeting.convener), "number": meeting.number,
        "year": meeting.year, "seq": meeting.seq, "signed_by": meeting.signed_by_id,
        "signed_at": _iso(meeting.signed_at), "published_at": _iso(meeting.published_at),
        "corrects": meeting.corrects_id, "cancel_reason": meeting.cancel_reason,
        "document_sha256": meeting.document_sha256, "decision_count": len(meeting.decisions),
    }
    if not full:
        return out
    out.update({
        "overview": meeting.overview, "distribution": meeting.distribution,
        "participants": [{"id": p.id, "department": p.department_id, "officer": p.officer_id,
                          "enterprise": p.enterprise_id, "name": p.name, "person": p.person,
                          "attendance": p.attendance, "attendance_label": p.attendance_label}
                         for p in meeting.participants],
        "topics": [{"id": t.id, "position": t.position, "issue": t.issue_id, "issue_number": t.issue.number,
                    "issue_title": t.issue.title, "background": t.background, "coordination": t.coordination,
                    "proposal": t.proposal, "waiver_reason": t.waiver_reason} for t in meeting.topics],
        "decisions": [serialize_decision(d, user) for d in meeting.decisions],
    })
    return out


def _name(user):
    from ..workflow import actor_name

    return actor_name(user) if user is not None else None


def serialize_event(event):
    return {"id": event.id, "at": event.at.isoformat(timespec="seconds"), "actor": event.actor_name,
            "action": event.action, "from_status": event.from_status, "to_status": event.to_status,
            "note": event.note, "changes": event.changes or {}}


def issue_choices(user):
    """Problems the office may put on an agenda (open, visible), newest first (for the topic form)."""
    from ..vocab import FINAL_STATUSES

    return db.session.execute(scope.restrict(Issue, select(Issue.id, Issue.number, Issue.title), user).where(
        Issue.status.notin_(FINAL_STATUSES)).order_by(Issue.id.desc()).limit(500)).all()
