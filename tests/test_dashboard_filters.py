"""The dashboard's filters industry (行业), ent_category (企业类别) and level (问题层级) — issue 14 item 2:
the same names on the page, in ``GET /api/v1/dashboard/<chart>`` and in the ledger list behind a number;
numbers computed here with plain SQL; an unknown value is a Chinese 400 (API) or a flash (page)."""
import re
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select, text

from conftest import api_token, login

OPEN = "('new','accepted','assigned','in_progress')"


def _one(sql, **params):
    from app import db

    return db.session.execute(text(sql), params).scalar()


def _kpi(client, headers, **args):
    resp = client.get("/api/v1/dashboard/kpi", headers=headers, query_string={"period": "year", **args})
    assert resp.status_code == 200, resp.get_json()
    return {t["name"]: t for t in resp.get_json()["tiles"]}


def _listed(client, url):
    page = client.get(url).get_data(as_text=True)
    found = re.search(r"共\s*(?:<[^>]+>)?\s*([\d,]+)\s*(?:</[^>]+>)?\s*(?:件|条)", page)
    assert found, url
    return int(found.group(1).replace(",", ""))


def test_industry_category_and_level_filter_every_number_and_its_list(client, ctx):
    industry = _one("SELECT e.industry FROM issue i JOIN enterprise e ON e.id = i.enterprise_id "
                    f"WHERE i.status IN {OPEN} AND e.industry IS NOT NULL GROUP BY e.industry ORDER BY count(*) DESC LIMIT 1")
    category = _one("SELECT e.category FROM issue i JOIN enterprise e ON e.id = i.enterprise_id "
                    f"WHERE i.status IN {OPEN} AND e.category IS NOT NULL GROUP BY e.category ORDER BY count(*) DESC LIMIT 1")
    assert industry and category
    headers = api_token(client, "office")
    everything = _kpi(client, headers)["未办结问题"]["value"]
    login(client, "office")
    cases = (
        ({"industry": industry}, f"e.industry = '{industry}'"),
        ({"ent_category": category}, f"e.category = '{category}'"),
        ({"level": "major"}, "i.level = 'major'"),
        ({"industry": industry, "level": "ordinary"}, f"e.industry = '{industry}' AND i.level = 'ordinary'"),
    )
    for args, where in cases:
        expected = _one(f"SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id "
                        f"WHERE i.status IN {OPEN} AND {where}")
        tile = _kpi(client, headers, **args)["未办结问题"]
        assert tile["value"] == expected, args
        query = parse_qs(urlparse(tile["url"]).query)
        assert all(query.get(k) == [v] for k, v in args.items()), tile["url"]  # the link carries the filters
        assert _listed(client, tile["url"]) == expected, tile["url"]  # and lands on that many problems
    assert _kpi(client, headers, level="major")["未办结问题"]["value"] < everything
    # another chart takes the same arguments: the ageing table's links carry them too
    body = client.get("/api/v1/dashboard/ageing", headers=headers, query_string={"industry": industry}).get_json()
    links = [u for row in body["table"]["links"] for u in row if u]
    assert links and all(parse_qs(urlparse(u).query).get("industry") == [industry] for u in links)


def test_unknown_filter_values_answer_in_chinese(client, ctx):
    headers = api_token(client, "office")
    for chart in ("kpi", "league", "heatmap"):
        for args, words in (({"industry": "不存在的行业"}, "行业“不存在的行业”不存在"),
                            ({"ent_category": "X类"}, "企业类别“X类”不存在"),
                            ({"level": "huge"}, "问题层级“huge”不存在，可选：ordinary（一般问题）、major（重大复杂问题）")):
            resp = client.get(f"/api/v1/dashboard/{chart}", headers=headers, query_string=args)
            assert resp.status_code == 400 and words in str(resp.get_json()), (chart, args, resp.get_json())
    login(client, "office")
    page = client.get("/dashboard/?level=huge", follow_redirects=True).get_data(as_text=True)
    assert "问题层级“huge”不存在" in page
    page = client.get("/dashboard/?level=major").get_data(as_text=True)
    assert 'name="industry"' in page and 'name="ent_category"' in page and '<option value="major" selected' in page


def test_the_page_loads_each_chart_from_its_endpoint(client, ctx):
    """The page counts nothing: one card per chart pointing at GET /api/v1/dashboard/<chart> with the
    page's filters, which answers the logged-in browser (session) in the viewer's scope."""
    from sqlalchemy import event

    from app import db
    from app.dashboard.views import page_order

    town = _one("SELECT min(subdistrict) FROM enterprise")  # a 街道 of the roster (an unknown one is refused)
    login(client, "office")
    seen = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    with client.application.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get("/dashboard/?level=major")
        seen.clear()
        html = client.get("/dashboard/", query_string={"level": "major", "region": town}).get_data(as_text=True)
        lazy = len(seen)
        seen.clear()
        client.get("/dashboard/", query_string={"level": "major", "region": town, "render": "server"})
        server = len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert lazy <= 15 and server > 4 * lazy, (lazy, server)  # login, menu, the filter choices only
    loads = re.findall(r'data-cso-load="([^"]+)"', html)
    with client.application.app_context():
        order = page_order()
    assert "policy" in order  # the demo has benefit items in force
    assert [u.split("?")[0] for u in loads] == [f"/api/v1/dashboard/{n}" for n in order]
    assert all(parse_qs(urlparse(u.replace("&amp;", "&")).query) == {"level": ["major"], "region": [town]} for u in loads)
    assert "data-cso-option" not in html and "dashboard.js" in html and "render=server" in html
    body = client.get(loads[0].replace("&amp;", "&")).get_json()  # the session, no token
    assert body["tiles"] and body["as_of"]
    login(client, "ent01")
    assert client.get("/api/v1/dashboard/kpi").status_code in (401, 403)
    anonymous = client.application.test_client()
    resp = anonymous.get("/api/v1/dashboard/kpi")
    assert resp.status_code in (401, 403) and "tiles" not in (resp.get_json() or {})


