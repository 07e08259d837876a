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

# --- the policy library and promotion (惠企政策宣传到位, app/policies) -------------------------------

MENU_POLICIES = "惠企政策"
POLICY_LEVELS = {"national": "国家", "province": "省", "city": "市", "district": "区"}
POLICY_STATUSES = {"current": "现行有效", "expired": "已失效", "repealed": "已废止", "revised": "已修订"}
POLICY_IN_FORCE = ("current",)  # stored status that may still be in force (until effective_to passes)
CASH_MODES = {"auto": "免申即享", "instant": "即申即享", "apply": "申报审批"}
ENTERPRISE_SIZES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
DELIVERY_CHANNELS = {"visit": "走访面谈", "meeting": "座谈会", "phone": "电话", "sms": "短信", "wechat": "微信",
                     "paper": "明白纸"}
POLICY_INTEREST = {"apply": "有意申报", "ineligible": "不符合条件", "enjoyed": "已享受", "not_now": "暂不需要"}
POLICY_NOT_APPLYING = ("ineligible", "enjoyed", "not_now")  # an answer that takes the pair off the window alert
UPTAKE_STATUSES = {"planned": "拟申报", "applied": "已申报", "accepted": "已受理", "paid": "已兑现",
                   "rejected": "未通过"}
UPTAKE_OPEN = ("planned", "applied", "accepted")  # still on the way to 兑现 (a handover item)
UPTAKE_APPLIED = ("applied", "accepted", "paid", "rejected")  # the enterprise has applied
POLICY_ISSUE_CATEGORY = "政策兑现"  # the ledger category a stalled cash-out is filed under
POLICY_WINDOW_ALERT_DAYS = 5  # working days before an application window closes

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

# --- satisfaction surveys (好差评), bad reviews (差评件), inspections (督查): app/surveys --------------

MENU_ASSESSMENT = "考核评价"  # surveys and assessments share this category
SURVEY_KINDS = {"closeout": "问题办结回访", "quarterly": "季度满意度测评", "callback": "电话回访"}
SURVEY_TEMPLATE_STATUSES = {"draft": "草稿", "active": "启用", "retired": "停用"}
SURVEY_REQUEST_STATUSES = {"queued": "待发送", "pending": "待评价", "answered": "已评价", "expired": "未评价"}
SURVEY_CHANNELS = {"portal": "企业端", "link": "一次性链接", "phone": "电话回访", "paper": "纸质问卷"}
SURVEY_DIMENSIONS = ("服务态度", "工作效率", "政策落实", "问题解决")  # seed 六(四)
SURVEY_TARGETS = {"officer": "首席服务官", "department": "责任单位"}
SURVEY_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}  # national 好差评
SATISFIED_LEVELS = (5, 4, 3)  # 好评: 非常满意、满意、基本满意 — what the satisfaction rate counts
BAD_LEVELS = (2, 1)  # 差评: 不满意、非常不满意 — opens a bad-review case
LEVEL_TO_CONFIRMATION = {5: "satisfied", 4: "satisfied", 3: "basically_satisfied", 2: "dissatisfied",
                         1: "dissatisfied"}  # onto the ledger's three-level confirmation
BAD_REVIEW_STATUSES = {"open": "待核实", "rectifying": "整改中", "rectified": "待回访", "closed": "已办结",
                       "appealed": "申诉中", "excluded": "已剔除"}
BAD_REVIEW_VERIFIED = ("rectifying", "rectified", "closed")  # verified and not excluded
INSPECTION_METHODS = {"phone": "电话询问", "visit": "走访企业", "ledger": "查阅台账"}  # seed 七(二)
INSPECTION_RATINGS = {"efficiency": "效率", "quality": "质量", "level": "水平", "effect": "效果"}  # seed 六(四)

# --- 代办 cases (两不见面, seed 六(七): app/proxy) -------------------------------------------------

MENU_PROXY = "代办服务"
PROXY_STATUSES = {
    "requested": "待预约", "scheduled": "已预约", "authorized": "已委托", "in_progress": "代办中",
    "done": "已办结", "delivered": "已移交", "suspended": "已中止", "terminated": "已终结", "cancelled": "已取消",
}
PROXY_OPEN = ("requested", "scheduled", "authorized", "in_progress", "done", "suspended")  # handover moves these
PROXY_FINAL = ("delivered", "terminated", "cancelled")
PROXY_ACTIVE = ("authorized", "in_progress")  # the officer acts under the power of attorney
PROXY_MODES = {"visit": "上门", "online": "线上", "window": "窗口"}
PROXY_STOP_REASONS = {"false_materials": "材料虚假", "no_correction": "未按要求补正",
                      "not_eligible": "不符合法定条件", "withdrawn": "企业撤回", "other": "其他"}
