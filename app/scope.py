"""Who may see and change which rows — the one place that answers it (docs/domain.md#roles, docs/architecture.md#scoping).

Every entry point (HTML views, REST API, bulk actions, exports, dashboards, CLI) calls
:func:`restrict` to filter a query and :func:`write_errors` before saving a row.

* Admin, Office, Director: everything.
* Leader: everything, read-only.
* Officer: the enterprises of their own *active* assignments (chief or liaison) and what
  hangs off them (their assignments, visits, the officers serving them).
* Department: its own unit (and, later, what is addressed to it).
* Enterprise: itself, its assignments, the officers serving it, its visits.
A user with several roles gets the union.
"""
import contextvars
from contextlib import contextmanager

from flask import current_app, has_request_context
from sqlalchemy import Boolean, and_, false, not_, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from .vocab import ADMIN, DEPARTMENT, ENTERPRISE, OFFICE_ROLES, OFFICER, SEES_ALL_ROLES
from .models import (
    Assignment, Department, DepartmentUser, DutyRecord, Enterprise, EnterpriseUser, Issue, IssueEvent, Officer,
    Criticism, CriticismEvent, Notice, NoticeEvent, NoticeRecipient, Report, Urge, UrgeEvent, Visit,
    issue_codepartment,
)

from .vocab import MEETING_PUBLISHED
from .meetings.models import (  # consultation meetings (app/meetings)
    DecisionEvent, Meeting, MeetingDecision, MeetingEvent, MeetingParticipant, MeetingTopic,
    meeting_decision_codepartment,
)


# models whose rows hang off an enterprise through ``enterprise_id``
ENTERPRISE_CHILDREN = (Assignment, Visit)


class member_of(ColumnElement):
    """``column IN (subquery)`` — written ``column = ANY(ARRAY(subquery))`` on PostgreSQL.

    Same rows either way. PostgreSQL plans ``ANY(ARRAY(…))`` as an index condition fed by a
    one-off InitPlan, so several memberships joined with OR become a BitmapOr of index scans; a
    plain ``IN (subquery)`` under an OR is a filter evaluated on every row of the table (a full
    scan of 200,000 issues for a department's inbox). SQLite keeps ``IN``, which it already
    turns into a multi-index OR.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: never rendered as ``(…) = 1`` on SQLite
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("subquery", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, subquery):
        self.column = column
        self.subquery = subquery.scalar_subquery()


@compiles(member_of)
def _member_of_in(element, compiler, **kw):
    return compiler.process(element.column.in_(element.subquery.element), **kw)


@compiles(member_of, "postgresql")
def _member_of_any(element, compiler, **kw):
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY({compiler.process(element.subquery, **kw)}))"


def department_ids(user):
    """SELECT of the departments this login acts for."""
    return select(DepartmentUser.department_id).where(DepartmentUser.user_id == user.id)


def addressed(user):
    """Criterion on ``Issue``: addressed to the user's departments (lead or co-department).

    Written so both databases answer from the indexes (lead department; co-department table)
    instead of joining the issue table to itself."""
    depts = department_ids(user)
    return or_(member_of(Issue.lead_department_id, depts), member_of(Issue.id, select(
        issue_codepartment.c.issue_id).where(member_of(issue_codepartment.c.department_id, depts))))


# the counting parts of a unit's problems (:func:`issue_parts`): while one is set, a department-only login's
# Issue criterion is that part alone — a subset of :func:`addressed`, never wider
_ISSUE_PART = contextvars.ContextVar("cso_issue_part", default=None)


def issue_parts(user):
    """The names of disjoint parts whose union is the user's Issue criterion, or None when it is not split:
    a department-only login's problems as lead unit (``lead``) and the rest of those it co-handles (``co``).
    Counted one part at a time (:func:`issue_part`), PostgreSQL reads the lead part off the index
    (lead_department_id, status, due_on) and the co part from the co-department rows, where the OR of
    :func:`addressed` reads every matching problem's row (docs/notifications.md#province-size)."""
    roles = role_names(user)
    if user is None or sees_all(user) or DEPARTMENT not in roles or roles & {OFFICER, ENTERPRISE}:
        return None
    return ("lead", "co")


@contextmanager
def issue_part(name, walked=False):
    """Within the block a department-only login's Issue criterion is the part ``name`` of :func:`issue_parts`.
    ``walked``: for a page read in an index's order (app.ledger.listing._by_parts), where the co part's
    membership is a filter on that walk — one hash of the unit's co-department rows looked up per problem
    passed over — instead of a join that PostgreSQL ran in parallel workers (dept01's inbox at 5x: 29 -> 4 ms)."""
    token = _ISSUE_PART.set((name, walked))
    try:
        yield
    finally:
        _ISSUE_PART.reset(token)


