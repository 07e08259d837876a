"""The 交办登记簿: the scoped, filtered list of notices (screens and REST share it) and its .xlsx export
through the one safe workbook writer (app.exports.workbook). Voided numbers stay in it, marked 作废.

Filters (query arguments): ``status`` (comma-separated), ``department`` (lead or co), ``issue``,
``year`` (of the number; drafts by their drafting year), ``q`` (title or number), ``page``, ``page_size``.
"""
from sqlalchemy import func, or_, select

from .. import clock, scope
from ..exports.workbook import (
    Styles, content_disposition, notes, open_workbook, setup_sheet, title_rows, write_cell,
)
from ..extensions import db
from ..querystring import QueryError, choice_list, id_arg, int_arg, text_arg
from ..vocab import NOTICE_STATUSES, max_page_size, page_size
from .models import Notice, NoticeRecipient
from .rules import BASES, FEEDBACK_CYCLES

__all__ = ["QueryError", "build_query", "content_disposition", "page", "serialize", "register_workbook"]


def build_query(user, args):
    """SELECT Notice in the user's scope with the list's filters (QueryError on a bad argument)."""
    query = scope.restrict(Notice, select(Notice), user)
    statuses = choice_list(args, "status", "状态", NOTICE_STATUSES)
    if statuses:
        query = query.where(Notice.status.in_(statuses))
    dept = id_arg(args, "department", "单位")
    if dept:
        query = query.where(Notice.id.in_(select(NoticeRecipient.notice_id).where(
            NoticeRecipient.department_id == dept)))
    issue = id_arg(args, "issue", "问题")
    if issue:
        query = query.where(Notice.issue_id == issue)
    year = int_arg(args, "year", "年度", None, 2000, 2100)
    if year:
        query = query.where(or_(Notice.year == year, Notice.year.is_(None)
                                & (func.extract("year", Notice.drafted_at) == year)))
    q = text_arg(args, "q")
    if q:
        like = f"%{q[:50]}%"
        query = query.where(or_(Notice.title.like(like), Notice.number.like(like)))
    return query


def _order(query):
    return query.order_by(Notice.year.is_(None), Notice.year.desc(), Notice.seq.desc(), Notice.id.desc())


def page(user, args):
    """(count, rows) of one page of the register."""
    query = build_query(user, args)
    size = int_arg(args, "page_size", "每页条数", page_size(), 1, max_page_size())
    number = int_arg(args, "page", "页码", 0, 0, 100000)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(_order(query).limit(size).offset(number * size)).all()
    return count, rows


def _local(stamp):
    return clock.local(stamp).date().isoformat() if stamp else None


def serialize(notice, today=None):
    """A notice's JSON (REST) and the screens' row: ``id``, ``status``, ``version``, ``number`` and the rest."""
    today = today or clock.today()
    lead = notice.lead
    return {
        "id": notice.id, "status": notice.status, "status_label": notice.status_label, "version": notice.version,
        "number": notice.number, "year": notice.year, "seq": notice.seq, "basis": notice.basis,
        "basis_label": BASES.get(notice.basis, notice.basis), "issue": notice.issue_id,
        "issue_number": notice.issue.number if notice.issue else None, "decision": notice.decision_id,
        "title": notice.title, "body": notice.body, "urgency": notice.urgency, "cc": notice.cc,
        "department": lead.id if lead else None, "department_name": lead.name if lead else None,
        "co_departments": [d.id for d in notice.co_units], "co_department_names": [d.name for d in notice.co_units],
        "due_on": notice.due_on.isoformat() if notice.due_on else None,
        "feedback_cycle": notice.feedback_cycle, "feedback_cycle_label": FEEDBACK_CYCLES.get(notice.feedback_cycle),
        "next_feedback_on": notice.next_feedback_on.isoformat() if notice.next_feedback_on else None,
        "acknowledge_due": notice.acknowledge_due.isoformat() if notice.acknowledge_due else None,
        "drafted_at": _local(notice.drafted_at), "approved_on": _local(notice.approved_at),
        "registered_on": _local(notice.registered_at), "sent_on": _local(notice.sent_at),
        "delivery": notice.delivery, "delivery_note": notice.delivery_note,
        "acknowledged_on": _local(notice.acknowledged_at), "replied_on": _local(notice.replied_at),
        "reply_text": notice.reply_text, "verified_on": _local(notice.verified_at),
        "rework_count": notice.rework_count, "return_reason": notice.return_reason,
        "extension_due": notice.extension_due.isoformat() if notice.extension_due else None,
        "extension_reason": notice.extension_reason, "objection_reason": notice.objection_reason,
        "objected_on": _local(notice.objected_at), "explanation": notice.explanation,
        "explained_on": _local(notice.explained_at), "voided_reason": notice.voided_reason,
        "document_sha256": notice.document_sha256, "has_document": notice.document_attachment_id is not None,
        "overdue_days": notice.overdue_days(today), "explained_in_time": notice.explained_in_time,
    }


def serialize_event(ev):
    return {"id": ev.id, "at": ev.at.isoformat(timespec="seconds"), "actor": ev.actor_name, "action": ev.action,
            "from_status": ev.from_status, "to_status": ev.to_status, "note": ev.note, "changes": ev.changes or {}}


# --- 交办登记簿 .xlsx ---------------------------------------------------------------------------------

COLUMNS = (("编号", 24), ("登记日期", 12), ("事项", 40), ("来源", 12), ("主送", 18), ("配合", 22), ("时限", 12),
           ("签收", 12), ("反馈", 12), ("状态", 10), ("超期天数", 9))


def register_row(notice, today):
    status = "作废" if notice.status == "void" else notice.status_label
    return [notice.number or "（未编号）", _local(notice.registered_at), notice.title,
            BASES.get(notice.basis, notice.basis), notice.lead.name if notice.lead else None,
            "、".join(d.name for d in notice.co_units) or None, notice.due_on,
            _local(notice.acknowledged_at), _local(notice.replied_at), status, notice.overdue_days(today) or None]


def register_workbook(user, args, out, today=None):
    """Write the register (the caller's scope, the list's filters); returns the number of rows."""
    today = today or clock.today()
    query = _order(build_query(user, args))
    wb = open_workbook(out, streaming=False, title="交办登记簿")
    styles = Styles(wb)
    ws = wb.add_worksheet("交办登记簿")
    setup_sheet(ws, repeat_rows=2, freeze=(3, 0))
    title_rows(ws, styles, len(COLUMNS), "交办通知单登记簿", "首席服务官办公室", f"截至{today.isoformat()}")
    for col, (name, width) in enumerate(COLUMNS):
        ws.set_column(col, col, width)
        ws.write_string(2, col, name, styles.header)
    row = 3
    for notice in db.session.scalars(query):
        fill = "red" if notice.overdue_days(today) else None
        text, quoted, day, number = styles.cells[fill]
        for col, value in enumerate(register_row(notice, today)):
            fmt = number if col == 10 else day if col == 6 else text
            write_cell(ws, row, col, value, fmt, quoted, date_format=day)
        row += 1
    notes(ws, styles, row, len(COLUMNS), [
        "注：1. 编号按年度连续编号，作废的编号保留并标注“作废”；2. 超期天数为送达后逾期未回复的自然日数；"
        "3. 时限为办理时限（已批准的延期按延期后时限）。"])
    wb.close()
    return row - 3


def file_name(today=None):
    stamp = (today or clock.today()).strftime("%Y%m%d")
    return f"交办登记簿_{stamp}.xlsx", f"notice_register_{stamp}.xlsx"
