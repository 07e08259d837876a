"""Read-only questions other features ask of assessments (the recall helper: app/recall)."""
from sqlalchemy import select

from ..extensions import db
from ..vocab import ASSESSMENT_CYCLE_PUBLISHED
from .models import Assessment, AssessmentCycle


def officer_grades(officer_id):
    """[(period_key, grade)] of an officer's published results, oldest first."""
    rows = db.session.execute(select(AssessmentCycle.period, Assessment.grade).join(
        Assessment, Assessment.cycle_id == AssessmentCycle.id).where(
        AssessmentCycle.subject == "officer", AssessmentCycle.status.in_(ASSESSMENT_CYCLE_PUBLISHED),
        Assessment.subject_type == "officer", Assessment.subject_id == officer_id)).all()
    return sorted(((p, g) for p, g in rows), key=lambda r: (r[0][:4], r[0][4:] or "Q9"))
