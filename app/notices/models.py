"""Tables of the assignment notice (交办通知单): the notice, its recipients (one lead unit and any
co-units) and its append-only history. Imported at the end of ``app.models`` so Alembic sees them
(migration 0009). Kept free of imports from ``app.models`` itself.

Hooks for the urging ladder (督办单, 通报批评): ``due_on`` (the unit's deadline, set when sent),
``explanation``/``explained_at`` (the unit's 情况说明 filed before the due date), and
``overdue_days(today)`` / ``explained_in_time`` below; ``app.notices.rules.overdue_state`` gives both.
"""
from flask_appbuilder import Model
from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from ..clock import local, utcnow
from ..models import EventMixin
from ..vocab import NOTICE_RUNNING, NOTICE_STATUSES


class Notice(Model):
    """One 交办通知单. Never deleted (void with a reason; a registered number stays, marked 作废)."""

    __tablename__ = "notice"
    id = Column(Integer, primary_key=True)
    status = Column(String(12), nullable=False, default="draft", index=True)
    version = Column(Integer, nullable=False, default=1)
    number = Column(String(40), unique=True)  # null until registered
    year = Column(Integer)
    seq = Column(Integer)
    basis = Column(String(20), nullable=False, default="issue")  # NOTICE_BASES
    issue_id = Column(Integer, ForeignKey("issue.id"), index=True)
    decision_id = Column(Integer, index=True)  # a meeting decision; the FK comes with meetings (migration 0010)
    title = Column(String(200), nullable=False)
    body = Column(JSON, nullable=False)  # {"enterprise", "problem", "coordination", "requirements"} (NOTICE_SECTIONS)
    urgency = Column(String(4))  # None | 加急 | 特急
    cc = Column(String(300))  # 抄送
    due_on = Column(Date, index=True)  # the unit's deadline (default set when sent)
    feedback_cycle = Column(String(10), nullable=False, default="none")  # once | weekly | monthly | none
    next_feedback_on = Column(Date)
    acknowledge_due = Column(Date)  # 签收 within 1 working day of sending
    drafted_by_id = Column(Integer, ForeignKey("ab_user.id"))
    drafted_at = Column(DateTime, nullable=False, default=utcnow)
    approved_by_id = Column(Integer, ForeignKey("ab_user.id"))
    approved_at = Column(DateTime)  # = 成文日期 (its local day)
    return_reason = Column(String(500))
    registered_at = Column(DateTime)
    sent_at = Column(DateTime)  # the unit's clock starts here
    delivery = Column(String(10))  # scan | offline
    delivery_note = Column(String(500))
    acknowledged_at = Column(DateTime)
    reply_text = Column(Text)
    reply_attachment_id = Column(Integer, ForeignKey("attachment.id"))
    replied_at = Column(DateTime)
    verified_at = Column(DateTime)
    verified_by_id = Column(Integer, ForeignKey("ab_user.id"))
    rework_count = Column(Integer, nullable=False, default=0)
    extension_due = Column(Date)  # requested, waiting for the director (the old due date stays in the events)
    extension_reason = Column(String(500))
    objection_reason = Column(String(500))  # once, within 1 working day of sending
    objected_at = Column(DateTime)
    objection_decided_at = Column(DateTime)  # the office kept the assignment (维持交办)
    explanation = Column(Text)  # the unit's 情况说明 before the due date (the urging ladder reads it)
    explained_at = Column(DateTime)
    document_sha256 = Column(String(64))
    document_attachment_id = Column(Integer, ForeignKey("attachment.id"))
    voided_reason = Column(String(500))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)

    issue = relationship("Issue")
    drafted_by = relationship("User", foreign_keys=[drafted_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    recipients = relationship("NoticeRecipient", back_populates="notice", order_by="NoticeRecipient.id",
                              lazy="selectin", cascade="all, delete-orphan")
    events = relationship("NoticeEvent", back_populates="notice", order_by="NoticeEvent.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_notice_year_seq"),
        Index("ix_notice_status_due", "status", "due_on"),
    )

    @property
    def status_label(self):
        return NOTICE_STATUSES.get(self.status, self.status)

    @property
    def lead(self):
        return next((r.department for r in self.recipients if r.role == "lead"), None)

    @property
    def co_units(self):
        return [r.department for r in self.recipients if r.role == "co"]

    def overdue_days(self, today):
        """Calendar days past the due date while the unit holds it (0 when not overdue)."""
        if self.status not in NOTICE_RUNNING or self.due_on is None or today <= self.due_on:
            return 0
        return (today - self.due_on).days

    @property
    def explained_in_time(self):
        """The unit filed a 情况说明 on or before the due date (the ladder drafts no criticism then)."""
        return bool(self.explained_at and self.due_on and local(self.explained_at).date() <= self.due_on)

    def __str__(self):
        return self.number or self.title


class NoticeRecipient(Model):
    """A unit the notice is addressed to: ``lead`` (主送, exactly one) or ``co`` (配合)."""

    __tablename__ = "notice_recipient"
    id = Column(Integer, primary_key=True)
    notice_id = Column(Integer, ForeignKey("notice.id", ondelete="CASCADE"), nullable=False, index=True)
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False, index=True)
    role = Column(String(4), nullable=False, default="lead")

    notice = relationship("Notice", back_populates="recipients")
    department = relationship("Department", lazy="joined")

    __table_args__ = (UniqueConstraint("notice_id", "department_id", name="uq_notice_recipient"),)


class NoticeEvent(EventMixin, Model):
    """Append-only history of a notice."""

    __tablename__ = "notice_event"
    notice_id = Column(Integer, ForeignKey("notice.id"), nullable=False, index=True)

    notice = relationship("Notice", back_populates="events")
