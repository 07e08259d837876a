"""The 代办 case (两不见面, seed 六(七)) on the workflow kit: booking, appointment, power of attorney,
steps with statutory time limits, delivery (docs/proxy.md).

``requested`` (the enterprise books with preferred times, or its officer opens the case) → schedule →
``scheduled`` (time and 上门/线上/窗口) → authorize → ``authorized`` (the enterprise's power of attorney:
items and expiry, confirmed in the portal or a signed scan uploaded by the officer; the materials
checklist complete; missing materials told in one go, 一次性告知) → start → ``in_progress`` (one step per
authorised item at its department: submitted on, 受理号, due by the item's statutory limit, 结果号) →
finish → ``done`` (结果移交单) → confirm_delivery (the enterprise: received, and whether it had to meet a
department or a counterparty) → ``delivered``. Side paths: suspend/resume, terminate (reason from a list),
cancel (before the power of attorney).

Rules enforced here, for every entry point: the officer acts only on items inside the authorisation and
before it expires; an appointment outside working hours needs the case marked 特事特办 with a reason; no
money of any kind is recorded (no fee field; unknown fields such as ``fee`` are refused; texts that speak
of a service fee are refused — 八(六)).
"""
import re
from datetime import datetime, time, timedelta

from flask import current_app, url_for
from sqlalchemy import select

from .. import clock, scope, workdays, workflow
from ..extensions import db
from ..files import rules as files
from ..models import Assignment, DepartmentUser, Enterprise, EnterpriseUser, Officer
from ..validation import InvalidValue, clean_date, text_problem, valid_id
from ..vocab import (
    ENTERPRISE, OFFICE_ROLES, OFFICER, PROXY_ACTIVE, PROXY_MODES, PROXY_OPEN, PROXY_STATUSES, PROXY_STOP_REASONS,
    labelled,
)
from ..workflow import WorkflowError, action, numbering
from .models import ProxyCase, ProxyEvent, ProxyStep, ServiceItem

ProxyError = WorkflowError
NUMBERS = numbering.register("proxy", "代办件编号", "代办〔{year}〕{seq}号", max_length=40)
WORK_HOURS = (time(8, 30), time(17, 30))  # setting CSO_PROXY_WORK_HOURS "08:30-17:30"
FEE_WORDS = re.compile(r"代办费|服务费|手续费|中介费|好处费|辛苦费|酬金|报酬|红包|收费标准")
FEE_MESSAGE = "代办服务一律免费，不得登记任何收费、报酬信息（八（六））。"
PARAM_LABELS = {
    "enterprise": "企业", "title": "代办事由", "description": "情况说明", "items": "代办事项", "contact": "企业经办人",
    "preferred_times": "希望预约时间", "urgent": "特事特办", "urgent_reason": "特事特办理由", "officer": "代办服务官",
    "appointment_at": "预约时间", "mode": "服务方式", "place": "地点", "received": "已收材料", "until": "委托期限",
    "attachment": "委托书扫描件", "item": "代办事项", "step": "办理环节", "submitted_on": "提交日期",
    "acceptance_no": "受理号", "result_no": "结果文号", "done_on": "出结果日期", "met_department": "是否见过部门",
    "met_counterparty": "是否见过相关当事人", "reason": "原因", "note": "说明",
}
CREATE_FIELDS = ("enterprise", "officer", "title", "description", "items", "contact", "preferred_times", "urgent",
                 "urgent_reason")


# --- who is the actor, relative to this case -------------------------------------------------------

def _officer_id(user):
    officer = scope.officer_of(user)
    return officer.id if officer is not None and officer.active else None


def role_kinds(user, case):
    """office (monitors, reassigns), officer (the case's handler), enterprise (its own), department (a step
    addressed to it). Leaders read only."""
    roles = scope.role_names(user)
    kinds = set()
    if user is None:
        return kinds
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if OFFICER in roles and case.officer_id is not None and case.officer_id == _officer_id(user):
        kinds.add("officer")
    if ENTERPRISE in roles and db.session.scalar(select(EnterpriseUser.id).where(
            EnterpriseUser.user_id == user.id, EnterpriseUser.enterprise_id == case.enterprise_id)) is not None:
        kinds.add("enterprise")
    if {s.department_id for s in case.steps} & scope.department_id_set(user):
        kinds.add("department")
    return kinds


def may_book(user):
    return bool(scope.role_names(user) & (OFFICE_ROLES | {OFFICER, ENTERPRISE}))


def may_keep_catalogue(user):
    return bool(scope.role_names(user) & OFFICE_ROLES)


# --- parameters ------------------------------------------------------------------------------------

def label(field):
    return PARAM_LABELS.get(field, field)