PROXY_STEP_STATUSES = {"pending": "待提交", "submitted": "已受理", "done": "已出结果"}
PROXY_LIMIT_KINDS = {"working": "工作日", "calendar": "自然日"}

# --- background jobs with progress (app/jobs) ------------------------------------------------------

JOB_STATES = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
JOB_ACTIVE = ("queued", "running")  # still to finish (a redelivered task may run these)
JOB_KINDS = {"export": "导出", "import": "导入", "bulletin": "生成通报", "assessment": "考核计算",
             "survey": "发出季度测评"}
JOB_UNITS = {"export": "行", "import": "行", "bulletin": "份", "assessment": "个考核项", "survey": "家企业"}  # of done/total
MENU_JOBS = "我的后台任务"  # in the user's own menu (navbar), not a category

# --- assessments (考核评价: schemes, cycles, appeals, the ladder; app/assessments) --------------------

ASSESSMENT_SUBJECTS = {"officer": "首席服务官", "department": "责任单位"}
ASSESSMENT_PERIODS = {"quarter": "季度", "year": "年度"}
SCHEME_STATUSES = {"draft": "草稿", "active": "已启用", "retired": "已停用"}
ASSESSMENT_DIMENSIONS = ("效率", "质量", "水平", "效果", "满意度", "纪律", "加分", "扣分")
ASSESSMENT_EXTRA_DIMENSIONS = ("加分", "扣分")  # outside the 100 points of the ordinary items
ASSESSMENT_RULES = {"ratio_linear": "比例折算", "threshold_band": "分档计分", "per_event": "按次计分",
                    "rank_points": "名次赋分", "manual": "督查评分", "veto": "一票否决"}
ASSESSMENT_CYCLE_STATUSES = {"open": "待计算", "computed": "已计算", "frozen": "已冻结", "reviewed": "已审核",
                             "published": "已公布", "closed": "申诉期结束", "reopened": "已重新打开"}
ASSESSMENT_CYCLE_PUBLISHED = ("published", "closed")  # what the assessed officer or unit may see
ASSESSMENT_GRADES = ("优秀", "良好", "合格", "不合格")
ASSESSMENT_FAIL = "不合格"
ASSESSMENT_BANDS = {"green": "绿", "yellow": "黄", "red": "红"}
APPEAL_STATUSES = {"filed": "待复核", "upheld": "申诉成立", "rejected": "维持原评"}
ASSESSMENT_CASE_STATUSES = {"opened": "待报送", "reported": "已报四位一体督察组", "no_progress": "整改无进展",
                            "requested": "已提请纪工委问责", "closed": "已结案"}

# --- recall and handover (适时视情调整, 工作交接: app/recall) -----------------------------------------

RECALL_STATUSES = {"draft": "草稿", "submitted": "待审批", "approved": "已批准", "applied": "已执行",
                   "cancelled": "已撤销"}
RECALL_OPEN = ("draft", "submitted", "approved")  # a case still under way (one per officer at a time)
RECALL_REASONS = {"post_change": "岗位调整", "health": "身体健康", "underperform": "履职不力",
                  "dissatisfied": "企业不满意", "discipline": "违纪", "term_end": "服务期满", "other": "其他"}
RECALL_EVIDENCE_KINDS = {"assessment": "考核结果", "survey": "满意度调查", "bad_review": "差评",
                         "criticism": "通报批评", "request": "企业申请", "visit_gap": "走访缺失", "other": "其他"}
RECALL_APPROVERS = {"director": "办公室主任", "leader": "领导小组"}  # who approves (an office setting)
HANDOVER_STATUSES = {"draft": "待移交人签字", "out_signed": "待接收人签字", "in_signed": "待办公室确认",
                     "confirmed": "待企业确认", "acknowledged": "企业已确认"}
HANDOVER_SIGNED = ("confirmed", "acknowledged")  # signed both ways and confirmed by the office
HANDOVER_ITEM_KINDS = {"issue": "企业问题", "notice": "交办通知单", "decision": "会商议定事项", "proxy": "代办事项",
                       "policy": "政策申报", "promise": "承诺事项", "contact": "联系人"}
HANDOVER_FREE_KINDS = ("promise", "contact")  # written by the outgoing officer, not generated
RECALL_REQUEST_STATUSES = {"open": "办理中", "taken": "已受理，正在调整", "declined": "不予调整"}  # 申请更换服务官
MENU_RECALL = "服务官调整"

# --- the office's day (issue 9: reports that stay true, lists like a spreadsheet) ----------------

REPORT_STATES = {"draft": "未报送", "overdue": "逾期未报", "submitted": "已报送", "late": "迟报"}
REPORT_STATE_CLASS = {"draft": "", "overdue": "danger", "submitted": "success", "late": "warning"}
REPORT_OWN_HEADING = "五、下一步工作打算："  # the officer's own text follows it in a report
