"""The REST half of the kit: what every workflow document's resource under ``/api/v1/<name>/`` shares.

* :class:`KitApi` — the kit's error answers alone (:meth:`KitApi._fail`: 403/404/409/422 from a
  :class:`WorkflowError`, 400 from a bad query argument), for a resource without transitions;
* :class:`WorkflowApi` — ``POST /<id>/transition`` with ``{"action", "version", …params}`` and those
  error answers;
* :class:`WorkflowHistoryApi` — the same plus ``GET /<id>/history`` (the events, oldest first).

A resource sets ``workflow`` (also ``transition_of`` when its rules apply an action through a function
of their own, e.g. one refusing unknown parameters first; for the history ``history_of(user, pk)`` and
``event_json(event)``: plain functions of its rules/listing modules, set as class attributes and called
through the class, so they are not bound) and defines ``_show(doc)``, the answer with the updated
document. Flask-AppBuilder collects ``@expose``d methods with ``dir()``, so the inherited ones are
registered on each subclass's own blueprint, under its ``resource_name`` and with its
``method_permission_name`` (which names ``transition`` and ``history`` as before). The action list of
each resource goes into the OpenAPI spec through ``openapi_spec_methods = {"transition":
transition_spec(...)}`` (merged by FAB over the generic docstring below).
"""
from flask_appbuilder.api import BaseApi, expose, protect, safe

from .. import scope
from ..extensions import db
from ..querystring import QueryError
from . import web
from .errors import WorkflowError


def transition_spec(description, shows="the updated document", conflict="wrong status or stale version",
                    invalid="missing or invalid parameters"):
    """The OpenAPI operation of ``POST /<id>/transition`` for ``openapi_spec_methods["transition"]``:
    ``description`` names the actions and their parameters (line breaks and indents fold to one space, as
    YAML's ``>-``), ``shows`` the 200 answer, ``conflict`` the 409s, ``invalid`` the 422s."""
    return {"post": {"description": " ".join(description.split()), "responses": {
        200: {"description": shows},
        403: {"description": "role not allowed"},
        404: {"description": "out of scope"},
        409: {"description": conflict},
        422: {"description": invalid}}}}


class KitApi(BaseApi):
    """A resource answering the kit's errors (for one without transitions, next to workflow ones)."""

    def _fail(self, exc):
        """A refused request as its JSON answer, the session rolled back; anything else is raised again."""
        db.session.rollback()
        if isinstance(exc, WorkflowError):
            status, body = web.error_body(exc)
            return self.response(status, **body)
        if isinstance(exc, QueryError):
            return self.response(400, **exc.as_api())
        raise exc


class WorkflowApi(KitApi):
    workflow = None  # the document type's Workflow (rules.WORKFLOW)
    transition_of = None  # fn(user, pk, action, params, version) when the rules wrap workflow.apply

    def _show(self, doc, status=200):
        raise NotImplementedError

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Apply an action of the document's state machine.
        ---
        post:
          description: '{"action": …, "version": n, …params}'
          responses:
            200:
              description: the updated document
            403:
              description: role not allowed
            404:
              description: out of scope
            409:
              description: wrong status or stale version
            422:
              description: missing or invalid parameters
        """
        cls = type(self)
        workflow = cls.workflow
        try:
            doc = web.transition_request(workflow, scope.current_user(), pk, cls.transition_of)
            workflow.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(doc)


class WorkflowHistoryApi(WorkflowApi):
    history_of = None  # fn(user, pk) -> the document's events in scope, oldest first (rules.history)
    event_json = None  # fn(event) -> dict (listing.serialize_event)

    @expose("/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    def history(self, pk):
        """The document's events, oldest first.
        ---
        get:
          responses:
            200:
              description: events
            404:
              description: out of scope
        """
        cls = type(self)
        try:
            events = cls.history_of(scope.current_user(), pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, result=[cls.event_json(e) for e in events])
