"""The assignment notice's (交办通知单, 六(五)) state machine on the workflow kit — the one path that
screens, REST, the demo and tasks call (docs/architecture.md#the-workflow-kit, docs/domain.md).

``draft`` → submit → ``submitted`` → approve (the director, never the drafter) / return (reason)
→ ``approved`` → register (takes the year's next number, stores the .docx) → ``registered`` → send
(a stamped scan on file, or delivered offline with a receipt note; **the unit's clock starts
here**, and the problem's lead unit is set in the ledger) → ``sent`` → acknowledge (the lead unit,
1 working day) → ``acknowledged`` → reply (text + an attachment, 一事一文) → ``replied`` → verify
→ ``verified``, or reject_reply (reason, rework + 1) → ``acknowledged``. Side paths: object (lead
unit, within 1 working day of sending, once) and the office's dismiss_objection (维持交办; the
other answer is void + a new notice), request_extension (≥ 1 working day before the due date) and
approve_extension / reject_extension (the director; the old due date stays in the events),
explain (the unit's 情况说明 before the due date — the urging ladder reads it), feedback (interim
feedback on the notice's cycle), void (reason; a registered number stays in the register, 作废).
"""
from dateutil.relativedelta import relativedelta
from flask import current_app, has_app_context
from sqlalchemy import select

from .. import clock, scope, workdays, workflow
from ..extensions import db
from ..files.models import Attachment
from ..models import Department
from ..validation import InvalidValue, clean_date, valid_id
from ..vocab import DEPARTMENT, DIRECTOR, NOTICE_BEFORE_SENDING, NOTICE_FINAL, NOTICE_RUNNING, OFFICE_ROLES, labelled
from ..workflow import WorkflowError, action, numbering
from ..notifications import handovers
from .models import Notice, NoticeEvent

NUMBERS = numbering.register("notice", "交办通知单编号", "示范区企服交〔{year}〕{seq}号", max_length=40)
STALE = "该交办通知单已被他人更新，请刷新后再操作。"

BASES = {"issue": "问题交办", "decision": "会商议定事项", "officer_request": "首席服务官提请",
         "leader_instruction": "领导批示"}
FEEDBACK_CYCLES = {"none": "不要求阶段反馈", "once": "一次性反馈", "weekly": "每周反馈", "monthly": "每月反馈"}
URGENCIES = ("加急", "特急")
DELIVERIES = {"scan": "上传盖章扫描件", "offline": "线下送达（附签收说明）"}
# the body's sections, in the document's order: key → heading (the document numbers them 一、二、…)
SECTIONS = {"enterprise": "企业基本情况", "problem": "反映问题", "coordination": "前期协调", "requirements": "办理要求"}
DEFAULT_REQUIREMENTS = "请牵头单位会同配合单位认真研究，依法依规推动问题解决，并及时向企业反馈办理情况。"
SOLE_REQUIREMENTS = "请你单位认真研究，依法依规推动问题解决，并及时向企业反馈办理情况。"  # no 配合单位


def default_requirements(with_co):
    """The 工作要求 a notice starts with: naming the 配合单位 only when there are some."""
    return DEFAULT_REQUIREMENTS if with_co else SOLE_REQUIREMENTS
DEFAULT_CC = "区四位一体督察组"

PARAM_LABELS = {"reason": "理由", "delivery": "送达方式", "attachment": "附件", "note": "说明", "text": "回复内容",
                "new_due": "延期后的办理时限", "explanation": "情况说明", "department": "牵头单位",
                "co_departments": "配合单位", "due_on": "办理时限", "title": "标题", "body": "正文",
                "issue": "问题", "decision": "议定事项", "feedback_cycle": "反馈周期", "urgency": "紧急程度",
                "cc": "抄送", "basis": "交办依据", "resolve_issue": "同时办结问题", "override_reason": "强制销号理由"}


