"""REST: /api/v1/notification/ — the caller's own notifications (JWT); mark one or all read."""
from flask import current_app, request
from flask_appbuilder.api import BaseApi, expose, protect, safe

from .. import clock, db, scope
from ..querystring import QueryError, int_arg
from . import service


def serialize(note):
    return {"id": note.id, "kind": note.kind, "title": note.title, "body": note.body, "url": note.url,
            "created_at": clock.local(note.created_at).isoformat(timespec="minutes"),
            "read_at": clock.local(note.read_at).isoformat(timespec="minutes") if note.read_at else None,
            "unread": note.read_at is None}


class NotificationApi(BaseApi):
    resource_name = "notification"
    class_permission_name = "Notification"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "read": "write", "read_all": "write"}
    openapi_spec_tag = "Notification"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The caller's notifications, newest first.
        ---
        get:
          description: 'unread=1 for unread only; page (from 0), page_size.'
          responses:
            200:
              description: count, unread and result
            400:
              description: a bad page or page size
        """
        user = scope.current_user()
        try:
            size = int_arg(request.args, "page_size", "每页条数", 20, 1, current_app.config["FAB_API_MAX_PAGE_SIZE"])
            page = int_arg(request.args, "page", "页码", 0, 0, 100000)
        except QueryError as exc:
            return self.response(400, **exc.as_api())
        rows, total = service.listing(user, request.args.get("unread") == "1", page, size)
        return self.response(200, count=total, unread=service.unread_count(user), result=[serialize(n) for n in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One of the caller's notifications (404 for another's).
        ---
        get:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the notification
            404:
              description: not the caller's, or missing
        """
        note = service.get_own(scope.current_user(), pk)
        if note is None:
            return self.response(404, message="该消息不存在。")
        return self.response(200, id=note.id, result=serialize(note))

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    @safe
    def read(self, pk):
        """Mark one of the caller's notifications read (idempotent).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the notification, read
            404:
              description: not the caller's, or missing
        """
        note = service.mark_read(scope.current_user(), pk)
        if note is None:
            db.session.rollback()
            return self.response(404, message="该消息不存在。")
        db.session.commit()
        return self.response(200, id=note.id, result=serialize(note))

    @expose("/read_all", methods=["POST"])
    @protect()
    @safe
    def read_all(self):
        """Mark all the caller's notifications read.
        ---
        post:
          responses:
            200:
              description: how many were marked
        """
        count = service.mark_all_read(scope.current_user())
        db.session.commit()
        return self.response(200, marked=count, unread=0)


def register(appbuilder):
    appbuilder.add_api(NotificationApi)
