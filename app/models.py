"""The domain model (docs/domain.md#glossary). Security tables (ab_*) come from Flask-AppBuilder."""
from datetime import datetime, timezone

from flask_appbuilder import Model
from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Table,
    Text, UniqueConstraint, text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import declared_attr, relationship, validates

from flask_appbuilder.security.sqla.models import User  # noqa: F401  (relationship target)

from . import validation
from .vocab import ISSUE_STATUSES  # noqa: F401  (re-exported: labels of Issue.status)


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


ENTERPRISE_CATEGORIES = ["规上工业", "四上企业", "重点项目", "高新技术企业", "专精特新", "其他"]
DEPARTMENT_KINDS = ["区直部门", "街道", "驻区机构"]
OFFICER_RANKS = ["县级", "科级"]
ASSIGNMENT_ROLES = {"chief": "首席服务官", "liaison": "具体分包人"}
ASSIGNMENT_STATUSES = {"active": "在岗", "ended": "已结束"}
VISIT_MODES = {"onsite": "实地", "phone": "电话", "video": "视频", "meeting": "座谈"}
VISIT_TOPICS = ["党建指导", "政策宣传", "问题收集", "进展反馈", "代办"]


class Enterprise(Model):
    __tablename__ = "enterprise"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, unique=True)
    credit_code = Column(String(18), unique=True)
    subdistrict = Column(String(50), index=True)  # the ledger's 街道 filter reads its values off the index (0024)
    industry = Column(String(50))
    category = Column(String(50))
    address = Column(String(300))
    legal_rep = Column(String(50))
    contact = Column(String(50))
    phone = Column(String(20))
    is_key = Column(Boolean, nullable=False, default=True, server_default=text("true"))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    assignments = relationship("Assignment", back_populates="enterprise", lazy="select")

    @validates("credit_code")
    def _credit(self, key, value):
        return validation.checked(key, validation.clean_credit_code, value)

    @validates("phone")
    def _phone(self, key, value):
        return validation.checked(key, validation.clean_phone, value)

    @validates("name")
    def _name(self, key, value):
        return validation.checked(key, validation.clean_text, value)

    def __str__(self):
        return self.name or ""


class Department(Model):
    __tablename__ = "department"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    kind = Column(String(20), nullable=False, default="区直部门")
    contact = Column(String(50))
    phone = Column(String(20))
    email = Column(String(120))

    @validates("phone")
    def _phone(self, key, value):
        return validation.checked(key, validation.clean_phone, value)

    @validates("name")
    def _name(self, key, value):
        return validation.checked(key, validation.clean_text, value)

    def __str__(self):
        return self.name or ""


class Officer(Model):
    __tablename__ = "officer"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    unit = Column(String(100))
    title = Column(String(100))
    rank = Column(String(10), nullable=False, default="科级")
    phone = Column(String(20))
    email = Column(String(120))
    user_id = Column(Integer, ForeignKey("ab_user.id"), unique=True)
    active = Column(Boolean, nullable=False, default=True, server_default=text("true"))

    user = relationship("User", foreign_keys=[user_id])
    assignments = relationship("Assignment", back_populates="officer", lazy="select")

    @validates("phone")
    def _phone(self, key, value):
        return validation.checked(key, validation.clean_phone, value)

    @validates("name")
    def _name(self, key, value):
        return validation.checked(key, validation.clean_person_name, value)

    @property
    def position(self):
        """Unit and title as one phrase (区党工委副书记), the unit written once."""
        return validation.position(self.unit, self.title)

    def __str__(self):
        return f"{self.name}（{self.unit}）" if self.unit else (self.name or "")


