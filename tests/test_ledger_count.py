"""A unit's ledger counts (listing.page): counted as its scope's two disjoint parts (scope.issue_parts — as
lead unit, as co-department only), the total must still be every problem the unit leads or co-handles,
once, under any filter — the same number the list itself holds (docs/architecture.md#scoping). Run both ways
on either database."""
import re

import pytest
from flask import current_app
from sqlalchemy import or_, select

from app import db, ledger
from app.models import Issue, issue_codepartment
from app.notifications import queues
from conftest import api_token, login
from world import department_of_login, enterprise_of_login, enterprises_of


def _user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _assigned(lead, co):
    issue = ledger.create_issue(_user("officer01"), enterprise_of_login("ent01"), "计数样例", "问题描述")
    ledger.transition(_user("office"), issue.id, "accept", {})
    ledger.transition(_user("office"), issue.id, "assign", {
        "department": department_of_login(lead), "co_departments": [department_of_login(d) for d in co]})
    db.session.commit()
    return issue


def _addressed(login_name):
    dept = department_of_login(login_name)
    return set(db.session.scalars(select(Issue.id).where(or_(Issue.lead_department_id == dept, Issue.id.in_(
        select(issue_codepartment.c.issue_id).where(issue_codepartment.c.department_id == dept))))))


@pytest.mark.parametrize("by_parts", [True, False], ids=["by parts", "one count"])
def test_a_units_count_is_its_led_and_co_handled_problems_once(ctx, client, monkeypatch, by_parts):
    # by parts on whichever database runs the test, as PostgreSQL counts (queues.SPLIT_DIALECTS)
    monkeypatch.setattr(queues, "SPLIT_DIALECTS", {db.engine.dialect.name} if by_parts else set())
    led_and_co = _assigned("dept02", ["dept01"])  # dept02 leads it; dept01 co-handles it
    co_only = _assigned("dept01", ["dept02", "dept03"])  # dept02 only co-handles it
    mine = _addressed("dept02")
    assert {led_and_co.id, co_only.id} <= mine and len(mine) <= 100  # one page holds them all

    headers = api_token(client, "dept02")
    for args in ("", "open=1", "status=assigned", "tier=approaching,overdue,serious", "queue=co", "queue=lead",
                 f"department={department_of_login('dept03')}"):
        body = client.get(f"/api/v1/issue/?page_size=100&{args}", headers=headers).get_json()
        assert body["count"] == len(body["ids"]) == len(set(body["ids"])), args
        assert set(body["ids"]) <= mine, args
    body = client.get("/api/v1/issue/?page_size=100", headers=headers).get_json()
    assert body["count"] == len(mine) and set(body["ids"]) == mine
    co = client.get("/api/v1/issue/?page_size=100&queue=co", headers=headers).get_json()
    assert co_only.id in co["ids"] and led_and_co.id not in co["ids"]

    login(client, "dept02")
    html = client.get("/ledger/").get_data(as_text=True)
    assert int(re.search(r'id="cso-count">(\d+)<', html).group(1)) == len(mine)


@pytest.mark.parametrize("order", ["due_on", "-received_on", "number", "-number", "enterprise", "-status", "department"])
def test_a_units_pages_drawn_from_its_scope_parts_are_the_same_rows_in_the_same_order(ctx, client, monkeypatch, order):
    """listing._by_parts (PostgreSQL's way for a unit): every page equals the page of the one OR criterion."""
    from app.ledger import listing

    for lead, co in (("dept02", ["dept01"]), ("dept01", ["dept02", "dept03"]), ("dept02", []), ("dept03", ["dept02"])):
        _assigned(lead, co)
    headers = api_token(client, "dept02")
    queries = ["", "open=1", "tier=approaching,overdue,serious", "queue=co", "status=assigned", "q=计数"]

    def pages(split):
        monkeypatch.setattr(queues, "SPLIT_DIALECTS", {db.engine.dialect.name} if split else set())
        out = {}
        for args in queries:
            for number in range(3):
                body = client.get(f"/api/v1/issue/?page_size=3&page={number}&order={order}&{args}", headers=headers).get_json()
                out[(args, number)] = (body["count"], body["ids"])
        return out

    one, split = pages(False), pages(True)
    assert one == split
    assert sum(len(ids) for _, ids in one.values()) > 20  # the pages hold rows (a vacuous match would not do)
    monkeypatch.setattr(listing, "PARTS_PAGE_MAX", 3)  # past it: the one query again, same rows
    assert pages(True) == one


def test_a_units_ledger_filters_cost_nothing_that_grows_with_its_problems(ctx, client):
    """A unit's officer filter is the type-ahead (no probe of every officer of its enterprises) and its 街道 are
    the district's; an officer keeps the drop-down of their own few officers and their own 街道."""
    from app.models import Enterprise

    towns = {t for t in db.session.scalars(select(Enterprise.subdistrict).distinct()) if t}
    login(client, "dept01")
    html = client.get("/ledger/").get_data(as_text=True)
    assert "data-cso-typeahead" in html and 'name="officer"' in html
    shown = set(re.findall(r"<option (?:selected )?>([^<]+)</option>", html))
    assert towns <= shown
    login(client, "officer01")
    html = client.get("/ledger/").get_data(as_text=True)
    assert "data-cso-typeahead" not in html
    own = {t for t in db.session.scalars(select(Enterprise.subdistrict).where(
        Enterprise.id.in_(enterprises_of("officer01"))).distinct()) if t}
    assert not (set(re.findall(r"<option (?:selected )?>([^<]+)</option>", html)) & (towns - own))
