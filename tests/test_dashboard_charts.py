"""The dashboard's further charts (issue 14 item 2): the escalation funnel, the officer × week visit
heatmap, notices and urging by unit, the satisfaction radar, rank arrows in the league — each
against plain SQL, each in the viewer's scope, each number's click-through landing on that many rows."""
import re
from datetime import date, timedelta

from sqlalchemy import text

from conftest import api_token, login

OPEN = "('new','accepted','assigned','in_progress')"


def _chart(client, headers, name, **args):
    resp = client.get(f"/api/v1/dashboard/{name}", headers=headers, query_string=args)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert {"option", "table", "as_of", "definition"} <= set(body) and body["definition"]
    return body


def _sql(statement, **params):
    from app import db

    return db.session.execute(text(statement), params).all()


def _year():
    from app import clock

    y = clock.today().year
    return date(y, 1, 1), date(y, 12, 31)


def test_the_funnel_counts_each_level_as_plain_sql(client, ctx):
    a, b = _year()
    body = _chart(client, api_token(client, "office"), "funnel", period="year")
    rows = {r[0]: r for r in body["table"]["rows"]}
    received = "FROM issue i WHERE i.received_on BETWEEN :a AND :b AND i.status <> 'void'"
    solved = "i.status IN ('resolved','closed')"
    (all_n, all_ok), = _sql(f"SELECT count(*), coalesce(sum(CASE WHEN {solved} THEN 1 ELSE 0 END), 0) {received}", a=a, b=b)
    (moved, moved_ok), = _sql(f"SELECT count(*), coalesce(sum(CASE WHEN {solved} THEN 1 ELSE 0 END), 0) {received} "
                              "AND i.lead_department_id IS NOT NULL", a=a, b=b)
    assert rows["服务官层面（全部问题）"][1:3] == [all_n, all_ok] and all_n > 0
    assert rows["交办责任单位"][1:3] == [moved, moved_ok]
    for label, levels in (("部门会商", "'consultation','director','leading_group'"),
                          ("重大问题会商办公会议", "'director','leading_group'"), ("领导小组会议", "'leading_group'")):
        (n,), = _sql(f"SELECT count(*) {received} AND i.id IN (SELECT t.issue_id FROM meeting_topic t JOIN meeting m "
                     f"ON m.id = t.meeting_id WHERE m.level IN ({levels}) AND m.status <> 'cancelled')", a=a, b=b)
        assert rows[label][1] == n, label
    counts = [r[1] for r in body["table"]["rows"]]
    assert counts == sorted(counts, reverse=True)  # a funnel: each level holds at most the one below
    assert [d["value"] for d in body["option"]["series"][0]["data"]] == counts
    first = body["table"]["links"][0][1]
    assert f"received_from={a.isoformat()}" in first and f"received_to={b.isoformat()}" in first
    assert body["table"]["links"][2][1].startswith("/meetings/") and "level=consultation" in body["table"]["links"][2][1]


