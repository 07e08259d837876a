"""Whose notifications a role sees: its own, whoever it is (app.scope's criterion for the model)."""
from .. import scope
from .models import Notification


def _own(model, user, roles, ents):
    return Notification.user_id == (user.id if user is not None else -1)


scope.register_criterion((Notification,), _own)
