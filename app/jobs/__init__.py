"""Background jobs with progress and kept result files (issue 14 item 5).

    models.py   the ``job`` table
    rules.py    start, run (the Celery task ``cso.job``), progress, finish, retry, expiry — every decision
    kinds.py    what each kind does: ``export`` (app.exports, over the office's row threshold), ``bulletin``
    views.py    /jobs/ (我的后台任务), /jobs/<id> with its progress bar, the owner's download, retry;
                GET /api/v1/job/<id>

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""


def _register_owner():
    """Result files hang on owner kind ``job``: only the job's owner sees them; nobody uploads."""
    from flask import url_for

    from .. import db
    from ..files import register_owner
    from .models import Job

    def visible(user, job_id):
        job = db.session.get(Job, job_id)
        return job is not None and user is not None and job.owner_id == getattr(user, "id", None)

    register_owner("job", label="后台任务", visible=visible, may_attach=lambda user, job_id: False,
                   may_remove=lambda user, job_id, att: False, url=lambda job_id: url_for("JobView.show", pk=job_id))


def register(appbuilder):
    """Screens and REST of this feature (called by create_app)."""
    from . import kinds  # noqa: F401  (the runners)
    from . import views

    _register_owner()
    views.register(appbuilder)


def register_cli(group):
    """``flask cso jobs-cleanup``: remove the result files of expired jobs."""
    import click

    @group.command("jobs-cleanup")
    def jobs_cleanup_cmd():
        """删除已过期的后台任务结果文件。"""
        from . import rules

        click.echo(f"已删除 {rules.cleanup()} 个过期的后台任务结果文件。")

    return jobs_cleanup_cmd


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed, idempotent): none — jobs are made by use."""
