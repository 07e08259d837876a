"""Recall and handover screens: the office's recall page (suggested recalls, service periods ending,
enterprises' requests, the cases, the settings), a case's page with one form per allowed action, the
handover lists of officers and enterprises with their signing forms, the enterprise's request form
and the documents. Every change goes through app.recall.rules / .handover / .triggers / .settings."""
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from .. import idempotency, scope
from ..extensions import db
from ..files import rules as files
from ..models import Assignment, EnterpriseUser, Officer
from ..vocab import (
    HANDOVER_FREE_KINDS, HANDOVER_ITEM_KINDS, HANDOVER_STATUSES, MENU_RECALL, RECALL_APPROVERS,
    RECALL_EVIDENCE_KINDS, RECALL_REASONS, RECALL_REQUEST_STATUSES, RECALL_STATUSES,
)
from ..workflow import WorkflowError, web
from . import documents, handover as handovers, listing, rules, settings, triggers
from .api import docx_response, xlsx_response
from .models import RecallRequest


def _pager(view, args, count, size, number):
    pages = max(1, (count + size - 1) // size)
    return {"page": number, "pages": pages,
            "link": lambda **kw: url_for(view) + "?" + urlencode({**args, **kw})}


def _refuse(exc, back):
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    flash(exc.message, "danger")
    return redirect(back)


class RecallView(BaseView):
    route_base = "/recall"
    class_permission_name = "RecallCase"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "approval": "read", "add": "write", "act": "write",
                              "save_settings": "write", "extend": "write", "decline": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            count, rows, size, number = listing.page(listing.case_query(user, args), args,
                                                     current_app.config["CSO_MAX_PAGE_SIZE"])
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("RecallView.list"))
        office = rules.may_prepare(user)
        return self.render_template(
            "cso/recall_list.html", rows=rows, count=count, args=args, statuses=RECALL_STATUSES, office=office,
            suggestions=triggers.suggestions() if office else [],
            labels=triggers.TRIGGER_LABELS, terms=triggers.term_queue() if office else [],
            requests=db.session.scalars(select(RecallRequest).where(RecallRequest.status == "open")
                                        .order_by(RecallRequest.id)).all() if office else [],
            conf=settings.get(), approvers=RECALL_APPROVERS, setting_labels=settings.LABELS,
            **_pager("RecallView.list", args, count, size, number))

    @expose("/settings", methods=["POST"])
    @has_access
    def save_settings(self):
        if not rules.may_prepare(scope.current_user()):
            abort(403)
        try:
            settings.save(**{k: request.form.get(k) for k in settings.LABELS if request.form.get(k) not in (None, "")})
            db.session.commit()
            flash("已保存调整设置。", "success")
        except WorkflowError as exc:
            return _refuse(exc, url_for("RecallView.list"))
        return redirect(url_for("RecallView.list"))

    @expose("/term/<int:pk>/extend", methods=["POST"])
    @has_access
    def extend(self, pk):
        try:
            row = triggers.extend_term(scope.current_user(), pk, request.form.get("term_end"), request.form.get("note"))
            db.session.commit()
            flash(f"已延长服务期限至{row.term_end.isoformat()}。", "success")
        except WorkflowError as exc:
            return _refuse(exc, url_for("RecallView.list"))
        return redirect(url_for("RecallView.list"))

    @expose("/request/<int:pk>/decline", methods=["POST"])
    @has_access
    def decline(self, pk):
        try:
            triggers.decline_request(scope.current_user(), pk, request.form.get("answer"))
            db.session.commit()
            flash("已答复企业申请（不予调整）。", "success")
        except WorkflowError as exc:
            return _refuse(exc, url_for("RecallView.list"))
        return redirect(url_for("RecallView.list"))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        if not rules.may_prepare(user):
            abort(403)
        values = {**request.args, **request.form}
        error, field = None, None
        if request.method == "POST":
            try:
                case = idempotency.once("RecallCase", lambda: rules.create_case(
                    user, values.get("officer"), values.get("reason"), replacement=values.get("replacement"),
                    effective_on=values.get("effective_on"), reason_text=values.get("reason_text"),
                    assignments=request.form.getlist("assignments"), request=values.get("request"),
                    evidence=triggers.evidence_for(values["officer"]) if values.get("with_triggers") == "1"
                    and str(values.get("officer", "")).isdigit() else ()))
                rules.WORKFLOW.commit()
                flash(f"已发起调整 {case.number}，请登记依据和组织部意见后提交审批。", "success")
                return redirect(url_for("RecallView.show", pk=case.id))
            except WorkflowError as exc:
                db.session.rollback()
                error, field = exc.message, exc.field
        officers = db.session.scalars(select(Officer).where(Officer.active.is_(True)).order_by(Officer.name)).all()
        chosen = next((o for o in officers if str(o.id) == str(values.get("officer", ""))), None)
        return self.render_template(
            "cso/recall_new.html", values=values, error=error, field=field, officers=officers, chosen=chosen,
            assignments=rules.current_assignments(chosen.id) if chosen else [], reasons=RECALL_REASONS,
            triggered=triggers.evidence_for(chosen.id) if chosen else [],
            token=idempotency.new_token())

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
        return self.render_template(
            "cso/recall_show.html", case=case, events=events, labels=rules.EVENT_LABELS, statuses=RECALL_STATUSES,
            actions=[a for a in actions if a.name not in rules.ROW_ACTIONS], allowed=names, reasons=RECALL_REASONS,
            evidence_kinds=RECALL_EVIDENCE_KINDS, handover_statuses=HANDOVER_STATUSES,
            officers=db.session.scalars(select(Officer).where(Officer.active.is_(True), Officer.id != case.officer_id)
                                        .order_by(Officer.name)).all() if "edit" in names else [],
            current=rules.current_assignments(case.officer_id) if "edit" in names else [],
            files=files.list_for(user, "recall", case.id) if "consult" in names else [],
            consultation_missing=rules.consultation_missing(case), due=rules.due_refusal(case),
            conf=settings.get())

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(rules.WORKFLOW, scope.current_user(), pk, lists=("assignments",))
        return redirect(url_for("RecallView.show", pk=pk))

    @expose("/<int:pk>/approval.docx")
    @has_access
    def approval(self, pk):
        try:
            data, name = documents.approval_form(scope.current_user(), pk)
        except WorkflowError as exc:
            return _refuse(exc, url_for("RecallView.show", pk=pk))
        return docx_response(data, name)


