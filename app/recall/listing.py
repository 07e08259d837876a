"""Lists and shapes of recall cases and handover lists, for screens and REST alike (scoped)."""
from sqlalchemy import select

from .. import clock, paging, scope
from .. import querystring
from ..querystring import QueryError  # noqa: F401  (screens catch listing.QueryError)
from ..vocab import HANDOVER_STATUSES, RECALL_STATUSES
from . import handover as handovers
from .models import Handover, RecallCase


def _statuses(args, allowed):
    return querystring.choice_list(args, "status", "状态", allowed)


def case_query(user, args):
    query = scope.restrict(RecallCase, select(RecallCase), user)
    statuses = _statuses(args, RECALL_STATUSES)
    if statuses:
        query = query.where(RecallCase.status.in_(statuses))
    return query.order_by(RecallCase.id.desc())


def handover_query(user, args):
    query = scope.restrict(Handover, select(Handover), user)
    statuses = _statuses(args, HANDOVER_STATUSES)
    if statuses:
        query = query.where(Handover.status.in_(statuses))
    return query.order_by(Handover.id.desc())


page = paging.page  # one page of a list query (app/paging.py)


def _day(value):
    return value.isoformat() if value else None


def _moment(value):
    return clock.local(value).isoformat(timespec="minutes") if value else None


def serialize_case(case, full=True):
    out = {"id": case.id, "number": case.number, "status": case.status, "status_label": case.status_label,
           "officer": {"id": case.officer_id, "name": case.officer.name},
           "replacement": {"id": case.replacement_id, "name": case.replacement.name} if case.replacement else None,
           "reason": case.reason, "reason_label": case.reason_label, "effective_on": _day(case.effective_on),
           "version": case.version}
    if full:
        out.update({
            "reason_text": case.reason_text, "all_assignments": case.all_assignments,
            "assignments": [{"id": r.assignment_id, "enterprise": r.assignment.enterprise.name,
                             "role": r.assignment.role, "new_assignment": r.new_assignment_id} for r in case.scope_rows],
            "evidence": [{"id": e.id, "kind": e.kind, "text": e.text, "url": e.url, "ref_id": e.ref_id}
                         for e in case.evidence],
            "consultation": {"consulted_on": _day(case.consulted_on), "opinion": case.consultation_opinion,
                             "file": case.consultation_file_id},
            "approved_at": _moment(case.approved_at), "applied_at": _moment(case.applied_at),
            "cancel_reason": case.cancel_reason,
            "handovers": [{"id": h.id, "enterprise": h.enterprise.name, "status": h.status} for h in case.handovers],
        })
    return out


def serialize_handover(h, user, full=True):
    notes = handovers.sees_notes(user)
    out = {"id": h.id, "case": h.case.number, "enterprise": {"id": h.enterprise_id, "name": h.enterprise.name},
           "outgoing": {"id": h.outgoing_id, "name": h.outgoing.name},
           "incoming": {"id": h.incoming_id, "name": h.incoming.name, "phone": h.incoming.phone},
           "status": h.status, "status_label": h.status_label, "effective_on": _day(h.case.effective_on),
           "version": h.version}
    if full:
        out["items"] = [{"id": i.id, "kind": i.kind, "kind_label": i.kind_label, "ref_id": i.ref_id, "number": i.number,
                         "title": i.title, "status_label": i.status_label, "moved": i.moved,
                         **({"note": i.note} if notes else {})} for i in h.items]
        out.update({"outgoing_signed_at": _moment(h.outgoing_signed_at), "incoming_signed_at": _moment(h.incoming_signed_at),
                    "confirmed_at": _moment(h.confirmed_at), "acknowledged_at": _moment(h.acknowledged_at)})
        if notes:
            out["return_reason"] = h.return_reason
            out["omissions"] = [{"kind": o.kind, "ref_id": o.ref_id, "title": o.title, "note": o.note}
                                for o in h.omissions]
    return out


def serialize_event(ev, labels):
    return {"at": _moment(ev.at), "actor": ev.actor_name, "action": ev.action, "label": labels.get(ev.action, ev.action),
            "from": ev.from_status, "to": ev.to_status, "note": ev.note}
