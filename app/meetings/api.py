"""REST for consultation meetings: /api/v1/meeting/ and /api/v1/meeting_decision/ (JWT, scoped on the
server, the same 403/404/409/422 contract as /api/v1/issue/<id>/transition)."""
import io

from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe

from .. import downloads, idempotency, scope
from ..extensions import db
from ..files import rules as files
from ..files.views import download
from ..workflow import WorkflowError, web
from ..workflow.api import WorkflowHistoryApi, transition_spec
from . import decisions, documents, listing, rules

MEETING_ACTIONS = "|".join(rules.ACTIONS)


def _xlsx(write, rows, name):
    out = io.BytesIO()
    write(rows, out)
    return downloads.xlsx(out.getvalue(), name)


docx_response = downloads.docx  # (the screens import it from here)


class _Api(WorkflowHistoryApi):  # transition, history and _fail from the kit
    def _max(self):
        return current_app.config["FAB_API_MAX_PAGE_SIZE"]


class MeetingApi(_Api):
    resource_name = "meeting"
    class_permission_name = "Meeting"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "history": "read", "document": "read",
                              "notice": "read", "register_xlsx": "read", "post": "write", "transition": "write"}
    openapi_spec_tag = "Meeting"
    workflow = rules.WORKFLOW
    history_of = rules.history
    event_json = listing.serialize_event
    openapi_spec_methods = {"transition": transition_spec(
        """{"action": …, "version": n, …params}. Main line: notify; hold (held_at); submit_minutes; sign (the
        convener); return (reason; the convener); publish; cancel (reason; from draft/notified); correct
        (drafts a 更正纪要 linked to a published meeting). While draft/notified/held: edit (title, place,
        planned_at, overview, distribution); designate (convener; the director); add_topic (issue, background,
        coordination, proposal, waiver_reason — a director-level topic needs a published consultation decision
        on the problem or a waiver by the director); remove_topic (topic); add_participant (one of department,
        officer, enterprise — enterprises only 列席 —; attendance present|attending|leave|absent; person);
        set_attendance (participant, attendance); remove_participant (participant); add_decision (text,
        department, co_departments [ids], due_on (default 20 days after the meeting), feedback_cycle
        once|weekly|monthly, topic or issue); remove_decision (decision).""",
        "the updated meeting",
        conflict="wrong status (e.g. published minutes are locked), unmet precondition or stale version")}

    def _show(self, meeting, status=200):
        user = scope.current_user()
        return self.response(status, id=meeting.id, result=listing.serialize_meeting(meeting, user),
                             actions=[a.name for a in rules.allowed_actions(user, meeting)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The caller's meetings.
        ---
        get:
          description: 'Filters: status, level (comma-separated), year, planned_from, planned_to (YYYY-MM-DD), q; page, page_size.'
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        user = scope.current_user()
        try:
            count, rows, _, _ = listing.page(listing.meeting_query(user, request.args), request.args, self._max())
        except listing.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[listing.serialize_meeting(m, user, full=False) for m in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One meeting with its participants, topics, decisions and the actions the caller may take now.
        ---
        get:
          responses:
            200:
              description: the meeting
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
        """Prepare a meeting (office).
        ---
        post:
          description: '{"level": consultation|director|leading_group, "title": …, "planned_at": "YYYY-MM-DD HH:MM", "place": …, "convener": user id (the director only)}'
          responses:
            201:
              description: created, in draft
            403:
              description: not the office
            422:
              description: missing or invalid fields
        """
        try:
            data = web.json_body()
            meeting = idempotency.once("Meeting", lambda: rules.create_meeting(  # Idempotency-Key: one meeting
                scope.current_user(), data.get("level"), data.get("title"), data.get("planned_at"),
                place=data.get("place"), convener=data.get("convener")))
            rules.WORKFLOW.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(meeting, 201)

    @expose("/<int:pk>/document", methods=["GET"])
    @protect()
    @safe
    def document(self, pk):
        """The published 纪要 (.docx, the stored copy; its SHA-256 is the meeting's document_sha256).
        ---
        get:
          responses:
            200:
              description: the .docx
            404:
              description: out of scope
            409:
              description: not published yet
        """
        try:
            att = documents.minutes_file(scope.current_user(), pk)
            db.session.commit()
        except (WorkflowError, files.FileError) as exc:
            return self._fail(exc)
        return download(att)

    @expose("/<int:pk>/notice", methods=["GET"])
    @protect()
    @safe
    def notice(self, pk):
        """The meeting notice (.docx, letter format), made from the meeting as it is now.
        ---
        get:
          responses:
            200:
              description: the .docx
        """
        try:
            data, name = documents.notice_file(scope.current_user(), pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return docx_response(data, name)

    @expose("/register", methods=["GET"])
    @protect()
    @safe
    def register_xlsx(self):
        """The meetings register (.xlsx) with the list's filters.
        ---
        get:
          responses:
            200:
              description: the .xlsx
        """
        try:
            rows = db.session.scalars(listing.meeting_query(scope.current_user(), request.args)).all()
        except listing.QueryError as exc:
            return self._fail(exc)
        return _xlsx(documents.register_sheet, rows, "会商会议登记簿.xlsx")


class DecisionApi(_Api):
    resource_name = "meeting_decision"
    class_permission_name = "MeetingDecision"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "history": "read", "sheet": "read",
                              "transition": "write"}
    openapi_spec_tag = "MeetingDecision"
    workflow = decisions.WORKFLOW
    history_of = decisions.history
    event_json = listing.serialize_event
    openapi_spec_methods = {"transition": transition_spec(
        """{"action": report (text; the lead unit) | verify | cancel (reason) | to_notice (the office),
        "version": n}""",
        "the updated decision",
        conflict="wrong status, minutes not published, notices not available, or stale version")}

    def _show(self, decision):
        user = scope.current_user()
        return self.response(200, id=decision.id, result=listing.serialize_decision(decision, user),
                             actions=[a.name for a in decisions.allowed_actions(user, decision)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The caller's decisions (a unit: those addressed to it; an enterprise: those on its problems).
        ---
        get:
          description: 'Filters: status, department, meeting, issue, overdue=1; page, page_size.'
          responses:
            200:
              description: count and result
        """
        user = scope.current_user()
        try:
            count, rows, _, _ = listing.page(listing.decision_query(user, request.args), request.args, self._max())
        except listing.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[listing.serialize_decision(d, user) for d in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One decision with the actions the caller may take now.
        ---
        get:
          responses:
            200:
              description: the decision
        """
        try:
            return self._show(decisions.load_for(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/sheet", methods=["GET"])
    @protect()
    @safe
    def sheet(self):
        """The decision tracking sheet (议定事项督办台账, .xlsx) with the list's filters.
        ---
        get:
          responses:
            200:
              description: the .xlsx
        """
        try:
            rows = db.session.scalars(listing.decision_query(scope.current_user(), request.args)).all()
        except listing.QueryError as exc:
            return self._fail(exc)
        return _xlsx(documents.tracking_sheet, rows, "会商议定事项督办台账.xlsx")


def register(appbuilder):
    appbuilder.add_api(MeetingApi)
    appbuilder.add_api(DecisionApi)
