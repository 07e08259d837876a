"""REST API under /api/v1/ (JWT login at /api/v1/security/login). Scoped like the screens."""
from flask import request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.api.manager import OpenApi
from flask_appbuilder.exceptions import ApplyFilterException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import ValidationError
from marshmallow_sqlalchemy.fields import Related, RelatedList
from sqlalchemy.exc import SQLAlchemyError

from . import db, idempotency, masterdata, scope, vocab
from .ledger.api import IssueApi
from .models import Assignment, Department, Enterprise, Officer, Visit
from .querystring import MAX_ITEMS
from .validation import MAX_ID, InvalidValue, api_rule, clean_credit_code, clean_phone, valid_id
from .views import ASSIGNMENT_PERMISSIONS, BASE_PERMISSIONS, SCOPED

RELATION_LABELS = {"enterprise": "企业", "officer": "服务官", "department": "单位", "issue": "问题", "visit": "走访记录"}


class RelatedId(Related):
    """A relation in a JSON body: the id of an existing row the caller may see — never an object
    (no nested create or update), a list or a boolean (docs/architecture.md#security). Still a
    ``Related`` for FAB (``_info`` lists its scoped choices)."""

    def __init__(self, label, **kwargs):
        super().__init__(**kwargs)
        self.label = label

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError(f"{self.label}应填写编号（整数），不能是对象、列表或布尔值。")
        if not valid_id(value):
            raise ValidationError(f"{self.label}编号应为1到{MAX_ID}之间的整数。")
        row = db.session.get(self.related_model, int(value))
        if row is None or not scope.visible(self.related_model, row.id, scope.current_user()):
            raise ValidationError(f"所选{self.label}不存在或不在您的服务范围内。")
        return row


class RelatedIds(RelatedList):
    """A to-many relation: a list of ids (at most ``MAX_ITEMS``), each a :class:`RelatedId`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise ValidationError(f"{self.inner.label}应为编号的列表（最多{MAX_ITEMS}个）。")
        return super()._deserialize(value, attr, data, **kwargs)


def ids_only(schema):
    """Replace every relation field of a load schema (FAB's marshmallow-sqlalchemy ``Related`` /
    ``RelatedList``, which would create or update the related row from a nested object) by
    :class:`RelatedId` / :class:`RelatedIds`."""
    for name, field in list(schema.fields.items()):
        if isinstance(field, (RelatedId, RelatedIds)):
            continue
        many = isinstance(field, RelatedList)
        if not (many or isinstance(field, Related)):
            continue
        label = RELATION_LABELS.get(name, "关联记录")
        options = {"required": field.required, "allow_none": field.allow_none}
        new = RelatedIds(RelatedId(label), **options) if many else RelatedId(label, **options)
        new._bind_to_schema(name, schema)
        schema.fields[name] = new
        for group in (schema.load_fields, schema.dump_fields):
            if name in group:
                group[name] = new


READ_WRITE = {
    "get_list": "read", "get": "read",
    "info": "write",  # _info lists the pick-list choices of the add/edit forms: writers only
    "post": "write", "put": "write", "delete": "delete",
}


class CSOModelApi(ModelRestApi):
    """Scope on GET/PUT/DELETE (base_filters) and POST (foreign keys checked), 4xx not 500.

    FAB 5.3 overrides: ``post_headless``, ``put_headless`` and ``delete_headless`` are replaced
    (FAB's pre_add/pre_update/post_* hooks are not called: masterdata.save/remove is the one write
    path); ``put_headless`` uses the internal ``_merge_update_item``; ``get_list_headless`` turns
    ``ApplyFilterException`` into a 400. On upgrade diff those bodies against FAB's."""

    base_filters = SCOPED
    method_permission_name = READ_WRITE
    base_permissions = BASE_PERMISSIONS
    allow_browser_login = False  # JWT only: the API is CSRF-exempt, so session cookies must not work here

    @property
    def page_size(self):  # FAB reads it per request (5.3: ModelRestApi._sanitize_page_args)
        return vocab.page_size()

    def __init__(self, **kwargs):
        rel = {name: SCOPED for name in ("enterprise", "officer") if name in (self.add_columns or [])}
        self.add_query_rel_fields = {**rel, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**rel, **(self.edit_query_rel_fields or {})}
        super().__init__(**kwargs)

    def _init_model_schemas(self):  # FAB 5.3 internal: re-check that the schemas are built here
        super()._init_model_schemas()
        for schema in (self.add_model_schema, self.edit_model_schema):
            ids_only(schema)

    def get_headless(self, pk, **kwargs):
        if not valid_id(pk):
            return self.response_404()
        return super().get_headless(pk, **kwargs)

    def get_list_headless(self, **kwargs):
        try:
            return super().get_list_headless(**kwargs)
        except (SQLAlchemyError, ApplyFilterException):  # a filter value the database cannot compare
            db.session.rollback()
            return self.response_400(message="筛选条件无效，请检查字段和取值。")

    def _refuse(self, errors):
        db.session.rollback()
        return self.response_422(message={k: [v] for k, v in errors.items()})

    def _save(self, item, is_add, status):
        """The one write path (masterdata.save), then commit; a refusal is a 422 by field."""
        try:
            masterdata.save(scope.current_user(), item, is_add)
            if is_add:
                idempotency.remember(item)  # the Idempotency-Key with the new row, one transaction
            db.session.commit()
        except idempotency.Repeated as repeat:
            item = repeat.row
        except masterdata.RuleError as exc:
            if is_add:
                db.session.expunge_all()
            return self._refuse(exc.errors)
        except SQLAlchemyError:
            db.session.rollback()
            return self._refuse({"_": masterdata.CONFLICT})
        return self.response(status, id=item.id, result=self.show_model_schema.dump(item))

    def post_headless(self):
        if not request.is_json or not isinstance(request.json, dict):
            return self.response_400(message="请求体应为JSON对象。")
        prior = idempotency.replayed(self.datamodel.obj)
        if prior is not None:  # a repeat of the same Idempotency-Key: the first answer, no second row
            return self.response(201, id=prior.id, result=self.show_model_schema.dump(prior))
        try:
            item = self.add_model_schema.load(request.json)
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        except InvalidValue as exc:  # a model's own normalising rule (validation.checked)
            db.session.expunge_all()
            return self._refuse({exc.field or "_": str(exc)})
        return self._save(item, True, 201)

    def put_headless(self, pk):
        item = self.datamodel.get(int(pk), self._base_filters) if valid_id(pk) else None
        if item is None:
            return self.response_404()
        if not request.is_json or not isinstance(request.json, dict):
            return self.response_400(message="请求体应为JSON对象。")
        try:
            data = self._merge_update_item(item, dict(request.json))
            item = self.edit_model_schema.load(data, instance=item)
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        except InvalidValue as exc:
            return self._refuse({exc.field or "_": str(exc)})
        return self._save(item, False, 200)

    def delete_headless(self, pk):
        item = self.datamodel.get(int(pk), self._base_filters) if valid_id(pk) else None
        if item is None:
            return self.response_404()
        try:
            masterdata.remove(scope.current_user(), item)
            db.session.commit()
        except masterdata.RuleError as exc:
            return self._refuse(exc.errors)
        return self.response(200, message="已删除。")


