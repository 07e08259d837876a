"""Demo rows of the surveys (called by app.demo.seed after the ledger exists; idempotent).

The demo's problems were resolved through the ledger, so close-out requests exist already (the hook on
办结, with the fatigue limit). Here: the default templates, the sweep (old requests expire as 未评价),
answers to some open close-out requests recorded by the office's phone call-back (mostly satisfied, one
不满意 about a unit, which opens its bad-review case), an open quarterly request for ent01's enterprise
with a one-time link printed on the console, and two inspections."""
from flask import current_app
from sqlalchemy import exists, select

from .. import clock, stats
from ..extensions import db
from ..models import Assignment, Department, EnterpriseUser, Officer
from ..vocab import SURVEY_KINDS
from . import inspections, rules
from .models import Inspection, SurveyRequest

SATISFIED_PLAN = (5, 4, 5, 4, 3, 5, 4)


def _user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _values(req, level_for):
    return {it["field"]: str(level_for(it)) for it in rules.form_items(req) if it["question"].qtype == "level5"}


def seed():
    office, ent01 = _user("office"), _user("ent01")
    if office is None:
        return
    period = stats.period("quarter", clock.today())
    ent_id = db.session.scalar(select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == ent01.id)) \
        if ent01 is not None else None
    key = f"quarterly:{ent_id}:{period.key}"
    if not db.session.scalar(select(exists().where(SurveyRequest.key == key))):
        _seed_rows(office, period, ent_id)
    req = db.session.scalar(select(SurveyRequest).where(SurveyRequest.key == key))
    if req is not None and req.status == "pending":
        token = rules.issue_link(office, req.id)
        db.session.commit()
        base = current_app.config.get("PORTAL_BASE_URL", "").rstrip("/")
        print(f"满意度评价一次性链接（演示，{req.enterprise.name}，{period.label}）：{base}/s/{token}")


def _seed_rows(office, period, ent_id):
    for kind in SURVEY_KINDS:
        rules.active_template(kind)
    rules.sweep()
    pending = db.session.scalars(select(SurveyRequest).where(
        SurveyRequest.kind == "closeout", SurveyRequest.status == "pending").order_by(SurveyRequest.id)).all()
    for n, req in enumerate(pending[:7]):
        if n == 2:  # one 不满意 about the unit's problem solving: a bad-review case
            level = lambda it: 2 if it["target_type"] == "department" and it["question"].dimension == "问题解决" else 4  # noqa: E731
            note = "电话回访：企业反映责任单位答复后问题仍未落实。"
        else:
            level = lambda it, n=n: SATISFIED_PLAN[n] if it["target_type"] == "officer" else SATISFIED_PLAN[-1 - n]  # noqa: E731
            note = "电话回访，企业对服务表示认可。"
        values = {**_values(req, level), "respondent": "企业联系人", "note": note}
        rules.submit(office, req, values, "phone")
    if ent_id is not None:
        rules.create_quarterly(period, office, only={ent_id})
    officers = db.session.scalars(select(Officer).order_by(Officer.id).limit(2)).all()
    dept = db.session.scalar(select(Department).order_by(Department.id).limit(1))
    today = clock.today()
    if officers and not db.session.scalar(select(exists().where(Inspection.id.is_not(None)))):
        served = db.session.scalar(select(Assignment.enterprise_id).where(
            Assignment.officer_id == officers[0].id, Assignment.is_current).limit(1))
        inspections.record(office, {"subject_type": "officer", "officer": officers[0].id, "method": "phone",
                                    "enterprise": served or "",
                                    "day": today.isoformat(), "efficiency": 5, "quality": 4, "level": 4,
                                    "effect": 5, "findings": "电话抽查3家包联企业，均反映每周走访、问题跟进及时。"})
        if dept is not None:
            inspections.record(office, {"subject_type": "department", "department": dept.id, "method": "visit",
                                        "day": today.isoformat(), "efficiency": 3, "quality": 3, "level": 4,
                                        "effect": 2, "findings": "走访企业发现交办事项答复后未跟进落实，需整改。",
                                        "refer_to_supervision": "1"})
    db.session.commit()
