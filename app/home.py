"""The home page of each role: what to look at first (FAB's index view, config FAB_INDEX_VIEW).

Figures come from the ledger's own filters (app.ledger.listing) and the statistics module, within
the viewer's scope."""
from flask import redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from . import clock, db, masterdata, scope, stats
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
        if roles & SEES_ALL_ROLES:
            ctx["counts"] = _counts()
            ctx["leader"] = bool(roles & READ_ONLY_ROLES) and not roles & OFFICE_ROLES
            ctx["coverage"] = _weekly_coverage(user)
        if OFFICER in roles:
            ctx["officer"] = scope.officer_of(user)
            ctx["my_enterprises"] = _my_enterprises(user)
        if DEPARTMENT in roles:
            ctx["departments"] = db.session.scalars(scope.restrict(Department, select(Department), user)).all()
        if ENTERPRISE in roles:
            ents = db.session.scalars(scope.restrict(Enterprise, select(Enterprise), user)).all()
            ctx["own_enterprises"] = [(e, _serving(e)) for e in ents]
        return self.render_template(self.index_template, appbuilder=self.appbuilder, **ctx)


def _ledger_counts(user):
    """Open / overdue / approaching problems the user may see (same filters as the ledger list)."""
    from .ledger.listing import build_query

    def count(**args):
        query = build_query(user, {"open": "1", **args})
        return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0

    return {"open": count(), "overdue": count(tier="overdue"), "approaching": count(tier="approaching")}


def _counts():
    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    week_start, week_end = clock.week_range(clock.today())
    return {
        "enterprises": count(Enterprise),
        "officers": count(Officer, Officer.active.is_(True)),
        "departments": count(Department),
        "assignments": count(Assignment, Assignment.is_current),
        "visits_week": count(Visit, Visit.visit_date.between(week_start, week_end)),
        "visits_total": count(Visit),
    }


def _weekly_coverage(user):
    ids = set(db.session.scalars(scope.restrict(Enterprise, select(Enterprise.id), user)))
    visited = masterdata.visited_this_week(ids)
    return {"visited": len(visited), "total": len(ids), "rate": stats.visit_coverage(len(visited), len(ids))}


def _my_enterprises(user):
    officer = scope.officer_of(user)
    if officer is None:
        return []
    rows = db.session.execute(
        select(Enterprise, Assignment.role)
        .join(Assignment, Assignment.enterprise_id == Enterprise.id)
        .where(Assignment.officer_id == officer.id, Assignment.is_current)
        .order_by(Enterprise.name)
    ).all()
    visited = masterdata.visited_this_week({e.id for e, _ in rows})
    last = dict(
        db.session.execute(
            select(Visit.enterprise_id, func.max(Visit.visit_date))
            .where(Visit.enterprise_id.in_([e.id for e, _ in rows]))
            .group_by(Visit.enterprise_id)
        ).all()
    )
    return [
        {"enterprise": e, "role": ASSIGNMENT_ROLES[r], "visited": e.id in visited, "last_visit": last.get(e.id)}
        for e, r in rows
    ]


def _serving(enterprise):
    return db.session.execute(
        select(Officer, Assignment.role)
        .join(Assignment, Assignment.officer_id == Officer.id)
        .where(Assignment.enterprise_id == enterprise.id, Assignment.is_current)
        .order_by(Assignment.role)
    ).all()