def text(value, field, limit=200, required=False, multiline=False):
    if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int, float))):
        raise ProxyError(422, f"{label(field)}格式不正确，应为文本。", field)
    out = str(value).strip() if value not in (None, "") else ""
    if required and not out:
        raise ProxyError(422, f"请填写{label(field)}。", field)
    problem = text_problem(out, limit, multiline=multiline) if out else None
    if problem:
        raise ProxyError(422, f"{label(field)}：{problem}", field)
    if FEE_WORDS.search(out):
        raise ProxyError(422, FEE_MESSAGE, field)
    return out or None


def flag(value, field):
    if isinstance(value, bool):
        return value
    out = str(value if value is not None else "").strip().lower()
    if out in ("1", "true", "yes", "on", "是", "y"):
        return True
    if out in ("", "0", "false", "no", "off", "否", "n"):
        return False
    raise ProxyError(422, f"{label(field)}应为“是”或“否”。", field)


def day(value, field):
    try:
        return clean_date(value)
    except InvalidValue as exc:
        raise ProxyError(422, f"{label(field)}：{exc}", field) from None


def moment(value, field):
    """A local date-time 'YYYY-MM-DD HH:MM' (or ISO with T)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, second=0, microsecond=0)
    raw = str(value or "").strip().replace("T", " ")
    try:
        parsed = datetime.strptime(raw[:16], "%Y-%m-%d %H:%M") if len(raw) >= 16 else None
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2100:
        raise ProxyError(422, f"{label(field)}格式应为YYYY-MM-DD HH:MM（如2026-12-03 09:30）。", field)
    return parsed


def row(model, value, field, message=None):
    found = db.session.get(model, int(value)) if valid_id(value) else None
    if found is None:
        raise ProxyError(422, message or f"所选{label(field)}不存在。", field)
    return found


def id_list(value, field):
    if value in (None, ""):
        return []
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if v in (None, ""):
            continue
        if not valid_id(v):
            raise ProxyError(422, f"{label(field)}应为编号列表。", field)
        if int(v) not in out:
            out.append(int(v))
    return out


def check_fields(data, allowed, what="字段"):
    """Unknown keys are refused (a ``fee`` or ``amount`` never slips in as a silent extra)."""
    unknown = [k for k in data if k not in allowed]
    if unknown:
        extra = "；代办服务不收取任何费用，不能登记金额" if any(
            re.search(r"fee|price|amount|pay|cost|money|charge", str(k), re.I) for k in unknown) else ""
        raise ProxyError(422, f"未知的{what}：{'、'.join(map(str, unknown))}{extra}。", str(unknown[0]))


# --- working hours and statutory limits -----------------------------------------------------------------

def work_hours():
    spec = current_app.config.get("CSO_PROXY_WORK_HOURS")
    if spec:
        try:
            start, end = (datetime.strptime(p.strip(), "%H:%M").time() for p in str(spec).split("-"))
            return start, end
        except ValueError:
            pass
    return WORK_HOURS


def in_working_hours(at):
    start, end = work_hours()
    return workdays.is_workday(at.date()) and start <= at.time() < end


def hours_text():
    start, end = work_hours()
    return f"工作日{start:%H:%M}—{end:%H:%M}"


def due_date(item, submitted_on):
    """The statutory due date of an item submitted on ``submitted_on``: N working days after (the
    district's calendar with holidays and 调休, app/workdays) or N calendar days after."""
    if item.limit_kind == "calendar":
        return submitted_on + timedelta(days=item.time_limit)
    return workdays.add_workdays(submitted_on, item.time_limit)


def is_overdue(step, today=None):
    return step.status == "submitted" and step.due_on is not None and step.due_on < (today or clock.today())


# --- creating a case ----------------------------------------------------------------------------------

def _serving_officers(enterprise_id):
    """Active officers with a current assignment on the enterprise, the chief first."""
    rows = db.session.execute(select(Officer, Assignment.role).join(
        Assignment, Assignment.officer_id == Officer.id).where(
        Assignment.enterprise_id == enterprise_id, Assignment.is_current, Officer.active.is_(True))).all()
    rows.sort(key=lambda r: (r[1] != "chief", r[0].id))
    return [r[0] for r in rows]


def _own_enterprise(user):
    return db.session.scalar(select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id))


def checklist_for(items, old=None):
    """The materials checklist of ``items`` (keeping what was already received)."""
    received = {(m["item"], m["name"]) for m in (old or []) if m.get("received")}
    return [{"item": it.id, "name": name, "received": (it.id, name) in received}
            for it in items for name in it.material_list]


