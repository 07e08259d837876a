"""Logins that *are* someone: an officer, a department's clerk, an enterprise's contact."""
from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError

from . import db
from .models import Department, DepartmentUser, Enterprise, EnterpriseUser, Officer
from .security import password_complexity

LINK_REQUIRED = {"Officer": "officer_id", "Department": "department_id", "Enterprise": "enterprise_id"}


class AccountError(Exception):
    pass


def create_login(username, role, password, name=None, officer_id=None, department_id=None, enterprise_id=None):
    sm = current_app.appbuilder.sm
    if sm.find_user(username=username):
        raise AccountError(f"账号{username}已存在。")
    try:
        password_complexity(password)
    except PasswordComplexityValidationError as exc:
        raise AccountError(str(exc)) from None
    links = {"officer_id": officer_id, "department_id": department_id, "enterprise_id": enterprise_id}
    needed = LINK_REQUIRED.get(role)
    if needed and not links[needed]:
        raise AccountError(f"{role}角色的账号必须关联对象（--{needed.split('_')[0]}）。")
    officer = db.session.get(Officer, officer_id) if officer_id else None
    if officer_id and officer is None:
        raise AccountError(f"服务官 id {officer_id} 不存在。")
    if officer is not None and officer.user_id:
        raise AccountError(f"服务官{officer.name}已关联账号。")
    if department_id and db.session.get(Department, department_id) is None:
        raise AccountError(f"责任单位 id {department_id} 不存在。")
    if enterprise_id and db.session.get(Enterprise, enterprise_id) is None:
        raise AccountError(f"企业 id {enterprise_id} 不存在。")
    display = name or username
    user = sm.add_user(username, display[:1], display[1:] or display, f"{username}@cso.local",
                       sm.find_role(role), password)
    if not user:
        raise AccountError("创建账号失败。")
    if officer is not None:
        officer.user_id = user.id
    if department_id:
        db.session.add(DepartmentUser(user_id=user.id, department_id=department_id))
    if enterprise_id:
        db.session.add(EnterpriseUser(user_id=user.id, enterprise_id=enterprise_id))
    db.session.commit()
    return user
