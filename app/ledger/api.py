"""REST for the ledger: /api/v1/issue/ (list, get, post, put), /<id>/transition, /<id>/history."""
from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe

from .. import idempotency, ledger, scope
from ..models import Issue
from . import listing
from ..workflow import web
from ..workflow.api import WorkflowHistoryApi, transition_spec


class IssueApi(WorkflowHistoryApi):  # transition, history and _fail (a bad filter: 400) from the kit
    resource_name = "issue"
    class_permission_name = "Issue"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "history": "read",
                              "post": "write", "put": "write", "transition": "write"}
    openapi_spec_tag = "Issue"
    workflow = ledger.WORKFLOW
    history_of = ledger.history
    event_json = listing.serialize_event
    openapi_spec_methods = {"transition": transition_spec(
        '{"action": accept|assign|acknowledge|progress|return|request_extension|approve_extension|reject_extension|'
        'escalate|resolve|confirm|close|declare_unable|approve_unable|void, "version": n, …params}',
        "the updated issue")}

    def _commit(self, issue, status=200):
        try:
            ledger.commit()
        except ledger.LedgerError as exc:
            return self._fail(exc)
        return self._show(issue, status)

    def _show(self, issue, status=200):
        return self.response(status, id=issue.id, result=self._result(issue))

    def _result(self, issue):
        return listing.serialize(issue, internal=ledger.sees_internal(scope.current_user()))

    def _json(self):
        return web.json_body()

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """List the caller's issues.
        ---
        get:
          description: >-
            Filters as query arguments: status, tier (approaching|overdue|serious|overdue_only),
            enterprise, department, officer, category, region, source, level, received_from,
            received_to, q, open; order (due_on|-received_on|received_on|number|-number); page, page_size.
          responses:
            200:
              description: count and result
        """
        try:
            max_size = current_app.config["FAB_API_MAX_PAGE_SIZE"]
            count, rows = listing.page(scope.current_user(), request.args, max_size=max_size)
        except listing.FilterError as exc:
            return self._fail(exc)
        return self.response(200, count=count, ids=[r.id for r in rows],
                             result=[self._result(r) for r in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One issue.
        ---
        get:
          responses:
            200:
              description: the issue
        """
        try:
            issue = ledger.load_for(scope.current_user(), pk)
        except ledger.LedgerError as exc:
            return self._fail(exc)
        actions = [a.name for a in ledger.allowed_actions(scope.current_user(), issue)]
        return self.response(200, id=issue.id, result=self._result(issue), actions=actions)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """File a problem.
        ---
        post:
          description: '{"enterprise": id, "title": …, "description": …, "source": …, "category": 中文名, "visit": id, "received_on": YYYY-MM-DD, "level": ordinary|major}'
          responses:
            201:
              description: created
        """
        try:
            data = self._json()
            issue = idempotency.once(Issue, lambda: ledger.create_issue(  # Idempotency-Key: one problem
                scope.current_user(), data.get("enterprise"), data.get("title"), data.get("description"),
                source=data.get("source"), category=data.get("category"), visit_id=data.get("visit"),
                received_on=data.get("received_on"), level=data.get("level")))
        except ledger.LedgerError as exc:
            return self._fail(exc)
        return self._commit(issue, 201)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk):
        """Edit triage fields (office).
        ---
        put:
          responses:
            200:
              description: updated
        """
        try:
            data = self._json()
            version = data.pop("version", None)
            issue = ledger.edit_issue(scope.current_user(), pk, data, version)
        except ledger.LedgerError as exc:
            return self._fail(exc)
        return self._commit(issue)