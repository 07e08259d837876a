"""消息通知: the bell's list (own notifications only), mark one / all read, open the thing; the lists
behind the home pages' figures (本周未走访企业) and 催报."""
from datetime import timedelta
from urllib.parse import urlencode

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from .. import db, scope
from ..querystring import QueryError, int_arg
from ..validation import valid_id
from . import service


def safe_path(url):
    """A stored link as a path inside the portal ('/' for anything else: no open redirect)."""
    url = str(url or "")
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else "/"


class NotificationView(BaseView):
    route_base = "/notifications"
    class_permission_name = "Notification"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "open": "write", "read": "write", "read_all": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        unread_only = request.args.get("unread") == "1"
        try:
            size = int_arg(request.args, "page_size", "每页条数", 20, 1, current_app.config["CSO_MAX_PAGE_SIZE"])
            page = int_arg(request.args, "page", "页码", 0, 0, 100000)
        except QueryError as exc:
            flash(f"参数有误：{exc.message}", "danger")
            return redirect(url_for("NotificationView.list"))
        rows, total = service.listing(user, unread_only, page, size)
        pages = max(1, (total + size - 1) // size)
        args = {"unread": "1"} if unread_only else {}
        return self.render_template(
            "cso/notifications_list.html", rows=rows, total=total, unread=service.unread_count(user),
            unread_only=unread_only, page=page, pages=pages,
            link=lambda **kw: url_for("NotificationView.list") + "?" + urlencode({**args, **kw}))

    @expose("/<pk>/open", methods=["POST"])
    @has_access
    def open(self, pk):
        """Mark read and go to the thing it is about."""
        note = service.mark_read(scope.current_user(), int(pk) if valid_id(pk) else None)
        if note is None:
            flash("该消息不存在。", "danger")
            return redirect(url_for("NotificationView.list"))
        db.session.commit()
        return redirect(safe_path(note.url))

    @expose("/<pk>/read", methods=["POST"])
    @has_access
    def read(self, pk):
        note = service.mark_read(scope.current_user(), int(pk) if valid_id(pk) else None)
        if note is None:
            flash("该消息不存在。", "danger")
        else:
            db.session.commit()
            flash("已标为已读。", "success")
        return redirect(url_for("NotificationView.list", **({"unread": "1"} if request.form.get("unread") == "1" else {})))

    @expose("/read_all", methods=["POST"])
    @has_access
    def read_all(self):
        count = service.mark_all_read(scope.current_user())
        db.session.commit()
        flash(f"已将{count}条消息标为已读。" if count else "没有未读消息。", "success")
        return redirect(url_for("NotificationView.list"))


class WorkQueueView(BaseView):
    """The lists behind the home pages' figures that the ledger does not hold, and 催报."""

    route_base = "/queues"
    class_permission_name = "WorkQueue"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"unvisited": "read", "urge": "write"}
    default_view = "unvisited"

    @expose("/unvisited")
    @has_access
    def unvisited(self):
        """本周未走访企业 (the home page's "已走访 11/31" leads here)."""
        from sqlalchemy import func, select
        from sqlalchemy.orm import selectinload

        from .. import clock
        from ..models import Assignment, Enterprise, Visit
        from . import queues

        user = scope.current_user()
        today = clock.today()
        last = select(Visit.enterprise_id, func.max(Visit.visit_date).label("last")).group_by(Visit.enterprise_id).subquery()
        rows = db.session.execute(
            queues.unvisited_query(user, today).add_columns(last.c.last).outerjoin(last, last.c.enterprise_id == Enterprise.id)
            .order_by(Enterprise.subdistrict, Enterprise.name).options(selectinload(Enterprise.assignments).selectinload(Assignment.officer))).all()
        visited, total = queues.coverage(user, today)
        return self.render_template(
            "cso/notifications_unvisited.html", rows=rows, visited=visited, total=total, week=clock.week_range(today),
            can_visit=scope.has_permission(user, "can_write", "Visit"))

    @expose("/urge/<pk>", methods=["POST"])
    @has_access
    def urge(self, pk):
        """催报: the office urges an officer whose report is late (recorded; the officer is told)."""
        from . import queues

        try:
            report, new = queues.urge_report(scope.current_user(), int(pk) if valid_id(pk) else None)
        except queues.UrgeError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("HomeView.index"))
        db.session.commit()
        name = report.officer.name
        flash(f"已向{name}催报{report.kind_label}，已记录。" if new else f"今天已向{name}催报过该报告，未重复催报。",
              "success" if new else "info")
        return redirect(url_for("HomeView.index") + "#cso-late-reports")


def register(appbuilder):
    from .queues import QUEUE_LABELS

    appbuilder.add_view_no_menu(NotificationView())
    appbuilder.add_view_no_menu(WorkQueueView())
    current_app.jinja_env.globals["cso_queue_label"] = lambda name: QUEUE_LABELS.get(name, name)
    current_app.jinja_env.globals["cso_one_day"] = timedelta(days=1)  # the home page's week links
    current_app.jinja_env.globals["cso_unread_notifications"] = lambda: service.unread_count(scope.current_user())
