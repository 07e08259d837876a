"""Celery app and tasks. `celery -A app.tasks worker` / `celery -A app.tasks beat`.

Every task runs inside a Flask app context. The broker is whatever CELERY_BROKER_URL says:
a SQLite file through kombu's SQLAlchemy transport by default, Redis in production.
"""
import logging

from celery import Celery, Task
from celery.schedules import crontab

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
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "heartbeat": {"task": "cso.heartbeat", "schedule": crontab(minute="*/5")},
        },
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
