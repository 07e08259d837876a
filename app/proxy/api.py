"""REST for 代办 (JWT, scoped): /api/v1/proxy_case/ (list, get, post to book), /<id>/transition with the
kit's 403/404/409/422 contract, /<id>/history, /<id>/document/<kind> (.docx); /api/v1/proxy_item/ (the
catalogue: list for everyone, post/put for the office). Unknown fields (``fee``, ``amount`` …) are 422."""
from functools import partial

from flask import request
from flask_appbuilder.api import expose, protect, safe

from .. import idempotency, scope
from ..extensions import db
from ..validation import valid_id
from ..workflow import WorkflowError, web
from ..workflow.api import KitApi, WorkflowHistoryApi, transition_spec
from . import catalogue, documents, listing, rules
from .models import ProxyCase, ServiceItem
from .views import docx_response


class ProxyCaseApi(WorkflowHistoryApi):  # transition, history and _fail from the kit
    resource_name = "proxy_case"
    class_permission_name = "ProxyCase"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "history": "read", "document": "read",
                              "post": "write", "transition": "write"}
    openapi_spec_tag = "ProxyCase"
    workflow = rules.WORKFLOW
    transition_of = rules.transition
    history_of = rules.history
    event_json = partial(listing.serialize_event, labels=rules.EVENT_LABELS)
    openapi_spec_methods = {"transition": transition_spec(
        '{"action": schedule|receive|tell_missing|authorize|renew|start|add_step|submit_step|complete_step|open_issue|'
        'finish|confirm_delivery|mark_urgent|suspend|resume|terminate|cancel|reassign, "version": n, …params}',
        "the updated case",
        conflict="wrong status, stale version, outside the authorisation",
        invalid="missing, invalid or unknown parameters")}

    def _show(self, case, status=200):
        user = scope.current_user()
        body = listing.serialize(case)
        return self.response(status, **body, result=body, actions=[a.name for a in rules.allowed_actions(user, case)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The caller's 代办 cases.
        ---
        get:
          description: filters status, enterprise, officer, department, year, urgent, overdue, q; page, page_size
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        try:
            count, rows, _, _ = listing.page(scope.current_user(), request.args)
        except listing.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, ids=[r.id for r in rows], result=[listing.serialize(r) for r in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One case, with the actions the caller may take now.
        ---
        get:
          responses:
            200:
              description: the case
            404:
              description: out of scope
        """
        try:
            case = rules.load_for(scope.current_user(), pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(case)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Book a case (the enterprise) or open one (its officer, the office).
        ---
        post:
          description: '{"enterprise": id, "title": …, "items": [ids], "preferred_times", "contact", "description", "urgent", "urgent_reason", "officer" (office only)} — no fee of any kind'
          responses:
            201:
              description: the new case
            403:
              description: role not allowed
            422:
              description: missing, invalid or unknown fields
        """
        try:
            data = web.json_body()
            case = idempotency.once(ProxyCase, lambda: rules.create_case(scope.current_user(), data))
            rules.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(case, 201)

    @expose("/<int:pk>/document/<kind>", methods=["GET"])
    @protect()
    @safe
    def document(self, pk, kind):
        """代办委托书 (authorization), 一次性告知单 (notice) or 结果移交单 (handover) as .docx.
        ---
        get:
          responses:
            200:
              description: the .docx
            404:
              description: out of scope or no such document
            409:
              description: not available in this state
        """
        try:
            case = rules.load_for(scope.current_user(), pk)
            data, name = documents.document(case, kind)
        except WorkflowError as exc:
            return self._fail(exc)
        return docx_response(data, name)


class ServiceItemApi(KitApi):  # _fail from the kit
    resource_name = "proxy_item"
    class_permission_name = "ServiceItem"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "post": "write", "put": "write"}
    openapi_spec_tag = "ProxyItem"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The catalogue of service items (active ones; ``all=1`` with the retired).
        ---
        get:
          responses:
            200:
              description: items
        """
        rows = catalogue.items(active_only=request.args.get("all") not in ("1", "true"))
        return self.response(200, count=len(rows), result=[catalogue.serialize(i) for i in rows])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Add an item (the office).
        ---
        post:
          description: '{"name", "department": id, "time_limit": days, "limit_kind": working|calendar, "materials": "one per line", "item_code"}'
          responses:
            201:
              description: the item
            403:
              description: not the office
            422:
              description: invalid or unknown fields
        """
        try:
            item = catalogue.save_item(scope.current_user(), web.json_body())
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, result=catalogue.serialize(item))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk):
        """Change an item (the office); ``active: false`` retires it.
        ---
        put:
          responses:
            200:
              description: the item
            404:
              description: no such item
            422:
              description: invalid or unknown fields
        """
        try:
            if not valid_id(pk) or db.session.get(ServiceItem, pk) is None:
                raise WorkflowError(404, "代办事项不存在。")
            item = catalogue.save_item(scope.current_user(), web.json_body(), pk)
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, result=catalogue.serialize(item))


def register_api(appbuilder):
    appbuilder.add_api(ProxyCaseApi)
    appbuilder.add_api(ServiceItemApi)
