"""In-portal notifications (the bell) on every hand-over, and their mail.

``app.models`` imports :mod:`.models` at its end; ``app.roles`` reads :mod:`.permissions`;
``create_app`` calls :func:`register`.

The one call every feature uses when a transition puts work on someone's desk::

    from app import notifications
    notifications.notify(user_ids, "交办通知单 示范区企服交〔2026〕3号 待签收", "/notices/3",
                         kind="notice", key="notice:3:send")

``user_ids``: ab_user ids (duplicates and None ignored). ``key``: the dedupe key (one
notification per key and user). Written in the caller's transaction. Implemented in :mod:`.service`.
"""


def notify(user_ids, title, url, *, body="", kind="", key=None):
    from .service import notify as _notify

    return _notify(user_ids, title, url, body=body, kind=kind, key=key)


def register(appbuilder):
    """Screens and REST of this feature (called by create_app): /notifications/, /api/v1/notification/."""
    from . import api, scope as _scope, views  # noqa: F401  (scope: the model's criterion)

    views.register(appbuilder)
    api.register(appbuilder)


def seed_demo():
    """Demo rows of this feature (called by app.demo.seed last, idempotent): the demo district's
    history stays in the bells, but nobody is mailed about hand-overs that "happened" while it was
    seeded (those mails would all go out when the worker first starts)."""
    from .service import unmail_seeded

    unmail_seeded()
