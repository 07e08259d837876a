"""The seven roles and their exact permission sets, declared here and synced idempotently.

``sync_roles()`` creates every permission the registered views and APIs declare, then makes
each role hold exactly the set below (extra permissions are removed). ``Public`` gets nothing; ``Admin``
gets every permission except ``NOT_FOR_ADMIN``.
"""
from flask import current_app

from . import vocab
from .vocab import ADMIN, DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, OFFICE, OFFICER

READ = "can_read"
WRITE = "can_write"
DELETE = "can_delete"

# menu entries (view_menu names) reachable by role
MENU_SERVICE = [vocab.MENU_SERVICE, "重点服务企业", "包联关系", "走访记录"]
MENU_MASTER = [vocab.MENU_MASTER, "服务官", "责任单位"]
MENU_LEDGER = [vocab.MENU_LEDGER]  # the category and its list (its title follows the role)
MENU_FILE = ["登记问题"]
MENU_OVERDUE = ["超期问题"]
MENU_SETTINGS = [vocab.MENU_SETTINGS, "节假日", "问题类别", "时限设置", "定时任务"]
MENU_REPORTS = [vocab.MENU_REPORTS, "周报与月度台账", "履职记录", "通报"]
MAIL_PREF = [("can_read", "MailPreference"), ("can_write", "MailPreference")]
MENU_NOTICES = [vocab.MENU_NOTICES, "交办登记簿"]  # app/notices

# what every logged-in person may do with their own account
SELF_SERVICE = [
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("userinfoedit", "UserDBModelView"),
    ("can_get", "OpenApi"),
]

MODELS = ["Enterprise", "Department", "Officer", "Assignment", "Visit"]


def _menus(names):
    return [("menu_access", name) for name in names]


def _office():
    perms = [(p, m) for m in MODELS + ["Issue"] for p in (READ, WRITE)]
    perms += [(DELETE, m) for m in ("Enterprise", "Department", "Officer", "Visit")]
    perms += [("end_assignment", "Assignment")]
    perms += [(p, m) for m in ("Holiday", "IssueCategory") for p in (READ, WRITE, DELETE)]
    perms += [(READ, "RosterImport"), (WRITE, "RosterImport"), (READ, "ImportLog")]
    perms += [(READ, "Setting"), (WRITE, "Setting"), (READ, "Schedule"), (READ, "Report"), (READ, "DutyRecord"),
              (READ, "Bulletin"), (WRITE, "Bulletin"), (READ, "OutboundMessage"), ("retry", "OutboundMessage")]
    return perms + _menus(MENU_SERVICE + MENU_MASTER + MENU_LEDGER + MENU_FILE + MENU_OVERDUE + MENU_SETTINGS
                          + MENU_REPORTS + ["发件箱", "导入包联名册", "导入记录"])


ROLE_PERMISSIONS = {
    OFFICE: _office(),
    DIRECTOR: _office(),
    LEADER: [(READ, m) for m in MODELS + ["Issue", "Holiday", "IssueCategory", "Setting", "Schedule", "Report",
                                            "DutyRecord", "Bulletin", "ImportLog"]]
    + _menus(MENU_SERVICE + MENU_MASTER + MENU_LEDGER + MENU_OVERDUE + MENU_SETTINGS + MENU_REPORTS + ["导入记录"]),
    OFFICER: [(READ, m) for m in MODELS] + [(WRITE, "Visit"), (DELETE, "Visit"), (READ, "Issue"), (WRITE, "Issue"),
                                              (READ, "Report"), (WRITE, "Report"), (READ, "DutyRecord")]
    + _menus(MENU_SERVICE + MENU_MASTER + MENU_LEDGER + MENU_FILE + MENU_OVERDUE + [vocab.MENU_REPORTS, "周报与月度台账", "履职记录"]),
    DEPARTMENT: [(READ, "Department"), (READ, "Enterprise"), (READ, "Issue"), (WRITE, "Issue")]
    + _menus([vocab.MENU_MASTER, "责任单位"] + MENU_LEDGER + MENU_OVERDUE),
    ENTERPRISE: [(READ, m) for m in ("Enterprise", "Officer", "Assignment", "Visit", "Department")]
    + [(READ, "Issue"), (WRITE, "Issue")]
    + _menus(MENU_SERVICE + [vocab.MENU_MASTER, "服务官", "责任单位"] + MENU_LEDGER + MENU_FILE),
    "Public": [],
}
# assignment notices (app/notices): the office writes; units act on theirs (acknowledge, reply, object,
# request an extension); leaders and officers read; enterprises nothing
for _role, _verbs in ((OFFICE, (READ, WRITE)), (DIRECTOR, (READ, WRITE)), (LEADER, (READ,)),
                      (DEPARTMENT, (READ, WRITE)), (OFFICER, (READ,))):
    ROLE_PERMISSIONS[_role].extend([(v, "Notice") for v in _verbs] + _menus(MENU_NOTICES))
