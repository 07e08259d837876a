"""The demo district: 31 key enterprises, their officers, departments, visits and one login per role.

Idempotent: rows are found by name before they are created; running it again adds nothing and
resets the demo logins to the printed password.
"""
import random
import secrets
import string
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from . import clock, db
from .accounts import create_login
from .models import Assignment, Department, DepartmentUser, Enterprise, EnterpriseUser, Officer, Visit
from .meetings import demo as meeting_demo
from .notices import demo as notice_demo
from .roles import sync_roles
from .security import password_complexity
from .validation import CREDIT_CHARSET, credit_check_char
from .vocab import ADMIN, DEPARTMENT, DIRECTOR, ENTERPRISE, LEADER, OFFICE, OFFICER

SUBDISTRICTS = ["文苑街道", "文昌街道", "李万街道", "阳庙镇", "宁郭镇", "苏家作乡"]
ENTERPRISES = [
    ("焦作市恒达精密机械有限公司", "装备制造", "规上工业"),
    ("焦作瑞丰新材料股份有限公司", "新材料", "规上工业"),
    ("焦作市华鑫汽车零部件有限公司", "汽车零部件", "规上工业"),
    ("河南怀庄食品科技有限公司", "食品加工", "四上企业"),
    ("焦作康元生物制药有限公司", "生物医药", "高新技术企业"),
    ("焦作市中诚电子科技有限公司", "电子信息", "专精特新"),
    ("焦作安达现代物流有限公司", "现代物流", "四上企业"),
    ("焦作市光源新能源科技有限公司", "新能源", "重点项目"),
    ("焦作市太行液压机械有限公司", "装备制造", "规上工业"),
    ("焦作鼎盛铝业有限公司", "新材料", "规上工业"),
    ("焦作市东方制动器有限公司", "汽车零部件", "专精特新"),
    ("焦作怀药堂健康产业有限公司", "生物医药", "四上企业"),
    ("焦作市金穗面业有限公司", "食品加工", "规上工业"),
    ("焦作市云智信息技术有限公司", "电子信息", "高新技术企业"),
    ("焦作中原冷链物流有限公司", "现代物流", "重点项目"),
    ("焦作市绿能储能科技有限公司", "新能源", "重点项目"),
    ("焦作市宏图重型机械有限公司", "装备制造", "规上工业"),
    ("焦作市晶石碳材料有限公司", "新材料", "专精特新"),
    ("焦作市通达轮毂制造有限公司", "汽车零部件", "规上工业"),
    ("焦作市山阳乳业有限公司", "食品加工", "四上企业"),
    ("焦作百草园药业有限公司", "生物医药", "规上工业"),
    ("焦作市芯联微电子有限公司", "电子信息", "重点项目"),
    ("焦作市示范区恒通仓储有限公司", "现代物流", "四上企业"),
    ("焦作市阳光光伏材料有限公司", "新能源", "高新技术企业"),
    ("焦作市博奥智能装备有限公司", "装备制造", "专精特新"),
    ("焦作市宝龙耐火材料有限公司", "新材料", "规上工业"),
    ("焦作市锐驰新能源汽车配件有限公司", "汽车零部件", "重点项目"),
    ("焦作市天禾粮油有限公司", "食品加工", "规上工业"),
    ("焦作市健康源医疗器械有限公司", "生物医药", "高新技术企业"),
    ("焦作市数联云计算有限公司", "电子信息", "四上企业"),
    ("焦作市氢能动力科技有限公司", "新能源", "重点项目"),
]
CHIEFS = [
    ("张建国", "区党工委", "副书记"), ("李红梅", "区管委会", "副主任"), ("王志强", "区发改委", "主任"),
    ("赵文斌", "区工信局", "局长"), ("刘海涛", "区财政局", "局长"), ("陈晓东", "区自然资源局", "局长"),
    ("杨丽", "区住建局", "局长"), ("周明", "区人社局", "局长"), ("吴伟", "区市场监管局", "局长"),
    ("郑光辉", "区商务局", "局长"), ("孙立新", "区应急管理局", "局长"), ("马俊峰", "区生态环境分局", "局长"),
]
LIAISON_NAMES = [
    "胡晓燕", "郭鹏", "何静", "高磊", "林涛", "罗娟", "梁超", "宋佳", "谢勇", "韩雪", "唐亮", "冯敏",
    "于洋", "董强", "萧然", "程琳",
]
DEPARTMENTS = [
    ("区发改委", "区直部门"), ("区工信局", "区直部门"), ("区工商联", "区直部门"),
    ("区自然资源局", "区直部门"), ("区住建局", "区直部门"), ("区人社局", "区直部门"),
    ("区市场监管局", "区直部门"), ("区税务局", "驻区机构"), ("示范区供电公司", "驻区机构"),
    ("文昌街道办事处", "街道"), ("李万街道办事处", "街道"),
]
SUMMARIES = [
    "了解企业生产经营情况，宣传解读最新惠企政策。",
    "走访车间，收集企业用工和融资方面的困难。",
    "反馈前期问题协调进展，企业表示认可。",
    "指导企业党建工作，座谈交流下一步发展计划。",
    "协助企业准备项目审批材料，约定代办时间。",
]
TOPICS = ["党建指导", "政策宣传", "问题收集", "进展反馈", "代办"]


