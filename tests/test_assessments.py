"""Assessments (issue 13 items 5-7, 9, 10) through the public surfaces: ``flask cso assess``, REST and
the screens, on a small world of its own in 2025Q3 (before the demo district's assignments start):
a scheme, three officers, a quarter of events. The expected points are computed by hand from the
rules (docs/assessments.md), not read from the code.

The world (minimum sample 5, the test app's default):

* officer A: 5 problems resolved in the quarter, 4 on time → 按期 80 % → 40 × (80−50)/(100−50) = 24;
  6 received, 5 solved → 解决 83.3 % → band ≥ 60 → 15; one 迟报 → 20 − 2 = 18. Total 57.
* officer B: 5 resolved, all on time → 40; 5 received, 5 solved → 100 % → 30; one 漏报 and two 迟报 →
  20 − 5 − 4 = 11; one published 通报批评 → −3. Total 78.
* officer C: 2 resolved on time → 样本不足 → median of the sufficient points (24, 40) = 32; 2 received,
  2 solved → 样本不足 → median (15, 30) = 22.5; no lapses → 20. Total 74.5.

Ranks B 78 (1), C 74.5 (2), A 57 (3); grades (90/80/60) 合格, 合格, 不合格; bands (top 30 %, bottom 20 % of
three: one each) B green, C yellow, A red. After the inspector's manual points (A 10, B 8, C 5): A 67, B 86,
C 79.5.
"""
import json
from datetime import date, datetime

import pytest

from app import db
from conftest import api_token, login
from world import user_id

PERIOD = "2025Q3"
ITEMS = [
    {"dimension": "效率", "name": "按期办结", "max_points": 40, "rule": "ratio_linear", "metric": "on_time_rate",
     "params": {"floor": 50, "target": 100}},
    {"dimension": "效果", "name": "问题解决", "max_points": 30, "rule": "threshold_band", "metric": "solution_rate",
     "params": {"bands": [[90, 30], [60, 15]]}},
    {"dimension": "质量", "name": "台账与报告", "max_points": 20, "rule": "per_event", "metric": "report_lapses",
     "params": {"weights": {"late_report": -2, "missing_report": -5}}},
    {"dimension": "效果", "name": "督查评分", "max_points": 10, "rule": "manual", "metric": "inspector"},
    {"dimension": "扣分", "name": "通报批评", "max_points": 6, "rule": "per_event", "metric": "criticisms", "params": {"per": -3}},
    {"dimension": "纪律", "name": "八(六)一票否决", "max_points": 0, "rule": "veto", "metric": "discipline_breach"},
]


def _utc(day, hour=4):
    return datetime(day.year, day.month, day.day, hour, 0)


