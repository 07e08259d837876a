"""Screens (Flask-AppBuilder, in Chinese). Every view is scoped through app.scope."""
import re
from datetime import date, datetime

from flask import abort, flash, g, redirect, request
from markupsafe import Markup
from flask_appbuilder import ModelView, action, expose
from flask_appbuilder.fieldwidgets import DatePickerWidget, Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.widgets import ListWidget as FabListWidget
from wtforms import BooleanField, DateField, HiddenField, SelectField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from . import clock, db, idempotency, masterdata, pinyin_order, scope, vocab
from .vocab import MENU_MASTER, MENU_SERVICE
from .models import (
    ASSIGNMENT_ROLES, ASSIGNMENT_STATUSES, DEPARTMENT_KINDS, ENTERPRISE_CATEGORIES, OFFICER_RANKS,
    VISIT_MODES, VISIT_TOPICS, AccountState, Assignment, Department, Enterprise, Officer, Visit,
)
from .validation import FormRule, InvalidValue, clean_credit_code, clean_phone, valid_id




# --- scope as a FAB filter -------------------------------------------------------------------


class ScopeFilter(BaseFilter):
    """Limits any query on its model to the current user's rows (app.scope).

    FAB 5.3: relies on ``BaseFilter.apply(query, value)`` and the ``base_filters`` format
    ``[[column, Filter, value]]``. On upgrade re-check where base filters apply (list, show, edit,
    delete, related views, REST by id — not bulk actions or POST: see ``_run_action`` and api.py)."""

    name = "权限范围"
    arg_name = None

    def apply(self, query, value):
        return scope.restrict(self.model, query, scope.current_user())


SCOPED = [["id", ScopeFilter, None]]


class WriteScopeFilter(ScopeFilter):
    """The pick-lists of add and edit forms: only rows the user may act on (``scope.restrict(write=True)``:
    no read-only access such as a recalled officer's transition period, app/recall)."""

    name = "可操作范围"

    def apply(self, query, value):
        return scope.restrict(self.model, query, scope.current_user(), write=True)


WRITE_SCOPED = [["id", WriteScopeFilter, None]]


class RegionFilter(BaseFilter):
    """所属街道 of a list whose rows hang off an enterprise (``enterprise_id``) or an officer
    (``officer_id``: the officer serves an enterprise there now) — the ``?region=`` of a list."""

    name = "所属街道/乡镇"
    arg_name = None

    def apply(self, query, value):
        in_region = select(Enterprise.id).where(Enterprise.subdistrict == value)
        if self.column_name == "officer_id":
            return query.filter(self.model.officer_id.in_(select(Assignment.officer_id).where(
                Assignment.enterprise_id.in_(in_region), Assignment.is_current)))
        return query.filter(getattr(self.model, self.column_name).in_(in_region))


class EagerInterface(SQLAInterface):
    """SQLAInterface whose list queries load the named relations in one extra query each
    (selectin), so a list page costs the same number of queries whatever its size.

    FAB 5.3: ``query`` is ``SQLAInterface.query`` copied with one added line (the selectinload);
    on upgrade diff it against FAB's body and re-check ``query_count`` / ``apply_all``."""

    def __init__(self, obj, eager=(), session=None):
        super().__init__(obj, session=session)
        self.eager = tuple(eager)

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        query = self.session.query(self.obj)
        count = self.query_count(query, filters, select_columns)
        query = self.apply_all(query, filters, order_column, order_direction, page, page_size,
                               select_columns, outer_default_load)
        query = query.options(*(selectinload(getattr(self.obj, name)) for name in self.eager))
        return count, query.all()


