"""Screens of the surveys (考核评价 menu): requests and answers, the one-time page ``/s/<token>`` (no
login), results per officer and unit with the .xlsx summary, templates, bad-review cases and
inspections. Every decision is in the rules modules; these parse, call, commit and render."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from .. import clock, idempotency, scope, stats
from ..exports.workbook import content_disposition
from ..extensions import db
from ..models import Department, Enterprise, Officer
from ..querystring import QueryError
from ..validation import valid_id
from ..vocab import (
    BAD_REVIEW_STATUSES, ENTERPRISE, INSPECTION_METHODS, INSPECTION_RATINGS, MENU_ASSESSMENT, OFFICE_ROLES, SEES_ALL_ROLES,
    SURVEY_CHANNELS, SURVEY_DIMENSIONS, SURVEY_KINDS, SURVEY_LEVELS, SURVEY_REQUEST_STATUSES, SURVEY_TARGETS,
)
from ..workflow import WorkflowError, web
from . import bad_reviews, inspections, listing, results, rules
from .models import Inspection, SurveyRequest, SurveyTemplate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _office(user):
    return bool(scope.role_names(user) & OFFICE_ROLES)


def _fail(exc):
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    flash(exc.message, "danger")


class SurveyView(BaseView):
    route_base = "/surveys"
    class_permission_name = "SurveyRequest"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "answer": "write", "link": "write",
                              "callback": "write", "quarter": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        try:
            rows = listing.requests(user, request.args)
        except QueryError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("SurveyView.list"))
        office = _office(user)
        return self.render_template(
            "surveys/requests.html", rows=[listing.request_json(r) for r in rows], args=request.args, office=office,
            kinds=SURVEY_KINDS, statuses=SURVEY_REQUEST_STATUSES,
            enterprises=listing.enterprises_for_callback() if office else [],
            quarter=stats.period("quarter", clock.today()).key, idem=idempotency.new_token())

    def _show(self, req, link=None):
        user = scope.current_user()
        office = _office(user)
        item = listing.request_json(req, user, answers=True)
        enterprise_may = (req.status == "pending" and ENTERPRISE in scope.role_names(user)
                          and scope.visible(SurveyRequest, req.id, user))
        return self.render_template(
            "surveys/request_show.html", req=req, item=item, office=office, link=link,
            form_groups=rules.form_groups(req) if req.status == "pending" else [],
            script=rules.active_template("callback").intro if office and req.status == "pending" else "",
            may_answer=enterprise_may, may_record=office and req.status == "pending", levels=SURVEY_LEVELS,
            channels={k: v for k, v in SURVEY_CHANNELS.items() if k in ("phone", "paper")},
            answer_labels=_answer_labels(req))

    @expose("/requests/<int:pk>")
    @has_access
    def show(self, pk):
        try:
            req = rules.load(scope.current_user(), pk)
        except WorkflowError:
            abort(404)
        return self._show(req)

    @expose("/requests/<int:pk>/answer", methods=["POST"])
    @has_access
    def answer(self, pk):
        user = scope.current_user()
        try:
            req = rules.load(user, pk)
            channel = request.form.get("channel") if _office(user) else "portal"
            rules.submit(user, req, request.form.to_dict(), channel)
            rules.commit()
        except WorkflowError as exc:
            _fail(exc)
            return redirect(url_for("SurveyView.show", pk=pk))
        flash("评价已提交，感谢！" if channel == "portal" else "回访结果已录入。", "success")
        return redirect(url_for("SurveyView.show", pk=pk))

    @expose("/requests/<int:pk>/link", methods=["POST"])
    @has_access
    def link(self, pk):
        """A new one-time link, shown on this page once (only its hash is kept)."""
        user = scope.current_user()
        try:
            token = rules.issue_link(user, pk)
            rules.commit()
            req = rules.load(user, pk)
        except WorkflowError as exc:
            _fail(exc)
            return redirect(url_for("SurveyView.show", pk=pk))
        return self._show(req, link=url_for("PublicSurveyView.page", token=token, _external=True))

    @expose("/callback", methods=["POST"])
    @has_access
    def callback(self):
        user = scope.current_user()
        try:
            req = idempotency.once(SurveyRequest, lambda: rules.create_callback(user, request.form.get("enterprise")))
            rules.commit()
        except WorkflowError as exc:
            _fail(exc)
            return redirect(url_for("SurveyView.list"))
        flash("已建立电话回访，请按话术询问后录入结果。", "success")
        return redirect(url_for("SurveyView.show", pk=req.id))

    @expose("/quarter", methods=["POST"])
    @has_access
    def quarter(self):
        user = scope.current_user()
        from ..jobs import kinds as job_kinds  # the mailing runs as a background job (issue 14 item 5)

        try:
            job = job_kinds.survey_as_job(user, request.form.get("period"))
        except WorkflowError as exc:
            db.session.rollback()
            _fail(exc)
            return redirect(url_for("SurveyView.list"))
        flash(f"已转入后台发出：{job.title}，完成后会通知您。", "info")
        return redirect(url_for("JobView.show", pk=job.id))


def _answer_labels(req):
    names = rules.target_names(req.targets)
    return {(k, i): n for k in SURVEY_TARGETS for i, n in names.get(k, [])}


class PublicSurveyView(BaseView):
    """The one-time survey page: no login, single use, expiring; CSRF-protected like every form."""

    route_base = "/s"
    default_view = "page"

    def _render(self, **kw):
        return render_template("surveys/public.html", levels=SURVEY_LEVELS, **kw)

    @expose("/<token>", methods=["GET", "POST"])
    def page(self, token):
        try:
            req = rules.by_token(token)
        except WorkflowError as exc:
            db.session.rollback()
            return self._render(closed=exc.message), exc.status
        errors = None
        if request.method == "POST":
            try:
                rules.submit(scope.current_user(), req, request.form.to_dict(), "link", via_token=True)
                rules.commit()
                return self._render(closed="评价已提交，感谢您对我们工作的支持！", thanks=True)
            except WorkflowError as exc:
                db.session.rollback()
                errors = exc.message
                req = rules.by_token(token)
        return self._render(req=req, groups=rules.form_groups(req), error=errors, values=request.form,
                            enterprise=req.enterprise.name if req.enterprise else "")


class SurveyResultView(BaseView):
    route_base = "/surveys/results"
    class_permission_name = "SurveyResult"
    base_permissions = ["can_read"]
    method_permission_name = {"list": "read", "export": "read", "mine": "read"}
    default_view = "list"

    def _period(self):
        value = request.args.get("period") or stats.period("quarter", clock.today()).key
        return stats.parse_period(value)

    @expose("/")
    @has_access
    def list(self):
        try:
            period = self._period()
        except ValueError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("SurveyResultView.list"))
        user = scope.current_user()
        tables = results.tables(user, period)
        return self.render_template("surveys/results.html", period=period, tables=tables,
                                    dimensions=SURVEY_DIMENSIONS, targets=SURVEY_TARGETS,
                                    definition=stats.RATES["satisfaction"].definition,
                                    sees_all=bool(scope.role_names(user) & SEES_ALL_ROLES))

    @expose("/mine")
    @has_access
    def mine(self):
        """The rated party's own ratings, period by period once the assessments have published it."""
        user = scope.current_user()
        if scope.role_names(user) & SEES_ALL_ROLES:
            return redirect(url_for("SurveyView.list"))
        return self.render_template("surveys/mine.html", groups=results.own_answers(user), targets=SURVEY_TARGETS)

    @expose("/export.xlsx")
    @has_access
    def export(self):
        try:
            period = self._period()
        except ValueError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("SurveyResultView.list"))
        data = results.workbook(scope.current_user(), period)
        name = f"满意度测评汇总表-{period.key}.xlsx"
        return Response(data, mimetype=XLSX,
                        headers={"Content-Disposition": content_disposition(name, f"satisfaction-{period.key}.xlsx")})


