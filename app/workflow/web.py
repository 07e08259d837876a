"""The one "show actions / post a transition" path of every workflow document, for screens and
REST alike. A document type's screen calls :func:`form_params` and :func:`run`; its REST resource
calls :func:`json_body`, :func:`transition_request` and answers errors with :func:`error_body`."""
from flask import abort, flash, request

from ..extensions import db
from .errors import WorkflowError

FORM_CONTROL = ("csrf_token", "action", "version")


def form_params(form, lists=()):
    """An action's parameters from a posted form: empty fields dropped, ``lists`` as id lists."""
    params = {k: v for k, v in form.items() if k not in FORM_CONTROL and v != ""}
    for name in lists:
        if name in form:
            params[name] = [v for v in form.getlist(name) if v]
    return params


def run(workflow, change, success):
    """Apply ``change()`` and commit; flash the outcome in Chinese. 404 stays a 404 page.
    Returns what ``change`` returned (None when it was refused)."""
    try:
        result = change()
        workflow.commit()
    except WorkflowError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "danger")
        return None
    flash(success, "success")
    return result


def post_action(workflow, user, pk, lists=()):
    """The screen's POST of one action button: {action, version, …params} from the form."""
    form = request.form
    name = form.get("action", "")
    action = workflow.actions.get(name)
    return run(workflow, lambda: workflow.apply(user, pk, name, form_params(form, lists), form.get("version")),
               f"已{action.label}。" if action else "")


def json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise WorkflowError(400, "请求体应为JSON对象。")
    return data


def transition_request(workflow, user, pk, apply=None):
    """POST /<id>/transition with {"action", "version", …params}: apply it (the caller commits) with
    ``workflow.apply`` or the rules module's own ``apply(user, pk, name, params, version)``."""
    data = json_body()
    name = data.pop("action", None)
    if not name:
        raise WorkflowError(422, "请指定操作（action）。", "action")
    version = data.pop("version", None)
    return (apply or workflow.apply)(user, pk, name, data, version)


def error_body(exc):
    """(status, body) of a refused action for a JSON answer."""
    return exc.status, exc.as_dict()


def buttons(workflow, user, doc):
    """The actions the user may take now, with what a template needs to draw them."""
    return [{"name": a.name, "label": a.label, "params": a.params, "style": a.style,
             "confirm": a.style == "danger"} for a in workflow.allowed(user, doc)]
