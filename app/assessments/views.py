"""Screens of assessments (考核评价): schemes (CRUD, preview against last quarter), cycles with the
ranking table (bands, rank arrows) and their actions, the score sheet per subject with its evidence,
my results, the appeal queue, the ladder cases, the annual summary and the settings. Every change
goes through the rule modules (schemes, cycles, appeals, ladder, annual, settings)."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from .. import clock, downloads, idempotency, scope
from ..extensions import db
from ..validation import valid_id
from ..vocab import (
    APPEAL_STATUSES, ASSESSMENT_BANDS, ASSESSMENT_CASE_STATUSES, ASSESSMENT_CYCLE_STATUSES, ASSESSMENT_DIMENSIONS,
    ASSESSMENT_PERIODS, ASSESSMENT_RULES, ASSESSMENT_SUBJECTS, MENU_ASSESSMENT, OFFICE_ROLES,
)
from ..workflow import WorkflowError, web
from . import annual, appeals, cycles, exports, ladder, listing, metrics, schemes, settings
from .models import Assessment, AssessmentScheme, AssessmentVersion

T = "assessments/"


_xlsx = downloads.xlsx


def _attempt(change, success, back):
    """Run a rule change, commit, flash in Chinese; 404 stays a 404."""
    try:
        result = change()
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "danger")
        return redirect(back)
    flash(success, "success")
    return result


def _office(user):
    return bool(scope.role_names(user) & OFFICE_ROLES)


def _item_form(form):
    params = form.get("params") or ""
    return {"name": form.get("name"), "dimension": form.get("dimension"), "rule": form.get("rule"),
            "metric": form.get("metric"), "max_points": form.get("max_points"), "params": params}


class SchemeView(BaseView):
    route_base = "/assessments/schemes"
    class_permission_name = "AssessmentScheme"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "preview": "read", "add": "write", "edit": "write",
                              "item": "write", "item_delete": "write", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        rows = db.session.scalars(scope.restrict(AssessmentScheme, select(AssessmentScheme), user).order_by(
            AssessmentScheme.subject.desc(), AssessmentScheme.version.desc())).all()
        return self.render_template(T + "schemes.html", rows=rows, can_edit=_office(user), subjects=ASSESSMENT_SUBJECTS,
                                    periods=ASSESSMENT_PERIODS, token=idempotency.new_token())

    @expose("/new", methods=["POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        f = request.form
        back = url_for("SchemeView.list")
        done = _attempt(lambda: idempotency.once("AssessmentScheme", lambda: schemes.create(
            user, f.get("name"), f.get("subject"), f.get("period_kind") or "quarter", f.get("source_note"))),
            "已创建方案草稿，请添加考核项。", back)
        return done if not isinstance(done, AssessmentScheme) else redirect(url_for("SchemeView.show", pk=done.id))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            scheme = schemes.load(user, pk)
        except WorkflowError:
            abort(404)
        editable = _office(user) and scheme.status == "draft" and not schemes.in_use(scheme)
        return self.render_template(T + "scheme_show.html", scheme=scheme, s=listing.serialize_scheme(scheme),
                                    editable=editable, can_edit=_office(user), dimensions=ASSESSMENT_DIMENSIONS,
                                    rules=ASSESSMENT_RULES, metrics=metrics.choices(scheme.subject),
                                    cycles_using=cycles.count_cycles(scheme.id), edit_item=request.args.get("item", type=int),
                                    params_text=listing.params_text)

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def edit(self, pk):
        user = scope.current_user()
        back = url_for("SchemeView.show", pk=pk)
        _attempt(lambda: schemes.update(user, pk, request.form.get("name"), request.form.get("source_note")), "已保存。", back)
        return redirect(back)

    @expose("/<int:pk>/item", methods=["POST"])
    @has_access
    def item(self, pk):
        user = scope.current_user()
        back = url_for("SchemeView.show", pk=pk)
        item_id = request.form.get("item_id", type=int)
        _attempt(lambda: schemes.save_item(user, pk, _item_form(request.form), item_id), "已保存考核项。", back)
        return redirect(back)

    @expose("/<int:pk>/item/<int:item_id>/delete", methods=["POST"])
    @has_access
    def item_delete(self, pk, item_id):
        back = url_for("SchemeView.show", pk=pk)
        _attempt(lambda: schemes.delete_item(scope.current_user(), pk, item_id), "已删除考核项。", back)
        return redirect(back)

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        user = scope.current_user()
        name = request.form.get("action")
        back = url_for("SchemeView.show", pk=pk)
        fns = {"activate": (schemes.activate, "方案已启用。"), "retire": (schemes.retire, "方案已停用。"),
               "copy": (schemes.copy, "已复制为新版本草稿。"), "delete": (schemes.delete, "已删除方案草稿。")}
        if name not in fns:
            flash("未知的操作。", "danger")
            return redirect(back)
        fn, msg = fns[name]
        done = _attempt(lambda: fn(user, pk), msg, back)
        if name == "delete" and not hasattr(done, "status_code"):
            return redirect(url_for("SchemeView.list"))
        if isinstance(done, AssessmentScheme):
            return redirect(url_for("SchemeView.show", pk=done.id))
        return done if hasattr(done, "status_code") else redirect(back)

    @expose("/<int:pk>/preview")
    @has_access
    def preview(self, pk):
        user = scope.current_user()
        try:
            p, results = schemes.preview(user, pk, request.args.get("period") or None)
        except ValueError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("SchemeView.show", pk=pk))
        except WorkflowError as exc:
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
            return redirect(url_for("SchemeView.show", pk=pk))
        scheme = schemes.load(user, pk)
        return self.render_template(T + "preview.html", scheme=scheme, period=p, results=results, bands=ASSESSMENT_BANDS)


class CycleView(BaseView):
    route_base = "/assessments/cycles"
    class_permission_name = "AssessmentCycle"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "ranking": "read", "annual": "read", "annual_xlsx": "read",
                              "add": "write", "act": "write", "config": "write", "overall": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        rows = db.session.scalars(cycles.cycle_query(user, request.args)).all()
        return self.render_template(T + "cycles.html", rows=rows, can_edit=_office(user), subjects=ASSESSMENT_SUBJECTS,
                                    default_period=listing.stats.period("quarter", clock.today()).key)

    @expose("/new", methods=["POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        done = _attempt(lambda: cycles.open_cycle(user, request.form.get("period"), request.form.get("subject")),
                        "已开启考核周期。", url_for("CycleView.list"))
        return redirect(url_for("CycleView.show", pk=done.id)) if hasattr(done, "scheme_id") else done

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            cycle = cycles.load(user, pk)
        except WorkflowError:
            abort(404)
        rows = sorted(cycle.assessments, key=lambda a: (a.rank or 0, a.subject_name))
        pending = sum(1 for a in rows for ln in a.lines if ln.state == "pending")
        return self.render_template(T + "cycle_show.html", cycle=cycle, rows=rows, items=list(cycle.scheme.items),
                                    actions=[a for a in cycles.allowed_actions(user, cycle) if a.name not in ("score", "comment")],
                                    events=cycles.history(cycle), labels=cycles.EVENT_LABELS,
                                    statuses=ASSESSMENT_CYCLE_STATUSES, bands=ASSESSMENT_BANDS, pending=pending,
                                    period_label=listing.period_label(cycle.period))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        user = scope.current_user()
        if request.form.get("action") == "compute":  # 计算 runs as a background job (issue 14 item 5)
            from ..jobs import kinds as job_kinds

            job = web.run(cycles.WORKFLOW, lambda: job_kinds.assessment_as_job(user, pk, request.form.get("version")),
                          "已转入后台计算，完成后会通知您。")
            if job is not None:
                return redirect(url_for("JobView.show", pk=job.id))
            return redirect(url_for("CycleView.show", pk=pk))
        web.post_action(cycles.WORKFLOW, user, pk)
        back = request.form.get("next") or ""
        if back.startswith("/assessments/sheet/"):
            return redirect(back)
        return redirect(url_for("CycleView.show", pk=pk))

    @expose("/<int:pk>/ranking.xlsx")
    @has_access
    def ranking(self, pk):
        try:
            cycle = cycles.load(scope.current_user(), pk)
        except WorkflowError:
            abort(404)
        return _xlsx(exports.ranking(cycle), f"{cycle.period}{cycle.subject_label}考核结果排名表.xlsx")

    @expose("/settings", methods=["GET", "POST"])
    @has_access
    def config(self):
        user = scope.current_user()
        if not _office(user):
            abort(403)
        if request.method == "POST":
            changes = {k: request.form.get(k) for k in settings.LABELS if request.form.get(k) not in (None, "")}
            try:
                settings.save(**changes)
                db.session.commit()
                flash("考核设置已保存（已公布的结果不变，下次计算时生效）。", "success")
            except settings.SettingsError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            return redirect(url_for("CycleView.config"))
        return self.render_template(T + "settings.html", current=settings.get(), labels=settings.LABELS)

    def _annual_args(self):
        year = request.args.get("year", type=int) or clock.today().year
        subject = request.args.get("subject") if request.args.get("subject") in ASSESSMENT_SUBJECTS else "officer"
        if not 2000 <= year <= 2100:
            abort(404)
        return year, subject

    @expose("/annual")
    @has_access
    def annual(self):
        year, subject = self._annual_args()
        return self.render_template(T + "annual.html", year=year, subject=subject, rows=annual.rows(year, subject),
                                    subjects=ASSESSMENT_SUBJECTS, s=settings.get(), can_edit=_office(scope.current_user()))

    @expose("/annual.xlsx")
    @has_access
    def annual_xlsx(self):
        year, subject = self._annual_args()
        return _xlsx(exports.annual_summary(year, subject, annual.rows(year, subject)),
                     f"{year}年度{ASSESSMENT_SUBJECTS[subject]}考核结果汇总表.xlsx")

    @expose("/annual", methods=["POST"])
    @has_access
    def overall(self):
        f = request.form
        back = url_for("CycleView.annual", year=f.get("year"), subject=f.get("subject"))
        _attempt(lambda: annual.set_overall(scope.current_user(), f.get("year"), f.get("subject"), f.get("subject_id"),
                                            f.get("overall"), f.get("note")), "已录入综合评价。", back)
        return redirect(back)


class SheetView(BaseView):
    route_base = "/assessments/sheet"
    class_permission_name = "Assessment"
    base_permissions = ["can_read"]
    method_permission_name = {"mine": "read", "show": "read", "xlsx": "read"}
    default_view = "mine"

    def _load(self, pk):
        user = scope.current_user()
        a = db.session.get(Assessment, pk) if valid_id(pk) else None
        if a is None or not scope.visible(Assessment, pk, user):
            abort(404)
        return user, a

    @expose("/")
    @has_access
    def mine(self):
        user = scope.current_user()
        rows = db.session.scalars(listing.assessment_query(user, {})).all()
        if scope.sees_all(user):
            return redirect(url_for("CycleView.list"))
        return self.render_template(T + "mine.html", rows=rows, bands=ASSESSMENT_BANDS)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user, a = self._load(pk)
        item = listing.serialize(a, user)
        cycle = a.cycle
        kinds = cycles.role_kinds(user, cycle)
        may_score = "office" in kinds and cycle.status == "frozen"
        versions = db.session.scalars(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id)
                                      .order_by(AssessmentVersion.revision)).all()
        my_appeals = db.session.scalars(appeals.appeal_query(user, {"assessment": a.id})).all()
        return self.render_template(T + "sheet.html", a=a, item=item, cycle=cycle, may_score=may_score,
                                    may_appeal=appeals.may_appeal(user, a) is None, appeal_refusal=appeals.may_appeal(user, a),
                                    is_subject=appeals.is_subject(user, a), versions=versions, appeals=my_appeals,
                                    bands=ASSESSMENT_BANDS, token=idempotency.new_token(),
                                    sees_cycle=scope.sees_all(user), s=settings.get())

    @expose("/<int:pk>.xlsx")
    @has_access
    def xlsx(self, pk):
        _, a = self._load(pk)
        return _xlsx(exports.score_detail(a), f"{a.cycle.period}考核得分明细表-{a.subject_name}.xlsx")


class AppealView(BaseView):
    route_base = "/assessments/appeals"
    class_permission_name = "Appeal"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "add": "write", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        status = request.args.get("status") if request.args.get("status") in APPEAL_STATUSES else None
        rows = db.session.scalars(appeals.appeal_query(user, {"status": status})).all()
        return self.render_template(T + "appeals.html", rows=rows, statuses=APPEAL_STATUSES, status=status)

    @expose("/new", methods=["POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        f = request.form
        aid = f.get("assessment", type=int)
        back = url_for("SheetView.show", pk=aid) if aid else url_for("AppealView.list")
        done = _attempt(lambda: idempotency.once("Appeal", lambda: appeals.file(user, aid, f.get("reason"), f.get("item") or None)),
                        "申诉已提交，办公室将在复核后答复。", back)
        return redirect(url_for("AppealView.show", pk=done.id)) if hasattr(done, "reason") else done

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            appeal = appeals.load(user, pk)
        except WorkflowError:
            abort(404)
        return self.render_template(T + "appeal_show.html", appeal=appeal, a=appeal.assessment,
                                    actions=appeals.WORKFLOW.allowed(user, appeal), events=appeals.history(appeal),
                                    labels=appeals.EVENT_LABELS, statuses=APPEAL_STATUSES)

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(appeals.WORKFLOW, scope.current_user(), pk)
        return redirect(url_for("AppealView.show", pk=pk))


class CaseView(BaseView):
    route_base = "/assessments/cases"
    class_permission_name = "AssessmentCase"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "act": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        status = request.args.get("status") if request.args.get("status") in ASSESSMENT_CASE_STATUSES else None
        rows = db.session.scalars(ladder.case_query(user, {"status": status})).all()
        return self.render_template(T + "cases.html", rows=rows, statuses=ASSESSMENT_CASE_STATUSES, status=status,
                                    subjects=ASSESSMENT_SUBJECTS)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            case = ladder.load(user, pk)
        except WorkflowError:
            abort(404)
        a = db.session.scalar(select(Assessment).where(Assessment.cycle_id == case.cycle_id,
                                                       Assessment.subject_id == case.subject_id,
                                                       Assessment.subject_type == case.subject_type))
        return self.render_template(T + "case_show.html", case=case, a=a, actions=ladder.WORKFLOW.allowed(user, case),
                                    events=ladder.history(case), labels=ladder.EVENT_LABELS,
                                    statuses=ASSESSMENT_CASE_STATUSES, subjects=ASSESSMENT_SUBJECTS)

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(ladder.WORKFLOW, scope.current_user(), pk)
        return redirect(url_for("CaseView.show", pk=pk))


def register(appbuilder):
    cat = dict(category=MENU_ASSESSMENT, category_icon="fa-trophy")
    appbuilder.add_view(SchemeView, "考核方案", href="/assessments/schemes/", icon="fa-list-ol", **cat)
    appbuilder.add_view(CycleView, "考核周期", href="/assessments/cycles/", icon="fa-calendar-check-o", **cat)
    appbuilder.add_view(SheetView, "我的考核", href="/assessments/sheet/", icon="fa-id-card-o", **cat)
    appbuilder.add_view(AppealView, "申诉复核", href="/assessments/appeals/", icon="fa-balance-scale", **cat)
    appbuilder.add_view(CaseView, "问责跟踪", href="/assessments/cases/", icon="fa-exclamation-triangle", **cat)
