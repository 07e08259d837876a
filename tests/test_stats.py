"""The statistics module: local-day periods, one definition per rate, the minimum sample — and
the places that print figures (bulletins, weekly drafts, the ledger export's 汇总) agreeing."""
from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app import bulletins, clock, db, duties, ledger, stats
from app.models import Issue
from world import department_of_login, enterprises_of, officer_of


def _user(name):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=name)


@pytest.fixture()
def closed_monday_morning(ctx):
    """A problem closed on Monday 2025-03-03 at 07:30 in Shanghai (Sunday 23:30 UTC)."""
    office, dept = _user("office"), _user("dept01")
    ent = enterprises_of("officer01")[0]
    done = db.session.scalar(select(Issue).where(Issue.title == "统计口径测试"))
    if done is not None:  # made by an earlier test on this database
        return done
    with clock.at(datetime(2025, 2, 24, 9, 0)):
        issue = ledger.create_issue(office, ent, "统计口径测试", "周一早上销号的问题", source="phone")
        ledger.commit()
        ledger.transition(office, issue.id, "accept")
        ledger.transition(office, issue.id, "assign", {"department": department_of_login("dept01")})
        ledger.commit()
    with clock.at(datetime(2025, 2, 26, 10, 0)):
        ledger.transition(dept, issue.id, "acknowledge")
        ledger.transition(dept, issue.id, "resolve", {"result": "已解决"})
        ledger.commit()
    with clock.at(datetime(2025, 2, 28, 16, 0)):
        ledger.transition(office, issue.id, "confirm", {"satisfaction": "satisfied", "note": "电话回访满意"})
        ledger.commit()
    with clock.at(datetime(2025, 3, 3, 7, 30)):
        ledger.transition(office, issue.id, "close")
        ledger.commit()
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.closed_at == datetime(2025, 3, 2, 23, 30)  # stored as UTC: still Sunday there
    return issue


def test_monday_morning_counts_in_mondays_week_in_the_bulletin(closed_monday_morning):
    number = closed_monday_morning.number
    with clock.at(datetime(2025, 3, 7, 18, 0)):
        this_week = bulletins.snapshot("weekly", stats.period("week", date(2025, 3, 3)))
        last_week = bulletins.snapshot("weekly", stats.period("week", date(2025, 2, 24)))
    assert number in [row[0] for row in this_week["closed"]]
    assert number not in [row[0] for row in last_week["closed"]]


def test_monday_morning_counts_in_mondays_week_in_the_weekly_draft(closed_monday_morning):
    officer = officer_of("officer01")
    this_week = duties.draft_content(officer, date(2025, 3, 3), date(2025, 3, 9))
    last_week = duties.draft_content(officer, date(2025, 2, 24), date(2025, 3, 2))
    assert "本期销号1个" in this_week
    assert "本期销号0个" in last_week


def test_periods_are_local_and_labelled_in_chinese(ctx):
    week = stats.period("week", date(2026, 11, 25))
    assert (week.start, week.end) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week.label == "2026年第48周（11月23日—11月29日）" and week.key == "2026-W48"
    quarter = stats.parse_period("2026Q4")
    assert (quarter.start, quarter.end, quarter.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026年第四季度")
    assert stats.parse_period("2026-02").end == date(2026, 2, 28)
    assert stats.parse_period("2024").end == date(2024, 12, 31)
    assert quarter.previous().key == "2026Q3" and week.previous().key == "2026-W47"
    # local midnight of 2026-11-23 in Shanghai is 16:00 UTC the day before
    assert stats.utc_start(date(2026, 11, 23)) == datetime(2026, 11, 22, 16, 0)
    for bad in ("2026-13", "1999Q1", "2026Q5", "9999-12", "0001-01", "abc", ""):
        with pytest.raises(ValueError):
            stats.parse_period(bad)


def test_rates_have_one_definition_and_a_minimum_sample(ctx):
    small = stats.solution_rate(Counter(resolved=1, closed=1, in_progress=1))
    assert small.denominator == 3 and small.value is None and small.text == stats.INSUFFICIENT
    big = stats.solution_rate(Counter(resolved=3, closed=5, in_progress=2, void=4))
    assert (big.numerator, big.denominator, big.percent, big.text) == (8, 10, 80.0, "80.0%")
    assert stats.closure_rate(Counter(resolved=3, closed=5, in_progress=2, void=4)).percent == 50.0
    assert big.definition == stats.RATES["solution"].definition and "已作废" in big.definition
    assert stats.rate("visit_coverage", 0, 0).text == stats.INSUFFICIENT


def test_monthly_bulletin_rate_is_the_ledgers_rate(ctx):
    """The month-end bulletin's 解决率 counts 已办结 + 已销号 over all but 已作废, as the 汇总 sheet does."""
    counts = Counter(dict(db.session.execute(select(Issue.status, db.func.count()).group_by(Issue.status)).all()))
    expected = (counts["resolved"] + counts["closed"]) / (sum(counts.values()) - counts["void"])
    data = bulletins.snapshot("monthly", stats.period("month", clock.today()))
    solution = next(r for r in data["rates"] if r["key"] == "solution")
    assert solution["numerator"] == counts["resolved"] + counts["closed"]
    assert solution["percent"] == round(100 * expected, 1)


def test_home_page_coverage_uses_the_one_rate(ctx, client):
    import re

    from conftest import login

    login(client, "office")
    html = client.get("/").get_data(as_text=True)
    m = re.search(r'id="cso-coverage"><a [^>]*>(\d+)/(\d+)</a></b>（周走访覆盖率 <span title="([^"]+)">([^<]+)</span>', html)
    assert m, html[:2000]
    visited, total = int(m.group(1)), int(m.group(2))
    assert m.group(3) == stats.RATES["visit_coverage"].definition
    assert m.group(4) == (f"{round(100 * visited / total, 1)}%" if total >= stats.DEFAULT_MIN_SAMPLE else stats.INSUFFICIENT)


def test_bulletin_and_ledger_export_print_the_same_rates(ctx, client):
    """The month-end bulletin and the ledger export's 汇总 sheet, on the same data, agree."""
    import io

    import openpyxl

    from conftest import login

    login(client, "office")
    resp = client.get("/export/ledger")
    assert resp.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(resp.data))["汇总"]
    cells = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}
    data = bulletins.snapshot("monthly", stats.period("month", clock.today()))
    printed = {r["label"]: r for r in data["rates"]}
    for label in ("解决率", "销号率"):
        assert round(100 * cells[label], 1) == printed[label]["percent"], label
    assert printed["解决率"]["definition"] in "".join(str(c) for c in cells)  # the same words under the sheet


def test_small_groups_read_insufficient_sample_in_the_export(ctx, client):
    import io

    import openpyxl

    from conftest import login

    login(client, "office")
    ws = openpyxl.load_workbook(io.BytesIO(client.get("/export/ledger").data))["汇总"]
    rows = [r for r in ws.iter_rows(values_only=True) if r and isinstance(r[1], (int, float)) and len(r) > 5]
    small = [r for r in rows if isinstance(r[1], int) and r[1] < stats.DEFAULT_MIN_SAMPLE and r[5] is not None]
    big = [r for r in rows if isinstance(r[1], int) and r[1] >= stats.DEFAULT_MIN_SAMPLE and isinstance(r[5], float)]
    assert small and all(r[5] == stats.INSUFFICIENT for r in small)
    assert big
