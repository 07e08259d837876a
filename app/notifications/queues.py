"""Work queues: what each role's home page says to do next (issue 9 item 3).

Every figure is counted with the same query as the list it links to — the ledger's own filters
(``app.ledger.listing.build_query``, which knows the named queues below as ``queue=…``), or the
unvisited-enterprise list of :mod:`.views` — so a count and its list always agree. Queries are
built from ``scope`` subqueries (never lists of ids), so a home page costs the same number of
statements however much data there is."""
from sqlalchemy import and_, exists, func, literal_column, not_, select

from .. import clock, db, scope
from ..vocab import WITH_DEPARTMENT


def _returned():
    """Returned by a lead department at least once (退回): the stored mark the ledger's return action
    sets (``Issue.returned_at``, migration 0023 filled it from the events) — one index range with the
    status, where a probe into the events per accepted problem cost 40 ms at province size."""
    from ..models import Issue

    return Issue.returned_at.is_not(None)


def _mine_lead(user):
    from sqlalchemy import false

    from ..models import Issue

    return Issue.lead_department_id.in_(scope.department_ids(user)) if user is not None else false()


def _mine_co(user):
    from sqlalchemy import false

    from ..models import Issue, issue_codepartment

    if user is None:
        return false()
    return Issue.id.in_(select(issue_codepartment.c.issue_id).where(
        issue_codepartment.c.department_id.in_(scope.department_ids(user))))


def _criteria():
    """{queue name: fn(user) -> criterion on Issue}; labels in QUEUE_LABELS."""
    from ..models import Issue

    return {
        # the office
        "to_accept": lambda user: Issue.status == "new",
        "to_transfer": lambda user: and_(Issue.status == "accepted", Issue.returned_at.is_(None)),
        "returned": lambda user: and_(Issue.status == "accepted", _returned()),
        "extension": lambda user: and_(Issue.status.in_(WITH_DEPARTMENT), Issue.pending_due.is_not(None)),
        # the bare column: the spelling the partial index ix_issue_unable is written in (0023)
        "unable": lambda user: and_(Issue.status.in_(WITH_DEPARTMENT), Issue.unable_requested),
        "to_close": lambda user: Issue.status == "resolved",
        # a department
        "to_acknowledge": lambda user: and_(Issue.status == "assigned", _mine_lead(user)),
        "lead": _mine_lead,
        "co": _mine_co,
    }


QUEUE_LABELS = {"to_accept": "待受理", "to_transfer": "待转办", "returned": "被退回、待重新转办",
                "extension": "延期申请待审批", "unable": "“无法解决”申请待研判", "to_close": "办结待销号",
                "to_acknowledge": "待签收", "lead": "本单位牵头", "co": "本单位配合"}


def criterion(name, user):
    """The ledger filter ``queue=name`` (QueryError for an unknown name)."""
    from ..querystring import QueryError

    table = _criteria()
    if name not in table:
        raise QueryError("queue", f"待办类别应为：{'、'.join(table)}。")
    return table[name](user)


# --- counting, as the lists count -----------------------------------------------------------------

# A home-page figure of problems counts at most this many rows and then shows "10,000+" (AtLeast): the
# list it links to has the exact number. Counting all of them grew with the province (the office's
# 320,000 open problems at 5x: 40 ms); counting to the cap costs the same at any size (issue 11,
# docs/notifications.md#province-size).
COUNT_CAP = 10_000


class AtLeast(int):
    """A count that stopped at the cap: the cap as a number, shown as "10,000+"."""

    def __str__(self):
        return f"{int(self):,}+"


def _label(n, cap):
    return AtLeast(cap) if cap is not None and n > cap else n


def _count(query):
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _bounded(query, cap):
    """``query`` for counting its rows, at most ``cap + 1`` of them (``cap`` None: all). Bounded, it
    selects a constant: SQLite does not flatten a LIMITed subquery, and with the list's columns it read
    every row from the table instead of the index (the office's home 48 -> 120 ms at 1x)."""
    query = query.order_by(None)
    if cap is None:
        return query
    if not query._distinct and not query._group_by_clauses:  # rows, not the columns' values, are counted
        query = query.with_only_columns(literal_column("1"), maintain_column_froms=True)
    return query.limit(cap + 1)


def _rows(queries, cap=None):
    """{key: rows of each query} in one statement (``cap``: at most cap + 1 of each)."""
    if not queries:
        return {}
    row = db.session.execute(select(*(
        select(func.count()).select_from(_bounded(q, cap).subquery()).scalar_subquery().label(f"n{i}")
        for i, q in enumerate(queries.values())))).one()
    return {name: n or 0 for name, n in zip(queries, row)}


def count_all(queries, cap=None):
    """{name: how many rows each query holds} in one statement: each list's own query as a scalar
    subquery, so a home page's figures cost one round trip (issue 11; docs/notifications.md).
    ``cap``: count at most so many, past it the figure is :class:`AtLeast` ``cap``."""
    return {name: _label(n, cap) for name, n in _rows(queries, cap).items()}


