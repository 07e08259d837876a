"""Tables: assessment schemes and their items, cycles, assessments with their score lines (raw value,
sample, points, the evidence as it was when computed), published versions, appeals, the
accountability-ladder cases and the leading group's annual evaluation (migration 0015).

Vocabulary (statuses, rules, dimensions, grades) is in ``app.vocab`` (block "assessments")."""
from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from ..clock import utcnow
from ..models import EventMixin
from ..vocab import (
    APPEAL_STATUSES, ASSESSMENT_CASE_STATUSES, ASSESSMENT_CYCLE_STATUSES, ASSESSMENT_RULES, ASSESSMENT_SUBJECTS,
    SCHEME_STATUSES,
)


class AssessmentScheme(Model):
    """A versioned scheme: subject (officer/department), period kind (quarter/year), draft → active →
    retired; its items may change only while it is a draft and no cycle uses it."""

    __tablename__ = "assessment_scheme"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    subject = Column(String(12), nullable=False)  # ASSESSMENT_SUBJECTS
    period_kind = Column(String(8), nullable=False, default="quarter")  # ASSESSMENT_PERIODS
    version = Column(Integer, nullable=False, default=1)
    status = Column(String(8), nullable=False, default="draft", index=True)  # SCHEME_STATUSES
    source_note = Column(String(300))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    activated_at = Column(DateTime)
    retired_at = Column(DateTime)

    items = relationship("AssessmentItem", back_populates="scheme", order_by="AssessmentItem.sort",
                         cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("subject", "period_kind", "version", name="uq_assessment_scheme_version"),)

    @property
    def status_label(self):
        return SCHEME_STATUSES.get(self.status, self.status)

    @property
    def subject_label(self):
        return ASSESSMENT_SUBJECTS.get(self.subject, self.subject)


class AssessmentItem(Model):
    """One item: dimension, name, maximum points, rule (ASSESSMENT_RULES), the metric it reads and the
    rule's parameters (floor/target, bands, points per event, rank points)."""

    __tablename__ = "assessment_item"
    id = Column(Integer, primary_key=True)
    scheme_id = Column(Integer, ForeignKey("assessment_scheme.id", ondelete="CASCADE"), nullable=False, index=True)
    sort = Column(Integer, nullable=False, default=0)
    dimension = Column(String(8), nullable=False)  # ASSESSMENT_DIMENSIONS
    name = Column(String(100), nullable=False)
    max_points = Column(Float, nullable=False)
    rule = Column(String(16), nullable=False)
    metric = Column(String(40))
    params = Column(JSON, nullable=False, default=dict)

    scheme = relationship("AssessmentScheme", back_populates="items")

    @property
    def rule_label(self):
        return ASSESSMENT_RULES.get(self.rule, self.rule)


class AssessmentCycle(Model):
    """One subject's assessment for one period: open → computed → frozen → reviewed → published →
    closed (appeals closed); reopened by the director with a reason."""

    __tablename__ = "assessment_cycle"
    id = Column(Integer, primary_key=True)
    scheme_id = Column(Integer, ForeignKey("assessment_scheme.id"), nullable=False, index=True)
    subject = Column(String(12), nullable=False)
    period = Column(String(8), nullable=False)  # stats period key: 2026Q4 or 2026
    status = Column(String(12), nullable=False, default="open", index=True)  # ASSESSMENT_CYCLE_STATUSES
    version = Column(Integer, nullable=False, default=1)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    computed_at = Column(DateTime)
    frozen_at = Column(DateTime)
    reviewed_at = Column(DateTime)
    published_at = Column(DateTime)
    appeal_due = Column(Date)
    closed_at = Column(DateTime)
    reopen_reason = Column(String(500))
    comment = Column(Text)

    scheme = relationship("AssessmentScheme")
    assessments = relationship("Assessment", back_populates="cycle", order_by="Assessment.rank",
                               cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("subject", "period", name="uq_assessment_cycle_period"),)

    @property
    def status_label(self):
        return ASSESSMENT_CYCLE_STATUSES.get(self.status, self.status)

    @property
    def subject_label(self):
        return ASSESSMENT_SUBJECTS.get(self.subject, self.subject)


class AssessmentCycleEvent(EventMixin, Model):
    __tablename__ = "assessment_cycle_event"
    cycle_id = Column(Integer, ForeignKey("assessment_cycle.id"), nullable=False, index=True)

    cycle = relationship("AssessmentCycle")


class Assessment(Model):
    """One subject's result in a cycle: score, grade, rank (and the change against the previous
    cycle), band; ``revision`` counts the published versions (AssessmentVersion keeps each)."""

    __tablename__ = "assessment"
    id = Column(Integer, primary_key=True)
    cycle_id = Column(Integer, ForeignKey("assessment_cycle.id", ondelete="CASCADE"), nullable=False, index=True)
    subject_type = Column(String(12), nullable=False)
    subject_id = Column(Integer, nullable=False, index=True)
    subject_name = Column(String(100), nullable=False)
    score = Column(Float)
    grade = Column(String(4))
    rank = Column(Integer)
    prev_rank = Column(Integer)
    rank_change = Column(Integer)  # previous rank − this rank (positive: moved up)
    band = Column(String(6))  # green | yellow | red
    vetoed = Column(Boolean, nullable=False, default=False)
    comment = Column(Text)  # the inspector's
    revision = Column(Integer, nullable=False, default=0)

    cycle = relationship("AssessmentCycle", back_populates="assessments")
    lines = relationship("AssessmentScore", back_populates="assessment", order_by="AssessmentScore.sort",
                         cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("cycle_id", "subject_type", "subject_id", name="uq_assessment_subject"),)


