"""The handover list (工作交接清单) on the workflow kit, its generation and the application of a recall.

One list per enterprise of an approved recall, generated from what is open: problems (open statuses),
assignment notices still running, meeting decisions not yet verified, 代办 cases and policy
applications (from their packages, when installed), the enterprise's contact; the outgoing officer
adds promises and contacts and writes a note on every item.

``draft`` → sign_out (the outgoing officer; every item has a note) → ``out_signed`` → sign_in (the
incoming officer) or return (reason, back to draft) → ``in_signed`` → confirm (the office; the
enterprise is told its new officer) → ``confirmed`` → acknowledge (the enterprise) → ``acknowledged``.

:func:`apply_case` is the one transaction of the effective date: old assignments end with the reason,
new ones start (through the master-data write path), open problems followed by the outgoing officer
move to the incoming one (an event on each), open items not on the list are moved too and recorded
against the outgoing officer (:class:`HandoverOmission`); closed items and every history stay as they are.
"""
from datetime import timedelta

from flask import url_for
from sqlalchemy import select

from .. import clock, masterdata, scope, workflow
from ..extensions import db
from ..ledger import rules as ledger
from ..models import Assignment, EnterpriseUser, Issue, Notice, Officer
from ..validation import valid_id
from ..vocab import (
    DECISION_FINAL, ENTERPRISE, HANDOVER_FREE_KINDS, HANDOVER_ITEM_KINDS, HANDOVER_SIGNED, ISSUE_STATUSES,
    MEETING_PUBLISHED, NOTICE_OPEN, NOTICE_STATUSES, OFFICE_ROLES, OFFICER, OPEN_STATUSES, DECISION_STATUSES,
    labelled,
)
from ..workflow import WorkflowError, action
from .models import Handover, HandoverEvent, HandoverItem, HandoverOmission

HandoverError = WorkflowError
PARAM_LABELS = {"item": "交接事项", "note": "交接说明", "kind": "事项类别", "title": "事项内容", "reason": "退回理由",
                "ref": "关联记录编号"}


# --- who is the actor ----------------------------------------------------------------------------

def _officer_id(user):
    officer = scope.officer_of(user) if OFFICER in scope.role_names(user) else None
    return officer.id if officer is not None else None


def role_kinds(user, handover):
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    officer_id = _officer_id(user)
    if officer_id is not None:
        if handover.outgoing_id == officer_id:
            kinds.add("outgoing")
        if handover.incoming_id == officer_id:
            kinds.add("incoming")
    if ENTERPRISE in roles and db.session.scalar(select(EnterpriseUser.id).where(
            EnterpriseUser.user_id == user.id, EnterpriseUser.enterprise_id == handover.enterprise_id)):
        kinds.add("enterprise")
    return kinds


# --- what is open for an enterprise -----------------------------------------------------------------

def _lazy_items(module, enterprise_id, officer_id):
    """Open items of another package (``app.<module>.handover.open_items``, imported late: those
    packages' handover modules read this one's tables)."""
    import importlib

    return list(importlib.import_module(f"app.{module}.handover").open_items([enterprise_id], officer_id))


