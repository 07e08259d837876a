"""Excel downloads: /export/<kind> (screens), /api/v1/export/<kind> (REST, JWT), `flask cso export`.

Kinds: ledger (the list's filters as query arguments, see app.ledger.listing), assignments,
visits, officers (see app.exports). A bad argument (``app.querystring.QueryError``) is flashed
on the screens (back to the list) and answered ``400 {"message": {field: [message]}}`` by the API. Every download is within the caller's scope; the permission
is ``can_read`` on ``Export`` (one view menu for the screens and the API).

An export of more rows than the office's threshold (系统设置 → 时限设置, default 5,000) runs as a
background job (app/jobs): the screen goes to the job's page with its progress bar, the API answers
``202 {"job", "status_url"}``; the command line always writes at once.

The workbook is written to an anonymous temp file (constant memory) and streamed back with
``send_file``; the temp file disappears when the response is closed.
"""
import os
import tempfile

import click
from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, protect, safe
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.security.decorators import has_access

from .. import db, exports, scope
from ..jobs import kinds as jobs_kinds
from ..querystring import QueryError

PERMISSION_NAME = "Export"
METHODS = {kind: "read" for kind in exports.KINDS}
# where a failed HTML export goes back to (the list it came from)
BACK = {"ledger": "LedgerView.list", "assignments": "AssignmentView.list", "visits": "VisitView.list",
        "officers": "OfficerView.list"}


def xlsx_response(kind, user, args):
    """Write the export to a temp file and stream it back as an attachment with a Chinese name."""
    fh = tempfile.TemporaryFile(suffix=".xlsx", dir=current_app.config.get("EXPORT_TMPDIR"))
    try:
        rows = exports.export(kind, user, args, fh)
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    finally:
        db.session.rollback()  # read-only work; end the transaction (and any server-side cursor)
    name, fallback = exports.file_names(kind)
    response = send_file(fh, mimetype=exports.XLSX_MIMETYPE, as_attachment=True, download_name=fallback,
                         max_age=0, etag=False, conditional=False)
    response.headers["Content-Disposition"] = exports.content_disposition(name, fallback)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Export-Rows"] = str(rows)
    return response


class ExportView(BaseView):
    """GET /export/ledger?<ledger filters>, /export/assignments, /export/visits, /export/officers."""

    route_base = "/export"
    class_permission_name = PERMISSION_NAME
    base_permissions = ["can_read"]
    method_permission_name = METHODS
    default_view = "ledger"

    def _download(self, kind):
        user = scope.current_user()
        try:
            job = jobs_kinds.export_as_job(kind, user, request.args)  # over the office's threshold: a job
            if job is not None:
                flash(f"数据较多（{job.total:,}行），已转为后台任务：完成后可在“我的后台任务”下载，"
                      "并会收到通知；您可以继续其他工作。", "info")
                return redirect(url_for("JobView.show", pk=job.id))
            return xlsx_response(kind, user, request.args)
        except exports.ExportForbidden as exc:
            flash(str(exc), "danger")
            abort(403)
        except QueryError as exc:
            flash(f"导出条件有误（{exc.field}）：{exc.message}", "danger")
            try:
                return redirect(url_for(BACK[kind]))
            except Exception:  # noqa: BLE001 — the list screen is not registered
                return redirect(self.appbuilder.get_url_for_index)

    @expose("/ledger")
    @has_access
    def ledger(self):
        return self._download("ledger")

    @expose("/assignments")
    @has_access
    def assignments(self):
        return self._download("assignments")

    @expose("/visits")
    @has_access
    def visits(self):
        return self._download("visits")

    @expose("/officers")
    @has_access
    def officers(self):
        return self._download("officers")