def create_case(user, data):
    """Book (enterprise) or open (officer, office) a case; numbered at once (代办〔2026〕1号)."""
    if not isinstance(data, dict):
        raise ProxyError(400, "请求体应为JSON对象。")
    if not may_book(user):
        raise ProxyError(403, "您的角色不能登记代办件。")
    check_fields(data, CREATE_FIELDS)
    roles = scope.role_names(user)
    if roles & OFFICE_ROLES or OFFICER in roles:
        if data.get("enterprise") in (None, ""):
            raise ProxyError(422, "请选择企业。", "enterprise")
        enterprise = row(Enterprise, data.get("enterprise"), "enterprise")
        if not scope.visible(Enterprise, enterprise.id, user):
            raise ProxyError(422, "所选企业不存在或不在您的服务范围内。", "enterprise")
    else:
        own = _own_enterprise(user)
        if data.get("enterprise") not in (None, "") and str(data.get("enterprise")) != str(own):
            raise ProxyError(422, "企业只能为本企业预约代办。", "enterprise")
        enterprise = db.session.get(Enterprise, own) if own else None
        if enterprise is None:
            raise ProxyError(422, "您的账号未关联企业。", "enterprise")
    serving = _serving_officers(enterprise.id)
    if not (roles & OFFICE_ROLES) and OFFICER in roles and _officer_id(user) in {o.id for o in serving}:
        officer = next(o for o in serving if o.id == _officer_id(user))
    elif data.get("officer") not in (None, "") and roles & OFFICE_ROLES:
        officer = row(Officer, data["officer"], "officer")
        if officer.id not in {o.id for o in serving}:
            raise ProxyError(422, f"{officer.name}不是该企业在岗的首席服务官或具体分包人。", "officer")
    elif serving:
        officer = serving[0]
    else:
        raise ProxyError(422, "该企业目前没有在岗的首席服务官，请先联系办公室安排。", "enterprise")
    title = text(data.get("title"), "title", 200, required=True)
    item_ids = id_list(data.get("items"), "items")
    if not item_ids:
        raise ProxyError(422, "请至少选择一项代办事项。", "items")
    items = [row(ServiceItem, i, "items", "所选代办事项不存在。") for i in item_ids]
    if any(not it.active for it in items):
        raise ProxyError(422, "所选代办事项已停用。", "items")
    urgent = flag(data.get("urgent"), "urgent")
    reason = text(data.get("urgent_reason"), "urgent_reason", 500)
    if urgent and not reason:
        raise ProxyError(422, "特事特办须说明理由。", "urgent_reason")
    now = clock.utcnow()
    year = clock.today().year
    seq, number = numbering.take(NUMBERS.kind, year)
    case = ProxyCase(
        status="requested", year=year, seq=seq, number=number, enterprise_id=enterprise.id, officer_id=officer.id,
        title=title, description=text(data.get("description"), "description", 5000, multiline=True),
        contact=text(data.get("contact"), "contact", 100),
        preferred_times=text(data.get("preferred_times"), "preferred_times", 500),
        urgent=urgent, urgent_reason=reason if urgent else None, items=items, checklist=checklist_for(items),
        created_by_id=user.id, created_at=now, updated_at=now)
    db.session.add(case)
    db.session.flush()
    who = "企业预约" if not roles & (OFFICE_ROLES | {OFFICER}) else "登记"
    WORKFLOW.record(case, user, "create", None, note=f"{who}：{'、'.join(it.name for it in items)}"
                    + (f"；希望时间：{case.preferred_times}" if case.preferred_times else ""))
    if officer.user_id and officer.user_id != user.id:
        notify([officer.user_id], f"代办件 {number} 待预约：{enterprise.name}", case_url(case), key=f"proxy:{case.id}:create")
    return case


# --- notifications ----------------------------------------------------------------------------------

def case_url(case):
    return f"/proxy/{case.id}"


def notify(user_ids, title, url, key=None):
    """app.notifications.notify, the one call when work lands on someone's desk."""
    from .. import notifications

    notifications.notify([u for u in user_ids if u], title, url, kind="proxy", key=key)


def enterprise_users(case):
    return list(db.session.scalars(select(EnterpriseUser.user_id).where(
        EnterpriseUser.enterprise_id == case.enterprise_id)))


def department_users(department_id):
    return list(db.session.scalars(select(DepartmentUser.user_id).where(DepartmentUser.department_id == department_id)))


# --- checks ---------------------------------------------------------------------------------------------

def authorization_problem(case, item_id=None, today=None):
    """Why the officer may not act under the power of attorney now (None when they may)."""
    today = today or clock.today()
    if case.authorized_until is None:
        return "企业尚未出具代办委托书，不能代为办理。"
    if case.authorized_until < today:
        return (f"代办委托已于{case.authorized_until.isoformat()}到期，请企业续签委托书后再办理。")
    if item_id is not None and item_id not in {it.id for it in case.scope_items}:
        item = db.session.get(ServiceItem, item_id)
        return f"“{item.name if item else item_id}”不在企业委托的代办事项范围内。"
    return None


def _step_param(step):
    value = step.params.get("step")
    if value in (None, ""):
        return None
    found = next((s for s in step.doc.steps if str(s.id) == str(value)), None)
    if found is None:
        raise ProxyError(422, "所选办理环节不属于该代办件。", "step")
    return found


def _as_officer(step):
    """The officer's actions are bounded by the authorisation; the office and departments are not."""
    return "officer" in step.kinds and not ({"office", "department"} & step.kinds)


