"""Assessments (考核评价, issue 13 items 5–7, 9, 10): versioned schemes (:mod:`.schemes`), the metric
library (:mod:`.metrics`), the rule library (:mod:`.scoring`), cycles on the workflow kit with frozen
evidence (:mod:`.cycles`), appeals (:mod:`.appeals`), the accountability ladder (:mod:`.ladder`), the
annual assessment (:mod:`.annual`), who sees what (:mod:`.access`), workbooks (:mod:`.exports`),
screens (:mod:`.views`), REST (:mod:`.api`) and the CLI ``flask cso assess`` (:mod:`.cli`).

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""


def register(appbuilder):
    """Screens, REST, the scope criterion and the CLI command (called by create_app)."""
    from . import access, api, cli, views  # noqa: F401  (access registers the scope criterion)

    views.register(appbuilder)
    api.register(appbuilder)
    cli.register()


def compute(cycle, progress=None, user=None):
    """Compute (or recompute) an open cycle; ``progress(done, total)`` after each item (background jobs).
    The same path as the ``compute`` action (409 once frozen; ``user`` None is the system); the caller
    commits (``cycles.WORKFLOW.commit()`` or ``db.session.commit()``)."""
    from . import cycles

    return cycles.compute(cycle, progress, user)


def seed_demo():
    """The default schemes active and the 2026Q4-style current quarter computed for officers and units
    (not published: the office reviews and publishes in the browser). Idempotent."""
    from .. import clock, stats
    from . import cycles, schemes

    schemes.ensure_defaults()
    key = stats.period("quarter", clock.today()).key
    for subject in ("officer", "department"):
        cycle = cycles.open_cycle(None, key, subject)
        if cycle.status == "open":
            cycles.compute(cycle)