def _addressed_part(user, part, walked=False):
    depts = department_ids(user)
    lead = member_of(Issue.lead_department_id, depts)
    if part == "lead":  # a plain IN: a semi-join from department_user onto (lead, status, due_on), where
        return Issue.lead_department_id.in_(depts)  # = ANY(ARRAY(…)) let a page walk the due-date index
    # plain INs: with no OR around them PostgreSQL joins from the unit's co-department rows (a semi-join it
    # sizes from department_user), and as a filter each is one hashed look-up per row (= ANY(ARRAY(…))
    # searches the array row by row)
    co = Issue.id.in_(select(issue_codepartment.c.issue_id).where(
        issue_codepartment.c.department_id.in_(department_ids(user))))
    if walked:  # IS TRUE: a filter PostgreSQL does not turn into a join (a hashed SubPlan)
        co = co.is_(True)
    return and_(co, or_(Issue.lead_department_id.is_(None), not_(lead)))  # NULL lead: not the lead part


def current_user():
    """The logged-in user on this request (session or JWT), else None."""
    if not has_request_context():
        return None
    user = current_app.appbuilder.sm.current_user
    return user if user is not None and getattr(user, "is_authenticated", True) else None


def role_names(user):
    if user is None:
        return set()
    return {r.name for r in getattr(user, "roles", [])}


def sees_all(user):
    return bool(role_names(user) & SEES_ALL_ROLES)


def writes_all(user):
    return bool(role_names(user) & OFFICE_ROLES)


def officer_of(user):
    """The Officer record linked to this login, or None."""
    if user is None:
        return None
    session = current_app.appbuilder.session
    return session.scalar(select(Officer).where(Officer.user_id == user.id))


def department_id_set(user):
    """The departments this login acts for, as a set of ids."""
    return set(current_app.appbuilder.session.scalars(department_ids(user))) if user is not None else set()


# read-only sources of enterprise ids (app/recall: a recalled officer keeps reading the enterprises they
# handed over for a transition period): ``fn(user)`` → SELECT of enterprise ids. They widen what the user
# *sees* only: every write check (``may`` for write/delete, ``write_errors``) asks with ``write=True``.
READ_ONLY_ENTERPRISES = []


def register_read_only_enterprises(fn):
    if fn not in READ_ONLY_ENTERPRISES:
        READ_ONLY_ENTERPRISES.append(fn)


def enterprise_ids(user, write=False):
    """SELECT of the enterprise ids the user may see (``write=True``: may act for), or None for all."""
    if sees_all(user):
        return None
    roles = role_names(user)
    parts = []
    if user is not None and OFFICER in roles:
        parts.append(
            select(Assignment.enterprise_id)
            .join(Officer, Officer.id == Assignment.officer_id)
            .where(Officer.user_id == user.id, Officer.active == true(), Assignment.is_current)
        )
        if not write:
            parts.extend(fn(user) for fn in READ_ONLY_ENTERPRISES)
    if user is not None and ENTERPRISE in roles:
        parts.append(select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user.id))
    if user is not None and DEPARTMENT in roles:  # the enterprises whose problems it handles
        depts = department_ids(user)  # as lead (read off an index), then as co-department
        parts.append(select(Issue.enterprise_id).where(member_of(Issue.lead_department_id, depts)))
        parts.append(select(Issue.enterprise_id).where(member_of(Issue.id, select(
            issue_codepartment.c.issue_id).where(member_of(issue_codepartment.c.department_id, depts)))))
    if not parts:
        return select(Enterprise.id).where(false())
    query = parts[0]
    for part in parts[1:]:
        query = query.union(part)
    return query


def _notice_criterion(user, roles):
    """Criterion on ``Notice`` for a role that does not see everything (app/notices): a unit sees the
    notices addressed to it (lead or co) once sent; an officer those on problems of the enterprises
    they serve (read-only); an enterprise none."""
    conds = []
    if DEPARTMENT in roles and user is not None:
        conds.append(Notice.sent_at.isnot(None) & member_of(Notice.id, select(NoticeRecipient.notice_id).where(
            member_of(NoticeRecipient.department_id, department_ids(user)))))
    if OFFICER in roles and user is not None:
        served = (select(Assignment.enterprise_id).join(Officer, Officer.id == Assignment.officer_id)
                  .where(Officer.user_id == user.id, Officer.active == true(), Assignment.is_current))
        conds.append(Notice.issue_id.in_(select(Issue.id).where(Issue.enterprise_id.in_(served))))
    return or_(*conds) if conds else false()


