"""Office screens for the working-day calendar (节假日) and the deadline policy (13710 时限设置).

Any change re-derives the open problems' deadlines in the same transaction (ledger.calendar_changed,
ledger.change_policy, and masterdata's change hook for a holiday row), with an event each."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.fieldwidgets import DatePickerWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from wtforms import BooleanField, DateField, SelectField
from wtforms.validators import DataRequired

from . import clock, db, ledger, scope, workdays
from .holiday_import import import_holidays, parse_holidays
from .models import Holiday, IssueCategory
from .settings import LABELS, RANGES, TIMES, PolicyError, get_policy, time_text
from .views import BASE_PERMISSIONS, VIEW_PERMISSIONS, CSOModelView
from .vocab import MENU_SETTINGS
from .workflow import WorkflowError, numbering

HOLIDAY_KINDS = {"holiday": "放假", "workday": "调休上班"}


class HolidayView(CSOModelView):
    datamodel = SQLAInterface(Holiday)
    class_permission_name = "Holiday"
    base_filters = []  # the calendar is the same for everyone
    base_permissions = BASE_PERMISSIONS
    method_permission_name = {**VIEW_PERMISSIONS, "import_file": "write"}
    list_title = "节假日与调休"
    add_title = "新增节假日/调休日"
    edit_title = "编辑节假日/调休日"
    label_columns = {"day": "日期", "kind": "类型", "name": "名称"}
    list_columns = show_columns = ["day", "kind", "name"]
    add_columns = edit_columns = ["day", "kind", "name"]
    search_columns = ["day", "kind", "name"]
    order_columns = ["day"]
    base_order = ("day", "desc")
    list_template = "cso/holiday_list.html"
    formatters_columns = {"kind": lambda v: HOLIDAY_KINDS.get(v, v)}
    add_form_extra_fields = {
        "day": DateField("日期", widget=DatePickerWidget(), validators=[DataRequired()]),
        "kind": SelectField("类型", choices=list(HOLIDAY_KINDS.items()), widget=Select2Widget(),
                            validators=[DataRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields

    def render_template(self, template, **kwargs):
        """The list page also shows the built-in calendar of a chosen year (?year=, 2004–2026 from
        chinese_calendar) and offers the import form only to those who may write the calendar."""
        if template == self.list_template:
            years = workdays.builtin_years()
            raw = request.args.get("year", "")
            year = int(raw) if raw.isdigit() and int(raw) in years else (
                clock.today().year if clock.today().year in years else (years[-1] if years else None))
            kwargs.update(builtin_years=years, builtin_year=year, holiday_kinds=HOLIDAY_KINDS,
                          builtin_days=workdays.builtin_days(year) if year else [],
                          can_edit_calendar=self.appbuilder.sm.has_access("can_write", self.class_permission_name))
        return super().render_template(template, **kwargs)

    @expose("/import", methods=["POST"])
    @has_access
    def import_file(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的CSV或Excel文件。", "danger")
            return redirect(url_for("HolidayView.list"))
        rows, errors = parse_holidays(upload.filename, upload.read())
        if errors:
            for err in errors[:10]:
                where = f"第{err['row']}行" if err.get("row") else ""
                flash(f"{where}{err.get('column') or ''}：{err['message']}", "danger")
            flash("文件有错误，未导入任何数据。", "danger")
            return redirect(url_for("HolidayView.list"))
        result = import_holidays(rows)
        changed = ledger.calendar_changed(scope.current_user(), "节假日安排变更，按新日历重算时限")
        db.session.commit()  # the calendar and the deadlines it moves, together
        flash(f"已导入：新增{result['created']}天，更新{result['updated']}天。", "success")
        if changed:
            flash(f"已按新的节假日安排重算{changed}个未办结问题的时限。", "info")
        return redirect(url_for("HolidayView.list"))


class IssueCategoryView(CSOModelView):
    """问题类别 — the office keeps the list; a category in use is deactivated, not deleted."""

    datamodel = SQLAInterface(IssueCategory)
    class_permission_name = "IssueCategory"
    base_filters = []
    base_permissions = BASE_PERMISSIONS
    list_title = "问题类别"
    add_title = "新增问题类别"
    edit_title = "编辑问题类别"
    label_columns = {"name": "类别名称", "sort": "排序", "active": "启用"}
    list_columns = show_columns = add_columns = edit_columns = ["name", "sort", "active"]
    search_columns = ["name", "active"]
    order_columns = ["sort", "name"]
    base_order = ("sort", "asc")
    add_form_extra_fields = {"active": BooleanField("启用", default=True)}
    edit_form_extra_fields = add_form_extra_fields


class DeadlinePolicyView(BaseView):
    route_base = "/settings/deadlines"
    class_permission_name = "Setting"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"show": "read", "save": "write", "numbers": "write"}
    default_view = "show"

    @expose("/")
    @has_access
    def show(self):
        year = clock.today().year
        formats = [(k, numbering.number_format(k), numbering.render(numbering.number_format(k), year, 1))
                   for k in numbering.KINDS]  # with the first number of this year as the example
        return self.render_template("cso/policy.html", policy=get_policy(), labels=LABELS, ranges=RANGES,
                                    times=TIMES, time_text=time_text, year=year,
                                    number_kinds=numbering.KINDS, formats=formats,
                                    can_write=self.appbuilder.sm.has_access("can_write", self.class_permission_name))

    @expose("/numbers", methods=["POST"])
    @has_access
    def numbers(self):
        """The office's number format per document kind (编号格式)."""
        try:
            for kind in numbering.KINDS:
                if request.form.get(kind) not in (None, ""):
                    numbering.save_format(kind, request.form[kind])
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("DeadlinePolicyView.show"))
        flash("已保存编号格式，新编号按此格式生成（已有编号不变）。", "success")
        return redirect(url_for("DeadlinePolicyView.show"))

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        values = {k: request.form.get(k) for k in LABELS if request.form.get(k) not in (None, "")}
        try:
            changed = ledger.change_policy(scope.current_user(), values)
            db.session.commit()  # the settings and the deadlines they move, together
        except PolicyError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("DeadlinePolicyView.show"))
        flash(f"已保存。按新规则重算了{changed}个未办结问题的时限。", "success")
        return redirect(url_for("DeadlinePolicyView.show"))


def register(appbuilder):
    appbuilder.add_view(HolidayView, "节假日", icon="fa-calendar", category=MENU_SETTINGS, category_icon="fa-cogs")
    appbuilder.add_view(IssueCategoryView, "问题类别", icon="fa-tags", category=MENU_SETTINGS)
    appbuilder.add_view(DeadlinePolicyView, "时限设置", href="/settings/deadlines/", icon="fa-hourglass-half",
                        category=MENU_SETTINGS)