def settings():
    """Deadline settings (app config, with the defaults of 六(五) and the 13710 rule)."""
    get = current_app.config.get if has_app_context() else (lambda key, default=None: default)
    return {"acknowledge_days": int(get("NOTICE_ACKNOWLEDGE_DAYS", 1)),
            "objection_days": int(get("NOTICE_OBJECTION_DAYS", 1)),
            "extension_notice_days": int(get("NOTICE_EXTENSION_NOTICE_DAYS", 1)),
            "due_days": int(get("NOTICE_DUE_DAYS", 7)), "major_months": int(get("NOTICE_MAJOR_MONTHS", 1)),
            "first_feedback_days": int(get("NOTICE_FIRST_FEEDBACK_DAYS", 3))}


def default_due(start, issue):
    """The due date when the office sets none: 7 working days, one calendar month for a major problem."""
    s = settings()
    if issue is not None and issue.level == "major":
        return start + relativedelta(months=s["major_months"])
    return workdays.add_workdays(start, s["due_days"])


def format_warning(pattern=None):
    """GB/T 9704's 发文字号 has no 第 and no zero padding: a warning (never a refusal) when the format has them."""
    pattern = pattern if pattern is not None else numbering.number_format(NUMBERS.kind)
    problems = []
    if "第" in pattern:
        problems.append("含“第”字")
    if "{seq:0" in pattern.replace(" ", ""):
        problems.append("序号补零")
    if any(b in pattern for b in "[]【】()（）") and "〔" not in pattern:
        problems.append("年份未用六角括号〔〕")
    if not problems:
        return None
    return f"提示：交办通知单编号格式“{pattern}”{'、'.join(problems)}，与GB/T 9704发文字号规范不同（如：示范区企服交〔2026〕12号）。"


# --- who is the actor, relative to this notice --------------------------------------------------

def role_kinds(user, notice):
    """office (Admin/Office/Director), director (the Director role), lead / co (a unit it is addressed to)."""
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if DIRECTOR in roles:
        kinds.add("director")
    if DEPARTMENT in roles and notice.sent_at is not None:
        depts = scope.department_id_set(user)
        kinds |= {r.role for r in notice.recipients if r.department_id in depts}
    return kinds


# --- parameters ---------------------------------------------------------------------------------

def _date(value, field):
    try:
        return clean_date(value)  # within the calendar window (docs/architecture.md#security)
    except InvalidValue as exc:
        raise WorkflowError(422, str(exc), field) from None


def _department(value, field):
    dept = db.session.get(Department, int(value)) if valid_id(value) else None
    if dept is None:
        raise WorkflowError(422, "所选单位不存在。", field)
    return dept


def _attachment(notice, value, field="attachment"):
    att = db.session.get(Attachment, int(value)) if valid_id(value) else None
    if att is None or att.owner_kind != "notice" or att.owner_id != notice.id or att.removed_at is not None:
        raise WorkflowError(422, "请先在本交办通知单上上传文件，再选择该附件。", field)
    if att.id == notice.document_attachment_id:
        raise WorkflowError(422, "不能选择系统生成的交办通知单文书，请上传盖章扫描件或书面回复。", field)
    return att


def _today():
    return clock.today()


def _local_day(stamp):
    return clock.local(stamp).date() if stamp else None


def _next_feedback(cycle, start):
    if cycle == "once":
        return workdays.add_workdays(start, settings()["first_feedback_days"])
    if cycle == "weekly":
        return start + relativedelta(weeks=1)
    if cycle == "monthly":
        return start + relativedelta(months=1)
    return None


# --- checks (a message when refused) -----------------------------------------------------------

def _not_drafter(step):
    if step.user is not None and step.doc.drafted_by_id == step.user.id:
        return "审批人不能是起草人：请由其他办公室主任审批。"
    return None


def _ready(step):
    notice = step.doc
    if notice.lead is None:
        return "请先指定牵头单位。"
    if not any((notice.body or {}).get(k) for k in ("problem", "requirements")):
        return "请先填写正文（反映问题、办理要求）。"
    return None