def _check_authorised(step):
    if not _as_officer(step):
        return None
    target = None
    if step.params.get("step") not in (None, ""):
        found = next((s for s in step.doc.steps if str(s.id) == str(step.params["step"])), None)
        target = found.item_id if found else None
    elif step.params.get("item") not in (None, "") and valid_id(step.params["item"]):
        target = int(step.params["item"])
    return authorization_problem(step.doc, target)


def _both(*checks):
    def check(step):
        for c in checks:
            message = c(step)
            if message:
                return message
        return None
    return check


def _has_checklist(step):
    return None if step.doc.checklist else "本代办件没有需要收取的材料。"


def _has_pending(step):
    return None if any(s.status == "pending" for s in step.doc.steps) else "没有待提交的办理环节。"


def _has_submitted(step):
    mine = scope.department_id_set(step.user) if not step.kinds & {"office", "officer"} else None
    if any(s.status == "submitted" and (mine is None or s.department_id in mine) for s in step.doc.steps):
        return None
    return "没有待登记结果的办理环节。"


def _has_unstarted(step):
    have = {s.item_id for s in step.doc.steps}
    if step.params.get("item") not in (None, ""):
        return None
    return None if any(it.id not in have for it in step.doc.scope_items) else "委托事项均已有办理环节。"


def _has_other_officer(step):
    if step.params.get("officer") not in (None, ""):
        return None
    others = [o for o in _serving_officers(step.doc.enterprise_id) if o.id != step.doc.officer_id]
    return None if others else "该企业没有其他在岗的服务官，请先调整包联关系。"


# --- handlers -------------------------------------------------------------------------------------------

def _schedule(step):
    p, case = step.params, step.doc
    at = moment(p["appointment_at"], "appointment_at")
    mode = p.get("mode")
    if mode not in PROXY_MODES:
        raise ProxyError(422, "服务方式应为：" + labelled(PROXY_MODES), "mode")
    if at < clock.now().replace(tzinfo=None, second=0, microsecond=0):
        raise ProxyError(422, "预约时间不能早于当前时间。", "appointment_at")
    urgent = case.urgent or flag(p.get("urgent"), "urgent")
    reason = text(p.get("urgent_reason"), "urgent_reason", 500) or case.urgent_reason
    if urgent and not reason:
        raise ProxyError(422, "特事特办须说明理由。", "urgent_reason")
    if not in_working_hours(at) and not urgent:
        raise ProxyError(422, f"预约时间{at:%Y-%m-%d %H:%M}不在工作时间（{hours_text()}）内；只有标记为特事特办"
                              "并说明理由的代办件才能在工作时间以外预约。", "appointment_at")
    if urgent and not case.urgent:
        step.set("urgent", True)
        step.set("urgent_reason", reason)
    step.set("appointment_at", at)
    step.set("appointment_mode", mode)
    step.set("appointment_place", text(p.get("place"), "place", 200))
    users = enterprise_users(case)
    notify(users, f"代办件 {case.number} 已预约：{at:%Y-%m-%d %H:%M}（{PROXY_MODES[mode]}）", case_url(case),
           key=f"proxy:{case.id}:schedule:{at:%Y%m%d%H%M}")
    out = f"预约{at:%Y-%m-%d %H:%M}，{PROXY_MODES[mode]}"
    out += f"，{case.appointment_place}" if case.appointment_place else ""
    if not in_working_hours(at):
        out += f"（工作时间外，特事特办：{case.urgent_reason}）"
    return out + (f"。{p['note']}" if p.get("note") else "")


def _not_urgent(step):
    return f"本代办件已是特事特办（{step.doc.urgent_reason}）。" if step.doc.urgent else None


def _mark_urgent(step):
    step.set("urgent", True)
    step.set("urgent_reason", text(step.params["reason"], "reason", 500, required=True))
    return f"标记为特事特办：{step.doc.urgent_reason}"


def _receive(step):
    case = step.doc
    raw = step.params.get("received")
    raw = [] if raw in (None, "") else raw if isinstance(raw, list) else [raw]
    if any(isinstance(i, bool) or not str(i).isdigit() or len(str(i)) > 4 for i in raw):
        raise ProxyError(422, "已收材料应为材料清单中的序号列表。", "received")
    wanted = {int(i) for i in raw}
    checklist = [dict(m) for m in (case.checklist or [])]
    if any(i >= len(checklist) for i in wanted):
        raise ProxyError(422, "所选材料不在材料清单中。", "received")
    before = {i for i, m in enumerate(checklist) if m.get("received")}
    for i, m in enumerate(checklist):
        m["received"] = i in wanted
    step.set("checklist", checklist)
    got = [checklist[i]["name"] for i in sorted(wanted - before)]
    lost = [checklist[i]["name"] for i in sorted(before - wanted)]
    parts = ([f"收到：{'、'.join(got)}"] if got else []) + ([f"退回/撤销：{'、'.join(lost)}"] if lost else [])
    missing = len([m for m in checklist if not m["received"]])
    return "；".join(parts or ["材料清单未变"]) + (f"；尚缺{missing}项" if missing else "；材料齐全")


