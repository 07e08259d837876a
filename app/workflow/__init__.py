"""The workflow kit: what every numbered document with states shares — the problem ledger today;
the assignment notice, the meeting, the 代办 case tomorrow (docs/architecture.md#the-workflow-kit).

* :mod:`.actions` — the declarative action table (who, from which states, to which, parameters,
  extra check, handler);
* :mod:`.engine` — :class:`Workflow`: load in scope, allowed actions, apply one action;
* :mod:`.events` — the append-only history and the field setter that feeds it;
* :mod:`.locking` — optimistic locking: a stale version or a lost race is one 409;
* :mod:`.numbering` — gapless yearly numbers per kind, with the office's number format;
* :mod:`.web` — the one "show actions / post a transition" path for screens and REST.
"""
from .actions import Action, Step, action, table
from .engine import Workflow
from .errors import WorkflowError
from .events import actor_name, set_field

__all__ = ["Action", "Step", "Workflow", "WorkflowError", "action", "actor_name", "set_field", "table"]
