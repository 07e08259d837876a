"""Dashboard defects from the browser walk-through (/tmp/walk/report.md #6, #7, #18): the 街道 filter is
a pick-list and an inexact name is refused (never all zeros), the 交办单 tiles follow the filters and say
how, the KPI definition's punctuation, the 期间 pick-list, funnels that draw 0 件 as nothing, and the
league's empty state that says why and what to do."""
import html as html_lib
import re

from sqlalchemy import text

from conftest import api_token, login

CHARTS = ("kpi", "trend", "league", "ageing", "categories", "funnel", "heatmap", "units", "radar", "policy")


def _all(sql, **params):
    from app import db

    return db.session.execute(text(sql), params).all()


def _api(client, headers, name, **args):
    return client.get(f"/api/v1/dashboard/{name}", headers=headers, query_string=args)


def _towns():
    from app.pinyin_order import sort_rows

    return sort_rows(r[0] for r in _all("SELECT DISTINCT subdistrict FROM enterprise WHERE subdistrict IS NOT NULL "
                                         "AND subdistrict <> ''"))


def test_region_is_a_pick_list_of_the_districts_towns_by_pinyin(client, ctx):
    towns = _towns()
    assert len(towns) >= 2
    login(client, "leader")
    page = client.get("/dashboard/").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="region"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the 街道 filter is a pick-list"
    assert not re.search(r'<input[^>]*name="region"', page)
    offered = [html_lib.unescape(v) for v in re.findall(r'<option value="([^"]*)"', select.group(1))]
    assert offered == ["", *towns]  # 全部, then every enterprise's 所属街道 in pinyin order
    page = client.get("/dashboard/", query_string={"region": towns[-1]}).get_data(as_text=True)
    assert f'<option value="{towns[-1]}" selected' in page


def test_an_inexact_town_is_refused_in_chinese_not_counted_as_zero(client, ctx):
    town = max(_towns(), key=len)
    part = town[:2]  # 文昌 for 文昌街道
    assert part not in _towns()
    headers = api_token(client, "leader")
    for chart in CHARTS:
        resp = _api(client, headers, chart, region=part)
        body = str(resp.get_json())
        assert resp.status_code == 400, (chart, resp.get_json())
        assert f"街道/乡镇“{part}”不存在" in body and town in body, body  # and the full name it may mean
    assert _api(client, headers, "kpi", region=town).status_code == 200
    login(client, "leader")
    page = client.get("/dashboard/", query_string={"region": part}, follow_redirects=True).get_data(as_text=True)
    assert f"街道/乡镇“{part}”不存在" in page and "筛选条件有误（街道/乡镇）" in page
    assert f"您要找的可能是：" in page


def test_other_filters_refuse_unknown_values_on_page_and_api(client, ctx):
    headers = api_token(client, "leader")
    for args, words in (({"industry": "装备"}, "行业“装备”不存在"), ({"ent_category": "规上"}, "企业类别“规上”不存在"),
                        ({"level": "大"}, "问题层级“大”不存在"), ({"period": "2026年11月"}, "期间格式应为")):
        resp = _api(client, headers, "kpi", **args)
        assert resp.status_code == 400 and words in str(resp.get_json()), args
    login(client, "leader")
    page = client.get("/dashboard/", query_string={"industry": "装备"}, follow_redirects=True).get_data(as_text=True)
    assert "筛选条件有误（行业）" in page


def _notice_sql(where_issue=None):
    from app.vocab import NOTICE_OPEN, NOTICE_RUNNING

    cond = f" AND issue_id IN (SELECT id FROM issue WHERE {where_issue})" if where_issue else ""
    open_list = ",".join(f"'{s}'" for s in NOTICE_OPEN)
    running = ",".join(f"'{s}'" for s in NOTICE_RUNNING)
    n_open = _all(f"SELECT count(*) FROM notice WHERE status IN ({open_list}){cond}")[0][0]
    n_late = _all(f"SELECT count(*) FROM notice WHERE status IN ({running}) AND due_on < :today{cond}",
                  today=_today())[0][0]
    return n_open, n_late


def _today():
    from app import clock

    return clock.today()


