"""Screens and REST for attachments; thin: every decision is in ``rules``.

HTML (session login, CSRF on every post):
  POST /files/<kind>/<owner_id>/upload   multipart ``file``, ``note``, ``internal``
  GET  /files/<id>                       the content, as a download
  POST /files/<id>/remove                soft delete
REST (JWT):
  GET/POST /api/v1/<kind>/<owner_id>/attachments, GET/DELETE /api/v1/attachment/<id>,
  GET /api/v1/attachment/<id>/content
Templates get ``attachment_box(kind, owner_id)`` for the attachments box (cso/_attachments.html).
"""
import click
from flask import abort, current_app, flash, redirect, request, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, protect, safe
from flask_appbuilder.security.decorators import has_access
from werkzeug.exceptions import RequestEntityTooLarge

from .. import clock, scope
from ..extensions import db
from ..errors import ERRORS
from ..exports import content_disposition
from . import rules, store

PERMISSION = "Attachment"


def download(att):
    """The stored content as ``attachment`` with its Chinese name (RFC 5987), never sniffed or cached."""
    rules.open_content(att).close()  # 404 in Chinese when the content is missing on disk
    response = send_file(store.path_for(att.sha256), mimetype=att.content_type, as_attachment=True,
                         download_name=att.filename, etag=att.sha256, conditional=True, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(att.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _upload(user, kind, owner_id):
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:  # past MAX_CONTENT_LENGTH: the request was not even read
        raise rules.too_large() from None
    return rules.attach(user, kind, owner_id, upload.filename if upload else None,
                        upload.stream if upload else None,
                        internal=request.form.get("internal"), note=request.form.get("note"))


class AttachmentView(BaseView):
    route_base = "/files"
    class_permission_name = PERMISSION
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"upload": "write", "download": "read", "remove": "write"}

    @staticmethod
    def _back(kind, owner_id):
        ok = rules.OWNERS.get(kind)
        return ok.url(owner_id) if ok and ok.url else current_app.appbuilder.get_url_for_index

    @staticmethod
    def _refuse(exc):
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "danger")

    @expose("/<kind>/<int:owner_id>/upload", methods=["POST"])
    @has_access
    def upload(self, kind, owner_id):
        try:
            att = _upload(scope.current_user(), kind, owner_id)
            db.session.commit()
            flash(f"已上传附件“{att.filename}”。", "success")
        except rules.FileError as exc:
            self._refuse(exc)
        return redirect(self._back(kind, owner_id))

    @expose("/<int:pk>")
    @has_access
    def download(self, pk):
        try:
            return download(rules.readable(scope.current_user(), pk))
        except rules.FileError:
            abort(404)

    @expose("/<int:pk>/remove", methods=["POST"])
    @has_access
    def remove(self, pk):
        try:
            att = rules.remove(scope.current_user(), pk)
            db.session.commit()
            flash(f"已删除附件“{att.filename}”（记录保留）。", "success")
        except rules.FileError as exc:
            self._refuse(exc)
            att = rules.readable(scope.current_user(), pk)
        return redirect(self._back(att.owner_kind, att.owner_id))


