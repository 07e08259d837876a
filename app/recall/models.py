"""Tables: recall of officers (适时视情调整, seed 七(三)) and the signed handover (工作交接).

* ``RecallCase`` — one numbered case: the outgoing officer, the assignments it ends, the reason, the
  evidence, the 组织部 consultation (date, opinion, file), the approval and the effective date; its
  state machine is :mod:`app.recall.rules` on the workflow kit.
* ``Handover`` — one list per enterprise of the case, generated from what is open, with a note per
  item by the outgoing officer; signed out, signed in, confirmed by the office, acknowledged by the
  enterprise (:mod:`app.recall.handover`).
* ``RecallRequest`` — an enterprise asking for another officer (a trigger the office sees).
* ``ServiceTerm`` — the planned end of an assignment's service period when the office set one
  (otherwise the office's default term applies), extended here.
* ``HandoverOmission`` — an open item found after the list was signed that was not on it, recorded
  against the outgoing officer.
"""
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import relationship

from ..models import EventMixin, utcnow
from ..vocab import HANDOVER_ITEM_KINDS, HANDOVER_STATUSES, RECALL_REASONS, RECALL_STATUSES


class RecallCase(Model):
    __tablename__ = "recall_case"
    id = Column(Integer, primary_key=True)
    status = Column(String(12), nullable=False, default="draft", index=True)
    year = Column(Integer)
    seq = Column(Integer)
    number = Column(String(40), unique=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)  # outgoing
    replacement_id = Column(Integer, ForeignKey("officer.id"), index=True)  # incoming
    all_assignments = Column(Boolean, nullable=False, default=True, server_default=text("true"))
    reason = Column(String(20), nullable=False)
    reason_text = Column(Text)
    consulted_on = Column(Date)  # 征求组织部意见
    consultation_opinion = Column(Text)
    consultation_file_id = Column(Integer, ForeignKey("attachment.id"))
    approved_by_id = Column(Integer, ForeignKey("ab_user.id"))
    approved_at = Column(DateTime)
    effective_on = Column(Date)
    applied_at = Column(DateTime)
    cancel_reason = Column(String(500))
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    officer = relationship("Officer", foreign_keys=[officer_id])
    replacement = relationship("Officer", foreign_keys=[replacement_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    consultation_file = relationship("Attachment", foreign_keys=[consultation_file_id])
    scope_rows = relationship("RecallAssignment", back_populates="case", order_by="RecallAssignment.id",
                              cascade="all, delete-orphan")
    evidence = relationship("RecallEvidence", back_populates="case", order_by="RecallEvidence.id",
                            cascade="all, delete-orphan")
    handovers = relationship("Handover", back_populates="case", order_by="Handover.id")
    events = relationship("RecallEvent", back_populates="case", order_by="RecallEvent.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_recall_case_year_seq"),)

    @property
    def status_label(self):
        return RECALL_STATUSES.get(self.status, self.status)

    @property
    def reason_label(self):
        return RECALL_REASONS.get(self.reason, self.reason)

    @property
    def assignments(self):
        return [row.assignment for row in self.scope_rows]

    def __str__(self):
        return self.number or f"调整 #{self.id}"


class RecallAssignment(Model):
    """An assignment the case ends (all the officer's current ones, or the ones the office picked)."""

    __tablename__ = "recall_assignment"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("recall_case.id", ondelete="CASCADE"), nullable=False, index=True)
    assignment_id = Column(Integer, ForeignKey("assignment.id"), nullable=False, index=True)
    new_assignment_id = Column(Integer, ForeignKey("assignment.id"))  # the replacement's, once applied

    case = relationship("RecallCase", back_populates="scope_rows")
    assignment = relationship("Assignment", foreign_keys=[assignment_id])
    new_assignment = relationship("Assignment", foreign_keys=[new_assignment_id])

    __table_args__ = (UniqueConstraint("case_id", "assignment_id", name="uq_recall_assignment"),)


