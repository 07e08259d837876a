"""Who has work on their desk after each workflow action (issue 9 item 1): the ``notify`` hooks the
document types pass to ``workflow.Workflow`` (the engine calls them after a successful apply, leaves
the actor out and keys each message by the event, so a retry sends nothing twice).

Each hook returns ``[(user_ids, title, url[, {"body": …}]), …]``. Titles name the document's number
(问题编号, 文号) so the mail does too."""
from sqlalchemy import select

from .. import db


# --- who ----------------------------------------------------------------------------------------

def office_ids():
    """The people who work the office's queue (办公室, 办公室主任)."""
    from ..reminders import users_with_role
    from ..vocab import OFFICE_STAFF_ROLES

    return [u.id for u in users_with_role(*OFFICE_STAFF_ROLES)]


def director_ids():
    from ..reminders import users_with_role
    from ..vocab import DIRECTOR

    return [u.id for u in users_with_role(DIRECTOR)]


def unit_ids(*department_ids):
    """The logins of these units (牵头 or 配合)."""
    from ..reminders import department_users

    return [u.id for d in department_ids if d for u in department_users(d)]


def enterprise_ids(enterprise_id):
    from ..models import EnterpriseUser

    return list(db.session.scalars(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == enterprise_id)))


def officer_ids(enterprise_id):
    """The officers currently serving this enterprise (its 首席服务官 and 具体分包人 with a login)."""
    from ..models import Assignment, Officer

    return list(db.session.scalars(select(Officer.user_id).join(Assignment, Assignment.officer_id == Officer.id).where(
        Assignment.enterprise_id == enterprise_id, Assignment.is_current, Officer.user_id.is_not(None))))


# --- the problem ledger ---------------------------------------------------------------------------

def issue_filed(issue):
    """A problem was filed: the office accepts it; the officers hear of one filed through 直通车."""
    from . import notify

    url = f"/ledger/{issue.id}"
    head = f"问题 {issue.number}"
    enterprise = issue.enterprise.name if issue.enterprise else ""
    notify([u for u in office_ids() if u != issue.created_by_id], f"{head} 待受理：{enterprise} {issue.title}", url,
           kind="issue", key=f"issue:{issue.id}:filed")
    if issue.source == "direct":
        notify([u for u in officer_ids(issue.enterprise_id) if u != issue.created_by_id],
               f"{head} 您服务的企业{enterprise}通过直通车反映问题：{issue.title}", url, kind="issue",
               key=f"issue:{issue.id}:direct")


def issue(step, action):
    doc, name = step.doc, action.name
    url = f"/ledger/{doc.id}"
    head = f"问题 {doc.number}"
    what = f"{doc.enterprise.name if doc.enterprise else ''} {doc.title}".strip()
    if name == "assign":
        due = f"，办结时限{doc.resolve_due:%Y-%m-%d}" if doc.resolve_due else ""
        return [(unit_ids(doc.lead_department_id), f"{head} 已转办贵单位（牵头），请签收办理{due}：{what}", url),
                (unit_ids(*[d.id for d in doc.co_departments]), f"{head} 已转办贵单位（配合），请配合办理：{what}", url)]
    if name == "resolve":
        return [(enterprise_ids(doc.enterprise_id), f"{head} 已办结，请确认办理结果（满意度评价另行发送）：{doc.title}", url)]
    if name == "confirm":
        if doc.status == "resolved":  # satisfied: the office closes it out
            return [(office_ids(), f"{head} 已确认办理结果，待销号：{what}", url)]
        return [(unit_ids(doc.lead_department_id), f"{head} 企业不满意，请重新办理：{what}", url)] \
            if doc.lead_department_id else [(office_ids(), f"{head} 企业不满意，请重新研究：{what}", url)]
    if name == "return":
        return [(office_ids(), f"{head} 被退回办公室，请重新转办：{what}", url, {"body": step.params.get("reason") or ""})]
    if name == "request_extension":
        return [(office_ids(), f"{head} 申请延期至{doc.pending_due:%Y-%m-%d}，请审批：{what}", url,
                 {"body": step.params.get("reason") or ""})]
    if name == "declare_unable":
        return [(office_ids(), f"{head} 申请无法解决，请研判：{what}", url, {"body": step.params.get("reason") or ""})]
    if name in ("approve_extension", "reject_extension"):
        verdict = f"同意延期，办结时限{doc.resolve_due:%Y-%m-%d}" if name == "approve_extension" else "不同意延期"
        return [(unit_ids(doc.lead_department_id), f"{head} {verdict}：{what}", url)]
    if name == "escalate" and "office" not in step.kinds:
        return [(office_ids(), f"{head} 首席服务官提请会商：{what}", url)]
    return []


