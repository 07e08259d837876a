"""REST for notices (JWT, scoped): /api/v1/notice/ (list, get, post to draft), /<id>/transition with the
ledger's 403/404/409/422 contract, /<id>/history, /<id>/document (the registered .docx)."""
from flask_appbuilder.api import expose, protect, safe

from .. import db, idempotency, scope
from ..files import views as file_views
from ..files.models import Attachment
from ..files.rules import FileError
from ..querystring import QueryError
from ..workflow import WorkflowError, web
from ..workflow.api import WorkflowHistoryApi, transition_spec
from . import register, rules


class NoticeApi(WorkflowHistoryApi):  # transition, history and _fail from the kit
    resource_name = "notice"
    class_permission_name = "Notice"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "history": "read", "document": "read",
                              "post": "write", "transition": "write"}
    openapi_spec_tag = "Notice"
    workflow = rules.WORKFLOW
    history_of = rules.history
    event_json = register.serialize_event
    openapi_spec_methods = {"transition": transition_spec(
        '{"action": submit|approve|return|register|send|acknowledge|object|dismiss_objection|feedback|explain|reply|'
        'verify|reject_reply|request_extension|approve_extension|reject_extension|void, "version": n, …params}',
        "the updated notice")}

    def _show(self, notice, status=200):
        user = scope.current_user()
        return self.response(status, **register.serialize(notice),
                             result=register.serialize(notice),
                             actions=[a.name for a in rules.allowed_actions(user, notice)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The caller's notices (交办登记簿).
        ---
        get:
          description: filters status, department, issue, year, q; page, page_size
          responses:
            200:
              description: count and result
        """
        from flask import request

        try:
            count, rows = register.page(scope.current_user(), request.args)
        except QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, ids=[r.id for r in rows], result=[register.serialize(r) for r in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One notice, with the actions the caller may take now.
        ---
        get:
          responses:
            200:
              description: the notice
        """
        try:
            notice = rules.load_for(scope.current_user(), pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(notice)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Draft a notice (the office).
        ---
        post:
          description: '{"issue" or "decision", "department", "co_departments": [ids], "due_on", "title", "body"}'
          responses:
            201:
              description: the draft
        """
        try:
            notice = idempotency.once("Notice", lambda: rules.create_draft(scope.current_user(), web.json_body()))
            rules.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(notice, 201)

    @expose("/<int:pk>/document", methods=["GET"])
    @protect()
    @safe
    def document(self, pk):
        """The registered .docx (the stored file; its SHA-256 is on the notice).
        ---
        get:
          responses:
            200:
              description: the .docx
            404:
              description: out of scope, or not registered yet
        """
        try:
            return file_views.download(stored_document(scope.current_user(), pk))
        except (WorkflowError, FileError) as exc:
            return self._fail(exc)


def stored_document(user, pk):
    """The registered document's attachment, if the user may see the notice (404 otherwise)."""
    notice = rules.load_for(user, pk)
    att = db.session.get(Attachment, notice.document_attachment_id) if notice.document_attachment_id else None
    if att is None:
        raise WorkflowError(404, "该交办通知单尚未登记，没有文书。")
    return att
