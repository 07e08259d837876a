"""Issue 11 item 4: past a drop-down's size the ledger's officer filter is a type-ahead field fed by a
scoped JSON endpoint (no inline script), and the page then loads no officer list."""
import re

import pytest
from sqlalchemy import select

from app import db
from app.ledger import listing
from app.models import Enterprise, Officer
from conftest import login
from world import enterprises_of, officer_of


@pytest.fixture
def small_select(monkeypatch):
    monkeypatch.setattr(listing, "SELECT_MAX", 1)  # the demo's officers play a province's 2,000


def _options(html):
    m = re.search(r'<select[^>]*name="officer".*?</select>', html, re.S)
    return re.findall(r"<option value=\"(\d+)\"", m.group(0)) if m else []


def test_a_small_district_keeps_the_drop_down(ctx, client):
    login(client, "office")
    html = client.get("/ledger/").get_data(as_text=True)
    assert len(_options(html)) == db.session.scalar(select(db.func.count()).select_from(Officer).where(Officer.active.is_(True)))
    assert "data-cso-typeahead" not in html


def test_past_the_limit_a_type_ahead_field_and_no_officer_options(ctx, client, small_select):
    login(client, "office")
    html = client.get("/ledger/").get_data(as_text=True)
    assert _options(html) == [] and 'data-cso-typeahead="/ledger/choices/officer"' in html
    assert '<script src="/static/cso-typeahead.js' in html and "<script>" not in html.split("cso-typeahead.js")[1]
    officer = officer_of("officer01")
    html = client.get(f"/ledger/?officer={officer.id}").get_data(as_text=True)
    assert f'name="officer" value="{officer.id}"' in html and f'value="{officer.name}"' in html  # the chosen one named
    found = client.get("/ledger/choices/officer?q=" + officer.name[:2]).get_json()["items"]
    assert {"id": officer.id, "name": officer.name} in found and all(officer.name[:2] in i["name"] for i in found)
    assert len(client.get("/ledger/choices/officer").get_json()["items"]) == min(20, len(db.session.scalars(
        select(Officer).where(Officer.active.is_(True))).all()))
    assert client.get("/ledger/choices/officer?q=%25").get_json()["items"] == []  # a wildcard is a character
    assert client.get("/ledger/choices/secret").status_code == 404


def test_the_type_ahead_answers_within_the_viewers_scope(ctx, client):
    login(client, "officer01")
    mine = set(enterprises_of("officer01"))
    got = {i["id"] for i in client.get("/ledger/choices/enterprise").get_json()["items"]}
    assert got and got <= mine
    others = db.session.scalar(select(Enterprise).where(Enterprise.id.not_in(mine)))
    assert client.get("/ledger/choices/enterprise?q=" + others.name).get_json()["items"] == []
    login(client, "ent01")
    items = client.get("/ledger/choices/enterprise").get_json()["items"]
    assert len(items) == 1
    from flask import current_app

    anonymous = current_app.test_client()
    assert anonymous.get("/ledger/choices/officer").status_code in (302, 401, 403)


def test_the_district_wide_town_filter_lists_every_town_once(ctx, client):
    """The 街道 of a login that sees every enterprise (and of a unit) are read off the index one town at a time
    (listing.towns, a recursive skip): the same towns as a DISTINCT over the enterprises, without NULL."""
    from app.models import Enterprise

    db.session.add(Enterprise(name="无街道企业", subdistrict=None))
    db.session.commit()
    towns = {t for t in db.session.scalars(select(Enterprise.subdistrict).distinct()) if t}
    assert len(towns) > 1 and sorted(db.session.scalars(listing.towns())) == sorted(towns)
    login(client, "office")
    html = client.get("/ledger/").get_data(as_text=True)
    region = re.search(r'<select[^>]*name="region".*?</select>', html, re.S).group(0)
    shown = re.findall(r"<option (?:selected )?>([^<]+)</option>", region)
    assert sorted(shown) == sorted(towns) and len(shown) == len(set(shown))
