"""What each kind of background job does (``JOB_KINDS``): the runners :func:`app.jobs.rules.run` calls.

A runner gets the job, its owner (whose scope applies, exactly as if the owner had asked in a
request) and a :class:`~app.jobs.rules.Progress`; it returns an :class:`~app.jobs.rules.Outcome`.

* ``export`` — one of ``app.exports.KINDS`` with the list's filters (``params = {"kind", "args"}``):
  the same workbook the instant download writes, counted row by row (``workbook.PROGRESS``);
* ``bulletin`` — ``bulletins.generate(kind, period)`` (``params = {"kind", "period"}``): the draft's page;
* ``assessment``, ``survey`` — the office's 计算得分 and 发起季度测评 (below);
* ``import`` — the roster's 确认导入 (``params = {"upload", "sha256", "filename", "logins", "changes",
  "rows", "new_logins"}``): the previewed file committed with the credentials sheet as the result (owner only).
"""
import tempfile
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from .. import bulletins, clock, db, exports
from ..exports import common as export_common
from ..exports import workbook
from .rules import JobError, Outcome, keep_days, runner

DEFAULT_THRESHOLD = 5000  # rows: larger exports run as jobs (office setting ``policy.export_job_rows``)


def export_threshold():
    """Rows above which an export runs as a background job (系统设置 → 时限设置, default 5,000)."""
    from .. import settings

    return int(getattr(settings.get_policy(), "export_job_rows", DEFAULT_THRESHOLD) or DEFAULT_THRESHOLD)


def _count(stmt):
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def export_size(kind, user, args, today=None):
    """How many data rows the export would hold (the same scoped, filtered SELECT it reads).
    Raises the export's own errors (a bad filter, ``ExportForbidden``) before anything starts."""
    from ..exports.assignments import assignment_statement
    from ..exports.ledger import ledger_statement
    from ..exports.officer_ledger import month_range, officer_statement
    from ..exports.visits import visit_statement

    if kind in exports.KIND_MODELS and not exports.may_export(kind, user):
        raise exports.ExportForbidden(f"您的角色无权导出“{exports.FILE_NAMES[kind][0]}”。")
    today = today or clock.today()
    if kind == "ledger":
        return _count(ledger_statement(user, args, today))
    if kind == "assignments":
        return _count(assignment_statement(user, args or {}))
    if kind == "visits":
        return _count(visit_statement(user, args or {}))
    if kind == "officers":
        months = month_range(export_common.clean_args(args), today)
        return _count(officer_statement(user, args or {})) * len(months)
    raise exports.ExportError("kind", f"导出类型应为：{'、'.join(exports.KINDS)}。")


def export_params(kind, args):
    """The job's parameters: the kind and the (first value of each) query argument."""
    if hasattr(args, "getlist"):
        plain = {k: (args.getlist(k) if len(args.getlist(k)) > 1 else args.get(k)) for k in args.keys()}
    else:
        plain = dict(args or {})
    return {"kind": kind, "args": {k: v for k, v in plain.items() if v not in (None, "", [])}}


class _Args(dict):
    """A dict with ``getlist`` (the FAB filters of a list may repeat a key)."""

    def getlist(self, key):
        value = self.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def get(self, key, default=None):  # the exports read single values
        value = super().get(key, default)
        return value[0] if isinstance(value, list) and value else value

    def items(self):
        return [(k, self.get(k)) for k in self.keys()]


@runner("export")
def run_export(job, owner, progress):
    params = job.params or {}
    kind = params.get("kind")
    if kind not in exports.KINDS:
        raise JobError(422, "导出类型有误。")
    args = _Args(params.get("args") or {})
    progress.total = export_size(kind, owner, args)
    progress.flush() if progress._sqlite else None
    fh = tempfile.TemporaryFile(suffix=".xlsx", dir=current_app.config.get("EXPORT_TMPDIR"))
    token = workbook.PROGRESS.set(progress)
    try:
        rows = exports.export(kind, owner, args, fh)
    except BaseException:
        fh.close()
        raise
    finally:
        workbook.PROGRESS.reset(token)
    db.session.rollback()  # the read (and PostgreSQL's server-side cursor) ends here
    fh.seek(0)
    progress.total = rows
    name, _fallback = exports.file_names(kind)
    return Outcome(summary={"rows": rows}, filename=name, stream=fh)


