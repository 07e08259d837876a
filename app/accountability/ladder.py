"""The urging ladder (督办) on working days, run by the sweep (seed 六(五); docs/domain.md):

* blue — a notice due within 1 working day: a reminder to the lead unit's users;
* yellow — 1–4 working days overdue, a missed interim feedback or a returned reply (and any
  overdue meeting decision): a 督办单 is drafted for the office (copied to the leaders who chose
  the daily summary as a reminder), and the overdue lapse is recorded;
* red — 5 or more working days overdue: a 通报批评 draft for the director — unless the unit filed a
  情况说明 on or before the due date ("无任何理由" fails), in which case the office is told
  "overdue with explanation" and decides.

Every step is written once (unique keys), so the sweep may run every 15 minutes. Extensions the
director approved have already moved the notice's ``due_on``."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import workdays
from ..extensions import db
from ..gongwen.parts import cn_date  # 2026年12月9日, as the documents write dates (GB/T 9704)
from ..notices.models import Notice
from ..vocab import NOTICE_RUNNING
from .models import Criticism, Lapse, Urge
from .rules import draft_criticism

YELLOW_FROM, RED_FROM = 1, 5  # working days overdue


def _once(row):
    """Insert ``row`` unless its unique key is taken (another sweep, or an earlier run)."""
    exists = db.session.scalar(select(type(row).id).where(type(row).key == row.key))
    if exists:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(row)
        return True
    except IntegrityError:
        return False


def _lead(notice):
    return next((r.department_id for r in notice.recipients if r.role == "lead"), None)


def running_notices():
    return db.session.scalars(select(Notice).where(Notice.status.in_(NOTICE_RUNNING), Notice.due_on.is_not(None))
                              .order_by(Notice.id)).all()


def late_workdays(due_on, today):
    return workdays.workdays_between(due_on, today) if today > due_on else 0


def escalate(today):
    """Draft what today's ladder asks for. Returns {"urges": n, "criticisms": n, "lapses": n}."""
    made = {"urges": 0, "criticisms": 0, "lapses": 0}
    for notice in running_notices():
        lead = _lead(notice)
        late = late_workdays(notice.due_on, today)
        if notice.next_feedback_on and notice.next_feedback_on < today:
            made["urges"] += _urge(notice, lead, "interim", f"{notice.next_feedback_on.isoformat()}",
                                   f"{notice.number}应于{cn_date(notice.next_feedback_on)}前阶段反馈办理进展，至今未反馈。")
        if notice.rework_count and notice.status == "acknowledged":
            made["urges"] += _urge(notice, lead, "rework", str(notice.rework_count),
                                   f"{notice.number}的办理答复已被退回重办（第{notice.rework_count}次），请抓紧重新办理。")
        if late < YELLOW_FROM:
            continue
        made["lapses"] += _once(Lapse(key=f"notice:{notice.id}:overdue:{notice.due_on.isoformat()}", kind="notice_overdue",
                                      department_id=lead, ref_kind="notice", ref_id=notice.id, day=today,
                                      workdays_late=late, note=f"{notice.number}办理时限{notice.due_on.isoformat()}"))
        made["urges"] += _urge(notice, lead, "overdue", notice.due_on.isoformat(),
                               f"{notice.number}办理时限为{cn_date(notice.due_on)}，已逾期{late}个工作日仍未办结。")
        if late >= RED_FROM and not notice.explained_in_time:
            made["criticisms"] += _criticise(notice, lead, late)
    made["urges"] += _decisions(today)
    db.session.flush()
    return made


def _urge(notice, department_id, reason, stamp, text):
    return _once(Urge(key=f"notice:{notice.id}:{reason}:{stamp}", reason=reason, notice_id=notice.id,
                      department_id=department_id, text=text, status="draft"))


def _criticise(notice, department_id, late):
    key = f"notice:{notice.id}:criticism:{notice.due_on.isoformat()}"
    if db.session.scalar(select(Criticism.id).where(Criticism.key == key)):
        return False
    unit = next((r.department.name for r in notice.recipients if r.role == "lead"), "")
    with db.session.begin_nested():
        draft_criticism(None, "notice_overdue", f"关于{unit}交办事项无故逾期未办结的通报批评",
                        f"{notice.number}《{notice.title}》办理时限为{cn_date(notice.due_on)}，"
                        f"{unit}逾期{late}个工作日仍未办结，且未在时限内说明理由。",
                        department_id=department_id, refs={"notice": notice.id}, key=key,
                        explanation=notice.explanation)
    return True


def _decisions(today):
    """Overdue meeting decisions: a lapse of the lead unit and a 督办单 draft, once each."""
    from ..meetings.rules import overdue_decisions

    made = 0
    for decision in overdue_decisions(today):
        late = late_workdays(decision.due_on, today)
        _once(Lapse(key=f"decision:{decision.id}:overdue:{decision.due_on.isoformat()}", kind="decision_overdue",
                    department_id=decision.lead_department_id, ref_kind="decision", ref_id=decision.id, day=today,
                    workdays_late=late, note=decision.text[:200]))
        made += _once(Urge(key=f"decision:{decision.id}:overdue:{decision.due_on.isoformat()}",
                           reason="decision_overdue", decision_id=decision.id,
                           department_id=decision.lead_department_id, status="draft",
                           text=f"会商议定事项“{decision.text[:80]}”完成时限为{cn_date(decision.due_on)}，已逾期{late}个工作日。"))
    return made


def candidates(today, link, department_users, office, leaders):
    """The ladder's reminders for the sweep, in its tuple shape (user, key, kind, type, id, tier, period, text, link)."""
    for notice in running_notices():
        lead = _lead(notice)
        late = late_workdays(notice.due_on, today)
        period = notice.due_on.isoformat()
        page = link(f"/notices/{notice.id}")
        if late == 0 and workdays.workdays_between(today, notice.due_on) <= 1:
            text = f"交办通知单{notice.number}：{notice.title}（时限{notice.due_on:%Y-%m-%d}，即将到期）"
            for user in department_users(lead) if lead else ():
                yield (user, f"notice:{notice.id}:blue:{period}:{user.id}", "notice_blue", "notice", notice.id,
                       "blue", period, text, page)
        elif late >= RED_FROM and notice.explained_in_time:
            text = f"交办通知单{notice.number}逾期{late}个工作日，但责任单位已在时限内提交情况说明，请办公室研判。"
            for user in office:
                yield (user, f"notice:{notice.id}:explained:{period}:{user.id}", "notice_explained", "notice",
                       notice.id, "explained", period, text, page)
    for urge in db.session.scalars(select(Urge).where(Urge.status == "draft")):
        text = f"督办单待发出：{urge.text}"
        for user in [*office, *leaders]:
            yield (user, f"urge:{urge.id}:{user.id}", "urge", "urge", urge.id, "yellow",
                   urge.created_at.date().isoformat(), text, link(f"/urges/{urge.id}"))
    for crit in db.session.scalars(select(Criticism).where(Criticism.status == "draft", Criticism.key.is_not(None))):
        for user in office:
            yield (user, f"criticism:{crit.id}:{user.id}", "criticism", "criticism", crit.id, "red",
                   crit.drafted_at.date().isoformat(), f"通报批评草稿待审定：{crit.title}", link(f"/criticisms/{crit.id}"))


__all__ = ["candidates", "escalate"]
