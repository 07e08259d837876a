"""REST of the surveys, JWT as everywhere, scoped on the server (the kit's 403/404/409/422 contract):

* ``/api/v1/survey_request/`` — list (filters kind, status, period, enterprise), get (the answers only
  for who may read them), ``POST /<id>/answer`` (the enterprise in its portal, or the office recording
  a phone/paper answer), ``POST /<id>/link`` (office: a new one-time link), ``POST /`` (office: a
  phone call-back of an enterprise);
* ``/api/v1/bad_review/`` — list, get, ``POST /<id>/transition``;
* ``/api/v1/inspection/`` — list, ``POST /`` (office)."""
from flask import request, url_for
from flask_appbuilder.api import expose, protect, safe

from .. import idempotency, scope
from ..extensions import db
from ..querystring import QueryError
from ..vocab import OFFICE_ROLES
from ..workflow import WorkflowError, web
from ..workflow.api import KitApi, WorkflowApi, transition_spec
from . import bad_reviews, inspections, listing, rules
from .models import Inspection, SurveyRequest

PK = """          parameters:
          - in: path
            name: pk
            schema:
              type: integer
            required: true
"""


class SurveyRequestApi(KitApi):  # _fail from the kit
    resource_name = "survey_request"
    class_permission_name = "SurveyRequest"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "answer": "write", "link": "write", "post": "write"}
    openapi_spec_tag = "SurveyRequest"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The survey requests the caller may see (filters kind, status, period, enterprise).
        ---
        get:
          responses:
            200:
              description: the list
        """
        user = scope.current_user()
        try:
            rows = listing.requests(user, request.args)
        except QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=len(rows), result=[listing.request_json(r) for r in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One request; its answers only for the office, leaders and the enterprise that answered.
        ---
        get:
{PK}          responses:
            200:
              description: the request
        """
        user = scope.current_user()
        try:
            req = rules.load(user, pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, result=listing.request_json(req, user, answers=True))

    @expose("/<int:pk>/answer", methods=["POST"])
    @protect()
    @safe
    def answer(self, pk):
        """Answer: {"q<question>_<officer|department>_<id>": 1-5, …, "q<question>": text, "channel"}.
        ---
        post:
{PK}          responses:
            201:
              description: the answered request
        """
        user = scope.current_user()
        try:
            data = web.json_body()
            req = rules.load(user, pk)
            office = bool(scope.role_names(user) & OFFICE_ROLES)
            channel = data.pop("channel", None) if office else "portal"
            if office and channel not in ("phone", "paper"):
                raise WorkflowError(422, "办公室录入的评价渠道应为 phone（电话回访）或 paper（纸质问卷）。", "channel")
            bad = next((k for k, v in data.items() if isinstance(v, bool) or not isinstance(v, (str, int))), None)
            if bad is not None:
                raise WorkflowError(422, "评价内容应为数字或文本。", bad)
            rules.submit(user, req, data, channel)
            rules.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, result=listing.request_json(req, user, answers=True))

    @expose("/<int:pk>/link", methods=["POST"])
    @protect()
    @safe
    def link(self, pk):
        """Office: a new one-time link for a pending request (shown once; the previous one stops working).
        ---
        post:
{PK}          responses:
            201:
              description: the link
        """
        user = scope.current_user()
        try:
            token = rules.issue_link(user, pk)
            rules.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, url=url_for("PublicSurveyView.page", token=token, _external=True))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Office: start a phone call-back of an enterprise ({"enterprise": id}).
        ---
        post:
          responses:
            201:
              description: the request
        """
        user = scope.current_user()
        try:
            data = web.json_body()
            req = idempotency.once(SurveyRequest, lambda: rules.create_callback(user, data.get("enterprise")))
            rules.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, id=req.id, result=listing.request_json(req, user))


class BadReviewApi(WorkflowApi):  # transition and _fail from the kit
    resource_name = "bad_review"
    class_permission_name = "BadReview"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "transition": "write"}
    openapi_spec_tag = "BadReview"
    workflow = bad_reviews.WORKFLOW
    openapi_spec_methods = {"transition": transition_spec(
        '{"action": verify|rectify|callback|callback_failed|appeal|uphold|reject_appeal, "version": n, …params}',
        "the case")}

    def _show(self, case, status=200):
        return self.response(status, result=listing.bad_review_json(case))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Bad-review cases the caller may see (filters status, target_type).
        ---
        get:
          responses:
            200:
              description: the list
        """
        try:
            rows = listing.bad_review_list(scope.current_user(), request.args)
        except QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=len(rows), result=[listing.bad_review_json(c) for c in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One case, with the actions the caller may take now.
        ---
        get:
{PK}          responses:
            200:
              description: the case
        """
        user = scope.current_user()
        try:
            case = bad_reviews.load(user, pk)
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, result=listing.bad_review_json(case),
                             actions=[a.name for a in bad_reviews.WORKFLOW.allowed(user, case)])


class InspectionApi(KitApi):  # _fail from the kit
    resource_name = "inspection"
    class_permission_name = "Inspection"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "post": "write"}
    openapi_spec_tag = "Inspection"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The inspections (督查记录) the caller may see.
        ---
        get:
          responses:
            200:
              description: the list
        """
        rows = inspections.listing(scope.current_user())
        return self.response(200, count=len(rows), result=[inspections.as_json(r) for r in rows])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Office: record an inspection {subject_type, officer|department, method, day, enterprise, efficiency,
        quality, level, effect (1-5), findings, refer_to_supervision}.
        ---
        post:
          responses:
            201:
              description: the inspection
        """
        user = scope.current_user()
        try:
            data = web.json_body()
            if any(isinstance(v, (dict, list)) for v in data.values()):
                raise WorkflowError(422, "字段应为数字或文本。")
            row = idempotency.once(Inspection, lambda: inspections.record(user, data))
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, id=row.id, result=inspections.as_json(row))


for _cls in (SurveyRequestApi, BadReviewApi):  # the path parameter in the docstrings' OpenAPI blocks
    for _name in ("get", "answer", "link"):
        _fn = getattr(_cls, _name, None)
        if _fn is not None and _fn.__doc__ and "{PK}" in _fn.__doc__:
            _fn.__doc__ = _fn.__doc__.replace("{PK}", PK)


def register(appbuilder):
    appbuilder.add_api(SurveyRequestApi)
    appbuilder.add_api(BadReviewApi)
    appbuilder.add_api(InspectionApi)
