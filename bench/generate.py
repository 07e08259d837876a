"""Build a province-sized data set for the ledger benchmark.

    .venv/bin/python -m bench.generate --db sqlite:////tmp/cso-bench.db --reset
    .venv/bin/python -m bench.generate --db postgresql+psycopg://postgres@127.0.0.1:5432/cso_bench --reset
    .venv/bin/python -m bench.generate --db sqlite:////tmp/cso-smoke.db --scale 0.01 --reset

The schema comes from the Alembic migrations, then ``app.demo.seed`` makes the roles, the demo
logins (office, director, leader, officer01…, dept01…, ent01…, all with ``--password``) and the demo
district; then, at ``--scale 1``, the generator bulk-loads 10,000 enterprises, 40 departments,
2,000 officers, their assignments, 100,000 visits, 200,000 issues (every status, deadlines worked
out with the app's own 13710 rules so ``due_on`` agrees with the status) with their co-departments
and 1,000,000 issue events. Rows go in with ``executemany`` on SQLite and ``COPY`` on PostgreSQL.

``officer01`` serves 5 enterprises (≈100 issues) and ``dept01``'s department leads ≈5% of the
transferred issues, so their lists are of realistic size.
"""
import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, time as dtime, timedelta
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

PASSWORD = "Bench-Pass-2026"

FULL = {"enterprises": 10_000, "officers": 2_000, "visits": 100_000, "issues": 200_000, "events": 1_000_000}
DEPARTMENT_TOTAL = 40
DEPT01_SHARE = 0.08  # of the transferred issues (≈62% of all) → dept01 leads ≈5% of the ledger

CITIES = ["焦作", "郑州", "洛阳", "新乡", "安阳", "开封", "许昌", "南阳", "商丘", "信阳", "周口", "驻马店",
          "平顶山", "鹤壁", "濮阳", "漯河", "三门峡", "济源"]
BRAND = list("恒达瑞丰华鑫怀庄康元中诚安光源太行鼎盛东方金穗云智通绿能宏图晶石山阳百草芯联博奥宝龙锐驰天禾健数"
             "氢动兴隆昌盛嘉和永泰福润德信合力振宇远航新宇佳美长城明珠正大豪泰汇通")
TRADES = [("精密机械", "装备制造"), ("新材料", "新材料"), ("汽车零部件", "汽车零部件"), ("食品科技", "食品加工"),
          ("生物制药", "生物医药"), ("电子科技", "电子信息"), ("现代物流", "现代物流"), ("新能源科技", "新能源"),
          ("液压机械", "装备制造"), ("铝业", "新材料"), ("制动器", "汽车零部件"), ("健康产业", "生物医药"),
          ("面业", "食品加工"), ("信息技术", "电子信息"), ("冷链物流", "现代物流"), ("储能科技", "新能源"),
          ("重型机械", "装备制造"), ("碳材料", "新材料"), ("轮毂制造", "汽车零部件"), ("乳业", "食品加工"),
          ("药业", "生物医药"), ("微电子", "电子信息"), ("仓储", "现代物流"), ("光伏材料", "新能源"),
          ("智能装备", "装备制造"), ("耐火材料", "新材料"), ("粮油", "食品加工"), ("医疗器械", "生物医药"),
          ("云计算", "电子信息"), ("化工", "新材料"), ("纺织", "其他制造"), ("建材", "新材料")]
FORMS = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
CATEGORIES = ["规上工业", "四上企业", "重点项目", "高新技术企业", "专精特新", "其他"]
COUNTIES = ["解放区", "山阳区", "中站区", "马村区", "示范区", "修武县", "博爱县", "武陟县", "温县", "沁阳市",
            "孟州市", "金水区", "二七区", "中原区", "管城区", "惠济区", "涧西区", "西工区", "老城区", "红旗区"]