class AssessmentScore(Model):
    """One score line: the item's metric value, sample size, points and the evidence behind it (kind,
    id and label as they were when computed — a later edit of a problem does not change it)."""

    __tablename__ = "assessment_score"
    id = Column(Integer, primary_key=True)
    assessment_id = Column(Integer, ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = Column(Integer, ForeignKey("assessment_item.id"), nullable=False)
    sort = Column(Integer, nullable=False, default=0)
    raw = Column(Float)
    raw_text = Column(String(100))
    sample_n = Column(Integer)
    points = Column(Float)
    state = Column(String(12), nullable=False, default="ok")  # ok | insufficient | no_data | pending | veto
    evidence = Column(JSON, nullable=False, default=list)  # [{"kind": "issue", "id": 3, "label": "2026-0003 …"}]
    note = Column(String(500))
    manual_by_id = Column(Integer, ForeignKey("ab_user.id"))
    manual_at = Column(DateTime)

    assessment = relationship("Assessment", back_populates="lines")
    item = relationship("AssessmentItem")


class AssessmentVersion(Model):
    """A published version of an assessment: 1 at publication, 2… after each upheld appeal."""

    __tablename__ = "assessment_version"
    id = Column(Integer, primary_key=True)
    assessment_id = Column(Integer, ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False, index=True)
    revision = Column(Integer, nullable=False)
    score = Column(Float)
    grade = Column(String(4))
    rank = Column(Integer)
    band = Column(String(6))
    lines = Column(JSON, nullable=False, default=list)  # [{"item": name, "points": p, "raw": text}]
    reason = Column(String(500))
    appeal_id = Column(Integer, ForeignKey("appeal.id"))
    at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("assessment_id", "revision", name="uq_assessment_version"),)


class Appeal(Model):
    """申诉: filed by the assessed officer or unit within the appeal window; upheld (with the item's new
    points) or rejected by the office."""

    __tablename__ = "appeal"
    id = Column(Integer, primary_key=True)
    assessment_id = Column(Integer, ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = Column(Integer, ForeignKey("assessment_item.id"))
    status = Column(String(10), nullable=False, default="filed", index=True)  # APPEAL_STATUSES
    version = Column(Integer, nullable=False, default=1)
    reason = Column(Text, nullable=False)
    filed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    filed_at = Column(DateTime, nullable=False, default=utcnow)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    decided_at = Column(DateTime)
    decision_note = Column(Text)
    points_before = Column(Float)
    points_after = Column(Float)

    assessment = relationship("Assessment")
    item = relationship("AssessmentItem")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return APPEAL_STATUSES.get(self.status, self.status)


class AppealEvent(EventMixin, Model):
    __tablename__ = "appeal_event"
    appeal_id = Column(Integer, ForeignKey("appeal.id"), nullable=False, index=True)

    appeal = relationship("Appeal")


class AssessmentCase(Model):
    """The accountability ladder (六(四)): 不合格, or the bottom band two quarters running, opens a case —
    reported to the 四位一体督察组 (follow-up due) → no progress → request to the 纪工委 → closed."""

    __tablename__ = "assessment_case"
    id = Column(Integer, primary_key=True)
    subject_type = Column(String(12), nullable=False)
    subject_id = Column(Integer, nullable=False, index=True)
    subject_name = Column(String(100), nullable=False)
    cycle_id = Column(Integer, ForeignKey("assessment_cycle.id"), nullable=False, index=True)
    trigger = Column(String(300), nullable=False)
    status = Column(String(12), nullable=False, default="opened", index=True)  # ASSESSMENT_CASE_STATUSES
    version = Column(Integer, nullable=False, default=1)
    opened_at = Column(DateTime, nullable=False, default=utcnow)
    reported_on = Column(Date)
    follow_up_due = Column(Date)
    no_progress_on = Column(Date)
    requested_on = Column(Date)
    closed_on = Column(Date)

    cycle = relationship("AssessmentCycle")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("cycle_id", "subject_type", "subject_id", name="uq_assessment_case"),)

    @property
    def status_label(self):
        return ASSESSMENT_CASE_STATUSES.get(self.status, self.status)


class AssessmentCaseEvent(EventMixin, Model):
    __tablename__ = "assessment_case_event"
    case_id = Column(Integer, ForeignKey("assessment_case.id"), nullable=False, index=True)

    case = relationship("AssessmentCase")


class AnnualEvaluation(Model):
    """The leading group's overall evaluation (年度综合评价, 0–100) of one subject for one year."""

    __tablename__ = "annual_evaluation"
    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False)
    subject_type = Column(String(12), nullable=False)
    subject_id = Column(Integer, nullable=False)
    overall = Column(Float, nullable=False)
    note = Column(String(300))
    by_id = Column(Integer, ForeignKey("ab_user.id"))
    at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("year", "subject_type", "subject_id", name="uq_annual_evaluation"),)