def _may_object(step):
    notice = step.doc
    if notice.objected_at is not None:
        return "异议只能提出一次，已提出过异议。"
    until = workdays.add_workdays(_local_day(notice.sent_at), settings()["objection_days"])
    if _today() > until:
        return f"异议须在送达后{settings()['objection_days']}个工作日内（{until.isoformat()}前）提出，已超过期限。"
    return None


def _objection_pending(step):
    if step.doc.objected_at is None or step.doc.objection_decided_at is not None:
        return "没有待处理的异议。"
    return None


def _before_due(step):
    if step.doc.due_on is not None and _today() > step.doc.due_on:
        return "情况说明须在办理时限届满前提交，已超过办理时限。"
    return None


def _may_request_extension(step):
    notice = step.doc
    if notice.extension_due is not None:
        return "已有一项延期申请待主任审批。"
    days = settings()["extension_notice_days"]
    if notice.due_on is not None and workdays.add_workdays(_today(), days) > notice.due_on:
        return f"延期申请须在办理时限届满{days}个工作日前提出。"
    return None


def _extension_pending(step):
    return None if step.doc.extension_due is not None else "没有待审批的延期申请。"


# --- handlers (each returns the note for the history) -------------------------------------------

def _approve(step):
    step.set("approved_at", clock.utcnow())
    step.set("approved_by_id", step.user.id if step.user is not None else None)
    step.set("return_reason", None)
    return step.params.get("note")


def _return(step):
    step.set("return_reason", step.params["reason"][:500])
    return step.params["reason"]


def _register(step):
    from . import documents

    notice = step.doc
    year = _today().year
    seq, number = numbering.take(NUMBERS.kind, year)
    step.set("year", year)
    step.set("seq", seq)
    step.set("number", number)
    step.set("registered_at", clock.utcnow())
    if notice.due_on is None:  # the office set none: the default, counted from registration (sent the same day)
        step.set("due_on", default_due(_today(), notice.issue))
    db.session.flush()
    stored = documents.store_document(notice, step.user)
    if stored is not None:
        step.set("document_attachment_id", stored.id)
        step.set("document_sha256", stored.sha256)
    return step.params.get("note") or f"登记编号 {number}"


def _send(step):
    notice, params = step.doc, step.params
    delivery = params["delivery"]
    if delivery not in DELIVERIES:
        raise WorkflowError(422, "送达方式应为：" + labelled(DELIVERIES), "delivery")
    if delivery == "scan":
        if not params.get("attachment"):
            raise WorkflowError(422, "请上传并选择加盖公章的扫描件。", "attachment")
        note = f"盖章扫描件：{_attachment(notice, params['attachment']).filename}"
    else:
        if not params.get("note"):
            raise WorkflowError(422, "线下送达请填写签收说明（签收人、时间）。", "note")
        note = params["note"][:500]
    today = _today()
    step.set("delivery", delivery)
    step.set("delivery_note", note)
    step.set("sent_at", clock.utcnow())
    step.set("acknowledge_due", workdays.add_workdays(today, settings()["acknowledge_days"]))
    if notice.due_on is None:
        step.set("due_on", default_due(today, notice.issue))
    step.set("next_feedback_on", _next_feedback(notice.feedback_cycle, today))
    into_ledger_on_send(step.user, notice)
    return f"{DELIVERIES[delivery]}：{note}"


def _acknowledge(step):
    step.set("acknowledged_at", clock.utcnow())
    into_ledger_on_acknowledge(step.user, step.doc)
    late = step.doc.acknowledge_due and _today() > step.doc.acknowledge_due
    return step.params.get("note") or ("逾期签收" if late else None)


def _object(step):
    step.set("objection_reason", step.params["reason"][:500])
    step.set("objected_at", clock.utcnow())
    return step.params["reason"]


def _dismiss_objection(step):
    step.set("objection_decided_at", clock.utcnow())
    return step.params.get("note") or "办公室维持交办"


