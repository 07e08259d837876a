"""The annual assessment (八(四)): the mean of the year's published quarterly scores × the quarter
weight (a setting, default 70 %) + the leading group's overall evaluation (年度综合评价, 0–100) × the
rest; the grade by the same cut-offs. The 组织部's summary sheet is exported from here."""
from sqlalchemy import select

from .. import clock, scope
from ..extensions import db
from ..vocab import ASSESSMENT_CYCLE_PUBLISHED, ASSESSMENT_SUBJECTS, OFFICE_ROLES
from . import settings
from .models import AnnualEvaluation, Assessment, AssessmentCycle
from .schemes import AssessmentError


def rows(year, subject):
    """[{subject_id, name, quarters: {1: score…}, quarter_mean, overall, final, grade, rank}] for the year."""
    s = settings.get()
    keys = {f"{year}Q{q}": q for q in range(1, 5)}
    data = db.session.execute(select(AssessmentCycle.period, Assessment.subject_id, Assessment.subject_name, Assessment.score)
                              .join(Assessment, Assessment.cycle_id == AssessmentCycle.id).where(
        AssessmentCycle.subject == subject, AssessmentCycle.period.in_(keys),
        AssessmentCycle.status.in_(ASSESSMENT_CYCLE_PUBLISHED))).all()
    out = {}
    for period, sid, name, score in data:
        r = out.setdefault(sid, {"subject_id": sid, "name": name, "quarters": {}})
        r["quarters"][keys[period]] = score
    overall = {e.subject_id: e for e in db.session.scalars(select(AnnualEvaluation).where(
        AnnualEvaluation.year == year, AnnualEvaluation.subject_type == subject))}
    for r in out.values():
        scores = [v for v in r["quarters"].values() if v is not None]
        r["quarter_mean"] = round(sum(scores) / len(scores), 2) if scores else None
        ev = overall.get(r["subject_id"])
        r["overall"] = ev.overall if ev else None
        r["overall_note"] = ev.note if ev else None
        if r["quarter_mean"] is not None and r["overall"] is not None:
            r["final"] = round(r["quarter_mean"] * s.quarter_weight / 100 + r["overall"] * (100 - s.quarter_weight) / 100, 2)
            r["grade"] = settings.grade(r["final"], False, s)
        else:
            r["final"], r["grade"] = None, None
    ordered = sorted(out.values(), key=lambda r: (r["final"] is None, -(r["final"] or 0), r["name"]))
    prev, rank = None, 0
    for pos, r in enumerate(ordered, start=1):
        if r["final"] is None:
            r["rank"] = None
            continue
        if r["final"] != prev:
            rank, prev = pos, r["final"]
        r["rank"] = rank
    return ordered


def set_overall(user, year, subject, subject_id, overall, note=None):
    if user is not None and not scope.role_names(user) & OFFICE_ROLES:
        raise AssessmentError(403, "只有首席服务官办公室可以录入领导小组综合评价。")
    if subject not in ASSESSMENT_SUBJECTS:
        raise AssessmentError(422, "考核对象不正确。", "subject")
    try:
        year, subject_id = int(year), int(subject_id)
        value = float(str(overall).strip())
    except (TypeError, ValueError):
        raise AssessmentError(422, "综合评价应为0到100之间的数字。", "overall") from None
    if not 0 <= value <= 100:
        raise AssessmentError(422, "综合评价应为0到100之间的数字。", "overall")
    if not 2000 <= year <= 2100:
        raise AssessmentError(422, "年度不正确。", "year")
    row = db.session.scalar(select(AnnualEvaluation).where(
        AnnualEvaluation.year == year, AnnualEvaluation.subject_type == subject, AnnualEvaluation.subject_id == subject_id))
    if row is None:
        row = AnnualEvaluation(year=year, subject_type=subject, subject_id=subject_id, overall=value)
        db.session.add(row)
    row.overall, row.note = value, (str(note).strip()[:300] or None) if note else None
    row.by_id, row.at = getattr(user, "id", None), clock.utcnow()
    db.session.flush()
    return row
