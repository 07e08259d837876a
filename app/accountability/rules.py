"""督办单 and 通报批评 on the workflow kit (docs/domain.md; seed 六(四)(五), 八(七)).

A criticism (通报批评): ``draft`` (by the sweep's red step or by the office) → approve (the
director; never the person who drafted it) → ``approved`` → publish (the office) → ``published``
(it appears in the bulletin of its period) — or withdraw (reason) from draft/approved → ``withdrawn``.
Once published, its target (the unit, or the officer) replies with its rectification (整改情况).

An urge (督办单): ``draft`` (by the sweep's yellow step) → send (the office; takes the next 督办单
number and stores the .docx) → ``sent``, or cancel (reason) → ``cancelled``.
"""
from sqlalchemy import select

from .. import clock, scope, workdays, workflow
from ..extensions import db
from ..models import Department, DutyRecord, Officer
from ..vocab import CRITICISM_BASES, DEPARTMENT, DIRECTOR, OFFICE_ROLES, OFFICER
from ..workflow import WorkflowError, action, numbering
from .models import Criticism, CriticismEvent, Urge, UrgeEvent

URGE_NUMBERS = numbering.register("urge", "督办单编号", "示范区企服督〔{year}〕{seq}号", max_length=40)
RECTIFY_WORKDAYS = 10  # 限期整改: working days after publication
PARAM_LABELS = {"reason": "理由", "text": "整改情况", "note": "说明", "title": "标题", "basis": "事由",
                "department": "被通报单位", "officer": "被通报服务官", "duty_records": "履职记录"}


def role_kinds(user, doc):
    """office, director, target (the criticised unit's or officer's own login)."""
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if DIRECTOR in roles:
        kinds.add("director")
    if isinstance(doc, Criticism) and doc.status == "published":
        if DEPARTMENT in roles and doc.department_id in scope.department_id_set(user):
            kinds.add("target")
        officer = scope.officer_of(user) if OFFICER in roles else None
        if officer is not None and doc.officer_id == officer.id:
            kinds.add("target")
    return kinds


# --- criticisms -----------------------------------------------------------------------------------

def _not_drafter(step):
    if step.user is not None and step.doc.drafted_by_id == step.user.id:
        return "审定人不能是起草人。"
    return None


def _approve(step):
    step.set("approved_by_id", step.user.id if step.user else None)
    step.set("approved_at", clock.utcnow())
    return step.params.get("note")


def _publish(step):
    today = clock.today()
    step.set("published_at", clock.utcnow())
    step.set("rectify_due", workdays.add_workdays(today, RECTIFY_WORKDAYS))
    return step.params.get("note")


def _withdraw(step):
    step.set("withdraw_reason", step.params["reason"][:500])
    return step.params["reason"]


def _not_replied(step):
    return "已报送整改情况。" if step.doc.rectify_replied_at else None


def _reply(step):
    step.set("rectify_reply", step.params["text"])
    step.set("rectify_replied_at", clock.utcnow())
    return None


CRITICISM_ACTIONS = workflow.table(
    action("approve", "审定", {"director"}, ("draft",), "approved", handler=_approve, check=_not_drafter),
    action("publish", "发布", {"office"}, ("approved",), "published", handler=_publish),
    action("withdraw", "撤回", {"office", "director"}, ("draft", "approved"), "withdrawn", ("reason",),
           handler=_withdraw, style="danger"),
    action("reply", "报送整改情况", {"target"}, ("published",), None, ("text",), handler=_reply, check=_not_replied),
)

CRITICISMS = workflow.Workflow(
    kind="criticism", model=Criticism, label="通报批评", actions=CRITICISM_ACTIONS, role_kinds=role_kinds,
    event_model=CriticismEvent, event_owner="criticism", param_labels=PARAM_LABELS,
)


def _target(department_id, officer_id):
    if bool(department_id) == bool(officer_id):
        raise WorkflowError(422, "请选择被通报的单位或服务官（二选一）。", "department")
    if department_id and db.session.get(Department, department_id) is None:
        raise WorkflowError(422, "所选单位不存在。", "department")
    if officer_id and db.session.get(Officer, officer_id) is None:
        raise WorkflowError(422, "所选服务官不存在。", "officer")


