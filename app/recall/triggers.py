"""What the office sees on its recall page — suggestions only, never an automatic recall.

Suggested recalls (:func:`suggestions`), per officer in post without a case under way:

* ``no_visits`` — no visit recorded by the officer in the last 28 days although they served for
  at least that long (Visit rows);
* ``request`` — an enterprise asked for another officer (RecallRequest, open);
* ``two_fail`` — the two latest quarterly grades are both 不合格 (``app.assessments.query.officer_grades``);
* ``satisfaction`` — satisfaction under 85 % in the last quarter (``app.surveys.metrics.satisfaction``);
* ``bad_reviews`` — two or more verified bad reviews in the last quarter (``app.surveys.metrics.bad_reviews``).

The last three read the assessments' and the surveys' published figures (imported late: both read
this package's tables).

The service period (:func:`term_queue`): an assignment's term ends on its ``ServiceTerm`` or, when the
office set none, ``term_years`` after its start; terms ending within ``term_notice_days`` (or past)
are queued: extend (a new end date) or end (a recall case with reason 服务期满).
"""
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from .. import clock, stats
from ..extensions import db
from ..models import Assignment, Officer, Visit
from ..vocab import RECALL_OPEN
from ..workflow import WorkflowError
from . import settings
from .models import RecallCase, RecallRequest, ServiceTerm

NO_VISIT_DAYS = 28
SATISFACTION_FLOOR = 0.85
BAD_REVIEWS = 2
FAIL_GRADES = ("不合格", "fail", "unqualified")
TRIGGER_LABELS = {"no_visits": "连续4周无走访记录", "request": "企业申请更换", "two_fail": "连续两个季度考核不合格",
                  "satisfaction": "满意率低于85%", "bad_reviews": "多次经核实的差评"}


def officers_in_post():
    return db.session.scalars(select(Officer).where(Officer.active.is_(True), Officer.id.in_(
        select(Assignment.officer_id).where(Assignment.is_current))).order_by(Officer.id)).all()


def _busy():
    return set(db.session.scalars(select(RecallCase.officer_id).where(RecallCase.status.in_(RECALL_OPEN))))


def suggestions(today=None):
    """[{officer, reasons: [(kind, text)]}] for officers in post with no case under way, by officer."""
    today = today or clock.today()
    busy = _busy()
    officers = [o for o in officers_in_post() if o.id not in busy]
    ids = [o.id for o in officers]
    reasons = {o.id: [] for o in officers}
    if not ids:
        return []
    since = today - timedelta(days=NO_VISIT_DAYS)
    serving_long = set(db.session.scalars(select(Assignment.officer_id).where(
        Assignment.is_current, Assignment.start_date <= since, Assignment.officer_id.in_(ids))))
    last_visit = dict(db.session.execute(select(Visit.officer_id, func.max(Visit.visit_date)).where(
        Visit.officer_id.in_(ids)).group_by(Visit.officer_id)).all())
    for oid in serving_long:
        last = last_visit.get(oid)
        if last is None or last <= since:
            reasons[oid].append(("no_visits", "近4周无走访记录" + (f"（最近一次{last.isoformat()}）" if last else "（从未走访）")))
    for req in db.session.scalars(select(RecallRequest).where(RecallRequest.status == "open",
                                                              RecallRequest.officer_id.in_(ids)).order_by(RecallRequest.id)):
        reasons[req.officer_id].append(("request", f"{req.enterprise.name}申请更换：{req.reason}"))
    quarter = stats.period("quarter", today).previous()
    from ..assessments.query import officer_grades
    from ..surveys.metrics import bad_reviews, satisfaction

    for oid in ids:
        latest = [(key, g) for key, g in officer_grades(oid) or [] if "Q" in str(key)][-2:]  # quarters, oldest first
        if len(latest) == 2 and all(str(g) in FAIL_GRADES for _, g in latest):
            reasons[oid].append(("two_fail", f"{latest[0][0]}、{latest[1][0]}季度考核均为不合格"))
    for oid, sat in (satisfaction("officer", ids, quarter) or {}).items():
        rate = sat.rate
        if rate.value is not None and rate.value < SATISFACTION_FLOOR and oid in reasons:
            reasons[oid].append(("satisfaction", f"{quarter.label}满意率{rate.text}"))
    for oid, cases in (bad_reviews("officer", ids, quarter, verified_only=True) or {}).items():
        if len(cases or []) >= BAD_REVIEWS and oid in reasons:
            reasons[oid].append(("bad_reviews", f"{quarter.label}经核实差评{len(cases)}次"))
    return [{"officer": o, "reasons": reasons[o.id]} for o in officers if reasons[o.id]]


EVIDENCE_OF = {"no_visits": "visit_gap", "two_fail": "assessment", "satisfaction": "survey",
               "bad_reviews": "bad_review"}  # a trigger → the kind of evidence it is (requests link themselves)


