"""Demo policies (all through app.policies.rules / .deliveries, as any user would): five policies (one
past its 失效日期), seven items with different eligibility and cash-out modes — one window closing within
five working days, so the sweep alerts —, enterprise sizes, deliveries to the enterprises of the first
officers (some from visits, some confirmed), one application paid on time and one stalled cash-out."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import clock, workdays
from ..extensions import db
from ..models import Assignment, Department, Enterprise, EnterpriseUser, Officer, Visit
from . import deliveries, rules
from .models import Policy

SIZE_BY_CATEGORY = {"重点项目": "large", "规上工业": "medium", "四上企业": "small", "高新技术企业": "small",
                    "专精特新": "small", "其他": "micro"}

POLICIES = [
    ({"title": "示范区支持先进制造业高质量发展的若干政策", "doc_number": "示范区管〔2026〕12号",
      "issuer": "焦作市城乡一体化示范区管委会", "level": "district", "days_ago": 120, "valid_years": 3,
      "summary": "支持制造业企业技术改造、首次升规和智能化改造。",
      "interpretation": "一、技术改造设备补助按设备投资额的10%给予补助，单个企业最高200万元。\n二、首次纳入规上统计的工业企业给予一次性奖励10万元，无需申请。"},
     [{"name": "技术改造设备补助", "benefit": "按设备投资额的10%给予补助，单个企业最高200万元。", "industries": "装备制造、汽车零部件、新材料",
       "categories": "规上工业", "cash_mode": "apply", "window": (-40, 3), "cash_days": 20, "department": "区工信局",
       "contact": "区工信局企业科", "phone": "0391-3560017", "target_desc": "上一年度设备投资额500万元以上。"},
      {"name": "首次升规工业企业奖励", "benefit": "首次纳入规上统计的工业企业一次性奖励10万元。", "categories": "规上工业",
       "cash_mode": "auto", "cash_days": 30, "department": "区工信局", "contact": "区工信局企业科", "phone": "0391-3560017"}]),
    ({"title": "焦作市促进专精特新中小企业发展若干措施", "doc_number": "焦政办〔2025〕30号", "issuer": "焦作市人民政府办公室",
      "level": "city", "days_ago": 300, "valid_years": 3, "summary": "对新认定的专精特新中小企业给予奖励。",
      "interpretation": "新认定为省级专精特新中小企业的，一次性奖励20万元；即申即享，材料齐全当场受理。"},
     [{"name": "专精特新企业认定奖励", "benefit": "新认定的省级专精特新中小企业一次性奖励20万元。", "categories": "专精特新、高新技术企业",
       "sizes": "小型、中型", "cash_mode": "instant", "window": (-60, 40), "cash_days": 15, "department": "区工信局",
       "contact": "区工信局中小企业科", "phone": "0391-3560017"}]),
    ({"title": "河南省稳岗扩就业若干政策措施", "doc_number": "豫政〔2025〕8号", "issuer": "河南省人民政府",
      "level": "province", "days_ago": 200, "valid_years": 2, "summary": "对吸纳就业的企业给予一次性扩岗补助。",
      "interpretation": "企业招用毕业年度高校毕业生并缴纳失业保险3个月以上的，按每人1500元给予一次性扩岗补助，免申即享。"},
     [{"name": "一次性扩岗补助", "benefit": "每招用1名高校毕业生补助1500元。", "cash_mode": "auto", "window": (-100, 60),
       "cash_days": 30, "department": "区人社局", "contact": "区人社局就业科", "phone": "0391-3560102"}]),
    ({"title": "示范区重点项目建设服务保障办法", "doc_number": "示范区管〔2026〕5号", "issuer": "焦作市城乡一体化示范区管委会",
      "level": "district", "days_ago": 90, "valid_years": 2, "summary": "重点项目前期费用补助和要素保障。",
      "interpretation": "列入区级重点项目的，对项目前期规划、环评等费用按50%给予补助。"},
     [{"name": "重点项目前期费用补助", "benefit": "前期规划、环评等费用按50%补助，最高50万元。", "categories": "重点项目",
       "cash_mode": "apply", "window": (-30, 25), "cash_days": 20, "department": "区发改委",
       "contact": "区发改委项目科", "phone": "0391-3560000"},
      {"name": "研发费用加计扣除辅导", "benefit": "研发费用按100%加计扣除，税务部门上门辅导。", "industries": "电子信息、生物医药、新能源",
       "cash_mode": "auto", "department": "区税务局", "contact": "区税务局纳税服务科", "phone": "0391-3560119"}]),
    ({"title": "示范区2024年度企业纾困若干措施", "doc_number": "示范区管〔2024〕20号", "issuer": "焦作市城乡一体化示范区管委会",
      "level": "district", "days_ago": 700, "valid_years": 1, "summary": "2024年度阶段性纾困措施（已到期）。",
      "interpretation": "执行期至2025年底。"},
     [{"name": "2024年度房租减免补贴", "benefit": "小微企业房租补贴。", "sizes": "小型、微型", "cash_mode": "apply",
       "cash_days": 20, "department": "区财政局", "contact": "区财政局", "phone": "0391-3560300"}]),
]


def _user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _dept(name):
    return db.session.scalar(select(Department.id).where(Department.name == name)) or \
        db.session.scalar(select(Department.id).where(Department.name == "区工信局"))


def seed():
    if db.session.scalar(select(Policy.id).limit(1)) is not None:
        return
    office = _user("office")
    if office is None:
        return
    today = clock.today()
    for ent in db.session.scalars(select(Enterprise).order_by(Enterprise.id)):
        if ent.category in SIZE_BY_CATEGORY:
            rules.set_size(office, ent.id, SIZE_BY_CATEGORY[ent.category])
    items = {}
    for pdata, item_list in POLICIES:
        data = dict(pdata)
        days_ago, years = data.pop("days_ago"), data.pop("valid_years")
        issued = today - timedelta(days=days_ago)
        data.update(issued_on=issued, published_on=issued + timedelta(days=3), effective_from=issued + timedelta(days=3),
                    effective_to=issued.replace(year=issued.year + years) - timedelta(days=1))
        policy = rules.create_policy(office, data)
        for idata in item_list:
            values = dict(idata)
            window = values.pop("window", None)
            if window:
                values["window_open"] = today + timedelta(days=window[0])
                values["window_close"] = workdays.add_workdays(today, window[1]) if window[1] < 10 \
                    else today + timedelta(days=window[1])
            values["department"] = _dept(values["department"])
            items[values["name"]] = rules.create_item(office, policy.id, values)
    db.session.flush()
    _deliveries(office, items, today)


def _served(username):
    user = _user(username)
    officer = db.session.scalar(select(Officer).where(Officer.user_id == user.id)) if user else None
    if officer is None:
        return []
    return list(db.session.scalars(select(Assignment.enterprise_id).where(
        Assignment.officer_id == officer.id, Assignment.is_current).order_by(Assignment.enterprise_id)))


def _deliveries(office, items, today):
    """officer02's and officer03's enterprises are told most of what applies; officer01 leaves a gap
    (its 应知未知 list), ent01's company has one delivery to confirm; one paid application, one stalled."""
    ent01 = db.session.scalar(select(EnterpriseUser.enterprise_id).where(
        EnterpriseUser.user_id == _user("ent01").id)) if _user("ent01") else None
    for username, share in (("officer02", 1.0), ("officer03", 1.0), ("officer01", 0.34)):
        user = _user(username)
        for ent_id in _served(username):
            pairs = deliveries.items_for_enterprise(ent_id, today)
            todo = [item.id for item, told in pairs if not told]
            todo = todo[:max(1, int(len(todo) * share))] if todo and ent_id != ent01 else todo[:1]
            if not todo:
                continue
            visit = db.session.scalar(select(Visit).where(Visit.enterprise_id == ent_id, Visit.topics.like("%政策宣传%"))
                                      .order_by(Visit.visit_date.desc()).limit(1))
            actor = user if user is not None and deliveries.may_deliver(user, ent_id) else office
            values = {"items": todo, "channel": "visit", "explained": "1", "note": "走访时当面解读。"}
            if visit is not None and deliveries.may_deliver(actor, ent_id):
                values["visit"] = visit.id
            else:
                values.update(enterprise=ent_id, delivered_on=(today - timedelta(days=7)).isoformat(), channel="paper")
            made = deliveries.record(actor, values)
            if ent_id != ent01 and made:  # 有意申报 on an item one applies for (免申即享 has no application)
                target = next((d for d in made if "apply" in deliveries.interests_for(d.item)), None)
                _confirm(ent_id, (target or made[0]).id, "apply" if target else None)
    _uptake(office, items, today)