def test_categories_repeat_rate_by_hand(client, ctx, monkeypatch):
    """A new category 重复测试类 with four problems this year: enterprise A on 1 Feb, 1 Mar and 1 Mar
    (the same day: the later id repeats), enterprise B on 1 Mar; a void one of B in January does not
    count as earlier but is itself one of the five received. Repeats: A's second and third = 2 of 5 = 40.0%
    (minimum sample 5; at 6 the rate is hidden)."""
    from datetime import date

    from app import clock, db
    from app.models import Issue, IssueCategory

    year = clock.today().year
    cat = IssueCategory(name="重复测试类")
    db.session.add(cat)
    db.session.flush()
    ents = [e for (e,) in db.session.execute(text("SELECT DISTINCT enterprise_id FROM issue ORDER BY 1 LIMIT 2"))]
    cols = [c.name for c in Issue.__table__.columns if c.name not in ("id", "number", "seq", "category_id", "enterprise_id",
                                                                       "received_on", "status")]
    src = db.session.execute(text("SELECT min(id) FROM issue")).scalar()
    plan = [(ents[0], date(year, 2, 1), "accepted"), (ents[0], date(year, 3, 1), "accepted"),
            (ents[0], date(year, 3, 1), "accepted"), (ents[1], date(year, 1, 5), "void"), (ents[1], date(year, 3, 1), "accepted")]
    for n, (ent, day, status) in enumerate(plan):
        db.session.execute(text(
            f"INSERT INTO issue (number, seq, category_id, enterprise_id, received_on, status, {', '.join(cols)}) "
            f"SELECT :num, :seq, :cat, :ent, :day, :status, {', '.join(cols)} FROM issue WHERE id = :src"),
            {"num": f"R{n}", "seq": 990000 + n, "cat": cat.id, "ent": ent, "day": day, "status": status, "src": src})
    db.session.commit()
    monkeypatch.setitem(client.application.config, "CSO_MIN_SAMPLE", 5)
    body = client.get("/api/v1/dashboard/categories", headers=api_token(client, "office"),
                      query_string={"period": str(year)}).get_json()
    assert body["table"]["columns"] == ["问题类别", "问题数", "已解决", "重复反映", "重复率"]
    row = next(r for r in body["table"]["rows"] if r[0] == "重复测试类")
    assert row[1:4] == [5, 0, 2]  # five received (the void one too), two repeats
    assert row[4] == "40.0%"
    monkeypatch.setitem(client.application.config, "CSO_MIN_SAMPLE", 6)
    body6 = client.get("/api/v1/dashboard/categories", headers=api_token(client, "office"),
                       query_string={"period": str(year)}).get_json()
    assert next(r for r in body6["table"]["rows"] if r[0] == "重复测试类")[4] == "样本不足"
    assert "重复反映：同一企业在本期开始前12个月起" in body["definition"]


def test_policy_funnel_agrees_with_the_policy_library_and_hides_without_policies(client, ctx):
    """符合条件 − 已告知 = the 应知未知 list of app.policies (same viewer); stages from plain SQL over the
    deliveries and uptake of those pairs; no item in force → no card on the page."""
    from app import db, scope
    from app.models import User
    from app.policies import deliveries
    from app.policies.rules import eligible_pairs

    for who in ("office", "officer01"):
        body = client.get("/api/v1/dashboard/policy", headers=api_token(client, who)).get_json()
        stages = {r[0]: r[1] for r in body["table"]["rows"]}
        assert list(stages) == ["符合条件", "已告知", "企业已确认", "已申报", "已兑现"]
        user = db.session.scalar(select(User).where(User.username == who))
        pairs = db.session.execute(eligible_pairs(ctx_today())).all()
        ents = scope.enterprise_ids(user)
        ents = None if ents is None else set(db.session.scalars(ents))
        mine = {(i, e) for i, e in pairs if ents is None or e in ents}
        assert stages["符合条件"] == len(mine) > 0, who
        assert stages["符合条件"] - stages["已告知"] == len(deliveries.unaware(user)), who
        paid = {(i, e) for i, e in db.session.execute(text(
            "SELECT item_id, enterprise_id FROM policy_uptake WHERE status = 'paid'")).all()}
        assert stages["已兑现"] == len(mine & paid), who
        assert stages["企业已确认"] <= stages["已告知"] and stages["已兑现"] <= stages["已申报"]
        assert body["table"]["links"][0][1] == "/policies/deliveries/unaware"
    db.session.execute(text("UPDATE policy SET status = 'repealed'"))
    db.session.commit()
    login(client, "office")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="cso-chart-radar"' in html and 'id="cso-chart-policy"' not in html


def ctx_today():
    from app import clock

    return clock.today()