def _pinyin_pick_lists(form):
    """Every related-field select of a FAB form (one row / many rows) lists its rows by pinyin.

    FAB 5.3 builds them as ``QuerySelectField`` / ``QuerySelectMultipleField`` unbound fields whose
    ``query_func`` kwarg yields the rows in the database's order; on upgrade re-check
    ``GeneralModelConverter._convert_many_to_one`` / ``_convert_many_to_many``."""
    if form is None:
        return
    for name in dir(form):
        unbound = getattr(form, name, None)
        if (isinstance(unbound, UnboundField) and issubclass(unbound.field_class, QuerySelectField)
                and unbound.kwargs.get("query_func")
                and not getattr(unbound.kwargs["query_func"], "pinyin", False)):  # a form shared by two views
            unbound.kwargs["query_func"] = pinyin_order.sorted_query(unbound.kwargs["query_func"])


VIEW_PERMISSIONS = {"list": "read", "show": "read", "add": "write", "edit": "write", "delete": "delete"}
# the same set on a model's screen and its REST resource (they share one permission name)
BASE_PERMISSIONS = ["can_read", "can_write", "can_delete"]
ASSIGNMENT_PERMISSIONS = BASE_PERMISSIONS + ["end_assignment"]


class CSOModelView(ModelView):
    """ModelView with scope on every path, rule checks shown next to the fields, safe actions."""

    base_filters = SCOPED
    method_permission_name = VIEW_PERMISSIONS
    base_permissions = BASE_PERMISSIONS

    @property
    def page_size(self):  # FAB reads it per request (5.3: BaseCRUDView._get_list_widget)
        return vocab.page_size()

    list_template = "cso/list_export.html"
    export_endpoint = None  # e.g. "ExportView.visits": an 导出Excel button with the list's filters
    region_column = None  # "enterprise_id" / "officer_id": the list also filters by 所属街道 (?region=)

    def __init__(self, **kwargs):
        rel = {name: SCOPED for name in getattr(self, "scoped_relations", ())}
        writable = {name: WRITE_SCOPED for name in getattr(self, "scoped_relations", ())}
        self.add_form_query_rel_fields = {**writable, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**writable, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**rel, **(self.search_form_query_rel_fields or {})}
        super().__init__(**kwargs)
        if self.add_form is not None:  # every create form carries a fresh token (app.idempotency)
            self.add_form = type(self.add_form.__name__, (self.add_form,),
                                 {idempotency.FORM_FIELD: HiddenField(default=idempotency.new_token)})
        for column in self.list_columns + self.show_columns:  # empty cells, not "None"
            self.formatters_columns.setdefault(column, _display)
        for form in (self.add_form, self.edit_form, self.search_form):
            _pinyin_pick_lists(form)

    # -- add and edit: rule errors go next to their field, the form keeps its input --------
    def _save_or_errors(self, form, item, is_add):
        """The form into the row, then the one write path (masterdata.save); rule errors go next to
        their fields and the form keeps its input."""
        self.process_form(form, is_add)
        try:
            form.populate_obj(item)  # the models' normalising rules may refuse (validation.checked)
            notes = masterdata.save(scope.current_user(), item, is_add)
            if is_add:
                idempotency.remember(item)  # the form's token with the new row, one transaction
            db.session.commit()
        except idempotency.Repeated:
            flash("该表单已提交过，未重复创建。", "info")
            return True
        except InvalidValue as exc:
            refusal = {exc.field or "_": str(exc)}
        except masterdata.RuleError as exc:
            refusal = exc.errors
        else:
            refusal = None
        if refusal is not None:
            db.session.rollback()
            for field, message in refusal.items():
                if field in form:
                    form[field].errors = list(form[field].errors) + [message]
                else:
                    flash(message, "danger")
            return False
        flash(self.add_row_message if is_add else self.edit_row_message, "success")
        for note in notes:
            flash(note, "info")
        g.cso_saved_row = item  # for post_add_redirect / post_edit_redirect of this request
        return True

    def _delete(self, pk):
        """FAB 5.3's ``BaseCRUDView._delete`` (scoped fetch, then delete), through masterdata.remove.
        On upgrade re-check that FAB's delete route still calls ``_delete(pk)`` and what it flashes."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            notes = masterdata.remove(scope.current_user(), item)
            db.session.commit()
        except masterdata.RuleError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(self.delete_row_message, "success")
            for note in notes:
                flash(note, "info")
        self.update_redirect()

    def render_template(self, template, **kwargs):
        if self.region_column and template == self.list_template:
            kwargs.setdefault("region_choices", pinyin_order.sort_rows({r for r in db.session.scalars(scope.restrict(
                Enterprise, select(Enterprise.subdistrict), scope.current_user()).distinct()) if r}))
            kwargs.setdefault("region", request.args.get("region", ""))
        return super().render_template(template, export_endpoint=self.export_endpoint, **kwargs)

    def _get_list_widget(self, filters, **kwargs):
        """FAB 5.3 ``BaseCRUDView._get_list_widget`` with the ``?region=`` filter added on this
        view's own list page (not when it is a related list on another page)."""
        region = (request.args.get("region") or "").strip()[:50] if self.region_column else ""
        if region and request.endpoint == f"{self.__class__.__name__}.list":
            filters = filters.copy().add_filter(self.region_column, RegionFilter, region)
        return super()._get_list_widget(filters, **kwargs)

    def _add(self):
        # FAB 5.3 ``BaseCRUDView._add`` replaced (pre_add/post_add are not called: masterdata.save is
        # the one write path). On upgrade re-check add_form.refresh, process_form, _get_add_widget.
        form = self.add_form.refresh()
        if request.method == "POST":
            if idempotency.replayed(self.datamodel.obj) is not None:  # a double submit: nothing new
                flash("该表单已提交过，未重复创建。", "info")
                return None
            if form.validate():
                item = self.datamodel.obj()
                if self._save_or_errors(form, item, True):
                    return None
        else:
            self.update_redirect()
            self.preset_add(form)
        return self._get_add_widget(form=form, exclude_cols=[])

    def preset_add(self, form):
        """A new form's values from the link that opened it (e.g. 登记走访 for one enterprise)."""

    def _edit(self, pk):
        # FAB 5.3 ``BaseCRUDView._edit`` replaced like ``_add`` (no pre_update/post_update). On upgrade
        # re-check edit_form.refresh, form._id, datamodel.get(pk, filters), _get_edit_widget.
        if not valid_id(pk):
            abort(404)
        item = self.datamodel.get(int(pk), self._base_filters)
        if not item:
            abort(404)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = self.datamodel.get_pk_value(item)
            if form.validate() and self._save_or_errors(form, item, False):
                return None
            item = self.datamodel.get(int(pk), self._base_filters)
        else:
            form = self.edit_form.refresh(obj=item)
            self.update_redirect()
        widgets = self._get_edit_widget(form=form, exclude_cols=[])
        return self._get_related_views_widgets(
            item, filters={}, orders=get_order_args(), pages=get_page_args(),
            page_sizes=get_page_size_args(), widgets=widgets,
        )

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        """Related lists only for viewers who may read that model; the others get a note.
        FAB 5.3 internal: re-check ``_related_views`` and ``_get_related_view_widget``'s signature."""
        widgets = widgets or {}
        widgets["related_views"] = []
        sm = self.appbuilder.sm
        for view in self._related_views:
            if not sm.has_access("can_read", view.class_permission_name):
                widgets["related_views"].append(lambda **_: Markup('<p class="text-muted">您无权查看此项。</p>'))
                continue
            order_column, order_direction = (orders or {}).get(view.__class__.__name__) or ("", "")
            widgets["related_views"].append(self._get_related_view_widget(
                item, view, order_column, order_direction, page=(pages or {}).get(view.__class__.__name__),
                page_size=(page_sizes or {}).get(view.__class__.__name__)))
        return widgets

    def _deserialize_pk_if_composite(self, pk):
        """Row ids in URLs: digits within the database's integer range, else 404 (never a 500).
        FAB 5.3 internal, called by show/edit/delete; re-check that it still is."""
        if not valid_id(pk):
            abort(404)
        return int(pk)

    # -- bulk and single actions: scoped, POST only, unknown names answered -----------------
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        """One row's action from its page: POST only (CSRF-checked), row must be in scope.
        FAB 5.3 exposes the same URL rules (``/action/<name>/<pk>``, ``/action_post``) unscoped and on
        GET; ours shadow them. On upgrade re-check the rules and ``ActionItem`` (.func, .single)."""
        if request.method != "POST":
            flash("请通过页面上的按钮执行该操作。", "warning")
            return redirect(self.get_redirect())
        return self._run_action(name, [pk], single=True)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        return self._run_action(request.form.get("action", ""), request.form.getlist("rowid"))

    def _run_action(self, name, pks, single=False):
        act = self.actions.get(name)
        if act is None:
            flash("未知的操作。", "danger")
            return redirect(self.get_redirect())
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            flash("访问被拒绝。", "danger")
            return redirect(self.get_redirect())
        if single and not act.single:
            flash("该操作只能在列表中勾选记录后执行。", "warning")
            return redirect(self.get_redirect())
        items = []
        for pk in pks:
            item = self.datamodel.get(int(pk), self._base_filters) if valid_id(pk) else None
            if item is None:
                flash("所选记录不存在或不在您的权限范围内，操作未执行。", "danger")
                return redirect(self.get_redirect())
            items.append(item)
        if not items:
            flash("请先选择记录。", "warning")
            return redirect(self.get_redirect())
        try:
            return act.func(items[0] if single else items)
        except masterdata.RuleError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(self.get_redirect())


