"""Screens of accountability: 通报批评 (list, page with actions, drafting from lateness records) and
督办单 (list, page with actions, the .docx). Every decision is in app.accountability.rules."""
import hashlib

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from .. import clock, scope
from ..exports.workbook import content_disposition
from ..extensions import db
from ..models import Department, Officer
from ..querystring import QueryError
from ..vocab import CRITICISM_BASES, CRITICISM_STATUSES, MENU_ACCOUNTABILITY, OFFICE_ROLES, URGE_STATUSES
from ..workflow import WorkflowError, web
from . import listing, rules
from .documents import urge_document
from .models import CriticismEvent, UrgeEvent


def _events(model, column, pk):
    return db.session.scalars(select(model).where(column == pk).order_by(model.id)).all()


def _labels(workflow):
    """The history's 操作 column in Chinese: the workflow's action labels, and 起草 for the first event."""
    return {"create": "起草", **{name: a.label for name, a in workflow.actions.items()}}


class CriticismView(BaseView):
    route_base = "/criticisms"
    class_permission_name = "Criticism"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "act": "write", "add": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        try:
            rows = listing.criticisms(user, request.args)
        except QueryError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("CriticismView.list"))
        office = bool(scope.role_names(user) & OFFICE_ROLES)
        return self.render_template(
            "cso/accountability_list.html", title="通报批评", kind="criticism", statuses=CRITICISM_STATUSES,
            items=[listing.criticism_json(c) for c in rows], args=request.args, office=office,
            bases=CRITICISM_BASES, departments=db.session.scalars(select(Department).order_by(Department.name)).all()
            if office else [], officers=db.session.scalars(select(Officer).order_by(Officer.name)).all() if office else [])

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            doc = rules.CRITICISMS.load(user, pk)
        except WorkflowError:
            abort(404)
        return self.render_template(
            "cso/accountability_show.html", kind="criticism", doc=doc, item=listing.criticism_json(doc),
            actions=web.buttons(rules.CRITICISMS, user, doc), statuses=CRITICISM_STATUSES,
            events=_events(CriticismEvent, CriticismEvent.criticism_id, doc.id), labels=_labels(rules.CRITICISMS),
            act_url=url_for("CriticismView.act", pk=doc.id), back=url_for("CriticismView.list"))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(rules.CRITICISMS, scope.current_user(), pk)
        return redirect(url_for("CriticismView.show", pk=pk))

    @expose("/new", methods=["POST"])
    @has_access
    def add(self):
        """The office drafts a criticism: by hand, or from an officer's lateness records (履职记录)."""
        user, form = scope.current_user(), request.form
        records = [int(v) for v in form.getlist("duty_records") if v.isdigit()]

        def draft():
            if records:
                return rules.criticism_from_duty_records(user, records)
            return rules.draft_criticism(user, form.get("basis"), form.get("title"), form.get("text"),
                                         department_id=_int(form.get("department")), officer_id=_int(form.get("officer")))

        doc = web.run(rules.CRITICISMS, draft, "已起草通报批评，请提交办公室主任审定。")
        return redirect(url_for("CriticismView.show", pk=doc.id) if doc else url_for("CriticismView.list"))


def _int(value):
    return int(value) if value and str(value).isdigit() and len(str(value)) < 10 else None


class UrgeView(BaseView):
    route_base = "/urges"
    class_permission_name = "Urge"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "act": "write", "document": "read"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        try:
            rows = listing.urges(user, request.args)
        except QueryError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("UrgeView.list"))
        return self.render_template("cso/accountability_list.html", title="督办单", kind="urge", statuses=URGE_STATUSES,
                                    items=[listing.urge_json(u) for u in rows], args=request.args, office=False)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            doc = rules.URGES.load(user, pk)
        except WorkflowError:
            abort(404)
        return self.render_template(
            "cso/accountability_show.html", kind="urge", doc=doc, item=listing.urge_json(doc),
            actions=web.buttons(rules.URGES, user, doc), statuses=URGE_STATUSES,
            events=_events(UrgeEvent, UrgeEvent.urge_id, doc.id), labels=_labels(rules.URGES),
            act_url=url_for("UrgeView.act", pk=doc.id), back=url_for("UrgeView.list"))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(rules.URGES, scope.current_user(), pk)
        return redirect(url_for("UrgeView.show", pk=pk))

    @expose("/<int:pk>/document")
    @has_access
    def document(self, pk):
        """The sent 督办单 (.docx), rebuilt from its data; the stored hash proves it is the one sent."""
        try:
            doc = rules.URGES.load(scope.current_user(), pk)
        except WorkflowError:
            abort(404)
        if doc.status != "sent":
            abort(404)
        data = urge_document(doc, doc.number, clock.local(doc.sent_at).date())
        if doc.document_sha256 and hashlib.sha256(data).hexdigest() != doc.document_sha256:
            abort(409)
        name = f"督办单-{doc.number}.docx"
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": content_disposition(name, f"urge-{doc.id}.docx")})


def register(appbuilder):
    appbuilder.add_view(CriticismView, "通报批评", href="/criticisms/", icon="fa-bullhorn",
                        category=MENU_ACCOUNTABILITY, category_icon="fa-gavel")
    appbuilder.add_view(UrgeView, "督办单", href="/urges/", icon="fa-bell", category=MENU_ACCOUNTABILITY)
    from .api import CriticismApi, UrgeApi

    appbuilder.add_api(CriticismApi)
    appbuilder.add_api(UrgeApi)
