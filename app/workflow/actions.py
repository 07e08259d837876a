"""The declarative action table of a workflow document.

An :class:`Action` says who may take it (role *kinds* relative to the document, e.g. office, lead,
officer), from which states, to which state, which parameters it needs, an optional extra check
and the handler that does the work. A :class:`Step` is what a handler and a check receive."""
from dataclasses import dataclass, field
from typing import Callable

from .events import set_field


@dataclass
class Step:
    """One action being applied: the actor, the document, the parameters, what changed so far."""

    user: object
    doc: object
    params: dict
    kinds: set
    changes: dict = field(default_factory=dict)

    def set(self, name, value):
        set_field(self.doc, self.changes, name, value)


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # the button and the history say this
    roles: frozenset  # role kinds that may take it
    sources: tuple  # states it may start from
    target: str | None = None  # state it leads to (None: unchanged)
    params: tuple = ()  # required parameters
    handler: Callable | None = None  # handler(step) -> note for the history (or None)
    check: Callable | None = None  # check(step) -> refusal message, or None when allowed
    internal: bool = False  # hidden from the enterprise in the history
    style: str = "primary"  # primary | default | danger (destructive: asks for confirmation)


def table(*actions):
    """{name: action}, in the order given (buttons follow it)."""
    out = {}
    for a in actions:
        if a.name in out:
            raise ValueError(f"action {a.name} declared twice")
        out[a.name] = a
    return out


def action(name, label, roles, sources, target=None, params=(), **kw):
    return Action(name, label, frozenset(roles), tuple(sources), target, tuple(params), **kw)