class Assignment(Model):
    """One officer serving one enterprise in one role; ending it keeps the row (history)."""

    __tablename__ = "assignment"
    id = Column(Integer, primary_key=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    role = Column(String(10), nullable=False, default="chief")
    start_date = Column(Date, nullable=False)
    end_date = Column(Date)
    status = Column(String(10), nullable=False, default="active")
    end_reason = Column(String(200))

    enterprise = relationship("Enterprise", back_populates="assignments")
    officer = relationship("Officer", back_populates="assignments")

    __table_args__ = (
        CheckConstraint("role in ('chief', 'liaison')", name="ck_assignment_role"),
        CheckConstraint("status in ('active', 'ended')", name="ck_assignment_status"),
        Index(
            "uq_assignment_active", "enterprise_id", "officer_id", "role", unique=True,
            sqlite_where=text("end_date IS NULL"), postgresql_where=text("end_date IS NULL"),
        ),
    )

    @hybrid_property
    def is_current(self):
        """The one spelling of "an active assignment": not ended (in Python and in SQL)."""
        return self.end_date is None

    @is_current.inplace.expression
    @classmethod
    def _is_current(cls):
        return cls.end_date.is_(None)

    @property
    def role_label(self):
        return ASSIGNMENT_ROLES.get(self.role, self.role)

    @property
    def status_label(self):
        return ASSIGNMENT_STATUSES.get(self.status, self.status)

    def __str__(self):
        return f"{self.enterprise} — {self.officer}（{self.role_label}）"


class Visit(Model):
    __tablename__ = "visit"
    id = Column(Integer, primary_key=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    visit_date = Column(Date, nullable=False, index=True)
    mode = Column(String(10), nullable=False, default="onsite")
    topics = Column(String(200))
    summary = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))

    enterprise = relationship("Enterprise")
    officer = relationship("Officer")
    created_by = relationship("User", foreign_keys=[created_by_id])

    __table_args__ = (
        CheckConstraint("mode in ('onsite', 'phone', 'video', 'meeting')", name="ck_visit_mode"),
        # an enterprise's visits of a week: the home pages' 本周已走访 (one probe per enterprise; 0023)
        Index("ix_visit_enterprise_date", "enterprise_id", "visit_date"),
    )

    @property
    def mode_label(self):
        return VISIT_MODES.get(self.mode, self.mode)

    def __str__(self):
        return f"{self.visit_date} {self.enterprise}"


class DepartmentUser(Model):
    """A login that acts for a department (责任单位)."""

    __tablename__ = "department_user"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, unique=True)
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False, index=True)
    user = relationship("User")
    department = relationship("Department")


class EnterpriseUser(Model):
    """A login that acts for an enterprise (its contact person)."""

    __tablename__ = "enterprise_user"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, unique=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    user = relationship("User")
    enterprise = relationship("Enterprise")


class AccountState(Model):
    """Lockout and first-login state for a login (FAB's user table is not ours to change)."""

    __tablename__ = "account_state"
    user_id = Column(Integer, ForeignKey("ab_user.id"), primary_key=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime)
    must_change_password = Column(Boolean, nullable=False, default=False, server_default=text("false"))
    mail_mode = Column(String(10), nullable=False, default="immediate", server_default="immediate")  # or "daily"
    # bumped on lockout, deactivation and password change: every session and JWT issued before ends
    token_version = Column(Integer, nullable=False, default=0, server_default="0")
    user = relationship("User")


class LoginSession(Model):
    """One web login, so that logout ends it on the server (docs/architecture.md#security)."""

    __tablename__ = "login_session"
    id = Column(String(64), primary_key=True)  # random; kept in the signed session cookie
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    ended_at = Column(DateTime)


class LoginFailure(Model):
    """A failed login of a known account from a client address: per-address throttling and the
    account-wide lock count these within LOGIN_LOCKOUT_MINUTES (docs/architecture.md#security)."""

    __tablename__ = "login_failure"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    address = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (Index("ix_login_failure_user_at", "user_id", "at"),)


# --- the problem ledger (企业问题台账) -----------------------------------------------------------

ISSUE_SOURCES = {"visit": "走访", "direct": "直通车", "phone": "电话", "superior": "上级交办", "meeting": "会商",
                 "proxy": "代办"}  # proxy: opened from an overdue 代办 step (app/proxy)
