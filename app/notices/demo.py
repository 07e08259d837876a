"""Demo notices (交办通知单) for the demo district: one in each of draft, submitted, sent,
acknowledged, replied and verified, and one overdue — each built through app.notices.rules as
the right people at dates in the past (``clock.at``), so numbers, deadlines and histories agree."""
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..files.rules import attach_generated
from ..models import DepartmentUser, Issue, IssueEvent
from . import rules
from .models import Notice

# (final state, days ago it was drafted, explicit due in days after drafting or None)
PLAN = [("draft", 1, None), ("submitted", 2, None), ("sent", 3, None), ("acknowledged", 4, None),
        ("replied", 8, None), ("verified", 12, None), ("overdue", 16, 5)]
PATH = ("submitted", "approved", "registered", "sent", "acknowledged", "replied", "verified")
REPLY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _unit_user(department_id):
    link = db.session.scalar(select(DepartmentUser).where(DepartmentUser.department_id == department_id)
                             .order_by(DepartmentUser.user_id).limit(1))
    return db.session.get(current_app.appbuilder.sm.user_model, link.user_id) if link else None


def _candidates():
    """(last event, problem) of open problems with a lead unit (the notice formalises the transfer),
    the longest untouched first — the oldest notices go to them, so histories stay in time order."""
    last = (select(IssueEvent.issue_id, func.max(IssueEvent.at).label("at")).group_by(IssueEvent.issue_id)
            .subquery())
    return db.session.execute(select(last.c.at, Issue).join(last, last.c.issue_id == Issue.id).where(
        Issue.status.in_(("assigned", "in_progress")), Issue.lead_department_id.isnot(None))
        .order_by(last.c.at, Issue.id)).all()


def _walk(notice, target, moments, users, unit):
    """Take ``notice`` along the main path up to ``target`` (one step per moment)."""
    params = {"submitted": ("office", "submit", {}), "approved": ("director", "approve", {}),
              "registered": ("office", "register", {}),
              "sent": ("office", "send", {"delivery": "offline", "note": "纸质件已送达，签收人：办公室收文员"}),
              "acknowledged": (None, "acknowledge", {}), "replied": (None, "reply", {}),
              "verified": ("office", "verify", {"resolve_issue": "1", "note": "回复符合要求，予以审结。"})}
    for state in PATH[:PATH.index(target) + 1]:
        who, name, extra = params[state]
        with clock.at(next(moments)):
            if name == "reply":
                att = attach_generated("notice", notice.id, "办理情况回复（盖章）.pdf", REPLY_PDF, actor=unit)
                extra = {"text": "经我单位协调，问题已按要求办理完毕，企业表示认可。", "attachment": str(att.id)}
            rules.transition(users[who] if who else unit, notice.id, name, extra)


def seed_notices():
    """Idempotent: nothing when notices exist. Returns the number made."""
    if db.session.scalar(select(func.count()).select_from(Notice)):
        return 0
    sm = current_app.appbuilder.sm
    users = {"office": sm.find_user(username="office"), "director": sm.find_user(username="director")}
    issues, today, made = _candidates(), clock.today(), 0
    for (state, age, due_after), (last, issue) in zip(sorted(PLAN, key=lambda p: -p[1]), issues):
        start = max(datetime.combine(today - timedelta(days=age), time(9, 0)),
                    clock.local(last).replace(tzinfo=None) + timedelta(hours=1))
        start = min(start, datetime.combine(today, time(8, 0)) - timedelta(hours=len(PATH)))
        latest = datetime.combine(today, time(8, 0))
        moments = (min(start + timedelta(hours=i if age < 3 else i * 14), latest) for i in range(1, 20))
        unit = _unit_user(issue.lead_department_id)
        with clock.at(start):
            due = (start.date() + timedelta(days=due_after)) if due_after else None
            notice = rules.create_draft(users["office"], {
                "issue": issue.id, "department": issue.lead_department_id, "due_on": due,
                "co_departments": [d.id for d in issue.co_departments], "feedback_cycle": "weekly" if made % 2 else "none"})
        if state != "draft":
            _walk(notice, "acknowledged" if state == "overdue" else state, moments, users, unit)
        made += 1
    db.session.flush()
    return made
