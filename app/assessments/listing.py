"""Shapes of assessments for screens, REST and exports: one serialisation, evidence with the link of
its page only where the reader may open it (no link that ends in a 404)."""
from sqlalchemy import select

from .. import scope, stats
from ..extensions import db
from ..vocab import ASSESSMENT_BANDS, ASSESSMENT_RULES, ASSESSMENT_SUBJECTS
from . import metrics
from .models import Assessment, AssessmentCycle

EVIDENCE_KINDS = {  # kind: (label, model name, URL pattern)
    "issue": ("问题", "Issue", "/ledger/{id}"),
    "notice": ("交办通知单", "Notice", "/notices/{id}"),
    "visit": ("走访记录", "Visit", "/visitview/show/{id}"),
    "decision": ("议定事项", "MeetingDecision", "/meeting_decisions/{id}"),
    "criticism": ("通报批评", "Criticism", "/criticisms/{id}"),
    "urge": ("督办单", "Urge", "/urges/{id}"),
    "duty": ("履职记录", "DutyRecord", "/dutyrecordview/show/{id}"),
    "survey": ("评价", None, None),  # survey answers: no page of their own (raw answers stay with the surveys)
    "inspection": ("督查记录", None, None),
}


def _model(name):
    from .. import models

    return getattr(models, name, None)


def linker(user, assessments):
    """kind, id → URL or None, for every evidence id of these assessments (one query per kind)."""
    wanted = {}
    for a in assessments:
        for ln in a.lines:
            for e in ln.evidence or []:
                wanted.setdefault(e.get("kind"), set()).add(e.get("id"))
    open_ = {}
    for kind, ids in wanted.items():
        spec = EVIDENCE_KINDS.get(kind)
        model = _model(spec[1]) if spec and spec[1] else None
        if model is None or not scope.may(user, "read", model):
            continue
        ids = [i for i in ids if isinstance(i, int)]
        open_[kind] = set(db.session.scalars(scope.restrict(model, select(model.id), user).where(model.id.in_(ids))))

    def url(kind, id_):
        if id_ in open_.get(kind, ()):
            return EVIDENCE_KINDS[kind][2].format(id=id_)
        return None
    return url


def params_text(item):
    """The rule's parameters in words (the scheme page; the JSON stays in the edit form)."""
    p = item.params or {}
    if item.rule == "ratio_linear":
        return f"不高于{p.get('floor', 0):g}得0分，达到{p.get('target', 0):g}得满分，其间按比例"
    if item.rule == "threshold_band":
        return "；".join(f"达到{a:g}得{b:g}分" for a, b in p.get("bands", [])) + "；其余0分"
    if item.rule == "per_event":
        from ..models import DUTY_KINDS

        if p.get("weights"):
            return "、".join(f"{DUTY_KINDS.get(k, k)}每次{v:g}分" for k, v in p["weights"].items())
        return f"每次{p.get('per', 0):g}分"
    if item.rule == "rank_points":
        return f"第1名{p.get('first', 0):g}分，每降一名减{p.get('step', 0):g}分"
    if item.rule == "manual":
        return "督查人员在审核时评分"
    if item.rule == "veto":
        return "经核实成立即为不合格"
    return ""


def period_label(key):
    try:
        return stats.parse_period(key).label
    except ValueError:
        return key


def serialize_line(ln, url=None):
    item = ln.item
    m = metrics.METRICS.get(item.metric)
    return {
        "item_id": item.id, "item": item.name, "dimension": item.dimension, "rule": item.rule,
        "rule_label": ASSESSMENT_RULES.get(item.rule, item.rule), "max_points": item.max_points, "metric": item.metric,
        "metric_label": m.label if m else item.metric, "definition": m.definition if m else "",
        "raw": ln.raw, "raw_text": ln.raw_text, "sample_n": ln.sample_n, "points": ln.points, "state": ln.state,
        "note": ln.note,
        "evidence_ids": [e.get("id") for e in ln.evidence or []],
        "evidence": [{**e, "kind_label": EVIDENCE_KINDS.get(e.get("kind"), (e.get("kind"),))[0],
                      "url": url(e.get("kind"), e.get("id")) if url else None} for e in ln.evidence or []],
    }