def _has_missing(step):
    return None if step.doc.missing else "材料已齐全，无需一次性告知。"


def _tell_missing(step):
    from . import documents

    case = step.doc
    missing = [m["name"] for m in case.missing]
    step.set("missing_told_at", clock.utcnow())
    step.set("missing_told", missing)
    documents.store(case, "notice", step.user)
    notify(enterprise_users(case), f"代办件 {case.number} 一次性告知：尚需补齐{len(missing)}项材料", case_url(case),
           key=f"proxy:{case.id}:missing:{len(case.events)}")
    return "一次性告知需补齐的材料：" + "、".join(missing)


def _materials_complete(step):
    if step.doc.status == "scheduled" and step.doc.missing:
        return f"材料尚未齐全（缺{len(step.doc.missing)}项），请先一次性告知企业补齐。"
    return None


def _authorize(step):
    p, case = step.params, step.doc
    item_ids = id_list(p.get("items"), "items") or [it.id for it in case.items]
    requested = {it.id for it in case.items}
    if any(i not in requested for i in item_ids):
        raise ProxyError(422, "委托事项须是本代办件申请的事项。", "items")
    until = day(p["until"], "until")
    if until < clock.today():
        raise ProxyError(422, "委托期限不能早于今天。", "until")
    how = "企业在平台确认委托"
    if "enterprise" not in step.kinds:  # the officer records a signed scan uploaded to the case
        att_id = p.get("attachment")
        if att_id in (None, ""):
            raise ProxyError(422, "请先上传企业签章的代办委托书扫描件，并选择该附件。", "attachment")
        try:
            att = files.readable(step.user, att_id) if valid_id(att_id) else None
        except files.FileError:
            att = None
        if att is None or att.owner_kind != "proxy_case" or att.owner_id != case.id:
            raise ProxyError(422, "所选委托书扫描件不是本代办件的附件。", "attachment")
        step.set("authorization_attachment_id", att.id)
        how = f"服务官登记企业签章委托书（{att.filename}）"
    case.scope_items = [db.session.get(ServiceItem, i) for i in item_ids]
    step.changes["scope_items"] = [None, item_ids]
    step.set("authorized_until", until)
    step.set("authorized_at", clock.utcnow())
    step.set("authorized_by_id", step.user.id)
    if case.officer is not None and case.officer.user_id and "enterprise" in step.kinds:
        notify([case.officer.user_id], f"代办件 {case.number} 企业已确认委托", case_url(case),
               key=f"proxy:{case.id}:authorize:{len(case.events)}")
    return f"{how}：{'、'.join(it.name for it in case.scope_items)}；委托期限至{until.isoformat()}"


def _add_steps(case, items):
    seq = max((s.seq for s in case.steps), default=0)
    have = {s.item_id for s in case.steps}
    added = []
    for it in items:
        if it.id in have:
            continue
        seq += 1
        case.steps.append(ProxyStep(seq=seq, item_id=it.id, department_id=it.department_id, status="pending"))
        added.append(it.name)
    return added


def _start(step):
    added = _add_steps(step.doc, step.doc.scope_items)
    return "开始代办：" + "、".join(added) if added else "开始代办"


def _add_step(step):
    item = row(ServiceItem, step.params["item"], "item")
    if item.id in {s.item_id for s in step.doc.steps}:
        raise ProxyError(422, f"“{item.name}”已有办理环节。", "item")
    if item.id not in {it.id for it in step.doc.scope_items}:
        raise ProxyError(409, f"“{item.name}”不在企业委托的代办事项范围内。", "item")
    _add_steps(step.doc, [item])
    return f"增加办理环节：{item.name}（{item.department.name}）"


def _submit_step(step):
    target = _step_param(step)
    if target.status != "pending":
        raise ProxyError(409, f"“{target.item.name}”已提交，受理号{target.acceptance_no}。", "step")
    on = day(step.params["submitted_on"], "submitted_on") if step.params.get("submitted_on") else clock.today()
    if on > clock.today():
        raise ProxyError(422, "提交日期不能晚于今天。", "submitted_on")
    target.submitted_on = on
    target.acceptance_no = text(step.params["acceptance_no"], "acceptance_no", 60, required=True)
    target.due_on = due_date(target.item, on)
    target.status = "submitted"
    target.note = text(step.params.get("note"), "note", 500) or target.note
    step.changes[f"step{target.seq}"] = [None, {"submitted_on": on.isoformat(), "acceptance_no": target.acceptance_no,
                                                "due_on": target.due_on.isoformat()}]
    notify(department_users(target.department_id), f"代办件 {step.doc.number}：{target.item.name} 已提交，"
           f"受理号{target.acceptance_no}，法定时限至{target.due_on.isoformat()}", case_url(step.doc),
           key=f"proxy:step:{target.id}:submit")
    return (f"{target.item.name}：{on.isoformat()}向{target.department.name}提交，受理号{target.acceptance_no}，"
            f"法定时限{target.item.limit_text}，应于{target.due_on.isoformat()}前办结")


