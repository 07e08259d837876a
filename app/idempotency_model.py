"""The table of idempotency keys (app.idempotency). Kept free of imports from ``app.models``
(which imports this module at its end)."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, UniqueConstraint

from .clock import utcnow


class IdempotencyKey(Model):
    """One create request, by its key: a repeat of (user, kind, key) answers with ``result_id``."""

    __tablename__ = "idempotency_key"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    kind = Column(String(40), nullable=False)  # the created row's model: Issue, Visit, Notice …
    key = Column(String(80), nullable=False)
    result_id = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind", "key", name="uq_idempotency_key"),)
