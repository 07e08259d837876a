"""Who sees which 代办 rows (registered with app.scope for the roles that do not see everything):

* officer — the cases of the enterprises they serve (an active officer with a current assignment);
* enterprise — its own cases;
* department — the cases with a step addressed to it;
* the catalogue of service items is public to everyone who may read it.
Office, director and leader see all (app.scope.sees_all)."""
from sqlalchemy import false, or_, select, true

from .. import scope
from ..models import Assignment, EnterpriseUser, Officer
from ..vocab import DEPARTMENT, ENTERPRISE, OFFICER
from .models import ProxyCase, ProxyEvent, ProxyStep, ServiceItem


def case_criterion(user, roles):
    if user is None:
        return false()
    conds = []
    if OFFICER in roles:
        conds.append(ProxyCase.enterprise_id.in_(
            select(Assignment.enterprise_id).join(Officer, Officer.id == Assignment.officer_id)
            .where(Officer.user_id == user.id, Officer.active == true(), Assignment.is_current)))
    if ENTERPRISE in roles:
        conds.append(ProxyCase.enterprise_id.in_(
            select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id)))
    if DEPARTMENT in roles:
        conds.append(ProxyCase.id.in_(select(ProxyStep.case_id).where(
            scope.member_of(ProxyStep.department_id, scope.department_ids(user)))))
    return or_(*conds) if conds else false()


def _criterion(model, user, roles, ents):
    if model is ServiceItem:
        return None
    crit = case_criterion(user, roles)
    if model is ProxyCase:
        return crit
    return model.case_id.in_(select(ProxyCase.id).where(crit))


scope.register_criterion((ProxyCase, ProxyStep, ProxyEvent, ServiceItem), _criterion)
