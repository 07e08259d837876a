"""Filing a problem, the office's edits of its triage fields, and re-deriving open deadlines
after the calendar or the deadline policy changed (docs/domain.md#the-problem-ledger)."""
from sqlalchemy import exists, select

from .. import clock, scope, workdays
from .deadlines import after_transfer, current_due, transfer_due
from ..extensions import db
from ..models import ISSUE_SOURCES, Assignment, Enterprise, Issue, IssueEvent, Officer, Visit
from ..settings import get_policy, save_policy
from ..validation import InvalidValue, clean_date, valid_id, value_errors
from ..vocab import ENTERPRISE, FILER_ROLES, FINAL_STATUSES, OFFICE_ROLES, OFFICER, OPEN_STATUSES, labelled
from ..workflow import Step, numbering
from .rules import NUMBERS, WORKFLOW, LedgerError, event, level_error, load_for, role_kinds, triage
from .rules import category as find_category
from ..notifications import handovers


def _id(value, field, label):
    """A row id from JSON or a form: an int (not a bool) within range, else 422."""
    if value in (None, ""):
        raise LedgerError(422, f"请选择{label}。", field)
    if not valid_id(value):
        raise LedgerError(422, f"{label}编号无效。", field)
    return int(value)


def _visit(user, visit_id, enterprise_id):
    if visit_id in (None, ""):
        return None
    visit_id = _id(visit_id, "visit", "走访记录")
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.enterprise_id != enterprise_id or not scope.visible(Visit, visit_id, user):
        raise LedgerError(422, "所选走访记录不存在、不属于该企业或不在您的范围内。", "visit")
    return visit


def filing_sources(roles):
    """The sources a filer may choose: the office any; an officer not 直通车 (only the enterprise
    itself files through the direct channel); an enterprise none (it is always 直通车)."""
    if roles & OFFICE_ROLES:
        return dict(ISSUE_SOURCES)
    return {k: v for k, v in ISSUE_SOURCES.items() if k != "direct"}


def _source(roles, source, visit_id):
    is_office = bool(roles & OFFICE_ROLES)
    if ENTERPRISE in roles and not is_office and OFFICER not in roles:
        return "direct"  # an enterprise files through the direct channel (直通车)
    source = source or ("visit" if visit_id else "phone" if is_office else "visit")
    allowed = filing_sources(roles)
    if source not in allowed:
        raise LedgerError(422, "问题来源应为：" + labelled(allowed), "source")
    return source


def _received(value):
    """反映时间 from a form or JSON: a day within the calendar window, or None for today."""
    if value in (None, ""):
        return None
    try:
        return clean_date(value)
    except InvalidValue as exc:
        raise LedgerError(422, str(exc), "received_on") from None


def _refuse_bad_values(issue):
    """The stored-text and date rules every row obeys (validation.value_errors): the first one, 422."""
    errors = value_errors(issue)
    if errors:
        field, message = next(iter(errors.items()))
        raise LedgerError(422, message, field)


TITLE_FROM_TEXT = 40  # a problem filed without a title is named by its description's first clause, at most this long
_CLAUSE_END = "。；！？;!?，,、：: "


def default_title(description, limit=TITLE_FROM_TEXT):
    """The description's first sentence on one line; when longer than ``limit``, cut after the last clause
    boundary inside it (never mid-word: "…请协"), or at ``limit`` with "…" when there is none early enough."""
    text = " ".join(str(description or "").split())
    first = next((i for i, ch in enumerate(text) if ch in "。；！？;!?"), None)
    if first is not None and first <= limit:
        return text[:first].strip()
    if len(text) <= limit:
        return text.rstrip(_CLAUSE_END)
    cut = max(text.rfind(ch, 0, limit) for ch in _CLAUSE_END)
    return text[:cut].rstrip(_CLAUSE_END) if cut >= limit // 3 else text[:limit - 1] + "…"


def create_issue(user, enterprise_id, title, description, source=None, category=None, visit_id=None,
                 received_on=None, level=None):
    """File a problem. Officers for their enterprises; enterprises for themselves (直通车); office for any."""
    roles = scope.role_names(user)
    if not roles & FILER_ROLES:
        raise LedgerError(403, "您的角色不能登记问题。")
    enterprise_id = _id(enterprise_id, "enterprise", "企业")
    if not scope.visible(Enterprise, enterprise_id, user, write=True):  # not read-only transition access
        raise LedgerError(422, "所选企业不存在或不在您的服务范围内。", "enterprise")
    text = WORKFLOW.text
    title = (text(title, "title") or "").strip()
    description = (text(description, "description") or "").strip()
    source, category_name, level = text(source, "source"), text(category, "category"), text(level, "level")
    if not description:
        raise LedgerError(422, "请填写问题描述。", "description")
    title = title or default_title(description)
    if len(title) > 200:
        raise LedgerError(422, "问题标题不能超过200字。", "title")
    source = _source(roles, source, visit_id)
    if level_error(level):
        raise level_error(level)
    today = clock.today()
    visit = _visit(user, visit_id, enterprise_id)
    received_on = _received(received_on) or (visit.visit_date if visit is not None else today)  # told on the visit
    if received_on > today:
        raise LedgerError(422, "反映时间不能晚于今天。", "received_on")
    officer = scope.officer_of(user) if OFFICER in roles else None
    if officer is None:  # the chief follows problems filed by others
        officer = db.session.scalar(select(Officer).join(Assignment).where(
            Assignment.enterprise_id == enterprise_id, Assignment.role == "chief", Assignment.is_current).limit(1))
    cat = find_category(category_name)
    year = received_on.year
    seq, number = numbering.take(NUMBERS.kind, year)
    issue = Issue(
        number=number, year=year, seq=seq, enterprise_id=enterprise_id, officer=officer, visit=visit,
        source=source, category=cat, level=level or "ordinary", region=db.session.get(Enterprise, enterprise_id).subdistrict,
        title=title, description=description, status="new", received_on=received_on,
        created_by_id=user.id if user is not None else None, created_at=clock.utcnow(), updated_at=clock.utcnow(),
    )
    _refuse_bad_values(issue)
    issue.transfer_due = transfer_due(received_on, get_policy())
    issue.due_on = current_due(issue)
    db.session.add(issue)
    event(issue, user, "create", None, note=f"来源：{ISSUE_SOURCES[source]}")
    db.session.flush()
    handovers.issue_filed(issue)  # the office accepts it; officers hear of 直通车 (app.notifications)
    return issue


