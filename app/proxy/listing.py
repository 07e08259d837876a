"""Lists and shapes of 代办 cases for the screens, REST and the 代办台账: arguments through
app.querystring (a bad one is a QueryError → 400 / a flash), rows through app.scope."""
from sqlalchemy import or_, select

from .. import clock, paging, querystring, scope
from ..vocab import PROXY_STATUSES
from .models import ProxyCase, ProxyStep
from .rules import is_overdue

QueryError = querystring.QueryError


def case_query(user, args):
    """Scoped, filtered cases: ``status`` (comma-separated), ``enterprise``, ``officer``, ``department``
    (a step at it), ``year``, ``urgent`` (1), ``overdue`` (1: a step past its statutory limit), ``q``
    (number or title); newest first."""
    query = scope.restrict(ProxyCase, select(ProxyCase), user)
    if (statuses := querystring.choice_list(args, "status", "状态", PROXY_STATUSES)) is not None:
        query = query.where(ProxyCase.status.in_(statuses))
    if (ids := querystring.id_list(args, "enterprise", "企业")) is not None:
        query = query.where(ProxyCase.enterprise_id.in_(ids))
    if (ids := querystring.id_list(args, "officer", "服务官")) is not None:
        query = query.where(ProxyCase.officer_id.in_(ids))
    if (ids := querystring.id_list(args, "department", "办理部门")) is not None:
        query = query.where(ProxyCase.id.in_(select(ProxyStep.case_id).where(ProxyStep.department_id.in_(ids))))
    if querystring.text_arg(args, "year") is not None:
        query = query.where(ProxyCase.year == querystring.int_arg(args, "year", "年度", None, 2000, 2100))
    if querystring.flag_arg(args, "urgent"):
        query = query.where(ProxyCase.urgent.is_(True))
    if querystring.flag_arg(args, "overdue"):
        query = query.where(ProxyCase.id.in_(select(ProxyStep.case_id).where(
            ProxyStep.status == "submitted", ProxyStep.due_on < clock.today())))
    if (text := querystring.text_arg(args, "q")) is not None:
        like = f"%{text[:50]}%"
        query = query.where(or_(ProxyCase.title.like(like), ProxyCase.number.like(like)))
    return query.order_by(ProxyCase.id.desc())


def page(user, args, max_size=100):
    return paging.page(case_query(user, args), args, max_size)


def _iso(value):
    return value.isoformat() if value is not None else None


def serialize_step(s, today=None):
    return {"id": s.id, "seq": s.seq, "item": s.item_id, "item_name": s.item.name, "department": s.department_id,
            "department_name": s.department.name, "limit": s.item.limit_text, "status": s.status,
            "status_label": s.status_label, "submitted_on": _iso(s.submitted_on), "acceptance_no": s.acceptance_no,
            "due_on": _iso(s.due_on), "result_no": s.result_no, "done_on": _iso(s.done_on),
            "overdue": is_overdue(s, today), "issue": s.issue_id, "issue_number": s.issue.number if s.issue else None}


def serialize(case, today=None):
    today = today or clock.today()
    return {
        "id": case.id, "version": case.version, "number": case.number, "status": case.status,
        "status_label": case.status_label, "enterprise": case.enterprise_id, "enterprise_name": case.enterprise.name,
        "officer": case.officer_id, "officer_name": case.officer.name if case.officer else None, "title": case.title,
        "description": case.description, "contact": case.contact, "preferred_times": case.preferred_times,
        "urgent": bool(case.urgent), "urgent_reason": case.urgent_reason,
        "appointment_at": case.appointment_at.isoformat(timespec="minutes") if case.appointment_at else None,
        "mode": case.appointment_mode, "mode_label": case.mode_label, "place": case.appointment_place,
        "items": [{"id": it.id, "name": it.name} for it in case.items],
        "authorized_items": [{"id": it.id, "name": it.name} for it in case.scope_items],
        "authorized_until": _iso(case.authorized_until),
        "checklist": [{"index": i, **m} for i, m in enumerate(case.checklist or [])],
        "missing_told": case.missing_told, "steps": [serialize_step(s, today) for s in case.steps],
        "met_department": case.met_department, "met_counterparty": case.met_counterparty,
        "stop_reason": case.stop_reason, "stop_label": case.stop_label or None, "stop_note": case.stop_note,
        "created_at": case.created_at.isoformat(timespec="seconds"),
    }


def serialize_event(e, labels):
    return {"id": e.id, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor_name, "action": e.action,
            "action_label": labels.get(e.action, e.action), "from": e.from_status, "to": e.to_status, "note": e.note}
