"""Tables of accountability (问责): lapses of units (the counterpart of an officer's DutyRecord),
督办单 (urges) and 通报批评 (criticisms) — docs/domain.md, seed 六(四)(五), 八(七). Imported at the end
of ``app.models`` (migration 0013)."""
from flask_appbuilder import Model
from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from ..clock import utcnow
from ..models import EventMixin
from ..vocab import CRITICISM_BASES, CRITICISM_STATUSES, LAPSE_KINDS, URGE_REASONS, URGE_STATUSES


class Lapse(Model):
    """One recorded lapse of a unit (交办逾期, 签收超时, 议定事项逾期), once per key: what bulletins and
    assessments count."""

    __tablename__ = "lapse"
    id = Column(Integer, primary_key=True)
    key = Column(String(120), nullable=False, unique=True)
    kind = Column(String(20), nullable=False)  # LAPSE_KINDS
    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    ref_kind = Column(String(20), nullable=False)  # notice | decision
    ref_id = Column(Integer, nullable=False)
    day = Column(Date, nullable=False)  # when it was found
    workdays_late = Column(Integer, nullable=False, default=0)
    note = Column(String(500))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    @property
    def kind_label(self):
        return LAPSE_KINDS.get(self.kind, self.kind)


class Urge(Model):
    """督办单 (the yellow step of the urging ladder): drafted by the sweep for the office, sent with a
    number of its own (示范区企服督〔year〕n号) or cancelled with a reason."""

    __tablename__ = "urge"
    id = Column(Integer, primary_key=True)
    key = Column(String(120), nullable=False, unique=True)
    status = Column(String(10), nullable=False, default="draft", index=True)  # URGE_STATUSES
    version = Column(Integer, nullable=False, default=1)
    reason = Column(String(20), nullable=False)  # URGE_REASONS
    notice_id = Column(Integer, ForeignKey("notice.id"), index=True)
    decision_id = Column(Integer, index=True)  # a meeting decision
    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    text = Column(Text, nullable=False)
    number = Column(String(40), unique=True)
    year = Column(Integer)
    seq = Column(Integer)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)
    sent_by_id = Column(Integer, ForeignKey("ab_user.id"))
    cancel_reason = Column(String(500))
    document_sha256 = Column(String(64))

    notice = relationship("Notice")
    department = relationship("Department")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return URGE_STATUSES.get(self.status, self.status)

    @property
    def reason_label(self):
        return URGE_REASONS.get(self.reason, self.reason)


class Criticism(Model):
    """通报批评: drafted by the sweep (red step) or by the office, approved by the director, published
    (it then appears in the bulletins), or withdrawn; the target replies with its rectification."""

    __tablename__ = "criticism"
    id = Column(Integer, primary_key=True)
    key = Column(String(120), unique=True)  # automatic drafts: once per notice / decision
    status = Column(String(10), nullable=False, default="draft", index=True)  # CRITICISM_STATUSES
    version = Column(Integer, nullable=False, default=1)
    basis = Column(String(20), nullable=False)  # CRITICISM_BASES
    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), index=True)
    refs = Column(JSON, nullable=False, default=dict)  # {"notice": id} / {"duty_records": [ids]} …
    title = Column(String(200), nullable=False)
    text = Column(Text, nullable=False)  # 事实与依据
    explanation = Column(Text)  # the unit's 情况说明, if any
    drafted_by_id = Column(Integer, ForeignKey("ab_user.id"))
    drafted_at = Column(DateTime, nullable=False, default=utcnow)
    approved_by_id = Column(Integer, ForeignKey("ab_user.id"))
    approved_at = Column(DateTime)
    published_at = Column(DateTime, index=True)
    withdraw_reason = Column(String(500))
    rectify_due = Column(Date)
    rectify_reply = Column(Text)
    rectify_replied_at = Column(DateTime)

    department = relationship("Department")
    officer = relationship("Officer")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return CRITICISM_STATUSES.get(self.status, self.status)

    @property
    def basis_label(self):
        return CRITICISM_BASES.get(self.basis, self.basis)


class CriticismEvent(EventMixin, Model):
    __tablename__ = "criticism_event"
    criticism_id = Column(Integer, ForeignKey("criticism.id"), nullable=False, index=True)

    criticism = relationship("Criticism")


class UrgeEvent(EventMixin, Model):
    __tablename__ = "urge_event"
    urge_id = Column(Integer, ForeignKey("urge.id"), nullable=False, index=True)

    urge = relationship("Urge")