# consultation meetings (app/meetings): the office writes; units read the meetings they take part in and
# report on the decisions addressed to them; leaders and officers read; enterprises read their decisions
MENU_MEETINGS = [vocab.MENU_MEETINGS, "会商会议", "议定事项"]
for _role, _meeting, _decision, _menu in (
        (OFFICE, (READ, WRITE), (READ, WRITE), MENU_MEETINGS), (DIRECTOR, (READ, WRITE), (READ, WRITE), MENU_MEETINGS),
        (LEADER, (READ,), (READ,), MENU_MEETINGS), (OFFICER, (READ,), (READ,), MENU_MEETINGS),
        (DEPARTMENT, (READ,), (READ, WRITE), MENU_MEETINGS), (ENTERPRISE, (), (READ,), [vocab.MENU_MEETINGS, "议定事项"])):
    ROLE_PERMISSIONS[_role].extend([(v, "Meeting") for v in _meeting] + [(v, "MeetingDecision") for v in _decision]
                                   + _menus(_menu))
# accountability (app/accountability): the office drafts, the director approves; units and officers read
# (and reply to) what is published about them; leaders read
for _role, _verbs in ((OFFICE, (READ, WRITE)), (DIRECTOR, (READ, WRITE)), (LEADER, (READ,)),
                      (DEPARTMENT, (READ, WRITE)), (OFFICER, (READ, WRITE))):
    ROLE_PERMISSIONS[_role].extend([(v, "Criticism") for v in _verbs] + _menus([vocab.MENU_ACCOUNTABILITY, "通报批评"]))
for _role in (OFFICE, DIRECTOR, LEADER, DEPARTMENT):
    ROLE_PERMISSIONS[_role].extend([(READ, "Urge")] + ([(WRITE, "Urge")] if _role in (OFFICE, DIRECTOR) else [])
                                   + _menus(["督办单"]))
# the leaders' dashboard (app/dashboard): read by everyone but enterprises, numbers in the caller's scope
for _role in (LEADER, OFFICE, DIRECTOR, DEPARTMENT, OFFICER):
    ROLE_PERMISSIONS[_role].append((READ, "Dashboard"))
# feature packages declare their own permissions (app/<feature>/permissions.py: {role: [(perm, view)]})
from .surveys.permissions import PERMISSIONS as _SURVEYS  # noqa: E402
from .assessments.permissions import PERMISSIONS as _ASSESSMENTS  # noqa: E402
from .policies.permissions import ENTERPRISE_ONLY as _POLICIES_ENTERPRISE_ONLY, PERMISSIONS as _POLICIES  # noqa: E402
from .proxy.permissions import PERMISSIONS as _PROXY  # noqa: E402
from .recall.permissions import PERMISSIONS as _RECALL  # noqa: E402
from .notifications.permissions import PERMISSIONS as _NOTIFICATIONS  # noqa: E402
from .jobs.permissions import PERMISSIONS as _JOBS  # noqa: E402

for _feature in (_SURVEYS, _ASSESSMENTS, _POLICIES, _PROXY, _RECALL, _NOTIFICATIONS, _JOBS):
    for _role, _perms in _feature.items():
        ROLE_PERMISSIONS[_role].extend(_perms)
EXPORT = [("can_read", "Export")]  # every export is scoped to the caller anyway
for _role, _perms in ROLE_PERMISSIONS.items():
    if _role != "Public":
        _perms.extend(SELF_SERVICE + MAIL_PREF + EXPORT)
# attachments (app/files): every role may read and (but leaders) attach; app.files.rules decides per owner
for _role, _perms in ROLE_PERMISSIONS.items():
    if _role != "Public":
        _perms.extend([("can_read", "Attachment")] + ([] if _role == LEADER else [("can_write", "Attachment")]))

ALL_ROLES = [ADMIN, *ROLE_PERMISSIONS]
# Admin holds every permission but these: menu entries that only serve another role's own data
NOT_FOR_ADMIN = frozenset(_POLICIES_ENTERPRISE_ONLY)


def sync_roles():
    """Idempotent. Returns {role: (added, removed)}."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    for role_name in ALL_ROLES:
        sm.find_role(role_name) or sm.add_role(role_name)
    admin = sm.find_role(ADMIN)
    before = set(admin.permissions)  # FAB's add_permissions hands the Admin role every menu entry again
    appbuilder.add_permissions(update_perms=True)
    report = {}
    every = [p for p in sm.session.query(sm.permissionview_model).all()
             if (p.permission.name, p.view_menu.name) not in NOT_FOR_ADMIN]
    admin.permissions = list(every)
    report["Admin"] = (len(set(every) - before), len(before - set(every)))
    for role_name, wanted in ROLE_PERMISSIONS.items():
        role = sm.find_role(role_name)
        pvms = []
        for perm, view in wanted:
            pvm = sm.find_permission_view_menu(perm, view)
            if pvm is None:
                raise RuntimeError(f"权限不存在：{perm} on {view}（视图未注册？）")
            pvms.append(pvm)
        before = set(role.permissions)
        role.permissions = pvms
        report[role_name] = (len(set(pvms) - before), len(before - set(pvms)))
    sm.session.commit()
    return report
