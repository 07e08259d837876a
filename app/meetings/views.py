"""Meeting screens: the register (会商会议, filters, export), a meeting's page with one form per allowed
action (workflow.web), its topics, participants with attendance, decisions, history and files
(print-friendly), the new-meeting form, and the decisions list (本单位会商事项 for a unit) with the
tracking sheet. Every change goes through app.meetings.rules / .decisions."""
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from .. import scope
from ..extensions import db
from ..files import rules as files
from ..files.views import download
from ..models import Department, Enterprise, Issue, Notice, Officer, User
from ..vocab import (
    ATTENDANCE, DECISION_STATUSES, DEPARTMENT, ENTERPRISE, MEETING_LEVELS, MEETING_STATUSES, MENU_MEETINGS,
    OFFICE_STAFF_ROLES,
)
from ..workflow import WorkflowError, web
from . import decisions, documents, listing, rules
from .api import _xlsx, docx_response
from .models import FEEDBACK_CYCLES

ROW_ACTIONS = ("remove_topic", "set_attendance", "remove_participant", "remove_decision")


def _pager(view, args, count, size, number):
    pages = max(1, (count + size - 1) // size)
    return {"page": number, "pages": pages,
            "link": lambda **kw: url_for(view) + "?" + urlencode({**args, **kw})}


def _conveners():
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
    return [u for u in users if scope.role_names(u) & OFFICE_STAFF_ROLES]


class MeetingView(BaseView):
    route_base = "/meetings"
    class_permission_name = "Meeting"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "document": "read", "notice": "read",
                              "register": "read", "add": "write", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            count, rows, size, number = listing.page(listing.meeting_query(user, args), args,
                                                     current_app.config["CSO_MAX_PAGE_SIZE"])
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("MeetingView.list"))
        return self.render_template(
            "cso/meeting_list.html", rows=rows, count=count, args=args, statuses=MEETING_STATUSES,
            levels=MEETING_LEVELS, can_add=rules.may_prepare(user), **_pager("MeetingView.list", args, count, size, number))

    @expose("/register.xlsx")
    @has_access
    def register(self):
        try:
            rows = db.session.scalars(listing.meeting_query(scope.current_user(), request.args)).all()
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("MeetingView.list"))
        return _xlsx(documents.register_sheet, rows, "会商会议登记簿.xlsx")

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        if not rules.may_prepare(user):
            abort(403)
        values, error = dict(request.form), None
        if request.method == "POST":
            try:
                meeting = rules.create_meeting(user, values.get("level"), values.get("title"), values.get("planned_at"),
                                               place=values.get("place"), convener=values.get("convener"))
                rules.WORKFLOW.commit()
                flash("已创建会商，请添加议题和参会单位。", "success")
                return redirect(url_for("MeetingView.show", pk=meeting.id))
            except WorkflowError as exc:
                db.session.rollback()
                error = exc.message
        return self.render_template("cso/meeting_new.html", values=values, error=error, levels=MEETING_LEVELS,
                                    conveners=_conveners(), is_director="Director" in scope.role_names(user))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            meeting = rules.load_for(user, pk)
            events = rules.history(user, pk)
        except WorkflowError:
            abort(404)
        actions = rules.allowed_actions(user, meeting)
        names = {a.name for a in actions}
        return self.render_template(
            "cso/meeting_show.html", meeting=meeting, events=events, labels=rules.EVENT_LABELS,
            statuses=MEETING_STATUSES, actions=[a for a in actions if a.name not in ROW_ACTIONS], allowed=names,
            attendance=ATTENDANCE, cycles=FEEDBACK_CYCLES, candidates=rules.candidate_issues(user) if names else [],
            issues=listing.issue_choices(user) if "add_topic" in names else [],
            departments=db.session.scalars(select(Department).order_by(Department.name)).all() if names else [],
            officers=db.session.scalars(select(Officer).where(Officer.active.is_(True)).order_by(Officer.name)).all()
            if "add_participant" in names else [],
            enterprises=db.session.scalars(select(Enterprise).order_by(Enterprise.name)).all()
            if "add_participant" in names else [],
            conveners=_conveners() if "designate" in names else [],
            decision_labels=DECISION_STATUSES,
            visible_issues=_visible_issues(user, [t.issue_id for t in meeting.topics]))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(rules.WORKFLOW, scope.current_user(), pk, lists=("co_departments",))
        return redirect(url_for("MeetingView.show", pk=pk))

    @expose("/<int:pk>/document")
    @has_access
    def document(self, pk):
        try:
            att = documents.minutes_file(scope.current_user(), pk)
            db.session.commit()
        except (WorkflowError, files.FileError) as exc:
            db.session.rollback()
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
            return redirect(url_for("MeetingView.show", pk=pk))
        return download(att)

    @expose("/<int:pk>/notice")
    @has_access
    def notice(self, pk):
        try:
            data, name = documents.notice_file(scope.current_user(), pk)
        except WorkflowError as exc:
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
            return redirect(url_for("MeetingView.show", pk=pk))
        return docx_response(data, name)


