"""The leaders' dashboard (issue 14): the vendored ECharts, each chart's numbers against plain SQL,
scope per role, the workbook with its native chart, bad filters, and FAB's chart page gone."""
import hashlib
import html as html_lib
import io
import json
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import api_token, login

VENDOR = Path(__file__).resolve().parent.parent / "app" / "static" / "vendor" / "echarts"
CHARTS = ("kpi", "trend", "league", "ageing", "categories", "funnel", "heatmap", "units", "radar", "policy")  # policy: the demo has policies


def test_vendored_echarts_matches_its_recorded_hash_and_licence():
    recorded = dict(line.split(": ", 1) for line in (VENDOR / "VERSION").read_text().splitlines() if ": " in line)
    body = (VENDOR / "echarts.min.js").read_bytes()
    assert hashlib.sha256(body).hexdigest() == recorded["sha256"]
    assert hashlib.sha384(body).hexdigest() == recorded["sha384"]
    assert recorded["version"].startswith("5.")
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    assert (VENDOR / "NOTICE").exists() and (VENDOR / "LICENSE-d3").exists()


def _chart(client, headers, name, **args):
    resp = client.get(f"/api/v1/dashboard/{name}", headers=headers, query_string=args)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert {"option", "table", "as_of", "definition"} <= set(body)
    return body


def _sql(ctx, statement, **params):
    from app import db

    return db.session.execute(text(statement), params).all()


def _month(day):
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def test_trend_for_the_office_equals_plain_sql(client, ctx):
    from app import clock

    body = _chart(client, api_token(client, "office"), "trend")
    rows = body["table"]["rows"]
    assert len(rows) == 12 and rows[-1][0] == clock.today().strftime("%Y-%m")
    assert body["option"]["series"][0]["data"] == [r[1] for r in rows]
    assert sum(r[1] for r in rows) > 0  # the demo district has problems
    for key, new, _resolved, backlog in rows:
        start, end = _month(date.fromisoformat(key + "-01"))
        (n,), = _sql(ctx, "SELECT count(*) FROM issue WHERE received_on BETWEEN :a AND :b", a=start, b=end)
        assert new == n, key
    # this month's backlog (up to today): received by today, not resolved, not void/unable
    (open_now,), = _sql(ctx, "SELECT count(*) FROM issue WHERE status NOT IN ('void','unable') AND resolved_at IS NULL")
    assert rows[-1][3] == open_now


def test_kpi_tiles_for_the_office_equal_plain_sql(client, ctx):
    from app import clock

    body = _chart(client, api_token(client, "office"), "kpi", period="year")
    tiles = {t["name"]: t for t in body["tiles"]}
    (open_n,), = _sql(ctx, "SELECT count(*) FROM issue WHERE status IN ('new','accepted','assigned','in_progress')")
    assert tiles["未办结问题"]["value"] == open_n > 0
    year = clock.today().year
    (new_n,), = _sql(ctx, "SELECT count(*) FROM issue WHERE received_on BETWEEN :a AND :b",
                     a=date(year, 1, 1), b=date(year, 12, 31))
    assert tiles["本期新增"]["value"] == new_n
    (overdue,), = _sql(ctx, "SELECT count(*) FROM issue WHERE status IN ('new','accepted','assigned','in_progress') "
                            "AND due_on < :t", t=clock.today())
    assert tiles["超期问题"]["value"] == overdue > 0
    (notices,), = _sql(ctx, "SELECT count(*) FROM notice WHERE status NOT IN ('verified','void')")
    assert tiles["交办单未办结"]["value"] == notices
    assert [r[0] for r in body["table"]["rows"]] == list(tiles)
    # the click-through lands on a list of exactly that many problems
    login(client, "office")
    page = client.get(tiles["超期问题"]["url"]).get_data(as_text=True)
    assert re.search(rf"共\s*(<[^>]+>)?\s*{overdue}\s*(</[^>]+>)?\s*(件|条)", page), tiles["超期问题"]["url"]


ADDRESSED = ("SELECT id AS issue_id, lead_department_id AS dept FROM issue WHERE lead_department_id IS NOT NULL "
             "UNION SELECT issue_id, department_id FROM issue_codepartment")