def open_items(enterprise, officer_id):
    """[dict(kind, id, number, title, status_label, url)] of what is open for the enterprise now."""
    items = []
    issues = db.session.scalars(select(Issue).where(Issue.enterprise_id == enterprise.id,
                                                    Issue.status.in_(OPEN_STATUSES)).order_by(Issue.id)).all()
    for i in issues:
        items.append(dict(kind="issue", id=i.id, number=i.number, title=i.title,
                          status_label=ISSUE_STATUSES.get(i.status, i.status), url=f"/ledger/{i.id}"))
    issue_ids = list(db.session.scalars(select(Issue.id).where(Issue.enterprise_id == enterprise.id)))
    if issue_ids:
        for n in db.session.scalars(select(Notice).where(Notice.issue_id.in_(issue_ids),
                                                         Notice.status.in_(NOTICE_OPEN)).order_by(Notice.id)):
            items.append(dict(kind="notice", id=n.id, number=n.number or "（未编号）", title=n.title,
                              status_label=NOTICE_STATUSES.get(n.status, n.status), url=f"/notices/{n.id}"))
        from ..meetings.models import Meeting, MeetingDecision

        for d in db.session.scalars(select(MeetingDecision).join(Meeting, Meeting.id == MeetingDecision.meeting_id).where(
                MeetingDecision.issue_id.in_(issue_ids), MeetingDecision.status.notin_(DECISION_FINAL),
                Meeting.status.in_(MEETING_PUBLISHED)).order_by(MeetingDecision.id)):
            items.append(dict(kind="decision", id=d.id, number=f"{d.meeting.number}第{d.seq}项", title=d.text[:300],
                              status_label=DECISION_STATUSES.get(d.status, d.status), url=f"/meeting_decisions/{d.id}"))
    for module, kind in (("proxy", "proxy"), ("policies", "policy")):
        for row in _lazy_items(module, enterprise.id, officer_id):
            items.append(dict(kind=kind, id=row.get("id"), number=row.get("number") or row.get("number_or_title") or "",
                              title=row.get("title") or "",
                              status_label=row.get("status_label") or "", url=row.get("url") or ""))
    return items


def _item_row(position, found):
    return HandoverItem(position=position, kind=found["kind"], ref_id=found.get("id"),
                        number=(found.get("number") or "")[:60] or None, title=(found.get("title") or "")[:300] or "—",
                        status_label=(found.get("status_label") or "")[:30] or None,
                        url=(found.get("url") or "")[:300] or None)


def generate(case, user):
    """One list per enterprise of the case (at approval), filled from what is open."""
    made = []
    enterprises = []
    for row in case.scope_rows:
        if row.assignment.enterprise not in enterprises:
            enterprises.append(row.assignment.enterprise)
    for ent in enterprises:
        found = open_items(ent, case.officer_id)
        handover = Handover(case_id=case.id, enterprise_id=ent.id, outgoing_id=case.officer_id,
                            incoming_id=case.replacement_id, status="draft", created_at=clock.utcnow(),
                            updated_at=clock.utcnow())
        if ent.contact or ent.phone:
            found.append(dict(kind="contact", title=f"企业联系人：{ent.contact or ''} {ent.phone or ''}".strip()))
        handover.items = [_item_row(pos, f) for pos, f in enumerate(found, start=1)]
        db.session.add(handover)
        db.session.flush()
        WORKFLOW.record(handover, user, "create", None, note=f"生成交接清单（{len(found)}项）")
        made.append(handover)
    db.session.flush()
    db.session.expire(case, ["handovers"])
    _notify_officers(case, made)
    return made


def _listed(handover):
    return {(i.kind, i.ref_id) for i in handover.items if i.ref_id is not None}


# --- handlers ------------------------------------------------------------------------------------

def _own_item(handover, value):
    item = next((i for i in handover.items if valid_id(value) and i.id == int(value)), None)
    if item is None:
        raise HandoverError(422, "所选事项不属于本交接清单。", "item")
    return item


def _text(value, field, limit, required=False):
    text = str(value).strip() if value not in (None, "") else ""
    if required and not text:
        raise HandoverError(422, f"请填写{PARAM_LABELS[field]}。", field)
    if len(text) > limit:
        raise HandoverError(422, f"{PARAM_LABELS[field]}最长{limit}个字。", field)
    return text or None


def _live(step):
    status = step.doc.case.status
    return None if status == "approved" else f"所属调整{step.doc.case.status_label}，交接清单不能再修改或签字。"


def _note(step):
    item = _own_item(step.doc, step.params["item"])
    before = item.note
    item.note = _text(step.params["note"], "note", 1000, required=True)
    return f"交接说明（{item.kind_label} {item.number or item.title}）：{item.note}" + ("（修改）" if before else "")


def _add_item(step):
    kind = step.params.get("kind") or "promise"
    if kind not in HANDOVER_FREE_KINDS:
        raise HandoverError(422, "只能添加：" + labelled({k: HANDOVER_ITEM_KINDS[k] for k in HANDOVER_FREE_KINDS}), "kind")
    title = _text(step.params["title"], "title", 300, required=True)
    position = max((i.position for i in step.doc.items), default=0) + 1
    step.doc.items.append(HandoverItem(position=position, kind=kind, title=title,
                                       note=_text(step.params.get("note"), "note", 1000)))
    return f"添加{HANDOVER_ITEM_KINDS[kind]}：{title}"