class DecisionView(BaseView):
    route_base = "/meeting_decisions"
    class_permission_name = "MeetingDecision"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "sheet": "read", "act": "write"}
    default_view = "list"

    @staticmethod
    def _title(user):
        roles = scope.role_names(user)
        if roles <= {DEPARTMENT}:
            return "本单位会商事项"
        if roles <= {ENTERPRISE}:
            return "本企业问题的会商议定事项"
        return "会商议定事项"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            count, rows, size, number = listing.page(listing.decision_query(user, args), args,
                                                     current_app.config["CSO_MAX_PAGE_SIZE"])
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("DecisionView.list"))
        depts = db.session.scalars(scope.restrict(Department, select(Department), user).order_by(Department.name)).all()
        return self.render_template(
            "cso/meeting_decisions.html", items=[listing.serialize_decision(d, user) for d in rows], count=count,
            args=args, statuses=DECISION_STATUSES, departments=depts, title=self._title(user),
            deliberation=listing.sees_deliberation(user), **_pager("DecisionView.list", args, count, size, number))

    @expose("/sheet.xlsx")
    @has_access
    def sheet(self):
        try:
            rows = db.session.scalars(listing.decision_query(scope.current_user(), request.args)).all()
        except listing.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("DecisionView.list"))
        return _xlsx(documents.tracking_sheet, rows, "会商议定事项督办台账.xlsx")

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            decision = decisions.load_for(user, pk)
            events = decisions.history(user, pk)
        except WorkflowError:
            abort(404)
        return self.render_template(
            "cso/meeting_decision.html", decision=decision, item=listing.serialize_decision(decision, user),
            events=events, labels=decisions.EVENT_LABELS, statuses=DECISION_STATUSES,
            actions=decisions.allowed_actions(user, decision), deliberation=listing.sees_deliberation(user),
            issue_visible=bool(_visible_issues(user, [decision.issue_id])), notices=_notices_of(user, decision.id))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        user = scope.current_user()
        done = web.post_action(decisions.WORKFLOW, user, pk)
        made = _notices_of(user, pk) if done is not None and request.form.get("action") == "to_notice" else []
        if made:  # straight on to the new draft: the office checks it and submits it for approval
            return redirect(url_for("NoticeView.show", pk=made[-1].id))
        return redirect(url_for("DecisionView.show", pk=pk))


def _visible_issues(user, issue_ids):
    """Of these problems, the ids whose ledger page the user may open (no link that ends in a 404)."""
    ids = [i for i in issue_ids if i is not None]
    if not ids:
        return set()
    return set(db.session.scalars(scope.restrict(Issue, select(Issue.id), user).where(Issue.id.in_(ids))))


def _notices_of(user, decision_id):
    """The assignment notices made from this decision that the user may see, oldest first."""
    return db.session.scalars(scope.restrict(Notice, select(Notice), user).where(
        Notice.decision_id == decision_id).order_by(Notice.id)).all()


def register(appbuilder):
    appbuilder.add_view(MeetingView, "会商会议", href="/meetings/", icon="fa-users", category=MENU_MEETINGS,
                        category_icon="fa-handshake-o")
    appbuilder.add_view(DecisionView, "议定事项", href="/meeting_decisions/", icon="fa-check-square-o",
                        category=MENU_MEETINGS)