def _feedback(step):
    notice = step.doc
    if notice.feedback_cycle != "none":
        step.set("next_feedback_on", None if notice.feedback_cycle == "once"
                 else _next_feedback(notice.feedback_cycle, max(_today(), notice.next_feedback_on or _today())))
    return step.params["note"]


def _explain(step):
    step.set("explanation", step.params["explanation"])
    step.set("explained_at", clock.utcnow())
    return step.params["explanation"]


def _reply(step):
    att = _attachment(step.doc, step.params["attachment"])
    step.set("reply_text", step.params["text"])
    step.set("reply_attachment_id", att.id)
    step.set("replied_at", clock.utcnow())
    return f"{step.params['text']}（附件：{att.filename}）"


def _verify(step):
    step.set("verified_at", clock.utcnow())
    step.set("verified_by_id", step.user.id if step.user is not None else None)
    if _flag(step.params.get("resolve_issue")):
        into_ledger_on_verify(step.user, step.doc)
    return step.params.get("note")


def _reject_reply(step):
    step.set("rework_count", step.doc.rework_count + 1)
    step.set("replied_at", None)
    step.set("reply_attachment_id", None)
    return step.params["reason"]


def _request_extension(step):
    notice, params = step.doc, step.params
    new_due = _date(params["new_due"], "new_due")
    if notice.due_on is not None and new_due <= notice.due_on:
        raise WorkflowError(422, f"延期后的时限应晚于当前办理时限{notice.due_on.isoformat()}。", "new_due")
    step.set("extension_due", new_due)
    step.set("extension_reason", params["reason"][:500])
    return params["reason"]


def _approve_extension(step):
    step.set("due_on", step.doc.extension_due)  # the old due date stays in this event's changes
    step.set("extension_due", None)
    step.set("extension_reason", None)
    return step.params.get("note")


def _reject_extension(step):
    step.set("extension_due", None)
    step.set("extension_reason", None)
    return step.params.get("reason") or step.params.get("note")


def _void(step):
    step.set("voided_reason", step.params["reason"][:500])
    return step.params["reason"]


def _flag(value):
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "是")


RUNNING = NOTICE_RUNNING
ACTIONS = workflow.table(
    action("submit", "提交审批", {"office"}, ("draft",), "submitted", check=_ready),
    action("approve", "批准", {"director"}, ("submitted",), "approved", handler=_approve, check=_not_drafter),
    action("return", "退回修改", {"director"}, ("submitted",), "draft", ("reason",), handler=_return, style="danger"),
    action("register", "登记编号", {"office"}, ("approved",), "registered", handler=_register),
    action("send", "送达", {"office"}, ("registered",), "sent", ("delivery",), handler=_send),
    action("acknowledge", "签收", {"lead"}, ("sent",), "acknowledged", handler=_acknowledge),
    action("object", "提出异议", {"lead"}, RUNNING, None, ("reason",), handler=_object, check=_may_object,
           style="danger"),
    action("dismiss_objection", "维持交办", {"office"}, RUNNING, None, handler=_dismiss_objection,
           check=_objection_pending, style="default"),
    action("feedback", "阶段反馈", {"lead", "co"}, RUNNING, None, ("note",), handler=_feedback),
    action("explain", "报送情况说明", {"lead"}, RUNNING, None, ("explanation",), handler=_explain, check=_before_due),
    action("reply", "书面回复", {"lead"}, ("acknowledged",), "replied", ("text", "attachment"), handler=_reply),
    action("verify", "审结", {"office"}, ("replied",), "verified", handler=_verify),
    action("reject_reply", "退回重办", {"office"}, ("replied",), "acknowledged", ("reason",), handler=_reject_reply,
           style="danger"),
    action("request_extension", "申请延期", {"lead"}, RUNNING, None, ("new_due", "reason"),
           handler=_request_extension, check=_may_request_extension),
    action("approve_extension", "同意延期", {"director"}, RUNNING, None, handler=_approve_extension,
           check=_extension_pending),
    action("reject_extension", "不同意延期", {"director"}, RUNNING, None, handler=_reject_extension,
           check=_extension_pending, style="default"),
    action("void", "作废", {"office"}, NOTICE_BEFORE_SENDING + RUNNING, "void", ("reason",), handler=_void,
           style="danger"),
)
EVENT_LABELS = {name: a.label for name, a in ACTIONS.items()} | {"create": "起草", "edit": "修改草稿"}