class ExportApi(BaseApi):
    """GET /api/v1/export/<kind> with a JWT; same query arguments as the screens."""

    resource_name = "export"
    class_permission_name = PERMISSION_NAME
    base_permissions = ["can_read"]
    method_permission_name = METHODS
    openapi_spec_tag = "Export"

    def _download(self, kind):
        try:
            job = jobs_kinds.export_as_job(kind, scope.current_user(), request.args)
            if job is not None:  # over the office's threshold: 202 and where to follow the job
                return self.response(202, job=job.id, status_url=f"/api/v1/job/{job.id}", total=job.total,
                                     message="数据较多，已转为后台任务。")
            return xlsx_response(kind, scope.current_user(), request.args)
        except exports.ExportForbidden as exc:
            return self.response(403, message=str(exc))
        except QueryError as exc:
            return self.response(400, **exc.as_api())

    @api_expose("/ledger", methods=["GET"])
    @protect()
    @safe
    def ledger(self):
        """The problem ledger (企业问题台账) as .xlsx.
        ---
        get:
          description: >-
            Filters as query arguments, as on /api/v1/issue/: status, tier, enterprise, department,
            officer, category, region, source, level, received_from, received_to, q, open; order.
          responses:
            200:
              description: the workbook (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet)
            202:
              description: more rows than the office's threshold - a background job {job, status_url, total}
            400:
              description: a bad filter
        """
        return self._download("ledger")

    @api_expose("/assignments", methods=["GET"])
    @protect()
    @safe
    def assignments(self):
        """The assignment table (首席服务官及具体分包人情况表) as .xlsx.
        ---
        get:
          description: Optional query arguments enterprise, officer (ids), region.
          responses:
            200:
              description: the workbook
            202:
              description: more rows than the office's threshold - a background job {job, status_url, total}
        """
        return self._download("assignments")

    @api_expose("/visits", methods=["GET"])
    @protect()
    @safe
    def visits(self):
        """Visits (走访记录) as .xlsx.
        ---
        get:
          description: Optional query arguments enterprise, officer (ids), date_from, date_to (YYYY-MM-DD), mode.
          responses:
            200:
              description: the workbook
            202:
              description: more rows than the office's threshold - a background job {job, status_url, total}
            400:
              description: a bad filter
        """
        return self._download("visits")

    @api_expose("/officers", methods=["GET"])
    @protect()
    @safe
    def officers(self):
        """The officers' monthly work ledger (服务官工作台账) as .xlsx.
        ---
        get:
          description: Optional query arguments month_from, month_to (YYYY-MM; default the last six months), officer (ids).
          responses:
            200:
              description: the workbook
            202:
              description: more rows than the office's threshold - a background job {job, status_url, total}
            400:
              description: a bad filter
        """
        return self._download("officers")


def register(appbuilder):
    """Screens and API. No menu entry: the buttons sit on the list screens."""
    appbuilder.add_view_no_menu(ExportView)
    appbuilder.add_api(ExportApi)


def register_cli(group):
    """Add ``export`` to the ``flask cso`` group.

    Without ``--user`` the export runs with full office scope (every row): the command line is
    the only place where the exports take ``user=None`` to mean "all rows"."""

    @group.command("export")
    @click.argument("kind", type=click.Choice(exports.KINDS))
    @click.argument("out", type=click.Path(dir_okay=False))
    @click.option("--user", "username", default=None,
                  help="以该账号的权限范围导出（不给则为办公室全部数据）")
    @click.option("--filter", "-f", "filters", multiple=True, metavar="KEY=VALUE",
                  help="筛选条件，同列表页的查询参数，如 -f tier=overdue -f region=文昌街道（可多次给出）")
    def export_cmd(kind, out, username, filters):
        """Export to Excel: ledger | assignments | visits | officers OUT.xlsx."""
        user = None
        if username:
            user = current_app.appbuilder.sm.find_user(username=username)
            if user is None or not user.is_active:
                raise click.ClickException(f"账号不存在或已停用：{username}")
        args = {}
        for item in filters:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise click.BadParameter(f"应为 KEY=VALUE：{item}", param_hint="--filter")
            args[key.strip()] = value.strip()
        out = os.path.abspath(out)
        folder = os.path.dirname(out)
        if not os.path.isdir(folder):
            raise click.ClickException(f"目录不存在：{folder}")
        fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=folder)
        os.close(fd)
        try:
            rows = exports.export(kind, user, args, tmp)
            os.replace(tmp, out)  # never leave a half-written file under the asked name
        except QueryError as exc:
            raise click.ClickException(f"筛选条件有误（{exc.field}）：{exc.message}") from None
        except exports.ExportForbidden as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.session.rollback()
            if os.path.exists(tmp):
                os.remove(tmp)
        scope_text = f"账号 {username} 的范围" if username else "全部数据（办公室范围）"
        click.echo(f"已导出 {rows} 行到 {out}（{scope_text}）")

    return export_cmd