def _ledger(user, **args):
    from ..ledger.listing import build_query

    return build_query(user, {k: str(v) for k, v in args.items()})


def ledger_count(user, **args):
    return _count(_ledger(user, **args))


# where a unit's figures are counted part by part (scope.issue_parts): PostgreSQL's BitmapOr read every
# matching row; SQLite's multi-index OR does not, and there the parts only cost building twice the queries
SPLIT_DIALECTS = {"postgresql"}


def ledger_counts(user, named, cap=None):
    """{name: count} of the ledger lists ``{name: filter args}`` (one statement; ``cap`` as in
    :func:`count_all`). A unit's lists are counted as the sum of their scope's disjoint parts
    (``scope.issue_parts``: as lead unit, as co-department only), each of which PostgreSQL reads off an
    index, where the lead-or-co criterion read every matching problem's row (:data:`SPLIT_DIALECTS`)."""
    from ..models import Issue

    parts = scope.issue_parts(user) if named and db.engine.dialect.name in SPLIT_DIALECTS else None
    if parts:
        first, *rest = parts
        with scope.issue_part(first):  # as lead unit: each list on the index, up to the cap
            queries = {(name, first): _ledger(user, **args) for name, args in named.items()}
        if any(q.get_final_froms() != [Issue.__table__] for q in queries.values()):
            parts = None  # the one-pass counts below read the lists' criteria on the issue table alone
    if not parts:
        return count_all({name: _ledger(user, **args) for name, args in named.items()}, cap)
    columns = [select(func.count()).select_from(_bounded(q, cap).subquery()).scalar_subquery() for q in queries.values()]
    keys = list(queries)
    for part in rest:  # as co-department only: every list in one pass over those problems (a few thousand)
        with scope.issue_part(part):
            lists = {name: _ledger(user, **args) for name, args in named.items()}
            base = scope.restrict(Issue, select(Issue.id), user)
        one_pass = select(*(func.count().filter(q.whereclause).label(f"c{i}") for i, q in enumerate(lists.values()))
                          ).where(base.whereclause).subquery()
        columns += [one_pass.c[f"c{i}"] for i in range(len(lists))]
        keys += [(name, part) for name in lists]
    row = db.session.execute(select(*columns)).one()
    n = dict(zip(keys, (v or 0 for v in row)))
    return {name: _label(sum(n[(name, part)] for part in parts), cap) for name in named}


def unvisited_query(user, today=None):
    """The enterprises the user sees with no visit yet in the week holding ``today``."""
    from ..models import Enterprise, Visit

    start, end = clock.week_range(today or clock.today())
    visited = exists().where(Visit.enterprise_id == Enterprise.id, Visit.visit_date.between(start, end))
    return scope.restrict(Enterprise, select(Enterprise), user).where(not_(visited))


def visited_query(today=None):
    """The enterprises with a visit in the week holding ``today``, for a login that sees them all: the
    week's visits, distinct by enterprise (every visit has its enterprise), the complement of
    :func:`unvisited_query` — where the unvisited list's anti-join read all 50,000 enterprises at 5x."""
    from ..models import Visit

    start, end = clock.week_range(today or clock.today())
    return select(Visit.enterprise_id).where(Visit.visit_date.between(start, end)).distinct()


def coverage(user, today=None):
    """本周走访覆盖: (visited, total) over the enterprises the user sees."""
    from ..models import Enterprise

    total = scope.restrict(Enterprise, select(Enterprise.id), user)
    if scope.enterprise_ids(user) is None:  # sees every enterprise
        n = count_all({"total": total, "visited": visited_query(today)})
        return n["visited"], n["total"]
    n = count_all({"total": total, "unvisited": unvisited_query(user, today)})
    return n["total"] - n["unvisited"], n["total"]


LATE_ROWS = 20  # the office's home page lists this many late reports, the most overdue first


def late_report_query(user, today=None):
    """The list 逾期未报 (``/reports/?state=overdue``): the reports list's own query."""
    from ..report_listing import statement

    return statement(user, {"state": "overdue"}, today)


def late_reports(today=None, limit=None):
    """Draft reports past their due day (逾期未报), the most overdue first (``limit``: the first so many),
    with their officer and the last urge (催报)."""
    from ..models import Officer, Reminder, Report

    today = today or clock.today()
    late = (Report.status == "draft", Report.due_on < today)  # app.report_listing's state=overdue
    # the last urge of each late report, grouped once (a correlated max per report scanned the
    # reminders once per report: 200 ms at province size; issue 11)
    urges = select(Reminder.item_id.label("report_id"), func.max(Reminder.created_at).label("urged_at")).where(
        Reminder.item_type == "report", Reminder.tier == "late", Reminder.item_id.in_(select(Report.id).where(*late))
    ).group_by(Reminder.item_id).subquery()
    query = (select(Report, Officer, urges.c.urged_at).join(Officer, Officer.id == Report.officer_id)
             .outerjoin(urges, urges.c.report_id == Report.id)
             .where(*late).order_by(Report.due_on, Officer.name, Report.id))
    return db.session.execute(query if limit is None else query.limit(limit)).all()


