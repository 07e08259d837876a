"""Tables: satisfaction surveys (好差评), bad-review cases and inspections (督查) — docs/surveys.md.

A template (versioned, locked once answered) holds questions; a request asks one enterprise, with
the rated officers and departments fixed when it is made (``targets``); one response per request
holds one answer row per question and rated party. A 不满意/非常不满意 answer opens a bad-review case
(差评件, on the workflow kit). Inspections are the office's own records of phone checks and visits."""
from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from ..clock import utcnow
from ..models import EventMixin
from ..vocab import (
    BAD_REVIEW_STATUSES, INSPECTION_METHODS, SURVEY_CHANNELS, SURVEY_KINDS, SURVEY_LEVELS, SURVEY_REQUEST_STATUSES,
    SURVEY_TARGETS, SURVEY_TEMPLATE_STATUSES,
)


class SurveyTemplate(Model):
    __tablename__ = "survey_template"
    id = Column(Integer, primary_key=True)
    kind = Column(String(12), nullable=False)  # SURVEY_KINDS
    name = Column(String(100), nullable=False)
    version = Column(Integer, nullable=False, default=1)
    status = Column(String(10), nullable=False, default="draft")  # SURVEY_TEMPLATE_STATUSES
    intro = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    questions = relationship("SurveyQuestion", back_populates="template", order_by="SurveyQuestion.sort",
                             cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("kind", "version", name="uq_survey_template_version"),)

    @property
    def kind_label(self):
        return SURVEY_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return SURVEY_TEMPLATE_STATUSES.get(self.status, self.status)

    def __str__(self):
        return f"{self.name}（第{self.version}版）"


class SurveyQuestion(Model):
    __tablename__ = "survey_question"
    id = Column(Integer, primary_key=True)
    template_id = Column(Integer, ForeignKey("survey_template.id", ondelete="CASCADE"), nullable=False, index=True)
    sort = Column(Integer, nullable=False, default=0)
    target = Column(String(12), nullable=False)  # officer | department | overall (free text)
    dimension = Column(String(20))  # SURVEY_DIMENSIONS, None for free text
    qtype = Column(String(10), nullable=False, default="level5")  # level5 | text
    text = Column(String(300), nullable=False)
    required = Column(Boolean, nullable=False, default=True)

    template = relationship("SurveyTemplate", back_populates="questions")


class SurveyRequest(Model):
    __tablename__ = "survey_request"
    id = Column(Integer, primary_key=True)
    key = Column(String(80), unique=True)  # dedupe: quarterly:<enterprise>:<period>
    kind = Column(String(12), nullable=False)  # SURVEY_KINDS
    template_id = Column(Integer, ForeignKey("survey_template.id"), nullable=False, index=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    period = Column(String(10))  # 2026Q4 for a quarterly survey
    issue_ids = Column(JSON, nullable=False, default=list)  # the closed-out problems it asks about
    targets = Column(JSON, nullable=False, default=dict)  # {"officer": [ids], "department": [ids]} at request time
    status = Column(String(10), nullable=False, default="pending", index=True)  # SURVEY_REQUEST_STATUSES
    created_at = Column(DateTime, nullable=False, default=utcnow)
    send_after = Column(DateTime)  # queued by the fatigue limit until then
    sent_at = Column(DateTime)
    reminded_at = Column(DateTime)
    expires_at = Column(DateTime)
    expired_at = Column(DateTime)
    answered_at = Column(DateTime)
    token_hash = Column(String(64), unique=True)  # sha256 of the one-time link's token (the token is never stored)
    token_expires_at = Column(DateTime)
    token_used_at = Column(DateTime)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))

    template = relationship("SurveyTemplate")
    enterprise = relationship("Enterprise")
    response = relationship("SurveyResponse", back_populates="request", uselist=False)

    __table_args__ = (Index("ix_survey_request_ent_kind", "enterprise_id", "kind", "created_at"),)

    @property
    def kind_label(self):
        return SURVEY_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return SURVEY_REQUEST_STATUSES.get(self.status, self.status)


class SurveyResponse(Model):
    __tablename__ = "survey_response"
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("survey_request.id"), nullable=False, unique=True)
    submitted_at = Column(DateTime, nullable=False, default=utcnow)
    channel = Column(String(10), nullable=False)  # SURVEY_CHANNELS
    respondent = Column(String(50))
    respondent_post = Column(String(50))
    comment = Column(Text)
    recorded_by_id = Column(Integer, ForeignKey("ab_user.id"))  # the login that entered it (None: via link)

    request = relationship("SurveyRequest", back_populates="response")
    answers = relationship("SurveyAnswer", back_populates="response", order_by="SurveyAnswer.id")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def channel_label(self):
        return SURVEY_CHANNELS.get(self.channel, self.channel)


