"""The owner kinds built in today: files on a problem (``issue``).

On a problem: everyone the problem concerns — the enterprise, its serving officer, the lead and
co-departments, the office — may attach evidence and results to a problem they can see; leaders
only read. Attachments flagged internal are hidden from the enterprise, as the ledger hides the
office's internal events from it. The uploader may remove their own file while the problem is
open; the office may remove any. Later document types register theirs the same way.
"""
from flask import url_for

from .. import ledger, scope
from ..extensions import db
from ..models import Issue
from ..vocab import OPEN_STATUSES
from .rules import register_owner


def _issue_visible(user, issue_id):
    return scope.visible(Issue, issue_id, user)


def _issue_kinds(user, issue_id):
    issue = db.session.get(Issue, issue_id)
    return ledger.role_kinds(user, issue) if issue is not None else set()


def _issue_may_attach(user, issue_id):
    return bool(_issue_kinds(user, issue_id))  # office, lead, co, officer, enterprise; not leaders


def _issue_may_mark_internal(user, issue_id):
    return ledger.sees_internal(user) and bool(_issue_kinds(user, issue_id))


def _issue_may_remove(user, issue_id, att):
    kinds = _issue_kinds(user, issue_id)
    if "office" in kinds:
        return True
    if user is None or att.created_by_id != user.id or not kinds:
        return False
    issue = db.session.get(Issue, issue_id)
    return issue is not None and issue.status in OPEN_STATUSES


register_owner(
    "issue", label="问题", visible=_issue_visible, may_attach=_issue_may_attach, may_remove=_issue_may_remove,
    sees_internal=ledger.sees_internal, may_mark_internal=_issue_may_mark_internal,
    url=lambda issue_id: url_for("LedgerView.show", pk=issue_id))