def _remove_item(step):
    item = _own_item(step.doc, step.params["item"])
    if item.kind not in HANDOVER_FREE_KINDS:
        raise HandoverError(422, "系统生成的在办事项不能删除，请写明交接说明。", "item")
    step.doc.items.remove(item)
    return f"删除{item.kind_label}：{item.title}"


def _refresh(step):
    handover = step.doc
    listed = _listed(handover)
    position = max((i.position for i in handover.items), default=0)
    added = []
    for found in open_items(handover.enterprise, handover.outgoing_id):
        if (found["kind"], found.get("id")) not in listed:
            position += 1
            handover.items.append(_item_row(position, found))
            added.append(found.get("number") or found.get("title"))
    return f"更新清单：新增{len(added)}项" + (f"（{'、'.join(added)}）" if added else "")


def _all_noted(step):
    if step.doc.case.status != "approved":
        return _live(step)
    missing = [i.number or i.title for i in step.doc.items if not (i.note or "").strip()]
    if missing:
        return "请先为每一项写明交接说明：" + "、".join(missing[:5]) + ("等" if len(missing) > 5 else "")
    return None


def _sign_out(step):
    step.set("outgoing_signed_at", clock.utcnow())
    _notify([_user_of(step.doc.incoming)], f"交接清单待您签字：{step.doc.enterprise.name}", step.doc,
            f"handover:{step.doc.id}:out:{step.doc.version}")
    return step.params.get("note") or "移交人签字"


def _sign_in(step):
    step.set("incoming_signed_at", clock.utcnow())
    _notify(_office_users(), f"交接清单待确认：{step.doc.enterprise.name}", step.doc,
            f"handover:{step.doc.id}:in:{step.doc.version}")
    return step.params.get("note") or "接收人签字"


def _return(step):
    step.set("outgoing_signed_at", None)
    step.set("return_reason", _text(step.params["reason"], "reason", 500, required=True))
    _notify([_user_of(step.doc.outgoing)], f"交接清单被退回：{step.doc.enterprise.name}", step.doc,
            f"handover:{step.doc.id}:return:{step.doc.version}")
    return step.params["reason"]


def _confirm(step):
    handover = step.doc
    step.set("confirmed_at", clock.utcnow())
    step.set("confirmed_by_id", step.user.id)
    users = db.session.scalars(select(EnterpriseUser.user_id).where(
        EnterpriseUser.enterprise_id == handover.enterprise_id)).all()
    _notify(users, f"您企业的首席服务官将变更为{handover.incoming.name}，请确认", handover,
            f"handover:{handover.id}:letter")
    note = step.params.get("note") or "办公室确认交接"
    return note


def _after_confirm(handover, user):
    """Confirming the last list of a case whose effective date has come applies the case at once."""
    from . import rules

    case = handover.case
    if case.status == "approved" and rules.due_refusal(case) is None:
        rules.WORKFLOW.apply(user, case.id, "apply", {})


def _acknowledge(step):
    step.set("acknowledged_at", clock.utcnow())
    step.set("acknowledged_by_id", step.user.id)
    return step.params.get("note") or "企业已知悉新任服务官"


def _record_omission(step):
    handover = step.doc
    kind = step.params.get("kind") or "issue"
    if kind not in HANDOVER_ITEM_KINDS:
        raise HandoverError(422, "事项类别应为：" + labelled(HANDOVER_ITEM_KINDS), "kind")
    title = _text(step.params["title"], "title", 300, required=True)
    ref = step.params.get("ref")
    handover.omissions.append(HandoverOmission(
        officer_id=handover.outgoing_id, kind=kind, ref_id=int(ref) if valid_id(ref) else None, title=title,
        note=_text(step.params.get("note"), "note", 500), found_at=clock.utcnow(), recorded_by_id=step.user.id))
    return f"登记漏交事项（记入{handover.outgoing.name}）：{HANDOVER_ITEM_KINDS[kind]} {title}"


