"""The recall case (召回调整) on the workflow kit (seed 七(三); docs/recall.md).

``draft`` → submit → ``submitted`` → approve (the director, or a leader — the office's setting; the
组织部 consultation must be recorded first: date, opinion and the file) → ``approved`` (one handover
list per enterprise is generated) → apply → ``applied`` (on or after the effective date, once every
handover list is signed both ways and confirmed by the office; the sweep / ``flask cso recall-apply``
does it, and the office's confirmation of the last list does it at once when the date has come).
``return`` (reason) sends a submitted case back to draft; ``cancel`` (reason) ends a case not yet applied.
While draft or submitted the office edits the case, adds evidence and records the consultation.
"""
from datetime import date

from flask import url_for
from sqlalchemy import select

from .. import clock, scope, workflow
from ..extensions import db
from ..files import rules as files
from ..models import Assignment, Attachment, Officer
from ..validation import valid_id
from ..vocab import (
    DIRECTOR, HANDOVER_SIGNED, LEADER, OFFICE_ROLES, RECALL_EVIDENCE_KINDS, RECALL_OPEN, RECALL_REASONS, labelled,
)
from ..workflow import WorkflowError, action, numbering
from . import settings
from .models import RecallAssignment, RecallCase, RecallEvent, RecallEvidence, RecallRequest

RecallError = WorkflowError
NUMBERS = numbering.register("recall", "调整编号", "示范区企服调〔{year}〕{seq}号", max_length=40)
EDITABLE = ("draft", "submitted")
PARAM_LABELS = {
    "officer": "被调整的服务官", "replacement": "接任服务官", "reason": "调整原因", "reason_text": "情况说明",
    "assignments": "调整的包联关系", "effective_on": "生效日期", "kind": "依据类别", "text": "依据内容",
    "evidence": "依据", "consulted_on": "征求意见日期", "opinion": "组织部意见", "file": "征求意见函件",
    "note": "说明", "url": "链接", "ref": "关联记录", "request": "企业申请",
}


# --- who is the actor ----------------------------------------------------------------------------

def role_kinds(user, case=None):
    """office (prepares, applies), approver (the director, or a leader when the office set so)."""
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    approver = settings.get().approver
    if (approver == "director" and DIRECTOR in roles) or (approver == "leader" and LEADER in roles):
        kinds.add("approver")
    return kinds


def may_prepare(user):
    return bool(scope.role_names(user) & OFFICE_ROLES)


# --- parameters ----------------------------------------------------------------------------------

def _text(value, field, limit=None, required=False):
    text = str(value).strip() if value not in (None, "") else ""
    if required and not text:
        raise RecallError(422, f"请填写{PARAM_LABELS.get(field, field)}。", field)
    if limit and len(text) > limit:
        raise RecallError(422, f"{PARAM_LABELS.get(field, field)}最长{limit}个字。", field)
    return text or None


def day(value, field):
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise RecallError(422, f"{PARAM_LABELS.get(field, field)}格式应为YYYY-MM-DD。", field) from None
    if not 2000 <= parsed.year <= 2100:
        raise RecallError(422, f"{PARAM_LABELS.get(field, field)}超出范围。", field)
    return parsed


def _officer(value, field):
    officer = db.session.get(Officer, int(value)) if valid_id(value) else None
    if officer is None:
        raise RecallError(422, f"所选{PARAM_LABELS[field]}不存在。", field)
    return officer


def _reason(value):
    if value not in RECALL_REASONS:
        raise RecallError(422, "调整原因应为：" + labelled(RECALL_REASONS), "reason")
    return value


def current_assignments(officer_id):
    return db.session.scalars(select(Assignment).where(
        Assignment.officer_id == officer_id, Assignment.is_current).order_by(Assignment.enterprise_id,
                                                                             Assignment.role)).all()


def _scope(officer, value):
    """The assignments a case ends: all current ones of the officer (no value) or the given ids."""
    current = current_assignments(officer.id)
    if value in (None, "", []):
        return current, True
    values = value if isinstance(value, list) else [value]
    by_id = {a.id: a for a in current}
    chosen = []
    for v in values:
        if not valid_id(v) or int(v) not in by_id:
            raise RecallError(422, "所选包联关系不是该服务官在岗的包联关系。", "assignments")
        if by_id[int(v)] not in chosen:
            chosen.append(by_id[int(v)])
    return chosen, len(chosen) == len(current)


