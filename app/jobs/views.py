"""Screens and REST of background jobs (every decision in app.jobs.rules).

* ``/jobs/`` — 我的后台任务: the user's own jobs (running, done, failed with the reason, 重试), linked
  from the user's menu in the navbar;
* ``/jobs/<id>`` — one job with its progress bar (``app/static/jobs.js`` polls ``/jobs/<id>/status``
  with the session; no inline script under the CSP), the download when it is ready;
* ``/jobs/<id>/download`` — the result file, for its owner only (everybody else: 404);
* ``POST /jobs/<id>/retry`` — start a failed or expired job again;
* ``GET /api/v1/job/<id>`` (JWT) → ``{"state", "done", "total", "result_url", …}``; others' jobs 404.
"""
from flask import abort, flash, jsonify, redirect, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, protect, safe
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.security.decorators import has_access

from .. import db, scope
from ..exports.workbook import content_disposition
from ..vocab import JOB_KINDS, JOB_STATES
from . import rules

PERMISSION_NAME = "Job"


class JobView(BaseView):
    route_base = "/jobs"
    class_permission_name = PERMISSION_NAME
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "status": "read", "download": "read",
                              "retry": "write"}
    default_view = "list"

    def _get(self, pk):
        try:
            return rules.get_for(scope.current_user(), pk)
        except rules.JobError:
            abort(404)

    @expose("/")
    @has_access
    def list(self):
        jobs = db.session.scalars(rules.mine(scope.current_user()).limit(200)).all()
        return self.render_template("jobs/list.html", jobs=[(j, rules.serialize(j)) for j in jobs],
                                    states=JOB_STATES, kinds=JOB_KINDS)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        job = self._get(pk)
        return self.render_template("jobs/show.html", job=job, data=rules.serialize(job), states=JOB_STATES,
                                    kinds=JOB_KINDS)

    @expose("/<int:pk>/status")
    @has_access
    def status(self, pk):
        response = jsonify(rules.serialize(self._get(pk)))
        response.headers["Cache-Control"] = "no-store, private"
        return response

    @expose("/<int:pk>/download")
    @has_access
    def download(self, pk):
        from ..files import rules as file_rules

        job = self._get(pk)
        att = job.attachment if job.state == "done" else None
        if att is None:
            flash("结果文件不存在或已过期，可点击“重试”重新生成。", "warning")
            return redirect(url_for("JobView.show", pk=job.id))
        try:
            fh = file_rules.open_content(file_rules.readable(scope.current_user(), att.id))
        except file_rules.FileError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("JobView.show", pk=job.id))
        response = send_file(fh, mimetype=att.content_type, as_attachment=True, download_name=f"job-{job.id}.xlsx",
                             max_age=0, etag=False, conditional=False)
        response.headers["Content-Disposition"] = content_disposition(att.filename)
        response.headers["Cache-Control"] = "no-store, private"
        return response

    @expose("/<int:pk>/retry", methods=["POST"])
    @has_access
    def retry(self, pk):
        try:
            job = rules.retry(scope.current_user(), pk)
        except rules.JobError as exc:
            db.session.rollback()
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
            return redirect(url_for("JobView.show", pk=pk))
        flash(f"已重新排队：{job.title}", "success")
        return redirect(url_for("JobView.show", pk=job.id))


class JobApi(BaseApi):
    resource_name = "job"
    class_permission_name = PERMISSION_NAME
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get": "read"}
    openapi_spec_tag = "Job"

    @api_expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One background job of the caller (export, import, bulletin): its progress and result.
        ---
        get:
          description: >-
            state is queued, running, done or failed; done of total rows; result_url the download
            (owner only) once done; reason a Chinese message when failed. Another user's job is 404.
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
            required: true
          responses:
            200:
              description: '{"state", "done", "total", "result_url", "percent", "reason", "title", …}'
            404:
              description: no such job, or not the caller's
        """
        try:
            job = rules.get_for(scope.current_user(), pk)
        except rules.JobError:
            return self.response_404()
        return self.response(200, **rules.serialize(job))


def register(appbuilder):
    appbuilder.add_view_no_menu(JobView)
    appbuilder.add_api(JobApi)
