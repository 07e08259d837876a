"""No page of the portal loads anything from outside the server (issue 14 item 1: an intranet without
internet access). Every GET rule of the url_map without path parameters, plus a few with demo ids, is
requested as the office, a leader, an officer, a department and an enterprise; every HTML answer and
every same-server stylesheet it links is searched for a reference to another host in ``<script src>``,
``<link href>``, ``<img src>``, ``<iframe src>``, CSS ``url(...)`` and ``@import``."""
import re
from urllib.parse import urlparse

import pytest

from conftest import BASE_OVERRIDES, login

USERS = ("office", "leader", "officer01", "dept01", "ent01")
SKIP = {"AuthDBView.logout", "UserStatsChartView.chart"}  # the chart page is asserted gone below
WITH_IDS = ("/ledger/{issue}", "/notices/{notice}", "/enterpriseview/show/{enterprise}", "/meetings/{meeting}")
REFERENCES = [
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?([^\"'\s>]+)", re.I),
    re.compile(r"<(?:img|iframe|source|embed)\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.I),
    re.compile(r"url\(\s*[\"']?([^\"')\s]+)", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?([^\"');\s]+)", re.I),
]
OWN_HOSTS = {"", "localhost"}


def _external(html):
    out = []
    for pattern in REFERENCES:
        for ref in pattern.findall(html):
            parsed = urlparse(ref.strip())
            if (parsed.scheme in ("http", "https") or ref.strip().startswith("//")) \
                    and (parsed.hostname or "") not in OWN_HOSTS:
                out.append(ref)
    return out


def _stylesheets(html):
    hrefs = re.findall(r"<link\b[^>]*\bhref\s*=\s*[\"']?([^\"'\s>]+)", html, re.I)
    return [h for h in hrefs if h.endswith(".css") or ".css?" in h]


def _pages():
    from app import create_app

    app = create_app(BASE_OVERRIDES)
    return sorted({r.rule for r in app.url_map.iter_rules()
                   if "GET" in r.methods and r.endpoint not in SKIP and "<" not in r.rule})


def _demo_ids(ctx):
    from sqlalchemy import text

    from app import db

    def first(table):
        return db.session.execute(text(f"SELECT min(id) FROM {table}")).scalar()

    return {"issue": first("issue"), "notice": first("notice"), "enterprise": first("enterprise"),
            "meeting": first("meeting")}


def test_the_crawl_covers_the_dashboard_and_every_list():
    pages = _pages()
    assert {"/dashboard/", "/ledger/", "/notices/", "/"} <= set(pages) and len(pages) > 40


@pytest.mark.parametrize("user", USERS)
def test_no_page_loads_anything_from_another_host(app, ctx, user):
    client = app.test_client()
    login(client, user)
    urls = _pages() + [u.format(**_demo_ids(ctx)) for u in WITH_IDS]
    found, seen_css, html_pages = {}, set(), 0
    for url in urls:
        resp = client.get(url)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        html_pages += 1
        html = resp.get_data(as_text=True)
        if bad := _external(html):
            found[url] = bad
        for css in _stylesheets(html):
            if css in seen_css or urlparse(css).hostname:
                continue
            seen_css.add(css)
            sheet = client.get(css)
            if sheet.status_code == 200 and (bad := _external(sheet.get_data(as_text=True))):
                found[css] = bad
    assert html_pages > 10, html_pages  # logged in: the crawl really read pages
    assert not found, found


def test_the_checker_catches_external_references():
    assert _external('<script src="https://www.gstatic.com/charts/loader.js"></script>')
    assert _external('<link rel="stylesheet" href="//cdn.example.com/x.css">')
    assert _external("<style>@import 'https://fonts.googleapis.com/css?family=Noto';</style>")
    assert _external('<div style="background:url(http://example.com/a.png)"></div>')
    assert _external('<img src="https://example.com/a.png">')
    assert not _external('<script src="/static/dashboard.js"></script><a href="https://gov.cn/">x</a>')
    assert not _external('<link href="http://localhost/static/x.css"><img src="data:image/png;base64,AA==">')


def test_fab_user_statistics_page_is_not_reachable(app):
    client = app.test_client()
    login(client, "admin")
    resp = client.get("/userstatschartview/chart/")
    assert resp.status_code == 404 and "gstatic" not in resp.get_data(as_text=True)