def open_case_of(officer_id, exclude=None):
    query = select(RecallCase.id).where(RecallCase.officer_id == officer_id, RecallCase.status.in_(RECALL_OPEN))
    if exclude is not None:
        query = query.where(RecallCase.id != exclude)
    return db.session.scalar(query.limit(1))


def _set_scope(case, assignments, all_assignments):
    case.all_assignments = all_assignments
    case.scope_rows = [RecallAssignment(assignment_id=a.id) for a in assignments]


def _replacement_errors(case):
    """Why the replacement cannot take over the case's assignments (None when they can)."""
    if case.replacement_id is None:
        return "请选择接任服务官。"
    if case.replacement_id == case.officer_id:
        return "接任服务官不能是被调整的服务官本人。"
    if not case.replacement.active:
        return "接任服务官已停用。"
    for row in case.scope_rows:
        a = row.assignment
        if db.session.scalar(select(Assignment.id).where(
                Assignment.officer_id == case.replacement_id, Assignment.enterprise_id == a.enterprise_id,
                Assignment.role == a.role, Assignment.is_current).limit(1)):
            return f"接任服务官已以相同角色包联{a.enterprise.name}。"
    return None


# --- creating ------------------------------------------------------------------------------------

def create_case(user, officer, reason, replacement=None, effective_on=None, reason_text=None, assignments=None,
                request=None, evidence=()):
    """A draft case (numbered now: gapless, 示范区企服调〔2026〕1号). The caller commits."""
    if not may_prepare(user):
        raise RecallError(403, "只有首席服务官办公室可以发起服务官调整。")
    reason_text = WORKFLOW.text(reason_text, "reason_text")
    officer = _officer(officer, "officer")
    if open_case_of(officer.id):
        raise RecallError(409, f"{officer.name}已有进行中的调整，请在原调整中办理。", "officer")
    chosen, whole = _scope(officer, assignments)
    if not chosen:
        raise RecallError(422, f"{officer.name}当前没有在岗的包联关系。", "assignments")
    req = None
    if request not in (None, ""):
        req = db.session.get(RecallRequest, int(request)) if valid_id(request) else None
        if req is None or req.status != "open" or req.officer_id != officer.id:
            raise RecallError(422, "所选企业申请不存在、已处理或不是针对该服务官。", "request")
    now = clock.utcnow()
    year = clock.local(now).year
    seq, number = numbering.take(NUMBERS.kind, year)
    case = RecallCase(
        status="draft", year=year, seq=seq, number=number, officer_id=officer.id, reason=_reason(reason),
        reason_text=_text(reason_text, "reason_text", 2000), created_by_id=user.id if user else None,
        created_at=now, updated_at=now)
    case.officer = officer
    if replacement not in (None, ""):
        case.replacement = _officer(replacement, "replacement")
    if effective_on not in (None, ""):
        case.effective_on = _effective(effective_on)
    _set_scope(case, chosen, whole)
    db.session.add(case)
    db.session.flush()
    if req is not None:
        req.status, req.case_id, req.answered_at = "taken", case.id, now
        case.evidence.append(RecallEvidence(kind="request", ref_id=req.id, text=f"{req.enterprise.name}申请更换服务官：{req.reason}"[:500]))
    for kind, text in evidence or ():  # e.g. the triggers that suggested the recall (app.recall.triggers)
        if kind in RECALL_EVIDENCE_KINDS and text:
            case.evidence.append(RecallEvidence(kind=kind, text=str(text)[:500]))
    WORKFLOW.record(case, user, "create", None, note=f"发起调整：{officer.name}（{case.reason_label}）")
    db.session.flush()
    return case


def _effective(value):
    parsed = day(value, "effective_on")
    if parsed < clock.today():
        raise RecallError(422, "生效日期不能早于今天。", "effective_on")
    return parsed


# --- handlers --------------------------------------------------------------------------------------

FIELD_LABELS = {"reason": "调整原因", "reason_text": "情况说明", "replacement_id": "接任服务官",
                "effective_on": "生效日期", "assignments": "调整范围"}


