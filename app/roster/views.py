"""The roster import on every surface: the Office's upload page (preview, then commit), the
import log, ``POST /api/v1/import/assignments`` and ``flask cso import-assignments``.

All of them call :func:`app.roster.import_roster`; this module only moves bytes in and
reports out. The page previews in the request and keeps the file for the user who previewed it
(:mod:`app.roster.uploads`; the form carries only a random token); 确认导入 queues the background
job that commits it (kind ``import``, :func:`app.jobs.kinds.roster_as_job`) and goes to
``/jobs/<id>``, whose result file is the credentials sheet, for its owner only
(docs/jobs.md#roster-import). The API and the CLI commit at once; the API's new logins' initial
passwords are kept (0600, at most a day) under ``<instance>/imports/credentials/<token>.json``
until their one download, by the user who ran the import.
"""
import hashlib
import json
import os
import re
import secrets
import time
from io import BytesIO

import click
from flask import current_app, flash, redirect, request, send_file, url_for
from flask.cli import with_appcontext
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup, escape
from sqlalchemy import select

from .. import clock, db, scope
from ..models import ImportLog
from ..views import CSOModelView
from . import (
    DEFAULT_LOGINS, DEFAULT_MAX_BYTES, KIND, LOGIN_CHOICES, changes_digest, credentials_xlsx, import_roster,
    incomplete_text, summary, uploads, where, write_credentials,
)

PERMISSION = "RosterImport"
LOG_PERMISSION = "ImportLog"
MENU_CATEGORY = "基础数据"
MENU_IMPORT = "导入包联名册"
MENU_LOG = "导入记录"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
GONE_MESSAGE = "该下载链接已失效：新开通账号的初始密码只提供一次下载。如未保存，请由系统管理员为相关账号重置密码。"
ACTION_LABELS = {"create": "新增", "update": "更新", "end": "结束"}
KIND_LABELS = {"enterprise": "企业", "officer": "服务官", "assignment": "包联关系"}


# --- server-side files (the API's one-time credentials) -----------------------------------------------


