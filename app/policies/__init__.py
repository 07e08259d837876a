"""The policy library, benefit items, deliveries and uptake (惠企政策宣传到位).

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`; ``app.demo.seed`` calls :func:`seed_demo`."""


def register(appbuilder):
    """Screens and REST of this feature (called by create_app)."""


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed, idempotent)."""
