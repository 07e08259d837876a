"""The daily 代办 sweep (``flask cso proxy-sweep``; system work over all rows, no scope): a submitted
step past its statutory due date reminds its department (and the case's officer) once, through
app.notifications, and leaves an event on the case. Opening a linked ledger problem is the officer's or
the office's decision (the ``open_issue`` action), never automatic."""
import click
from sqlalchemy import select

from .. import clock
from ..extensions import db
from .models import ProxyCase, ProxyStep
from .rules import WORKFLOW, case_url, department_users, notify


def overdue_steps(today=None):
    today = today or clock.today()
    return db.session.scalars(select(ProxyStep).join(ProxyCase, ProxyCase.id == ProxyStep.case_id).where(
        ProxyStep.status == "submitted", ProxyStep.due_on < today, ProxyCase.status == "in_progress")
        .order_by(ProxyStep.due_on, ProxyStep.id)).all()


def sweep(today=None):
    """Remind once per overdue step; returns the steps reminded. The caller commits."""
    today = today or clock.today()
    reminded = []
    for step in overdue_steps(today):
        if step.overdue_notified_at is not None:
            continue
        case = step.case
        late = (today - step.due_on).days
        title = (f"代办件 {case.number}：{step.item.name} 已超过法定时限{late}天（应于{step.due_on.isoformat()}前办结，"
                 f"受理号{step.acceptance_no}）")
        users = department_users(step.department_id) + ([case.officer.user_id] if case.officer else [])
        notify(users, title, case_url(case), key=f"proxy:step:{step.id}:overdue")
        step.overdue_notified_at = clock.utcnow()
        WORKFLOW.record(case, None, "step_overdue", case.status, note=f"提醒{step.department.name}：{title}")
        reminded.append(step)
    db.session.flush()
    return reminded


def register_cli():
    from ..cli import cso

    if "proxy-sweep" in cso.commands:
        return

    @cso.command("proxy-sweep")
    @click.option("--today", default=None, help="按该日期检查（YYYY-MM-DD，默认今天）")
    def proxy_sweep(today):
        """代办：提醒超过法定时限的办理环节（每日运行）。"""
        from datetime import date

        try:
            day = date.fromisoformat(today) if today else None
        except ValueError:
            raise click.ClickException("日期格式应为YYYY-MM-DD。") from None
        steps = sweep(day)
        db.session.commit()
        click.echo(f"已提醒超期代办环节 {len(steps)} 个。")


def daily(today=None):
    """The beat's daily run (task ``cso.proxy_sweep``): on working days only — a department is not
    reminded on its days off; what fell due meanwhile is reminded on the next working morning."""
    from .. import workdays

    today = today or clock.today()
    if not workdays.is_workday(today):
        return None
    return len(sweep(today))
