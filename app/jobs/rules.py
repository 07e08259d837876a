"""Background jobs: start, run (in the Celery task ``cso.job``), report progress, finish, retry, expire.

The one module every surface calls (the job screens, ``GET /api/v1/job/<id>``, the export screens
that hand large exports over, the task, ``flask cso jobs-cleanup``).

Lifecycle (``JOB_STATES``): :func:`start` writes a *queued* row, commits and sends the task
``cso.job`` with the task id ``cso-job-<id>-<attempt>``. The task :func:`run` *claims* the row
(one UPDATE: queued/running → running, only for that task id — a redelivered task of the same
attempt claims it again, a stale task of an earlier attempt does not), runs the kind's runner with
a :class:`Progress` that writes ``done``/``total`` at least every ``PROGRESS_SECONDS``, and then in
one transaction keeps the result file (an attachment on owner kind ``job``: the owner alone may
read it) and marks the row *done* — or *failed* with a readable Chinese reason. Either way the
owner gets a notification.

Surviving a worker restart: the task is acknowledged late (``app.tasks``: ``task_acks_late``,
``task_reject_on_worker_lost``), so a task whose worker died is delivered again and starts the work
over from the first row; nothing is kept before the final transaction, so a job never has two
result files, and a job that is already done or failed is left alone (the task is idempotent).

Who sees what: a job is its owner's. Everybody else — the office included — gets 404 for it, its
progress and its file (``get_for``, the ``job`` owner kind of ``app.files``).
"""
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select, update

from .. import clock, db
from ..validation import valid_id
from ..vocab import JOB_ACTIVE, JOB_KINDS, JOB_STATES, JOB_UNITS
from ..workflow.errors import WorkflowError
from .models import Job

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5  # progress is written this often (the page polls every 1.5 s; under load a gap stays < 2 s)
DEFAULT_KEEP_DAYS = 7  # result files are kept this long (setting JOB_KEEP_DAYS)
TASK_NAME = "cso.job"


class JobError(WorkflowError):
    """The kit's error shape (status, message): 404 not yours or missing, 409 wrong state."""


RUNNERS = {}  # kind -> runner(job, owner, progress) -> Outcome


@dataclass
class Outcome:
    """What a runner made: a small summary, and optionally a file (a binary stream and its name)."""

    summary: dict
    filename: str = None
    stream: object = None
    url: str = None  # where the result lives when it is not a file (a bulletin's page)


def runner(kind):
    """Register the runner of a job kind (app/jobs/kinds.py)."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r} (app.vocab.JOB_KINDS)")

    def wrap(fn):
        RUNNERS[kind] = fn
        return fn
    return wrap


def keep_days():
    return int(current_app.config.get("JOB_KEEP_DAYS") or DEFAULT_KEEP_DAYS)


# --- reading ----------------------------------------------------------------------------------------

def mine(user):
    """SELECT of the user's own jobs, newest first."""
    uid = getattr(user, "id", None)
    return select(Job).where(Job.owner_id == uid).order_by(Job.created_at.desc(), Job.id.desc())


def get_for(user, job_id):
    """The job if ``user`` owns it; JobError 404 otherwise (missing, forged or someone else's)."""
    job = db.session.get(Job, int(job_id)) if valid_id(job_id) else None
    if job is None or user is None or job.owner_id != getattr(user, "id", None):
        raise JobError(404, "后台任务不存在，或不是您发起的。")
    return job


def result_url(job):
    if job.state != "done":
        return None
    if job.attachment_id and job.attachment is not None:
        return url_for("JobView.download", pk=job.id)
    found = job.result or {}
    if found.get("bulletin"):
        return url_for("BulletinsView.show", pk=found["bulletin"])
    if found.get("endpoint"):  # a page of the portal (the cycle computed, the requests sent)
        return url_for(found["endpoint"], **(found.get("endpoint_args") or {}))
    return found.get("url")