def _complete_step(step):
    target = _step_param(step)
    if "department" in step.kinds and not step.kinds & {"office", "officer"} \
            and target.department_id not in scope.department_id_set(step.user):
        raise ProxyError(403, "只能登记本单位办理环节的结果。", "step")
    if target.status != "submitted":
        raise ProxyError(409, f"“{target.item.name}”" + ("尚未提交受理。" if target.status == "pending" else "已出结果。"),
                         "step")
    on = day(step.params["done_on"], "done_on") if step.params.get("done_on") else clock.today()
    if on > clock.today() or on < target.submitted_on:
        raise ProxyError(422, "出结果日期应在提交日期与今天之间。", "done_on")
    target.result_no = text(step.params["result_no"], "result_no", 60, required=True)
    target.done_on = on
    target.status = "done"
    late = (on - target.due_on).days if target.due_on and on > target.due_on else 0
    step.changes[f"step{target.seq}"] = [None, {"done_on": on.isoformat(), "result_no": target.result_no}]
    if step.doc.officer is not None and step.doc.officer.user_id and "officer" not in step.kinds:
        notify([step.doc.officer.user_id], f"代办件 {step.doc.number}：{target.item.name} 已出结果", case_url(step.doc),
               key=f"proxy:step:{target.id}:done")
    return f"{target.item.name}：{on.isoformat()}出结果，文号{target.result_no}" + (f"（超过法定时限{late}天）" if late else "")


def _overdue_step(step):
    value = step.params.get("step")
    if value in (None, ""):
        return None if any(is_overdue(s) and s.issue_id is None for s in step.doc.steps) else "没有超过法定时限的办理环节。"
    found = next((s for s in step.doc.steps if str(s.id) == str(value)), None)
    if found is None:
        return None  # the handler answers 422
    if not is_overdue(found):
        return f"“{found.item.name}”未超过法定时限，不能转为问题。"
    if found.issue_id:
        return f"“{found.item.name}”已转入问题台账（{found.issue.number}）。"
    return None


def _open_issue(step):
    from ..ledger import filing

    target = _step_param(step)
    case = step.doc
    late = (clock.today() - target.due_on).days
    description = (f"代办件{case.number}（{case.title}）的“{target.item.name}”于{target.submitted_on.isoformat()}向"
                   f"{target.department.name}提交，受理号{target.acceptance_no}，法定时限{target.item.limit_text}，"
                   f"应于{target.due_on.isoformat()}前办结，已超期{late}天。")
    if step.params.get("note"):
        description += text(step.params["note"], "note", 1000, multiline=True)
    issue = filing.create_issue(step.user, case.enterprise_id, f"代办事项超期：{target.item.name}", description,
                                source="proxy", category="审批手续")
    target.issue_id = issue.id
    step.changes[f"step{target.seq}"] = [None, {"issue": issue.number}]
    return f"{target.item.name}超过法定时限，转入问题台账：{issue.number}"


def _all_steps_done(step):
    if not step.doc.steps:
        return "尚无办理环节。"
    left = [s.item.name for s in step.doc.steps if s.status != "done"]
    return f"尚有环节未出结果：{'、'.join(left)}。" if left else None


def _finish(step):
    from . import documents

    step.set("done_at", clock.utcnow())
    documents.store(step.doc, "handover", step.user)
    notify(enterprise_users(step.doc), f"代办件 {step.doc.number} 已办结，请确认签收结果", case_url(step.doc),
           key=f"proxy:{step.doc.id}:done")
    return step.params.get("note") or "全部事项已出结果，生成结果移交单。"


def _deliver(step):
    p = step.params
    met_d, met_c = flag(p["met_department"], "met_department"), flag(p["met_counterparty"], "met_counterparty")
    step.set("met_department", met_d)
    step.set("met_counterparty", met_c)
    step.set("delivered_at", clock.utcnow())
    step.set("delivery_note", text(p.get("note"), "note", 500))
    if step.doc.officer is not None and step.doc.officer.user_id:
        notify([step.doc.officer.user_id], f"代办件 {step.doc.number} 企业已签收", case_url(step.doc),
               key=f"proxy:{step.doc.id}:delivered")
    answer = "企业未见部门、未见相关当事人（两不见面）" if not (met_d or met_c) else \
        "企业反映" + "、".join(x for x, y in (("见过办理部门", met_d), ("见过相关当事人", met_c)) if y)
    return f"企业确认签收代办结果；{answer}" + (f"。{step.doc.delivery_note}" if step.doc.delivery_note else "")


