"""What a viewer sees of criticisms, urges and lapses (scoped), serialised the same way for the
screens and REST."""
from sqlalchemy import select

from .. import clock, scope
from ..extensions import db
from ..querystring import choices_of, id_arg
from ..vocab import CRITICISM_STATUSES, URGE_STATUSES
from .models import Criticism, Urge


def criticisms(user, args):
    query = scope.restrict(Criticism, select(Criticism), user)
    if args.get("status"):
        query = query.where(Criticism.status.in_(choices_of(args["status"], "status", "状态", CRITICISM_STATUSES)))
    if (dept := id_arg(args, "department", "单位")) is not None:
        query = query.where(Criticism.department_id == dept)
    return db.session.scalars(query.order_by(Criticism.id.desc()).limit(500)).all()


def urges(user, args):
    query = scope.restrict(Urge, select(Urge), user)
    if args.get("status"):
        query = query.where(Urge.status.in_(choices_of(args["status"], "status", "状态", URGE_STATUSES)))
    return db.session.scalars(query.order_by(Urge.id.desc()).limit(500)).all()


def _day(stamp):
    return clock.local(stamp).date().isoformat() if stamp else None


def criticism_json(c):
    return {"id": c.id, "status": c.status, "status_label": c.status_label, "version": c.version,
            "basis": c.basis, "basis_label": c.basis_label, "title": c.title, "text": c.text,
            "department": c.department_id, "department_name": c.department.name if c.department else None,
            "officer": c.officer_id, "officer_name": c.officer.name if c.officer else None, "refs": c.refs,
            "explanation": c.explanation, "drafted_on": _day(c.drafted_at), "approved_on": _day(c.approved_at),
            "published_on": _day(c.published_at), "rectify_due": c.rectify_due.isoformat() if c.rectify_due else None,
            "rectify_reply": c.rectify_reply, "automatic": c.key is not None}


def urge_json(u):
    return {"id": u.id, "status": u.status, "status_label": u.status_label, "version": u.version,
            "reason": u.reason, "reason_label": u.reason_label, "text": u.text, "number": u.number,
            "notice": u.notice_id, "notice_number": u.notice.number if u.notice else None, "decision": u.decision_id,
            "department": u.department_id, "department_name": u.department.name if u.department else None,
            "created_on": _day(u.created_at), "sent_on": _day(u.sent_at), "document_sha256": u.document_sha256}
