"""代办 screens: the list (代办件, filters, 代办台账 .xlsx), booking (企业预约 / 服务官登记), a case's page with
one form per action the viewer may take now, its steps, checklist, history, documents and attachments,
and the catalogue of service items (kept by the office). Every decision is in app.proxy.rules."""
from urllib.parse import urlencode

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from .. import clock, downloads, idempotency, scope
from ..extensions import db
from ..files import rules as files
from ..models import Department, Enterprise
from ..vocab import (
    ENTERPRISE, MENU_PROXY, OFFICE_ROLES, OFFICER, PROXY_LIMIT_KINDS, PROXY_MODES, PROXY_STATUSES, PROXY_STOP_REASONS,
)
from ..workflow import WorkflowError
from . import catalogue, documents, listing, rules
from .models import ProxyCase

FORM_CONTROL = ("csrf_token", "action", "version", idempotency.FORM_FIELD)
LISTS = ("items", "received")


def form_params(form):
    params = {k: v for k, v in form.items() if k not in FORM_CONTROL and k not in LISTS and v != ""}
    for name in LISTS:
        if name in form:
            params[name] = [v for v in form.getlist(name) if v]
    return params


docx_response, xlsx_response = downloads.docx, downloads.xlsx  # (the API imports them from here)


def _attachments(user, case):
    try:
        return files.list_for(user, "proxy_case", case.id)
    except files.FileError:
        return []


class ProxyView(BaseView):
    route_base = "/proxy"
    class_permission_name = "ProxyCase"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "document": "read", "ledger": "read",
                              "add": "write", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            count, rows, size, number = listing.page(user, args)
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("ProxyView.list"))
        today = clock.today()
        return self.render_template(
            "cso/proxy_list.html", rows=rows, count=count, args=args, statuses=PROXY_STATUSES, today=today,
            overdue={c.id for c in rows if any(rules.is_overdue(s, today) for s in c.steps)},
            can_add=rules.may_book(user) and scope.has_permission(user, "can_write", "ProxyCase"),
            page=number, pages=max(1, (count + size - 1) // size),
            link=lambda **kw: url_for("ProxyView.list") + "?" + urlencode({**args, **kw}))

    @expose("/ledger.xlsx")
    @has_access
    def ledger(self):
        try:
            rows = db.session.scalars(listing.case_query(scope.current_user(), request.args)).all()
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("ProxyView.list"))
        return xlsx_response(documents.ledger_bytes(rows), f"代办台账（截至{clock.today().isoformat()}）.xlsx")

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        if not rules.may_book(user):
            abort(403)
        roles = scope.role_names(user)
        values, error = request.form, None
        if request.method == "POST":
            try:
                data = form_params(request.form)
                case = idempotency.once(ProxyCase, lambda: rules.create_case(user, data))
                rules.commit()
                flash(f"已登记代办件 {case.number}。", "success")
                return redirect(url_for("ProxyView.show", pk=case.id))
            except WorkflowError as exc:
                db.session.rollback()
                error = exc.message
                flash(exc.message, "danger")
        enterprises = [] if not roles & (OFFICE_ROLES | {OFFICER}) else db.session.scalars(
            scope.restrict(Enterprise, select(Enterprise), user).order_by(Enterprise.name)).all()
        return self.render_template(
            "cso/proxy_new.html", values=values, error=error, enterprises=enterprises, items=catalogue.items(),
            is_enterprise=not roles & (OFFICE_ROLES | {OFFICER}) and ENTERPRISE in roles,
            chosen={int(v) for v in request.form.getlist("items") if v.isdigit()},
            idem_token=request.form.get(idempotency.FORM_FIELD) if error else idempotency.new_token())

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            case = rules.load_for(user, pk)
            events = rules.history(user, pk)
        except WorkflowError:
            abort(404)
        actions = rules.allowed_actions(user, case)
        names = {a.name for a in actions}
        today = clock.today()
        officers = [o for o in rules._serving_officers(case.enterprise_id) if o.id != case.officer_id] \
            if "reassign" in names else []
        return self.render_template(
            "cso/proxy_show.html", case=case, item=listing.serialize(case, today), events=events,
            labels=rules.EVENT_LABELS, statuses=PROXY_STATUSES, actions=actions, names=names, modes=PROXY_MODES,
            reasons=PROXY_STOP_REASONS, files=_attachments(user, case), officers=officers, today=today,
            catalogue=[it for it in case.scope_items if it.id not in {s.item_id for s in case.steps}],
            kinds=rules.role_kinds(user, case), hours=rules.hours_text(),
            auth_problem=rules.authorization_problem(case) if case.status in ("authorized", "in_progress") else None,
            documents=documents.KINDS)

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        user = scope.current_user()
        name = request.form.get("action", "")
        act = rules.ACTIONS.get(name)
        try:
            rules.transition(user, pk, name, form_params(request.form), request.form.get("version"))
            rules.commit()
        except WorkflowError as exc:
            db.session.rollback()
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
        else:
            flash(rules.DONE_MESSAGES.get(name) or (f"已{act.label}。" if act else "已完成。"), "success")
        return redirect(url_for("ProxyView.show", pk=pk))

    @expose("/<int:pk>/document/<kind>")
    @has_access
    def document(self, pk, kind):
        user = scope.current_user()
        try:
            case = rules.load_for(user, pk)
            data, name = documents.document(case, kind)
        except WorkflowError as exc:
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
            return redirect(url_for("ProxyView.show", pk=pk))
        return docx_response(data, name)


class ServiceItemView(BaseView):
    route_base = "/proxy/items"
    class_permission_name = "ServiceItem"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "save": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        editing = request.args.get("edit", "")
        return self.render_template(
            "cso/proxy_items.html", items=catalogue.items(active_only=False), kinds=PROXY_LIMIT_KINDS,
            may_edit=rules.may_keep_catalogue(user),
            departments=db.session.scalars(select(Department).order_by(Department.name)).all(),
            editing=int(editing) if editing.isdigit() and len(editing) < 10 else None)

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        user = scope.current_user()
        pk = request.form.get("id", "")
        data = {k: v for k, v in request.form.items() if k not in ("csrf_token", "id")}
        if pk:
            data.setdefault("active", "0")  # an unticked box sends nothing
        try:
            item = catalogue.save_item(user, data, int(pk) if pk.isdigit() and len(pk) < 10 else None)
            db.session.commit()
            flash(f"已保存代办事项“{item.name}”。", "success")
        except WorkflowError as exc:
            db.session.rollback()
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
        return redirect(url_for("ServiceItemView.list"))


def register_views(appbuilder):
    appbuilder.add_view(ProxyView, "代办件", href="/proxy/", icon="fa-handshake-o", category=MENU_PROXY,
                        category_icon="fa-handshake-o")
    appbuilder.add_view(ServiceItemView, "代办事项目录", href="/proxy/items/", icon="fa-list", category=MENU_PROXY)
