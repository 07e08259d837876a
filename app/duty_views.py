"""Screens for duties and their rhythms: reports (周报/月报), duty records (迟报/漏报/催而不报/未走访),
the outbox, bulletins (通报), the beat schedule, and each user's mail preference."""
from urllib.parse import quote, urlencode

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, action, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from . import bulletins, clock, db, duties, mail, pinyin_order, report_listing, scope, stats
from .models import (
    DUTY_KINDS, REPORT_KINDS, AccountState, Bulletin, DutyRecord, Enterprise, Officer, OutboundMessage, Report,
)
from .querystring import QueryError
from .vocab import REPORT_OWN_HEADING, REPORT_STATE_CLASS, REPORT_STATES
from .validation import valid_id
from .accounts import mail_address
from .views import CSOModelView, nowrap
from .vocab import ADMIN, MENU_REPORTS, MENU_SETTINGS



class ReportsView(BaseView):
    route_base = "/reports"
    class_permission_name = "Report"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "save": "write", "xlsx": "read"}
    default_view = "list"

    def _visible(self):
        return scope.restrict(Report, select(Report), scope.current_user())

    def _args(self):
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        if args.get("status") in ("draft", "submitted") and "state" not in args:  # the old filter's links
            args["state"] = "draft,overdue" if args["status"] == "draft" else "submitted,late"
        args.pop("status", None)
        return args

    @expose("/")
    @has_access
    def list(self):
        user, today, args = scope.current_user(), clock.today(), self._args()
        try:
            rows = report_listing.rows(user, args, today)
        except QueryError as exc:
            flash(f"筛选条件有误（{exc.field}）：{exc.message}", "danger")
            return redirect(url_for("ReportsView.list"))
        officers = db.session.execute(scope.restrict(Officer, select(Officer.id, Officer.name), user)).all()
        enterprises = db.session.execute(scope.restrict(Enterprise, select(Enterprise.id, Enterprise.name), user)).all()
        regions = {r for r in db.session.scalars(scope.restrict(Enterprise, select(Enterprise.subdistrict), user)) if r}
        link = lambda **kw: url_for("ReportsView.list") + "?" + urlencode({**args, **kw})  # noqa: E731
        return self.render_template(
            "cso/reports.html", rows=[(r, *duties.report_state(r, today)) for r in rows], kinds=REPORT_KINDS,
            states=REPORT_STATES, state_class=REPORT_STATE_CLASS, args=args, today=today, link=link,
            sort_link=lambda column: report_listing.sort_link(args, column), sort=args.get("sort") or report_listing.DEFAULT_SORT,
            officers=pinyin_order.sort_rows(officers, key=lambda o: o.name),
            enterprises=pinyin_order.sort_rows(enterprises, key=lambda e: e.name),
            regions=pinyin_order.sort_rows(regions), week_label=report_period_label,
            limit=report_listing.LIMIT, query=urlencode(args))

    @expose("/xlsx")
    @has_access
    def xlsx(self):
        """The report list as .xlsx (the list's filters and sort)."""
        import io

        from .exports.reports import reports_workbook
        from .exports.workbook import content_disposition

        out = io.BytesIO()
        try:
            count = reports_workbook(scope.current_user(), self._args(), out)
        except QueryError as exc:
            flash(f"导出条件有误（{exc.field}）：{exc.message}", "danger")
            return redirect(url_for("ReportsView.list"))
        name = f"周报与月度工作台账_{clock.today():%Y%m%d}.xlsx"
        return Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": content_disposition(name, f"reports_{clock.today():%Y%m%d}.xlsx"),
                                 "Cache-Control": "no-store, private", "X-Export-Rows": str(count)})

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        report = db.session.scalar(self._visible().where(Report.id == int(pk))) if valid_id(pk) else None
        if report is None:
            abort(404)
        user = scope.current_user()
        mine = report.officer.user_id == (user.id if user else None)
        draft = report.status == "draft"
        facts = duties.fresh_facts(report) if draft else None  # a draft follows the data until submitted
        state, state_label = duties.report_state(report)
        return self.render_template(
            "cso/report_show.html", report=report, editable=mine and draft, today=clock.today(),
            facts=facts, notes=duties.report_notes(report), changes=duties.fact_changes(report, facts) if draft else [],
            own_heading=REPORT_OWN_HEADING, state=state, state_label=state_label, state_class=REPORT_STATE_CLASS,
            period_label=report_period_label(report))

    @expose("/<pk>", methods=["POST"])
    @has_access
    def save(self, pk):
        report = db.session.scalar(self._visible().where(Report.id == int(pk))) if valid_id(pk) else None
        if report is None:
            abort(404)
        user = scope.current_user()
        content = request.form.get("content", "")
        if request.form.get("submit"):
            try:
                duties.submit_report(user, report.id, content)
                db.session.commit()
                flash("已报送（报告中的走访和问题数据取报送时的最新数据）。", "success")
            except duties.DutyError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
        else:
            try:
                changes = duties.fact_changes(report)
                duties.save_draft(user, report.id, content)
                db.session.commit()
                flash("草稿已保存，走访和问题数据已更新。" if changes else "草稿已保存。", "success")
            except duties.DutyError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
        return redirect(url_for("ReportsView.show", pk=report.id))


