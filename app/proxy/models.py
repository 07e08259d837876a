"""Tables: 代办 cases by appointment (两不见面, seed 六(七)): the catalogue of service items, cases, their
steps (one per service item and department) and the case's history.

No column anywhere holds money (八(六): 代办 is free of charge; no fee, price or payment can be
recorded against a case). Statuses and labels come from app.vocab; the state machine is
app.proxy.rules on the workflow kit.
"""
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, JSON, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from ..models import EventMixin, utcnow
from ..vocab import PROXY_LIMIT_KINDS, PROXY_MODES, PROXY_STATUSES, PROXY_STEP_STATUSES, PROXY_STOP_REASONS


class ServiceItem(Model):
    """代办事项目录: an approval or service item the officers handle on an enterprise's behalf."""

    __tablename__ = "proxy_service_item"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, unique=True)
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False, index=True)  # 主管部门
    item_code = Column(String(60))  # 政务服务事项编码 (optional)
    time_limit = Column(Integer, nullable=False)  # 法定（承诺）办理时限
    limit_kind = Column(String(10), nullable=False, default="working")  # working | calendar days
    materials = Column(Text)  # 申请材料, one per line
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)

    department = relationship("Department")

    @property
    def material_list(self):
        return [line.strip() for line in (self.materials or "").splitlines() if line.strip()]

    @property
    def limit_text(self):
        return f"{self.time_limit}个{PROXY_LIMIT_KINDS.get(self.limit_kind, self.limit_kind)}"

    def __str__(self):
        return self.name


proxy_case_item = Table(  # the items the enterprise asks to have handled
    "proxy_case_item", Model.metadata,
    Column("case_id", Integer, ForeignKey("proxy_case.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", Integer, ForeignKey("proxy_service_item.id"), primary_key=True, index=True),
)
proxy_case_scope = Table(  # the items the power of attorney covers (委托事项)
    "proxy_case_scope", Model.metadata,
    Column("case_id", Integer, ForeignKey("proxy_case.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", Integer, ForeignKey("proxy_service_item.id"), primary_key=True, index=True),
)


class ProxyCase(Model):
    """代办件: one enterprise's request, handled by one of its active officers."""

    __tablename__ = "proxy_case"
    id = Column(Integer, primary_key=True)
    status = Column(String(12), nullable=False, default="requested", index=True)
    year = Column(Integer, nullable=False)
    seq = Column(Integer, nullable=False)
    number = Column(String(40), nullable=False, unique=True)  # 代办〔2026〕1号
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), nullable=False, index=True)
    title = Column(String(200), nullable=False)  # 项目名称 / 代办事由
    description = Column(Text)
    contact = Column(String(100))  # 企业经办人及电话
    preferred_times = Column(String(500))  # the enterprise's preferred windows (free text)
    urgent = Column(Boolean, nullable=False, default=False)  # 特事特办
    urgent_reason = Column(String(500))
    appointment_at = Column(DateTime)  # local time
    appointment_mode = Column(String(10))  # PROXY_MODES
    appointment_place = Column(String(200))
    authorized_until = Column(Date)  # 委托期限
    authorized_at = Column(DateTime)
    authorized_by_id = Column(Integer, ForeignKey("ab_user.id"))
    authorization_attachment_id = Column(Integer, ForeignKey("attachment.id"))  # the signed scan, if any
    checklist = Column(JSON)  # [{"item": id, "name": 材料, "received": bool}]
    missing_told_at = Column(DateTime)  # 一次性告知
    missing_told = Column(JSON)  # the materials told missing, as told
    done_at = Column(DateTime)
    delivered_at = Column(DateTime)
    met_department = Column(Boolean)  # the enterprise's answer at delivery: had to meet a department?
    met_counterparty = Column(Boolean)  # … or a counterparty (征地、拆迁等)?
    delivery_note = Column(String(500))
    stop_reason = Column(String(20))  # PROXY_STOP_REASONS
    stop_note = Column(String(500))
    resume_status = Column(String(12))  # where a suspended case goes back to
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    enterprise = relationship("Enterprise")
    officer = relationship("Officer")
    items = relationship("ServiceItem", secondary=proxy_case_item, order_by="ServiceItem.id", lazy="selectin")
    scope_items = relationship("ServiceItem", secondary=proxy_case_scope, order_by="ServiceItem.id",
                               lazy="selectin")
    steps = relationship("ProxyStep", back_populates="case", order_by="ProxyStep.seq", cascade="all, delete-orphan")
    events = relationship("ProxyEvent", back_populates="case", order_by="ProxyEvent.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_proxy_case_year_seq"),)

    @property
    def status_label(self):
        return PROXY_STATUSES.get(self.status, self.status)

    @property
    def mode_label(self):
        return PROXY_MODES.get(self.appointment_mode, self.appointment_mode or "")

    @property
    def stop_label(self):
        return PROXY_STOP_REASONS.get(self.stop_reason, self.stop_reason or "")

    @property
    def missing(self):
        return [m for m in (self.checklist or []) if not m.get("received")]

    def __str__(self):
        return self.number or ""


class ProxyStep(Model):
    """One service item at one department: submitted on, 受理号, due by the statutory limit, 结果号."""

    __tablename__ = "proxy_step"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("proxy_case.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = Column(Integer, nullable=False, default=1)
    item_id = Column(Integer, ForeignKey("proxy_service_item.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False, index=True)
    status = Column(String(10), nullable=False, default="pending")
    submitted_on = Column(Date)
    acceptance_no = Column(String(60))  # 受理号
    due_on = Column(Date, index=True)  # from the item's statutory limit (app/workdays for working days)
    result_no = Column(String(60))  # 批文 / 证照号
    done_on = Column(Date)
    note = Column(String(500))
    overdue_notified_at = Column(DateTime)  # the department was reminded (once)
    issue_id = Column(Integer, ForeignKey("issue.id"), index=True)  # a ledger problem opened from it

    case = relationship("ProxyCase", back_populates="steps")
    item = relationship("ServiceItem")
    department = relationship("Department")
    issue = relationship("Issue")

    __table_args__ = (UniqueConstraint("case_id", "item_id", name="uq_proxy_step_item"),)

    @property
    def status_label(self):
        return PROXY_STEP_STATUSES.get(self.status, self.status)


class ProxyEvent(EventMixin, Model):
    __tablename__ = "proxy_event"
    case_id = Column(Integer, ForeignKey("proxy_case.id"), nullable=False, index=True)
    case = relationship("ProxyCase", back_populates="events")