EDITABLE = ("title", "description", "category", "triage_class", "level", "region")
# the officer who filed a problem may correct what they wrote while it waits to be accepted (待受理)
OWN_EDITABLE = ("title", "description", "category", "level")


def editable_fields(user, issue):
    """The fields this user may change on this issue now: the office any triage field until the
    problem is final; the officer who filed it their own entries while it is still 待受理; else ()."""
    if issue.status in FINAL_STATUSES:
        return ()
    kinds = role_kinds(user, issue)
    if "office" in kinds:
        return EDITABLE
    if ("officer" in kinds and issue.status == "new" and user is not None
            and issue.created_by_id == user.id):
        return OWN_EDITABLE
    return ()


def edit_issue(user, issue_id, values, version=None):
    """Office edits of the triage fields, or the filing officer's corrections while the problem is
    待受理 (:func:`editable_fields`); each change is logged; a level change moves the deadline."""
    issue = load_for(user, issue_id, version)
    kinds = role_kinds(user, issue)
    if issue.status in FINAL_STATUSES:
        raise LedgerError(409, f"问题已{issue.status_label}，不能再修改。")
    allowed = editable_fields(user, issue)
    if not allowed:
        if "officer" in kinds and issue.created_by_id == getattr(user, "id", None):
            raise LedgerError(409, "问题已受理，如需修改请联系首席服务官办公室。")
        raise LedgerError(403, "只有首席服务官办公室可以修改问题信息。")
    unknown = set(values) - set(allowed)
    if unknown:
        raise LedgerError(422, f"这些字段不能在此修改：{'、'.join(sorted(unknown))}。", sorted(unknown)[0])
    values = {k: WORKFLOW.text(v, k) for k, v in values.items()}
    step = Step(user, issue, values, kinds)
    for field in ("title", "description"):
        if field in values:
            text = (values[field] or "").strip()
            if not text:
                raise LedgerError(422, "不能为空。", field)
            step.set(field, text)
    old_level = issue.level
    triage(step, values)
    if issue.level != old_level and issue.assigned_at and not _extended(issue):
        feedback, resolve = after_transfer(clock.local(issue.assigned_at).date(), issue.level, get_policy())
        step.set("resolve_due", resolve)
    if not step.changes:
        return issue
    _refuse_bad_values(issue)
    step.set("due_on", current_due(issue))
    issue.updated_at = clock.utcnow()
    event(issue, user, "edit", issue.status, changes=step.changes)
    WORKFLOW.flush()
    return issue


def _extended(issue):
    return db.session.scalar(select(exists().where(
        IssueEvent.issue_id == issue.id, IssueEvent.action == "approve_extension"))) if issue.id else False


def recompute_open(user, reason):
    """After a calendar or policy change: re-derive the open issues' deadlines (approved
    extensions are kept). Returns how many issues changed."""
    policy = get_policy()
    changed = 0
    for issue in db.session.scalars(select(Issue).where(Issue.status.in_(OPEN_STATUSES)).order_by(Issue.id)):
        step = Step(user, issue, {}, set())
        step.set("transfer_due", transfer_due(issue.received_on, policy))
        if issue.assigned_at:
            feedback, resolve = after_transfer(clock.local(issue.assigned_at).date(), issue.level, policy)
            step.set("feedback_due", feedback)
            if not _extended(issue):
                step.set("resolve_due", resolve)
        step.set("due_on", current_due(issue))
        if step.changes:
            changed += 1
            event(issue, user, "recompute", issue.status, note=reason, changes=step.changes, internal=True)
    db.session.flush()
    return changed


def calendar_changed(user, reason):
    """The working-day calendar changed (a holiday row, an import): re-derive open deadlines in the
    same transaction. Returns how many problems changed."""
    workdays.invalidate()
    return recompute_open(user, reason)


def change_policy(user, values):
    """Store the office's deadline settings and re-derive open deadlines (one transaction; the
    caller commits). Returns how many problems changed; PolicyError when a value is out of range."""
    save_policy(**values)
    return recompute_open(user, "时限设置变更，按新规则重算时限")