def _display(value):
    """Empty cells for None, dates as YYYY-MM-DD, stored UTC times as local YYYY-MM-DD HH:MM."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return nowrap(clock.local(value).strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, date):
        return nowrap(value.strftime("%Y-%m-%d"))
    return value


def nowrap(value):
    """A list cell that does not wrap (names, dates) — escaped text in a span (cso-lists.css)."""
    return Markup('<span class="cso-nowrap">%s</span>') % ("" if value is None else value)


def _choice_label(mapping):
    return lambda value: mapping.get(value, value or "")


def _select(label, choices, required=True):
    return SelectField(
        label, choices=choices, widget=Select2Widget(),
        validators=[DataRequired()] if required else [Optional()],
    )


class TopicsField(SelectMultipleField):
    """Visit topics as checkboxes, stored as "党建指导、政策宣传"."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_data(self, value):
        if isinstance(value, str):
            value = [v for v in re.split(r"[、,，]", value) if v]
        super().process_data(value or [])

    def populate_obj(self, obj, name):
        setattr(obj, name, "、".join(self.data or []) or None)


# --- the five models ------------------------------------------------------------------------

ENTERPRISE_LABELS = {
    "name": "企业名称", "credit_code": "统一社会信用代码", "subdistrict": "所属街道/乡镇",
    "industry": "行业", "category": "企业类别", "address": "地址", "legal_rep": "法定代表人",
    "contact": "联系人", "phone": "联系电话", "is_key": "重点服务企业", "created_at": "创建时间",
}
OFFICER_LABELS = {
    "name": "姓名", "unit": "工作单位", "title": "职务", "rank": "职级", "phone": "联系电话",
    "email": "电子邮箱", "active": "在岗", "user": "登录账号",
}
ASSIGNMENT_LABELS = {
    "enterprise": "企业", "enterprise.name": "企业", "officer": "服务官", "officer.name": "服务官",
    "role": "角色", "start_date": "开始日期", "end_date": "结束日期", "status": "状态",
    "end_reason": "结束原因",
}
VISIT_LABELS = {
    "enterprise": "企业", "enterprise.name": "企业", "officer": "服务官（默认为本人）",
    "officer.name": "服务官", "visit_date": "走访日期", "mode": "走访方式", "topics": "服务内容",
    "summary": "走访情况", "created_at": "录入时间",
}
DEPARTMENT_LABELS = {"name": "单位名称", "kind": "类别", "contact": "联系人", "phone": "联系电话", "email": "电子邮箱"}


