"""The shared vocabulary: role groups, status groups, tiers with their labels and colours, menu
names and the page size. Every other module imports these; none spells a role set or a status
tuple of its own (docs/architecture.md#vocabulary).

Plain data, no database access, so the rule modules, the screens, the CLI and the tasks can all
import it without cycles.
"""
from flask import current_app, has_app_context

# --- roles (Flask-AppBuilder role names) --------------------------------------------------------

ADMIN, OFFICE, DIRECTOR, LEADER = "Admin", "Office", "Director", "Leader"
OFFICER, DEPARTMENT, ENTERPRISE = "Officer", "Department", "Enterprise"
ALL_ROLES = (ADMIN, OFFICE, DIRECTOR, LEADER, OFFICER, DEPARTMENT, ENTERPRISE)
ROLE_LABELS = {
    ADMIN: "系统管理员", OFFICE: "首席服务官办公室", DIRECTOR: "办公室主任", LEADER: "领导小组",
    OFFICER: "首席服务官", DEPARTMENT: "责任单位", ENTERPRISE: "企业",
}

OFFICE_ROLES = frozenset({ADMIN, OFFICE, DIRECTOR})  # the office: sees and writes everything
READ_ONLY_ROLES = frozenset({LEADER})  # sees everything, changes nothing
SEES_ALL_ROLES = OFFICE_ROLES | READ_ONLY_ROLES
FILER_ROLES = OFFICE_ROLES | {OFFICER, ENTERPRISE}  # may file a problem
OFFICE_STAFF_ROLES = frozenset({OFFICE, DIRECTOR})  # the people who work the office's queue (mail)
LINKED_ROLES = {OFFICER: "officer_id", DEPARTMENT: "department_id", ENTERPRISE: "enterprise_id"}

# --- the problem ledger ---------------------------------------------------------------------------

ISSUE_STATUSES = {
    "new": "待受理", "accepted": "已受理", "assigned": "已交办", "in_progress": "办理中",
    "resolved": "已办结", "closed": "已销号", "unable": "无法解决", "void": "已作废",
}
OPEN_STATUSES = ("new", "accepted", "assigned", "in_progress")  # 未办结: the clock may run
BEFORE_TRANSFER = ("new", "accepted")  # the office's own step (transfer deadline)
WITH_DEPARTMENT = ("assigned", "in_progress")  # a lead department holds it
SOLVED_STATUSES = ("resolved", "closed")  # 已办结 + 已销号: what 解决率 counts as solved
FINAL_STATUSES = ("closed", "void")  # nothing more may change
LIFECYCLE = ("new", "accepted", "assigned", "in_progress", "resolved", "closed")  # the main path, in order

# --- assignment notices (交办通知单, app/notices) ----------------------------------------------------

NOTICE_STATUSES = {
    "draft": "草稿", "submitted": "待审批", "approved": "已批准", "registered": "已登记", "sent": "已送达",
    "acknowledged": "已签收", "replied": "已回复", "verified": "已审结", "void": "已作废",
}
NOTICE_RUNNING = ("sent", "acknowledged")  # with the unit, its clock running (overdue counts here)
NOTICE_OPEN = ("draft", "submitted", "approved", "registered", "sent", "acknowledged", "replied")  # blocks 销号
NOTICE_BEFORE_SENDING = ("draft", "submitted", "approved", "registered")  # the office's own steps
NOTICE_FINAL = ("verified", "void")

# --- consultation meetings (会商, app/meetings) -------------------------------------------------------

MEETING_STATUSES = {
    "draft": "筹备中", "notified": "已通知", "held": "已召开", "pending_sign": "待审签",
    "published": "已印发", "closed": "已办结", "cancelled": "已取消",
}
MEETING_LEVELS = {"consultation": "部门会商", "director": "重大问题会商办公会议", "leading_group": "领导小组会议"}
ATTENDANCE = {"present": "出席", "attending": "列席", "leave": "请假", "absent": "缺席"}
DECISION_STATUSES = {"open": "待办理", "reported": "已报告", "verified": "已核销", "cancelled": "已撤销"}
MEETING_EDITABLE = ("draft", "notified", "held")  # topics, participants, decisions, minutes text may change
MEETING_PUBLISHED = ("published", "closed")  # 已印发: minutes locked, decisions in force
DECISION_FINAL = ("verified", "cancelled")  # a meeting closes when every decision is here

# --- deadline tiers (one wording everywhere) -------------------------------------------------------

TIERS = {"approaching": "临期", "overdue": "超期", "serious": "严重超期"}
OVERDUE_TIERS = ("overdue", "serious")
TIER_FILTERS = {**TIERS, "overdue_only": "超期（未到严重）"}  # ledger filter choices
TIER_COLOURS = {"approaching": "yellow", "overdue": "red", "serious": "red"}  # closed problems: green
COLOUR_CLASSES = {"red": "danger", "yellow": "warning", "green": "success"}  # Bootstrap row classes
TIER_ROW_CLASS = {t: COLOUR_CLASSES[c] for t, c in TIER_COLOURS.items()}

# --- menus (FAB categories and entries; roles.py grants them) -------------------------------------

MENU_SERVICE = "企业服务"
MENU_MASTER = "基础数据"
MENU_LEDGER = "问题台账"
MENU_SETTINGS = "系统设置"
MENU_REPORTS = "工作报告"
MENU_MEETINGS = "会商"
MENU_NOTICES = "交办通知单"

# --- lists -----------------------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 25


def page_size():
    """Rows per page on every list (setting ``PAGE_SIZE``), capped by ``MAX_PAGE_SIZE``."""
    if not has_app_context():
        return DEFAULT_PAGE_SIZE
    size = current_app.config.get("CSO_PAGE_SIZE") or DEFAULT_PAGE_SIZE
    return max(1, min(int(size), max_page_size()))


def max_page_size():
    if not has_app_context():
        return 100
    return int(current_app.config.get("CSO_MAX_PAGE_SIZE") or 100)


def labelled(mapping):
    """'key（label）、…' — how an error message lists the allowed values."""
    return "、".join(f"{k}（{v}）" for k, v in mapping.items())


# --- accountability (督办单, 通报批评, lapses: app/accountability) -----------------------------------

LAPSE_KINDS = {"notice_overdue": "交办事项逾期", "receipt_late": "签收超时", "decision_overdue": "会商议定事项逾期"}
URGE_STATUSES = {"draft": "待发出", "sent": "已发出", "cancelled": "已取消"}
URGE_REASONS = {"overdue": "逾期未办结", "interim": "未按期阶段反馈", "rework": "答复被退回重办",
                "decision_overdue": "会商议定事项逾期"}
CRITICISM_STATUSES = {"draft": "草稿", "approved": "已审定", "published": "已发布", "withdrawn": "已撤回"}
CRITICISM_BASES = {"notice_overdue": "交办事项无故逾期", "decision_overdue": "会商议定事项无故逾期",
                   "late_report": "迟报", "missing_report": "漏报", "urged_missing": "催而不报", "other": "其他"}
MENU_ACCOUNTABILITY = "督办问责"