@runner("bulletin")
def run_bulletin(job, owner, progress):
    params = job.params or {}
    if not bulletins.manages(owner):
        raise JobError(403, "只有首席服务官办公室可以生成通报。")
    period = params.get("period")
    try:
        day = date.fromisoformat(period) if period else None
    except ValueError:
        raise JobError(422, "通报日期应为 YYYY-MM-DD。") from None
    progress.total = 1
    try:
        bulletin = bulletins.generate(params.get("kind"), day)  # commits the draft
    except bulletins.BulletinError as exc:
        raise JobError(exc.status, exc.message) from None
    progress(1)
    return Outcome(summary={"bulletin": bulletin.id, "title": bulletin.title})


def bulletin_as_job(user, kind, period=None):
    """The office's 生成草稿: a job (a province-sized snapshot takes a while); bad kind → BulletinError."""
    from . import rules

    bulletins.check_kind(kind)
    return rules.start(user, "bulletin", {"kind": kind, "period": period}, f"生成{bulletins.SHORT[kind]}草稿", total=1)


def export_as_job(kind, user, args):
    """The export's decision: ``None`` when it is small enough to answer at once (at most the office's
    threshold of rows), else the background job that writes it — the user's running job with the
    same parameters if there is one (a reload does not start a second one). Raises the export's
    own errors (bad filter, forbidden) as the instant export would."""
    from sqlalchemy import select as _select

    from ..vocab import JOB_ACTIVE
    from . import rules
    from .models import Job

    size = export_size(kind, user, args)
    if size <= export_threshold():
        return None
    params = export_params(kind, args)
    for job in db.session.scalars(_select(Job).where(Job.owner_id == user.id, Job.kind == "export",
                                                     Job.state.in_(JOB_ACTIVE))):
        if job.params == params:
            return job
    title = f"导出{exports.FILE_NAMES[kind][0]}（{size:,}行）"
    return rules.start(user, "export", params, title, total=size)


# --- assessment computation (考核计算) and the quarterly survey mailing (季度测评) ------------------------

def _active_jobs(kind):
    from sqlalchemy import select as _select

    from ..vocab import JOB_ACTIVE
    from .models import Job

    return db.session.scalars(_select(Job).where(Job.kind == kind, Job.state.in_(JOB_ACTIVE))).all()


def _already_running(user, kind, key, value, busy):
    """The user's own running job for the same thing (a double click returns it), or 409 when
    another user's job is computing it now."""
    for job in _active_jobs(kind):
        if (job.params or {}).get(key) == value:
            if job.owner_id == user.id:
                return job
            raise JobError(409, busy)
    return None


def assessment_as_job(user, cycle_id, version=None):
    """The office's 计算 on the cycle page: checked now as the action would be (404 unseen, 403 not the
    office, 409 wrong state or stale version), then computed by the task ``cso.job``. Raises
    WorkflowError (JobError is one)."""
    from ..assessments import cycles
    from ..workflow.actions import Step
    from . import rules

    wf = cycles.WORKFLOW
    cycle = wf.load(user, cycle_id, version)
    refused = wf.refusal(wf.actions["compute"], Step(user, cycle, {}, wf.role_kinds(user, cycle)))
    if refused:
        raise JobError(*refused)
    job = _already_running(user, "assessment", "cycle", cycle.id, "该考核周期正在由他人计算，请稍后刷新查看。")
    if job is not None:
        return job
    from ..assessments.listing import period_label

    title = f"计算考核得分：{period_label(cycle.period)}{cycles.ASSESSMENT_SUBJECTS.get(cycle.subject, '')}"
    return rules.start(user, "assessment", {"cycle": cycle.id}, title, total=len(cycle.scheme.items) or None)