def _stop_reason(step):
    reason = step.params["reason"]
    if reason not in PROXY_STOP_REASONS:
        raise ProxyError(422, "原因应为：" + labelled(PROXY_STOP_REASONS), "reason")
    note = text(step.params.get("note"), "note", 500)
    if reason == "other" and not note:
        raise ProxyError(422, "原因为“其他”时请填写说明。", "note")
    step.set("stop_reason", reason)
    step.set("stop_note", note)
    return PROXY_STOP_REASONS[reason] + (f"：{note}" if note else "")


def _suspend(step):
    step.set("resume_status", step.doc.status)
    return "中止代办：" + _stop_reason(step)


def _resume(step):
    back = step.doc.resume_status or "scheduled"
    step.set("status", back)
    step.set("resume_status", None)
    return "恢复代办" + (f"：{step.params['note']}" if step.params.get("note") else "")


def _terminate(step):
    return "终结代办：" + _stop_reason(step)


def _cancel(step):
    return "取消：" + text(step.params["reason"], "reason", 500, required=True)


def _reassign(step):
    officer = row(Officer, step.params["officer"], "officer")
    if officer.id not in {o.id for o in _serving_officers(step.doc.enterprise_id)}:
        raise ProxyError(422, f"{officer.name}不是该企业在岗的首席服务官或具体分包人。", "officer")
    if officer.id == step.doc.officer_id:
        raise ProxyError(422, "新的代办服务官与当前相同。", "officer")
    old = step.doc.officer.name if step.doc.officer else ""
    step.set("officer_id", officer.id)
    if officer.user_id:
        notify([officer.user_id], f"代办件 {step.doc.number} 已改由您代办", case_url(step.doc),
               key=f"proxy:{step.doc.id}:reassign:{officer.id}")
    return f"代办服务官：{old} → {officer.name}" + (f"。{step.params['note']}" if step.params.get("note") else "")


# --- the action table (buttons follow this order) ------------------------------------------------------

BEFORE_WORK = ("requested", "scheduled")
RUNNING = ("scheduled", "authorized", "in_progress")
ACTIONS = workflow.table(
    action("schedule", "确定预约", {"officer"}, BEFORE_WORK, "scheduled", ("appointment_at", "mode"),
           handler=_schedule),
    action("receive", "登记收到材料", {"officer"}, RUNNING, None, handler=_receive, check=_has_checklist,
           style="default"),
    action("tell_missing", "一次性告知缺件", {"officer"}, RUNNING, None, handler=_tell_missing, check=_has_missing,
           style="default"),
    action("authorize", "确认委托", {"enterprise", "officer"}, ("scheduled",), "authorized", ("until",),
           handler=_authorize, check=_materials_complete),
    action("renew", "续签委托", {"enterprise", "officer"}, PROXY_ACTIVE, None, ("until",), handler=_authorize,
           style="default"),
    action("start", "开始代办", {"officer"}, ("authorized",), "in_progress", handler=_start, check=_check_authorised),
    action("add_step", "增加办理环节", {"officer"}, PROXY_ACTIVE, None, ("item",), handler=_add_step,
           check=_both(_check_authorised, _has_unstarted), style="default"),
    action("submit_step", "登记提交受理", {"officer"}, ("in_progress",), None, ("step", "acceptance_no"),
           handler=_submit_step, check=_both(_check_authorised, _has_pending)),
    action("complete_step", "登记办理结果", {"officer", "department"}, ("in_progress",), None, ("step", "result_no"),
           handler=_complete_step, check=_both(_check_authorised, _has_submitted)),
    action("open_issue", "超期转问题台账", {"officer", "office"}, ("in_progress",), None, ("step",),
           handler=_open_issue, check=_overdue_step, style="default"),
    action("finish", "办结", {"officer"}, ("in_progress",), "done", handler=_finish, check=_all_steps_done),
    action("confirm_delivery", "确认签收", {"enterprise"}, ("done",), "delivered", ("met_department", "met_counterparty"),
           handler=_deliver),
    action("mark_urgent", "标记特事特办", {"officer", "office"}, RUNNING + ("requested",), None, ("reason",),
           handler=_mark_urgent, check=_not_urgent, style="default"),
    action("suspend", "中止", {"officer", "office"}, RUNNING, "suspended", ("reason",), handler=_suspend, style="danger"),
    action("resume", "恢复办理", {"officer", "office"}, ("suspended",), None, handler=_resume, style="default"),
    action("terminate", "终结", {"officer", "office"}, RUNNING + ("suspended",), "terminated", ("reason",),
           handler=_terminate, style="danger"),
    action("cancel", "取消", {"enterprise", "officer", "office"}, BEFORE_WORK, "cancelled", ("reason",),
           handler=_cancel, style="danger"),
    action("reassign", "改派服务官", {"office"}, PROXY_OPEN, None, ("officer",), handler=_reassign,
           check=_has_other_officer, style="default"),
)
ACTION_FIELDS = {  # the parameters each action takes; anything else is refused (422)
    "schedule": ("appointment_at", "mode", "place", "urgent", "urgent_reason"), "receive": ("received",),
    "tell_missing": (), "authorize": ("items", "until", "attachment"), "renew": ("items", "until", "attachment"),
    "start": (), "add_step": ("item",), "submit_step": ("step", "submitted_on", "acceptance_no"),
    "complete_step": ("step", "done_on", "result_no"), "open_issue": ("step",), "finish": (),
    "confirm_delivery": ("met_department", "met_counterparty"), "mark_urgent": ("reason",),
    "suspend": ("reason",), "resume": (), "terminate": ("reason",), "cancel": ("reason",), "reassign": ("officer",),
}
DONE_MESSAGES = {  # what the screen says after an action, where "已<label>" would not say what happened
    "finish": f"{PROXY_STATUSES['done']}，已生成结果移交单；企业确认签收后为“{PROXY_STATUSES['delivered']}”。",
    "confirm_delivery": f"已确认签收，代办结果{PROXY_STATUSES['delivered']}。",
}
EVENT_LABELS = {name: a.label for name, a in ACTIONS.items()} | {
    "create": "预约登记", "step_overdue": "环节超期提醒", "handover": "移交改派"}