ACTIONS = workflow.table(
    action("sign_out", "移交人签字", {"outgoing"}, ("draft",), "out_signed", handler=_sign_out, check=_all_noted),
    action("sign_in", "接收人签字", {"incoming"}, ("out_signed",), "in_signed", handler=_sign_in, check=_live),
    action("return", "退回移交人", {"incoming"}, ("out_signed",), "draft", ("reason",), handler=_return, check=_live,
           style="danger"),
    action("confirm", "办公室确认", {"office"}, ("in_signed",), "confirmed", handler=_confirm, check=_live),
    action("acknowledge", "企业确认", {"enterprise"}, ("confirmed",), "acknowledged", handler=_acknowledge),
    action("note", "填写交接说明", {"outgoing"}, ("draft",), None, ("item", "note"), handler=_note, check=_live,
           style="default"),
    action("add_item", "添加承诺事项/联系人", {"outgoing"}, ("draft",), None, ("title",), handler=_add_item,
           check=_live, style="default"),
    action("remove_item", "删除事项", {"outgoing"}, ("draft",), None, ("item",), handler=_remove_item, check=_live,
           style="danger"),
    action("refresh", "按当前在办事项更新清单", {"outgoing", "office"}, ("draft",), None, handler=_refresh,
           check=_live, style="default"),
    action("record_omission", "登记漏交事项", {"office"}, HANDOVER_SIGNED, None, ("title",), handler=_record_omission,
           style="default", internal=True),
)
ROW_ACTIONS = ("note", "remove_item")
EVENT_LABELS = {name: a.label for name, a in ACTIONS.items()} | {"create": "生成清单", "apply": "交接生效"}


def _after(step, act):
    step.doc.updated_at = clock.utcnow()


WORKFLOW = workflow.Workflow(
    kind="handover", model=Handover, label="交接清单", actions=ACTIONS, role_kinds=role_kinds,
    event_model=HandoverEvent, event_owner="handover", param_labels=PARAM_LABELS, after=_after,
)


def transition(user, handover_id, action_name, params=None, version=None):
    handover = WORKFLOW.apply(user, handover_id, action_name, params, version)
    if action_name == "confirm":
        _after_confirm(handover, user)
    return handover


def load_for(user, handover_id, version=None):
    return WORKFLOW.load(user, handover_id, version)


def allowed_actions(user, handover):
    return WORKFLOW.allowed(user, handover)


def sees_notes(user):
    """The outgoing officer's notes are the officers' and the office's, not the enterprise's."""
    return bool(scope.role_names(user) - {ENTERPRISE})


def history(user, handover_id):
    handover = load_for(user, handover_id)
    query = select(HandoverEvent).where(HandoverEvent.handover_id == handover.id)
    if not sees_notes(user):
        query = query.where(HandoverEvent.internal.is_(False), HandoverEvent.action.in_(
            ("confirm", "acknowledge", "apply")))
    return db.session.scalars(query.order_by(HandoverEvent.id)).all()


# --- the effective date ------------------------------------------------------------------------------

def _save(user, item, is_add):
    """The master-data write path; system work (no user: the sweep, the CLI) runs the same rules."""
    if user is not None:
        return masterdata.save(user, item, is_add)
    masterdata.prepare(item, None, is_add)
    errors = masterdata.item_errors(item)
    if errors:
        raise masterdata.RuleError(errors)
    db.session.add(item)
    db.session.flush()
    return []


