"""REST of assessments (JWT, scoped on the server, the kit's 403/404/409/422 contract):
/api/v1/assessment_scheme/, /api/v1/assessment/, /api/v1/assessment_cycle/ (+ /<id>/transition),
/api/v1/appeal/ (+ /<id>/transition)."""
from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe
from sqlalchemy import func, select

from .. import idempotency, scope
from ..extensions import db
from ..validation import valid_id
from ..workflow import WorkflowError, web
from ..workflow.api import KitApi, WorkflowApi, transition_spec
from . import appeals, cycles, listing, schemes
from .models import Assessment

SUBJECTS = ("officer", "department")


def _page(query, args):
    try:
        page = int(args.get("page", 0))
        size = int(args.get("page_size", 25))
    except ValueError:
        raise WorkflowError(400, "page、page_size 应为整数。") from None
    size = max(1, min(size, current_app.config["FAB_API_MAX_PAGE_SIZE"]))
    page = max(0, min(page, 10000))
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return count, db.session.scalars(query.limit(size).offset(page * size)).all()


def _id_arg(args, name):
    value = args.get(name)
    if value in (None, ""):
        return None
    if not valid_id(value):
        raise WorkflowError(400, f"{name} 应为正整数。")
    return int(value)


class AssessmentSchemeApi(KitApi):  # _fail from the kit
    resource_name = "assessment_scheme"
    class_permission_name = "AssessmentScheme"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "put": "write", "transition": "write"}
    openapi_spec_tag = "AssessmentScheme"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Assessment schemes (newest version first).
        ---
        get:
          description: 'Filters: subject (officer|department), status (draft|active|retired).'
          responses:
            200:
              description: count and result
        """
        query = scope.restrict(schemes.AssessmentScheme, select(schemes.AssessmentScheme), scope.current_user())
        if request.args.get("subject") in SUBJECTS:
            query = query.where(schemes.AssessmentScheme.subject == request.args["subject"])
        if request.args.get("status"):
            query = query.where(schemes.AssessmentScheme.status == request.args["status"])
        try:
            count, rows = _page(query.order_by(schemes.AssessmentScheme.subject, schemes.AssessmentScheme.version.desc()),
                                request.args)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[listing.serialize_scheme(s) for s in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One scheme with its items.
        ---
        get:
          responses:
            200:
              description: the scheme
            404:
              description: missing or out of scope
        """
        try:
            return self.response(200, id=pk, result=listing.serialize_scheme(schemes.load(scope.current_user(), pk)))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Create a draft scheme (office).
        ---
        post:
          description: '{"name", "subject": officer|department, "period_kind": quarter|year, "source_note", "items": [{"dimension", "name", "max_points", "rule", "metric", "params"}]}'
          responses:
            201:
              description: created
            403:
              description: not the office
            422:
              description: invalid fields
        """
        try:
            data = web.json_body()
            scheme = idempotency.once("AssessmentScheme", lambda: schemes.create(
                scope.current_user(), data.get("name"), data.get("subject"), data.get("period_kind") or "quarter",
                data.get("source_note"), data.get("items") or []))
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, id=scheme.id, result=listing.serialize_scheme(scheme))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk):
        """Change a draft scheme that no cycle uses (name, source_note, items: the full list).
        ---
        put:
          responses:
            200:
              description: updated
            409:
              description: active, retired or in use
            422:
              description: invalid fields
        """
        try:
            data = web.json_body()
            scheme = schemes.update(scope.current_user(), pk, data.get("name"), data.get("source_note"), data.get("items"))
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, id=scheme.id, result=listing.serialize_scheme(scheme))

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """activate (the weights of the ordinary items must sum to 100), retire, copy (a new draft version).
        ---
        post:
          description: '{"action": activate|retire|copy}'
          responses:
            200:
              description: the scheme (for copy, the new draft)
            409:
              description: wrong status
            422:
              description: unknown action or weights not 100
        """
        try:
            data = web.json_body()
            fn = {"activate": schemes.activate, "retire": schemes.retire, "copy": schemes.copy}.get(data.get("action"))
            if fn is None:
                raise WorkflowError(422, "未知的操作：可用 activate、retire、copy。", "action")
            scheme = fn(scope.current_user(), pk)
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, id=scheme.id, result=listing.serialize_scheme(scheme))


class AssessmentApi(KitApi):  # _fail from the kit
    resource_name = "assessment"
    class_permission_name = "Assessment"
    base_permissions = ["can_read"]
    method_permission_name = {"get_list": "read", "get": "read"}
    openapi_spec_tag = "Assessment"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Results with their score lines and evidence ids (an officer or unit: its own, once published).
        ---
        get:
          description: 'Filters: period (2026Q4), subject (officer|department), cycle, subject_id; page, page_size.'
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        user = scope.current_user()
        try:
            args = {"period": request.args.get("period"), "cycle": _id_arg(request.args, "cycle"),
                    "subject_id": _id_arg(request.args, "subject_id")}
            subject = request.args.get("subject")
            if subject:
                if subject not in SUBJECTS:
                    raise WorkflowError(400, "subject 应为 officer 或 department。")
                args["subject"] = subject
            count, rows = _page(listing.assessment_query(user, args), request.args)
        except WorkflowError as exc:
            return self._fail(exc)
        url = listing.linker(user, rows)
        return self.response(200, count=count, result=[listing.serialize(a, user, url=url) for a in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One result (score sheet) with its lines and evidence.
        ---
        get:
          responses:
            200:
              description: the result
            404:
              description: missing or out of scope
        """
        user = scope.current_user()
        a = db.session.get(Assessment, pk) if valid_id(pk) else None
        if a is None or not scope.visible(Assessment, pk, user):
            return self.response(404, message="考核结果不存在或不在您的查看范围内。")
        return self.response(200, id=pk, result=listing.serialize(a, user))