def _edit(step):
    case, params = step.doc, step.params
    if params.get("reason") not in (None, ""):
        step.set("reason", _reason(params["reason"]))
    if "reason_text" in params:
        step.set("reason_text", _text(params.get("reason_text"), "reason_text", 2000))
    if params.get("replacement") not in (None, ""):
        step.set("replacement_id", _officer(params["replacement"], "replacement").id)
    if params.get("effective_on") not in (None, ""):
        step.set("effective_on", _effective(params["effective_on"]))
    if "assignments" in params:
        chosen, whole = _scope(case.officer, params.get("assignments"))
        if not chosen:
            raise RecallError(422, "请至少选择一项包联关系。", "assignments")
        before = sorted(r.assignment_id for r in case.scope_rows)
        if before != sorted(a.id for a in chosen):
            _set_scope(case, chosen, whole)
            step.changes["assignments"] = [before, sorted(a.id for a in chosen)]
    if not step.changes:
        raise RecallError(422, "没有修改任何内容。", "reason")
    db.session.flush()
    if "replacement_id" in step.changes:
        db.session.refresh(case, ["replacement"])
    return "修改：" + "、".join(FIELD_LABELS[k] for k in step.changes if k in FIELD_LABELS)


def _add_evidence(step):
    kind = step.params.get("kind") or "other"
    if kind not in RECALL_EVIDENCE_KINDS:
        raise RecallError(422, "依据类别应为：" + labelled(RECALL_EVIDENCE_KINDS), "kind")
    text = _text(step.params["text"], "text", 500, required=True)
    url = _text(step.params.get("url"), "url", 300)
    if url and not url.startswith("/"):
        raise RecallError(422, "链接应为本平台内的地址（以 / 开头）。", "url")
    ref = step.params.get("ref")
    step.doc.evidence.append(RecallEvidence(kind=kind, text=text, url=url,
                                            ref_id=int(ref) if valid_id(ref) else None))
    return f"添加依据（{RECALL_EVIDENCE_KINDS[kind]}）：{text}"


def _remove_evidence(step):
    ev = next((e for e in step.doc.evidence if valid_id(step.params["evidence"]) and e.id == int(step.params["evidence"])), None)
    if ev is None:
        raise RecallError(422, "所选依据不属于本调整。", "evidence")
    step.doc.evidence.remove(ev)
    return f"删除依据：{ev.text}"


def _consult(step):
    case, params = step.doc, step.params
    consulted = day(params["consulted_on"], "consulted_on")
    if consulted > clock.today():
        raise RecallError(422, "征求意见日期不能晚于今天。", "consulted_on")
    opinion = _text(params["opinion"], "opinion", 2000, required=True)
    att = db.session.get(Attachment, int(params["file"])) if valid_id(params["file"]) else None
    if att is None or att.owner_kind != "recall" or att.owner_id != case.id or att.removed_at is not None:
        raise RecallError(422, "请先在本调整的附件中上传组织部意见函件，再选择该文件。", "file")
    step.set("consulted_on", consulted)
    step.set("consultation_opinion", opinion)
    step.set("consultation_file_id", att.id)
    return f"登记征求组织部意见（{consulted.isoformat()}）：{opinion}"


def _ready(step):
    case = step.doc
    if not case.scope_rows:
        return "请先选择调整的包联关系。"
    if case.effective_on is None:
        return "请先填写生效日期。"
    return _replacement_errors(case)


def consultation_missing(case):
    missing = [label for value, label in ((case.consulted_on, "日期"), (case.consultation_opinion, "意见"),
                                          (case.consultation_file_id, "函件")) if not value]
    return f"尚未登记征求组织部意见（缺{'、'.join(missing)}），不能批准。" if missing else None


def _may_approve(step):
    return consultation_missing(step.doc) or _ready(step)


def _approve(step):
    from . import handover

    if step.doc.effective_on < clock.today():
        raise RecallError(422, "生效日期已过，请先修改生效日期。", "effective_on")
    step.set("approved_by_id", step.user.id)
    step.set("approved_at", clock.utcnow())
    made = handover.generate(step.doc, step.user)
    return (step.params.get("note") or "批准调整") + f"；生成交接清单{len(made)}份"


def _return(step):
    return step.params["reason"]


def _cancel(step):
    step.set("cancel_reason", _text(step.params["reason"], "reason", 500))
    return step.params["reason"]


