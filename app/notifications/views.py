"""消息通知: the bell's list (own notifications only), mark one / all read, open the thing."""
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


def register(appbuilder):
    appbuilder.add_view_no_menu(NotificationView())
    current_app.jinja_env.globals["cso_unread_notifications"] = lambda: service.unread_count(scope.current_user())
