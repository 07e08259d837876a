"""REST for accountability, JWT as everywhere, scoped on the server: ``/api/v1/criticism/`` (list, get,
POST to draft, ``/<id>/transition``) and ``/api/v1/urge/`` (list, get, ``/<id>/transition``) — the
same 403/404/409/422 contract as ``/api/v1/issue/<id>/transition``."""
from flask import request
from flask_appbuilder.api import expose, protect, safe

from .. import scope
from ..querystring import QueryError
from ..workflow import WorkflowError, web
from ..workflow.api import WorkflowApi, transition_spec
from . import listing, rules


class CriticismApi(WorkflowApi):  # transition and _fail from the kit
    resource_name = "criticism"
    class_permission_name = "Criticism"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "transition": "write"}
    openapi_spec_tag = "Criticism"
    workflow = rules.CRITICISMS
    openapi_spec_methods = {"transition": transition_spec(
        '{"action": approve|publish|withdraw|reply, "version": n, …params}', "the criticism")}

    def _show(self, doc, status=200):
        return self.response(status, result=listing.criticism_json(doc))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The criticisms the caller may see (filters status, department).
        ---
        get:
          responses:
            200:
              description: the list
        """
        try:
            rows = listing.criticisms(scope.current_user(), request.args)
        except QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=len(rows), result=[listing.criticism_json(c) for c in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One criticism, with the actions the caller may take now.
        ---
        get:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
            required: true
          responses:
            200:
              description: the criticism
        """
        user = scope.current_user()
        try:
            doc = rules.CRITICISMS.load(user, pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, result=listing.criticism_json(doc),
                             actions=[a.name for a in rules.CRITICISMS.allowed(user, doc)])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Draft a criticism (office): basis, title, text and department or officer; or duty_records ids.
        ---
        post:
          responses:
            201:
              description: the draft
        """
        user = scope.current_user()
        try:
            data = web.json_body()
            if data.get("duty_records"):
                ids = data["duty_records"]
                if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                    raise WorkflowError(422, "履职记录应为编号的列表。", "duty_records")
                doc = rules.criticism_from_duty_records(user, ids)
            else:
                doc = rules.draft_criticism(user, data.get("basis"), data.get("title"), data.get("text"),
                                            department_id=_id(data.get("department"), "department"),
                                            officer_id=_id(data.get("officer"), "officer"))
            rules.CRITICISMS.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, id=doc.id, result=listing.criticism_json(doc))


def _id(value, field):
    from ..validation import valid_id

    if value in (None, ""):
        return None
    if isinstance(value, bool) or not valid_id(value):
        raise WorkflowError(422, "编号无效。", field)
    return int(value)


class UrgeApi(WorkflowApi):  # transition and _fail from the kit
    resource_name = "urge"
    class_permission_name = "Urge"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "transition": "write"}
    openapi_spec_tag = "Urge"
    workflow = rules.URGES
    openapi_spec_methods = {"transition": transition_spec(
        '{"action": send|cancel, "version": n, …params}', "the urge")}

    def _show(self, doc, status=200):
        return self.response(status, result=listing.urge_json(doc))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The 督办单 the caller may see (filter status).
        ---
        get:
          responses:
            200:
              description: the list
        """
        try:
            rows = listing.urges(scope.current_user(), request.args)
        except QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=len(rows), result=[listing.urge_json(u) for u in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One 督办单.
        ---
        get:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
            required: true
          responses:
            200:
              description: the urge
        """
        user = scope.current_user()
        try:
            doc = rules.URGES.load(user, pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, result=listing.urge_json(doc), actions=[a.name for a in rules.URGES.allowed(user, doc)])