TOWNS = ["城关镇", "文苑街道", "文昌街道", "李万街道", "阳庙镇", "宁郭镇", "苏家作乡"]
EXTRA_DEPARTMENTS = [
    ("区教育局", "区直部门"), ("区卫健委", "区直部门"), ("区交通运输局", "区直部门"), ("区水利局", "区直部门"),
    ("区农业农村局", "区直部门"), ("区文化广电和旅游局", "区直部门"), ("区城市管理局", "区直部门"),
    ("区公安分局", "驻区机构"), ("区消防救援大队", "驻区机构"), ("区金融工作局", "区直部门"), ("区科技局", "区直部门"),
    ("区统计局", "区直部门"), ("区审计局", "区直部门"), ("区民政局", "区直部门"), ("区司法局", "区直部门"),
    ("区退役军人事务局", "区直部门"), ("区医疗保障局", "区直部门"), ("区行政审批服务局", "区直部门"),
    ("区城市建设投资公司", "驻区机构"), ("示范区燃气公司", "驻区机构"), ("示范区水务公司", "驻区机构"),
    ("人民银行示范区支行", "驻区机构"), ("区邮政分公司", "驻区机构"), ("区电信分公司", "驻区机构"),
    ("文苑街道办事处", "街道"), ("阳庙镇人民政府", "街道"), ("宁郭镇人民政府", "街道"), ("苏家作乡人民政府", "街道"),
    ("区投资促进局", "区直部门"), ("区财政局", "区直部门"), ("区生态环境分局", "驻区机构"), ("区应急管理局", "区直部门"),
]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建国海燕志刚文博晓东红梅立新俊峰光辉")
UNITS = ["区党工委", "区管委会", "区发改委", "区工信局", "区财政局", "区自然资源局", "区住建局", "区人社局",
         "区市场监管局", "区商务局", "区应急管理局", "区生态环境分局", "区科技局", "区教育局", "区交通运输局"]
SUMMARIES = ["了解企业生产经营情况，宣传解读最新惠企政策。", "走访车间，收集企业用工和融资方面的困难。",
             "反馈前期问题协调进展，企业表示认可。", "指导企业党建工作，座谈交流下一步发展计划。",
             "协助企业准备项目审批材料，约定代办时间。"]
TOPICS = ["党建指导", "政策宣传", "问题收集", "进展反馈", "代办"]
ISSUE_TEXTS = [
    ("流动资金贷款到期续贷困难", "企业一笔流动资金贷款下月到期，银行要求追加抵押，希望协调续贷。"),
    ("二期厂房用地规划调整", "二期扩建项目用地规划条件需调整容积率，请求协调自然资源部门。"),
    ("技术工人招聘难", "数控、焊接等技术工人缺口较大，希望人社部门组织专场招聘。"),
    ("环评批复办理进度慢", "新建生产线环评报告已提交一个月，批复尚未下达。"),
    ("双回路供电改造", "生产线需要双回路供电保障，申请供电公司尽快施工。"),
    ("技改奖补资金未到位", "去年技术改造项目奖补资金至今未拨付。"),
    ("厂区门前道路破损", "厂区门前道路破损严重，雨天积水影响货车通行。"),
    ("危废处置渠道不畅", "企业产生的危险废物处置单位少、价格高，请求协调。"),
    ("产品进入政府采购目录", "企业希望产品纳入本地政府采购推荐目录。"),
    ("合同纠纷执行难", "与外地客户的合同纠纷已胜诉，但执行困难。"),
    ("高新技术企业认定政策咨询", "咨询高新技术企业认定条件和申报时间。"),
    ("员工子女入学", "引进的技术骨干子女入学需协调教育部门。"),
]
PROGRESS_NOTES = ["已与企业对接，正在办理。", "已召开协调会，明确办理路径。", "相关材料已报上级部门审核。",
                  "已现场查看，正在制定方案。", "已与银行对接，等待审批结果。"]
RESOLUTIONS = ["已协调解决，企业已知晓。", "经协调，相关手续已办结。", "资金已拨付到位。", "已现场答复企业政策口径。"]

# final status → share of the ledger (open ≈ 32%)
STATUS_WEIGHTS = {"new": 4, "accepted": 4, "assigned": 6, "in_progress": 18, "resolved": 7, "closed": 52,
                  "unable": 3, "void": 6}
OFFICER_RESOLVED = 0.4  # of resolved/closed: simple questions answered by the officer, never transferred
SOURCES = ["visit", "visit", "visit", "direct", "phone", "superior", "meeting"]


