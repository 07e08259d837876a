"""The problem ledger (企业问题台账): its state machine on the workflow kit (:mod:`.rules`) and
filing, editing and recomputing problems (:mod:`.filing`). Every entry point — screens, REST,
CLI, demo, tasks — calls these (docs/domain.md#the-problem-ledger)."""
from .filing import EDITABLE, calendar_changed, editable_fields, filing_sources, change_policy, create_issue, edit_issue, recompute_open
from .rules import (
    ACTIONS, PARAM_LABELS, STALE, WORKFLOW, LedgerError, allowed_actions, commit, history, load_for, role_kinds,
    sees_internal, transition,
)

__all__ = [
    "ACTIONS", "EDITABLE", "calendar_changed", "change_policy", "PARAM_LABELS", "STALE", "WORKFLOW", "LedgerError", "allowed_actions", "commit",
    "create_issue", "edit_issue", "editable_fields", "filing_sources", "history", "load_for", "recompute_open", "role_kinds", "sees_internal", "transition",
]