class AssignmentView(CSOModelView):
    datamodel = EagerInterface(Assignment, eager=("enterprise", "officer"))
    class_permission_name = "Assignment"
    base_permissions = ASSIGNMENT_PERMISSIONS
    export_endpoint = "ExportView.assignments"
    list_title = show_title = "包联关系"
    add_title = "新增包联关系"
    edit_title = "编辑包联关系"
    scoped_relations = ("enterprise", "officer")
    label_columns = ASSIGNMENT_LABELS
    list_columns = ["enterprise.name", "officer.name", "role", "start_date", "end_date", "status", "end_reason"]
    show_columns = ["enterprise", "officer", "role", "start_date", "end_date", "status", "end_reason"]
    add_columns = ["enterprise", "officer", "role", "start_date"]
    edit_columns = ["role", "start_date"]
    search_columns = ["enterprise", "officer", "role", "status", "start_date", "end_date", "end_reason"]
    order_columns = ["enterprise.name", "officer.name", "role", "start_date", "end_date", "status", "end_reason"]
    region_column = "enterprise_id"
    base_order = ("start_date", "desc")
    formatters_columns = {"role": _choice_label(ASSIGNMENT_ROLES), "status": _choice_label(ASSIGNMENT_STATUSES),
                          "officer.name": nowrap}
    add_form_extra_fields = {
        "role": _select("角色", list(ASSIGNMENT_ROLES.items())),
        "start_date": DateField("开始日期", widget=DatePickerWidget(), validators=[DataRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields

    @action("end_assignment", "结束包联", "确定结束所选包联关系吗？结束后保留历史记录。", "fa-stop", multiple=True)
    def end_assignment(self, items):
        items = items if isinstance(items, list) else [items]
        reason = (request.form.get("end_reason") or "").strip() or "办公室调整包联关系"
        ended = 0
        for item in items:
            if item.end_date is None:
                masterdata.end_assignment(item, reason)
                ended += 1
        db.session.commit()
        flash(f"已结束{ended}条包联关系。", "success")
        return redirect(self.get_redirect())


class VisitView(CSOModelView):
    datamodel = EagerInterface(Visit, eager=("enterprise", "officer"))
    class_permission_name = "Visit"
    export_endpoint = "ExportView.visits"
    list_title = show_title = "走访记录"
    add_title = "登记走访"
    edit_title = "编辑走访记录"
    scoped_relations = ("enterprise", "officer")
    label_columns = VISIT_LABELS
    list_columns = ["visit_date", "enterprise.name", "officer.name", "mode", "topics", "summary"]
    show_columns = ["visit_date", "enterprise", "officer", "mode", "topics", "summary", "created_at"]
    add_columns = edit_columns = ["enterprise", "officer", "visit_date", "mode", "topics", "summary"]
    search_columns = ["enterprise", "officer", "visit_date", "mode", "topics", "summary"]
    order_columns = ["visit_date", "enterprise.name", "officer.name", "mode", "topics", "summary"]
    region_column = "enterprise_id"
    base_order = ("visit_date", "desc")
    formatters_columns = {"mode": _choice_label(VISIT_MODES), "officer.name": nowrap}
    show_template = "cso/visit_show.html"
    method_permission_name = {**VIEW_PERMISSIONS, "delete_visits": "delete"}
    validators_columns = {"officer": [Optional()]}
    add_form_extra_fields = {
        "mode": _select("走访方式", list(VISIT_MODES.items())),
        "topics": TopicsField("服务内容", choices=[(t, t) for t in VISIT_TOPICS]),
        "visit_date": DateField("走访日期", widget=DatePickerWidget(), validators=[DataRequired()],
                                default=lambda: clock.today()),
    }
    edit_form_extra_fields = add_form_extra_fields

    def preset_add(self, form):
        """``?enterprise=ID`` (the home page's 登记走访 of that row): that enterprise, if the user may
        record a visit for it, and the officer's own record (issue 9 item 3)."""
        user = scope.current_user()
        pk = request.args.get("enterprise")
        if valid_id(pk) and scope.visible(Enterprise, int(pk), user):
            form.enterprise.data = db.session.get(Enterprise, int(pk))
        officer = scope.officer_of(user)
        if officer is not None and "officer" in form:
            form.officer.data = officer


    list_widget = type("VisitListWidget", (FabListWidget,), {"template": "cso/visit_list_widget.html"})
    # FAB's list with 编辑/删除 only on the rows the viewer may change (``changeable``)

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters, **kwargs)
        args = widgets["list"].template_args
        args["changeable"] = masterdata.changeable_visits(scope.current_user(), args.get("pks") or ())
        return widgets

    def post_add_redirect(self):
        return self._next_step() or super().post_add_redirect()

    def post_edit_redirect(self):
        return self._next_step() or super().post_edit_redirect()

    def _next_step(self):
        """A visit saved with the topic 政策宣传 and no item recorded yet goes on to picking the items told
        (issue 15 item 2: the delivery is recorded from the visit; app/policies/deliveries.record)."""
        from .policies.views import policy_delivery_link

        item = g.pop("cso_saved_row", None)
        if item is None or item.id is None:
            return None
        url, _, asks = policy_delivery_link(item.id)
        if not asks:
            return None
        flash("本次走访的服务内容含“政策宣传”，请选择向企业宣传的惠企事项（宣传方式、是否当面讲解）。", "info")
        return redirect(url)

    @action("delete_visits", "删除", "确定删除所选走访记录吗？", "fa-trash", multiple=True, single=False)
    def delete_visits(self, items):
        user = scope.current_user()
        for item in items:  # the one delete path (masterdata.remove); a refusal rolls back every row
            masterdata.remove(user, item)
        db.session.commit()
        flash(f"已删除{len(items)}条走访记录。", "success")
        return redirect(self.get_redirect())


class EnterpriseView(CSOModelView):
    datamodel = SQLAInterface(Enterprise)
    class_permission_name = "Enterprise"
    export_endpoint = "ExportView.assignments"
    list_title = show_title = "重点服务企业"
    add_title = "新增企业"
    edit_title = "编辑企业"
    label_columns = ENTERPRISE_LABELS
    list_columns = ["name", "credit_code", "subdistrict", "industry", "category", "contact", "phone"]
    show_columns = ["name", "credit_code", "subdistrict", "industry", "category", "address",
                    "legal_rep", "contact", "phone", "is_key"]
    add_columns = edit_columns = show_columns
    search_columns = ["name", "credit_code", "subdistrict", "industry", "category"]
    order_columns = ["name", "credit_code", "subdistrict", "industry", "category", "contact", "phone"]
    base_order = ("name", "asc")
    related_views = [AssignmentView, VisitView]
    show_template = "cso/enterprise_show.html"
    validators_columns = {"credit_code": [FormRule(clean_credit_code)], "phone": [FormRule(clean_phone)]}
    add_form_extra_fields = {
        "category": _select("企业类别", [("", "（未分类）")] + [(c, c) for c in ENTERPRISE_CATEGORIES], False),
        "is_key": BooleanField("重点服务企业", default=True),  # FAB would make an unticked box "required"
    }
    edit_form_extra_fields = add_form_extra_fields
    description_columns = {"credit_code": "18位，按GB 32100-2015校验", "phone": "手机11位，或座机如0391-3563650"}


class OfficerView(CSOModelView):
    datamodel = SQLAInterface(Officer)
    class_permission_name = "Officer"
    export_endpoint = "ExportView.officers"
    list_title = show_title = "首席服务官及具体分包人"
    add_title = "新增服务官"
    edit_title = "编辑服务官"
    label_columns = OFFICER_LABELS
    list_columns = ["name", "unit", "title", "rank", "phone", "active"]
    show_columns = ["name", "unit", "title", "rank", "phone", "email", "active"]
    add_columns = edit_columns = ["name", "unit", "title", "rank", "phone", "email", "active"]
    search_columns = ["name", "unit", "title", "rank", "phone", "active"]
    order_columns = ["name", "unit", "title", "rank", "phone", "active"]
    base_order = ("name", "asc")
    related_views = [AssignmentView, VisitView]
    validators_columns = {"phone": [FormRule(clean_phone)]}
    add_form_extra_fields = {
        "rank": _select("职级", [(r, r) for r in OFFICER_RANKS]),
        "active": BooleanField("在岗", default=True),
    }
    edit_form_extra_fields = add_form_extra_fields


class DepartmentView(CSOModelView):
    datamodel = SQLAInterface(Department)
    class_permission_name = "Department"
    list_title = show_title = "责任单位"
    add_title = "新增责任单位"
    edit_title = "编辑责任单位"
    label_columns = DEPARTMENT_LABELS
    list_columns = ["name", "kind", "contact", "phone", "email"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["name", "kind", "contact", "phone", "email"]
    order_columns = ["name", "kind", "contact", "phone", "email"]
    base_order = ("name", "asc")
    validators_columns = {"phone": [FormRule(clean_phone)]}
    add_form_extra_fields = {"kind": _select("类别", [(k, k) for k in DEPARTMENT_KINDS])}
    edit_form_extra_fields = add_form_extra_fields


class LockFilter(BaseFilter):
    """Only logins with failed attempts or a lock (not every first-login row)."""

    name = "登录失败或已锁定"
    arg_name = None

    def apply(self, query, value):
        return query.filter(or_(AccountState.failed_logins > 0, AccountState.locked_until.is_not(None)))


class AccountStateView(CSOModelView):
    """Admin: accounts locked after failed logins, with an unlock action."""

    datamodel = SQLAInterface(AccountState)
    class_permission_name = "AccountState"
    base_filters = [["user_id", LockFilter, None]]
    list_title = "登录锁定"
    base_permissions = ["can_read", "unlock"]
    label_columns = {"user": "账号", "user.username": "账号", "failed_logins": "连续失败次数", "locked_until": "锁定至（UTC）"}
    list_columns = ["user.username", "failed_logins", "locked_until"]
    search_columns = ["failed_logins", "locked_until"]

    @action("unlock", "解锁", "确定解锁所选账号吗？", "fa-unlock", multiple=True)
    def unlock(self, items):
        items = items if isinstance(items, list) else [items]
        for item in items:
            self.appbuilder.sm.unlock(item.user)
        flash(f"已解锁{len(items)}个账号。", "success")
        return redirect(self.get_redirect())


# --- registration -------------------------------------------------------------------------------



def register(appbuilder):
    appbuilder.add_view(EnterpriseView, "重点服务企业", icon="fa-building", category=MENU_SERVICE, category_icon="fa-handshake-o")
    appbuilder.add_view(AssignmentView, "包联关系", icon="fa-link", category=MENU_SERVICE)
    appbuilder.add_view(VisitView, "走访记录", icon="fa-car", category=MENU_SERVICE)
    appbuilder.add_view(OfficerView, "服务官", icon="fa-user-tie", category=MENU_MASTER, category_icon="fa-database")
    appbuilder.add_view(DepartmentView, "责任单位", icon="fa-sitemap", category=MENU_MASTER)
    appbuilder.add_view(AccountStateView, "登录锁定", icon="fa-lock", category="Security")