@runner("assessment")
def run_assessment(job, owner, progress):
    """``assessments.compute`` as the owner (the compute action: same checks, same event), one item at a
    time counted; the result is the cycle's page."""
    from ..assessments import cycles
    from ..workflow import WorkflowError

    def tick(done, total):
        progress.total, progress.done = total, done

    try:
        cycle = cycles.load(owner, (job.params or {}).get("cycle"))
        cycles.compute(cycle, tick, owner)
        cycles.WORKFLOW.commit()
    except JobError:
        raise
    except WorkflowError as exc:
        db.session.rollback()
        raise JobError(exc.status, exc.message) from None
    n = len(cycle.assessments)
    return Outcome(summary={"cycle": cycle.id, "subjects": n, "message": f"已计算 {n} 个考核对象的得分。",
                            "endpoint": "CycleView.show", "endpoint_args": {"pk": cycle.id}})


def survey_as_job(user, period_text):
    """The office's 发出季度测评 on the survey list: the period checked now (422 in Chinese, 403 not the
    office), the requests written by the task ``cso.job`` one enterprise at a time."""
    from .. import scope, stats
    from ..surveys.rules import SurveyError
    from ..vocab import OFFICE_ROLES
    from . import rules

    try:
        p = stats.parse_period(period_text)
    except (TypeError, ValueError) as exc:
        raise SurveyError(422, str(exc) if isinstance(exc, ValueError) else "请填写季度，如 2026Q4。", "period") from None
    if p.kind != "quarter":
        raise SurveyError(422, "季度测评的期间应为季度，如 2026Q4。", "period")
    if not scope.role_names(user) & OFFICE_ROLES:
        raise SurveyError(403, "只有首席服务官办公室可以发起季度测评。")
    job = _already_running(user, "survey", "period", p.key, f"{p.label}满意度测评正在由他人发出，请稍后刷新查看。")
    if job is not None:
        return job
    return rules.start(user, "survey", {"period": p.key}, f"发出{p.label}企业满意度测评")


@runner("survey")
def run_survey(job, owner, progress):
    """``surveys.rules.create_quarterly`` as the owner (idempotent per enterprise and quarter: a
    redelivered task writes nothing twice), counted per served enterprise."""
    from .. import stats
    from ..surveys import rules as survey_rules
    from ..workflow import WorkflowError

    try:
        p = stats.parse_period((job.params or {}).get("period"))
    except (TypeError, ValueError):
        raise JobError(422, "季度应写作如 2026Q4。") from None

    def tick(done, total):
        progress.total, progress.done = total, done

    try:
        created, skipped = survey_rules.create_quarterly(p, owner, progress=tick)
        survey_rules.commit()
    except WorkflowError as exc:
        db.session.rollback()
        raise JobError(exc.status, exc.message) from None
    return Outcome(summary={"period": p.key, "created": len(created), "skipped": skipped,
                            "message": f"{p.label}满意度测评：新发出 {len(created)} 份，已有或无评价对象 {skipped} 家。",
                            "endpoint": "SurveyView.list", "endpoint_args": {"kind": "quarterly", "period": p.key}})


# --- the roster import (导入包联名册 → 确认导入) -----------------------------------------------------------