def _accountability_criterion(model, user, roles):
    """A unit sees the published criticisms and the sent 督办单 addressed to it; an officer the published
    criticisms of themself; drafts are the office's; enterprises see none."""
    crit_conds, urge_conds = [], []
    if DEPARTMENT in roles and user is not None:
        crit_conds.append(member_of(Criticism.department_id, department_ids(user)))
        urge_conds.append(and_(Urge.status == "sent", member_of(Urge.department_id, department_ids(user))))
    if OFFICER in roles and user is not None:
        crit_conds.append(Criticism.officer_id.in_(select(Officer.id).where(Officer.user_id == user.id)))
    crit = and_(Criticism.status == "published", or_(*crit_conds)) if crit_conds else false()
    urge = or_(*urge_conds) if urge_conds else false()
    if model is Criticism:
        return crit
    if model is Urge:
        return urge
    if model is CriticismEvent:
        return CriticismEvent.criticism_id.in_(select(Criticism.id).where(crit))
    return UrgeEvent.urge_id.in_(select(Urge.id).where(urge))


MEETING_MODELS = (Meeting, MeetingDecision, MeetingEvent, MeetingParticipant, MeetingTopic, DecisionEvent)


def _meeting_criterion(model, user, roles, ents):
    """Meetings (app/meetings) for a role that does not see everything: a unit the meetings it takes
    part in and the decisions addressed to it (lead or co); an officer the meetings and decisions on
    problems of the enterprises they serve; an enterprise only the decisions on its own problems,
    never the meeting (topics, participants, minutes). Decisions count once the minutes are published."""
    published = select(Meeting.id).where(Meeting.status.in_(MEETING_PUBLISHED))
    on_problems = MeetingDecision.issue_id.in_(select(Issue.id).where(Issue.enterprise_id.in_(ents)))
    decision, meeting = [], []
    if DEPARTMENT in roles and user is not None:
        depts = department_ids(user)
        decision.append(or_(member_of(MeetingDecision.lead_department_id, depts), MeetingDecision.id.in_(select(
            meeting_decision_codepartment.c.decision_id).where(
            meeting_decision_codepartment.c.department_id.in_(depts)))))
        meeting.append(Meeting.id.in_(select(MeetingParticipant.meeting_id).where(
            MeetingParticipant.department_id.in_(depts))))
    if roles & {OFFICER, ENTERPRISE} and user is not None:
        decision.append(on_problems)
    if OFFICER in roles and user is not None:
        meeting.append(Meeting.id.in_(select(MeetingTopic.meeting_id).where(MeetingTopic.issue_id.in_(
            select(Issue.id).where(Issue.enterprise_id.in_(ents))))))
        meeting.append(Meeting.id.in_(select(MeetingParticipant.meeting_id).where(MeetingParticipant.officer_id.in_(
            select(Officer.id).where(Officer.user_id == user.id)))))
    decision_crit = and_(or_(*decision), MeetingDecision.meeting_id.in_(published)) \
        if decision else false()
    if DEPARTMENT in roles and user is not None:  # the meetings whose decisions it carries out
        meeting.append(Meeting.id.in_(select(MeetingDecision.meeting_id).where(decision_crit)))
    meeting_crit = or_(*meeting) if meeting else false()
    if model is MeetingDecision:
        return decision_crit
    if model is DecisionEvent:
        return DecisionEvent.decision_id.in_(select(MeetingDecision.id).where(decision_crit))
    if model is Meeting:
        return meeting_crit
    return model.meeting_id.in_(select(Meeting.id).where(meeting_crit))


# feature packages (app/<feature>/) declare the criterion of their own models here:
# ``register_criterion((Model, ...), fn)`` with ``fn(model, user, roles, ents)`` → SQL criterion
# (None = no limit); it applies to roles that do not see everything.
FEATURE_CRITERIA = {}


def register_criterion(models, fn):
    for model in models:
        FEATURE_CRITERIA[model] = fn