def percent(job):
    if job.state == "done":
        return 100
    if not job.total:
        return 0
    return max(0, min(99, int(job.done * 100 / job.total)))


def serialize(job):
    """The answer of ``GET /api/v1/job/<id>`` (and the page's poll)."""
    return {"id": job.id, "state": job.state, "state_label": JOB_STATES.get(job.state, job.state),
            "kind": job.kind, "title": job.title, "done": job.done, "total": job.total,
            "unit": JOB_UNITS.get(job.kind, "行"),
            "message": (job.result or {}).get("message") if job.state == "done" else None,
            "percent": percent(job), "reason": job.reason, "result_url": result_url(job),
            "created_at": clock.local_text(job.created_at),
            "finished_at": clock.local_text(job.finished_at) if job.finished_at else None,
            "expires_at": clock.local_text(job.expires_at) if job.expires_at else None,
            "expired": bool(job.state == "done" and job.expires_at and job.attachment_id is None
                            and (job.result or {}).get("file")),
            "may_retry": may_retry(job)}


def may_retry(job):
    """Failed, or done whose file expired — unless the file cannot be made again (``once``: the
    roster import's sheet of one-time passwords; the logins exist now)."""
    if job.state == "done" and (job.result or {}).get("once"):
        return False
    return job.state == "failed" or (job.state == "done" and job.attachment_id is None
                                     and bool((job.result or {}).get("file")))


# --- starting ---------------------------------------------------------------------------------------

def start(user, kind, params, title, total=None):
    """Write a queued job for ``user``, commit and hand it to the task queue; returns the job."""
    if kind not in RUNNERS:
        from . import kinds  # noqa: F401  (registers the runners)
    if kind not in RUNNERS:
        raise JobError(422, f"未知的后台任务类型：{kind}")
    job = Job(owner_id=user.id, kind=kind, title=title[:200], params=params, state="queued", done=0,
              total=total, attempts=0, created_at=clock.utcnow())
    db.session.add(job)
    db.session.flush()
    job.task_id = f"cso-job-{job.id}-0"
    db.session.commit()
    dispatch(job)
    return job


def dispatch(job):
    """Send the task (after the row is committed). A queue that cannot be reached fails the job."""
    try:
        from ..tasks import celery

        celery.send_task(TASK_NAME, args=[job.id], task_id=job.task_id)
    except Exception:  # noqa: BLE001 — any broker error: the user sees a reason, not a 500
        log.exception("job %s: the task queue is not reachable", job.id)
        _finish(job.id, "failed", reason="后台任务队列暂时不可用，任务未能开始，请稍后点击“重试”。")


def retry(user, job_id):
    """The owner starts a failed (or expired) job again: a new attempt with a new task id."""
    job = get_for(user, job_id)
    if not may_retry(job):
        raise JobError(409, f"该任务{JOB_STATES.get(job.state, job.state)}，不能重试。")
    job.attempts = (job.attempts or 0) + 1
    job.task_id = f"cso-job-{job.id}-{job.attempts}"
    job.state, job.done, job.reason, job.result = "queued", 0, None, None
    job.started_at = job.finished_at = job.progress_at = job.expires_at = None
    job.attachment_id = None
    db.session.commit()
    dispatch(job)
    return job


# --- progress ---------------------------------------------------------------------------------------

def _sqlite():
    return db.engine.dialect.name == "sqlite"


