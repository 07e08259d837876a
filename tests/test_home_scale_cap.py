"""Home figures that cost the same at any size (issue 11 target 3, docs/notifications.md#province-size):
a figure counts at most ``queues.COUNT_CAP`` rows and then shows "N+" with a note, the exact number
on the list it links to; a unit's figures are counted as the sum of its scope's two disjoint parts (as
lead unit, as co-department only), which together hold exactly the rows of its lists."""
import re

import pytest
from flask import current_app

from app import db, ledger
from app.notifications import queues
from conftest import login
from test_home_queues import _check_every_figure, _rows_of
from world import department_of_login, enterprise_of_login


def _u(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _new_problems(n, title="待受理的问题"):
    for k in range(n):
        ledger.create_issue(_u("officer01"), enterprise_of_login("ent01"), f"{title}{k}", "测试。", category="融资信贷")
    db.session.commit()


def _shown(html, key):
    return re.search(rf'<a\b(?=[^>]*\bdata-k="{key}")[^>]*>\s*([^<]*?)\s*</a>', html).group(1)


def test_past_the_cap_a_figure_shows_n_plus_and_its_list_the_exact_number(ctx, client, monkeypatch):
    _new_problems(3)
    login(client, "office")
    exact = _rows_of(client, "/ledger/?queue=to_accept")
    assert exact >= 3
    html = client.get("/").get_data(as_text=True)
    assert _shown(html, "to_accept") == str(exact) and 'id="cso-capped"' not in html  # under the cap: exact

    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    html = client.get("/").get_data(as_text=True)
    assert _shown(html, "to_accept") == "2+"
    note = re.search(r'<p[^>]*id="cso-capped" data-cap="2">([^<]*)</p>', html)
    assert note and "2+" not in note.group(1) and "只数到2为止" in note.group(1) and "列表" in note.group(1)
    assert _rows_of(client, "/ledger/?queue=to_accept") == exact  # one click away: the exact number
    returned = _rows_of(client, "/ledger/?queue=returned")
    assert returned <= 2 and _shown(html, "returned") == str(returned)  # within the cap: the number itself

    monkeypatch.setattr(queues, "COUNT_CAP", exact)  # exactly the cap: still the number
    assert _shown(client.get("/").get_data(as_text=True), "to_accept") == str(exact)


@pytest.mark.parametrize("split", [True, False])
def test_a_unit_past_the_cap_counts_lead_and_co_parts_together(ctx, client, monkeypatch, split):
    """dept01 leads one new problem and co-handles another: under the cap each figure is its list's
    number; with the cap at the open count minus one the open figure is "N+" — counted by parts
    (scope.issue_parts) or whole, on this database either way."""
    monkeypatch.setattr(queues, "SPLIT_DIALECTS", {db.engine.dialect.name} if split else set())
    office = _u("office")
    ent = enterprise_of_login("ent01")
    login(client, "dept01")
    before = int(_shown(client.get("/").get_data(as_text=True), "open"))
    dept01, dept02 = str(department_of_login("dept01")), str(department_of_login("dept02"))
    made = []
    for title, params in (("本单位牵头", {"department": dept01}),
                          ("本单位配合", {"department": dept02, "co_departments": [dept01]}),
                          ("他单位牵头本单位不配合", {"department": dept02})):
        issue = ledger.create_issue(_u("officer01"), ent, title, "测试。", category="融资信贷")
        ledger.transition(office, issue.id, "accept")
        ledger.transition(office, issue.id, "assign", params)
        made.append(issue.id)
    db.session.commit()
    figures, html = _check_every_figure(client, "dept01", {"open", "to_acknowledge", "approaching", "overdue"})
    n = figures["open"][1]
    assert n == before + 2  # its lead one and its co one, not the other unit's
    monkeypatch.setattr(queues, "COUNT_CAP", n - 1)
    html = client.get("/").get_data(as_text=True)
    assert _shown(html, "open") == f"{n - 1:,}+" and 'id="cso-capped"' in html
    monkeypatch.setattr(queues, "COUNT_CAP", n)
    assert _shown(client.get("/").get_data(as_text=True), "open") == str(n)


def test_a_login_with_other_roles_besides_its_unit_is_counted_whole(ctx):
    """Only a department-only login's scope is split (scope.issue_parts); any other keeps one criterion."""
    from app import scope

    assert scope.issue_parts(_u("dept01")) == ("lead", "co")
    for name in ("office", "leader", "officer01", "ent01"):
        assert scope.issue_parts(_u(name)) is None
