"""The domain model (DESIGN.md §3). Security tables (ab_*) come from Flask-AppBuilder."""
from datetime import datetime, timezone

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text,
    text,
)
from sqlalchemy.orm import relationship, validates

from flask_appbuilder.security.sqla.models import User  # noqa: F401  (relationship target)

from . import validation


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
    subdistrict = Column(String(50))
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
        return validation.clean_credit_code(value)

    @validates("phone")
    def _phone(self, key, value):
        return validation.clean_phone(value)

    @validates("name")
    def _name(self, key, value):
        return validation.clean_text(value)

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
        return validation.clean_phone(value)

    @validates("name")
    def _name(self, key, value):
        return validation.clean_text(value)

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
        return validation.clean_phone(value)

    @validates("name")
    def _name(self, key, value):
        return validation.clean_person_name(value)

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
    """Lockout state for a login (FAB's user table is not ours to change)."""

    __tablename__ = "account_state"
    user_id = Column(Integer, ForeignKey("ab_user.id"), primary_key=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime)
    user = relationship("User")
