"""Demo rows (idempotent: nothing when a recall case exists): an enterprise's request for another
officer; one case awaiting the director's approval (officer12 → officer09 for officer12's first
enterprise, reason 企业不满意, the request as evidence, the 组织部 consultation recorded with its
file, effective today) — approving it generates the handover list, which the officers sign and the
office confirms, which applies it at once; and two service periods ending within the month."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock, gongwen
from ..extensions import db
from ..files.rules import attach_generated
from ..models import Assignment, EnterpriseUser, Officer
from . import rules, triggers
from .models import RecallCase, ServiceTerm


def _officer(username):
    user = current_app.appbuilder.sm.find_user(username=username)
    return db.session.scalar(select(Officer).where(Officer.user_id == user.id)) if user else None


def _opinion_docx(case):
    letter = gongwen.Letter(
        issuer="中共焦作市城乡一体化示范区工作委员会组织部", number="示范区组函〔2026〕1号",
        title="关于调整企业首席服务官的意见", recipients=gongwen.issuer_name(),
        sections=[gongwen.Section("", [f"你办《关于调整首席服务官的请示》（{case.number}）收悉。经研究，同意调整{case.officer.name}同志"
                                       "的包联服务工作，请做好工作交接。"])],
        signer="中共焦作市城乡一体化示范区工作委员会组织部", date=clock.today())
    return gongwen.letter_docx(letter)


def seed():
    if db.session.scalar(select(func.count()).select_from(RecallCase)):
        return 0
    sm = current_app.appbuilder.sm
    office, outgoing, incoming = sm.find_user(username="office"), _officer("officer12"), _officer("officer09")
    if office is None or outgoing is None or incoming is None:
        return 0
    chief = db.session.scalar(select(Assignment).where(Assignment.officer_id == outgoing.id, Assignment.role == "chief",
                                                       Assignment.is_current).order_by(Assignment.enterprise_id).limit(1))
    if chief is None:
        return 0
    uid = db.session.scalar(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == chief.enterprise_id))
    ent_user = db.session.get(sm.user_model, uid) if uid is not None else None
    today = clock.today()
    request = triggers.file_request(ent_user, "服务官近一个月未到企业走访，反映的用电问题也无人跟进，申请更换服务官。") \
        if ent_user is not None else None
    case = rules.create_case(office, outgoing.id, "dissatisfied", replacement=incoming.id, effective_on=today,
                             reason_text="企业反映服务不到位，经办公室核实属实。", assignments=[chief.id],
                             request=request.id if request else None)
    rules.transition(office, case.id, "add_evidence", {"kind": "visit_gap", "text": "办公室电话回访核实：近期走访记录不足。"})
    att = attach_generated("recall", case.id, "组织部意见函.docx", _opinion_docx(case), actor=office,
                           note="组织部书面意见")
    db.session.flush()
    rules.transition(office, case.id, "consult", {"consulted_on": today.isoformat(), "file": str(att.id),
                                                  "opinion": "同意调整，请做好工作交接。"})
    rules.transition(office, case.id, "submit", {"note": "请主任审批。"})
    # an open request from another enterprise (officer08's first), and two service periods ending soon
    other = db.session.scalar(select(Assignment).where(Assignment.officer_id == _officer("officer08").id,
                                                       Assignment.role == "chief", Assignment.is_current)
                              .order_by(Assignment.enterprise_id).limit(1)) if _officer("officer08") else None
    if other is not None:
        uid = db.session.scalar(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == other.enterprise_id))
        if uid is not None:
            triggers.file_request(db.session.get(sm.user_model, uid), "服务官更换频繁，希望安排熟悉我们行业的服务官。")
    for offset, a in zip((10, 20), db.session.scalars(select(Assignment).where(
            Assignment.is_current, Assignment.role == "liaison").order_by(Assignment.id).limit(2))):
        db.session.add(ServiceTerm(assignment_id=a.id, term_end=today + timedelta(days=offset), note="首期服务期限",
                                   updated_by_id=office.id, updated_at=clock.utcnow()))
    db.session.flush()
    return 1
