"""Security headers on every response (issue 10 item 9; docs/architecture.md#security): a CSP with
``script-src 'self'`` plus a per-request nonce that FAB's inline scripts carry, no inline event
handlers in any page or template, framing refused, nosniff, a referrer policy, no-store on pages
and API answers, HSTS when the session cookie is secure."""
import glob
import os
import re

import pytest

from conftest import BASE_OVERRIDES, api_token, login

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']|javascript:""", re.I)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
PAGES = ("/", "/ledger/", "/enterpriseview/list/", "/visitview/list/?_flt_0_summary=x", "/enterpriseview/add",
         "/notice/", "/logout/", "/resetmypassword/form", "/accountstateview/list/")


def _nonce(resp):
    csp = resp.headers["Content-Security-Policy"]
    match = re.search(r"'nonce-([^']+)'", csp)
    return match.group(1) if match else None


def _check_common(resp):
    csp = resp.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("script-src", "").startswith("'self'"), csp
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"], csp
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'", csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")


def test_every_page_has_the_headers_and_only_nonced_inline_scripts(app, client):
    login(client, "admin")
    seen_inline = 0
    for url in PAGES + (f"/ledger/{10 ** 6}",):
        resp = client.get(url)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        _check_common(resp)
        assert resp.headers["Cache-Control"] == "no-store", url
        html = resp.get_data(as_text=True)
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html).group(0))
        nonce = _nonce(resp)
        for attrs, body in SCRIPT.findall(html):
            if "src=" in attrs:
                continue
            seen_inline += 1
            assert nonce and f'nonce="{nonce}"' in attrs, (url, attrs, body[:80])
    assert seen_inline  # FAB's list and form pages do have inline scripts: they carry the nonce


def test_the_nonce_changes_per_request(client):
    login(client, "office")
    first, second = client.get("/enterpriseview/list/"), client.get("/enterpriseview/list/")
    assert _nonce(first) and _nonce(second) and _nonce(first) != _nonce(second)


def test_login_page_api_answers_errors_and_static_files(client):
    page = client.get("/login/")
    _check_common(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert not INLINE_HANDLER.search(page.get_data(as_text=True))
    api = client.get("/api/v1/issue/", headers=api_token(client, "office"))
    _check_common(api)
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    for resp in (client.get("/api/v1/issue/"), client.get("/no-such-page")):
        _check_common(resp)
    static = client.get("/static/cso.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    _check_common(static)


def test_no_template_of_ours_has_inline_script_or_handlers():
    for path in glob.glob(os.path.join(ROOT, "app", "templates", "**", "*.html"), recursive=True):
        text = open(path, encoding="utf-8").read()
        assert not INLINE_HANDLER.search(text), (path, INLINE_HANDLER.search(text).group(0))
        for attrs, _body in SCRIPT.findall(text):
            assert "src=" in attrs or "nonce=" in attrs, (path, attrs)


@pytest.mark.parametrize("secure", [False, True])
def test_hsts_only_when_the_session_cookie_is_secure(app, secure):
    from app import create_app

    other = create_app({**BASE_OVERRIDES, "SESSION_COOKIE_SECURE": secure})
    resp = other.test_client().get("/login/")
    assert ("Strict-Transport-Security" in resp.headers) is secure
    if secure:
        assert "max-age=31536000" in resp.headers["Strict-Transport-Security"]