def store_credentials(credentials, user_id):
    """Keep the new logins for one download by ``user_id``; returns the token."""
    directory = uploads.directory("credentials")
    uploads.purge(directory)
    token = secrets.token_urlsafe(24)
    payload = {"user_id": user_id, "at": time.time(), "credentials": credentials}
    uploads.write_private(os.path.join(directory, token + ".json"), json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return token


def take_credentials(token, user_id):
    """The stored logins, once: the file is claimed (renamed) before it is read, then removed."""
    if not token or not TOKEN_RE.match(token):
        return None
    directory = uploads.directory("credentials")
    path = os.path.join(directory, token + ".json")
    claimed = path + f".{secrets.token_hex(4)}.taken"
    try:
        with open(path, "rb") as fh:
            payload = json.loads(fh.read().decode("utf-8"))
        if payload.get("user_id") != user_id or time.time() - payload.get("at", 0) > uploads.KEEP_SECONDS:
            return None
        os.rename(path, claimed)  # only one request can win the rename
    except (OSError, ValueError):
        return None
    try:
        os.remove(claimed)
    except OSError:
        pass
    return payload.get("credentials") or []


def _credentials_response(credentials):
    stamp = clock.today().strftime("%Y%m%d")
    response = send_file(
        BytesIO(credentials_xlsx(credentials)), as_attachment=True,
        download_name=f"新开通账号及初始密码_{stamp}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _local_time(value):
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _max_bytes():
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _clean_filename(name):
    return os.path.basename((name or "").replace("\\", "/"))[:255]


def _logins(value):
    """The ``logins`` choice of a form or query (all / chief / none), or None when it is not one."""
    value = (value or DEFAULT_LOGINS).strip().lower()
    return value if value in LOGIN_CHOICES else None


LOGINS_ERROR = "“开通登录账号”（logins）应为 all（所有新服务官）、chief（仅首席服务官）或 none（不开通）。"


# --- the upload page ---------------------------------------------------------------------------


class RosterImportView(BaseView):
    """导入包联名册: upload → preview (nothing written) → 确认导入 (all or nothing)."""

    route_base = "/import/assignments"
    class_permission_name = PERMISSION
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"form": "read", "preview": "write", "commit": "write"}
    default_view = "form"

    def _page(self, template, status=200, **ctx):
        ctx.setdefault("logins", DEFAULT_LOGINS)
        return self.render_template(template, action_labels=ACTION_LABELS, kind_labels=KIND_LABELS,
                                    summary=summary, where=where, local_time=_local_time, login_choices=LOGIN_CHOICES,
                                    incomplete_text=incomplete_text, **ctx), status

    @expose("/")
    @has_access
    def form(self):
        recent = db.session.scalars(
            select(ImportLog).where(ImportLog.kind == KIND).order_by(ImportLog.id.desc()).limit(5)).all()
        return self._page("cso/import_form.html", recent=recent, max_mb=_max_bytes() // (1024 * 1024))

    @expose("/preview", methods=["POST"])
    @has_access
    def preview(self):
        upload = request.files.get("file")
        logins = _logins(request.form.get("logins"))
        if upload is None or not upload.filename or logins is None:
            flash("请选择要导入的名册文件（Excel或CSV）。" if logins else LOGINS_ERROR, "danger")
            return self._page("cso/import_form.html", status=400, recent=[], max_mb=_max_bytes() // (1024 * 1024))
        data = upload.read(_max_bytes() + 1)
        filename = _clean_filename(upload.filename)
        user = scope.current_user()
        result = import_roster(data, filename, user, dry_run=True, logins=logins)
        token = None
        if result.ok:
            token = uploads.save(data, getattr(user, "id", None), sha256=hashlib.sha256(data).hexdigest(),
                                 filename=filename, logins=logins, rows=result.rows, new_logins=result.new_logins,
                                 changes=changes_digest(result.changes))
        status = 413 if len(data) > _max_bytes() else (422 if result.file_error else 200)
        return self._page("cso/import_preview.html", status=status, result=result, report=result.report,
                          filename=filename, upload_token=token, logins=logins)

    @expose("/commit", methods=["POST"])
    @has_access
    def commit(self):
        """确认导入: the previewed file (the user's own, by its token) is committed by a background job;
        pressed twice, the same job."""
        from ..jobs import kinds
        from ..jobs.rules import JobError

        user = scope.current_user()
        try:
            job = kinds.roster_as_job(user, (request.form.get("upload") or "").strip())
        except JobError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("RosterImportView.form"))
        return redirect(url_for("JobView.show", pk=job.id))


# --- the import log -------------------------------------------------------------------------------


def _report_html(report):
    if not isinstance(report, dict) or "created" not in report:
        return ""
    parts = [escape(summary(report))]
    for key, label in (("errors", "错误"), ("warnings", "提示")):
        items = report.get(key) or []
        if items:
            lines = Markup("").join(
                Markup("<li>{}{}</li>").format(where(i) + ("：" if where(i) else ""), i.get("message", ""))
                for i in items[:200])
            more = Markup("<li>……另有{}条</li>").format(len(items) - 200) if len(items) > 200 else ""
            parts.append(Markup("<details><summary>{}（{}条）</summary><ul>{}{}</ul></details>").format(
                label, len(items), lines, more))
    return Markup("").join(parts)


class ImportLogView(CSOModelView):
    """导入记录 — read-only: who imported which file when, and what came of it."""

    datamodel = SQLAInterface(ImportLog)
    class_permission_name = LOG_PERMISSION
    base_permissions = ["can_read"]
    method_permission_name = {"list": "read", "show": "read"}
    list_title = "导入记录"
    show_title = "导入记录详情"
    label_columns = {
        "at": "时间", "user": "操作人", "user.username": "操作人", "kind": "类别", "filename": "文件名",
        "sha256": "文件SHA-256", "dry_run": "方式", "ok": "结果", "report": "导入结果",
    }
    list_columns = ["at", "user.username", "filename", "dry_run", "ok", "report"]
    show_columns = ["at", "user.username", "filename", "sha256", "dry_run", "ok", "report"]
    search_columns = ["filename", "sha256", "dry_run", "ok", "at"]
    order_columns = ["at", "filename"]
    base_order = ("id", "desc")
    formatters_columns = {
        "dry_run": lambda v: "预览（试运行）" if v else "正式导入",
        "ok": lambda v: "成功" if v else "有错误",
        "report": _report_html,
        "kind": lambda v: "包联名册" if v == KIND else (v or ""),
    }


# --- REST -------------------------------------------------------------------------------------


def _truthy(value):
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "y")


class RosterImportApi(BaseApi):
    """``POST /api/v1/import/assignments`` (multipart: ``file``; ``dry_run`` = 1/true;
    ``logins`` = all/chief/none)."""

    resource_name = "import"
    class_permission_name = PERMISSION
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"assignments": "write", "credentials": "write"}
    openapi_spec_tag = "Import"

    @expose("/assignments", methods=["POST"])
    @protect()
    @safe
    def assignments(self):
        """Import (or with dry_run, preview) a roster file.
        ---
        post:
          description: >-
            multipart/form-data with the file in field `file`; `dry_run=1` (form or query) checks
            without writing; `logins` (form or query) says which new officers get a login: `all`
            (default), `chief` (chief officers only) or `none`. The body is the import report
            {ok, dry_run, created, updated, ended, errors, warnings, incomplete} (`incomplete`: the
            officers who will have no e-mail or no unit). When new officer logins were created, the header
            X-Credentials-Url names a one-time download of their initial passwords (.xlsx).
          responses:
            200:
              description: imported, or a dry run (see ok and errors)
            400:
              description: no file, or an unknown `logins` choice
            413:
              description: file too large
            422:
              description: errors, nothing written (report in the body)
        """
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.response_400(message="请上传名册文件（multipart/form-data 的 file 字段）。")
        dry_run = _truthy(request.form.get("dry_run")) or _truthy(request.args.get("dry_run"))
        logins = _logins(request.form.get("logins") or request.args.get("logins"))
        if logins is None:
            return self.response_400(message=LOGINS_ERROR)
        data = upload.read(_max_bytes() + 1)
        user = scope.current_user()
        result = import_roster(data, _clean_filename(upload.filename), user, dry_run=dry_run, logins=logins)
        if len(data) > _max_bytes():
            status = 413
        elif result.file_error:
            status = 422
        else:
            status = 200 if (result.ok or dry_run) else 422
        response = self.response(status, **result.report)
        if result.credentials:
            token = store_credentials(result.credentials, getattr(user, "id", None))
            response.headers["X-Credentials-Url"] = url_for("RosterImportApi.credentials", token=token)
        return response

    @expose("/credentials/<token>", methods=["GET"])
    @protect()
    @safe
    def credentials(self, token):
        """The new logins of an import, once, as .xlsx.
        ---
        get:
          responses:
            200:
              description: the sheet
            404:
              description: already downloaded or expired
        """
        credentials = take_credentials(token, getattr(scope.current_user(), "id", None))
        if credentials is None:
            return self.response(404, message=GONE_MESSAGE)
        return _credentials_response(credentials)


