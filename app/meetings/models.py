"""Consultation meetings (会商) and their decisions (议定事项) — docs/domain.md (六(二)).

A meeting (level consultation / director / leading_group) has participants with attendance,
topics (each a ledger problem) and decisions (a lead unit, co-units, a due date, a state of their
own). Statuses and labels come from app.vocab; the state machines are app.meetings.rules and
app.meetings.decisions (docs/architecture.md#the-workflow-kit-and-how-to-add-a-workflow-document-type).
"""
from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from ..models import EventMixin, utcnow
from ..vocab import ATTENDANCE, DECISION_STATUSES, MEETING_LEVELS, MEETING_STATUSES

FEEDBACK_CYCLES = {"once": "办结时一次反馈", "weekly": "每周反馈", "monthly": "每月反馈"}


class Meeting(Model):
    """One meeting; after 印发 (published) its minutes are locked — a correction is a new meeting."""

    __tablename__ = "meeting"
    id = Column(Integer, primary_key=True)
    status = Column(String(12), nullable=False, default="draft", index=True)
    level = Column(String(20), nullable=False, default="consultation")
    title = Column(String(200), nullable=False)
    planned_at = Column(DateTime, nullable=False)
    held_at = Column(DateTime)
    place = Column(String(200))
    convener_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    designated_by_id = Column(Integer, ForeignKey("ab_user.id"))  # the director who named a designee
    year = Column(Integer)
    seq = Column(Integer)
    number = Column(String(40), unique=True)
    overview = Column(Text)  # 会议概况
    distribution = Column(String(500))  # 分送
    minutes_by_id = Column(Integer, ForeignKey("ab_user.id"))  # who submitted the minutes for signing
    signed_by_id = Column(Integer, ForeignKey("ab_user.id"))  # the convener's 审签 (no seal)
    signed_at = Column(DateTime)
    published_at = Column(DateTime)
    corrects_id = Column(Integer, ForeignKey("meeting.id"), index=True)  # a 更正纪要 points to the first
    cancel_reason = Column(String(500))
    document_sha256 = Column(String(64))
    attachment_id = Column(Integer, ForeignKey("attachment.id"))
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    convener = relationship("User", foreign_keys=[convener_id])
    signed_by = relationship("User", foreign_keys=[signed_by_id])
    corrects = relationship("Meeting", remote_side=[id])
    participants = relationship("MeetingParticipant", back_populates="meeting", order_by="MeetingParticipant.id",
                                cascade="all, delete-orphan")
    topics = relationship("MeetingTopic", back_populates="meeting", order_by="MeetingTopic.position",
                          cascade="all, delete-orphan")
    decisions = relationship("MeetingDecision", back_populates="meeting", order_by="MeetingDecision.seq",
                             cascade="all, delete-orphan")
    events = relationship("MeetingEvent", back_populates="meeting", order_by="MeetingEvent.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_meeting_year_seq"),)

    @property
    def status_label(self):
        return MEETING_STATUSES.get(self.status, self.status)

    @property
    def level_label(self):
        return MEETING_LEVELS.get(self.level, self.level)

    def __str__(self):
        return self.number or self.title or ""


class MeetingParticipant(Model):
    """A unit, an officer or (only as 列席) an enterprise at a meeting, with its attendance."""

    __tablename__ = "meeting_participant"
    id = Column(Integer, primary_key=True)
    meeting_id = Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), index=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), index=True)
    person = Column(String(100))  # 姓名、职务 of who came (or was expected)
    attendance = Column(String(10), nullable=False, default="present")

    meeting = relationship("Meeting", back_populates="participants")
    department = relationship("Department")
    officer = relationship("Officer")
    enterprise = relationship("Enterprise")

    __table_args__ = (CheckConstraint(
        "(CASE WHEN department_id IS NULL THEN 0 ELSE 1 END + CASE WHEN officer_id IS NULL THEN 0 ELSE 1 END"
        " + CASE WHEN enterprise_id IS NULL THEN 0 ELSE 1 END) = 1", name="ck_meeting_participant_one"),)

    @property
    def name(self):
        who = self.department or self.enterprise
        name = who.name if who is not None else f"首席服务官{self.officer.name}" if self.officer is not None else ""
        return name + (f"（{self.person}）" if self.person else "")

    @property
    def attendance_label(self):
        return ATTENDANCE.get(self.attendance, self.attendance)