def _after(step, act):
    step.doc.updated_at = clock.utcnow()


WORKFLOW = workflow.Workflow(
    kind="notice", model=Notice, label="交办通知单", actions=ACTIONS, role_kinds=role_kinds, event_model=NoticeEvent,
    event_owner="notice", param_labels=PARAM_LABELS, raw_params=("co_departments", "body"), after=_after,
    stale=STALE, notify=handovers.notice,  # every hand-over is a message (app.notifications)
)


def transition(user, notice_id, action_name, params=None, version=None):
    return WORKFLOW.apply(user, notice_id, action_name, params, version)


def load_for(user, notice_id, version=None):
    return WORKFLOW.load(user, notice_id, version)


def allowed_actions(user, notice):
    return WORKFLOW.allowed(user, notice)


def commit():
    WORKFLOW.commit()


def history(user, notice_id):
    notice = load_for(user, notice_id)
    return db.session.scalars(select(NoticeEvent).where(NoticeEvent.notice_id == notice.id)
                              .order_by(NoticeEvent.id)).all()


_ELSEWHERE = {"create_draft": "drafting", "create_from_decision": "drafting", "edit_draft": "drafting",
              "default_body": "drafting", "close_check": "ledger_link", "close_note": "ledger_link",
              "latest_sent_numbers": "ledger_link", "open_notices": "ledger_link"}


def __getattr__(name):
    """Drafting (app.notices.drafting) and the ledger hooks (app.notices.ledger_link) are part of these
    rules: ``from app.notices.rules import create_from_decision`` works (loaded on first use, no cycle)."""
    if name in _ELSEWHERE:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_ELSEWHERE[name]}"), name)
    raise AttributeError(name)


def into_ledger_on_send(user, notice):
    from .ledger_link import on_send

    on_send(user, notice)


def into_ledger_on_acknowledge(user, notice):
    from .ledger_link import on_acknowledge

    on_acknowledge(user, notice)


def into_ledger_on_verify(user, notice):
    from .ledger_link import on_verify

    on_verify(user, notice)


def overdue_state(notice, today=None):
    """What the urging ladder needs: days overdue, the due date, the unit's explanation in time."""
    today = today or _today()
    return {"due_on": notice.due_on, "overdue_days": notice.overdue_days(today),
            "overdue_workdays": (workdays.workdays_between(notice.due_on, today)
                                 if notice.overdue_days(today) else 0),
            "explained": notice.explained_in_time, "explanation": notice.explanation,
            "extension_pending": notice.extension_due is not None}



# --- files on a notice (the stamped scan, the unit's reply, the registered .docx) -------------------

def _file_kinds(user, notice_id):
    notice = db.session.get(Notice, notice_id)
    return (notice, role_kinds(user, notice)) if notice is not None else (None, set())


def _may_attach(user, notice_id):
    notice, kinds = _file_kinds(user, notice_id)
    return notice is not None and notice.status not in NOTICE_FINAL and bool(kinds & {"office", "lead", "co"})


def _may_remove(user, notice_id, att):
    notice, kinds = _file_kinds(user, notice_id)
    if notice is None or att.id in (notice.document_attachment_id, notice.reply_attachment_id):
        return False  # the registered document and the reply on record stay
    if "office" in kinds:
        return True
    return user is not None and att.created_by_id == user.id and notice.status in NOTICE_RUNNING


def _register_owner():
    from flask import url_for

    from ..files.rules import register_owner

    register_owner("notice", label="交办通知单", visible=lambda user, pk: scope.visible(Notice, pk, user),
                   may_attach=_may_attach, may_remove=_may_remove,
                   url=lambda pk: url_for("NoticeView.show", pk=pk))


_register_owner()