class Progress:
    """Rows done of the total, written to the job row while the runner works.

    ``progress(n)`` counts n more rows done; ``progress.total = N`` sets the total. On PostgreSQL a
    small thread writes the figures every ``PROGRESS_SECONDS`` on its own connection (so the
    export's server-side cursor and transaction are not touched, and the row moves even while the
    workbook is being packed). SQLite allows one writer at a time and the export holds a read lock,
    so there the figures go out on the runner's own connection, from the counting itself."""

    def __init__(self, job_id, total=None, in_session_writes=False):
        self.job_id, self.total, self.done = job_id, total, 0
        self._written = (None, None)
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._thread = None
        self._sqlite = _sqlite()
        self._in_session_writes = in_session_writes  # the runner writes in its session: no SQLite commits
        self.writes = 0

    def __call__(self, n=1):
        self.done += n
        if self._sqlite and time.monotonic() - self._last >= PROGRESS_SECONDS:
            self.flush()

    def start(self):
        if not self._sqlite:
            engine = db.engine
            self._thread = threading.Thread(target=self._beat, args=(engine,), daemon=True,
                                            name=f"job-{self.job_id}-progress")
            self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _values(self):
        return {"done": self.done, "total": self.total, "progress_at": clock.utcnow()}

    def _beat(self, engine):
        while not self._stop.wait(PROGRESS_SECONDS):
            try:
                with engine.begin() as conn:
                    conn.execute(update(Job).where(Job.id == self.job_id, Job.state == "running")
                                 .values(**self._values()))
                self.writes += 1
            except Exception:  # noqa: BLE001 — progress is best effort; the work goes on
                log.warning("job %s: progress not written", self.job_id, exc_info=True)

    def flush(self):
        """SQLite: write the figures on the session's connection and commit that connection only."""
        self._last = time.monotonic()
        if self._in_session_writes or (self.done, self.total) == self._written:
            return
        try:
            conn = db.session.connection()
            conn.execute(update(Job).where(Job.id == self.job_id, Job.state == "running").values(**self._values()))
            conn.connection.dbapi_connection.commit()  # the read cursor stays open (pysqlite)
            self._written = (self.done, self.total)
            self.writes += 1
        except Exception:  # noqa: BLE001
            log.warning("job %s: progress not written", self.job_id, exc_info=True)


# --- running (the task) -----------------------------------------------------------------------------

def claim(job_id, task_id):
    """queued/running → running for this attempt's task id; False when the job is not (or no longer)
    this task's: done, failed, or retried under a newer task id."""
    now = clock.utcnow()
    query = update(Job).where(Job.id == job_id, Job.state.in_(JOB_ACTIVE))
    if task_id:
        query = query.where(Job.task_id == task_id)
    claimed = db.session.execute(query.values(state="running", started_at=now, progress_at=now, done=0)).rowcount
    db.session.commit()
    return bool(claimed)


def reason_of(exc, job_id):
    """A readable Chinese reason for the owner (the traceback goes to the log)."""
    from celery.exceptions import SoftTimeLimitExceeded

    from .. import exports
    from ..querystring import QueryError

    if isinstance(exc, JobError):
        return exc.message
    if isinstance(exc, QueryError):
        return f"条件有误（{exc.field}）：{exc.message}"
    if isinstance(exc, exports.ExportForbidden):
        return str(exc)
    if isinstance(exc, SoftTimeLimitExceeded):
        return "任务运行超过时间上限，已停止。请缩小导出范围（增加筛选条件）后重试。"
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message and any("\u4e00" <= ch <= "\u9fff" for ch in message):
        return message[:450]
    return f"处理时发生内部错误（任务编号 {job_id}），请点击“重试”；如仍失败，请联系系统管理员。"


def run(job_id, task_id=None):
    """The task's body: claim, run the kind's runner, keep the result, finish. Idempotent."""
    from . import kinds  # noqa: F401

    job = db.session.get(Job, job_id) if valid_id(job_id) else None
    if job is None:
        return {"job": job_id, "skipped": "missing"}
    if not claim(job.id, task_id):
        db.session.refresh(job)
        return {"job": job.id, "skipped": job.state}
    db.session.refresh(job)
    owner = job.owner
    fn = RUNNERS.get(job.kind)
    progress = Progress(job.id, job.total, in_session_writes=job.kind != "export").start()
    try:
        if fn is None:
            raise JobError(422, f"未知的后台任务类型：{job.kind}")
        if owner is None or not owner.is_active:
            raise JobError(403, "发起任务的账号已停用，任务未执行。")
        outcome = fn(job, owner, progress)
        progress.stop()
        _keep(job, outcome, progress)
    except Exception as exc:  # noqa: BLE001 — SoftTimeLimitExceeded too; a hard kill never gets here
        progress.stop()
        db.session.rollback()
        if not isinstance(exc, JobError):
            log.exception("job %s (%s) failed", job_id, job.kind)
        reason = reason_of(exc, job_id)
        _finish(job_id, "failed", reason=reason, done=progress.done)
        _tell(job_id)
        return {"job": job_id, "state": "failed", "reason": reason}
    _tell(job_id)
    return {"job": job_id, "state": "done", **(outcome.summary or {})}


