"""Who sees which assessment rows (registered with app.scope at import; imported by register()).

The office, the director and leaders see everything (scope.sees_all). An officer sees their own
results — score lines, evidence, versions, appeals — once the cycle is published; a unit the same for
itself; enterprises nothing. Schemes, cycles (with everyone's ranking), ladder cases and the annual
evaluation are the office's and the leaders' only."""
from sqlalchemy import and_, false, or_, select

from .. import scope
from ..models import Officer
from ..vocab import ASSESSMENT_CYCLE_PUBLISHED, DEPARTMENT, OFFICER
from .models import (
    AnnualEvaluation, Appeal, AppealEvent, Assessment, AssessmentCase, AssessmentCaseEvent, AssessmentCycle,
    AssessmentCycleEvent, AssessmentItem, AssessmentScheme, AssessmentScore, AssessmentVersion,
)


def own_assessments(user, roles):
    """Criterion on Assessment: the user's own published results (None user: nothing)."""
    if user is None:
        return false()
    own = []
    if OFFICER in roles:
        own.append(and_(Assessment.subject_type == "officer",
                        Assessment.subject_id.in_(select(Officer.id).where(Officer.user_id == user.id))))
    if DEPARTMENT in roles:
        own.append(and_(Assessment.subject_type == "department", Assessment.subject_id.in_(scope.department_ids(user))))
    if not own:
        return false()
    published = Assessment.cycle_id.in_(select(AssessmentCycle.id).where(
        AssessmentCycle.status.in_(ASSESSMENT_CYCLE_PUBLISHED)))
    return and_(or_(*own), published)


def _criterion(model, user, roles, ents):
    crit = own_assessments(user, roles)
    if model is Assessment:
        return crit
    if model in (AssessmentScore, AssessmentVersion):
        return model.assessment_id.in_(select(Assessment.id).where(crit))
    if model is Appeal:
        return Appeal.assessment_id.in_(select(Assessment.id).where(crit))
    if model is AppealEvent:
        return AppealEvent.appeal_id.in_(select(Appeal.id).where(Appeal.assessment_id.in_(select(Assessment.id).where(crit))))
    return false()


scope.register_criterion((Assessment, AssessmentScore, AssessmentVersion, Appeal, AppealEvent, AssessmentScheme,
                          AssessmentItem, AssessmentCycle, AssessmentCycleEvent, AssessmentCase, AssessmentCaseEvent,
                          AnnualEvaluation), _criterion)
