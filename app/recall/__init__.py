"""Recall of officers and the signed handover (seed 七(三), 四; docs/recall.md): the recall case
(:mod:`.rules`), the handover list and the effective date (:mod:`.handover`), suggested recalls and
service periods (:mod:`.triggers`), settings (:mod:`.settings`), scope (:mod:`.access`), documents
(:mod:`.documents`), lists (:mod:`.listing`), screens (:mod:`.views`), REST (:mod:`.api`), demo (:mod:`.demo`).

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""
import click


def register(appbuilder):
    """Screens, REST, the attachments owner ``recall``, scope and ``flask cso recall-apply``."""
    from . import access, api, rules, views  # noqa: F401  (access and rules register with scope and files)

    views.register(appbuilder)
    api.register(appbuilder)
    _register_cli()


def _register_cli():
    from ..cli import cso

    if "recall-apply" in cso.commands:
        return

    @cso.command("recall-apply")
    @click.option("--today", default=None, help="按此日期执行（YYYY-MM-DD，默认今天）")
    def recall_apply(today):
        """执行已到生效日期且交接清单均已确认的服务官调整。"""
        from datetime import date

        from .. import clock
        from ..extensions import db
        from . import rules

        try:
            day = date.fromisoformat(today) if today else clock.today()
        except ValueError:
            raise click.ClickException("日期格式应为YYYY-MM-DD。") from None
        done, waiting = rules.apply_due(day)
        db.session.commit()
        for number in done:
            click.echo(f"已执行：{number}")
        for number, why in waiting:
            click.echo(f"未执行：{number}（{why}）")
        if not done and not waiting:
            click.echo("没有到期待执行的调整。")


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed, idempotent)."""
    from . import demo

    demo.seed()
