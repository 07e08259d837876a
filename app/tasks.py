"""Celery app and tasks. `celery -A app.tasks worker` / `celery -A app.tasks beat`.

Every task runs inside a Flask app context. The broker is whatever CELERY_BROKER_URL says:
a SQLite file through kombu's SQLAlchemy transport by default, Redis in production.
"""
import logging
import smtplib

from celery import Celery, Task

log = logging.getLogger(__name__)

_flask_app = None


def flask_app():
    """The Flask app tasks run in (built once per worker process)."""
    global _flask_app
    if _flask_app is None:
        from . import create_app

        _flask_app = create_app()
    return _flask_app


class AppContextTask(Task):
    def __call__(self, *args, **kwargs):
        with flask_app().app_context():
            return self.run(*args, **kwargs)


def make_celery():
    import config

    celery = Celery("cso", task_cls=AppContextTask)
    celery.conf.update(
        broker_url=config.CELERY_BROKER_URL,
        result_backend=config.CELERY_RESULT_BACKEND,
        timezone=config.CSO_TIMEZONE,
        enable_utc=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_time_limit=600,
        task_soft_time_limit=540,
        worker_prefetch_multiplier=1,
        task_always_eager=config.CELERY_TASK_ALWAYS_EAGER,
        task_default_queue=config.CELERY_QUEUE,
        broker_connection_retry_on_startup=True,
        beat_schedule={k: {kk: vv for kk, vv in v.items() if kk != "description"}
                       for k, v in config.BEAT_SCHEDULE.items()},
        broker_transport_options=({"visibility_timeout": config.CELERY_VISIBILITY_TIMEOUT}
                                  if config.CELERY_BROKER_URL.startswith(("redis", "sqs")) else {}),
    )
    return celery


celery = make_celery()


@celery.task(name="cso.heartbeat")
def heartbeat():
    """Trivial scheduled task: proves worker, beat and the database are reachable."""
    from sqlalchemy import func, select

    from . import db
    from .models import Enterprise

    count = db.session.scalar(select(func.count()).select_from(Enterprise))
    log.info("heartbeat: %s enterprises", count)
    return {"enterprises": count}


@celery.task(name="cso.sweep", bind=True, max_retries=3, default_retry_delay=60)
def sweep_task(self, now_iso=None):
    """Beat's sweep: reminders written once (dedupe keys), then one send task per due message."""
    from datetime import datetime

    from . import mail, reminders

    now = datetime.fromisoformat(now_iso) if now_iso else None
    summary = reminders.sweep(now)
    ids = mail.due_messages(now)
    for message_id in ids:
        send_message.delay(message_id)
    summary["queued"] = len(ids)
    return summary


@celery.task(name="cso.send_message", bind=True, max_retries=8,
             autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=30, retry_backoff_max=3600, retry_jitter=True)
def send_message(self, message_id):
    """Send one message; SMTP failures retry with backoff. A message already sent is skipped."""
    from . import mail

    return mail.deliver(message_id)


@celery.task(name="cso.bulletin")
def bulletin_task(kind, period=None):
    from datetime import date

    from . import bulletins

    bulletin = bulletins.generate(kind, date.fromisoformat(period) if period else None)
    return {"id": bulletin.id, "title": bulletin.title}


@celery.task(name="cso.job", bind=True)
def job_task(self, job_id):
    """One background job (app/jobs): claims the row for this task id, runs it, keeps the result.
    Acknowledged late: a job whose worker died is delivered again and starts over (idempotent)."""
    from .jobs import rules

    return rules.run(job_id, self.request.id)


@celery.task(name="cso.jobs_cleanup")
def jobs_cleanup_task():
    """Daily: remove the result files of expired background jobs."""
    from .jobs import rules

    return {"removed": rules.cleanup()}


@celery.task(name="cso.proxy_sweep")
def proxy_sweep_task():
    """Daily on working days: remind departments of 代办 steps past their statutory limit (app/proxy)."""
    from .extensions import db
    from .proxy import sweep

    reminded = sweep.daily()
    db.session.commit()
    return {"reminded": reminded}