def draft_criticism(user, basis, title, text, department_id=None, officer_id=None, refs=None, key=None,
                    explanation=None):
    """A criticism draft — by the office (``user``), or by the sweep (``user`` None, with a ``key``)."""
    if user is not None and not scope.role_names(user) & OFFICE_ROLES:
        raise WorkflowError(403, "只有首席服务官办公室可以起草通报批评。")
    if basis not in CRITICISM_BASES:
        raise WorkflowError(422, "事由应为：" + "、".join(f"{k}（{v}）" for k, v in CRITICISM_BASES.items()), "basis")
    title, text = CRITICISMS.text(title, "title"), CRITICISMS.text(text, "text")
    if not title or not text:
        raise WorkflowError(422, "请填写标题和事实依据。", "title" if not title else "text")
    _target(department_id, officer_id)
    doc = Criticism(key=key, status="draft", basis=basis, department_id=department_id, officer_id=officer_id,
                    refs=refs or {}, title=title[:200], text=text, explanation=explanation,
                    drafted_by_id=user.id if user is not None else None, drafted_at=clock.utcnow())
    db.session.add(doc)
    CRITICISMS.record(doc, user, "create", None, note=title[:200])
    db.session.flush()
    return doc


def criticism_from_duty_records(user, record_ids):
    """The office criticises an officer's lateness records (迟报/漏报/催而不报, 八(七)) in one draft."""
    records = db.session.scalars(select(DutyRecord).where(DutyRecord.id.in_(record_ids))).all() if record_ids else []
    kinds = {r.kind for r in records} & {"late_report", "missing_report", "urged_missing"}
    if not records or len({r.officer_id for r in records}) != 1 or len(kinds) != len({r.kind for r in records}):
        raise WorkflowError(422, "请选择同一服务官的迟报、漏报或催而不报记录。", "duty_records")
    officer = records[0].officer
    labels = "、".join(sorted({CRITICISM_BASES[k] for k in kinds}))
    text = "；".join(f"{r.period}：{CRITICISM_BASES.get(r.kind, r.kind)}（{r.note or ''}）" for r in records)
    basis = next(iter(kinds)) if len(kinds) == 1 else "other"
    return draft_criticism(user, basis, f"关于{officer.name}同志{labels}情况的通报批评", text,
                           officer_id=officer.id, refs={"duty_records": [r.id for r in records]})


# --- urges (督办单) -------------------------------------------------------------------------------

def _send(step):
    today = clock.today()
    seq, number = numbering.take(URGE_NUMBERS.kind, today.year)
    step.set("year", today.year)
    step.set("seq", seq)
    step.set("number", number)
    step.set("sent_at", clock.utcnow())
    step.set("sent_by_id", step.user.id if step.user else None)
    from .documents import urge_document, store_urge_document

    store_urge_document(step.user, step.doc, urge_document(step.doc, number, today))
    return step.params.get("note")


def _cancel(step):
    step.set("cancel_reason", step.params["reason"][:500])
    return step.params["reason"]


URGE_ACTIONS = workflow.table(
    action("send", "发出督办单", {"office"}, ("draft",), "sent", handler=_send),
    action("cancel", "取消", {"office"}, ("draft",), "cancelled", ("reason",), handler=_cancel, style="danger"),
)

URGES = workflow.Workflow(
    kind="urge", model=Urge, label="督办单", actions=URGE_ACTIONS, role_kinds=role_kinds, event_model=UrgeEvent,
    event_owner="urge", param_labels=PARAM_LABELS,
)


def published_between(start, end):
    """Criticisms published on the local days [start, end] (for the bulletins)."""
    from ..stats import happened_between

    return db.session.scalars(select(Criticism).where(
        Criticism.status == "published", happened_between(Criticism.published_at, start, end))
        .order_by(Criticism.published_at)).all()
