"""Lists and JSON shapes of survey requests and bad-review cases (screens, REST and exports alike)."""
from sqlalchemy import func, select

from .. import clock, scope, stats
from ..extensions import db
from ..models import Enterprise, Issue
from ..querystring import QueryError
from ..validation import valid_id
from ..vocab import BAD_REVIEW_STATUSES, SURVEY_KINDS, SURVEY_LEVELS, SURVEY_REQUEST_STATUSES, SURVEY_TARGETS
from .models import BadReview, SurveyRequest
from .rules import raw_answers_visible, target_names

LIMIT = 500


def _choice(args, name, choices, label):
    value = args.get(name) or None
    if value is not None and value not in choices:
        raise QueryError(name, f"{label}应为：" + "、".join(f"{k}（{v}）" for k, v in choices.items()) + "。")
    return value


def _period(args):
    value = args.get("period") or None
    if value is None:
        return None
    try:
        return stats.parse_period(value)
    except ValueError as exc:
        raise QueryError("period", str(exc)) from None


def requests(user, args):
    """The requests the user may see, newest first; filters kind, status, period (answered, expired or
    created in it), enterprise."""
    query = scope.restrict(SurveyRequest, select(SurveyRequest), user)
    kind = _choice(args, "kind", SURVEY_KINDS, "类型")
    status = _choice(args, "status", SURVEY_REQUEST_STATUSES, "状态")
    if kind:
        query = query.where(SurveyRequest.kind == kind)
    if status:
        query = query.where(SurveyRequest.status == status)
    p = _period(args)
    if p is not None:
        query = query.where(p.has(SurveyRequest.created_at) | p.has(SurveyRequest.answered_at)
                            | p.has(SurveyRequest.expired_at))
    ent = args.get("enterprise")
    if ent not in (None, ""):
        if not valid_id(ent):
            raise QueryError("enterprise", "企业编号应为正整数。")
        query = query.where(SurveyRequest.enterprise_id == int(ent))
    return db.session.scalars(query.order_by(SurveyRequest.id.desc()).limit(LIMIT)).all()


def _local(stamp):
    return clock.local(stamp).strftime("%Y-%m-%d %H:%M") if stamp else None


def request_json(req, user=None, answers=False):
    names = target_names(req.targets)
    out = {
        "id": req.id, "kind": req.kind, "kind_label": req.kind_label, "status": req.status,
        "status_label": req.status_label, "enterprise_id": req.enterprise_id,
        "enterprise": req.enterprise.name if req.enterprise else None, "period": req.period,
        "issue_ids": list(req.issue_ids or []), "template_id": req.template_id,
        "template": str(req.template) if req.template else None,
        "targets": {k: [{"id": i, "name": n} for i, n in names[k]] for k in SURVEY_TARGETS},
        "created_at": _local(req.created_at), "send_after": _local(req.send_after), "sent_at": _local(req.sent_at),
        "reminded_at": _local(req.reminded_at), "expires_at": _local(req.expires_at),
        "answered_at": _local(req.answered_at), "expired_at": _local(req.expired_at),
        "link_issued": req.token_hash is not None, "link_used": req.token_used_at is not None,
    }
    if user is not None:
        out["issues"] = issue_refs(req.issue_ids, user)
    if answers and req.response is not None and raw_answers_visible(user, req):
        r = req.response
        out["response"] = {
            "id": r.id, "submitted_at": _local(r.submitted_at), "channel": r.channel, "channel_label": r.channel_label,
            "respondent": r.respondent, "respondent_post": r.respondent_post, "note": r.comment,
            "answers": [{"id": a.id, "question_id": a.question_id, "dimension": a.dimension,
                         "target_type": a.target_type, "target_id": a.target_id, "level": a.level,
                         "level_label": SURVEY_LEVELS.get(a.level), "text": a.text} for a in r.answers],
        }
    return out


def issue_refs(issue_ids, user):
    """The problems a request asks about by their 问题编号, in the request's order, with ``visible``: whether
    this user may open the problem (the page links only those)."""
    ids = [int(i) for i in issue_ids or []]
    if not ids:
        return []
    numbers = dict(db.session.execute(select(Issue.id, Issue.number).where(Issue.id.in_(ids))).all())
    visible = set(db.session.scalars(scope.restrict(Issue, select(Issue.id), user).where(Issue.id.in_(ids))))
    return [{"id": i, "number": numbers[i], "visible": i in visible} for i in ids if i in numbers]


def bad_review_list(user, args):
    query = scope.restrict(BadReview, select(BadReview), user)
    status = _choice(args, "status", BAD_REVIEW_STATUSES, "状态")
    if status:
        query = query.where(BadReview.status == status)
    target = _choice(args, "target_type", SURVEY_TARGETS, "评价对象")
    if target:
        query = query.where(BadReview.target_type == target)
    return db.session.scalars(query.order_by(BadReview.id.desc()).limit(LIMIT)).all()


def bad_review_json(case):
    from .bad_reviews import subject_name
    from .models import SurveyAnswer

    answers = db.session.scalars(select(SurveyAnswer).where(SurveyAnswer.id.in_(case.answer_ids or []))).all()
    return {
        "id": case.id, "status": case.status, "status_label": case.status_label, "version": case.version,
        "target_type": case.target_type, "target_id": case.target_id, "subject": subject_name(case),
        "enterprise_id": case.enterprise_id, "enterprise": case.enterprise.name if case.enterprise else None,
        "issue_id": case.issue_id, "request_id": case.request_id, "excluded": case.excluded,
        "worst_level": case.worst_level, "worst_level_label": SURVEY_LEVELS.get(case.worst_level),
        "answers": [{"id": a.id, "dimension": a.dimension, "level": a.level, "level_label": a.level_label}
                    for a in answers],
        "opened_at": _local(case.opened_at), "appeal_due": case.appeal_due.isoformat(),
        "due_on": case.due_on.isoformat() if case.due_on else None, "verification": case.verification,
        "rectification": case.rectification, "callback": case.callback, "appeal_reason": case.appeal_reason,
        "decision": case.decision, "closed_at": _local(case.closed_at),
        "overdue": bool(case.due_on and case.status == "rectifying" and case.due_on < clock.today()),
    }


def enterprises_for_callback():
    return db.session.execute(select(Enterprise.id, Enterprise.name).order_by(Enterprise.name)).all()


def pending_count_for_enterprise(user):
    query = scope.restrict(SurveyRequest, select(func.count()).select_from(SurveyRequest).where(
        SurveyRequest.status == "pending"), user)
    return db.session.scalar(query) or 0