def _after(step, act):
    step.doc.updated_at = clock.utcnow()  # every action bumps the version: a stale form is a 409


WORKFLOW = workflow.Workflow(
    kind="proxy_case", model=ProxyCase, label="代办件", actions=ACTIONS, role_kinds=role_kinds, event_model=ProxyEvent,
    event_owner="case", param_labels=PARAM_LABELS, after=_after,
    raw_params=("items", "received", "urgent", "met_department", "met_counterparty"),
)


def transition(user, case_id, action_name, params=None, version=None):
    """The one path for screens, REST and the demo: unknown parameters are refused first."""
    params = dict(params or {})
    if isinstance(action_name, str) and action_name in ACTION_FIELDS:
        check_fields(params, ACTION_FIELDS[action_name] + ("note",), "参数")
    return WORKFLOW.apply(user, case_id, action_name, params, version)


def load_for(user, case_id, version=None):
    return WORKFLOW.load(user, case_id, version)


def allowed_actions(user, case):
    return WORKFLOW.allowed(user, case)


def sees_internal(user):
    return bool(scope.role_names(user) - {ENTERPRISE})


def history(user, case_id):
    case = load_for(user, case_id)
    query = select(ProxyEvent).where(ProxyEvent.case_id == case.id)
    if not sees_internal(user):
        query = query.where(ProxyEvent.internal.is_(False))
    return db.session.scalars(query.order_by(ProxyEvent.id)).all()


def commit():
    WORKFLOW.commit()


# --- for other parts: the recall helper's handover --------------------------------------------------------

def reassign(case_ids, new_officer_id, user):
    """Move open cases to ``new_officer_id`` (the handover at a recall's effective date). Closed cases and
    their history stay untouched. The new officer must be active and serve each case's enterprise (call
    after the new assignments are flushed). Records a ``handover`` event per case; the caller commits.
    Returns the cases moved."""
    officer = db.session.get(Officer, int(new_officer_id)) if valid_id(new_officer_id) else None
    if officer is None or not officer.active:
        raise ProxyError(422, "接任的服务官不存在或已停用。", "officer")
    moved = []
    for case in db.session.scalars(select(ProxyCase).where(ProxyCase.id.in_([int(i) for i in case_ids]))
                                   .order_by(ProxyCase.id)).all():
        if case.status not in PROXY_OPEN or case.officer_id == officer.id:
            continue
        if officer.id not in {o.id for o in _serving_officers(case.enterprise_id)}:
            raise ProxyError(422, f"{officer.name}不是{case.enterprise.name}在岗的服务官，代办件{case.number}不能移交。",
                             "officer")
        old = case.officer.name if case.officer else ""
        changes = {"officer_id": [case.officer_id, officer.id]}
        case.officer_id = officer.id
        case.updated_at = clock.utcnow()
        WORKFLOW.record(case, user, "handover", case.status, note=f"服务官调整移交：{old} → {officer.name}",
                        changes=changes)
        moved.append(case)
        if officer.user_id:
            notify([officer.user_id], f"代办件 {case.number} 已移交由您代办", case_url(case),
                   key=f"proxy:{case.id}:handover:{officer.id}")
    db.session.flush()
    return moved


def _may_attach(user, case_id):
    case = db.session.get(ProxyCase, case_id)
    return case is not None and bool(role_kinds(user, case) & {"office", "officer", "enterprise"})


files.register_owner(
    "proxy_case", label="代办件", visible=lambda user, pk: scope.visible(ProxyCase, pk, user),
    may_attach=_may_attach, url=lambda pk: url_for("ProxyView.show", pk=pk))