class HandoverView(BaseView):
    route_base = "/handover"
    class_permission_name = "Handover"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "list_docx": "read", "list_xlsx": "read",
                              "letter": "read", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            count, rows, size, number = listing.page(listing.handover_query(user, args), args,
                                                     current_app.config["CSO_MAX_PAGE_SIZE"])
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("HandoverView.list"))
        officer = scope.officer_of(user)
        return self.render_template("cso/handover_list.html", rows=rows, count=count, args=args,
                                    statuses=HANDOVER_STATUSES, officer_id=officer.id if officer else None,
                                    **_pager("HandoverView.list", args, count, size, number))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            h = handovers.load_for(user, pk)
            events = handovers.history(user, pk)
        except WorkflowError:
            abort(404)
        actions = handovers.allowed_actions(user, h)
        return self.render_template(
            "cso/handover_show.html", h=h, events=events, labels=handovers.EVENT_LABELS, statuses=HANDOVER_STATUSES,
            actions=[a for a in actions if a.name not in handovers.ROW_ACTIONS], allowed={a.name for a in actions},
            notes=handovers.sees_notes(user), kinds=HANDOVER_ITEM_KINDS, free_kinds=HANDOVER_FREE_KINDS,
            may_see_case=scope.visible(type(h.case), h.case_id, user),
            missing_notes=sum(1 for i in h.items if not (i.note or "").strip()))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        user, form = scope.current_user(), request.form
        name = form.get("action", "")
        found = handovers.WORKFLOW.actions.get(name)
        web.run(handovers.WORKFLOW, lambda: handovers.transition(user, pk, name, web.form_params(form),
                                                                   form.get("version")),
                f"已{found.label}。" if found else "")
        return redirect(url_for("HandoverView.show", pk=pk))

    def _file(self, pk, make):
        try:
            return make(scope.current_user(), pk)
        except WorkflowError as exc:
            return _refuse(exc, url_for("HandoverView.show", pk=pk))

    @expose("/<int:pk>/list.docx")
    @has_access
    def list_docx(self, pk):
        made = self._file(pk, documents.list_docx)
        return docx_response(*made) if isinstance(made, tuple) else made

    @expose("/<int:pk>/list.xlsx")
    @has_access
    def list_xlsx(self, pk):
        made = self._file(pk, documents.list_xlsx)
        return xlsx_response(*made) if isinstance(made, tuple) else made

    @expose("/<int:pk>/letter.docx")
    @has_access
    def letter(self, pk):
        made = self._file(pk, documents.letter_docx)
        return docx_response(*made) if isinstance(made, tuple) else made


class RecallRequestView(BaseView):
    """The enterprise's 申请更换服务官: the form and its own requests with the office's answers."""

    route_base = "/recall_request"
    class_permission_name = "RecallRequest"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "read", "add": "write"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        user = scope.current_user()
        mine = db.session.scalars(scope.restrict(RecallRequest, select(RecallRequest), user)
                                  .order_by(RecallRequest.id.desc())).all()
        ent_id = db.session.scalar(select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id))
        chief = db.session.scalar(select(Officer).join(Assignment, Assignment.officer_id == Officer.id).where(
            Assignment.enterprise_id == ent_id, Assignment.role == "chief", Assignment.is_current).limit(1)) \
            if ent_id else None
        return self.render_template("cso/recall_request.html", mine=mine, chief=chief, token=idempotency.new_token(),
                                    request_statuses=RECALL_REQUEST_STATUSES,
                                    pending=any(r.status == "open" for r in mine))

    @expose("/", methods=["POST"])
    @has_access
    def add(self):
        try:
            idempotency.once("RecallRequest", lambda: triggers.file_request(scope.current_user(), request.form.get("reason")))
            db.session.commit()
            flash("已提交申请，首席服务官办公室将研究答复。", "success")
        except WorkflowError as exc:
            return _refuse(exc, url_for("RecallRequestView.index"))
        return redirect(url_for("RecallRequestView.index"))


def register(appbuilder):
    appbuilder.add_view(RecallView, "召回调整", href="/recall/", icon="fa-exchange", category=MENU_RECALL,
                        category_icon="fa-exchange")
    appbuilder.add_view(HandoverView, "工作交接", href="/handover/", icon="fa-list-alt", category=MENU_RECALL)
    appbuilder.add_view(RecallRequestView, "申请更换服务官", href="/recall_request/", icon="fa-commenting-o",
                        category=MENU_RECALL)