class SurveyTemplateView(BaseView):
    route_base = "/surveys/templates"
    class_permission_name = "SurveyTemplate"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        rows = db.session.scalars(db.select(SurveyTemplate).order_by(SurveyTemplate.kind, SurveyTemplate.version.desc()))
        return self.render_template("surveys/templates.html", rows=[(t, rules.locked(t)) for t in rows],
                                    office=_office(scope.current_user()))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        tpl = db.session.get(SurveyTemplate, pk) if valid_id(pk) else None
        if tpl is None:
            abort(404)
        locked = rules.locked(tpl)
        return self.render_template("surveys/template_show.html", tpl=tpl, locked=locked,
                                    office=_office(scope.current_user()), targets=SURVEY_TARGETS,
                                    dimensions=SURVEY_DIMENSIONS, editable=tpl.status == "draft" and not locked)

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        user, form = scope.current_user(), request.form
        name = form.get("action")
        target = pk
        try:
            if name == "new_version":
                target = rules.new_version(user, pk).id
                message = "已复制为新的草稿版本。"
            elif name == "add_question":
                rules.add_question(user, pk, form.get("target"), form.get("dimension") or None, form.get("qtype"),
                                   form.get("text"), required=form.get("required") == "1")
                message = "已添加题目。"
            elif name == "remove_question":
                rules.remove_question(user, pk, form.get("question"))
                message = "已删除题目。"
            elif name == "activate":
                rules.activate(user, pk)
                message = "已启用该版本，原版本停用；已发出的评价仍按原版本作答。"
            else:
                raise WorkflowError(422, "未知的操作。")
            rules.commit()
        except WorkflowError as exc:
            _fail(exc)
            return redirect(url_for("SurveyTemplateView.show", pk=pk))
        flash(message, "success")
        return redirect(url_for("SurveyTemplateView.show", pk=target))