OFFICE_QUEUES = ("to_accept", "to_transfer", "returned", "extension", "unable", "to_close")


def office(user, today=None):
    """The six queues and the late reports (the first :data:`LATE_ROWS`, with how many there are)."""
    n = count_all({**{name: _ledger(user, queue=name) for name in OFFICE_QUEUES},
                   "late_reports": late_report_query(user, today)}, COUNT_CAP)
    return {
        "queues": [(name, QUEUE_LABELS[name], n[name]) for name in OFFICE_QUEUES],
        "late_reports": late_reports(today, LATE_ROWS), "late_total": n["late_reports"],
    }


DEPARTMENT_ROWS = 20


def department(user, tab="open", ledger=None):
    """To acknowledge, due soon, overdue, and the unit's items (open under 待办, finished in 已办结),
    each marked 牵头 or 配合. ``ledger``: the page's own counts of the same lists (open / overdue /
    approaching / to_acknowledge, app.home), not counted twice."""
    from sqlalchemy.orm import selectinload

    from ..ledger.listing import build_query
    from ..models import Issue

    done = "resolved,closed,unable"
    args = {"status": done} if tab == "done" else {"open": "1"}
    query = build_query(user, args)
    lead_ids = set(db.session.scalars(scope.department_ids(user)))  # the login's own unit(s): one or two
    rows = db.session.scalars(query.order_by(Issue.due_on.asc().nulls_last(), Issue.id).limit(DEPARTMENT_ROWS)
                              .options(selectinload(Issue.enterprise))).all()
    known = {k: v for k, v in (ledger or {}).items() if k in ("open", "overdue", "approaching", "to_acknowledge")}
    lists = {"to_acknowledge": {"queue": "to_acknowledge"}, "approaching": {"tier": "approaching"},
             "overdue": {"tier": "overdue"}, "open": {"open": 1}}
    if tab == "done":  # the finished ones (most of a unit's ledger, growing for ever) only on their own tab
        lists["done"] = {"status": done}
    n = {"done": None, **known, **ledger_counts(user, {k: v for k, v in lists.items() if k not in known}, COUNT_CAP)}
    return {
        **n, "done_args": done,
        "tab": tab, "rows": [(i, "牵头" if i.lead_department_id in lead_ids else "配合") for i in rows],
    }


def officer(user, today=None, ledger=None):
    from ..models import Report

    today = today or clock.today()
    me = scope.officer_of(user)
    reports = db.session.scalars(select(Report).where(Report.officer_id == me.id, Report.status == "draft")
                                 .order_by(Report.due_on)).all() if me is not None else []
    tiers = (("approaching", "临期"), ("overdue_only", "超期"), ("serious", "严重超期"))
    known = {"open": ledger["open"]} if ledger and "open" in ledger else {}  # the page's own count (app.home)
    lists = {"open": {"open": 1}, **{t: {"tier": t} for t, _ in tiers}}
    n = {**known, **ledger_counts(user, {k: v for k, v in lists.items() if k not in known}, COUNT_CAP)}
    return {
        "open": n["open"], "tiers": [(t, label, n[t]) for t, label in tiers],
        "reports": [(r, r.due_on < today) for r in reports],
    }


def leader(limit=5):
    from ..models import Bulletin

    return db.session.scalars(select(Bulletin).where(Bulletin.status == "published")
                              .order_by(Bulletin.published_at.desc()).limit(limit)).all()


# --- 催报 ---------------------------------------------------------------------------------------------

class UrgeError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def urge_report(user, report_id):
    """The office urges an officer to submit a late report (催报): recorded as the report's late
    reminder (what 催而不报 counts from, app.duties.record_lapses), in the officer's bell and mail.
    Once a day per report: a second click the same day records nothing new. Returns (report, new)."""
    from ..models import Report
    from ..vocab import OFFICE_ROLES
    from . import service

    if not scope.role_names(user) & OFFICE_ROLES:
        raise UrgeError(403, "只有首席服务官办公室可以催报。")
    report = db.session.get(Report, report_id) if isinstance(report_id, int) else None
    if report is None:
        raise UrgeError(404, "报告不存在。")
    today = clock.today()
    if report.status != "draft" or report.due_on >= today:
        raise UrgeError(409, "该报告未逾期或已报送，无需催报。")
    officer_user = report.officer.user if report.officer is not None else None
    if officer_user is None:
        raise UrgeError(409, "该服务官没有登录账号，无法催报，请电话联系。")
    title = f"办公室催报：{report.kind_label}（{report.period_start:%Y-%m-%d}至{report.period_end:%Y-%m-%d}）" \
            f"应于{report.due_on:%Y-%m-%d}前报送，已逾期，请尽快报送"
    notes = service.notify([officer_user.id], title, f"/reports/{report.id}", kind="report_urge",
                           key=f"urge:report:{report.id}:{today.isoformat()}",
                           reminder={"kind": "report_late", "item_type": "report", "item_id": report.id,
                                     "tier": "late", "period": today.isoformat()})
    return report, bool(notes)