def report_period_label(report):
    """期间 in words: 2026年第48周（11月23日—11月29日） or 2026年11月."""
    return stats.period("week" if report.kind == "weekly" else "month", report.period_start).label


def period_key_label(key):
    """A duty record's period key (2026-W48, 2026-11) in words, the key itself if it is not one."""
    try:
        return stats.parse_period(key).label
    except (ValueError, TypeError):
        return key or ""


class DutyRecordView(CSOModelView):
    datamodel = SQLAInterface(DutyRecord)
    class_permission_name = "DutyRecord"
    base_permissions = ["can_read"]
    list_title = show_title = "履职记录（迟报、漏报、催而不报、未按周走访）"
    label_columns = {"officer": "服务官", "officer.name": "服务官", "kind": "类型", "period": "期间",
                     "enterprise": "企业", "enterprise.name": "企业", "note": "说明", "created_at": "记录时间"}
    list_columns = ["created_at", "officer.name", "kind", "period", "enterprise.name", "note"]
    show_columns = ["created_at", "officer", "kind", "period", "enterprise", "note"]
    search_columns = ["officer", "enterprise", "kind", "period", "created_at", "note"]
    scoped_relations = ("officer", "enterprise")
    order_columns = ["created_at", "officer.name", "kind", "period", "enterprise.name", "note"]
    region_column = "officer_id"
    base_order = ("created_at", "desc")
    formatters_columns = {"kind": lambda v: nowrap(DUTY_KINDS.get(v, v)), "officer.name": nowrap,
                          "period": lambda v: period_key_label(v)}  # 2026年第48周（11月23日—11月29日）
    description_columns = {"period": "周如2026-W48，月如2026-11"}


class OutboxView(CSOModelView):
    datamodel = SQLAInterface(OutboundMessage)
    class_permission_name = "OutboundMessage"
    base_permissions = ["can_read", "retry"]
    list_title = show_title = "发件箱（系统邮件）"
    label_columns = {"created_at": "生成时间", "to_addr": "收件人", "subject": "主题", "status": "状态",
                     "attempts": "尝试次数", "last_error": "最近错误", "sent_at": "发送时间",
                     "not_before": "最早发送时间", "body_text": "正文", "eml_path": "邮件文件"}
    list_columns = ["created_at", "to_addr", "subject", "status", "attempts", "not_before", "sent_at", "last_error"]
    show_columns = ["created_at", "to_addr", "subject", "status", "attempts", "not_before", "sent_at", "last_error",
                    "eml_path", "body_text"]
    search_columns = ["to_addr", "subject", "status", "created_at"]
    base_order = ("id", "desc")
    formatters_columns = {"status": lambda v: mail.MESSAGE_STATUSES.get(v, v)}

    @action("retry", "重新发送", "确定重新发送所选邮件吗？", "fa-repeat", multiple=True)
    def retry(self, items):
        count = mail.requeue(items if isinstance(items, list) else [items])
        db.session.commit()
        flash(f"已将{count}封邮件重新排队，下一次巡检时发送。", "success")
        return redirect(self.get_redirect())