class SurveyAnswer(Model):
    """One rating of one rated party on one question (or the free text)."""

    __tablename__ = "survey_answer"
    id = Column(Integer, primary_key=True)
    response_id = Column(Integer, ForeignKey("survey_response.id"), nullable=False, index=True)
    question_id = Column(Integer, ForeignKey("survey_question.id"), nullable=False)
    dimension = Column(String(20))
    target_type = Column(String(12))  # officer | department (None: about the whole)
    target_id = Column(Integer)
    level = Column(Integer)  # SURVEY_LEVELS (5 非常满意 … 1 非常不满意)
    text = Column(Text)

    response = relationship("SurveyResponse", back_populates="answers")
    question = relationship("SurveyQuestion")

    __table_args__ = (Index("ix_survey_answer_target", "target_type", "target_id"),)

    @property
    def level_label(self):
        return SURVEY_LEVELS.get(self.level, "")

    @property
    def target_label(self):
        return SURVEY_TARGETS.get(self.target_type, "总体")


class BadReview(Model):
    """差评件: the bad answers of one response about one rated party, handled to the end."""

    __tablename__ = "bad_review"
    id = Column(Integer, primary_key=True)
    status = Column(String(12), nullable=False, default="open", index=True)  # BAD_REVIEW_STATUSES
    version = Column(Integer, nullable=False, default=1)
    response_id = Column(Integer, ForeignKey("survey_response.id"), nullable=False, index=True)
    request_id = Column(Integer, ForeignKey("survey_request.id"), nullable=False)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    issue_id = Column(Integer, ForeignKey("issue.id"))  # the problem asked about, if any
    target_type = Column(String(12), nullable=False)  # officer | department
    target_id = Column(Integer, nullable=False)
    answer_ids = Column(JSON, nullable=False, default=list)
    worst_level = Column(Integer, nullable=False)
    opened_at = Column(DateTime, nullable=False, default=utcnow)
    appeal_due = Column(Date, nullable=False)  # 3 working days from opening
    verified_at = Column(DateTime)
    verification = Column(Text)
    due_on = Column(Date)  # rectification: 15 working days from verification
    rectification = Column(Text)
    rectified_at = Column(DateTime)
    callback = Column(Text)
    closed_at = Column(DateTime)
    appeal_reason = Column(Text)
    appealed_at = Column(DateTime)
    appeal_from = Column(String(12))
    decision = Column(Text)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    excluded = Column(Boolean, nullable=False, default=False)

    enterprise = relationship("Enterprise")
    events = relationship("BadReviewEvent", back_populates="bad_review", order_by="BadReviewEvent.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("response_id", "target_type", "target_id", name="uq_bad_review_target"),)

    @property
    def status_label(self):
        return BAD_REVIEW_STATUSES.get(self.status, self.status)


class BadReviewEvent(EventMixin, Model):
    __tablename__ = "bad_review_event"
    bad_review_id = Column(Integer, ForeignKey("bad_review.id"), nullable=False, index=True)
    bad_review = relationship("BadReview", back_populates="events")


class Inspection(Model):
    """督查记录: the office's phone check or visit about one officer or one unit (seed 六(四), 七(二))."""

    __tablename__ = "inspection"
    id = Column(Integer, primary_key=True)
    subject_type = Column(String(12), nullable=False)  # officer | department
    officer_id = Column(Integer, ForeignKey("officer.id"), index=True)
    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    method = Column(String(10), nullable=False)  # INSPECTION_METHODS
    day = Column(Date, nullable=False)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"))
    efficiency = Column(Integer, nullable=False)  # 1–5 each (INSPECTION_RATINGS)
    quality = Column(Integer, nullable=False)
    level = Column(Integer, nullable=False)
    effect = Column(Integer, nullable=False)
    findings = Column(Text, nullable=False)
    refer_to_supervision = Column(Boolean, nullable=False, default=False)  # 报四位一体督察组
    recorded_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    officer = relationship("Officer")
    department = relationship("Department")
    enterprise = relationship("Enterprise")

    @property
    def method_label(self):
        return INSPECTION_METHODS.get(self.method, self.method)

    @property
    def subject_id(self):
        return self.officer_id if self.subject_type == "officer" else self.department_id

    @property
    def subject_name(self):
        row = self.officer if self.subject_type == "officer" else self.department
        return row.name if row is not None else ""

    @property
    def mean(self):
        return (self.efficiency + self.quality + self.level + self.effect) / 4