def credit_code(rng):
    body = "91410800" + "".join(rng.choice(CREDIT_CHARSET) for _ in range(9))
    return body + credit_check_char(body)


def random_password():
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "Cso-" + "".join(secrets.choice(alphabet) for _ in range(10))
        try:
            password_complexity(pw)
            return pw
        except Exception:  # noqa: BLE001 — try another
            continue


def _get_or_create(model, lookup, **values):
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        db.session.flush()
    return row


def _login(username, role_name, password, first, last, email, **links):
    """A demo login, made by :func:`app.accounts.create_login` like every other one; run again,
    it gets the printed password back. Demo logins share that published password, so they are the
    one kind of login created without the first-login password change."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        return create_login(username, role_name, password, first_name=first, last_name=last, email=email,
                            must_change_password=False, commit=False, **links)
    sm.reset_password(user.id, password)
    user.roles = [sm.find_role(role_name)]
    user.active = True
    return user


def seed(password=None):
    """Create (or complete) the demo district. Returns (password, [(username, role, who)]). Nothing it
    writes is dated after the moment it runs (seeded at dawn, today's office hours have not come yet)."""
    with clock.no_later_than(clock.now() - timedelta(minutes=1)):
        return _seed(password)


def _seed(password):
    password_complexity(password) if password else None
    password = password or random_password()
    sync_roles()
    rng = random.Random(2020)
    departments, enterprises = _seed_units(rng)
    chiefs, liaisons, chief_of = _seed_officers(rng, enterprises)
    _seed_visits(rng, enterprises, chief_of, liaisons)
    logins = _seed_logins(password, chiefs, departments, enterprises)
    seed_issues(rng, enterprises, departments, {e.id: chief_of[e.id].user for e in enterprises})
    seed_duties(rng, chiefs)
    notice_demo.seed_notices()  # a few 交办通知单 in different states (app/notices/demo.py)
    meeting_demo.seed_meetings()  # two meetings in different states (app/meetings/demo.py)
    from . import policies, proxy, recall, surveys, assessments, notifications  # each feature's demo rows
    for feature in (surveys, policies, proxy, assessments, recall, notifications):  # notifications last
        feature.seed_demo()
    db.session.commit()
    return password, logins


def _seed_units(rng):
    departments = [_get_or_create(Department, {"name": n}, kind=k, contact=f"{n}联络员",
                                  phone=f"0391-35{60000 + i * 17:05d}") for i, (n, k) in enumerate(DEPARTMENTS)]
    enterprises = []
    for i, (name, industry, category) in enumerate(ENTERPRISES):
        code = credit_code(rng)
        ent = db.session.scalar(select(Enterprise).where(Enterprise.name == name))
        if ent is None:
            ent = Enterprise(
                name=name, credit_code=code, subdistrict=SUBDISTRICTS[i % len(SUBDISTRICTS)],
                industry=industry, category=category, address=f"焦作市城乡一体化示范区{SUBDISTRICTS[i % 6]}{88 + i}号",
                legal_rep=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["国强", "建华", "秀英", "志刚", "海燕", "文博"]),
                contact=rng.choice("王李张刘陈杨") + "经理", phone=f"13{rng.randint(5, 9)}{rng.randint(10000000, 99999999)}",
            )
            db.session.add(ent)
            db.session.flush()
        enterprises.append(ent)
    return departments, enterprises