class AttachmentApi(BaseApi):
    resource_name = "attachment"
    route_base = "/api/v1"
    class_permission_name = PERMISSION
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"owner_list": "read", "owner_post": "write", "get": "read", "content": "read",
                              "delete": "write"}
    openapi_spec_tag = "Attachment"

    def response_403(self):
        return self.response(403, message=ERRORS[403][1])

    def _fail(self, exc):
        db.session.rollback()
        return self.response(exc.status, **exc.as_dict())

    @expose("/<kind>/<int:owner_id>/attachments", methods=["GET"])
    @protect()
    @safe
    def owner_list(self, kind, owner_id):
        """An owner's attachments (kind: issue).
        ---
        get:
          responses:
            200:
              description: count, result (id, filename, size, content_type, sha256, internal, created_by, created_at)
            404:
              description: owner missing or out of scope
        """
        user = scope.current_user()
        try:
            rows = rules.list_for(user, kind, owner_id)
        except rules.FileError as exc:
            return self._fail(exc)
        return self.response(200, count=len(rows), result=[rules.serialize(a, user) for a in rows],
                             may_attach=bool(rules.may_attach(user, kind, owner_id)))

    @expose("/<kind>/<int:owner_id>/attachments", methods=["POST"])
    @protect()
    @safe
    def owner_post(self, kind, owner_id):
        """Upload one file (multipart/form-data: file, note, internal).
        ---
        post:
          responses:
            201:
              description: the attachment
            403:
              description: may read but not attach (leaders), or may not mark internal
            404:
              description: owner missing or out of scope
            413:
              description: larger than FILE_MAX_BYTES
            422:
              description: no file, type not allowed, or content does not match the name
        """
        user = scope.current_user()
        try:
            att = _upload(user, kind, owner_id)
            db.session.commit()
        except rules.FileError as exc:
            return self._fail(exc)
        return self.response(201, id=att.id, result=rules.serialize(att, user))

    @expose("/attachment/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One attachment's details.
        ---
        get:
          responses:
            200:
              description: the attachment
        """
        user = scope.current_user()
        try:
            att = rules.readable(user, pk)
        except rules.FileError as exc:
            return self._fail(exc)
        return self.response(200, id=att.id, result=rules.serialize(att, user))

    @expose("/attachment/<int:pk>/content", methods=["GET"])
    @protect()
    @safe
    def content(self, pk):
        """The file itself (Content-Disposition: attachment).
        ---
        get:
          responses:
            200:
              description: the bytes
            404:
              description: missing, removed, internal or out of scope
        """
        try:
            return download(rules.readable(scope.current_user(), pk))
        except rules.FileError as exc:
            return self._fail(exc)

    @expose("/attachment/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    def delete(self, pk):
        """Remove (soft delete: the record stays).
        ---
        delete:
          responses:
            200:
              description: removed
        """
        user = scope.current_user()
        try:
            att = rules.remove(user, pk)
            db.session.commit()
        except rules.FileError as exc:
            return self._fail(exc)
        return self.response(200, id=att.id, message="已删除附件（记录保留）。")


def attachment_box(kind, owner_id):
    """What the attachments box shows the current user on an owner's page; None when nothing."""
    sm = current_app.appbuilder.sm
    user = scope.current_user()
    if not sm.has_access("can_read", PERMISSION):
        return None
    try:
        rows = rules.list_for(user, kind, owner_id)
    except rules.FileError:
        return None
    ok = rules.owner_kind(kind)
    attach = sm.has_access("can_write", PERMISSION) and bool(ok.may_attach(user, owner_id))
    items = [rules.serialize(a, user) | {"when": clock.local_text(a.created_at)} for a in rows]
    return {
        "kind": kind, "owner_id": owner_id, "items": items,
        "may_attach": attach, "may_mark_internal": attach and rules.may_mark_internal(user, ok, owner_id),
        "max_text": rules.size_text(rules.max_bytes()), "types": rules.types_text(),
        "accept": ",".join("." + t for t in rules.allowed_types()),
    }


def files_check_cmd():
    """Check every stored file against its SHA-256 and list content no row refers to."""
    report = rules.check(verify=True)
    click.echo(f"已登记文件 {report['stored']} 个；缺失 {len(report['missing'])} 个；"
               f"内容损坏 {len(report['corrupt'])} 个；未登记的多余文件 {len(report['orphans'])} 个。")
    for sha in report["missing"]:
        click.echo(f"  缺失：{sha}")
    for sha in report["corrupt"]:
        click.echo(f"  损坏：{sha}")
    if report["missing"] or report["corrupt"]:
        raise SystemExit(1)


def register(appbuilder):
    from ..cli import cso

    from . import owners  # noqa: F401  (built-in owner kinds)

    current_app.add_template_global(attachment_box)
    appbuilder.add_view_no_menu(AttachmentView)
    appbuilder.add_api(AttachmentApi)
    cso.command("files-check")(files_check_cmd)
