"""`flask cso survey-quarter --period 2026Q4` (the quarterly requests) and `flask cso survey-sweep`
(send queued close-out requests, remind after 3 days, expire after 15 — also run by the 15-minute sweep)."""
import json
from datetime import datetime

import click

from .. import clock, stats
from ..extensions import db
from ..workflow import WorkflowError


def register_cli(cso):
    @cso.command("survey-quarter")
    @click.option("--period", required=True, help="季度，如 2026Q4")
    @click.option("--json", "as_json", is_flag=True, help="以JSON输出结果")
    def survey_quarter_cmd(period, as_json):
        """向每家在岗包联企业发出季度满意度测评（已发出的不重复）。"""
        from . import rules

        try:
            p = stats.parse_period(period)
            created, skipped = rules.create_quarterly(p)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
        except WorkflowError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        if as_json:
            click.echo(json.dumps({"period": p.key, "created": [r.id for r in created], "skipped": skipped}))
        else:
            click.echo(f"{p.label}满意度测评：新发出{len(created)}份，跳过{skipped}家（已发出或无评价对象）。")

    @cso.command("survey-sweep")
    @click.option("--now", "now_iso", default=None, help="按此时刻运行，如 2026-11-27T09:00（亚洲/上海时间）")
    @click.option("--json", "as_json", is_flag=True, help="以JSON输出结果")
    def survey_sweep_cmd(now_iso, as_json):
        """满意度评价巡检：发送到期的待发评价，3天未评价提醒，15天未评价过期（计为未评价）。"""
        from . import rules

        try:
            now = datetime.fromisoformat(now_iso) if now_iso else clock.now()
        except ValueError:
            raise click.BadParameter("时间格式应为 YYYY-MM-DDTHH:MM", param_hint="--now") from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=clock.tz())
        with clock.at(now):
            counts = rules.sweep()
            db.session.commit()
        if as_json:
            click.echo(json.dumps(counts))
        else:
            click.echo("满意度评价巡检完成：发出{sent}份，提醒{reminded}份，过期{expired}份。".format(**counts))