TRIAGE_CLASSES = {"policy": "政策咨询类", "simple": "简单事项类", "complex": "综合问题类"}
ISSUE_LEVELS = {"ordinary": "一般问题", "major": "重大复杂问题"}
ESCALATION_LEVELS = {"consultation": "部门会商", "director": "主任会商", "leading_group": "领导小组"}
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
DEFAULT_CATEGORIES = ["融资信贷", "用地规划", "用工人才", "审批手续", "水电气暖", "政策兑现",
                      "基础设施配套", "安全环保", "市场产销", "法律纠纷", "政策咨询", "其他"]


class IssueCategory(Model):
    """问题类别 — the office edits this list."""

    __tablename__ = "issue_category"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, unique=True)
    sort = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True, server_default=text("true"))

    def __str__(self):
        return self.name or ""


class DocCounter(Model):
    """Last number handed out per document kind and year (app.workflow.numbering): gapless and
    unique under concurrency."""

    __tablename__ = "doc_counter"
    kind = Column(String(30), primary_key=True)
    year = Column(Integer, primary_key=True, autoincrement=False)
    last = Column(Integer, nullable=False, default=0)


class EventMixin:
    """The columns of a workflow document's append-only history (app.workflow.events): who, when,
    what, from → to, a note, the changed fields, and whether it is internal (hidden from the
    enterprise). Each document type has its own event table with a foreign key to its row."""

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    actor_name = Column(String(100), nullable=False)
    action = Column(String(30), nullable=False)
    from_status = Column(String(12))
    to_status = Column(String(12))
    note = Column(Text)
    changes = Column(JSON)
    internal = Column(Boolean, nullable=False, default=False, server_default=text("false"))

    @declared_attr
    def actor_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"))

    @declared_attr
    def actor(cls):
        return relationship("User", foreign_keys=[cls.actor_id])


issue_codepartment = Table(
    "issue_codepartment", Model.metadata,
    Column("issue_id", Integer, ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Integer, ForeignKey("department.id"), primary_key=True),
    # a unit's co-handled problems read off the index alone (0024; before: ix_issue_codepartment_department_id)
    Index("ix_issue_codepartment_department_issue", "department_id", "issue_id"),
)


class Issue(Model):
    """One problem in the ledger. Never deleted (void with a reason); every change is an IssueEvent."""

    __tablename__ = "issue"
    id = Column(Integer, primary_key=True)
    number = Column(String(12), nullable=False, unique=True)
    year = Column(Integer, nullable=False)
    seq = Column(Integer, nullable=False)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), index=True)  # the officer who follows it
    visit_id = Column(Integer, ForeignKey("visit.id"))
    source = Column(String(10), nullable=False, default="visit")
    category_id = Column(Integer, ForeignKey("issue_category.id"), index=True)
    triage_class = Column(String(10))
    level = Column(String(10), nullable=False, default="ordinary")
    escalation = Column(String(20))
    region = Column(String(50), index=True)
    title = Column(String(200), nullable=False)
    description = Column(Text, nullable=False)
    lead_department_id = Column(Integer, ForeignKey("department.id"), index=True)
    status = Column(String(12), nullable=False, default="new", index=True)
    received_on = Column(Date, nullable=False, index=True)
    transfer_due = Column(Date)
    feedback_due = Column(Date)
    resolve_due = Column(Date)
    due_on = Column(Date, index=True)  # the deadline that applies now (null once resolved/closed)
    assigned_at = Column(DateTime)
    acknowledged_at = Column(DateTime)
    first_feedback_at = Column(DateTime)
    resolved_at = Column(DateTime, index=True)  # the dashboard's periods (migration 0022)
    closed_at = Column(DateTime)
    resolution = Column(Text)
    satisfaction = Column(String(20))
    rework_count = Column(Integer, nullable=False, default=0)
    pending_due = Column(Date)  # requested extension, waiting for the office
    pending_reason = Column(String(500))
    unable_requested = Column(Boolean, nullable=False, default=False, server_default=text("false"))
    returned_at = Column(DateTime)  # the last 退回 by a lead department (never cleared; 被退回 queue, 0023)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    version = Column(Integer, nullable=False, default=1)

    enterprise = relationship("Enterprise")
    officer = relationship("Officer")
    visit = relationship("Visit")
    category = relationship("IssueCategory")
    lead_department = relationship("Department", foreign_keys=[lead_department_id])
    co_departments = relationship("Department", secondary=issue_codepartment, lazy="selectin")
    created_by = relationship("User", foreign_keys=[created_by_id])
    events = relationship("IssueEvent", back_populates="issue", order_by="IssueEvent.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_issue_year_seq"),
        Index("ix_issue_status_due", "status", "due_on"),
        Index("ix_issue_lead_status", "lead_department_id", "status", "due_on"),
        Index("ix_issue_lead_enterprise", "lead_department_id", "enterprise_id"),  # a department's enterprises
        Index("ix_issue_ent_cat_received", "enterprise_id", "category_id", "received_on"),  # repeat rate (0022)
        # the office's home-page queues (0023; docs/notifications.md): 待转办 / 被退回, and the two small ones
        Index("ix_issue_status_returned", "status", "returned_at"),
        Index("ix_issue_pending", "status", sqlite_where=text("pending_due IS NOT NULL"),
              postgresql_where=text("pending_due IS NOT NULL")),
        Index("ix_issue_unable", "status", sqlite_where=text("unable_requested = 1"),
              postgresql_where=text("unable_requested")),
        # a unit's co-handled problems by deadline (0024; docs/architecture.md#scoping): the page walks this
        # index alone, without reading a row per problem it passes over (dept01's inbox at 5x: 46 -> 8 ms)
        Index("ix_issue_due_cover", "due_on", "id", "lead_department_id", "status"),
    )

    @property
    def status_label(self):
        return ISSUE_STATUSES.get(self.status, self.status)

    def __str__(self):
        return f"{self.number} {self.title}"