def roster_as_job(user, token):
    """The office's 确认导入 on the preview: the file previewed by ``user`` (its token; another user's
    token is as missing as a forged one) is committed by the task ``cso.job``. Pressed twice — or
    the preview's form sent again later — the same job. Raises JobError in Chinese."""
    from .. import scope
    from ..roster import uploads
    from ..roster.uploads import MISSING_UPLOAD
    from ..roster.views import PERMISSION
    from . import rules
    from .models import Job

    uid = getattr(user, "id", None)
    if not scope.has_permission(user, "can_write", PERMISSION):
        raise JobError(403, "您的角色无权导入包联名册。")
    if token and uploads.TOKEN_RE.match(token):
        for job in db.session.scalars(select(Job).where(Job.owner_id == uid, Job.kind == "import")
                                      .order_by(Job.id.desc()).limit(200)):
            if (job.params or {}).get("upload") == token:
                return job
    meta = uploads.meta_of(token, uid)
    if meta is None:
        raise JobError(404, MISSING_UPLOAD)
    params = {"upload": token, "sha256": meta.get("sha256"), "filename": meta.get("filename") or "",
              "logins": meta.get("logins"), "changes": meta.get("changes"), "rows": meta.get("rows") or 0,
              "new_logins": meta.get("new_logins") or 0}
    title = f"导入包联名册：{params['filename'] or '（无文件名）'}"
    return rules.start(user, "import", params, title, total=params["rows"] or None)


def _roster_outcome(result, job):
    from ..roster import credentials_xlsx, summary

    n = len(result.credentials)
    text = summary(result.report)
    found = {"log": result.log_id, "rows": result.rows, "logins": n, "once": bool(n),
             "created": result.report["created"], "updated": result.report["updated"],
             "ended": result.report["ended"]}
    if not n:
        return Outcome(summary={**found, "message": text, "endpoint": "ImportLogView.show",
                                "endpoint_args": {"pk": result.log_id}})
    found["message"] = (text + f"已为{n}名新服务官开通登录账号（首次登录须修改密码），请下载账号及初始密码表"
                        f"（只有您本人可以下载，保留{keep_days()}天）。")
    import io

    stamp = clock.today().strftime("%Y%m%d")
    return Outcome(summary=found, filename=f"新开通账号及初始密码_{stamp}.xlsx",
                   stream=io.BytesIO(credentials_xlsx(result.credentials)))


@runner("import")
def run_roster_import(job, owner, progress):
    """``roster.import_roster`` as the owner on the file they previewed, in one transaction with the
    job's result: the rows, the log line, the new logins (their passwords made here, inside it) and
    the credentials sheet commit together in ``rules._keep`` — a task delivered again after a worker
    died starts over on a database that holds none of it, so nothing is created twice and only one
    sheet ever exists. The preview's plan must still hold (same file, same changes) or nothing is
    written and the job fails with the reason."""
    import hashlib

    from .. import roster, scope
    from ..roster import uploads
    from ..roster.uploads import MISSING_UPLOAD
    from ..roster.views import PERMISSION
    from .models import Job

    params = job.params or {}
    if not scope.has_permission(owner, "can_write", PERMISSION):
        raise JobError(403, "您的角色已无权导入包联名册，未导入任何数据。")
    found = uploads.load(params.get("upload"), owner.id)
    if found is None:
        raise JobError(404, "未导入任何数据：" + MISSING_UPLOAD)
    data, _meta = found
    if hashlib.sha256(data).hexdigest() != params.get("sha256"):
        raise JobError(409, "待导入的文件在预览之后被更改（校验值不符），未导入任何数据。请重新上传名册并预览后再确认。")
    roster.lock_imports()  # PostgreSQL: a second delivery of this task waits here until the first ends
    state = db.session.execute(select(Job.state, Job.task_id).where(Job.id == job.id)).one()
    if tuple(state) != ("running", job.task_id):
        raise JobError(409, "该名册已由本任务的另一次执行导入，未重复导入。")
    logins = params.get("logins")
    if logins not in roster.LOGIN_CHOICES:
        raise JobError(422, "“开通登录账号”的选择有误，未导入任何数据。")
    result = roster.import_roster(data, params.get("filename") or "", owner, dry_run=False, logins=logins,
                                  commit=False, progress=progress, expected=params.get("changes"))
    if not result.ok:
        raise JobError(422, roster.failure_text(result.report))
    uploads.discard_after_commit(db.session, params.get("upload"))
    return _roster_outcome(result, job)