def apply_case(case, user, today=None):
    """Everything the effective date changes, in the caller's transaction; returns the history note."""
    today = today or clock.today()
    planned, effective = case.effective_on, max(case.effective_on, today)
    late = ""
    if effective != planned:  # the lists were confirmed after the planned date: the change happens now
        case.effective_on = effective
        late = f"（原定{planned.isoformat()}，交接清单确认后于{effective.isoformat()}生效）"
    reason = f"{case.reason_label}（{case.number}）"
    ended = started = moved = omitted = 0
    case.applied_at = clock.utcnow()
    try:
        for row in case.scope_rows:
            old = row.assignment
            if old.is_current:
                old.end_date = max(old.start_date, effective - timedelta(days=1))
                old.end_reason = reason
                _save(user, old, False)
                ended += 1
            new = db.session.scalar(select(Assignment).where(
                Assignment.officer_id == case.replacement_id, Assignment.enterprise_id == old.enterprise_id,
                Assignment.role == old.role, Assignment.is_current).limit(1))
            if new is None:
                new = Assignment(enterprise_id=old.enterprise_id, officer_id=case.replacement_id, role=old.role,
                                 start_date=effective)
                _save(user, new, True)
                started += 1
            row.new_assignment_id = new.id
    except masterdata.RuleError as exc:  # the caller rolls back (the screen, REST, or the sweep's savepoint)
        raise WorkflowError(422, "包联关系调整失败：" + "；".join(exc.errors.values())) from None
    outgoing, incoming = case.officer, case.replacement
    for handover in case.handovers:
        listed = _listed(handover)
        issues = db.session.scalars(select(Issue).where(
            Issue.enterprise_id == handover.enterprise_id, Issue.officer_id == outgoing.id,
            Issue.status.in_(OPEN_STATUSES)).order_by(Issue.id)).all()
        for issue in issues:
            issue.officer_id = incoming.id
            issue.updated_at = clock.utcnow()
            ledger.event(issue, user, "handover", issue.status, changes={"officer_id": [outgoing.id, incoming.id]},
                         note=f"工作交接（{case.number}）：跟踪服务官由{outgoing.name}改为{incoming.name}")
            moved += 1
            if ("issue", issue.id) not in listed:
                handover.omissions.append(HandoverOmission(
                    officer_id=outgoing.id, kind="issue", ref_id=issue.id, title=f"{issue.number} {issue.title}",
                    note="交接生效时在办，未列入交接清单", found_at=clock.utcnow(),
                    recorded_by_id=user.id if user is not None else None))
                omitted += 1
        for item in handover.items:
            if item.kind == "issue" and item.ref_id in {i.id for i in issues}:
                item.moved = True
        proxies = _reassign_elsewhere(handover, outgoing.id, incoming.id, user)
        for item in handover.items:
            if item.kind == "proxy" and proxies:
                item.moved = True
        WORKFLOW.record(handover, user, "apply", handover.status,
                        note=f"{effective.isoformat()}起由{incoming.name}接任")
    db.session.flush()
    return (f"执行调整：结束包联{ended}项，新建包联{started}项，移交在办问题{moved}个"
            + (f"，其中{omitted}个未列入清单（已记为漏交）" if omitted else "") + f"；生效日期{effective.isoformat()}{late}")


def _reassign_elsewhere(handover, old_officer_id, new_officer_id, user):
    """Open 代办 cases move through ``app.proxy.rules.reassign`` (their own history records it); policy
    applications are the enterprise's and stay."""
    items = _lazy_items("proxy", handover.enterprise_id, old_officer_id)
    if not items:
        return 0
    from ..proxy import rules as proxy_rules

    try:
        return len(proxy_rules.reassign([i["id"] for i in items], new_officer_id, user))
    except WorkflowError as exc:
        raise WorkflowError(422, f"代办件移交失败：{exc.message}") from None


# --- messages ------------------------------------------------------------------------------------------

def _user_of(officer):
    return officer.user_id if officer is not None else None


def _office_users():
    from ..models import User
    from ..vocab import OFFICE_STAFF_ROLES

    users = db.session.scalars(select(User).where(User.active.is_(True))).all()
    return [u.id for u in users if scope.role_names(u) & OFFICE_STAFF_ROLES]


def _notify(user_ids, title, handover, key):
    from .. import notifications

    notifications.notify([u for u in user_ids if u], title, f"/handover/{handover.id}", kind="handover", key=key)


def _notify_officers(case, made):
    for handover in made:
        _notify([_user_of(case.officer)], f"请填写交接清单：{handover.enterprise.name}（{case.number}）", handover,
                f"handover:{handover.id}:created")
        _notify([_user_of(case.replacement)], f"您将接任{handover.enterprise.name}的服务工作（{case.number}）", handover,
                f"handover:{handover.id}:incoming")


def url_of(handover):
    return url_for("HandoverView.show", pk=handover.id)


Officer  # noqa: B018  (imported for type references in templates)