def test_notice_tiles_follow_the_filters_and_say_so(client, ctx):
    headers = api_token(client, "office")
    tiles = {t["name"]: t for t in _api(client, headers, "kpi").get_json()["tiles"]}
    everything = _notice_sql()
    assert (tiles["交办单未办结"]["value"], tiles["交办单逾期"]["value"]) == everything
    assert everything[0] > 0 and not tiles["交办单未办结"]["note"]
    assert "筛选" in tiles["交办单未办结"]["definition"] and "筛选" in tiles["交办单逾期"]["definition"]
    regions = [r[0] for r in _all("SELECT DISTINCT region FROM issue WHERE region IS NOT NULL")]
    towns = set(_towns())
    checked = 0
    for region in regions:
        if region not in towns:
            continue
        expected = _notice_sql(f"region = '{region}'")
        body = _api(client, headers, "kpi", region=region).get_json()
        tiles = {t["name"]: t for t in body["tiles"]}
        assert (tiles["交办单未办结"]["value"], tiles["交办单逾期"]["value"]) == expected, region
        assert tiles["交办单未办结"]["note"] and tiles["交办单逾期"]["note"]
        checked += expected != everything
    assert checked  # some 街道 has fewer notices than the district: the tiles did narrow
    expected = _notice_sql("level = 'major'")
    tiles = {t["name"]: t for t in _api(client, headers, "kpi", level="major").get_json()["tiles"]}
    assert (tiles["交办单未办结"]["value"], tiles["交办单逾期"]["value"]) == expected
    login(client, "office")  # the static page writes the note on the tile
    page = client.get("/dashboard/", query_string={"level": "major", "render": "server"}).get_data(as_text=True)
    assert page.count('class="cso-last cso-tile-note"') == 2


def test_kpi_definition_has_no_doubled_punctuation(client, ctx):
    definition = _api(client, api_token(client, "office"), "kpi").get_json()["definition"]
    assert not re.search(r"[。；，]{2}", definition), definition
    assert definition.endswith("。")


def test_period_is_a_pick_list_not_a_url_to_type(client, ctx):
    from app import stats

    login(client, "leader")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "在地址中" not in page and "?period=" not in page
    select = re.search(r'<select[^>]*name="period"[^>]*>(.*?)</select>', page, re.S).group(1)
    last_month = stats.period("month", _today()).previous()
    last_quarter = stats.period("quarter", _today()).previous()
    for p in (last_month, last_quarter, stats.period("year", _today()).previous()):
        assert f'<option value="{p.key}" >{p.label}</option>' in select, p.key
    assert '<option value="month" selected>本月</option>' in select
    page = client.get("/dashboard/", query_string={"period": last_quarter.key}).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="period"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert f'<option value="{last_quarter.key}" selected>' in select and select.count("selected") == 1
    for key in ("2026-W48", "2026Q4", "2026-11", "2026"):  # every accepted form works from the page
        assert client.get("/dashboard/", query_string={"period": key}).status_code == 200


def _funnel_width(series, value):
    """The width ECharts 5 gives a funnel item (its funnelLayout: [min, max] → [minSize, maxSize],
    min defaulting to min(0, smallest), max to the largest value)."""
    values = [d["value"] for d in series["data"]]
    low = series.get("min", min(0, min(values)))
    high = series.get("max", max(values))
    small, big = (float(str(series.get(k, d)).rstrip("%")) for k, d in (("minSize", "0%"), ("maxSize", "100%")))
    if high == low:
        return small
    share = min(max((value - low) / (high - low), 0), 1)
    return small + share * (big - small)


def test_funnel_stages_with_no_problems_draw_as_nothing(client, ctx):
    headers = api_token(client, "office")
    for chart in ("funnel", "policy"):
        for period in ("month", "year"):
            series = _api(client, headers, chart, period=period).get_json()["option"]["series"][0]
            values = [d["value"] for d in series["data"]]
            assert _funnel_width(series, 0) == 0, (chart, series)
            top = max(values)
            if top:
                assert _funnel_width(series, top) == 100
                for v in values:  # widths in proportion to the counts
                    assert abs(_funnel_width(series, v) - 100.0 * v / top) < 1e-9


def test_league_empty_state_says_why_and_what_to_do(client, ctx):
    headers = api_token(client, "office")
    body = _api(client, headers, "league", period="2001-01").get_json()  # a month with nothing resolved
    title = body["option"]["title"]["text"]
    assert "暂不排名" in title and "较长的期间" in title and "本季度" in title
    title = _api(client, headers, "league", period="2001").get_json()["option"]["title"]["text"]
    assert "上一年度" in title