class BulletinsView(BaseView):
    route_base = "/bulletins"
    class_permission_name = "Bulletin"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "download": "read", "generate": "write",
                              "publish": "write"}
    default_view = "list"

    def _office(self):
        return bulletins.manages(scope.current_user())

    def _get(self, pk):
        try:
            return bulletins.get_for(scope.current_user(), pk)
        except bulletins.BulletinError:
            abort(404)

    @expose("/")
    @has_access
    def list(self):
        query = bulletins.visible(scope.current_user()).order_by(Bulletin.period_start.desc(), Bulletin.kind)
        return self.render_template("cso/bulletins.html", rows=db.session.scalars(query.limit(200)).all(),
                                    office=self._office(), kinds=bulletins.KINDS,
                                    beat_times=bulletins.beat_times())

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        return self.render_template("cso/bulletin_show.html", b=self._get(pk), sections=bulletins.SECTIONS,
                                    office=self._office())

    @expose("/<pk>/xlsx")
    @has_access
    def download(self, pk):
        b = self._get(pk)
        name = f"{b.title}.xlsx"
        return Response(bulletins.workbook(b), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=bulletin-{b.id}.xlsx; filename*=UTF-8''{quote(name)}"})

    @expose("/generate", methods=["POST"])
    @has_access
    def generate(self):
        from .jobs import kinds as job_kinds

        kind = request.form.get("kind")
        try:
            job = job_kinds.bulletin_as_job(scope.current_user(), kind)  # a background job (app/jobs)
        except bulletins.BulletinError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("BulletinsView.list"))
        flash("正在后台生成通报草稿，完成后会通知您；也可在本页等待。", "info")
        return redirect(url_for("JobView.show", pk=job.id))

    @expose("/<pk>/publish", methods=["POST"])
    @has_access
    def publish(self, pk):
        try:
            b = bulletins.publish(int(pk) if valid_id(pk) else 0, scope.current_user(), request.form.get("commentary"))
            note = getattr(b, "mail_note", "")  # 已发送邮件 only when sent; else when it will go (issue 9)
            flash(f"已发布：{b.title}" + (f"；{note}（领导小组成员）。" if note else "。"), "success")
        except bulletins.BulletinError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for("BulletinsView.show", pk=pk))


class ScheduleView(BaseView):
    route_base = "/settings/schedule"
    class_permission_name = "Schedule"
    base_permissions = ["can_read"]
    method_permission_name = {"show": "read"}
    default_view = "show"

    @expose("/")
    @has_access
    def show(self):
        from .tasks import celery

        from .settings import schedule_text

        rows = [(entry["description"], schedule_text(entry["schedule"]), name, entry["task"])
                for name, entry in current_app.config["BEAT_SCHEDULE"].items()]
        admin = ADMIN in scope.role_names(scope.current_user())  # the technical names only for the administrator
        return self.render_template("cso/schedule.html", rows=rows, admin=admin,
                                    broker=celery.conf.broker_url.split("@")[-1] if admin else None,
                                    timezone=celery.conf.timezone)


class MailPreferenceView(BaseView):
    route_base = "/settings/mail"
    class_permission_name = "MailPreference"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"show": "read", "save": "write"}
    default_view = "show"

    @expose("/")
    @has_access
    def show(self):
        user = scope.current_user()
        state = db.session.get(AccountState, user.id)
        return self.render_template("cso/mail_pref.html", mode=state.mail_mode if state else "immediate",
                                    email=mail_address(user))

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        try:
            mail.set_mode(scope.current_user(), request.form.get("mode"))
        except ValueError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("MailPreferenceView.show"))
        db.session.commit()
        flash("已保存。", "success")
        return redirect(url_for("MailPreferenceView.show"))


def register(appbuilder):
    appbuilder.add_view(ReportsView, "周报与月度台账", href="/reports/", icon="fa-file-text", category=MENU_REPORTS,
                        category_icon="fa-calendar-check-o")
    appbuilder.add_view(DutyRecordView, "履职记录", icon="fa-flag", category=MENU_REPORTS)
    appbuilder.add_view(BulletinsView, "通报", href="/bulletins/", icon="fa-bullhorn", category=MENU_REPORTS)
    appbuilder.add_view(OutboxView, "发件箱", icon="fa-envelope", category=MENU_SETTINGS)
    appbuilder.add_view(ScheduleView, "定时任务", href="/settings/schedule/", icon="fa-clock-o", category=MENU_SETTINGS)
    appbuilder.add_view_no_menu(MailPreferenceView)