class RecallEvidence(Model):
    """依据: an assessment, a survey result, a criticism, the enterprise's request, a visit gap, other."""

    __tablename__ = "recall_evidence"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("recall_case.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)
    ref_id = Column(Integer)
    text = Column(String(500), nullable=False)
    url = Column(String(300))

    case = relationship("RecallCase", back_populates="evidence")


class RecallEvent(EventMixin, Model):
    __tablename__ = "recall_event"
    case_id = Column(Integer, ForeignKey("recall_case.id"), nullable=False, index=True)
    case = relationship("RecallCase", back_populates="events")


class RecallRequest(Model):
    """An enterprise asks for another officer (申请更换服务官): a trigger the office sees, never automatic."""

    __tablename__ = "recall_request"
    id = Column(Integer, primary_key=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    reason = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default="open")  # open | taken | declined
    case_id = Column(Integer, ForeignKey("recall_case.id"))
    answer = Column(String(500))
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    answered_at = Column(DateTime)

    enterprise = relationship("Enterprise")
    officer = relationship("Officer")


class ServiceTerm(Model):
    """The planned end of one assignment's service period (服务期限), set or extended by the office."""

    __tablename__ = "service_term"
    id = Column(Integer, primary_key=True)
    assignment_id = Column(Integer, ForeignKey("assignment.id"), nullable=False, unique=True)
    term_end = Column(Date, nullable=False)
    note = Column(String(300))
    updated_by_id = Column(Integer, ForeignKey("ab_user.id"))
    updated_at = Column(DateTime, nullable=False, default=utcnow)

    assignment = relationship("Assignment")


class Handover(Model):
    __tablename__ = "handover"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("recall_case.id"), nullable=False, index=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    outgoing_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    incoming_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    status = Column(String(12), nullable=False, default="draft", index=True)
    outgoing_signed_at = Column(DateTime)
    incoming_signed_at = Column(DateTime)
    confirmed_at = Column(DateTime)
    confirmed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    acknowledged_at = Column(DateTime)
    acknowledged_by_id = Column(Integer, ForeignKey("ab_user.id"))
    return_reason = Column(String(500))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    case = relationship("RecallCase", back_populates="handovers")
    enterprise = relationship("Enterprise")
    outgoing = relationship("Officer", foreign_keys=[outgoing_id])
    incoming = relationship("Officer", foreign_keys=[incoming_id])
    items = relationship("HandoverItem", back_populates="handover", order_by="HandoverItem.position",
                         cascade="all, delete-orphan")
    omissions = relationship("HandoverOmission", back_populates="handover", order_by="HandoverOmission.id")
    events = relationship("HandoverEvent", back_populates="handover", order_by="HandoverEvent.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("case_id", "enterprise_id", name="uq_handover_case_enterprise"),)

    @property
    def status_label(self):
        return HANDOVER_STATUSES.get(self.status, self.status)

    def __str__(self):
        return f"{self.case} {self.enterprise.name if self.enterprise else ''}交接清单"


class HandoverItem(Model):
    """One line of the list: an open problem, notice, decision, 代办 case, policy application — or a
    promise / contact written by the outgoing officer; ``note`` is the outgoing officer's 交接说明."""

    __tablename__ = "handover_item"
    id = Column(Integer, primary_key=True)
    handover_id = Column(Integer, ForeignKey("handover.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False, default=1)
    kind = Column(String(12), nullable=False)
    ref_id = Column(Integer)
    number = Column(String(60))
    title = Column(String(300), nullable=False)
    status_label = Column(String(30))
    url = Column(String(300))
    note = Column(Text)
    moved = Column(Boolean, nullable=False, default=False, server_default=text("false"))

    handover = relationship("Handover", back_populates="items")

    @property
    def kind_label(self):
        return HANDOVER_ITEM_KINDS.get(self.kind, self.kind)


class HandoverOmission(Model):
    """漏交事项: an open item that was not on the signed list, recorded against the outgoing officer."""

    __tablename__ = "handover_omission"
    id = Column(Integer, primary_key=True)
    handover_id = Column(Integer, ForeignKey("handover.id"), nullable=False, index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)  # the outgoing officer
    kind = Column(String(12), nullable=False)
    ref_id = Column(Integer)
    title = Column(String(300), nullable=False)
    note = Column(String(500))
    found_at = Column(DateTime, nullable=False, default=utcnow)
    recorded_by_id = Column(Integer, ForeignKey("ab_user.id"))

    handover = relationship("Handover", back_populates="omissions")
    officer = relationship("Officer")

    @property
    def kind_label(self):
        return HANDOVER_ITEM_KINDS.get(self.kind, self.kind)


class HandoverEvent(EventMixin, Model):
    __tablename__ = "handover_event"
    handover_id = Column(Integer, ForeignKey("handover.id"), nullable=False, index=True)
    handover = relationship("Handover", back_populates="events")