# --- CLI ---------------------------------------------------------------------------------------


def _echo_report(result, filename, dry_run):
    """The human-readable report of the CLI."""
    report = result.report
    click.echo(("试运行（未写入数据库）" if dry_run else "导入") + f"：{filename}"
               + (f"（工作表“{result.sheet}”）" if result.sheet else ""))
    click.echo(summary(report))
    if result.changes:
        click.echo(("将要执行的变更" if dry_run else "已执行的变更") + f"（{len(result.changes)}项）：")
        for change in result.changes[:200]:
            click.echo(f"  第{change['row']}行：{change['text']}")
        if len(result.changes) > 200:
            click.echo(f"  ……另有{len(result.changes) - 200}项")
    if report["errors"]:
        click.echo("错误：")
        for item in report["errors"]:
            click.echo(f"  {where(item) or '文件'}：{item['message']}")
    for key, title, limit in (("warnings", "提示", 50), ("incomplete", "缺少电子邮箱或工作单位的服务官", 50)):
        items = report.get(key) or []
        if items:
            click.echo(f"{title}（{len(items)}条）：")
            for item in items[:limit]:
                text = item["message"] if key == "warnings" else incomplete_text(item)
                click.echo(f"  {where(item) or '文件'}：{text}")
            if len(items) > limit:
                click.echo(f"  ……另有{len(items) - limit}条")


def _echo_credentials(credentials, path, as_json):
    if path:
        write_credentials(path, credentials)
        click.echo(f"新开通账号{len(credentials)}个，初始密码已写入 {path}（请妥善保管；首次登录须修改密码）。", err=as_json)
        return
    click.echo(f"新开通账号{len(credentials)}个（初始密码仅此一次显示，首次登录须修改密码）：", err=as_json)
    for cred in credentials:
        click.echo(f"  {cred['name']}\t{cred['phone']}\t{cred['username']}\t{cred['password']}", err=as_json)


def register_cli(group):
    """Add ``import-assignments`` to a click group (the app's ``cso`` group)."""

    @group.command("import-assignments")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
    @click.option("--dry-run", is_flag=True, help="只检查并列出将要发生的变更，不写入数据库")
    @click.option("--json", "as_json", is_flag=True, help="以JSON输出导入报告（与API返回的相同）")
    @click.option("--credentials", "credentials_path", type=click.Path(dir_okay=False),
                  help="新开通账号及初始密码写入此文件（.xlsx或.csv）；不给则打印出来")
    @click.option("--logins", type=click.Choice(sorted(LOGIN_CHOICES)), default=DEFAULT_LOGINS, show_default=True,
                  help="为哪些新服务官开通登录账号：chief 仅首席服务官（默认），all 全部（含具体分包人），none 不开通")
    @with_appcontext
    def import_assignments_cmd(file, dry_run, as_json, credentials_path, logins):
        """导入《首席服务官及具体分包人情况表》（.xlsx/.xls/.csv）。有错误时不写入任何数据，退出码为1。"""
        with open(file, "rb") as fh:
            data = fh.read(_max_bytes() + 1)
        result = import_roster(data, os.path.basename(file), None, dry_run=dry_run, logins=logins)
        if as_json:
            click.echo(json.dumps(result.report, ensure_ascii=False))
        else:
            _echo_report(result, os.path.basename(file), dry_run)
        if result.credentials:
            _echo_credentials(result.credentials, credentials_path, as_json)
        if not result.report["ok"]:
            click.get_current_context().exit(1)

    return import_assignments_cmd


# --- registration -------------------------------------------------------------------------------


def register(appbuilder):
    appbuilder.add_view(RosterImportView, MENU_IMPORT, href="/import/assignments/", icon="fa-file-excel-o",
                        category=MENU_CATEGORY)
    appbuilder.add_view(ImportLogView, MENU_LOG, icon="fa-history", category=MENU_CATEGORY)
    appbuilder.add_api(RosterImportApi)
