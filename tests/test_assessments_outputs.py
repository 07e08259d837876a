"""Assessments' outputs on the small world of tests/test_assessments.py (2025Q3): the three workbooks,
the annual result (quarters × 70 % + the leading group's evaluation × 30 %), the grades the recall
feature reads, the background-job entry with its progress callback, the publication's notifications,
and a unit's own results."""
import io
import json

import openpyxl

from app import db
from conftest import api_token, login
from test_assessments import PERIOD, _publish, build_world, make_scheme
from world import department_of_login, user_id


def _book(resp):
    assert resp.status_code == 200, resp.status_code
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(resp.data))


def test_exports_annual_grades_and_notifications(app, ctx, client):
    ids = build_world()
    make_scheme(client)
    office = api_token(client, "office")
    cid, rows, manual = _publish(app, client, office)  # A 67, B 86, C 79.5
    login(client, "office")
    ws = _book(client.get(f"/assessments/cycles/{cid}/ranking.xlsx")).active
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert "2025年第三季度首席服务官考核结果排名表" in cells[0][0]
    body = [r for r in cells[3:6]]
    assert [(r[0], r[1], r[2], r[3]) for r in body] == [(1, "乙考核", 86, "良好"), (2, "丙考核", 79.5, "合格"),
                                                         (3, "甲考核", 67, "合格")]
    ws = _book(client.get(f"/assessments/sheet/{rows['甲考核']['id']}.xlsx")).active
    text = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    assert "考核得分明细表" in text and "总分：67" in text and "问题#" in text
    # annual: only 2025Q3 is published → quarter mean = that score; overall 80 for A → 67 × 0.7 + 80 × 0.3 = 70.9
    resp = client.post("/assessments/cycles/annual", data={"year": "2025", "subject": "officer",
                                                           "subject_id": str(ids["甲"]), "overall": "80"})
    assert resp.status_code == 302
    page = client.get("/assessments/cycles/annual?year=2025&subject=officer").get_data(as_text=True)
    assert "70.9" in page
    resp = client.post("/assessments/cycles/annual", data={"year": "2025", "subject": "officer",
                                                           "subject_id": str(ids["甲"]), "overall": "101"})
    assert "综合评价应为0到100之间的数字" in client.get(resp.headers["Location"]).get_data(as_text=True)
    ws = _book(client.get("/assessments/cycles/annual.xlsx?year=2025&subject=officer")).active
    cells = [row for row in ws.iter_rows(values_only=True)]
    row_a = next(r for r in cells if r[1] == "甲考核")
    assert (row_a[4], row_a[6], row_a[7], row_a[8], row_a[9]) == (67, 67, 80, 70.9, "合格")
    # the recall feature's question: published grades only
    from app.assessments.query import officer_grades

    assert officer_grades(ids["甲"]) == [("2025Q3", "合格")]
    assert officer_grades(ids["乙"]) == [("2025Q3", "良好")]
    # the assessed officer was told (officer A holds officer01's login)
    from app.notifications.models import Notification

    told = db.session.query(Notification).filter(Notification.user_id == user_id("officer01"),
                                                 Notification.kind == "assessment").all()
    assert any("考核结果已公布：67分，合格" in n.title for n in told)
    login(client, "leader")
    assert client.post("/assessments/cycles/annual", data={"year": "2025", "subject": "officer",
                                                           "subject_id": str(ids["甲"]), "overall": "90"}).status_code in (302, 403)


def test_compute_entry_reports_progress(app, ctx, client):
    build_world()
    make_scheme(client)
    from app.assessments import compute, cycles

    cycle = cycles.open_cycle(None, PERIOD, "officer")
    seen = []
    compute(cycle, lambda done, total: seen.append((done, total)))
    cycles.WORKFLOW.commit()
    assert seen == [(n, 6) for n in range(1, 7)]  # one call per item of the scheme
    assert cycle.status == "computed" and len(cycle.assessments) == 3


def test_a_unit_sees_its_own_published_result(app, ctx, client):
    result = app.test_cli_runner().invoke(args=["cso", "assess", "--period", "2026Q4", "--subject", "department", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    own = department_of_login("dept01")
    mine = next(a for a in data["cycles"][0]["assessments"] if a["subject_id"] == own)
    dept = api_token(client, "dept01")
    assert client.get(f"/api/v1/assessment/{mine['id']}", headers=dept).status_code == 404  # not published yet
    from app.assessments.models import AssessmentCycle

    cycle = db.session.get(AssessmentCycle, data["cycles"][0]["id"])
    cycle.status = "published"
    db.session.commit()
    resp = client.get("/api/v1/assessment/?subject=department", headers=dept).get_json()
    assert [a["subject_id"] for a in resp["result"]] == [own]
    assert resp["result"][0]["lines"] and "evidence_ids" in resp["result"][0]["lines"][0]