def build_world():
    """Three officers with their own enterprises and a quarter of events; officer A takes officer01's login."""
    from app.accountability.models import Criticism
    from app.models import Assignment, DutyRecord, Enterprise, Issue, Officer

    officers = {}
    seq = 9000
    for n, name in enumerate(("甲考核", "乙考核", "丙考核")):
        ent = Enterprise(name=f"考核测试企业{n}", is_key=True)
        off = Officer(name=name, unit="测试", rank="县级", active=True)
        db.session.add_all([ent, off])
        db.session.flush()
        db.session.add(Assignment(enterprise_id=ent.id, officer_id=off.id, role="chief", start_date=date(2025, 6, 1),
                                  end_date=date(2025, 10, 31), status="ended"))
        officers[name[0]] = (off, ent)

    def issue(key, received, status, resolved=None, due=None):
        nonlocal seq
        seq += 1
        off, ent = officers[key]
        row = Issue(number=f"2025-{seq}", year=2025, seq=seq, enterprise_id=ent.id, officer_id=off.id, title=f"测试问题{seq}",
                    description="考核测试", status=status, received_on=received, resolve_due=due,
                    resolved_at=_utc(resolved) if resolved else None)
        db.session.add(row)
        return row

    # A: 5 resolved (the last one late), one still open
    for d in range(4):
        issue("甲", date(2025, 7, 1 + d), "resolved", date(2025, 7, 10 + d), date(2025, 7, 15))
    issue("甲", date(2025, 7, 5), "resolved", date(2025, 8, 20), date(2025, 8, 1))
    issue("甲", date(2025, 9, 1), "in_progress")
    for d in range(5):  # B: 5 resolved on time
        issue("乙", date(2025, 8, 1 + d), "closed", date(2025, 8, 10), date(2025, 8, 20))
    for d in range(2):  # C: 2 resolved on time
        issue("丙", date(2025, 9, 1 + d), "resolved", date(2025, 9, 10), date(2025, 9, 12))
    a, b = officers["甲"][0], officers["乙"][0]
    lapses = [(a, "late_report", "2025-W30"), (b, "missing_report", "2025-W31"), (b, "late_report", "2025-W32"),
              (b, "late_report", "2025-08")]
    for off, kind, period in lapses:
        db.session.add(DutyRecord(key=f"{kind}:{off.id}:{period}:t", officer_id=off.id, kind=kind, period=period,
                                  created_at=_utc(date(2025, 8, 15))))
    db.session.add(Criticism(status="published", basis="late_report", officer_id=b.id, title="关于乙考核迟报的通报",
                             text="测试", published_at=_utc(date(2025, 9, 2)), refs={}))
    # officer A acts as officer01 (its login), so that the officer's view and appeal can be tested
    from app.models import Officer as O

    uid = user_id("officer01")
    demo = db.session.query(O).filter(O.user_id == uid).one()
    demo.user_id = None
    db.session.flush()
    a.user_id = uid
    db.session.commit()
    return {k: v[0].id for k, v in officers.items()}


