"""Tables: background jobs with progress and kept result files.

One ``Job`` row per long piece of work a user started (a large export, an import, a bulletin): its
kind and parameters, its state (``JOB_STATES`` in app.vocab: queued → running → done | failed),
the progress (``done`` of ``total`` rows, written by the task at least every ``PROGRESS_SECONDS``),
a readable Chinese ``reason`` when it failed, the result file (an ``Attachment`` on owner kind
``job`` in the file store — the owner alone may read it) and when the result expires.

Kept free of imports from ``app.models`` (which imports this module at its end).
"""
from flask_appbuilder import Model
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from ..clock import utcnow


class Job(Model):
    __tablename__ = "job"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    kind = Column(String(30), nullable=False)  # JOB_KINDS
    title = Column(String(200), nullable=False)
    params = Column(JSON, nullable=False)
    state = Column(String(10), nullable=False, default="queued")  # JOB_STATES
    done = Column(Integer, nullable=False, default=0)
    total = Column(Integer)  # None until the task knows
    reason = Column(String(500))  # why it failed (Chinese, for the owner)
    result = Column(JSON)  # a small summary (row count, bulletin id …)
    attachment_id = Column(Integer, ForeignKey("attachment.id"))
    attempts = Column(Integer, nullable=False, default=0)  # started (and retried) this many times
    task_id = Column(String(80))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    started_at = Column(DateTime)
    progress_at = Column(DateTime)
    finished_at = Column(DateTime)
    expires_at = Column(DateTime)  # the result file is removed after this

    owner = relationship("User", foreign_keys=[owner_id])
    attachment = relationship("Attachment", foreign_keys=[attachment_id])

    __table_args__ = (Index("ix_job_owner_created", "owner_id", "created_at"),
                      Index("ix_job_state", "state"))
