"""Tables: in-portal notifications (the bell) on every hand-over.

One row per (recipient, hand-over). ``key`` is the caller's dedupe key: one notification per key
and user (a retried transition writes nothing new). The mail of a notification goes through the
reminders' path (a ``Reminder`` row with the dedupe key ``notification:<id>``, grouped into the
recipient's ``OutboundMessage`` in their mail mode), so it is sent once, respecting quiet hours."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from ..clock import utcnow


class Notification(Model):
    __tablename__ = "notification"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    kind = Column(String(30), nullable=False, default="")  # "issue", "notice", "meeting" … (the caller's)
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False, default="")
    url = Column(String(300), nullable=False)  # a path inside the portal ("/ledger/3")
    key = Column(String(200))  # dedupe key (None: never deduplicated)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    read_at = Column(DateTime)

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )

    @property
    def unread(self):
        return self.read_at is None
