"""Screens of the assignment notice: the register (交办登记簿, filters, 导出Excel), drafting from a problem,
a page per notice with one form per action the viewer may take now (workflow.web), its history,
attachments and the registered document; print-friendly. Every decision is in app.notices.rules."""
from io import BytesIO
from urllib.parse import urlencode

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from .. import clock, db, scope
from ..exports.workbook import XLSX_MIMETYPE, content_disposition
from ..files import views as file_views
from ..files.rules import FileError
from ..models import Department, Issue
from ..querystring import QueryError
from ..vocab import MENU_NOTICES, NOTICE_OPEN, NOTICE_STATUSES, OFFICE_ROLES, page_size
from ..workflow import WorkflowError, web
from . import api, register, rules
from .ledger_link import open_notices

FORM_FIELDS = ("issue", "department", "due_on", "title", "urgency", "cc", "feedback_cycle", "basis")


def _form_values(form):
    values = {k: form.get(k) for k in FORM_FIELDS if form.get(k) not in (None, "")}
    if "co_departments" in form or "department" in form:
        values["co_departments"] = [v for v in form.getlist("co_departments") if v]
    body = {key: form.get(f"body_{key}") for key in rules.SECTIONS if form.get(f"body_{key}") is not None}
    if body:
        values["body"] = body
    return values


class NoticeView(BaseView):
    route_base = "/notices"
    class_permission_name = "Notice"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "export": "read", "document": "read",
                              "add": "write", "act": "write", "edit": "write"}
    default_view = "list"

    @staticmethod
    def _departments():
        return db.session.scalars(select(Department).order_by(Department.name)).all()

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            count, rows = register.page(user, args)
        except QueryError as exc:
            flash(f"筛选条件有误（{exc.field}）：{exc.message}", "danger")
            return redirect(url_for("NoticeView.list"))
        size = int(args.get("page_size") or page_size())
        number = int(args.get("page") or 0)
        link = lambda **kw: url_for("NoticeView.list") + "?" + urlencode({**args, **kw})  # noqa: E731
        today = clock.today()
        return self.render_template(
            "cso/notice_list.html", items=[register.serialize(r, today) for r in rows], count=count, args=args,
            page=number, pages=max(1, (count + size - 1) // size), link=link, statuses=NOTICE_STATUSES,
            departments=self._departments(), export_url=url_for("NoticeView.export") + "?" + urlencode(args),
            is_office=bool(scope.role_names(user) & OFFICE_ROLES))

    @expose("/export")
    @has_access
    def export(self):
        out = BytesIO()
        try:
            register.register_workbook(scope.current_user(), request.args, out)
        except QueryError as exc:
            flash(f"筛选条件有误（{exc.field}）：{exc.message}", "danger")
            return redirect(url_for("NoticeView.list"))
        out.seek(0)
        name, fallback = register.file_name()
        response = send_file(out, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=fallback)
        response.headers["Content-Disposition"] = content_disposition(name, fallback)
        return response

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        if not scope.role_names(user) & OFFICE_ROLES:
            abort(403)
        issue_id = request.values.get("issue", "")
        issue = db.session.get(Issue, int(issue_id)) if issue_id.isdigit() and len(issue_id) < 10 else None
        if issue is not None and not scope.visible(Issue, issue.id, user):
            issue = None
        errors = {}
        if request.method == "POST":
            try:
                notice = rules.create_draft(user, _form_values(request.form))
                rules.commit()
                flash("已起草交办通知单，请核对后提交审批。", "success")
                return redirect(url_for("NoticeView.show", pk=notice.id))
            except WorkflowError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
                flash(exc.message, "danger")
        body = rules.default_body(issue)
        return self.render_template(
            "cso/notice_new.html", issue=issue, body=body, sections=rules.SECTIONS, values=request.form,
            errors=errors, departments=self._departments(), cycles=rules.FEEDBACK_CYCLES, urgencies=rules.URGENCIES,
            bases=rules.BASES, default_cc=rules.DEFAULT_CC, existing=open_notices(issue.id) if issue else [])

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            notice = rules.load_for(user, pk)
            events = rules.history(user, pk)
        except WorkflowError:
            abort(404)
        actions = web.buttons(rules.WORKFLOW, user, notice)
        files = [a for a in _attachments(user, notice) if a.id != notice.document_attachment_id]
        issue = notice.issue
        office = bool(scope.role_names(user) & OFFICE_ROLES)
        return self.render_template(
            "cso/notice_show.html", notice=notice, item=register.serialize(notice), events=events, actions=actions,
            labels=rules.EVENT_LABELS, statuses=NOTICE_STATUSES, sections=rules.SECTIONS, files=files,
            deliveries=rules.DELIVERIES, departments=self._departments(), cycles=rules.FEEDBACK_CYCLES,
            urgencies=rules.URGENCIES, can_edit=office and notice.status == "draft",
            format_warning=rules.format_warning() if any(a["name"] == "register" for a in actions) else None,
            issue=issue, issue_visible=issue is not None and scope.visible(Issue, issue.id, user),
            may_override_close=office and issue is not None and issue.status == "resolved"
            and notice.status in NOTICE_OPEN)

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        done = web.post_action(rules.WORKFLOW, scope.current_user(), pk, lists=("co_departments",))
        if done is not None and request.form.get("action") == "register":
            warning = rules.format_warning()
            if warning:
                flash(warning, "warning")
        return redirect(url_for("NoticeView.show", pk=pk))

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def edit(self, pk):
        user = scope.current_user()
        values = _form_values(request.form)
        values.pop("issue", None)
        web.run(rules.WORKFLOW, lambda: rules.edit_draft(user, pk, values, request.form.get("version")), "已保存草稿。")
        return redirect(url_for("NoticeView.show", pk=pk))

    @expose("/<int:pk>/document")
    @has_access
    def document(self, pk):
        user = scope.current_user()
        try:
            rules.load_for(user, pk)  # out of scope (or no such notice): a plain 404
        except WorkflowError:
            abort(404)
        try:
            return file_views.download(api.stored_document(user, pk))
        except (WorkflowError, FileError) as exc:  # not registered yet, or the file is missing
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("NoticeView.show", pk=pk))


def _attachments(user, notice):
    from ..files.rules import list_for

    try:
        return list_for(user, "notice", notice.id)
    except FileError:
        return []


def register_views(appbuilder):
    appbuilder.add_view(NoticeView, "交办登记簿", href="/notices/", icon="fa-file-text-o", category=MENU_NOTICES,
                        category_icon="fa-paper-plane")
    appbuilder.add_api(api.NoticeApi)