def _criterion(model, user, write=False):
    """SQL criterion limiting ``model`` to the user's rows; None means no limit."""
    if sees_all(user):
        return None
    roles = role_names(user)
    ents = enterprise_ids(user, write=write)
    if model in FEATURE_CRITERIA:
        return FEATURE_CRITERIA[model](model, user, roles, ents)
    if model is Enterprise:
        return Enterprise.id.in_(ents)
    if model in ENTERPRISE_CHILDREN:
        return model.enterprise_id.in_(ents)
    if model in (Issue, IssueEvent):
        column = Issue.id if model is Issue else IssueEvent.issue_id
        conds = [column.in_(select(Issue.id).where(Issue.enterprise_id.in_(ents)))] if roles & {OFFICER, ENTERPRISE} else []
        if DEPARTMENT in roles and user is not None:
            part = _ISSUE_PART.get() if model is Issue and issue_parts(user) else None
            if part is not None:  # one counting part of addressed(user) (issue_parts): a subset of it
                return _addressed_part(user, *part)
            conds.append(addressed(user) if model is Issue else column.in_(select(Issue.id).where(addressed(user))))
        return or_(*conds) if conds else false()
    if model in (Notice, NoticeEvent, NoticeRecipient):  # assignment notices (app/notices)
        crit = _notice_criterion(user, roles)
        return crit if model is Notice else model.notice_id.in_(select(Notice.id).where(crit))
    if model in MEETING_MODELS:  # consultation meetings (app/meetings)
        return _meeting_criterion(model, user, roles, ents)
    if model in (Criticism, Urge, CriticismEvent, UrgeEvent):  # accountability (app/accountability)
        return _accountability_criterion(model, user, roles)
    if model in (Report, DutyRecord):  # an officer's own duties
        if OFFICER in roles and user is not None:
            return model.officer_id.in_(select(Officer.id).where(Officer.user_id == user.id))
        return false()
    if model is Officer:
        serving = select(Assignment.officer_id).where(
            Assignment.enterprise_id.in_(ents), Assignment.is_current
        )
        conds = [Officer.id.in_(serving)]
        if user is not None:
            conds.append(Officer.user_id == user.id)
        return or_(*conds)
    if model is Department:
        if roles & {OFFICER, ENTERPRISE}:
            return None  # the directory of responsible units is public to the scheme's people
        if DEPARTMENT in roles and user is not None:
            return Department.id.in_(department_ids(user))
        return false()
    return false()  # unknown models are closed by default


def restrict(model, query, user, write=False):
    """Filter a legacy Query or a 2.0 Select to the user's rows of ``model`` (``write=True``: the rows
    the user may act on, without read-only transition access)."""
    crit = _criterion(model, user, write=write)
    if crit is None:
        return query
    if hasattr(query, "where"):
        return query.where(crit)
    return query.filter(crit)


def visible(model, row_id, user, write=False):
    """True when the row with this id exists and the user may see it (``write=True``: act on it)."""
    if row_id is None:
        return False
    session = current_app.appbuilder.session
    query = select(model.id).where(model.id == row_id)
    return session.scalar(restrict(model, query, user, write=write)) is not None


# which foreign keys of each model point where, with the Chinese field name
FOREIGN_KEYS = {
    Assignment: (("enterprise", Enterprise, "企业"), ("officer", Officer, "服务官")),
    Visit: (("enterprise", Enterprise, "企业"), ("officer", Officer, "服务官")),
}

# models each non-full role may write (beyond read), checked on top of permissions
WRITABLE = {OFFICER: {Visit}}


def may_write_model(user, model):
    if writes_all(user):
        return True
    return any(model in WRITABLE.get(role, ()) for role in role_names(user))


VERB_PERMISSIONS = {"read": "can_read", "write": "can_write", "delete": "can_delete"}


def has_permission(user, permission, view_name):
    """What FAB's permission check answers for ``user``, from the declared role sets (app.roles),
    so that the CLI and tasks get the same answer as a screen."""
    from .roles import ROLE_PERMISSIONS

    roles = role_names(user)
    return ADMIN in roles or any((permission, view_name) in ROLE_PERMISSIONS.get(r, ()) for r in roles)


def may(user, verb, model, row_id=None):
    """The one answer to "may ``user`` read / write / delete (this row of) ``model``" for every entry
    point: the role's permission on the model, the roles that may write it, and the row's scope."""
    if not has_permission(user, VERB_PERMISSIONS[verb], model.__name__):
        return False
    if verb != "read" and not may_write_model(user, model):
        return False
    return row_id is None or visible(model, row_id, user, write=verb != "read")


def write_errors(user, item):
    """Field → message for a row the user wants to save; empty when allowed.

    Checks that the role may write this model at all, that every foreign key points to a
    row inside the user's scope (a forged id is refused, not trusted), and that the row
    itself stays in scope after the change.
    """
    model = type(item)
    if not may(user, "write", model):
        return {"_": "您没有修改此类数据的权限。"}
    errors = {}
    for attr, target, label in FOREIGN_KEYS.get(model, ()):
        related = getattr(item, attr)
        target_id = related.id if related is not None else getattr(item, attr + "_id")
        if target_id is not None and not visible(target, target_id, user, write=True):
            errors[attr] = f"所选{label}不存在或不在您的服务范围内。"
    return errors
