"""Who sees which rows of recall and handover (registered with app.scope at import).

* Office, director, leaders (``scope.sees_all``): everything.
* Officers: the handover lists where they are the outgoing or the incoming officer, their items and
  history, and the omissions recorded against them; never the recall case (its evidence and the
  组织部 opinion are the office's).
* Enterprises: their own handover lists once the office confirmed them (the history they may read is
  filtered in app.recall.handover), and the requests they filed.
* Departments: nothing.

A recalled officer keeps **read-only** access to the enterprises they handed over for the office's
transition period (``recall.transition_days`` after the effective date): :func:`transition_enterprises`
is registered as a read-only source of ``scope.enterprise_ids``; every write check asks without it.
"""
from datetime import timedelta

from flask import g, has_request_context
from sqlalchemy import false, or_, select

from .. import clock, scope
from ..models import Assignment, EnterpriseUser, Officer
from ..vocab import ENTERPRISE, HANDOVER_SIGNED, OFFICER
from . import settings
from .models import (
    Handover, HandoverEvent, HandoverItem, HandoverOmission, RecallAssignment, RecallCase, RecallEvent,
    RecallEvidence, RecallRequest, ServiceTerm,
)


def _transition_days():
    if has_request_context():
        if "cso_recall_transition_days" not in g:
            g.cso_recall_transition_days = settings.get().transition_days
        return g.cso_recall_transition_days
    return settings.get().transition_days


def transition_enterprises(user):
    """SELECT of the enterprises this officer handed over by an applied recall within the transition period."""
    days = _transition_days()
    if days <= 0:
        return select(Assignment.enterprise_id).where(false())
    since = clock.today() - timedelta(days=days)
    return (select(Assignment.enterprise_id)
            .join(RecallAssignment, RecallAssignment.assignment_id == Assignment.id)
            .join(RecallCase, RecallCase.id == RecallAssignment.case_id)
            .join(Officer, Officer.id == Assignment.officer_id)
            .where(Officer.user_id == user.id, RecallCase.status == "applied", RecallCase.effective_on >= since))


def _own_officer_ids(user):
    return select(Officer.id).where(Officer.user_id == user.id)


def _handover_criterion(user, roles):
    conds = []
    if OFFICER in roles and user is not None:
        own = _own_officer_ids(user)
        conds.append(or_(Handover.outgoing_id.in_(own), Handover.incoming_id.in_(own)))
    if ENTERPRISE in roles and user is not None:
        conds.append(Handover.status.in_(HANDOVER_SIGNED) & Handover.enterprise_id.in_(
            select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id)))
    return or_(*conds) if conds else false()


def criterion(model, user, roles, ents):
    if model in (RecallCase, RecallAssignment, RecallEvidence, RecallEvent, ServiceTerm):
        return false()
    if model is RecallRequest:
        if ENTERPRISE in roles and user is not None:
            return RecallRequest.enterprise_id.in_(
                select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id))
        return false()
    if model is HandoverOmission:
        if OFFICER in roles and user is not None:
            return HandoverOmission.officer_id.in_(_own_officer_ids(user))
        return false()
    crit = _handover_criterion(user, roles)
    if model is Handover:
        return crit
    return model.handover_id.in_(select(Handover.id).where(crit))  # HandoverItem, HandoverEvent


scope.register_criterion((RecallCase, RecallAssignment, RecallEvidence, RecallEvent, RecallRequest, ServiceTerm,
                          Handover, HandoverItem, HandoverEvent, HandoverOmission), criterion)
scope.register_read_only_enterprises(transition_enterprises)
