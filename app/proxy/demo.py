"""Demo 代办: a catalogue of service items at the district's departments and four cases built through
app.proxy.rules as the right people at the right moments: one just booked by ent01's enterprise, one
scheduled with materials missing (一次性告知), one in progress with a step past its statutory limit,
and one delivered (两不见面). Idempotent: nothing is added once the catalogue exists."""
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from .. import clock, workdays
from ..extensions import db
from ..models import Department, EnterpriseUser
from . import catalogue, rules
from .models import ProxyCase, ServiceItem

CATALOGUE = [  # name, department, limit, kind, materials
    ("企业投资项目备案", "区发改委", 3, "working", "项目备案申请表\n企业营业执照\n项目基本情况说明"),
    ("建设用地规划许可证核发", "区自然资源局", 20, "working", "建设用地规划许可申请表\n用地批准文件\n建设项目总平面图"),
    ("建设工程规划许可证核发", "区自然资源局", 20, "working", "建设工程规划许可申请表\n设计方案总平面图\n土地权属证明"),
    ("建筑工程施工许可证核发", "区住建局", 7, "working", "施工许可申请表\n施工合同\n安全生产条件材料"),
    ("新增用电报装", "示范区供电公司", 15, "calendar", "用电申请书\n用电设备清单\n产权证明"),
    ("企业变更登记", "区市场监管局", 3, "working", "变更登记申请书\n股东会决议\n章程修正案"),
]


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute))


def _user(username):
    return current_app.appbuilder.sm.find_user(username=username)


def _ent_user(enterprise_id):
    user_id = db.session.scalar(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == enterprise_id))
    return current_app.appbuilder.sm.get_user_by_id(user_id) if user_id else None


def _officer_user(case):
    return current_app.appbuilder.sm.get_user_by_id(case.officer.user_id) if case.officer.user_id else None


def _seed_catalogue(office):
    by_name = {d.name: d.id for d in db.session.scalars(select(Department))}
    out = []
    for name, dept, limit, kind, materials in CATALOGUE:
        if dept in by_name:
            out.append(catalogue.save_item(office, {"name": name, "department": by_name[dept], "time_limit": limit,
                                                    "limit_kind": kind, "materials": materials}))
    return out


def _book(ent_user, items, title, when, **extra):
    with clock.at(when):
        return rules.create_case(ent_user, {"title": title, "items": [i.id for i in items], **extra})


def seed():
    if db.session.scalar(select(ServiceItem.id).limit(1)) is not None:
        return
    office = _user("office")
    items = _seed_catalogue(office)
    if len(items) < 5:
        return
    ent01 = _user("ent01")
    if ent01 is None:
        return
    today = clock.today()
    start = workdays.add_workdays(today, -12)  # about two and a half working weeks ago

    def act(user, case, name, when, **params):
        with clock.at(when):
            return rules.transition(user, case.id, name, params)

    # 1. delivered: 企业变更登记 + 项目备案, 两不见面
    c1 = _book(ent01, [items[5], items[0]], "增资扩股变更及技改项目备案", _at(start, 9), preferred_times="工作日上午",
               contact="王会计 13803910001")
    officer = _officer_user(c1)
    day1 = workdays.add_workdays(start, 1)
    act(officer, c1, "schedule", _at(start, 10), appointment_at=_at(day1, 9, 30).strftime("%Y-%m-%d %H:%M"),
        mode="visit", place="企业办公楼二楼会议室")
    act(officer, c1, "receive", _at(day1, 11), received=list(range(len(c1.checklist))))
    act(ent01, c1, "authorize", _at(day1, 11, 30), until=(today + timedelta(days=60)).isoformat())
    act(officer, c1, "start", _at(day1, 14))
    for step in c1.steps:
        act(officer, c1, "submit_step", _at(day1, 15), step=step.id, submitted_on=day1.isoformat(),
            acceptance_no=f"SL{day1:%Y%m%d}{step.seq:03d}")
    day3 = workdays.add_workdays(day1, 2)
    for step in c1.steps:
        act(officer, c1, "complete_step", _at(day3, 16), step=step.id, done_on=day3.isoformat(),
            result_no=f"示范区{'备' if step.seq == 2 else '变'}〔{day3.year}〕{10 + step.seq}号")
    act(officer, c1, "finish", _at(day3, 17))
    act(ent01, c1, "confirm_delivery", _at(workdays.add_workdays(day3, 1), 10), met_department="no",
        met_counterparty="no", note="全程未跑腿，感谢。")

    # 2. in progress with a step past its statutory limit (施工许可 7 working days)
    c2 = _book(ent01, [items[3], items[4]], "二期厂房开工前手续", _at(start, 14), preferred_times="尽快",
               contact="李经理 13803910002")
    act(officer, c2, "schedule", _at(start, 15), appointment_at=_at(day1, 15).strftime("%Y-%m-%d %H:%M"), mode="online")
    act(officer, c2, "receive", _at(day1, 16), received=list(range(len(c2.checklist))))
    act(ent01, c2, "authorize", _at(day1, 16, 30), until=(today + timedelta(days=30)).isoformat())
    act(officer, c2, "start", _at(day1, 17))
    for step in c2.steps:
        act(officer, c2, "submit_step", _at(day1, 17, 10), step=step.id, submitted_on=day1.isoformat(),
            acceptance_no=f"SG{day1:%Y%m%d}{step.seq:03d}")
    power = next(s for s in c2.steps if s.item_id == items[4].id)
    act(officer, c2, "complete_step", _at(workdays.add_workdays(day1, 5), 10), step=power.id,
        done_on=workdays.add_workdays(day1, 5).isoformat(), result_no="供电〔2026〕接字88号")
    from .sweep import sweep

    with clock.at(_at(today, 8)):
        sweep(today)  # the permit step is overdue: its department is reminded

    # 3. scheduled, materials missing: told in one go
    c3 = _book(ent01, [items[1]], "三期用地规划许可", _at(today - timedelta(days=1), 10), preferred_times="本周内")
    act(officer, c3, "schedule", _at(today - timedelta(days=1), 11),
        appointment_at=_at(workdays.add_workdays(today, 1), 10).strftime("%Y-%m-%d %H:%M"), mode="window",
        place="示范区政务服务中心代办窗口")
    act(officer, c3, "receive", _at(today - timedelta(days=1), 15), received=[0])
    act(officer, c3, "tell_missing", _at(today - timedelta(days=1), 15, 30))

    # 4. just booked, urgent (特事特办)
    _book(ent01, [items[2]], "重点项目规划许可（急）", _at(today, 8), preferred_times="今晚或周末均可",
          urgent="1", urgent_reason="省重点项目，须在月底前开工", contact="张总 13803910003")
    db.session.flush()
    assert db.session.scalar(select(ProxyCase.id).limit(1)) is not None
