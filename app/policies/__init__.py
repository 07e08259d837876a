"""The policy library, benefit items, deliveries and uptake (惠企政策宣传到位, docs/policies.md).

:mod:`.rules` (eligibility in SQL, status by date, the library's write path, scope), :mod:`.deliveries`
(送达, confirmation, 申兑, the stalled cash-out → ledger, 应知未知), :mod:`.alerts` (the sweep's step),
:mod:`.importer` (spreadsheet import), :mod:`.exports` (台账, 汇总), :mod:`.documents` (政策明白纸),
:mod:`.metrics` (reach, cash-out on time), :mod:`.handover` (open items for app/recall), screens
(:mod:`.views`), REST (:mod:`.api`), demo rows (:mod:`.demo`).

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""


def register(appbuilder):
    """Screens, REST and the attachments owner kind ``policy`` (called by create_app)."""
    from . import api, rules, views  # noqa: F401  (rules registers the scope criterion)

    views.register(appbuilder)
    api.register(appbuilder)


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed, idempotent)."""
    from . import demo

    demo.seed()
