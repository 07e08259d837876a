"""The user screens (FAB's 用户列表 and 个人信息) in Chinese: 是/否 for 是否启用, role names in words
(首席服务官, not ``[Officer]``), no e-mail marker of logins without an address (issue 9 item 7).

FAB 5.3: ``UserDBModelView`` subclassed under the same class name (its endpoint and permission
names, e.g. ``UserDBModelView.userinfo`` / ``can_userinfo``, stay FAB's) and set as
``CSOSecurityManager.userdbmodelview``; FAB registers it (and its userinfo page) with the security views. On upgrade re-check its
``list_columns``, ``show_fieldsets`` and ``user_show_fieldsets`` names."""
from flask_appbuilder.security.views import UserDBModelView as FABUserDBModelView

from .vocab import ROLE_LABELS


def yes_no(value):
    return "是" if value else "否"


def role_names(roles):
    return "、".join(ROLE_LABELS.get(r.name, r.name) for r in roles or [])


def shown_email(address):
    from .accounts import mail_address  # accounts imports security, which imports this module

    return mail_address(address) or "（未登记）"


def full_name(value):
    """FAB's get_full_name joins the two parts with a space; Chinese names have none."""
    return (value or "").replace(" ", "")


def when(value):
    """FAB stores last_login as the server's local time, to the microsecond: to the minute, or empty."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


PERSONAL = ["get_full_name", "first_name", "last_name", "email"]


class UserDBModelView(FABUserDBModelView):
    list_columns = ["username", "get_full_name", "email", "active", "roles", "last_login"]
    formatters_columns = {"active": yes_no, "roles": role_names, "email": shown_email, "get_full_name": full_name,
                          "last_login": when, "created_on": when, "changed_on": when}
    label_columns = {**FABUserDBModelView.label_columns, "active": "是否启用", "roles": "角色",
                     "get_full_name": "显示名称", "last_login": "最近登录"}
    show_fieldsets = [(title, {**spec, "fields": PERSONAL}) if "email" in spec["fields"] else (title, spec)
                      for title, spec in FABUserDBModelView.show_fieldsets]
    user_show_fieldsets = [(title, {**spec, "fields": PERSONAL}) if "email" in spec["fields"] else (title, spec)
                           for title, spec in FABUserDBModelView.user_show_fieldsets]


CSOUserDBModelView = UserDBModelView  # the name app.security imports