class BadReviewView(BaseView):
    route_base = "/surveys/bad_reviews"
    class_permission_name = "BadReview"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        try:
            rows = listing.bad_review_list(user, request.args)
        except QueryError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("BadReviewView.list"))
        return self.render_template("surveys/bad_reviews.html", rows=[listing.bad_review_json(c) for c in rows],
                                    args=request.args, statuses=BAD_REVIEW_STATUSES, targets=SURVEY_TARGETS)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            case = bad_reviews.load(user, pk)
        except WorkflowError:
            abort(404)
        labels = {"create": "立案", **{n: a.label for n, a in bad_reviews.WORKFLOW.actions.items()}}
        return self.render_template(
            "surveys/bad_review_show.html", case=case, item=listing.bad_review_json(case),
            actions=web.buttons(bad_reviews.WORKFLOW, user, case), events=case.events, labels=labels,
            statuses=BAD_REVIEW_STATUSES, param_labels=bad_reviews.PARAM_LABELS,
            request_visible=scope.visible(SurveyRequest, case.request_id, user))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(bad_reviews.WORKFLOW, scope.current_user(), pk)
        return redirect(url_for("BadReviewView.show", pk=pk))


class InspectionView(BaseView):
    route_base = "/surveys/inspections"
    class_permission_name = "Inspection"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "add": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        office = _office(user)
        return self.render_template(
            "surveys/inspections.html", rows=[inspections.as_json(r) for r in inspections.listing(user)],
            office=office, methods=INSPECTION_METHODS, ratings=INSPECTION_RATINGS, targets=SURVEY_TARGETS,
            officers=db.session.scalars(db.select(Officer).order_by(Officer.name)).all() if office else [],
            departments=db.session.scalars(db.select(Department).order_by(Department.name)).all() if office else [],
            enterprises=db.session.scalars(db.select(Enterprise).order_by(Enterprise.name)).all() if office else [],
            today=clock.today().isoformat(), idem=idempotency.new_token())

    @expose("/new", methods=["POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        try:
            idempotency.once(Inspection, lambda: inspections.record(user, request.form.to_dict()))
            db.session.commit()
        except WorkflowError as exc:
            _fail(exc)
            return redirect(url_for("InspectionView.list"))
        flash("督查记录已登记。", "success")
        return redirect(url_for("InspectionView.list"))


def register(appbuilder):
    appbuilder.add_view(SurveyView, "满意度调查", href="/surveys/", icon="fa-smile-o", category=MENU_ASSESSMENT,
                        category_icon="fa-star-half-o")
    appbuilder.add_view(SurveyResultView, "满意度统计", href="/surveys/results/", icon="fa-bar-chart",
                        category=MENU_ASSESSMENT)
    appbuilder.add_view(BadReviewView, "差评处理", href="/surveys/bad_reviews/", icon="fa-thumbs-o-down",
                        category=MENU_ASSESSMENT)
    appbuilder.add_view(InspectionView, "督查记录", href="/surveys/inspections/", icon="fa-search",
                        category=MENU_ASSESSMENT)
    appbuilder.add_view(SurveyTemplateView, "问卷模板", href="/surveys/templates/", icon="fa-list-alt",
                        category=MENU_ASSESSMENT)
    appbuilder.add_view_no_menu(PublicSurveyView())
