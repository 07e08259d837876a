"""Tables: the policy library, benefit items, deliveries and uptake (惠企政策宣传到位).

``Policy`` 政策文件 → ``PolicyItem`` 惠企事项 (with ``PolicyCriterion`` rows: who it is for) →
``PolicyDelivery`` 送达记录 (an officer told an enterprise about an item, at one revision of it) and
``PolicyUptake`` 申兑跟踪 (one per item × enterprise: 拟申报 → 已申报 → 已受理 → 已兑现 / 未通过).
``EnterpriseSize`` holds the enterprise's size (大型/中型/小型/微型), which the master data lacks.
Labels come from app.vocab; the rules are app.policies.rules."""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import relationship

from ..models import EventMixin, utcnow
from ..vocab import (
    CASH_MODES, DELIVERY_CHANNELS, ENTERPRISE_SIZES, POLICY_INTEREST, POLICY_LEVELS, UPTAKE_STATUSES,
)

CRITERION_KINDS = {"industry": "行业", "category": "企业类别", "subdistrict": "所属街道", "size": "企业规模"}


class Policy(Model):
    """One policy document (政策文件). ``department_id``: the unit that keeps it (None: the office)."""

    __tablename__ = "policy"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    doc_number = Column(String(80))  # 发文字号
    issuer = Column(String(100))  # 发文机关
    level = Column(String(10), nullable=False, default="district")
    issued_on = Column(Date)  # 成文日期
    published_on = Column(Date)  # 发布日期
    effective_from = Column(Date)
    effective_to = Column(Date, index=True)  # 失效日期: past it the policy reads 已失效
    status = Column(String(10), nullable=False, default="current", index=True)
    successor_id = Column(Integer, ForeignKey("policy.id"))  # 已修订: the policy that replaced it
    summary = Column(Text)
    interpretation = Column(Text)  # 政策解读
    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    successor = relationship("Policy", remote_side=[id])
    department = relationship("Department")
    items = relationship("PolicyItem", back_populates="policy", order_by="PolicyItem.id")

    __mapper_args__ = {"version_id_col": version}

    def status_on(self, day):
        """The status as of ``day``: a 现行有效 policy past its 失效日期 reads 已失效."""
        if self.status == "current" and self.effective_to is not None and self.effective_to < day:
            return "expired"
        return self.status

    @property
    def level_label(self):
        return POLICY_LEVELS.get(self.level, self.level)

    def __str__(self):
        return self.title or ""


class PolicyItem(Model):
    """One benefit item (惠企事项) of a policy. ``revision`` goes up on a material change (who it is for,
    how it is cashed, the window, the time limit, the benefit): deliveries of older revisions no longer
    count as told."""

    __tablename__ = "policy_item"
    id = Column(Integer, primary_key=True)
    policy_id = Column(Integer, ForeignKey("policy.id"), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    benefit = Column(Text, nullable=False)  # 支持内容
    target_desc = Column(Text)  # 其他条件 (free text)
    cash_mode = Column(String(10), nullable=False, default="apply")
    window_open = Column(Date)
    window_close = Column(Date, index=True)
    cash_days = Column(Integer)  # 兑现时限, working days after 受理
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False, index=True)
    contact = Column(String(50))
    phone = Column(String(30))
    revision = Column(Integer, nullable=False, default=1)
    changed_at = Column(DateTime)  # the last material change
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    policy = relationship("Policy", back_populates="items")
    department = relationship("Department")
    criteria = relationship("PolicyCriterion", back_populates="item", cascade="all, delete-orphan",
                            order_by="PolicyCriterion.id")

    __mapper_args__ = {"version_id_col": version}

    def values(self, kind):
        return [c.value for c in self.criteria if c.kind == kind]

    @property
    def cash_mode_label(self):
        return CASH_MODES.get(self.cash_mode, self.cash_mode)

    def __str__(self):
        return self.name or ""


class PolicyCriterion(Model):
    """One eligibility value of an item: kind industry|category|subdistrict|size. An item with no value of
    a kind is open to every enterprise on that kind; with values, the enterprise must have one of them."""

    __tablename__ = "policy_criterion"
    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("policy_item.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(12), nullable=False)
    value = Column(String(50), nullable=False)

    item = relationship("PolicyItem", back_populates="criteria")

    __table_args__ = (UniqueConstraint("item_id", "kind", "value", name="uq_policy_criterion"),
                      Index("ix_policy_criterion_kind_value", "kind", "value"))


class EnterpriseSize(Model):
    """企业规模 of an enterprise (the office keeps it; the master data has no such field)."""

    __tablename__ = "enterprise_size"
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), primary_key=True)
    size = Column(String(10), nullable=False)

    @property
    def label(self):
        return ENTERPRISE_SIZES.get(self.size, self.size)


class PolicyDelivery(Model):
    """An officer told an enterprise about an item (送达): channel, explained or only forwarded, the item's
    revision at the time; the enterprise confirms in the portal and answers its interest."""

    __tablename__ = "policy_delivery"
    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("policy_item.id"), nullable=False, index=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    officer_id = Column(Integer, ForeignKey("officer.id"), index=True)
    visit_id = Column(Integer, ForeignKey("visit.id"), index=True)
    channel = Column(String(10), nullable=False, default="visit")
    delivered_on = Column(Date, nullable=False)
    explained = Column(Boolean, nullable=False, default=False, server_default=text("false"))
    item_revision = Column(Integer, nullable=False, default=1)
    note = Column(String(500))
    confirmed_at = Column(DateTime)
    confirmed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    interest = Column(String(12))
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    item = relationship("PolicyItem")
    enterprise = relationship("Enterprise")
    officer = relationship("Officer")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_policy_delivery_pair", "item_id", "enterprise_id"),)

    @property
    def channel_label(self):
        return DELIVERY_CHANNELS.get(self.channel, self.channel)

    @property
    def interest_label(self):
        return POLICY_INTEREST.get(self.interest, "") if self.interest else ""


class PolicyUptake(Model):
    """申兑跟踪: one per item × enterprise. ``issue_id``: the ledger problem a stalled cash-out became."""

    __tablename__ = "policy_uptake"
    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("policy_item.id"), nullable=False, index=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    status = Column(String(10), nullable=False, default="planned", index=True)
    applied_on = Column(Date)
    accepted_on = Column(Date)
    paid_on = Column(Date)
    amount = Column(Numeric(14, 2))
    reject_reason = Column(String(500))
    issue_id = Column(Integer, ForeignKey("issue.id"))
    updated_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)

    item = relationship("PolicyItem")
    enterprise = relationship("Enterprise")
    issue = relationship("Issue")
    events = relationship("PolicyUptakeEvent", back_populates="uptake", order_by="PolicyUptakeEvent.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("item_id", "enterprise_id", name="uq_policy_uptake_pair"),)

    @property
    def status_label(self):
        return UPTAKE_STATUSES.get(self.status, self.status)


class PolicyUptakeEvent(EventMixin, Model):
    """The append-only history of an uptake (app.workflow.events.record): who recorded which step, when."""

    __tablename__ = "policy_uptake_event"
    uptake_id = Column(Integer, ForeignKey("policy_uptake.id"), nullable=False, index=True)

    uptake = relationship("PolicyUptake", back_populates="events")
