"""The page's filters narrow the visit heatmap, the units chart and the satisfaction radar where they have
a meaning (issue 14 item 2), against plain SQL: a visit and a survey answer have an enterprise (街道, 行业,
企业类别; 问题层级 does not apply and the definition says so); a 交办通知单 and its 督办单 have a problem
(the ledger list's own filters, 问题层级 included). Also the favicon."""
from datetime import timedelta

from sqlalchemy import text

from conftest import api_token


def _chart(client, headers, name, **args):
    resp = client.get(f"/api/v1/dashboard/{name}", headers=headers, query_string=args)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _sql(statement, **params):
    from app import db

    return db.session.execute(text(statement), params).all()


def _top(column, table_sql, **params):
    rows = _sql(f"SELECT e.{column}, count(*) {table_sql} AND e.{column} IS NOT NULL GROUP BY e.{column} "
                f"ORDER BY count(*) DESC, e.{column}", **params)
    assert rows, column
    return rows[0][0]


def test_the_heatmap_counts_only_visits_to_enterprises_meeting_the_filters(client, ctx):
    from app import clock

    headers = api_token(client, "office")
    monday = clock.week_start(clock.today()) - timedelta(weeks=7)
    end = monday + timedelta(weeks=8, days=-1)
    visits = "FROM visit v JOIN enterprise e ON e.id = v.enterprise_id WHERE v.visit_date BETWEEN :a AND :b"
    everything = sum(sum(r[1:]) for r in _chart(client, headers, "heatmap")["table"]["rows"])
    for arg, column in (("industry", "industry"), ("ent_category", "category"), ("region", "subdistrict")):
        value = _top(column, visits, a=monday, b=end)
        body = _chart(client, headers, "heatmap", **{arg: value})
        want = {}
        for name, day, n in _sql(f"SELECT o.name, v.visit_date, count(*) {visits.replace('WHERE', 'JOIN officer o ON o.id = v.officer_id WHERE')} "
                                 f"AND e.{column} = :v GROUP BY o.name, v.visit_date", a=monday, b=end, v=value):
            day = day if hasattr(day, "isoformat") else __import__("datetime").date.fromisoformat(str(day))
            want.setdefault(name, [0] * 8)[(day - monday).days // 7] += n
        got = {r[0]: r[1:] for r in body["table"]["rows"]}
        for name, weeks in got.items():
            assert weeks == want.get(name, [0] * 8), (arg, name)
        assert 0 < sum(sum(v) for v in got.values()) < everything, arg
    body = _chart(client, headers, "heatmap", level="major")
    assert sum(sum(r[1:]) for r in body["table"]["rows"]) == everything  # not a filter of visits
    assert "问题层级筛选不适用于本图" in body["definition"]


def test_units_count_the_notices_and_urges_of_the_filtered_problems(client, ctx):
    from app import clock, stats

    headers = api_token(client, "office")
    year = clock.today().year
    from datetime import date

    start, end = stats.utc_start(date(year, 1, 1)), stats.utc_start(date(year + 1, 1, 1))
    base = ("FROM notice n JOIN notice_recipient r ON r.notice_id = n.id AND r.role = 'lead' "
            "JOIN department d ON d.id = r.department_id JOIN issue i ON i.id = n.issue_id "
            "JOIN enterprise e ON e.id = i.enterprise_id WHERE n.sent_at >= :a AND n.sent_at < :b")
    industry = _top("industry", base, a=start, b=end)
    for args, cond in (({"industry": industry}, "e.industry = :v"), ({"level": "ordinary"}, "i.level = 'ordinary'")):
        body = _chart(client, headers, "units", period="year", **args)
        rows = {r[0]: r for r in body["table"]["rows"]}
        sent = dict(_sql(f"SELECT d.name, count(*) {base} AND {cond} GROUP BY d.name", a=start, b=end, v=industry))
        for name in set(sent) | set(rows):
            assert rows.get(name, [None, 0])[1] == sent.get(name, 0), (args, name)
        urges = dict(_sql("SELECT d.name, count(*) FROM urge u JOIN department d ON d.id = u.department_id "
                          "JOIN notice n ON n.id = u.notice_id JOIN issue i ON i.id = n.issue_id "
                          "JOIN enterprise e ON e.id = i.enterprise_id WHERE u.status = 'sent' AND u.sent_at >= :a "
                          f"AND u.sent_at < :b AND {cond} GROUP BY d.name", a=start, b=end, v=industry))
        for name in set(urges) | set(rows):
            assert rows.get(name, [None, 0, 0, 0])[3] == urges.get(name, 0), (args, name)
        assert "交办与督办只计所涉问题符合条件的" in body["definition"]
    every = sum(r[1] for r in _chart(client, headers, "units", period="year")["table"]["rows"])
    narrowed = sum(r[1] for r in _chart(client, headers, "units", period="year", industry=industry)["table"]["rows"])
    assert 0 < narrowed < every


def test_the_radar_counts_only_answers_of_enterprises_meeting_the_filters(client, ctx):
    from app import clock, stats
    from app.vocab import SATISFIED_LEVELS, SURVEY_DIMENSIONS

    headers = api_token(client, "office")
    year = clock.today().year
    from datetime import date

    start, end = stats.utc_start(date(year, 1, 1)), stats.utc_start(date(year + 1, 1, 1))
    answers = ("FROM survey_answer a JOIN survey_response s ON s.id = a.response_id JOIN survey_request q "
               "ON q.id = s.request_id JOIN enterprise e ON e.id = q.enterprise_id WHERE a.target_type = 'department' "
               "AND a.level IS NOT NULL AND s.submitted_at >= :a AND s.submitted_at < :b "
               "AND NOT EXISTS (SELECT 1 FROM bad_review b WHERE b.excluded AND b.response_id = a.response_id "
               "AND b.target_type = a.target_type AND b.target_id = a.target_id)")
    satisfied = ",".join(f"'{lv}'" for lv in SATISFIED_LEVELS)
    everything = {r[0]: r[3] for r in _chart(client, headers, "radar", period="year")["table"]["rows"]}
    for arg, column in (("industry", "industry"), ("ent_category", "category"), ("region", "subdistrict")):
        value = _top(column, answers, a=start, b=end)
        want = {dim: (int(ok or 0), n) for dim, ok, n in _sql(
            f"SELECT a.dimension, sum(CASE WHEN a.level IN ({satisfied}) THEN 1 ELSE 0 END), count(*) {answers} "
            f"AND e.{column} = :v GROUP BY a.dimension", a=start, b=end, v=value)}
        body = _chart(client, headers, "radar", period="year", **{arg: value})
        rows = {r[0]: r for r in body["table"]["rows"]}
        for dim in SURVEY_DIMENSIONS:
            assert tuple(rows[dim][2:4]) == want.get(dim, (0, 0)), (arg, dim)
        assert sum(r[3] for r in rows.values()) < sum(everything.values()), arg
        assert "问题层级筛选不适用于本图" in body["definition"]


def test_the_favicon_is_served_from_this_server(client, ctx):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert resp.data[:4] == b"\x00\x00\x01\x00" and 0 < len(resp.data) < 20_000


def test_statements_do_not_grow_with_items_criteria_or_visits(client, ctx):
    """The filtered charts and the policy funnel run as many statements after the library gets more benefit
    items (each with criteria of every kind) and the district more visits: the criteria are read once."""
    from sqlalchemy import event

    from app import db
    from app.models import Visit
    from world import department_of_login

    headers = api_token(client, "office")
    industry = _sql("SELECT industry FROM enterprise WHERE industry IS NOT NULL GROUP BY industry "
                    "ORDER BY count(*) DESC LIMIT 1")[0][0]
    statements = []

    def count(*args):
        statements.append(args[2])

    def measure():
        out = {}
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for name in ("heatmap", "units", "radar", "policy"):
                for args in ({}, {"industry": industry}):
                    client.get(f"/api/v1/dashboard/{name}", headers=headers, query_string=args)  # warm
                    statements.clear()
                    assert client.get(f"/api/v1/dashboard/{name}", headers=headers, query_string=args).status_code == 200
                    out[(name, tuple(args))] = len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return out

    before = measure()
    resp = client.post("/api/v1/policy/", headers=headers, json={"title": "语句数测试", "level": "district"})
    policy = resp.get_json()["id"]
    for n in range(6):
        resp = client.post("/api/v1/policy_item/", headers=headers, json={
            "policy": policy, "name": f"语句数事项{n}", "benefit": "补助", "cash_mode": "apply",
            "department": department_of_login("dept01"), "industries": [industry, f"行业{n}"],
            "categories": ["规上工业", "专精特新"][: 1 + n % 2], "sizes": ["small"], "subdistricts": [] if n % 2 else ["某街道"]})
        assert resp.status_code == 201, resp.get_json()
    cols = [c.name for c in Visit.__table__.columns if c.name != "id"]
    db.session.execute(text(f"INSERT INTO visit ({', '.join(cols)}) SELECT {', '.join(cols)} FROM visit ORDER BY id LIMIT 40"))
    db.session.commit()
    assert measure() == before