def test_ageing_for_the_office_equals_plain_sql(client, ctx):
    from app import clock

    body = _chart(client, api_token(client, "office"), "ageing")
    got = {r[0]: r[1] + r[2] + r[3] for r in body["table"]["rows"]}
    want = dict(_sql(ctx, f"SELECT d.name, count(DISTINCT a.issue_id) FROM ({ADDRESSED}) a JOIN issue i ON i.id = a.issue_id "
                          "JOIN department d ON d.id = a.dept WHERE i.status IN ('new','accepted','assigned','in_progress') "
                          "AND i.due_on IS NOT NULL AND i.due_on < :t GROUP BY d.name", t=clock.today()))
    got_overdue = {r[0]: r[2] + r[3] for r in body["table"]["rows"] if r[2] + r[3]}
    assert got_overdue == want and want
    assert sum(got.values()) >= sum(want.values())
    assert len(body["option"]["series"]) == 3 and body["option"]["series"][0]["stack"] == "ageing"


def test_league_for_the_office_equals_plain_sql_and_hides_small_samples(client, ctx):
    from app import clock, stats

    body = _chart(client, api_token(client, "office"), "league", period="year")
    year = clock.today().year
    start, end = stats.utc_start(date(year, 1, 1)), stats.utc_start(date(year + 1, 1, 1))
    want = dict(_sql(ctx, f"SELECT d.name, count(DISTINCT a.issue_id) FROM ({ADDRESSED}) a JOIN issue i ON i.id = a.issue_id "
                          "JOIN department d ON d.id = a.dept WHERE i.resolved_at >= :a AND i.resolved_at < :b "
                          "GROUP BY d.name", a=start, b=end))
    rows = {r[0]: r for r in body["table"]["rows"]}
    for name, n in want.items():
        assert rows[name][2] == n
    for name, row in rows.items():
        if row[2] < stats.min_sample():
            assert row[1] == stats.INSUFFICIENT
            assert not any(name in label for label in body["option"]["yAxis"]["data"])
        else:
            assert row[1].endswith("%")


def test_categories_for_the_office_equal_plain_sql(client, ctx):
    from app import clock

    body = _chart(client, api_token(client, "office"), "categories", period="year")
    year = clock.today().year
    want = dict(_sql(ctx, "SELECT coalesce(c.name, '未分类'), count(*) FROM issue i LEFT JOIN issue_category c "
                          "ON c.id = i.category_id WHERE i.received_on BETWEEN :a AND :b GROUP BY c.name",
                     a=date(year, 1, 1), b=date(year, 12, 31)))
    assert {r[0]: r[1] for r in body["table"]["rows"]} == want and want
    assert {d["name"]: d["value"] for d in body["option"]["series"][0]["data"]} == want


def test_a_department_sees_its_own_problems_only(client, ctx):
    from app import clock

    (dept_id,), = _sql(ctx, "SELECT du.department_id FROM department_user du JOIN ab_user u ON u.id = du.user_id "
                         "WHERE u.username = 'dept01'")
    own = f"SELECT issue_id FROM ({ADDRESSED}) a WHERE a.dept = :d"
    (open_own,), = _sql(ctx, f"SELECT count(*) FROM issue WHERE id IN ({own}) "
                             "AND status IN ('new','accepted','assigned','in_progress')", d=dept_id)
    (open_all,), = _sql(ctx, "SELECT count(*) FROM issue WHERE status IN ('new','accepted','assigned','in_progress')")
    headers = api_token(client, "dept01")
    tiles = {t["name"]: t["value"] for t in _chart(client, headers, "kpi")["tiles"]}
    assert tiles["未办结问题"] == open_own < open_all
    names = [r[0] for r in _chart(client, headers, "league")["table"]["rows"]]
    (own_name,), = _sql(ctx, "SELECT name FROM department WHERE id = :d", d=dept_id)[0:1]
    assert names == [own_name]
    year = clock.today().year
    (new_own,), = _sql(ctx, f"SELECT count(*) FROM issue WHERE id IN ({own}) AND received_on BETWEEN :a AND :b",
                       d=dept_id, a=date(year, 1, 1), b=date(year, 12, 31))
    cats = _chart(client, headers, "categories", period="year")["table"]["rows"]
    assert sum(r[1] for r in cats) == new_own


