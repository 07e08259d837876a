"""Named rows of the demo district, looked up by who owns them."""
from sqlalchemy import or_, select

from app import db
from app.models import Assignment, Department, DepartmentUser, Enterprise, EnterpriseUser, Officer, Visit


def user_id(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username).id


def officer_of(username):
    return db.session.scalar(select(Officer).where(Officer.user_id == user_id(username)))


def enterprises_of(username):
    officer = officer_of(username)
    return sorted(db.session.scalars(select(Assignment.enterprise_id).where(
        Assignment.officer_id == officer.id, Assignment.end_date.is_(None))))


def enterprise_of_login(username):
    return db.session.scalar(select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == user_id(username)))


def department_of_login(username):
    return db.session.scalar(select(DepartmentUser.department_id).where(DepartmentUser.user_id == user_id(username)))


def rows():
    """A row of each model that officer01 / ent01 / dept01 own, and one they do not."""
    own_ent = enterprises_of("officer01")[0]
    foreign_ent = enterprises_of("officer02")[0]
    client_ent = enterprise_of_login("ent01")
    own_dept = department_of_login("dept01")
    from app.models import Issue, issue_codepartment

    handled_by_dept01 = set(db.session.scalars(select(Issue.enterprise_id).where(or_(
        Issue.lead_department_id == own_dept,
        Issue.id.in_(select(issue_codepartment.c.issue_id).where(issue_codepartment.c.department_id == own_dept))))))
    untouched_ent = next(e for e in db.session.scalars(select(Enterprise.id).order_by(Enterprise.id.desc()))
                         if e not in handled_by_dept01)
    foreign_dept = department_of_login("dept02")
    visit = lambda ent: db.session.scalar(select(Visit.id).where(Visit.enterprise_id == ent).limit(1))  # noqa: E731
    assign = lambda ent: db.session.scalar(select(Assignment.id).where(Assignment.enterprise_id == ent).limit(1))  # noqa: E731
    return {
        "officer01": {
            "Enterprise": (own_ent, foreign_ent), "Visit": (visit(own_ent), visit(foreign_ent)),
            "Assignment": (assign(own_ent), assign(foreign_ent)),
            "Officer": (officer_of("officer01").id, officer_of("officer02").id),
        },
        "ent01": {
            "Enterprise": (client_ent, foreign_ent), "Visit": (visit(client_ent), visit(foreign_ent)),
            "Assignment": (assign(client_ent), assign(foreign_ent)),
            "Officer": (db.session.get(Assignment, assign(client_ent)).officer_id, officer_of("officer02").id),
        },
        "dept01": {
            "Department": (own_dept, foreign_dept), "Enterprise": (None, untouched_ent),
            "Visit": (None, visit(foreign_ent)), "Assignment": (None, assign(foreign_ent)),
            "Officer": (None, officer_of("officer02").id),
        },
    }


MODELS = {"Enterprise": Enterprise, "Department": Department, "Officer": Officer, "Assignment": Assignment, "Visit": Visit}