class IssueEvent(EventMixin, Model):
    """Append-only history of an issue: who, when, what, from → to, note, changed fields."""

    __tablename__ = "issue_event"
    issue_id = Column(Integer, ForeignKey("issue.id"), nullable=False, index=True)

    issue = relationship("Issue", back_populates="events")


class Holiday(Model):
    """Calendar override: a day off (holiday) or a make-up working day (workday, 调休)."""

    __tablename__ = "holiday"
    id = Column(Integer, primary_key=True)
    day = Column(Date, nullable=False, unique=True)
    kind = Column(String(10), nullable=False)
    name = Column(String(50))

    __table_args__ = (CheckConstraint("kind in ('holiday', 'workday')", name="ck_holiday_kind"),)


class Setting(Model):
    """Office-editable settings (e.g. the 13710 deadline policy), one value per key."""

    __tablename__ = "setting"
    key = Column(String(50), primary_key=True)
    value = Column(String(200), nullable=False)


class ImportLog(Model):
    """One import of a roster file: who, when, which file (name + sha256) and the full report."""

    __tablename__ = "import_log"
    id = Column(Integer, primary_key=True)
    kind = Column(String(30), nullable=False, default="assignments")
    at = Column(DateTime, nullable=False, default=utcnow)
    user_id = Column(Integer, ForeignKey("ab_user.id"))
    filename = Column(String(255), nullable=False)
    sha256 = Column(String(64), nullable=False, index=True)
    dry_run = Column(Boolean, nullable=False, default=False)
    ok = Column(Boolean, nullable=False, default=False)
    report = Column(JSON, nullable=False)

    user = relationship("User", foreign_keys=[user_id])


# --- duties, reminders, mail, bulletins (seed 六(一)(三), 七(一), 八(七)) ----------------------------

REPORT_KINDS = {"weekly": "周报", "monthly": "月度工作台账"}
DUTY_KINDS = {"late_report": "迟报", "missing_report": "漏报", "urged_missing": "催而不报", "missed_visit": "未按周走访"}


