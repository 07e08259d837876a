"""REST: ``/api/v1/recall/`` (+ ``/<id>/transition``) and ``/api/v1/handover/`` (+ ``/<id>/transition``),
JWT only, scoped like the screens, the kit's 403/404/409/422 contract."""
from functools import partial

from flask import current_app, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect

from .. import idempotency, scope
from ..downloads import docx as docx_response, xlsx as xlsx_response  # (the screens import them from here)
from ..workflow import WorkflowError, web
from ..workflow.api import WorkflowHistoryApi, transition_spec
from . import documents, handover as handovers, listing, rules


class _Api(WorkflowHistoryApi):  # transition, history and _fail from the kit
    allow_browser_login = False

    def _max(self):
        return current_app.config["FAB_API_MAX_PAGE_SIZE"]


class RecallApi(_Api):
    resource_name = "recall"
    class_permission_name = "RecallCase"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "history": "read", "approval_form": "read",
                              "post": "write", "transition": "write"}
    openapi_spec_tag = "Recall"
    workflow = rules.WORKFLOW
    history_of = rules.history
    event_json = partial(listing.serialize_event, labels=rules.EVENT_LABELS)
    openapi_spec_methods = {"transition": transition_spec(
        """{"action": …, "version": n, …params}. submit (office; needs replacement, effective_on, scope); approve
        (the director, or a leader when the office set so; needs the 组织部 consultation recorded); return
        (reason); apply (office; on or after effective_on, every handover list confirmed); cancel (reason);
        edit (reason, reason_text, replacement, effective_on, assignments [ids]); consult (consulted_on,
        opinion, file = an attachment id on this case); add_evidence (kind, text, url, ref); remove_evidence
        (evidence).""",
        "the updated case",
        conflict="wrong status, unmet precondition or stale version")}

    def _show(self, case, status=200):
        user = scope.current_user()
        return self.response(status, id=case.id, result=listing.serialize_case(case),
                             actions=[a.name for a in rules.allowed_actions(user, case)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The recall cases (the office, the director, leaders).
        ---
        get:
          description: 'Filters: status (comma-separated: draft, submitted, approved, applied, cancelled); page, page_size.'
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        try:
            count, rows, _, _ = listing.page(listing.case_query(scope.current_user(), request.args), request.args,
                                             self._max())
        except listing.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[listing.serialize_case(c, full=False) for c in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One recall case with its scope, evidence, consultation, handover lists and the actions the caller may take now.
        ---
        get:
          responses:
            200:
              description: the case
            404:
              description: missing or out of scope
        """
        try:
            return self._show(rules.load_for(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Start a recall case (the office), in draft.
        ---
        post:
          description: >-
            {"officer": id, "reason": post_change|health|underperform|dissatisfied|discipline|term_end|other,
            "replacement": officer id, "effective_on": "YYYY-MM-DD", "reason_text": …, "assignments": [assignment ids]
            (default: all current ones), "request": the id of an open request of an enterprise}. Idempotency-Key honoured.
          responses:
            201:
              description: created
            403:
              description: not the office
            409:
              description: the officer already has a case under way
            422:
              description: missing or invalid fields
        """
        try:
            data = web.json_body()
            assignments = data.get("assignments")
            if assignments is not None and not isinstance(assignments, list):
                raise WorkflowError(422, "调整的包联关系应为编号列表。", "assignments")
            for key in ("officer", "reason", "replacement", "effective_on", "reason_text", "request"):
                rules.WORKFLOW.text(data.get(key), key)
            case = idempotency.once("RecallCase", lambda: rules.create_case(
                scope.current_user(), data.get("officer"), data.get("reason"), replacement=data.get("replacement"),
                effective_on=data.get("effective_on"), reason_text=data.get("reason_text"),
                assignments=assignments, request=data.get("request")))
            rules.WORKFLOW.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(case, 201)

    @expose("/<int:pk>/approval_form", methods=["GET"])
    @protect()
    @safe
    def approval_form(self, pk):
        """The approval form (.docx, GB/T 9704 letter with the 审批表).
        ---
        get:
          responses:
            200:
              description: the .docx
            404:
              description: out of scope
        """
        try:
            return docx_response(*documents.approval_form(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)


class HandoverApi(_Api):
    resource_name = "handover"
    class_permission_name = "Handover"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "history": "read", "list_docx": "read",
                              "list_xlsx": "read", "letter": "read", "transition": "write"}
    openapi_spec_tag = "Handover"
    workflow = handovers.WORKFLOW
    transition_of = handovers.transition
    history_of = handovers.history
    event_json = partial(listing.serialize_event, labels=handovers.EVENT_LABELS)
    openapi_spec_methods = {"transition": transition_spec(
        """{"action": …, "version": n, …params}. note (item, note; the outgoing officer), add_item (kind
        promise|contact, title, note), remove_item (item), refresh; sign_out (every item noted); sign_in or
        return (reason; the incoming officer); confirm (the office; tells the enterprise, applies the recall
        when its date has come); acknowledge (the enterprise); record_omission (kind, title, ref, note; the
        office).""",
        "the updated list",
        conflict="wrong status, unmet precondition or stale version")}

    def _show(self, h):
        user = scope.current_user()
        return self.response(200, id=h.id, result=listing.serialize_handover(h, user),
                             actions=[a.name for a in handovers.allowed_actions(user, h)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The handover lists of the caller (an officer: as outgoing or incoming; an enterprise: its confirmed ones).
        ---
        get:
          description: 'Filters: status (draft, out_signed, in_signed, confirmed, acknowledged); page, page_size.'
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        user = scope.current_user()
        try:
            count, rows, _, _ = listing.page(listing.handover_query(user, request.args), request.args, self._max())
        except listing.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[listing.serialize_handover(h, user, full=False) for h in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One handover list with its items and the actions the caller may take now.
        ---
        get:
          responses:
            200:
              description: the list
            404:
              description: missing or out of scope
        """
        try:
            return self._show(handovers.load_for(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/<int:pk>/list_docx", methods=["GET"])
    @protect()
    @safe
    def list_docx(self, pk):
        """The handover list (.docx).
        ---
        get:
          responses:
            200:
              description: the .docx
            404:
              description: out of scope
        """
        try:
            return docx_response(*documents.list_docx(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/<int:pk>/list_xlsx", methods=["GET"])
    @protect()
    @safe
    def list_xlsx(self, pk):
        """The handover list (.xlsx).
        ---
        get:
          responses:
            200:
              description: the .xlsx
            404:
              description: out of scope
        """
        try:
            return xlsx_response(*documents.list_xlsx(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/<int:pk>/letter", methods=["GET"])
    @protect()
    @safe
    def letter(self, pk):
        """The letter to the enterprise (.docx), once the office confirmed the list.
        ---
        get:
          responses:
            200:
              description: the .docx
            404:
              description: out of scope
            409:
              description: not confirmed yet
        """
        try:
            return docx_response(*documents.letter_docx(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)


def register(appbuilder):
    appbuilder.add_api(RecallApi)
    appbuilder.add_api(HandoverApi)