def _internal_actions():
    """The ledger's own list of events hidden from enterprises (its action table)."""
    from app.ledger.rules import ACTIONS, INTERNAL_EVENTS

    return {name for name, a in ACTIONS.items() if a.internal} | INTERNAL_EVENTS

ISSUE_COLS = ("id", "number", "year", "seq", "enterprise_id", "officer_id", "visit_id", "source", "category_id",
              "triage_class", "level", "escalation", "region", "title", "description", "lead_department_id",
              "status", "received_on", "transfer_due", "feedback_due", "resolve_due", "due_on", "assigned_at",
              "acknowledged_at", "first_feedback_at", "resolved_at", "closed_at", "resolution", "satisfaction",
              "rework_count", "pending_due", "pending_reason", "unable_requested", "created_at", "updated_at",
              "created_by_id", "version")
EVENT_COLS = ("id", "issue_id", "at", "actor_id", "actor_name", "action", "from_status", "to_status", "note",
              "changes", "internal")


def log(msg):
    print(msg, flush=True)


# --- bulk loading ----------------------------------------------------------------------------------

class Loader:
    """Executemany (SQLite) or COPY (PostgreSQL) on one raw connection, one transaction."""

    def __init__(self, engine):
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.counts = Counter()
        if self.dialect == "sqlite":
            # store dates the way SQLAlchemy's SQLite types do (its Date/DateTime read them back)
            sqlite3.register_adapter(date, date.isoformat)
            sqlite3.register_adapter(datetime, lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f"))
            cur = self.raw.cursor()
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-200000")
            cur.close()

    def insert(self, table, cols, rows, batch=50_000):
        quoted = ", ".join(f'"{c}"' for c in cols)
        cur = self.raw.cursor()
        n = 0
        if self.dialect == "postgresql":
            with cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" for _ in cols)})'
            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    cur.executemany(sql, chunk)
                    n += len(chunk)
                    chunk = []
            if chunk:
                cur.executemany(sql, chunk)
                n += len(chunk)
        cur.close()
        self.counts[table] += n
        return n

    def execute(self, sql, params=None):
        cur = self.raw.cursor()
        cur.execute(sql, params or ())
        rows = cur.fetchall() if cur.description else None
        cur.close()
        return rows

    def commit(self):
        self.raw.commit()

    def close(self):
        self.raw.close()


def reset_database(engine, url, force):
    from sqlalchemy import inspect, text

    tables = inspect(engine).get_table_names()
    if tables and not force:
        sys.exit(f"{url} already holds {len(tables)} tables; pass --reset to drop everything in it first.")
    if not tables:
        return
    log(f"dropping the {len(tables)} existing tables …")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        path = engine.url.database
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            if path and os.path.exists(path + suffix):
                os.remove(path + suffix)


# --- the generator ---------------------------------------------------------------------------------

class Generator:
    def __init__(self, loader, scale, seed):
        from app import clock
        from app.settings import get_policy

        self.L = loader
        self.rng = random.Random(seed)
        self.scale = scale
        self.today = clock.today()
        self.now = clock.utcnow().replace(microsecond=0)
        self.policy = get_policy()
        self.target = {k: max(1, round(v * scale)) for k, v in FULL.items()}

    def next_id(self, table):
        return (self.L.execute(f'SELECT max(id) FROM "{table}"')[0][0] or 0) + 1

    # -- people and places --

    def lookups(self):
        L = self.L
        users = dict(L.execute("SELECT username, id FROM ab_user"))
        self.office = (users["office"], "办公室工作人员")
        self.director = (users["director"], "办公室主任")
        self.officer01 = L.execute("SELECT id FROM officer WHERE user_id = " + self._ph(), (users["officer01"],))[0][0]
        self.dept01 = L.execute("SELECT department_id FROM department_user WHERE user_id = " + self._ph(),
                                (users["dept01"],))[0][0]
        # department → (user id, name) of its login, for the events they write
        self.dept_actor = {d: (u, f"{f}{la}") for d, u, f, la in L.execute(
            "SELECT du.department_id, u.id, u.first_name, u.last_name FROM department_user du "
            "JOIN ab_user u ON u.id = du.user_id")}
        self.officer_actor = {o: (u, f"{f}{la}") for o, u, f, la in L.execute(
            "SELECT o.id, u.id, u.first_name, u.last_name FROM officer o JOIN ab_user u ON u.id = o.user_id")}
        self.ent_actor = {e: (u, f"{f}{la}") for e, u, f, la in L.execute(
            "SELECT eu.enterprise_id, u.id, u.first_name, u.last_name FROM enterprise_user eu "
            "JOIN ab_user u ON u.id = eu.user_id")}
        self.categories = [r[0] for r in L.execute("SELECT id FROM issue_category ORDER BY sort")]

    def _ph(self):
        return "%s" if self.L.dialect == "postgresql" else "?"

    def departments(self):
        L = self.L
        have = {r[0] for r in L.execute("SELECT name FROM department")}
        start = self.next_id("department")
        rows = []
        for name, kind in EXTRA_DEPARTMENTS:
            if len(have) + len(rows) >= DEPARTMENT_TOTAL:
                break
            if name in have:
                continue
            i = start + len(rows)
            rows.append((i, name, kind, f"{name}联络员", f"0391-36{10000 + i * 13:05d}", None))
        L.insert("department", ("id", "name", "kind", "contact", "phone", "email"), rows)
        self.dept_ids = [r[0] for r in L.execute("SELECT id FROM department ORDER BY id")]
        self.dept_names = dict(L.execute("SELECT id, name FROM department"))
        # dept01 leads a fixed share (DEPT01_SHARE) of the transferred issues, the rest share the remainder
        self.lead_pool = [d for d in self.dept_ids if d != self.dept01]

    def person(self):
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def officers(self):
        L, rng = self.L, self.rng
        existing = L.execute("SELECT count(*) FROM officer")[0][0]
        start = self.next_id("officer")
        n = max(10, self.target["officers"] - existing)
        rows = []
        for k in range(n):
            i = start + k
            county = k % 4 == 0  # a quarter are county-level (chiefs)
            unit = rng.choice(UNITS)
            rows.append((i, self.person(), unit, rng.choice(["局长", "副局长", "主任", "副主任"]) if county else "科员",
                         "县级" if county else "科级", f"13{rng.randint(5, 9)}{rng.randint(10000000, 99999999)}",
                         None, None, rng.random() > 0.01))
        L.insert("officer", ("id", "name", "unit", "title", "rank", "phone", "email", "user_id", "active"), rows)
        self.chief_pool = [r[0] for r in rows if r[4] == "县级" and r[8]]
        self.liaison_pool = [r[0] for r in rows if r[4] == "科级" and r[8]]

    def enterprises(self):
        L, rng = self.L, self.rng
        names = {r[0] for r in L.execute("SELECT name FROM enterprise")}
        codes = {r[0] for r in L.execute("SELECT credit_code FROM enterprise WHERE credit_code IS NOT NULL")}
        from app.validation import CREDIT_CHARSET, credit_check_char

        self.regions = [f"{c}{t}" for c in COUNTIES for t in TOWNS[: 3 + (len(c) % 4)]]
        start = self.next_id("enterprise")
        n = max(10, self.target["enterprises"] - len(names))
        rows = []
        created = datetime.combine(self.today - timedelta(days=800), dtime(2, 0))
        for k in range(n):
            while True:
                trade, industry = rng.choice(TRADES)
                name = (f"{rng.choice(CITIES)}市{rng.choice(BRAND)}{rng.choice(BRAND)}{trade}{rng.choice(FORMS)}")
                if name in names:
                    name = name.replace("公司", f"第{rng.randint(2, 99)}分公司")
                if name not in names:
                    break
            names.add(name)
            while True:
                body = "9141" + f"{rng.randint(0, 9999):04d}" + "".join(rng.choice(CREDIT_CHARSET) for _ in range(9))
                code = body + credit_check_char(body)
                if code not in codes:
                    break
            codes.add(code)
            region = rng.choice(self.regions)
            rows.append((start + k, name, code, region, industry, rng.choice(CATEGORIES), f"{region}产业路{rng.randint(1, 999)}号",
                         self.person(), self.person(), f"13{rng.randint(5, 9)}{rng.randint(10000000, 99999999)}",
                         rng.random() < 0.8, created + timedelta(days=rng.randint(0, 700))))
        L.insert("enterprise", ("id", "name", "credit_code", "subdistrict", "industry", "category", "address",
                                "legal_rep", "contact", "phone", "is_key", "created_at"), rows)
        self.new_enterprises = [r[0] for r in rows]

    def assignments(self):
        """Chief + liaison for every new enterprise (officer01's chief takes two → 5 in all); 10% carry
        an ended earlier chief (history)."""
        L, rng = self.L, self.rng
        start = self.next_id("assignment")
        began = self.today - timedelta(days=700)
        rows = []

        def add(ent, officer, role, end=None):
            rows.append((start + len(rows), ent, officer, role, began, end, "ended" if end else "active",
                         "岗位调整" if end else None))

        for k, ent in enumerate(self.new_enterprises):
            chief = self.officer01 if k < 2 else self.chief_pool[k % len(self.chief_pool)]
            if k >= 2 and rng.random() < 0.1:
                add(ent, rng.choice(self.chief_pool), "chief", end=self.today - timedelta(days=rng.randint(30, 300)))
            add(ent, chief, "chief")
            add(ent, self.liaison_pool[(k * 7) % len(self.liaison_pool)], "liaison")
        L.insert("assignment", ("id", "enterprise_id", "officer_id", "role", "start_date", "end_date", "status",
                                "end_reason"), rows)
        self.chief_of, self.liaison_of = {}, {}
        for ent, off, role in L.execute(
                "SELECT enterprise_id, officer_id, role FROM assignment WHERE end_date IS NULL ORDER BY id"):
            (self.chief_of if role == "chief" else self.liaison_of).setdefault(ent, off)
        self.region_of = dict(L.execute("SELECT id, subdistrict FROM enterprise"))
        self.all_enterprises = sorted(self.region_of)

    def visits(self):
        L, rng = self.L, self.rng
        start = self.next_id("visit")
        ents = self.new_enterprises

        def rows():
            for k in range(self.target["visits"]):
                ent = rng.choice(ents)
                off = self.chief_of[ent] if rng.random() < 0.6 else self.liaison_of.get(ent, self.chief_of[ent])
                day = self.today - timedelta(days=rng.randint(0, 364))
                yield (start + k, ent, off, day, rng.choice(["onsite", "onsite", "onsite", "phone", "video", "meeting"]),
                       "、".join(sorted(rng.sample(TOPICS, 2), key=TOPICS.index)), rng.choice(SUMMARIES),
                       datetime.combine(day, dtime(9, 0)), None)

        L.insert("visit", ("id", "enterprise_id", "officer_id", "visit_date", "mode", "topics", "summary",
                           "created_at", "created_by_id"), rows())

    # -- the ledger --

    def received(self, status):
        rng = self.rng
        if status in ("new", "accepted"):
            back = min(int(rng.expovariate(1 / 5)), 60)
        elif status == "assigned":
            back = min(int(rng.expovariate(1 / 10)), 120)
        elif status == "in_progress":
            back = rng.randint(0, 20) if rng.random() < 0.6 else rng.randint(21, 180)
        elif status == "resolved":
            back = rng.randint(3, 60)
        else:
            back = rng.randint(5, 3 * 365)
        return self.today - timedelta(days=back)

    def plan(self, status):
        """The actions that led to ``status`` (progress notes are added later)."""
        rng = self.rng
        via_officer = status in ("resolved", "closed") and rng.random() < OFFICER_RESOLVED
        if status == "void":
            return ["create"] + (["accept"] if rng.random() < 0.5 else []) + ["void"], False
        if via_officer:
            steps = ["create", "resolve"]
        else:
            steps = ["create", "accept", "assign", "acknowledge", "resolve", "confirm", "close"]
            stop = {"new": 1, "accepted": 2, "assigned": 3, "in_progress": 4, "resolved": 5, "unable": 4}.get(status)
            steps = steps[:stop] if stop else steps
            if status == "unable":
                steps += ["declare_unable", "approve_unable"]
        if status == "closed":
            steps = steps[:2] + ["confirm", "close"] if via_officer else steps
        if status == "in_progress":  # a few open issues were escalated, extended, or declared unable
            if rng.random() < 0.03:
                steps.append("escalate")
            roll = rng.random()
            if roll < 0.06:
                steps += ["request_extension", "approve_extension"]
            elif roll < 0.09:
                steps.append("request_extension")  # waiting for the office
            if rng.random() < 0.02:
                steps.append("declare_unable")
        return steps, "acknowledge" in steps

    def issues(self):
        rng, L = self.rng, self.L
        from app import workdays
        from app.ledger.deadlines import after_transfer, current_due, transfer_due
        from app.models import ISSUE_SOURCES

        workdays.TTL = 24 * 3600.0  # the calendar cannot change during the load: read it once

        n = self.target["issues"]
        statuses, weights = zip(*STATUS_WEIGHTS.items())
        drafts = []
        for _ in range(n):
            status = rng.choices(statuses, weights)[0]
            steps, ackd = self.plan(status)
            drafts.append([self.received(status), status, steps, ackd, 0])
        # progress notes fill up to the target event count, spread over the acknowledged issues
        base = sum(len(d[2]) for d in drafts)
        eligible = [d for d in drafts if d[3]]
        extra = max(0, self.target["events"] - base)
        if eligible:
            per = extra / len(eligible)
            for d in eligible:
                d[4] = rng.randint(0, int(2 * per)) if per >= 0.5 else int(rng.random() < per)
            diff = extra - sum(d[4] for d in eligible)
            while diff:
                d = rng.choice(eligible)
                if diff > 0:
                    d[4] += 1
                    diff -= 1
                elif d[4] > 0:
                    d[4] -= 1
                    diff += 1
        drafts.sort(key=lambda d: d[0])  # ids and numbers follow the date of receipt

        counters = dict(L.execute("SELECT year, last FROM doc_counter WHERE kind = 'issue'"))
        internal = _internal_actions()
        issue_id, event_id = self.next_id("issue"), self.next_id("issue_event")
        issue_rows, co_rows, events = [], [], []
        first_event_id = event_id
        office, director = self.office, self.director
        local = timedelta(hours=8)
        for received, status, steps, ackd, k in drafts:
            ent = rng.choice(self.all_enterprises)
            chief = self.chief_of[ent]
            level = "major" if rng.random() < 0.05 else "ordinary"
            year = received.year
            seq = counters.get(year, 0) + 1
            counters[year] = seq
            title, text = rng.choice(ISSUE_TEXTS)
            source = rng.choice(SOURCES)
            category = rng.choice(self.categories)
            steps = list(steps)
            if k:
                at = steps.index("acknowledge") + 1
                steps[at:at] = ["progress"] * k
            open_ = status in ("new", "accepted", "assigned", "in_progress")
            # event times: first at receipt (09:30 local = 01:30 UTC), the rest spread until now / done
            t0 = datetime.combine(received, dtime(1, 30)) + timedelta(minutes=rng.randint(0, 420))
            t0 = min(t0, self.now - timedelta(minutes=1))
            span_days = (self.now - t0).total_seconds() / 86400
            if not open_:
                span_days = min(span_days, rng.uniform(1, 30) if status != "void" else rng.uniform(0, 3))
            end = t0 + timedelta(days=max(span_days, 0.01))
            times = [t0] + sorted(t0 + (end - t0) * rng.random() for _ in steps[1:])
            times = [t.replace(microsecond=0) for t in times]

            lead = co = None
            if "assign" in steps:
                lead = self.dept01 if rng.random() < DEPT01_SHARE else rng.choice(self.lead_pool)
                if rng.random() < 0.2:
                    co = rng.sample([d for d in self.dept_ids if d != lead], rng.choice((1, 1, 2)))
            v = SimpleNamespace(status=status, transfer_due=transfer_due(received, self.policy), feedback_due=None,
                                resolve_due=None, first_feedback_at=None, assigned_at=None, acknowledged_at=None,
                                resolved_at=None, closed_at=None, resolution=None, satisfaction=None,
                                pending_due=None, pending_reason=None, unable_requested=False, escalation=None,
                                triage_class=None)
            state = "new"
            lead_actor = self.dept_actor.get(lead, (None, f"{self.dept_names.get(lead)}联络员"))
            officer_actor = self.officer_actor.get(chief, (None, "首席服务官"))
            ent_actor = self.ent_actor.get(ent, (None, "企业联系人"))
            for action, t in zip(steps, times):
                before, note, changes, actor = state, None, {}, office
                if action == "create":
                    actor = creator = officer_actor if rng.random() < 0.8 else office
                    note = f"来源：{ISSUE_SOURCES[source]}"
                elif action == "accept":
                    state = "accepted"
                    v.triage_class = rng.choice(["policy", "simple", "complex", "complex"])
                    changes = {"category_id": [None, category], "triage_class": [None, v.triage_class]}
                elif action == "assign":
                    state = "assigned"
                    v.assigned_at = t
                    v.feedback_due, v.resolve_due = after_transfer((t + local).date(), level, self.policy)
                    note = f"转办至{self.dept_names[lead]}"
                    changes = {"lead_department_id": [None, lead], "assigned_at": [None, t.isoformat()],
                               "feedback_due": [None, v.feedback_due.isoformat()],
                               "resolve_due": [None, v.resolve_due.isoformat()]}
                    if co:
                        changes["co_departments"] = [[], sorted(co)]
                elif action == "acknowledge":
                    state = "in_progress"
                    v.acknowledged_at = t
                    actor = lead_actor
                elif action == "progress":
                    actor = lead_actor
                    note = rng.choice(PROGRESS_NOTES)
                    if v.first_feedback_at is None:
                        v.first_feedback_at = t
                        changes = {"first_feedback_at": [None, t.isoformat()]}
                elif action == "escalate":
                    v.escalation = "consultation"
                    note = "涉及多部门，提请会商。"
                elif action == "request_extension":
                    actor = lead_actor
                    new_due = max(v.resolve_due, self.today) + timedelta(days=rng.randint(10, 30))
                    v.pending_due, v.pending_reason = new_due, "需报市级部门审批。"
                    note = v.pending_reason
                elif action == "approve_extension":
                    v.resolve_due, v.pending_due, v.pending_reason = v.pending_due, None, None
                    if v.feedback_due and v.feedback_due > v.resolve_due:
                        v.feedback_due = v.resolve_due
                elif action == "declare_unable":
                    actor = lead_actor
                    v.unable_requested = True
                    note = "现行政策不允许。"
                elif action == "approve_unable":
                    state = "unable"
                    v.unable_requested = False
                    actor = director
                elif action == "resolve":
                    state = "resolved"
                    actor = lead_actor if lead else officer_actor
                    v.resolution, v.resolved_at = rng.choice(RESOLUTIONS), t
                    if v.first_feedback_at is None and lead:
                        v.first_feedback_at = t
                elif action == "confirm":
                    v.satisfaction = rng.choice(["satisfied", "satisfied", "basically_satisfied"])
                    if rng.random() < 0.5:
                        actor = ent_actor
                        note = f"企业确认：{'满意' if v.satisfaction == 'satisfied' else '基本满意'}"
                    else:
                        note = "办公室回访：满意。电话回访，企业表示满意。"
                elif action == "close":
                    state = "closed"
                    v.closed_at = t
                elif action == "void":
                    state = "void"
                    note = "与已登记问题重复"
                if state != before:
                    changes["status"] = [before, state]
                events.append((event_id, issue_id, t, actor[0], actor[1], action, None if action == "create" else before,
                               state, note, json.dumps(changes, ensure_ascii=False) if changes else None,
                               action in internal))
                event_id += 1
            assert state == status, (state, status, steps)
            v.status = status
            due = current_due(v)
            issue_rows.append((
                issue_id, f"{year}-{seq:04d}", year, seq, ent, chief, None, source, category,
                v.triage_class, level, v.escalation, self.region_of[ent], title, text, lead, status, received,
                v.transfer_due, v.feedback_due, v.resolve_due, due, v.assigned_at, v.acknowledged_at,
                v.first_feedback_at, v.resolved_at, v.closed_at, v.resolution, v.satisfaction, 0, v.pending_due,
                v.pending_reason, v.unable_requested, t0, times[-1], creator[0], len(steps)))
            for d in co or ():
                co_rows.append((issue_id, d))
            issue_id += 1
            if len(events) >= 200_000:  # keep memory flat: issues first (FK), then their events
                self.flush(issue_rows, co_rows, events)
                issue_rows, co_rows, events = [], [], []
        self.flush(issue_rows, co_rows, events)
        for year, last in counters.items():
            if L.execute(f"SELECT 1 FROM doc_counter WHERE kind = 'issue' AND year = {int(year)}"):
                L.execute(f"UPDATE doc_counter SET last = {int(last)} WHERE kind = 'issue' AND year = {int(year)}")
            else:
                L.execute(f"INSERT INTO doc_counter (kind, year, last) VALUES ('issue', {int(year)}, {int(last)})")
        self.event_total = event_id - first_event_id

    def flush(self, issue_rows, co_rows, events):
        self.L.insert("issue", ISSUE_COLS, issue_rows)
        self.L.insert("issue_codepartment", ("issue_id", "department_id"), co_rows)
        self.L.insert("issue_event", EVENT_COLS, events)
        self.L.commit()  # SQLite: never hold the write lock while the next batch is being computed
        log(f"    … {self.L.counts['issue']:,} issues, {self.L.counts['issue_event']:,} events")

    def finish(self):
        L = self.L
        if L.dialect == "postgresql":
            for table in ("enterprise", "department", "officer", "assignment", "visit", "issue", "issue_event"):
                L.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def summary(loader):
    rows = []
    for table in ("enterprise", "department", "officer", "assignment", "visit", "issue", "issue_codepartment",
                  "issue_event", "ab_user"):
        rows.append((table, loader.execute(f'SELECT count(*) FROM "{table}"')[0][0]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL, e.g. sqlite:////tmp/cso-bench.db or "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/cso_bench")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10k enterprises, 200k issues, 1M events")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--password", default=PASSWORD, help=f"password of every demo login (default {PASSWORD})")
    parser.add_argument("--reset", action="store_true", help="drop everything already in the database first")
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after loading")
    args = parser.parse_args(argv)

    os.environ.setdefault("CSO_INSTANCE_DIR", tempfile.mkdtemp(prefix="cso-bench-"))
    from flask_migrate import upgrade

    from app import create_app, db
    from app.demo import seed

    timings = []
    t_all = time.perf_counter()

    def timed(label, fn, *a):
        t = time.perf_counter()
        out = fn(*a)
        timings.append((label, time.perf_counter() - t))
        log(f"  {label:<28} {timings[-1][1]:8.1f} s")
        return out

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        log(f"database {db.engine.url.render_as_string(hide_password=True)} ({db.engine.dialect.name}), scale {args.scale}")
        timed("reset", reset_database, db.engine, args.db, args.reset)
        timed("schema (alembic upgrade)", upgrade)
        timed("demo seed", seed, args.password)
        db.session.remove()
        loader = Loader(db.engine)
        gen = Generator(loader, args.scale, args.seed)
        gen.lookups()
        timed("departments", gen.departments)
        timed("officers", gen.officers)
        timed("enterprises", gen.enterprises)
        timed("assignments", gen.assignments)
        timed("visits", gen.visits)
        timed("issues + co-depts + events", gen.issues)
        gen.finish()
        timed("commit", loader.commit)
        db.session.remove()  # no open snapshot may hold VACUUM back from marking the pages all-visible
        if not args.no_analyze:
            if loader.dialect == "postgresql":
                loader.raw.driver_connection.autocommit = True
                timed("vacuum analyze", loader.execute, "VACUUM ANALYZE")
            else:
                timed("analyze", loader.execute, "ANALYZE")
                loader.commit()
        counts = summary(loader)
        loader.close()
    log(f"\ndone in {time.perf_counter() - t_all:.1f} s")
    log("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts))
    log(f"logins: office, director, leader, officer01…, dept01…, ent01… — password {args.password}")


if __name__ == "__main__":
    main()