def test_an_officer_sees_their_own_enterprises_only(client, ctx):
    (officer_id,), = _sql(ctx, "SELECT o.id FROM officer o JOIN ab_user u ON u.id = o.user_id WHERE u.username = 'officer01'")
    served = ("SELECT enterprise_id FROM assignment WHERE officer_id = :o AND end_date IS NULL")
    (open_own,), = _sql(ctx, f"SELECT count(*) FROM issue WHERE enterprise_id IN ({served}) "
                             "AND status IN ('new','accepted','assigned','in_progress')", o=officer_id)
    tiles = {t["name"]: t["value"] for t in _chart(client, api_token(client, "officer01"), "kpi")["tiles"]}
    assert tiles["未办结问题"] == open_own


@pytest.mark.parametrize("user,status", [("leader", 200), ("director", 200), ("office", 200), ("dept01", 200),
                                         ("officer01", 200), ("ent01", 403)])
def test_who_may_open_the_dashboard(client, user, status):
    resp = client.get("/api/v1/dashboard/kpi", headers=api_token(client, user))
    assert resp.status_code == status
    login(client, user)
    page = client.get("/dashboard/?render=server")  # every chart drawn into the page (no JavaScript)
    assert (page.status_code == 200) == (status == 200)
    if status == 200:
        html = page.get_data(as_text=True)
        for name in CHARTS[1:]:
            assert f'data-cso-chart="{name}"' in html
        options = re.findall(r"data-cso-option='([^']*)'", html)
        assert len(options) == len(CHARTS) - 1
        assert all(json.loads(html_lib.unescape(o))["option"]["series"] for o in options)
        assert "vendor/echarts/echarts.min.js" in html and "dashboard.js" in html
        assert "@media print" in html and "下载Excel" in html and "<details>" in html


def test_the_leaders_home_links_the_dashboard(client):
    login(client, "leader")
    assert 'href="/dashboard/"' in client.get("/").get_data(as_text=True)
    login(client, "ent01")
    assert 'href="/dashboard/"' not in client.get("/").get_data(as_text=True)


def test_bad_filters_are_a_chinese_400(client):
    headers = api_token(client, "office")
    for args in ({"period": "2026-13"}, {"period": "9999"}, {"period": "x" * 5000}, {"region": "街" * 51}):
        resp = client.get("/api/v1/dashboard/trend", headers=headers, query_string=args)
        assert resp.status_code == 400 and re.search(r"[\u4e00-\u9fff]", str(resp.get_json()))
    assert client.get("/api/v1/dashboard/nope", headers=headers).status_code == 404
    login(client, "office")
    assert client.get("/dashboard/?period=2026-13").status_code == 302
    assert client.get("/dashboard/nope.xlsx").status_code == 404


def test_region_filter_narrows_and_links_carry_it(client, ctx):
    (region, n), = _sql(ctx, "SELECT region, count(*) FROM issue WHERE region IS NOT NULL "
                             "AND status IN ('new','accepted','assigned','in_progress') GROUP BY region "
                             "ORDER BY count(*) DESC LIMIT 1")
    tiles = _chart(client, api_token(client, "office"), "kpi", region=region)["tiles"]
    assert tiles[0]["value"] == n and "region=" in tiles[0]["url"]


def test_the_workbook_holds_the_table_and_a_native_chart(client):
    from openpyxl import load_workbook

    login(client, "office")
    api = _chart(client, api_token(client, "office"), "trend")
    resp = client.get("/dashboard/trend.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=" in resp.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[5]][:4] == api["table"]["columns"]
    assert [[c.value for c in row][:4] for row in ws.iter_rows(min_row=6, max_row=17)] == api["table"]["rows"]


def test_fab_user_statistics_chart_is_gone(client):
    login(client, "admin")
    assert client.get("/userstatschartview/chart/").status_code == 404
    assert client.get("/userstatschartview/chart/active").status_code == 404
    assert "userstatschartview" not in client.get("/").get_data(as_text=True).lower()