class MeetingTopic(Model):
    """议题: a ledger problem put before the meeting, with the office's papers."""

    __tablename__ = "meeting_topic"
    id = Column(Integer, primary_key=True)
    meeting_id = Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    issue_id = Column(Integer, ForeignKey("issue.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False, default=1)
    background = Column(Text)  # 问题背景
    coordination = Column(Text)  # 前期协调情况
    proposal = Column(Text)  # 办公室拟办意见
    waiver_reason = Column(String(500))  # the director's waiver of the consultation step
    waived_by_id = Column(Integer, ForeignKey("ab_user.id"))

    meeting = relationship("Meeting", back_populates="topics")
    issue = relationship("Issue")

    __table_args__ = (UniqueConstraint("meeting_id", "issue_id", name="uq_meeting_topic_issue"),)


meeting_decision_codepartment = Table(
    "meeting_decision_codepartment", Model.metadata,
    Column("decision_id", Integer, ForeignKey("meeting_decision.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Integer, ForeignKey("department.id"), primary_key=True, index=True),
)


class MeetingDecision(Model):
    """议定事项: a tracked obligation of a lead unit with a due date."""

    __tablename__ = "meeting_decision"
    id = Column(Integer, primary_key=True)
    meeting_id = Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    topic_id = Column(Integer, ForeignKey("meeting_topic.id"))
    issue_id = Column(Integer, ForeignKey("issue.id"), index=True)
    seq = Column(Integer, nullable=False, default=1)  # 一、二、… within the minutes
    text = Column(Text, nullable=False)
    lead_department_id = Column(Integer, ForeignKey("department.id"), nullable=False, index=True)
    due_on = Column(Date, nullable=False)
    feedback_cycle = Column(String(10), nullable=False, default="once")
    status = Column(String(12), nullable=False, default="open")
    report_text = Column(Text)
    reported_at = Column(DateTime)
    reported_by_id = Column(Integer, ForeignKey("ab_user.id"))
    verified_at = Column(DateTime)
    verified_by_id = Column(Integer, ForeignKey("ab_user.id"))
    cancel_reason = Column(String(500))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    meeting = relationship("Meeting", back_populates="decisions")
    topic = relationship("MeetingTopic")
    issue = relationship("Issue")
    lead_department = relationship("Department", foreign_keys=[lead_department_id])
    co_departments = relationship("Department", secondary=meeting_decision_codepartment, lazy="selectin")
    events = relationship("DecisionEvent", back_populates="decision", order_by="DecisionEvent.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_meeting_decision_status_due", "status", "due_on"),)

    @property
    def status_label(self):
        return DECISION_STATUSES.get(self.status, self.status)

    @property
    def feedback_label(self):
        return FEEDBACK_CYCLES.get(self.feedback_cycle, self.feedback_cycle)

    def __str__(self):
        return f"{self.meeting.number or self.meeting.title} 第{self.seq}项"


class MeetingEvent(EventMixin, Model):
    __tablename__ = "meeting_event"
    meeting_id = Column(Integer, ForeignKey("meeting.id"), nullable=False, index=True)
    meeting = relationship("Meeting", back_populates="events")


class DecisionEvent(EventMixin, Model):
    __tablename__ = "decision_event"
    decision_id = Column(Integer, ForeignKey("meeting_decision.id"), nullable=False, index=True)
    decision = relationship("MeetingDecision", back_populates="events")


def _notice_decision_key():
    """``notice.decision_id`` → ``meeting_decision.id``. The notices' table comes first (migration 0009),
    so the foreign key comes with the meetings (migration 0010) and is declared here, on their table."""
    from sqlalchemy import ForeignKeyConstraint

    try:
        from ..notices.models import Notice
    except ImportError:  # the notices feature is not installed
        return
    table = Notice.__table__
    if not any(fk.parent.name == "decision_id" for fk in table.foreign_keys):
        table.append_constraint(ForeignKeyConstraint(["decision_id"], ["meeting_decision.id"],
                                                     name="fk_notice_decision_id"))


_notice_decision_key()