def evidence_for(officer_id, today=None):
    """[(evidence kind, text)] of the triggers that hold for this officer now (for a new case)."""
    found = next((s for s in suggestions(today) if s["officer"].id == int(officer_id)), None)
    return [(EVIDENCE_OF[kind], f"{TRIGGER_LABELS[kind]}：{text}") for kind, text in (found or {}).get("reasons", [])
            if kind in EVIDENCE_OF]


# --- the service period ---------------------------------------------------------------------------

def term_end(assignment, terms=None, years=None):
    terms = terms if terms is not None else {}
    if assignment.id in terms:
        return terms[assignment.id]
    years = settings.get().term_years if years is None else years
    return assignment.start_date + relativedelta(years=years) if years else None


def term_queue(today=None):
    """[(assignment, term_end)] of current assignments whose service period ends soon or has ended,
    not already under a recall case; soonest first."""
    today = today or clock.today()
    conf = settings.get()
    terms = dict(db.session.execute(select(ServiceTerm.assignment_id, ServiceTerm.term_end)).all())
    from .models import RecallAssignment

    under_case = set(db.session.scalars(select(RecallAssignment.assignment_id).join(
        RecallCase, RecallCase.id == RecallAssignment.case_id).where(RecallCase.status.in_(RECALL_OPEN))))
    horizon = today + timedelta(days=conf.term_notice_days)
    out = []
    for a in db.session.scalars(select(Assignment).where(Assignment.is_current).order_by(Assignment.id)):
        end = term_end(a, terms, conf.term_years)
        if end is not None and end <= horizon and a.id not in under_case:
            out.append((a, end))
    return sorted(out, key=lambda pair: (pair[1], pair[0].id))


def extend_term(user, assignment_id, new_end, note=None):
    """延长服务期限: a new end date for a current assignment (the office). The caller commits."""
    from ..validation import valid_id
    from . import rules

    if not rules.may_prepare(user):
        raise WorkflowError(403, "只有首席服务官办公室可以延长服务期限。")
    a = db.session.get(Assignment, int(assignment_id)) if valid_id(assignment_id) else None
    if a is None or not a.is_current:
        raise WorkflowError(404, "包联关系不存在或已结束。")
    end = rules.day(new_end, "term_end") if not isinstance(new_end, date) else new_end
    current = term_end(a, dict(db.session.execute(select(ServiceTerm.assignment_id, ServiceTerm.term_end)).all()))
    if end <= max(clock.today(), current or a.start_date):
        raise WorkflowError(422, "新的服务期满日期应晚于今天和原期满日期。", "term_end")
    row = db.session.scalar(select(ServiceTerm).where(ServiceTerm.assignment_id == a.id))
    if row is None:
        row = ServiceTerm(assignment_id=a.id, term_end=end)
        db.session.add(row)
    row.term_end, row.updated_by_id, row.updated_at = end, user.id, clock.utcnow()
    row.note = (f"延长至{end.isoformat()}" + (f"：{note}" if note else ""))[:300]
    db.session.flush()
    return row


def file_request(user, reason):
    """An enterprise asks for another officer (its chief). The caller commits."""
    from ..models import EnterpriseUser

    ent_id = db.session.scalar(select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id)) \
        if user is not None else None
    if ent_id is None:
        raise WorkflowError(403, "只有企业账号可以申请更换服务官。")
    text = str(reason or "").strip()
    if len(text) < 5:
        raise WorkflowError(422, "请写明申请更换的理由（至少5个字）。", "reason")
    if len(text) > 1000:
        raise WorkflowError(422, "申请理由最长1000个字。", "reason")
    chief = db.session.scalar(select(Assignment).where(Assignment.enterprise_id == ent_id, Assignment.role == "chief",
                                                       Assignment.is_current).order_by(Assignment.id).limit(1))
    if chief is None:
        raise WorkflowError(409, "您的企业目前没有在岗的首席服务官。")
    if db.session.scalar(select(RecallRequest.id).where(RecallRequest.enterprise_id == ent_id,
                                                        RecallRequest.status == "open").limit(1)):
        raise WorkflowError(409, "您已提交的申请正在办理中，请勿重复提交。")
    req = RecallRequest(enterprise_id=ent_id, officer_id=chief.officer_id, reason=text, status="open",
                        created_by_id=user.id, created_at=clock.utcnow())
    db.session.add(req)
    db.session.flush()
    return req


def decline_request(user, request_id, answer):
    from ..validation import valid_id
    from . import rules

    if not rules.may_prepare(user):
        raise WorkflowError(403, "只有首席服务官办公室可以答复企业申请。")
    req = db.session.get(RecallRequest, int(request_id)) if valid_id(request_id) else None
    if req is None or req.status != "open":
        raise WorkflowError(404, "申请不存在或已处理。")
    text = str(answer or "").strip()
    if not text or len(text) > 500:
        raise WorkflowError(422, "请填写答复意见（500字以内）。", "answer")
    req.status, req.answer, req.answered_at = "declined", text, clock.utcnow()
    db.session.flush()
    return req