def test_the_heatmap_counts_visits_per_officer_and_week_and_links_them(client, ctx):
    from app import clock

    body = _chart(client, api_token(client, "office"), "heatmap")
    labels = body["table"]["columns"][1:]
    assert len(labels) == 8
    monday = clock.week_start(clock.today()) - timedelta(weeks=7)
    want = {}
    for name, day, n in _sql("SELECT o.name, v.visit_date, count(*) FROM visit v JOIN officer o ON o.id = v.officer_id "
                             "WHERE v.visit_date >= :a AND v.visit_date <= :b GROUP BY o.name, v.visit_date",
                             a=monday, b=monday + timedelta(weeks=8, days=-1)):
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        want.setdefault(name, [0] * 8)[(day - monday).days // 7] += n
    got = {r[0]: r[1:] for r in body["table"]["rows"]}
    assert len(got) <= 25  # the busiest 25 officers (a readable chart)
    for name, weeks in got.items():
        assert weeks == want.get(name, [0] * 8), name
    shown_least = min(sum(v) for v in got.values())
    assert all(sum(v) <= shown_least for k, v in want.items() if k not in got)  # nobody busier left out
    # a cell's link is the visits list of that week (no officer filter on 走访记录 yet): the column's total
    login(client, "office")
    col = next(j for j in range(1, 9) if any(r[j] for r in body["table"]["rows"]))
    page = client.get(body["table"]["links"][0][col]).get_data(as_text=True)
    count = re.search(r"(?:Record Count|记录数)[^0-9]*(\d+)", page)
    week = monday + timedelta(weeks=col - 1)
    assert count and int(count.group(1)) == sum(v[col - 1] for v in want.values())  # everyone's visits that week
    assert body["table"]["columns"][col] == f"{week.month}/{week.day}"


def test_an_officer_sees_the_visits_to_their_own_enterprises_only(client, ctx):
    from app import clock

    monday = clock.week_start(clock.today()) - timedelta(weeks=7)
    (officer_id,), = _sql("SELECT o.id FROM officer o JOIN ab_user u ON u.id = o.user_id WHERE u.username = 'officer01'")
    (own,), = _sql("SELECT count(*) FROM visit WHERE visit_date >= :a AND enterprise_id IN (SELECT enterprise_id FROM "
                   "assignment WHERE officer_id = :o AND end_date IS NULL)", a=monday, o=officer_id)
    (everyone,), = _sql("SELECT count(*) FROM visit WHERE visit_date >= :a", a=monday)
    rows = _chart(client, api_token(client, "officer01"), "heatmap")["table"]["rows"]
    assert sum(sum(r[1:]) for r in rows) == own < everyone


def test_notices_and_urges_by_unit_equal_plain_sql_and_a_unit_sees_its_own(client, ctx):
    a, b = _year()
    body = _chart(client, api_token(client, "office"), "units", period="year")
    rows = {r[0]: r for r in body["table"]["rows"]}
    from app import clock, stats

    start, end = stats.utc_start(a), stats.utc_start(b + timedelta(days=1))
    sent = dict(_sql("SELECT d.name, count(*) FROM notice n JOIN notice_recipient r ON r.notice_id = n.id AND r.role = 'lead' "
                     "JOIN department d ON d.id = r.department_id WHERE n.sent_at >= :a AND n.sent_at < :b GROUP BY d.name",
                     a=start, b=end))
    late = dict(_sql("SELECT d.name, count(*) FROM notice n JOIN notice_recipient r ON r.notice_id = n.id AND r.role = 'lead' "
                     "JOIN department d ON d.id = r.department_id WHERE n.status IN ('sent','acknowledged') "
                     "AND n.due_on < :t GROUP BY d.name", t=clock.today()))
    for name in set(sent) | set(late):
        assert rows[name][1] == sent.get(name, 0) and rows[name][2] == late.get(name, 0), name
    assert sum(r[1] for r in rows.values()) == sum(sent.values())
    (own,), = _sql("SELECT d.name FROM department d JOIN department_user du ON du.department_id = d.id "
                   "JOIN ab_user u ON u.id = du.user_id WHERE u.username = 'dept01'")[0:1]
    mine = _chart(client, api_token(client, "dept01"), "units", period="year")["table"]["rows"]
    assert all(r[0] == own for r in mine)


def test_the_radar_has_the_four_dimensions_and_hides_small_samples(client, ctx):
    from app import stats
    from app.vocab import SURVEY_DIMENSIONS

    for user in ("office", "dept01", "officer01"):
        body = _chart(client, api_token(client, user), "radar", period="year")
        rows = body["table"]["rows"]
        assert [r[0] for r in rows] == list(SURVEY_DIMENSIONS)
        assert [i["name"] for i in body["option"]["radar"]["indicator"]] == list(SURVEY_DIMENSIONS)
        for _dim, shown, num, den in rows:
            assert shown == (f"{round(100 * num / den, 1)}%" if den >= stats.min_sample() else stats.INSUFFICIENT)


def test_rank_arrows_follow_the_previous_period(client, ctx):
    from app import clock, stats

    headers = api_token(client, "office")
    this_year = clock.today().year
    now = _chart(client, headers, "league", period=str(this_year))["table"]
    before = _chart(client, headers, "league", period=str(this_year - 1))["table"]
    assert now["columns"][-1] == "较上期"

    def ranks(rows):  # competition ranks among the units with enough resolved problems, best first
        ranked = sorted(((float(r[1].rstrip("%")), r[0]) for r in rows if r[1] != stats.INSUFFICIENT), key=lambda t: -t[0])
        out, last, place = {}, None, 0
        for i, (pct, name) in enumerate(ranked, 1):
            if pct != last:
                place, last = i, pct
            out[name] = place
        return out

    r_now, r_before = ranks(now["rows"]), ranks(before["rows"])
    for row in now["rows"]:
        name, arrow = row[0], row[-1]
        if name not in r_now:
            assert arrow == "—"
        elif name not in r_before:
            assert arrow == "新进排名"
        else:
            diff = r_before[name] - r_now[name]
            assert arrow == (f"↑{diff}" if diff > 0 else f"↓{-diff}" if diff < 0 else "＝"), (name, arrow)


def test_every_new_chart_downloads_a_workbook_with_its_table(client, ctx):
    import io

    import openpyxl

    login(client, "office")
    for name in ("funnel", "heatmap", "units", "radar"):
        resp = client.get(f"/dashboard/{name}.xlsx")
        assert resp.status_code == 200, name
        ws = openpyxl.load_workbook(io.BytesIO(resp.data))["数据"]
        body = _chart(client, api_token(client, "office"), name)
        assert [c.value for c in ws[5]][:len(body["table"]["columns"])] == body["table"]["columns"]
        assert ws.max_row == 5 + len(body["table"]["rows"]) or not body["table"]["rows"]
        login(client, "office")


def test_statements_per_chart_do_not_grow_with_the_data(client, ctx):
    """The same number of SQL statements for every chart before and after the district gets 40 more
    problems, visits and notices' worth of rows (no per-row queries)."""
    from sqlalchemy import event

    from app import db
    from app.dashboard import charts

    headers = api_token(client, "office")
    statements = []

    def count(*args):
        statements.append(args[2])

    def measure():
        out = {}
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for name in charts.CHARTS:
                client.get(f"/api/v1/dashboard/{name}", headers=headers)  # warm (policy caches and the like)
                statements.clear()
                assert client.get(f"/api/v1/dashboard/{name}", headers=headers).status_code == 200
                out[name] = len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return out

    with client.application.app_context():
        before = measure()
        # copy 40 problems and 40 visits (new numbers, same enterprises, officers and departments)
        from app.models import Issue, Visit

        cols = [c.name for c in Issue.__table__.columns if c.name not in ("id", "number", "seq")]
        db.session.execute(text(
            f"INSERT INTO issue (number, seq, {', '.join(cols)}) SELECT 'X' || id, seq + 900000, {', '.join(cols)} "
            "FROM issue ORDER BY id LIMIT 40"))
        cols = [c.name for c in Visit.__table__.columns if c.name != "id"]
        db.session.execute(text(f"INSERT INTO visit ({', '.join(cols)}) SELECT {', '.join(cols)} FROM visit "
                                "ORDER BY id LIMIT 40"))
        db.session.commit()
        after = measure()
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def test_the_pack_holds_every_chart_of_the_page_in_the_viewers_scope(client, ctx):
    import io
    import zipfile

    import openpyxl

    from app.dashboard import charts

    for user in ("office", "dept01"):
        login(client, user)
        resp = client.get("/dashboard/pack.xlsx?period=year")
        assert resp.status_code == 200 and "filename*=UTF-8''" in resp.headers["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(resp.data))
        assert book.sheetnames == [f"{n}.{charts.CHART_TITLES[k]}" for n, k in enumerate(charts.CHARTS, start=1)]
        headers = api_token(client, user)
        for sheet, name in zip(book.sheetnames, charts.CHARTS):
            body = _chart(client, headers, name, period="year")
            ws = book[sheet]
            assert ws["A1"].value == body["title"]
            assert [c.value for c in ws[5]][:len(body["table"]["columns"])] == body["table"]["columns"]
            assert [ws.cell(6 + i, 1).value for i in range(len(body["table"]["rows"]))] == [r[0] for r in body["table"]["rows"]]
        natives = [n for n in zipfile.ZipFile(io.BytesIO(resp.data)).namelist() if n.startswith("xl/charts/chart")]
        assert len(natives) >= 5  # trend, league, ageing, categories, funnel … drawn natively
        login(client, user)
    login(client, "ent01")
    assert client.get("/dashboard/pack.xlsx").status_code in (302, 403)