def _confirm(ent_id, delivery_id, interest):
    login = db.session.scalar(select(EnterpriseUser.user_id).where(EnterpriseUser.enterprise_id == ent_id))
    if login:
        deliveries.confirm(current_app.appbuilder.sm.get_user_by_id(login), delivery_id, interest)


def _uptake(office, items, today):
    from .models import PolicyDelivery, PolicyUptake

    rows = [r for r in db.session.scalars(select(PolicyUptake).order_by(PolicyUptake.id)) if r.item.cash_days]
    for n, row in enumerate(rows[:2]):
        delivery = db.session.scalar(select(PolicyDelivery.id).where(
            PolicyDelivery.item_id == row.item_id, PolicyDelivery.enterprise_id == row.enterprise_id).limit(1))
        start = today - timedelta(days=70 if n else 40)
        deliveries.uptake_step(office, delivery, "apply", {"applied_on": start.isoformat()})
        deliveries.uptake_step(office, delivery, "accept", {"accepted_on": (start + timedelta(days=5)).isoformat()})
        if n == 0:  # paid inside the limit
            deliveries.uptake_step(office, delivery, "pay", {"paid_on": (start + timedelta(days=12)).isoformat(),
                                                             "amount": "100000"})
        # the second stays 已受理 past its limit: a stalled cash-out the officer can turn into a problem
