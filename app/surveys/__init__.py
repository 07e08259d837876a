"""Satisfaction surveys (好差评), bad-review cases and inspections (督查) — docs/surveys.md.

Rules: :mod:`.rules` (templates, requests, answers, the sweep), :mod:`.bad_reviews` (差评件 on the
workflow kit), :mod:`.inspections`; figures for other features: :mod:`.metrics` (and :mod:`.results`
for the tables, the .xlsx and the bulletin); who sees what: :mod:`.access`; screens :mod:`.views`
(with the one-time page ``/s/<token>``), REST :mod:`.api`, CLI :mod:`.cli`, demo rows :mod:`.demo`.

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""


def register(appbuilder):
    """Screens, REST and the CLI commands of this feature (called by create_app)."""
    from . import access, api, cli, views  # noqa: F401  (access: the scope criteria)
    from ..cli import cso

    views.register(appbuilder)
    api.register(appbuilder)
    cli.register_cli(cso)


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed, idempotent)."""
    from . import demo

    demo.seed()
