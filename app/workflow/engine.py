"""The engine every workflow document runs on: load in scope, the actions a user may take now,
and one path that applies an action (docs/architecture.md#the-workflow-kit).

``Workflow.apply`` checks, in this order, and answers with one :class:`WorkflowError`:
the action's name (422), the parameters' types (422), the document in the user's scope (404),
the version (409 when stale), the user's role kind for this document (403), the state (409),
the action's extra check (409), the required parameters (422); then it runs the handler, moves
the state, calls the document type's ``after`` hook, appends an event and flushes (a lost race
is a 409). The caller commits (``workflow.commit()``) so several actions can share a transaction.
"""
from .. import scope
from ..extensions import db
from ..validation import LONG_TEXT_MAX, text_problem, valid_id
from . import events, locking
from .actions import Step
from .errors import WorkflowError


class Workflow:
    def __init__(self, *, kind, model, label, actions, role_kinds, event_model, event_owner,
                 param_labels=None, raw_params=(), after=None, visible=None, not_found=None, stale=None,
                 notify=None):
        self.kind = kind  # "issue"
        self.model = model
        self.label = label  # 问题 — "您不能对该问题执行…"
        self.actions = actions  # {name: Action}
        self.role_kinds = role_kinds  # role_kinds(user, doc) -> set of kinds
        self.event_model, self.event_owner = event_model, event_owner
        self.param_labels = param_labels or {}
        self.raw_params = frozenset(raw_params)  # passed through as given (lists of ids)
        self.after = after  # after(step, action): derived fields after every action
        self.visible = visible or (lambda user, doc_id: scope.visible(model, doc_id, user))
        self.not_found = not_found or f"{label}不存在或不在您的查看范围内。"
        self.stale = stale or f"该{label}已被他人更新，请刷新后再操作。"
        # notify(step, action) -> [(user_ids, title, url) or (user_ids, title, url, {"body": …}), …]:
        # who has work on their desk after this action (app.notifications; the actor is left out)
        self.notify = notify

    # --- parameters ---------------------------------------------------------------------------

    def param_label(self, name):
        return self.param_labels.get(name, name)

    def text(self, value, field):
        """Text parameters must be text (numbers are taken as text); lists and objects are refused."""
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise WorkflowError(422, f"{self.param_label(field)}格式不正确，应为文本。", field)
        problem = text_problem(str(value), LONG_TEXT_MAX, multiline=True)  # docs/architecture.md#security
        if problem:
            raise WorkflowError(422, f"{self.param_label(field)}：{problem}", field)
        return str(value)

    def clean_params(self, params):
        return {k: (v if k in self.raw_params else self.text(v, k)) for k, v in dict(params or {}).items()}

    # --- loading ------------------------------------------------------------------------------

    def load(self, user, doc_id, version=None):
        """The document if the user may see it (404 otherwise); 409 when ``version`` is stale."""
        doc = db.session.get(self.model, int(doc_id)) if valid_id(doc_id) else None
        if doc is None or not self.visible(user, doc.id):
            raise WorkflowError(404, self.not_found)
        locking.check_version(doc, version, self.stale)
        return doc

    # --- who may do what ----------------------------------------------------------------------

    def refusal(self, action, step):
        """Why ``action`` may not be taken by this step's user now (None when it may)."""
        if not action.roles & step.kinds:
            return 403, f"您不能对该{self.label}执行“{action.label}”。"
        if step.doc.status not in action.sources:
            return 409, f"{self.label}当前状态为“{step.doc.status_label}”，不能执行“{action.label}”。"
        message = action.check(step) if action.check else None
        return (409, message) if message else None

    def allowed(self, user, doc):
        """Actions this user may take on this document now (one button each)."""
        step = Step(user, doc, {}, self.role_kinds(user, doc))
        return [a for a in self.actions.values() if self.refusal(a, step) is None]

    # --- applying -----------------------------------------------------------------------------

    def apply(self, user, doc_id, action_name, params=None, version=None):
        if not isinstance(action_name, str):
            raise WorkflowError(422, "操作（action）应为文本。", "action")
        params = self.clean_params(params)
        action = self.actions.get(action_name)
        if action is None:
            raise WorkflowError(422, f"未知的操作：{action_name}。可用操作：{'、'.join(self.actions)}。", "action")
        doc = self.load(user, doc_id, version)
        step = Step(user, doc, params, self.role_kinds(user, doc))
        refused = self.refusal(action, step)
        if refused:
            raise WorkflowError(*refused)
        for name in action.params:
            if params.get(name) in (None, "", []):
                raise WorkflowError(422, f"请填写{self.param_label(name)}。", name)
        before = doc.status
        note = action.handler(step) if action.handler else params.get("note")
        if action.target:
            step.set("status", action.target)
        if self.after:
            self.after(step, action)
        event = self.record(doc, user, action.name, before, note=note, changes=step.changes, internal=action.internal)
        self.flush()
        if self.notify:
            self.tell(step, action, event)
        return doc

    def tell(self, step, action, event):
        """The document type's hand-over messages, one dedupe key per event (a retry writes nothing new)."""
        from .. import notifications

        actor = getattr(step.user, "id", None)
        for n, item in enumerate(self.notify(step, action) or ()):
            user_ids, title, url, extra = (*item, {})[:4]
            user_ids = [u for u in user_ids if u is not None and u != actor]
            key = f"{self.kind}:{step.doc.id}:{action.name}:{getattr(event, 'id', '')}:{n}"
            notifications.notify(user_ids, title, url, kind=extra.get("kind", self.kind), key=extra.get("key", key),
                                 body=extra.get("body", ""))

    def record(self, doc, user, action, from_status, note=None, changes=None, internal=False):
        return events.record(self.event_model, self.event_owner, doc, user, action, from_status,
                             note=note, changes=changes, internal=internal)

    def flush(self):
        locking.flush(self.stale)

    def commit(self):
        locking.commit(self.stale)