def make_scheme(client, items=ITEMS):
    headers = api_token(client, "office")
    resp = client.post("/api/v1/assessment_scheme/", json={"name": "测试方案", "subject": "officer", "items": items},
                       headers=headers)
    assert resp.status_code == 201, resp.get_json()
    sid = resp.get_json()["id"]
    resp = client.post(f"/api/v1/assessment_scheme/{sid}/transition", json={"action": "activate"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return sid


def assess(app, period=PERIOD):
    result = app.test_cli_runner().invoke(args=["cso", "assess", "--period", period, "--subject", "officer", "--json"])
    return result


def by_name(data):
    return {a["subject_name"]: a for a in data["cycles"][0]["assessments"]}


@pytest.fixture()
def world(app, ctx, client):
    ids = build_world()
    make_scheme(client)
    return ids


def _mine(data):
    return {k: v for k, v in by_name(data).items() if k.endswith("考核")}


def test_hand_computed_world(app, world):
    result = assess(app)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = _mine(data)
    assert len(data["cycles"][0]["assessments"]) == 3  # only the three officers served in 2025Q3
    a, b, c = rows["甲考核"], rows["乙考核"], rows["丙考核"]
    assert (a["score"], b["score"], c["score"]) == (57, 78, 74.5)
    assert (b["rank"], c["rank"], a["rank"]) == (1, 2, 3)
    assert (a["grade"], b["grade"], c["grade"]) == ("不合格", "合格", "合格")
    assert (b["band"], c["band"], a["band"]) == ("green", "yellow", "red")
    lines = {ln["item"]: ln for ln in a["lines"]}
    assert lines["按期办结"]["points"] == 24 and lines["按期办结"]["sample_n"] == 5
    assert len(lines["按期办结"]["evidence_ids"]) == 5
    assert lines["问题解决"]["points"] == 15 and lines["台账与报告"]["points"] == 18
    assert lines["督查评分"]["state"] == "pending"
    c_lines = {ln["item"]: ln for ln in c["lines"]}
    assert c_lines["按期办结"]["state"] == "insufficient" and c_lines["按期办结"]["points"] == 32
    assert c_lines["问题解决"]["points"] == 22.5
    b_lines = {ln["item"]: ln for ln in b["lines"]}
    assert b_lines["通报批评"]["points"] == -3 and b_lines["台账与报告"]["points"] == 11


def _cycle(client, headers, period=PERIOD):
    resp = client.get(f"/api/v1/assessment_cycle/?period={period}&subject=officer", headers=headers)
    return resp.get_json()["result"][0]


def _act(client, headers, cid, action, **params):
    return client.post(f"/api/v1/assessment_cycle/{cid}/transition", json={"action": action, **params}, headers=headers)


def test_freeze_keeps_scores_and_manual_review(app, ctx, client, world):
    from app.models import Issue

    assert assess(app).exit_code == 0
    late = db.session.query(Issue).filter(Issue.number == "2025-9005").one()
    late.resolve_due = date(2025, 9, 1)  # the late one becomes on time: a recomputation sees it
    db.session.commit()
    data = json.loads(assess(app).output)
    assert _mine(data)["甲考核"]["score"] == 73  # 40 + 15 + 18
    office = api_token(client, "office")
    cid = _cycle(client, office)["id"]
    assert _act(client, office, cid, "freeze").status_code == 200
    late = db.session.query(Issue).filter(Issue.number == "2025-9005").one()
    late.resolve_due = date(2025, 8, 1)  # edited back after the freeze: nothing changes
    late.title = "改过的标题"
    db.session.commit()
    result = assess(app)
    assert result.exit_code != 0 and "已冻结" in result.output
    rows = {a["subject_name"]: a for a in client.get(f"/api/v1/assessment/?period={PERIOD}", headers=office).get_json()["result"]}
    a = rows["甲考核"]
    assert a["score"] == 73
    on_time = next(ln for ln in a["lines"] if ln["item"] == "按期办结")
    assert all("改过的标题" not in e["label"] for e in on_time["evidence"])  # the evidence as it was
    # review needs every manual item scored
    resp = _act(client, office, cid, "review")
    assert resp.status_code == 409 and "督查评分" in resp.get_json()["message"]
    manual = next(ln for ln in a["lines"] if ln["item"] == "督查评分")["item_id"]
    for name, points in (("甲考核", 10), ("乙考核", 8), ("丙考核", 5)):
        resp = _act(client, office, cid, "score", assessment=rows[name]["id"], item=manual, points=str(points))
        assert resp.status_code == 200, resp.get_json()
    resp = _act(client, office, cid, "score", assessment=rows["甲考核"]["id"], item=manual, points="11")
    assert resp.status_code == 422  # over the item's maximum
    assert _act(client, office, cid, "review").status_code == 200
    rows = {a["subject_name"]: a for a in client.get(f"/api/v1/assessment/?period={PERIOD}", headers=office).get_json()["result"]}
    # A's 按期 is 100 % now, so C's 样本不足 median is (40, 40) = 40: C 40 + 22.5 + 20 + 5 = 87.5
    assert (rows["甲考核"]["score"], rows["乙考核"]["score"], rows["丙考核"]["score"]) == (83, 86, 87.5)
    assert (rows["乙考核"]["grade"], rows["甲考核"]["grade"]) == ("良好", "良好")
    assert [rows[n]["rank"] for n in ("丙考核", "乙考核", "甲考核")] == [1, 2, 3]


def _publish(app, client, office):
    assert assess(app).exit_code == 0
    cid = _cycle(client, office)["id"]
    rows = {a["subject_name"]: a for a in client.get(f"/api/v1/assessment/?period={PERIOD}", headers=office).get_json()["result"]}
    manual = next(ln for ln in rows["甲考核"]["lines"] if ln["item"] == "督查评分")["item_id"]
    assert _act(client, office, cid, "freeze").status_code == 200
    for name, points in (("甲考核", 10), ("乙考核", 8), ("丙考核", 5)):
        assert _act(client, office, cid, "score", assessment=rows[name]["id"], item=manual, points=str(points)).status_code == 200
    assert _act(client, office, cid, "review").status_code == 200
    resp = _act(client, office, cid, "publish")
    assert resp.status_code == 200, resp.get_json()
    return cid, rows, manual


def test_scope_and_appeal_versions(app, ctx, client, world):
    office = api_token(client, "office")
    assert assess(app).exit_code == 0
    officer = api_token(client, "officer01")  # = officer A
    assert client.get(f"/api/v1/assessment/?period={PERIOD}", headers=officer).get_json()["count"] == 0  # not yet published
    cid, rows, manual = _publish(app, client, office)
    a_id = rows["甲考核"]["id"]
    mine = client.get(f"/api/v1/assessment/?period={PERIOD}", headers=officer).get_json()
    assert mine["count"] == 1 and mine["result"][0]["subject_name"] == "甲考核"
    assert client.get(f"/api/v1/assessment/{rows['乙考核']['id']}", headers=officer).status_code == 404
    assert client.get(f"/api/v1/assessment_cycle/{cid}", headers=officer).status_code in (401, 403)
    other = api_token(client, "officer02")
    assert client.get(f"/api/v1/assessment/?period={PERIOD}", headers=other).get_json()["count"] == 0
    dept = api_token(client, "dept01")
    assert client.get(f"/api/v1/assessment/{a_id}", headers=dept).status_code == 404
    assert client.get("/api/v1/assessment/", headers=api_token(client, "ent01")).status_code in (401, 403)
    leader = api_token(client, "leader")
    assert client.get(f"/api/v1/assessment/?period={PERIOD}", headers=leader).get_json()["count"] == 3
    assert _act(client, leader, cid, "close").status_code in (401, 403)
    # the officer's sheet in the browser: own evidence links to the problems, another's sheet is a 404
    login(client, "officer01")
    page = client.get(f"/assessments/sheet/{a_id}").get_data(as_text=True)
    assert "提出申诉" in page and "/ledger/" in page
    assert client.get(f"/assessments/sheet/{rows['乙考核']['id']}").status_code == 404
    # another officer may not appeal A's result; A appeals the manual item
    resp = client.post("/api/v1/appeal/", json={"assessment": a_id, "reason": "不服"}, headers=other)
    assert resp.status_code == 404
    resp = client.post("/api/v1/appeal/", json={"assessment": a_id, "item": manual, "reason": "督查评分偏低，附走访记录。"},
                       headers=officer)
    assert resp.status_code == 201, resp.get_json()
    appeal = resp.get_json()["id"]
    again = client.post("/api/v1/appeal/", json={"assessment": a_id, "reason": "再次申诉"}, headers=officer)
    assert again.status_code == 409
    assert client.post(f"/api/v1/appeal/{appeal}/transition", json={"action": "uphold", "points": "10"},
                       headers=officer).status_code == 403
    assert _act(client, office, cid, "close").status_code == 409  # an appeal is pending (and the window open)
    # upheld at the same points: the result is unchanged but the decision is a new version of it
    resp = client.post(f"/api/v1/appeal/{appeal}/transition", json={"action": "uphold", "points": "10", "note": "核实"},
                       headers=office)
    assert resp.status_code == 200, resp.get_json()
    after = client.get(f"/api/v1/assessment/{a_id}", headers=officer).get_json()["result"]
    assert after["revision"] == 2 and after["score"] == 67
    from app.assessments.models import AssessmentVersion

    versions = db.session.query(AssessmentVersion).filter(AssessmentVersion.assessment_id == a_id).order_by(
        AssessmentVersion.revision).all()
    assert [v.revision for v in versions] == [1, 2]


def test_upheld_appeal_changes_score_and_rank(app, ctx, client, world):
    office = api_token(client, "office")
    cid, rows, manual = _publish(app, client, office)  # B 86 (1), C 79.5 (2), A 67 (3)
    from app.assessments.models import Appeal, Assessment

    # A (officer01) appeals its 按期办结 item; the office upholds it with full points
    officer = api_token(client, "officer01")
    a_id = rows["甲考核"]["id"]
    on_time = next(ln for ln in rows["甲考核"]["lines"] if ln["item"] == "按期办结")["item_id"]
    resp = client.post("/api/v1/appeal/", json={"assessment": a_id, "item": on_time, "reason": "逾期一件系企业原因"},
                       headers=officer)
    assert resp.status_code == 201
    appeal = resp.get_json()["id"]
    resp = client.post(f"/api/v1/appeal/{appeal}/transition", json={"action": "uphold", "points": "40"}, headers=office)
    assert resp.status_code == 200, resp.get_json()
    a = db.session.get(Assessment, a_id)
    db.session.refresh(a)
    assert a.score == 83 and a.rank == 2 and a.revision == 2  # 67 + 16; above C (79.5)
    c = db.session.get(Assessment, rows["丙考核"]["id"])
    db.session.refresh(c)
    assert c.rank == 3 and c.revision == 2  # its rank changed: a second version kept
    ap = db.session.get(Appeal, appeal)
    assert (ap.points_before, ap.points_after, ap.status) == (24, 40, "upheld")


def test_scheme_rules(client):
    office = api_token(client, "office")
    bad = [dict(ITEMS[0], max_points=50)] + ITEMS[1:]
    resp = client.post("/api/v1/assessment_scheme/", json={"name": "错误方案", "subject": "officer", "items": bad},
                       headers=office)
    sid = resp.get_json()["id"]
    resp = client.post(f"/api/v1/assessment_scheme/{sid}/transition", json={"action": "activate"}, headers=office)
    assert resp.status_code == 422 and "合计应为100分，当前为110分" in resp.get_json()["message"]["items"][0]
    resp = client.post("/api/v1/assessment_scheme/", json={"name": "x", "subject": "officer", "items": [
        dict(ITEMS[0], params={"floor": 90, "target": 80})]}, headers=office)
    assert resp.status_code == 422
    resp = client.post("/api/v1/assessment_scheme/", json={"name": "x", "subject": "officer", "items": [
        dict(ITEMS[0], metric="notice_on_time")]}, headers=office)  # a unit's metric on an officer scheme
    assert resp.status_code == 422
    active = client.get("/api/v1/assessment_scheme/?subject=officer&status=active", headers=office).get_json()["result"][0]
    resp = client.put(f"/api/v1/assessment_scheme/{active['id']}", json={"name": "改名"}, headers=office)
    assert resp.status_code == 409  # active (and used by the demo's cycle): immutable
    copy = client.post(f"/api/v1/assessment_scheme/{active['id']}/transition", json={"action": "copy"}, headers=office)
    assert copy.status_code == 200 and copy.get_json()["result"]["status"] == "draft"
    assert copy.get_json()["result"]["version"] == 3  # after the draft above (2): versions count per subject
    assert client.post("/api/v1/assessment_scheme/", json={"name": "x", "subject": "officer"},
                       headers=api_token(client, "leader")).status_code in (401, 403)


def test_preview_and_screens(client):
    login(client, "office")
    page = client.get("/assessments/schemes/").get_data(as_text=True)
    assert "首席服务官季度考核方案" in page
    from app.assessments.models import AssessmentScheme

    with client.application.app_context():
        sid = db.session.query(AssessmentScheme.id).filter(AssessmentScheme.subject == "officer").first()[0]
    page = client.get(f"/assessments/schemes/{sid}").get_data(as_text=True)
    assert "普通考核项分值合计100分" in page and "达到95得20分；达到85得10分；其余0分" in page
    resp = client.get(f"/assessments/schemes/{sid}/preview")
    assert resp.status_code == 200 and "方案预览" in resp.get_data(as_text=True)
    page = client.get("/assessments/cycles/").get_data(as_text=True)
    assert "考核周期" in page
    for url in ("/assessments/appeals/", "/assessments/cases/", "/assessments/cycles/annual", "/assessments/cycles/settings"):
        assert client.get(url).status_code == 200, url
    login(client, "ent01")
    assert client.get("/assessments/sheet/").status_code in (302, 403)