class EnterpriseApi(CSOModelApi):
    resource_name = "enterprise"
    class_permission_name = "Enterprise"
    datamodel = SQLAInterface(Enterprise)
    list_columns = ["id", "name", "credit_code", "subdistrict", "industry", "category", "contact", "phone"]
    show_columns = list_columns + ["address", "legal_rep", "is_key"]
    add_columns = edit_columns = ["name", "credit_code", "subdistrict", "industry", "category",
                                  "address", "legal_rep", "contact", "phone", "is_key"]
    search_columns = ["name", "credit_code", "subdistrict", "industry", "category"]
    order_columns = ["name", "subdistrict", "industry"]
    validators_columns = {"credit_code": api_rule(clean_credit_code), "phone": api_rule(clean_phone)}


class DepartmentApi(CSOModelApi):
    resource_name = "department"
    class_permission_name = "Department"
    datamodel = SQLAInterface(Department)
    list_columns = show_columns = ["id", "name", "kind", "contact", "phone", "email"]
    add_columns = edit_columns = ["name", "kind", "contact", "phone", "email"]
    search_columns = ["name", "kind"]
    validators_columns = {"phone": api_rule(clean_phone)}


class OfficerApi(CSOModelApi):
    resource_name = "officer"
    class_permission_name = "Officer"
    datamodel = SQLAInterface(Officer)
    list_columns = show_columns = ["id", "name", "unit", "title", "rank", "phone", "email", "active"]
    add_columns = edit_columns = ["name", "unit", "title", "rank", "phone", "email", "active"]
    search_columns = ["name", "unit", "rank", "active"]
    validators_columns = {"phone": api_rule(clean_phone)}


class AssignmentApi(CSOModelApi):
    resource_name = "assignment"
    class_permission_name = "Assignment"
    base_permissions = ASSIGNMENT_PERMISSIONS
    datamodel = SQLAInterface(Assignment)
    list_columns = show_columns = ["id", "enterprise.id", "enterprise.name", "officer.id", "officer.name",
                                   "role", "start_date", "end_date", "status", "end_reason"]
    add_columns = ["enterprise", "officer", "role", "start_date"]
    edit_columns = ["role", "start_date", "end_date", "end_reason"]
    search_columns = ["enterprise", "officer", "role", "status", "start_date", "end_date"]



class VisitApi(CSOModelApi):
    resource_name = "visit"
    class_permission_name = "Visit"
    datamodel = SQLAInterface(Visit)
    list_columns = show_columns = ["id", "enterprise.id", "enterprise.name", "officer.id", "officer.name",
                                   "visit_date", "mode", "topics", "summary", "created_at"]
    add_columns = edit_columns = ["enterprise", "officer", "visit_date", "mode", "topics", "summary"]
    search_columns = ["enterprise", "officer", "visit_date", "mode"]

    def _init_model_schemas(self):  # FAB 5.3 internal: re-check that schemas are built here
        super()._init_model_schemas()
        officer = self.add_model_schema.fields["officer"]  # defaults to the caller's own record
        officer.required, officer.allow_none = False, True



def register(appbuilder):
    appbuilder.add_api(OpenApi)  # JSON spec at /api/v1/_openapi (FAB only adds it with the CDN Swagger UI)
    for api in (EnterpriseApi, DepartmentApi, OfficerApi, AssignmentApi, VisitApi, IssueApi):
        appbuilder.add_api(api)