def due_refusal(case, today=None):
    """Why an approved case cannot be applied yet (None when it can)."""
    today = today or clock.today()
    if case.effective_on is None or case.effective_on > today:
        return f"生效日期（{case.effective_on}）未到，不能执行。"
    waiting = [h.enterprise.name for h in case.handovers if h.status not in HANDOVER_SIGNED]
    if waiting:
        return "以下企业的交接清单尚未双方签字并经办公室确认：" + "、".join(waiting)
    return None


def _may_apply(step):
    return due_refusal(step.doc)


def _apply(step):
    from . import handover

    return handover.apply_case(step.doc, step.user)


ACTIONS = workflow.table(
    action("submit", "提交审批", {"office"}, ("draft",), "submitted", check=_ready),
    action("approve", "批准", {"approver"}, ("submitted",), "approved", handler=_approve, check=_may_approve),
    action("return", "退回修改", {"approver"}, ("submitted",), "draft", ("reason",), handler=_return, style="danger"),
    action("apply", "执行调整", {"office"}, ("approved",), "applied", handler=_apply, check=_may_apply),
    action("cancel", "撤销调整", {"office"}, RECALL_OPEN, "cancelled", ("reason",), handler=_cancel, style="danger"),
    action("edit", "修改调整信息", {"office"}, EDITABLE, handler=_edit, style="default"),
    action("consult", "登记组织部意见", {"office"}, EDITABLE, None, ("consulted_on", "opinion", "file"),
           handler=_consult, style="default"),
    action("add_evidence", "添加依据", {"office"}, EDITABLE, None, ("text",), handler=_add_evidence, style="default"),
    action("remove_evidence", "删除依据", {"office"}, EDITABLE, None, ("evidence",), handler=_remove_evidence,
           style="danger"),
)
ROW_ACTIONS = ("remove_evidence",)
EVENT_LABELS = {name: a.label for name, a in ACTIONS.items()} | {"create": "发起调整"}


def _after(step, act):
    step.doc.updated_at = clock.utcnow()


WORKFLOW = workflow.Workflow(
    kind="recall", model=RecallCase, label="服务官调整", actions=ACTIONS, role_kinds=role_kinds,
    event_model=RecallEvent, event_owner="case", param_labels=PARAM_LABELS, raw_params=("assignments",), after=_after,
)


def transition(user, case_id, action_name, params=None, version=None):
    return WORKFLOW.apply(user, case_id, action_name, params, version)


def load_for(user, case_id, version=None):
    return WORKFLOW.load(user, case_id, version)


def allowed_actions(user, case):
    return WORKFLOW.allowed(user, case)


def history(user, case_id):
    case = load_for(user, case_id)
    return db.session.scalars(select(RecallEvent).where(RecallEvent.case_id == case.id).order_by(RecallEvent.id)).all()


def apply_due(today=None):
    """System work (the sweep, ``flask cso recall-apply``): apply every approved case whose effective
    date has come and whose lists are all confirmed. Returns (applied numbers, [(number, why not)])."""
    from . import handover

    today = today or clock.today()
    done, waiting = [], []
    for case in db.session.scalars(select(RecallCase).where(
            RecallCase.status == "approved", RecallCase.effective_on <= today).order_by(RecallCase.id)).all():
        why = due_refusal(case, today)
        if why:
            waiting.append((case.number, why))
            continue
        try:
            with db.session.begin_nested():  # one case that cannot be applied does not stop the others
                note = handover.apply_case(case, None, today)
                case.status, case.updated_at = "applied", clock.utcnow()
                WORKFLOW.record(case, None, "apply", "approved", note=note)
                db.session.flush()
        except WorkflowError as exc:
            waiting.append((case.number, exc.message))
            continue
        done.append(case.number)
    return done, waiting


def _may_attach(user, case_id):
    case = db.session.get(RecallCase, case_id)
    return may_prepare(user) and case is not None and case.status in RECALL_OPEN


def _may_remove_file(user, case_id, att):
    """The office removes files of a case under way; the recorded 组织部 letter stays."""
    case = db.session.get(RecallCase, case_id)
    return (may_prepare(user) and case is not None and case.status in EDITABLE
            and att.id != case.consultation_file_id)


files.register_owner(
    "recall", label="服务官调整", visible=lambda user, pk: scope.visible(RecallCase, pk, user),
    may_attach=_may_attach, may_remove=_may_remove_file,
    url=lambda pk: url_for("RecallView.show", pk=pk))