def _keep(job, outcome, progress):
    """One transaction: the result file (if any) on the job, the row done."""
    from .. import files

    summary = dict(outcome.summary or {})
    if outcome.stream is not None:
        att = files.attach_generated("job", job.id, outcome.filename, outcome.stream, actor=job.owner)
        job.attachment_id = att.id
        summary["file"] = outcome.filename
        job.expires_at = clock.utcnow() + timedelta(days=keep_days())
    if outcome.url:
        summary["url"] = outcome.url
    job.result = summary
    job.state = "done"
    total = progress.total if progress.total is not None else progress.done
    job.total = max(total or 0, progress.done)
    job.done = job.total
    job.reason = None
    job.finished_at = job.progress_at = clock.utcnow()
    db.session.commit()


def _finish(job_id, state, reason=None, done=None):
    """Only a job still under way: a late duplicate of a task never turns a done job into failed."""
    values = {"state": state, "reason": reason, "finished_at": clock.utcnow()}
    if done is not None:
        values["done"] = done
    db.session.execute(update(Job).where(Job.id == job_id, Job.state.in_(JOB_ACTIVE)).values(**values))
    db.session.commit()


def _tell(job_id):
    """The owner's notification: ready (with the link) or failed (with the reason)."""
    job = db.session.get(Job, job_id)
    if job is None:
        return
    try:
        url = url_for("JobView.show", pk=job.id)
    except Exception:  # noqa: BLE001 — outside a request (the worker): the path as registered
        url = f"/jobs/{job.id}"
    if job.state == "done":
        title = f"后台任务已完成：{job.title}" + ("，可下载结果文件" if job.attachment_id else "")
    else:
        title = f"后台任务失败：{job.title}"
    from .. import notifications

    try:
        notifications.notify([job.owner_id], title[:200], url, body=job.reason or "", kind="job",
                             key=f"job:{job.id}:{job.attempts}:{job.state}")
        db.session.commit()
    except Exception:  # noqa: BLE001 — a notice that fails must not fail the finished job
        db.session.rollback()
        log.warning("job %s: notification failed", job.id, exc_info=True)


# --- expiry -----------------------------------------------------------------------------------------

def cleanup(now=None):
    """Remove the result files of jobs past their expiry (the row stays, marked expired); returns
    the number of files removed. Content shared with a live attachment elsewhere stays on disk."""
    from ..files import store
    from ..files.models import Attachment, StoredFile

    import os

    now = now or clock.utcnow()
    removed, unlink = 0, []
    for job in db.session.scalars(select(Job).where(Job.attachment_id.is_not(None), Job.expires_at < now)):
        att = job.attachment
        job.attachment_id = None
        db.session.flush()
        if att is not None:
            sha = att.sha256
            db.session.delete(att)
            db.session.flush()
            if db.session.scalar(select(Attachment.id).where(Attachment.sha256 == sha).limit(1)) is None:
                stored = db.session.get(StoredFile, sha)
                if stored is not None:
                    db.session.delete(stored)
                unlink.append(sha)
        removed += 1
    db.session.commit()
    for sha in unlink:  # after the commit: a failed transaction leaves every file in place
        try:
            os.unlink(store.path_for(sha))
        except FileNotFoundError:
            pass
    return removed