def serialize(a, user=None, lines=True, url=None):
    cycle = a.cycle
    out = {
        "id": a.id, "cycle_id": a.cycle_id, "cycle_status": cycle.status, "subject_type": a.subject_type,
        "subject_label": ASSESSMENT_SUBJECTS.get(a.subject_type), "subject_id": a.subject_id,
        "subject_name": a.subject_name, "period": cycle.period, "period_label": period_label(cycle.period),
        "score": a.score, "grade": a.grade, "rank": a.rank, "cohort": len(cycle.assessments), "prev_rank": a.prev_rank,
        "rank_change": a.rank_change, "band": a.band, "band_label": ASSESSMENT_BANDS.get(a.band), "vetoed": a.vetoed,
        "comment": a.comment, "revision": a.revision,
    }
    if lines:
        url = url or linker(user, [a])
        out["lines"] = [serialize_line(ln, url) for ln in a.lines]
    return out


def assessment_query(user, args=None):
    """The user's assessments (scope), filtered by period, subject, cycle, subject_id."""
    args = args or {}
    query = scope.restrict(Assessment, select(Assessment).join(AssessmentCycle, AssessmentCycle.id == Assessment.cycle_id),
                           user)
    if args.get("period"):
        query = query.where(AssessmentCycle.period == str(args["period"]).strip().upper())
    if args.get("subject"):
        query = query.where(Assessment.subject_type == args["subject"])
    if args.get("cycle"):
        query = query.where(Assessment.cycle_id == args["cycle"])
    if args.get("subject_id"):
        query = query.where(Assessment.subject_id == args["subject_id"])
    return query.order_by(AssessmentCycle.period.desc(), Assessment.cycle_id, Assessment.rank, Assessment.id)


def serialize_cycle(cycle):
    return {"id": cycle.id, "period": cycle.period, "period_label": period_label(cycle.period), "subject": cycle.subject,
            "subject_label": cycle.subject_label, "status": cycle.status, "status_label": cycle.status_label,
            "version": cycle.version, "scheme_id": cycle.scheme_id, "scheme": f"{cycle.scheme.name}（第{cycle.scheme.version}版）",
            "computed_at": cycle.computed_at.isoformat() if cycle.computed_at else None,
            "published_at": cycle.published_at.isoformat() if cycle.published_at else None,
            "appeal_due": cycle.appeal_due.isoformat() if cycle.appeal_due else None,
            "reopen_reason": cycle.reopen_reason, "subjects": len(cycle.assessments)}


def serialize_scheme(s):
    from .schemes import in_use, ordinary_total, weight_problem

    return {"id": s.id, "name": s.name, "subject": s.subject, "subject_label": s.subject_label,
            "period_kind": s.period_kind, "version": s.version, "status": s.status, "status_label": s.status_label,
            "source_note": s.source_note, "in_use": in_use(s), "ordinary_total": ordinary_total(s),
            "weight_problem": weight_problem(s),
            "items": [{"id": i.id, "sort": i.sort, "dimension": i.dimension, "name": i.name, "max_points": i.max_points,
                       "rule": i.rule, "rule_label": i.rule_label, "metric": i.metric, "params": i.params} for i in s.items]}


def serialize_appeal(ap):
    a = ap.assessment
    return {"id": ap.id, "assessment_id": a.id, "subject_type": a.subject_type, "subject_id": a.subject_id,
            "subject_name": a.subject_name, "period": a.cycle.period, "item_id": ap.item_id,
            "item": ap.item.name if ap.item else None, "status": ap.status, "status_label": ap.status_label,
            "version": ap.version, "reason": ap.reason, "filed_at": ap.filed_at.isoformat() if ap.filed_at else None,
            "decided_at": ap.decided_at.isoformat() if ap.decided_at else None, "decision_note": ap.decision_note,
            "points_before": ap.points_before, "points_after": ap.points_after}