def _seed_officers(rng, enterprises):
    """12 chiefs (7 with three enterprises, 5 with two = 31) and liaisons with two each."""
    start = clock.today().replace(year=clock.today().year - 1)
    chiefs = [_get_or_create(Officer, {"name": n}, unit=u, title=t, rank="县级",
                             phone=f"139{rng.randint(10000000, 99999999)}") for n, u, t in CHIEFS]
    liaisons = [_get_or_create(Officer, {"name": n}, unit=CHIEFS[i % 12][1], title="科员", rank="科级",
                               phone=f"158{rng.randint(10000000, 99999999)}") for i, n in enumerate(LIAISON_NAMES)]
    chief_of, pos = {}, 0
    for idx, chief in enumerate(chiefs):
        for _ in range(3 if idx < 7 else 2):
            chief_of[enterprises[pos].id] = chief
            pos += 1
    for i, ent in enumerate(enterprises):
        for officer, role in ((chief_of[ent.id], "chief"), (liaisons[i // 2], "liaison")):
            exists = db.session.scalar(select(Assignment.id).where(
                Assignment.enterprise_id == ent.id, Assignment.officer_id == officer.id,
                Assignment.role == role, Assignment.is_current))
            if not exists:
                db.session.add(Assignment(enterprise=ent, officer=officer, role=role, start_date=start, status="active"))
    db.session.flush()
    return chiefs, liaisons, chief_of


def _seed_visits(rng, enterprises, chief_of, liaisons):
    """Seven weeks of visits, some weeks missed (once: a second seed adds none)."""
    today = clock.today()
    demo_ids = [e.id for e in enterprises]
    if db.session.scalar(select(func.count()).select_from(Visit).where(Visit.enterprise_id.in_(demo_ids))):
        return
    for weeks_back in range(6, -1, -1):
        monday = clock.week_start(today) - timedelta(weeks=weeks_back)
        for i, ent in enumerate(enterprises):
            if rng.random() < 0.15:  # some weeks are missed
                continue
            day = monday + timedelta(days=rng.randint(0, 4))
            if day > today:
                continue
            officer = chief_of[ent.id] if rng.random() < 0.6 else liaisons[i // 2]
            db.session.add(Visit(
                enterprise=ent, officer=officer, visit_date=day,
                mode=rng.choice(["onsite", "onsite", "onsite", "phone", "video", "meeting"]),
                topics="、".join(sorted(rng.sample(TOPICS, 2), key=TOPICS.index)),
                summary=rng.choice(SUMMARIES),
            ))
    db.session.flush()


def _seed_logins(password, chiefs, departments, enterprises):
    logins = []

    def login(username, role, who, first, last, **links):
        user = _login(username, role, password, first, last, f"{username}@cso.example", **links)
        logins.append((username, role, who))
        return user

    login("admin", ADMIN, "系统管理员", "系统", "管理员")
    login("office", OFFICE, "首席服务官办公室", "办公室", "工作人员")
    login("director", DIRECTOR, "办公室主任", "办公室", "主任")
    login("leader", LEADER, "领导小组成员", "领导小组", "成员")
    for i, chief in enumerate(chiefs, start=1):
        user = login(f"officer{i:02d}", OFFICER, f"首席服务官 {chief.name}", chief.name[0], chief.name[1:],
                     officer=None if chief.user_id else chief)
        chief.user_id = user.id
    for i, dept in enumerate(departments, start=1):
        user = login(f"dept{i:02d}", DEPARTMENT, f"责任单位 {dept.name}", dept.name, "联络员", department_id=dept.id)
        _get_or_create(DepartmentUser, {"user_id": user.id}, department_id=dept.id)
    for i, ent in enumerate(enterprises, start=1):
        user = login(f"ent{i:02d}", ENTERPRISE, f"企业 {ent.name}", None, None, enterprise_id=ent.id)  # shown as the enterprise
        _get_or_create(EnterpriseUser, {"user_id": user.id}, enterprise_id=ent.id)
    db.session.flush()
    return logins


ISSUE_TEXTS = [
    ("融资信贷", "流动资金贷款到期续贷困难", "企业一笔2000万元流动资金贷款下月到期，银行要求追加抵押，希望协调续贷。"),
    ("用地规划", "二期厂房用地规划调整", "二期扩建项目用地规划条件需调整容积率，请求协调自然资源部门。"),
    ("用工人才", "技术工人招聘难", "数控、焊接等技术工人缺口约50人，希望人社部门组织专场招聘。"),
    ("审批手续", "环评批复办理进度慢", "新建生产线环评报告已提交一个月，批复尚未下达。"),
    ("水电气暖", "双回路供电改造", "生产线需要双回路供电保障，申请供电公司尽快施工。"),
    ("政策兑现", "技改奖补资金未到位", "去年技术改造项目奖补资金至今未拨付。"),
    ("基础设施配套", "厂区门前道路破损", "厂区门前道路破损严重，雨天积水影响货车通行。"),
    ("安全环保", "危废处置渠道不畅", "企业产生的危险废物处置单位少、价格高，请求协调。"),
    ("市场产销", "产品进入政府采购目录", "企业希望产品纳入本地政府采购推荐目录。"),
    ("法律纠纷", "合同纠纷执行难", "与外地客户的合同纠纷已胜诉，但执行困难。"),
    ("政策咨询", "高新技术企业认定政策咨询", "咨询高新技术企业认定条件和申报时间。"),
    ("其他", "员工子女入学", "引进的技术骨干子女入学需协调教育部门。"),
]

# (final state, how many): every state and tier of the ledger shows up in the demo
ISSUE_PLAN = [
    ("new", 5), ("accepted", 4), ("returned", 1), ("assigned", 6), ("in_progress", 14),
    ("in_progress_extended", 1), ("in_progress_pending", 1), ("escalated", 2), ("resolved", 6),
    ("closed", 14), ("closed_reworked", 1), ("officer_closed", 2), ("unable", 1), ("void", 2),
]


def seed_issues(rng, enterprises, departments, chiefs_by_ent):
    """About 60 problems across every status and tier, each built through app.ledger at dates in
    the past so its deadlines and history agree with its dates."""
    from datetime import datetime, time

    from . import ledger
    from .models import Issue

    if db.session.scalar(select(func.count()).select_from(Issue)):
        return 0
    sm = current_app.appbuilder.sm
    office = sm.find_user(username="office")
    director = sm.find_user(username="director")
    dept_users = {d.id: sm.find_user(username=f"dept{i:02d}") for i, d in enumerate(departments, start=1)}
    ent_users = {e.id: sm.find_user(username=f"ent{i:02d}") for i, e in enumerate(enterprises, start=1)}
    today = clock.today()
    made = 0
    for state, count in ISSUE_PLAN:
        for _ in range(count):
            ent = enterprises[(made * 7) % len(enterprises)]
            cat, title, text = ISSUE_TEXTS[made % len(ISSUE_TEXTS)]
            officer_user = chiefs_by_ent[ent.id]
            # older problems for the states that take longer; "overdue" ones are old on purpose
            age = {"new": rng.randint(0, 2), "accepted": rng.randint(1, 4), "assigned": rng.randint(2, 8),
                   "resolved": rng.randint(10, 25)}.get(state.split("_")[0], rng.choice([1, 2, 3, 5, 8, 13, 21, 34]))
            received = today - timedelta(days=age)
            moment = [datetime.combine(received, time(9, 30))]

            def step(who, action, days=0, **params):
                moment[0] = min(moment[0] + timedelta(days=days, hours=2), datetime.combine(today, time(8, 0)))
                with clock.at(moment[0]):
                    ledger.transition(who, issue.id, action, params)

            lead = departments[made % 9]
            co = departments[(made + 3) % 9]
            with clock.at(moment[0]):
                issue = ledger.create_issue(
                    ent_users[ent.id] if made % 5 == 0 else officer_user, ent.id, title, text,
                    category=cat, received_on=received, level="major" if made % 11 == 0 else None)
            _walk(state, step, rng, made, cat, today, office=office, director=director, lead=lead, co=co,
                  dept=dept_users[lead.id], ent=ent_users[ent.id], officer=officer_user)
            made += 1
    db.session.flush()
    return made


def _walk(state, step, rng, made, cat, today, office, director, lead, co, dept, ent, officer):
    """Take one demo problem to ``state`` through the ledger's own actions (``step``)."""
    if state == "void":
        step(office, "void", reason="与已登记问题重复")
    elif state == "officer_closed":
        step(officer, "resolve", 1, result="经首席服务官协调，当场答复企业政策口径。")
        step(ent, "confirm", 1, satisfaction="satisfied")
        step(office, "close", 1)
    elif state != "new":
        step(office, "accept", 0, category=cat, triage_class="complex" if made % 3 else "simple")
        if state == "returned":
            step(office, "assign", 1, department=lead.id)
            step(dept, "return", 1, reason="该事项不属于本单位职责，建议转交相关单位。")
        elif state == "escalated":
            step(office, "assign", 1, department=lead.id, co_departments=[co.id])
            step(dept, "acknowledge", 1)
            step(office, "escalate", 2, level="consultation", note="涉及多部门，提请会商。")
        elif state != "accepted":
            step(office, "assign", rng.choice([0, 1, 2]), department=lead.id,
                 co_departments=[co.id] if made % 2 else [])
            if state != "assigned":
                step(dept, "acknowledge", rng.choice([0, 1]))
                step(dept, "progress", rng.randint(1, 3), note="已与企业对接，正在办理。")
            if state == "in_progress_extended":
                step(dept, "request_extension", 1, new_due=str(today + timedelta(days=20)),
                     reason="需报市级部门审批。")
                step(office, "approve_extension", 1)
            if state == "in_progress_pending":
                step(dept, "request_extension", 1, new_due=str(today + timedelta(days=15)),
                     reason="等待第三方评估报告。")
            if state in ("resolved", "closed", "closed_reworked", "unable"):
                if state == "unable":
                    step(dept, "declare_unable", 2, reason="现行政策不允许。")
                    step(director, "approve_unable", 1)
                else:
                    step(dept, "resolve", rng.randint(1, 4), result="已协调解决，企业已知晓。")
            if state == "closed_reworked":
                step(ent, "confirm", 1, satisfaction="dissatisfied")
                step(dept, "resolve", 2, result="重新办理，问题已彻底解决。")
            if state in ("closed", "closed_reworked"):
                if made % 2:
                    step(ent, "confirm", 1, satisfaction=rng.choice(["satisfied", "basically_satisfied"]))
                else:
                    step(office, "confirm", 1, satisfaction="satisfied", note="电话回访，企业表示满意。")
                step(office, "close", 1)


def seed_duties(rng, chiefs):
    """Three past weeks of weekly reports per chief officer — most on time, some late, some still
    missing — so that the first sweep and the first bulletin have something to say."""
    from datetime import datetime, time

    from . import duties
    from .models import Report
    from .settings import get_policy

    if db.session.scalar(select(func.count()).select_from(Report)):
        return 0
    policy = get_policy()
    today = clock.today()
    made = 0
    for weeks_back in (3, 2, 1):
        day = today - timedelta(weeks=weeks_back)
        start, end, due = duties.weekly_period(day, policy)
        for i, chief in enumerate(chiefs):
            report = Report(officer_id=chief.id, kind="weekly", period_start=start, period_end=end, due_on=due,
                            status="draft", content=duties.draft_content(chief, start, end))
            db.session.add(report)
            db.session.flush()
            made += 1
            fate = (i + weeks_back) % 6
            if fate == 0 or chief.user is None:
                continue  # still missing (漏报)
            late = fate == 1
            when = datetime.combine(due + timedelta(days=2 if late else -1), time(16, 0))
            with clock.at(when):
                duties.submit_report(chief.user, report.id, "下周继续走访包联企业，跟进已收集问题的办理进展。")
    with clock.at(datetime.combine(today, time(9, 0))):
        duties.ensure_reports(today)
        duties.record_lapses(today)
    db.session.flush()
    return made
