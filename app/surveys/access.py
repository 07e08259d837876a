"""Who sees which survey rows (registered with app.scope; roles that see everything are not limited).

* survey requests, responses and answers: an enterprise its own; officers and departments none — the
  rated parties never read raw answers (they read the aggregated rates of app.surveys.metrics);
* bad-review cases: the rated officer or unit its own (it rectifies and may appeal); enterprises none;
* inspections: the office's own records (none for other roles);
* templates: everyone who may answer reads them (the questions are not secret).
"""
from sqlalchemy import false, or_, select

from .. import scope
from ..models import EnterpriseUser, Officer
from ..vocab import DEPARTMENT, ENTERPRISE, OFFICER
from .models import (
    BadReview, BadReviewEvent, Inspection, SurveyAnswer, SurveyQuestion, SurveyRequest, SurveyResponse, SurveyTemplate,
)


def _own_enterprises(user):
    return select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id)


def request_criterion(user, roles):
    if ENTERPRISE in roles and user is not None:
        return SurveyRequest.enterprise_id.in_(_own_enterprises(user))
    return false()


def bad_review_criterion(user, roles):
    conds = []
    if OFFICER in roles and user is not None:
        conds.append((BadReview.target_type == "officer") & BadReview.target_id.in_(
            select(Officer.id).where(Officer.user_id == user.id)))
    if DEPARTMENT in roles and user is not None:
        conds.append((BadReview.target_type == "department") & BadReview.target_id.in_(scope.department_ids(user)))
    return or_(*conds) if conds else false()


def _criterion(model, user, roles, ents):
    if model in (SurveyTemplate, SurveyQuestion):
        return None
    if model is SurveyRequest:
        return request_criterion(user, roles)
    if model is SurveyResponse:
        return SurveyResponse.request_id.in_(select(SurveyRequest.id).where(request_criterion(user, roles)))
    if model is SurveyAnswer:
        return SurveyAnswer.response_id.in_(select(SurveyResponse.id).join(
            SurveyRequest, SurveyRequest.id == SurveyResponse.request_id).where(request_criterion(user, roles)))
    if model is BadReview:
        return bad_review_criterion(user, roles)
    if model is BadReviewEvent:
        return BadReviewEvent.bad_review_id.in_(select(BadReview.id).where(bad_review_criterion(user, roles)))
    return false()  # Inspection and anything else: the office's


scope.register_criterion((SurveyTemplate, SurveyQuestion, SurveyRequest, SurveyResponse, SurveyAnswer, BadReview,
                          BadReviewEvent, Inspection), _criterion)
