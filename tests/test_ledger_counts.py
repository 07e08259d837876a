"""Issue 11: the ledger screen's total does not grow with the data. Up to queues.COUNT_CAP it is exact; past it
(on listing.ESTIMATE_DIALECTS) it is estimated from a sample of the table, labelled 约 … （…估算…）, and the pager offers only
pages that certainly exist: the next one when the page read a row past its end, never a "last page"; a page
past the real end is an empty list that says so. The REST API's ``count`` and the exports stay exact.

The cap is lowered to a few rows of the demo data; on SQLite (no TABLESAMPLE) the estimate is stood in
for, too low and too high, so that the pager is checked against either kind of mistake on both databases."""
import re
import pytest
from sqlalchemy import func, select

from app import db
from app.ledger import listing
from app.models import Issue
from app.notifications import queues
from conftest import POSTGRES, api_token, login

CAP = 2


def _count(html):
    m = re.search(r'id="cso-count">([\d,]+)<', html)
    return int(m.group(1).replace(",", "")), 'id="cso-total" data-cso-estimate="1"' in html


def _rows(html):
    return re.findall(r'href="/ledger/(\d+)"', html.split("<tbody>")[1].split("</tbody>")[0])


def _next(html):
    m = re.search(r'<a href="([^"]+)">下一页</a>', html)
    return m.group(1).replace("&amp;", "&") if m else None


@pytest.fixture
def capped(monkeypatch):
    monkeypatch.setattr(queues, "COUNT_CAP", CAP)
    monkeypatch.setattr(listing, "ESTIMATE_DIALECTS", {db.engine.dialect.name})
    monkeypatch.setattr(queues, "SPLIT_DIALECTS", {db.engine.dialect.name})  # a unit's parts, as on PostgreSQL

    def planned(guess):
        if guess is not None:
            monkeypatch.setattr(listing, "_sampled", lambda parts: guess)
        elif not POSTGRES:
            pytest.skip("the estimate from a sample of the table: PostgreSQL")
    return planned


def _walk(client, first):
    """Every row of the list, following 下一页 from ``first``; and the pages' html."""
    seen, pages, url = [], [], first
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(html)
        seen += _rows(html)
        url = _next(html)
        assert len(pages) < 200
    return seen, pages


@pytest.mark.parametrize("guess", [None, 1, 10 ** 6], ids=["sampled", "too low", "too high"])
@pytest.mark.parametrize("who,query", [("office", ""), ("office", "open=1"), ("dept01", ""), ("dept02", "")])
def test_past_the_cap_the_total_is_a_labelled_estimate_and_every_row_is_reachable(ctx, client, capped, guess, who, query):
    capped(guess)
    exact = client.get(f"/api/v1/issue/?page_size=100&order=number&{query}", headers=api_token(client, who)).get_json()
    assert exact["count"] == len(exact["ids"]) > CAP + 2  # the REST API's count stays exact past the cap
    login(client, who)
    first = f"/ledger/?page_size=2&order=number&{query}"
    html = client.get(first).get_data(as_text=True)
    shown, estimated = _count(html)
    assert estimated and shown > CAP and "共约" in html and f"超过 {CAP:,} 条时为估算" in html
    assert "末页" not in html and "/ " not in re.search(r"第 1 [^<]*页", html).group(0)
    seen, pages = _walk(client, first)
    assert seen == [str(i) for i in exact["ids"]]  # every row once, in order, though the total is a guess
    through = 0
    for html in pages:  # never fewer than the rows certainly there: a guess too low is raised to them
        through += len(_rows(html))
        shown, estimated = _count(html)
        assert estimated and shown >= max(through + (_next(html) is not None), CAP + 1)


@pytest.mark.parametrize("guess", [1, 10 ** 6], ids=["too low", "too high"])
def test_a_page_past_the_real_end_of_an_estimated_list_is_empty_and_says_so(ctx, client, capped, guess):
    capped(guess)
    login(client, "office")
    n = db.session.scalar(select(func.count()).select_from(Issue))
    for goto in (n // 3 + 2, 999999):
        for url in (f"/ledger/?page_size=3&goto={goto}", f"/ledger/?page_size=3&page={goto - 1}"):
            resp = client.get(url)
            html = resp.get_data(as_text=True)
            assert resp.status_code == 200 and _rows(html) == [] and "已超出列表末尾" in html and _next(html) is None
            assert f"第 {goto} 页" in html
        assert 'href="/ledger/?page_size=3&amp;page=0"' in html  # back to the first page


def test_under_the_cap_or_without_an_estimate_the_total_is_exact(ctx, client, monkeypatch):
    login(client, "office")
    n = db.session.scalar(select(func.count()).select_from(Issue))
    html = client.get("/ledger/?page_size=3").get_data(as_text=True)
    assert _count(html) == (n, False) and "估算" not in html and "末页" in html and f"第 1 / {-(-n // 3)} 页" in html
    monkeypatch.setattr(queues, "COUNT_CAP", CAP)
    monkeypatch.setattr(listing, "ESTIMATE_DIALECTS", set())  # SQLite's way: exact at any size
    html = client.get("/ledger/?page_size=3").get_data(as_text=True)
    assert _count(html) == (n, False) and "末页" in html
    # an exact list past its end still shows its last page
    resp = client.get(f"/ledger/?page_size=3&page={n}")
    assert resp.status_code == 302 and f"page={(n - 1) // 3}" in resp.headers["Location"]


def test_the_estimate_is_rounded_and_never_below_the_cap(ctx, client, capped):
    capped(1_000_060)
    login(client, "office")
    assert _count(client.get("/ledger/").get_data(as_text=True)) == (1_000_000, True)
    capped(2)
    shown, estimated = _count(client.get("/ledger/?page_size=3").get_data(as_text=True))
    assert estimated and shown >= CAP + 1


@pytest.mark.parametrize("who", ["office", "dept01", "dept02"])
def test_the_total_is_exact_up_to_the_cap_and_estimated_just_past_it(ctx, client, capped, monkeypatch, who):
    """A unit's parts are counted one after the other, each bounded by what is left of the cap: the sum is
    exact while it is within the cap, whichever part carries it past."""
    capped(10 ** 6)
    n = client.get("/api/v1/issue/?page_size=100", headers=api_token(client, who)).get_json()["count"]
    assert n > 2
    login(client, who)
    for cap in sorted({0, 1, n // 2, n - 1, n, n + 1}):
        monkeypatch.setattr(queues, "COUNT_CAP", cap)
        shown, estimated = _count(client.get("/ledger/").get_data(as_text=True))
        assert estimated == (n > cap) and (estimated or shown == n), (cap, n, shown)
