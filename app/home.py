"""The home page of each role: what to look at first (FAB's index view, config FAB_INDEX_VIEW).

Figures come from the ledger's own filters (app.ledger.listing) and the statistics module, within
the viewer's scope."""
from flask import redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from . import clock, db, scope, stats
from .models import ASSIGNMENT_ROLES, Assignment, Department, Enterprise, Officer, Visit
from .vocab import DEPARTMENT, ENTERPRISE, OFFICE_ROLES, OFFICER, READ_ONLY_ROLES, SEES_ALL_ROLES


class HomeView(IndexView):
    index_template = "cso/index.html"

    @expose("/")
    def index(self):
        user = scope.current_user()
        if user is None:
            return redirect(url_for("AuthDBView.login"))
        self.update_redirect()
        roles = scope.role_names(user)
        ctx = {"today": clock.today(), "week": clock.week_range(clock.today()), "ledger": _ledger_counts(user)}
        ctx["dashboard"] = scope.has_permission(user, "can_read", "Dashboard")
        ctx["work"] = _work(user, roles, ctx["ledger"])  # what to do next (issue 9 item 3; app.notifications.queues)
        if roles & SEES_ALL_ROLES:
            ctx["counts"] = _counts()
            ctx["leader"] = bool(roles & READ_ONLY_ROLES) and not roles & OFFICE_ROLES
            ctx["coverage"] = _weekly_coverage(ctx["counts"])
        if OFFICER in roles:
            ctx["officer"] = scope.officer_of(user)
            ctx["my_enterprises"] = _my_enterprises(user)
        if DEPARTMENT in roles:
            ctx["departments"] = db.session.scalars(scope.restrict(Department, select(Department), user)).all()
        if ENTERPRISE in roles:
            ents = db.session.scalars(scope.restrict(Enterprise, select(Enterprise), user)).all()
            ctx["own_enterprises"] = [(e, _serving(e)) for e in ents]
        ctx["capped"] = _capped(ctx)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, **ctx)


def _capped(ctx):
    """The cap when a figure on the page stopped counting at it (queues.COUNT_CAP, shown as "10,000+"), else None."""
    from .notifications import queues

    work = ctx["work"]
    figures = [*ctx["ledger"].values(), *(n for _, _, n in work.get("office", {}).get("queues", ())),
               work.get("office", {}).get("late_total"), *work.get("department", {}).values(),
               work.get("officer", {}).get("open"), *(n for _, _, n in work.get("officer", {}).get("tiers", ()))]
    return queues.COUNT_CAP if any(isinstance(n, queues.AtLeast) for n in figures) else None


def _ledger_counts(user):
    """Open / overdue / approaching problems the user may see (same filters as the ledger list), and a
    unit's 待签收 (its block's figure: one pass over its co-department problems for all four), in one
    statement."""
    from .notifications import queues

    lists = {"open": {"open": 1}, "overdue": {"open": 1, "tier": "overdue"},
             "approaching": {"open": 1, "tier": "approaching"}}
    if DEPARTMENT in scope.role_names(user):
        lists["to_acknowledge"] = {"queue": "to_acknowledge"}
    return queues.ledger_counts(user, lists, queues.COUNT_CAP)


def _counts():
    """The office's and the leaders' figures of the whole roster, with the enterprises visited this week
    (本周走访覆盖 over all of them, queues.visited_query), in one statement."""
    from .notifications import queues

    week_start, week_end = clock.week_range(clock.today())
    return queues.count_all({
        "enterprises": select(Enterprise.id),
        "officers": select(Officer.id).where(Officer.active.is_(True)),
        "departments": select(Department.id),
        "assignments": select(Assignment.id).where(Assignment.is_current),
        "visits_week": select(Visit.id).where(Visit.visit_date.between(week_start, week_end)),
        "visited_week": queues.visited_query(),
    })


def _weekly_coverage(counts):
    """本周走访覆盖 of a login that sees every enterprise, from the roster's figures (the same as
    queues.coverage: the enterprises, and those visited this week)."""
    visited, total = counts["visited_week"], counts["enterprises"]
    return {"visited": visited, "total": total, "rate": stats.visit_coverage(visited, total)}


def _work(user, roles, ledger):
    """Each role's queues; every figure is counted as the list it links to counts (``ledger``: the
    page's open / overdue / approaching, which the department's block shows too)."""
    from flask import request

    from .notifications import queues

    work = {}
    if roles & OFFICE_ROLES:
        work["office"] = queues.office(user)
    if DEPARTMENT in roles:
        work["department"] = queues.department(user, "done" if request.args.get("tab") == "done" else "open", ledger)
    if OFFICER in roles:
        work["officer"] = queues.officer(user, ledger=ledger)
    if roles & READ_ONLY_ROLES and not roles & OFFICE_ROLES:
        work["bulletins"] = queues.leader()
    return work


def _my_enterprises(user):
    officer = scope.officer_of(user)
    if officer is None:
        return []
    start, end = clock.week_range(clock.today())
    last = (select(func.max(Visit.visit_date)).where(Visit.enterprise_id == Enterprise.id)
            .correlate(Enterprise).scalar_subquery())
    this_week = (select(func.count()).select_from(Visit).where(
        Visit.enterprise_id == Enterprise.id, Visit.visit_date.between(start, end)).correlate(Enterprise).scalar_subquery())
    rows = db.session.execute(  # one statement, however many enterprises (no id lists)
        select(Enterprise, Assignment.role, last.label("last"), this_week.label("week"))
        .join(Assignment, Assignment.enterprise_id == Enterprise.id)
        .where(Assignment.officer_id == officer.id, Assignment.is_current)
        .order_by(Enterprise.name)
    ).all()
    return [
        {"enterprise": e, "role": ASSIGNMENT_ROLES[r], "visited": bool(week), "last_visit": last_visit}
        for e, r, last_visit, week in rows
    ]


def _serving(enterprise):
    return db.session.execute(
        select(Officer, Assignment.role)
        .join(Assignment, Assignment.officer_id == Officer.id)
        .where(Assignment.enterprise_id == enterprise.id, Assignment.is_current)
        .order_by(Assignment.role)
    ).all()