class AssessmentCycleApi(KitApi):  # _fail from the kit
    resource_name = "assessment_cycle"
    class_permission_name = "AssessmentCycle"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "transition": "write"}
    openapi_spec_tag = "AssessmentCycle"

    def _show(self, cycle, status=200):
        user = scope.current_user()
        return self.response(status, id=cycle.id, result=listing.serialize_cycle(cycle),
                             actions=[a.name for a in cycles.allowed_actions(user, cycle)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Assessment cycles.
        ---
        get:
          description: 'Filters: period, subject, status.'
          responses:
            200:
              description: count and result
        """
        try:
            count, rows = _page(cycles.cycle_query(scope.current_user(), request.args), request.args)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[listing.serialize_cycle(c) for c in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One cycle with the actions the caller may take now.
        ---
        get:
          responses:
            200:
              description: the cycle
            404:
              description: missing or out of scope
        """
        try:
            return self._show(cycles.load(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Open the cycle of a period for a subject on the active scheme (the existing one if there is one).
        ---
        post:
          description: '{"period": "2026Q4", "subject": officer|department}'
          responses:
            201:
              description: the cycle
            409:
              description: no active scheme
            422:
              description: bad period or subject
        """
        try:
            data = web.json_body()
            cycle = cycles.open_cycle(scope.current_user(), data.get("period"), data.get("subject"))
            cycles.WORKFLOW.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(cycle, 201)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Apply an action of the cycle.
        ---
        post:
          description: >-
            {"action": …, "version": n, …params}. compute (open/computed/reopened); freeze; score (assessment, item,
            points — manual items 0…max, a veto 1 or 0; while frozen); comment (assessment, comment); review (every
            manual item scored); publish (opens the appeal window and the ladder cases); close (after the appeal
            window, no appeal pending); reopen (reason; the director).
          responses:
            200:
              description: the updated cycle
            403:
              description: role not allowed
            404:
              description: out of scope
            409:
              description: wrong status, unmet precondition or stale version
            422:
              description: missing or invalid parameters
        """
        try:
            data = web.json_body()
            data.pop("progress", None)
            name = data.pop("action", None)
            if not name:
                raise WorkflowError(422, "请指定操作（action）。", "action")
            version = data.pop("version", None)
            cycle = cycles.WORKFLOW.apply(scope.current_user(), pk, name, data, version)
            cycles.WORKFLOW.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(cycle)


class AppealApi(WorkflowApi):  # transition and _fail from the kit
    resource_name = "appeal"
    class_permission_name = "Appeal"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "transition": "write"}
    openapi_spec_tag = "Appeal"
    workflow = appeals.WORKFLOW
    openapi_spec_methods = {"transition": transition_spec(
        'Decide an appeal (office): {"action": uphold (points, item if the appeal names none, note) | reject (note),'
        ' "version": n}',
        "the appeal",
        conflict="already decided, cycle not in the appeal window, or stale")}

    def _show(self, appeal, status=200):
        user = scope.current_user()
        return self.response(status, id=appeal.id, result=listing.serialize_appeal(appeal),
                             actions=[a.name for a in appeals.WORKFLOW.allowed(user, appeal)])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Appeals (an officer or unit: its own).
        ---
        get:
          description: 'Filters: status (filed|upheld|rejected), assessment.'
          responses:
            200:
              description: count and result
        """
        try:
            args = {"status": request.args.get("status"), "assessment": _id_arg(request.args, "assessment")}
            count, rows = _page(appeals.appeal_query(scope.current_user(), args), request.args)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[listing.serialize_appeal(a) for a in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One appeal.
        ---
        get:
          responses:
            200:
              description: the appeal
            404:
              description: missing or out of scope
        """
        try:
            return self._show(appeals.load(scope.current_user(), pk))
        except WorkflowError as exc:
            return self._fail(exc)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """File an appeal against one's own published result, within the appeal window.
        ---
        post:
          description: '{"assessment": id, "reason": text, "item": item id (optional)}'
          responses:
            201:
              description: filed
            403:
              description: not the assessed officer or unit
            404:
              description: out of scope
            409:
              description: window closed or an appeal pending
            422:
              description: missing reason
        """
        try:
            data = web.json_body()
            aid = data.get("assessment")
            if isinstance(aid, bool) or not isinstance(aid, int):
                raise WorkflowError(422, "请指定考核结果（assessment）。", "assessment")
            appeal = idempotency.once("Appeal", lambda: appeals.file(scope.current_user(), aid, data.get("reason"),
                                                                      data.get("item")))
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self._show(appeal, 201)


def register(appbuilder):
    for api in (AssessmentSchemeApi, AssessmentApi, AssessmentCycleApi, AppealApi):
        appbuilder.add_api(api)
