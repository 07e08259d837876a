"""``flask cso assess --period 2026Q4 [--subject officer|department] [--json]``: compute (or recompute)
the period's open cycle(s) — created on the active scheme when there is none — and print the ranking."""
import json

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..vocab import ASSESSMENT_SUBJECTS
from ..workflow import WorkflowError
from . import cycles, listing

RECOMPUTABLE = ("open", "computed", "reopened")


@click.command("assess", help="计算（或重新计算）考核周期的得分并输出排名。")
@click.option("--period", required=True, help="考核期间：2026Q4（季度）或 2026（年度）")
@click.option("--subject", type=click.Choice(list(ASSESSMENT_SUBJECTS)), default=None, help="officer 或 department（默认两者）")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出")
@with_appcontext
def assess_cmd(period, subject, as_json):
    out = []
    try:
        for subj in [subject] if subject else list(ASSESSMENT_SUBJECTS):
            cycle = cycles.open_cycle(None, period, subj)
            if cycle.status not in RECOMPUTABLE:
                raise WorkflowError(409, f"{cycle.period}{cycle.subject_label}考核周期当前为“{cycle.status_label}”，"
                                         "不能重新计算（冻结后的得分不再随台账变化）。")
            cycles.compute(cycle)
            cycles.WORKFLOW.commit()
            out.append(cycle)
    except WorkflowError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    if as_json:
        none = lambda kind, id_: None  # noqa: E731
        click.echo(json.dumps({"cycles": [{**listing.serialize_cycle(c), "assessments": [
            listing.serialize(a, None, lines=True, url=none) for a in sorted(c.assessments, key=lambda a: (a.rank, a.subject_name))]}
            for c in out]}, ensure_ascii=False, indent=1))
        return
    for c in out:
        click.echo(f"{listing.period_label(c.period)} {c.subject_label}考核（{c.status_label}，{len(c.assessments)}个对象）")
        for a in sorted(c.assessments, key=lambda a: (a.rank, a.subject_name)):
            change = "" if a.rank_change is None else f" 名次变化{a.rank_change:+d}"
            click.echo(f"  {a.rank:>3}. {a.subject_name}  {a.score:g}分  {a.grade}  {a.band}{change}")


def register():
    from ..cli import cso

    if "assess" not in cso.commands:
        cso.add_command(assess_cmd)
