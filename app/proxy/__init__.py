"""代办 cases by appointment (两不见面, seed 六(七); docs/proxy.md): the catalogue (:mod:`.catalogue`), the
case's state machine and rules (:mod:`.rules`), who sees what (:mod:`.visibility`), lists (:mod:`.listing`),
documents (:mod:`.documents`), the daily sweep (:mod:`.sweep`), figures (:mod:`.metrics`), the handover
list for recalls (:mod:`.handover`), screens (:mod:`.views`), REST (:mod:`.api`), demo rows (:mod:`.demo`).

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""


def register(appbuilder):
    """Screens, REST, the scope criterion, the attachments owner ``proxy_case`` and ``flask cso proxy-sweep``."""
    from . import api, rules, sweep, views, visibility  # noqa: F401  (rules/visibility register at import)

    views.register_views(appbuilder)
    api.register_api(appbuilder)
    sweep.register_cli()


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed, idempotent)."""
    from . import demo

    demo.seed()
