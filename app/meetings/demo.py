"""Demo meetings, built through app.meetings.rules like every other: one published consultation
meeting on the problems the ledger escalated (with decisions, one of them reported by its unit)
and one director-level meeting in draft on the first of them (the ladder satisfied by the first)."""
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Department, DepartmentUser, Issue
from . import decisions, rules
from .models import Meeting

CONVENED_UNITS = ("区发改委", "区工信局", "区工商联")  # 六(二): the office convenes these


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute))


def _unit_user(department_id):
    user_id = db.session.scalar(select(DepartmentUser.user_id).where(DepartmentUser.department_id == department_id))
    return current_app.appbuilder.sm.get_user_by_id(user_id) if user_id else None


def _consultation(office, director, issues, units, today):
    held = today - timedelta(days=3)
    with clock.at(_at(today - timedelta(days=6), 10)):
        meeting = rules.create_meeting(office, "consultation", "企业问题部门会商会议（第一次）", _at(held, 9, 30),
                                       place="示范区管委会三楼会议室")
    act = lambda name, **p: rules.transition(director if name == "sign" else office, meeting.id, name, p)  # noqa: E731
    with clock.at(_at(today - timedelta(days=6), 11)):
        for issue in issues:
            act("add_topic", issue=issue.id, background=issue.description,
                coordination="已转办牵头单位办理，涉及多个部门职责，单一部门难以解决。",
                proposal="建议由牵头单位会同有关部门提出解决方案，明确时限。")
        leads = {i.lead_department_id for i in issues}
        for unit in units:
            act("add_participant", department=unit.id)
        for dept_id in sorted(leads - {u.id for u in units}):
            act("add_participant", department=dept_id)
        act("add_participant", enterprise=issues[0].enterprise_id, person="企业负责人")
        if issues[0].officer_id:
            act("add_participant", officer=issues[0].officer_id)
    with clock.at(_at(today - timedelta(days=5), 9)):
        act("notify", note="已电话及书面通知各参会单位。")
    with clock.at(_at(held, 11, 30)):
        act("hold")
        absent = next(p for p in meeting.participants if p.department_id == units[-1].id)
        act("set_attendance", participant=absent.id, attendance="leave")
        act("edit", overview="会议听取了牵头单位关于问题办理情况的汇报，与会单位逐项会商，明确了解决路径和责任分工。\n"
                                          "会议要求各牵头单位主动对接企业，按时限报告办理结果。")
        for issue in issues:
            act("add_decision", issue=issue.id, department=issue.lead_department_id,
                co_departments=[units[0].id] if issue.lead_department_id != units[0].id else [],
                text=f"由牵头单位会同配合单位解决“{issue.title}”问题，并将办理结果书面报告首席服务官办公室。",
                feedback_cycle="weekly")
        act("submit_minutes")
    with clock.at(_at(today - timedelta(days=2), 10)):
        act("sign")
    with clock.at(_at(today - timedelta(days=1), 9)):
        act("publish")
    first = meeting.decisions[0]
    unit_user = _unit_user(first.lead_department_id)
    if unit_user is not None:
        with clock.at(_at(today - timedelta(days=1), 15)):
            decisions.transition(unit_user, first.id, "report", {"text": "已与企业对接并形成初步方案，正在推进。"})
    return meeting


def _director_draft(office, director, issue, units, today):
    with clock.at(_at(today - timedelta(days=1), 16)):
        meeting = rules.create_meeting(office, "director", "重大问题会商办公会议（第一次）",
                                       _at(today + timedelta(days=3), 15), place="示范区管委会一楼会议室")
        rules.transition(office, meeting.id, "add_topic", {
            "issue": issue.id, "background": issue.description,
            "coordination": "经部门会商，问题仍未彻底解决，需主任召集会商。",
            "proposal": "建议明确牵头单位和完成时限，必要时报请领导小组研究。"})
        for unit in units[:2]:
            rules.transition(office, meeting.id, "add_participant", {"department": unit.id})
    return meeting


def seed_meetings():
    """Idempotent: nothing when a meeting exists or the ledger escalated nothing."""
    if db.session.scalar(select(func.count()).select_from(Meeting)):
        return 0
    sm = current_app.appbuilder.sm
    office, director = sm.find_user(username="office"), sm.find_user(username="director")
    issues = db.session.scalars(select(Issue).where(Issue.escalation.isnot(None), Issue.lead_department_id.isnot(None))
                                .order_by(Issue.id)).all()
    units = [db.session.scalar(select(Department).where(Department.name == n)) for n in CONVENED_UNITS]
    if office is None or director is None or not issues or None in units:
        return 0
    today = clock.today()
    _consultation(office, director, issues, units, today)
    _director_draft(office, director, issues[0], units, today)
    db.session.flush()
    return 2
