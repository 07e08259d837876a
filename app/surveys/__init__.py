"""Satisfaction surveys (好差评), bad-review cases and inspections (督查) — docs/surveys.md.

Rules: :mod:`.rules` (templates, requests, answers, the sweep), :mod:`.bad_reviews` (差评件 on the
workflow kit), :mod:`.inspections`; figures for other features: :mod:`.metrics`; who sees what:
:mod:`.access`; screens :mod:`.views` (with the one-time page ``/s/<token>``), REST :mod:`.api`.

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""


def register(appbuilder):
    """Screens and REST of this feature (called by create_app)."""
    from . import access  # noqa: F401  (scope criteria)


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed, idempotent)."""
