"""Satisfaction, inspection and bad-review figures per officer or department and period — the one
library the assessments, the dashboard, the bulletins and the survey screens read (docs/surveys.md).

Definitions (also in ``app.stats.RATES["satisfaction"]``):

* an *answer* is one five-level rating of one dimension (服务态度/工作效率/政策落实/问题解决) about one
  rated party in one response; a response belongs to the period in which it was submitted;
* satisfied = 非常满意, 满意 or 基本满意 (``vocab.SATISFIED_LEVELS``; 不满意/非常不满意 are 差评);
* ``rate`` = satisfied answers ÷ answers (response-weighted), sufficient from ``stats.min_sample()``
  responses' worth of answers (min sample × 4 dimensions); each dimension's rate from min sample answers;
* ``enterprise_weighted`` = the mean over enterprises of each one's satisfied share (邓州 practice),
  None below ``stats.min_sample()`` enterprises;
* ``unanswered`` = requests that expired in the period (未评价) naming the party — reported, never satisfied;
* answers of a response whose bad-review case was excluded on appeal (误评/恶意) are left out of the rates.

Raw answers are not shown to the rated parties (app/surveys/rules.py ``raw_answers_visible``); these
aggregates are what they may see.
"""
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from .. import stats
from ..extensions import db
from ..vocab import BAD_REVIEW_VERIFIED, SATISFIED_LEVELS, SURVEY_DIMENSIONS
from .models import BadReview, Inspection, SurveyAnswer, SurveyRequest, SurveyResponse

SUBJECT_TYPES = ("officer", "department")


@dataclass(frozen=True)
class Satisfaction:
    rate: stats.Rate  # key "satisfaction"
    enterprise_weighted: float | None
    answered: int  # responses naming the party
    unanswered: int  # expired requests naming the party (未评价)
    dimensions: dict  # {dimension: Rate}
    evidence: tuple  # answer ids

    def as_dict(self):
        return {"rate": self.rate.as_dict(), "enterprise_weighted": self.enterprise_weighted,
                "answered": self.answered, "unanswered": self.unanswered,
                "dimensions": {k: r.as_dict() for k, r in self.dimensions.items()}, "evidence": list(self.evidence)}


def _check(subject_type):
    if subject_type not in SUBJECT_TYPES:
        raise ValueError(f"subject_type must be one of {SUBJECT_TYPES}")


def _wanted(subject_ids):
    return None if subject_ids is None else {int(i) for i in subject_ids}


def excluded_responses():
    """(response id, target type, target id) whose bad review was excluded on appeal."""
    return set(db.session.execute(select(BadReview.response_id, BadReview.target_type, BadReview.target_id)
                                  .where(BadReview.excluded.is_(True))).all())


def satisfaction(subject_type, subject_ids, period):
    """→ {subject_id: Satisfaction} for every subject with any answered or expired request in ``period``."""
    _check(subject_type)
    wanted = _wanted(subject_ids)
    minimum = stats.min_sample()
    rows = db.session.execute(
        select(SurveyAnswer.id, SurveyAnswer.target_id, SurveyAnswer.dimension, SurveyAnswer.level,
               SurveyAnswer.response_id, SurveyRequest.enterprise_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyRequest, SurveyRequest.id == SurveyResponse.request_id)
        .where(SurveyAnswer.target_type == subject_type, SurveyAnswer.level.is_not(None),
               period.has(SurveyResponse.submitted_at))
        .order_by(SurveyAnswer.id)).all()
    excluded = excluded_responses()
    per = defaultdict(list)
    for answer_id, target_id, dimension, level, response_id, enterprise_id in rows:
        if wanted is not None and target_id not in wanted:
            continue
        if (response_id, subject_type, target_id) in excluded:
            continue
        per[target_id].append((answer_id, dimension, level in SATISFIED_LEVELS, response_id, enterprise_id))
    expired = defaultdict(int)
    for (targets,) in db.session.execute(select(SurveyRequest.targets).where(
            SurveyRequest.status == "expired", period.has(SurveyRequest.expired_at))).all():
        for target_id in (targets or {}).get(subject_type, []):
            if wanted is None or target_id in wanted:
                expired[target_id] += 1
    out = {}
    for target_id in sorted(set(per) | set(expired)):
        items = per.get(target_id, [])
        satisfied = sum(1 for _, _, ok, _, _ in items if ok)
        by_ent = defaultdict(list)
        for _, _, ok, _, ent in items:
            by_ent[ent].append(ok)
        weighted = (sum(sum(v) / len(v) for v in by_ent.values()) / len(by_ent)
                    if len(by_ent) >= minimum else None)
        dims = {}
        for dim in SURVEY_DIMENSIONS:
            d = [ok for _, dimension, ok, _, _ in items if dimension == dim]
            dims[dim] = stats.rate("satisfaction", sum(d), len(d), minimum)
        out[target_id] = Satisfaction(
            rate=stats.rate("satisfaction", satisfied, len(items), minimum * len(SURVEY_DIMENSIONS)),
            enterprise_weighted=weighted, answered=len({r for _, _, _, r, _ in items}),
            unanswered=expired.get(target_id, 0), dimensions=dims, evidence=tuple(a for a, *_ in items))
    return out


def inspection(subject_type, subject_ids, period):
    """→ {subject_id: (score 0–100 or None, n, evidence ids)}: the mean of the four ratings (1–5) of the
    inspections dated in ``period``, times 20 (5 = 100), rounded to one decimal."""
    _check(subject_type)
    wanted = _wanted(subject_ids)
    column = Inspection.officer_id if subject_type == "officer" else Inspection.department_id
    rows = db.session.scalars(select(Inspection).where(
        Inspection.subject_type == subject_type, period.covers(Inspection.day)).order_by(Inspection.id)).all()
    per = defaultdict(list)
    for row in rows:
        sid = getattr(row, column.key)
        if sid is not None and (wanted is None or sid in wanted):
            per[sid].append(row)
    return {sid: (round(20 * sum(r.mean for r in items) / len(items), 1) if items else None, len(items),
                  tuple(r.id for r in items)) for sid, items in sorted(per.items())}


def bad_reviews(subject_type, subject_ids, period, verified_only=True):
    """→ {subject_id: [case ids]} of bad-review cases opened in ``period`` (verified and not excluded by
    default: 整改中, 待回访, 已办结)."""
    _check(subject_type)
    wanted = _wanted(subject_ids)
    query = select(BadReview.target_id, BadReview.id).where(
        BadReview.target_type == subject_type, period.has(BadReview.opened_at)).order_by(BadReview.id)
    if verified_only:
        query = query.where(BadReview.status.in_(BAD_REVIEW_VERIFIED))
    out = defaultdict(list)
    for target_id, case_id in db.session.execute(query).all():
        if wanted is None or target_id in wanted:
            out[target_id].append(case_id)
    return dict(out)