class Report(Model):
    """An officer's weekly report (周报) or monthly work ledger (月报) for one period."""

    __tablename__ = "report"
    id = Column(Integer, primary_key=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    kind = Column(String(10), nullable=False)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    due_on = Column(Date, nullable=False, index=True)
    status = Column(String(10), nullable=False, default="draft")
    content = Column(Text, nullable=False, default="")
    submitted_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # issue 9: the officer's own text, and the derived facts as last saved (app/duties.py)
    notes = Column(Text)
    facts = Column(Text)

    officer = relationship("Officer")
    __table_args__ = (UniqueConstraint("officer_id", "kind", "period_start", name="uq_report_period"),)

    @property
    def kind_label(self):
        return REPORT_KINDS.get(self.kind, self.kind)


class DutyRecord(Model):
    """A duty not done on time — late, missing, urged-but-still-missing report, a missed weekly visit.
    Records, not colours: bulletins and assessments count them."""

    __tablename__ = "duty_record"
    id = Column(Integer, primary_key=True)
    key = Column(String(120), nullable=False, unique=True)  # kind:officer:period:enterprise — recorded once
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)
    period = Column(String(20), nullable=False)  # 2026-W48 or 2026-11
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"))
    report_id = Column(Integer, ForeignKey("report.id"))
    note = Column(String(300))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    officer = relationship("Officer")
    enterprise = relationship("Enterprise")

    @property
    def kind_label(self):
        return DUTY_KINDS.get(self.kind, self.kind)


class OutboundMessage(Model):
    """One e-mail (a digest of reminders) to one recipient; sent once, retried on failure."""

    __tablename__ = "outbound_message"
    id = Column(Integer, primary_key=True)
    recipient_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    to_addr = Column(String(200), nullable=False)
    subject = Column(String(200), nullable=False)
    body_text = Column(Text, nullable=False)
    body_html = Column(Text, nullable=False)
    attachment_name = Column(String(200))
    attachment = Column(LargeBinary)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    not_before = Column(DateTime, nullable=False, default=utcnow, index=True)  # quiet hours
    status = Column(String(10), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(String(500))
    sent_at = Column(DateTime)
    eml_path = Column(String(300))

    recipient = relationship("User", foreign_keys=[recipient_id])


class Reminder(Model):
    """One reminder about one item for one recipient; the unique dedupe key makes it happen once."""

    __tablename__ = "reminder"
    id = Column(Integer, primary_key=True)
    dedupe_key = Column(String(200), nullable=False, unique=True)
    recipient_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    kind = Column(String(30), nullable=False)
    item_type = Column(String(20), nullable=False)
    item_id = Column(Integer)
    tier = Column(String(20))
    period = Column(String(20))
    text = Column(String(500), nullable=False)
    link = Column(String(300))
    message_id = Column(Integer, ForeignKey("outbound_message.id"), index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    message = relationship("OutboundMessage")


class Bulletin(Model):
    """通报: drafted by beat, commented and published by the office."""

    __tablename__ = "bulletin"
    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    status = Column(String(10), nullable=False, default="draft")
    title = Column(String(200), nullable=False)
    commentary = Column(Text, nullable=False, default="")
    data = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    published_at = Column(DateTime)
    published_by_id = Column(Integer, ForeignKey("ab_user.id"))

    __table_args__ = (UniqueConstraint("kind", "period_start", name="uq_bulletin_period"),)


from .files.models import Attachment, StoredFile  # noqa: E402,F401  (the file store's tables)
from .notices.models import Notice, NoticeEvent, NoticeRecipient  # noqa: E402,F401  (交办通知单)
from .meetings.models import DecisionEvent, Meeting, MeetingDecision, MeetingEvent, MeetingParticipant, MeetingTopic  # noqa: E402,F401,E501
from .accountability.models import Criticism, CriticismEvent, Lapse, Urge, UrgeEvent  # noqa: E402,F401  (问责)
from .idempotency_model import IdempotencyKey  # noqa: E402,F401  (double submits: app.idempotency)
# feature packages (each ``models.py`` declares its own tables)
from .surveys import models as _surveys_models  # noqa: E402,F401
from .assessments import models as _assessments_models  # noqa: E402,F401
from .policies import models as _policies_models  # noqa: E402,F401
from .proxy import models as _proxy_models  # noqa: E402,F401
from .recall import models as _recall_models  # noqa: E402,F401
from .notifications import models as _notifications_models  # noqa: E402,F401
from .jobs import models as _jobs_models  # noqa: E402,F401
