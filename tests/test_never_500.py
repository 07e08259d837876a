"""No GET route answers 500, whatever the URL holds.

Every GET rule of the app's url_map (Flask-AppBuilder's and ours, so a new screen is covered the day
it is registered) is requested as the office and as an officer with garbage in the path — huge,
negative, non-numeric and 5,000-character ids — and with garbage query arguments (page numbers,
page sizes, FAB's filter and order arguments, broken Rison, far dates and months, long text).
Each rule gets a rotating sample of the cases per user, so the whole sweep stays a few seconds and
every case still meets many rules. Routes that still answer 500 because of a bug in the app are
listed in KNOWN_500 as strict xfails: fixing the bug turns them into failures to be removed here.
"""
import re
from urllib.parse import quote

import pytest

from conftest import BASE_OVERRIDES, api_token, login

USERS = ("office", "officer01")
SAMPLES = {"path": 2, "query": 3}  # cases per rule and user

HUGE, HUGER = str(2 ** 64), str(10 ** 30)
LONG = "9" * 5000
PATH_CASES = {  # the value put into every path parameter of the rule
    "huge": HUGE, "huger": HUGER, "negative": "-1", "text": "abc", "zero": "0", "long": LONG,
    "quote": "1'\"<>", "float": "1.7e+34",
}
DATES_FAR = ("9999-12-31", "0001-01-01")
MONTHS_FAR = ("9999-12", "0001-01")
LIST_ARGS = ("status", "tier", "enterprise", "department", "officer", "category", "region", "source", "level",
             "order", "open", "kind", "logins", "year")
DATE_ARGS = ("received_from", "received_to", "day", "date", "period", "start", "end", "as_of", "now")
MONTH_ARGS = ("month", "month_from", "month_to", "period")


def _q(pairs):
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)


QUERY_CASES = {  # view name → query string
    "page-negative": lambda v: _q([("page", "-1"), ("page_size", "-1"), (f"page_{v}", "-1"), (f"psize_{v}", "-1")]),
    "page-huge": lambda v: _q([("page", "9" * 20), ("page_size", "9" * 20), (f"page_{v}", "9" * 20),
                               (f"psize_{v}", "9" * 20)]),
    "psize-text": lambda v: _q([(f"psize_{v}", "abc"), (f"page_{v}", "abc"), ("page", "abc"), ("page_size", "abc")]),
    "fab-filters": lambda v: _q([("_flt_0_x", "…"), ("_flt_0_name", "'"), ("_flt_1_id", "abc"),
                                 ("_flt_99_enterprise", HUGE), ("_flt_abc_name", "x"), (f"_oc_{v}", "nope"),
                                 (f"_od_{v}", "sideways")]),
    "rison-open": lambda v: _q([("q", "(")]),
    "rison-float": lambda v: _q([("q", "(page:1.7e+34,page_size:1.7e+34)")]),
    "rison-types": lambda v: _q([("q", "(filters:!((col:id,opr:eq,value:abc)),order_column:nope,page:-1)")]),
    "long-text": lambda v: _q([("q", LONG), ("status", LONG), ("enterprise", LONG), ("_flt_0_name", LONG)]),
    "garbage-args": lambda v: _q([(k, "nope") for k in LIST_ARGS] + [("enterprise", HUGER), ("officer", "-1")]),
    "ids-huge": lambda v: _q([(k, HUGE) for k in LIST_ARGS]),
    "dates-far": lambda v: _q([(k, DATES_FAR[i % 2]) for i, k in enumerate(DATE_ARGS)]),
    "dates-far-swapped": lambda v: _q([(k, DATES_FAR[(i + 1) % 2]) for i, k in enumerate(DATE_ARGS)]),
    "months-high": lambda v: _q([(k, MONTHS_FAR[0]) for k in MONTH_ARGS] + [("year", "9999")]),
    "months-low": lambda v: _q([(k, MONTHS_FAR[1]) for k in MONTH_ARGS] + [("year", "1")]),
    "months-malformed": lambda v: _q([(k, "2026-13") for k in MONTH_ARGS] + [("month_to", "0000-00")]),
}

SKIP = {"AuthDBView.logout"}  # would end the session the other cases run in; requested on its own below

# (user, endpoint, case) → why it still answers 500. Strict: once fixed, the xfail fails — delete the line.
KNOWN_500 = {
}


def _rules():
    """(endpoint, rule) of every GET rule, from an app built the way the tests build it."""
    from app import create_app

    app = create_app(BASE_OVERRIDES)
    return sorted((r.endpoint, r.rule) for r in app.url_map.iter_rules()
                  if "GET" in r.methods and r.endpoint not in SKIP)


PARAM = re.compile(r"<(?:[^:<>]+:)?[^<>]+>")


def _cases():
    """A rotating sample: rule i gets cases i*samples … of its kind's list, the second user half a turn
    further, so both users see different cases of the same rule and every case meets many rules."""
    out = []
    for i, (endpoint, rule) in enumerate(_rules()):
        kind = "path" if PARAM.search(rule) else "query"
        names, samples = list(PATH_CASES if kind == "path" else QUERY_CASES), SAMPLES[kind]
        for u, user in enumerate(USERS):
            start = (i * samples + u * len(names) // 2) % len(names)
            for name in dict.fromkeys(names[(start + k) % len(names)] for k in range(samples)):  # ordered: xdist
                marks = ()
                if (user, endpoint, name) in KNOWN_500:
                    marks = pytest.mark.xfail(strict=True, reason=KNOWN_500[(user, endpoint, name)])
                out.append(pytest.param(user, endpoint, rule, name, marks=marks, id=f"{user}-{endpoint}-{name}"))
    return out


@pytest.fixture(scope="module")
def sessions(app):
    """Per user: the session cookie of a logged-in browser and a JWT header."""
    out = {}
    for user in USERS:
        client = app.test_client()
        login(client, user)
        out[user] = (client.get_cookie("session").value, api_token(client, user))
    return out


@pytest.mark.parametrize("user,endpoint,rule,case", _cases())
def test_get_never_500(app, sessions, user, endpoint, rule, case):
    cookie, headers = sessions[user]
    client = app.test_client()  # a fresh browser with the user's session: nothing a case does leaks into the next
    client.set_cookie("session", cookie)
    if PARAM.search(rule):
        url = PARAM.sub(lambda m: quote(PATH_CASES[case], safe=""), rule)
    else:  # FAB's list arguments carry the view's class name
        url = f"{rule}?{QUERY_CASES[case](endpoint.split('.')[0])}"
    resp = client.get(url, headers=headers)
    assert resp.status_code < 500, (url[:300], resp.get_data(as_text=True)[:500])


def test_the_sweep_runs_logged_in(app, sessions):
    """The cases above would pass trivially as an anonymous visitor (a redirect to the login page)."""
    for user, home in (("office", "办公室工作台"), ("officer01", "本周")):
        cookie, headers = sessions[user]
        client = app.test_client()
        client.set_cookie("session", cookie)
        assert home in client.get("/").get_data(as_text=True)
        assert client.get("/api/v1/enterprise/", headers=headers).status_code == 200


def test_logout_with_garbage_never_500(app):
    client = app.test_client()
    login(client, "office")
    assert client.get("/logout/?next=" + quote(LONG)).status_code < 500
    assert client.get("/logout/").status_code < 500