# --- 交办通知单 ---------------------------------------------------------------------------------------

def notice(step, action):
    doc, name = step.doc, action.name
    url = f"/notices/{doc.id}"
    head = f"交办通知单 {doc.number or doc.title}"
    if name == "send":
        lead = [r.department_id for r in doc.recipients if r.role == "lead"]
        co = [r.department_id for r in doc.recipients if r.role != "lead"]
        due = f"，办理时限{doc.due_on:%Y-%m-%d}" if doc.due_on else ""
        return [(unit_ids(*lead), f"{head} 已送达贵单位（牵头），请签收办理{due}", url),
                (unit_ids(*co), f"{head} 已送达贵单位（配合），请配合办理{due}", url)]
    if name == "submit":
        return [(director_ids(), f"{head} 待审批", url)]
    if name in ("approve", "return"):
        return [([doc.drafted_by_id], f"{head} {'已批准，请登记编号' if name == 'approve' else '被退回修改'}", url)]
    if name in ("object", "reply", "request_extension", "explain"):
        label = {"object": "提出异议", "reply": "已书面回复，请审结", "request_extension": "申请延期，请审批",
                 "explain": "报送情况说明"}[name]
        who = office_ids() + (director_ids() if name == "request_extension" else [])
        return [(who, f"{head} 承办单位{label}", url)]
    if name in ("reject_reply", "approve_extension", "reject_extension", "dismiss_objection"):
        lead = [r.department_id for r in doc.recipients if r.role == "lead"]
        label = {"reject_reply": "答复被退回重办", "approve_extension": "同意延期", "reject_extension": "不同意延期",
                 "dismiss_objection": "维持交办，请继续办理"}[name]
        return [(unit_ids(*lead), f"{head} {label}", url)]
    return []


# --- 会商 -----------------------------------------------------------------------------------------

def meeting_participant_ids(meeting):
    ids = []
    for p in meeting.participants:
        if p.department_id:
            ids += unit_ids(p.department_id)
        if p.officer is not None and p.officer.user_id:
            ids.append(p.officer.user_id)
        if p.enterprise_id:
            ids += enterprise_ids(p.enterprise_id)
    return ids


def meeting(step, action):
    doc, name = step.doc, action.name
    url = f"/meetings/{doc.id}"
    if name == "notify":
        when = f"{doc.planned_at:%Y-%m-%d %H:%M}" if doc.planned_at else ""
        place = f"，{doc.place}" if doc.place else ""
        return [(meeting_participant_ids(doc) + [doc.convener_id], f"会议通知：{doc.title}（{when}{place}）", url)]
    if name == "cancel":
        return [(meeting_participant_ids(doc), f"会议取消：{doc.title}", url)]
    if name == "submit_minutes":
        return [([doc.convener_id], f"会议纪要待审签：{doc.title}", url)]
    if name == "publish":
        out = []
        for d in doc.decisions:
            label = f"{doc.number or doc.title} 第{d.seq}项"
            out.append((unit_ids(d.lead_department_id), f"会商议定事项 {label} 交贵单位牵头办理，时限{d.due_on:%Y-%m-%d}",
                        f"/meeting_decisions/{d.id}"))
            out.append((unit_ids(*[c.id for c in d.co_departments]),
                        f"会商议定事项 {label} 请贵单位配合办理，时限{d.due_on:%Y-%m-%d}", f"/meeting_decisions/{d.id}"))
        return out
    return []


def decision(step, action):
    doc, name = step.doc, action.name
    if name == "report":
        return [(office_ids(), f"会商议定事项 {doc} 已报告办理情况，请核销", f"/meeting_decisions/{doc.id}")]
    return []
