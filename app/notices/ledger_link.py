"""How a notice feeds the problem ledger (issue 12 item 4), always through the ledger's own action
table (app.ledger.ACTIONS handlers, its ``after`` hook and its event writer), never by raw writes:

* sending sets the problem's lead unit and co-units — the ledger's ``assign`` (after ``accept`` when the
  problem was still new), so the ledger's clock restarts with the notice's;
* the lead unit's 签收 of the notice is the ledger's ``acknowledge``;
* verifying the reply may resolve the problem (the office, on the unit's reply);
* a problem is not closed (销号) while a notice on it is open, unless the office gives a reason
  (``close_check`` / ``close_note``, used by the ledger's ``close`` action);
* the ledger export's 交办单编号 is the latest sent notice's number (``latest_sent_numbers``).
"""
from sqlalchemy import select

from ..extensions import db
from ..vocab import NOTICE_OPEN, OPEN_STATUSES, WITH_DEPARTMENT
from ..workflow import Step, WorkflowError
from .models import Notice


def _ledger():
    from .. import ledger  # the ledger imports these hooks: load it at call time

    return ledger


def _ledger_step(user, issue, name, params):
    """Run the ledger's own handler for ``name`` on ``issue`` on behalf of the notice (one ledger event)."""
    ledger = _ledger()
    act = ledger.ACTIONS[name]
    before = issue.status
    step = Step(user, issue, ledger.WORKFLOW.clean_params(params), ledger.role_kinds(user, issue))
    note = act.handler(step) if act.handler else params.get("note")
    if act.target:
        step.set("status", act.target)
    ledger.WORKFLOW.after(step, act)
    ledger.WORKFLOW.record(issue, user, name, before, note=note, changes=step.changes, internal=act.internal)


def on_send(user, notice):
    issue = notice.issue
    if issue is None:
        return
    if issue.status not in OPEN_STATUSES:
        raise WorkflowError(409, f"问题当前状态为“{issue.status_label}”，不能再送达交办通知单。")
    lead, note = notice.lead, f"交办通知单{notice.number}送达"
    if issue.status == "new":
        _ledger_step(user, issue, "accept", {"note": note})
    co = [str(d.id) for d in notice.co_units]
    _ledger_step(user, issue, "assign", {"department": str(lead.id), "co_departments": co,
                                         "note": f"{note}：牵头单位{lead.name}"
                                         + (f"，配合单位{'、'.join(d.name for d in notice.co_units)}" if co else "")})


def on_acknowledge(user, notice):
    issue = notice.issue
    if issue is not None and issue.status == "assigned" and notice.lead and issue.lead_department_id == notice.lead.id:
        _ledger().transition(user, issue.id, "acknowledge", {"note": f"签收交办通知单{notice.number}"})


def on_verify(user, notice):
    issue = notice.issue
    if issue is None or issue.status not in WITH_DEPARTMENT:
        return
    if issue.status == "assigned":
        _ledger_step(user, issue, "acknowledge", {"note": f"交办通知单{notice.number}已回复"})
    _ledger_step(user, issue, "resolve", {"result": notice.reply_text or "见交办通知单回复",
                                          "note": f"交办通知单{notice.number}回复经办公室审结"})


def open_notices(issue_id):
    """Labels of the notices on this problem that are not verified or void (number, or 草稿 n)."""
    rows = db.session.execute(select(Notice.id, Notice.number).where(
        Notice.issue_id == issue_id, Notice.status.in_(NOTICE_OPEN)).order_by(Notice.id)).all()
    return [number or f"未编号草稿{pk}" for pk, number in rows]


def close_check(step):
    """The ledger's ``close``: refused while a notice on the problem is open, unless ``override_reason``."""
    numbers = open_notices(step.doc.id)
    if not numbers or str(step.params.get("override_reason") or "").strip():
        return None
    return (f"该问题尚有未审结的交办通知单（{'、'.join(numbers)}），不能销号；"
            "确需销号的，请由办公室填写强制销号理由（override_reason）。")


def close_note(step):
    """The history note of ``close``: the override reason when a notice was still open."""
    note, reason = step.params.get("note"), str(step.params.get("override_reason") or "").strip()
    if reason and open_notices(step.doc.id):
        return (f"{note}；" if note else "") + f"交办通知单未审结，办公室决定销号：{reason}"
    return note


def latest_sent_numbers(issue_ids):
    """{issue id: number of its latest sent, not voided notice} — one query for a chunk of problems."""
    if not issue_ids:
        return {}
    rows = db.session.execute(select(Notice.issue_id, Notice.number).where(
        Notice.issue_id.in_(list(issue_ids)), Notice.sent_at.isnot(None), Notice.status != "void")
        .order_by(Notice.sent_at, Notice.id)).all()
    return {issue_id: number for issue_id, number in rows}
