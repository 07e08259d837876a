"""The compiled eligibility rule (``app.policies.rules.eligible``: each item's criteria read once into a
plain condition on the enterprise) gives exactly the pairs of the former per-pair form (eight correlated
EXISTS over ``policy_criterion`` for every item × enterprise, kept below as the reference) — on the demo
data plus items with every criterion kind, several values per kind, all kinds at once, values matching
nobody, no criteria (everyone), an expired policy, enterprises missing an attribute — read through the
public surfaces: the 应知未知 list (REST), the dashboard's 政策直达漏斗 (with its filters, as the office and
an officer), the enterprise's visible items, the item page, and the 申兑清单 behind 已申报 / 已兑现."""
import re
from datetime import date, timedelta

from sqlalchemy import and_, func, not_, or_, select, true, update

from app import db, scope
from app.models import Enterprise, User
from app.policies import rules
from app.policies.models import EnterpriseSize, PolicyCriterion, PolicyDelivery, PolicyItem
from conftest import api_token, login
from world import department_of_login, enterprise_of_login

TODAY = date.today()


# --- the former per-pair form (the reference) ---------------------------------------------------------

def _old_exists(*where):
    return select(PolicyCriterion.id).where(*where).correlate(PolicyItem, Enterprise).exists()


def _old_kind_ok(kind, value):
    of_kind = and_(PolicyCriterion.item_id == PolicyItem.id, PolicyCriterion.kind == kind)
    return or_(not_(_old_exists(of_kind)), _old_exists(of_kind, PolicyCriterion.value == value))


def old_applies():
    size = select(EnterpriseSize.size).where(EnterpriseSize.enterprise_id == Enterprise.id).correlate(
        Enterprise).scalar_subquery()
    return and_(_old_kind_ok("industry", Enterprise.industry), _old_kind_ok("category", Enterprise.category),
                _old_kind_ok("subdistrict", Enterprise.subdistrict), _old_kind_ok("size", size))


def old_pairs(*where):
    query = select(PolicyItem.id, Enterprise.id).select_from(PolicyItem).join(Enterprise, true()).where(
        old_applies(), *where)
    return set(db.session.execute(query).all())


def old_told():
    return set(db.session.execute(select(PolicyDelivery.item_id, PolicyDelivery.enterprise_id).join(
        PolicyItem, and_(PolicyItem.id == PolicyDelivery.item_id, PolicyItem.revision == PolicyDelivery.item_revision))).all())


# --- data ----------------------------------------------------------------------------------------------

def _distinct(column, n):
    return [v for v in db.session.scalars(select(column).where(column.is_not(None)).group_by(column)
                                          .order_by(func.count().desc(), column)).all() if v][:n]


def _post(client, token, url, body):
    resp = client.post(url, headers=token, json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _varied_items(client):
    """Items over every criterion kind through the REST API; returns (in-force ids, expired ids)."""
    office = api_token(client, "office")
    industries = _distinct(Enterprise.industry, 3)
    categories = _distinct(Enterprise.category, 3)
    streets = _distinct(Enterprise.subdistrict, 3)
    assert len(industries) >= 2 and len(categories) >= 2 and len(streets) >= 2
    # enterprises missing an attribute: no industry, no 街道, no size
    ids = db.session.scalars(select(Enterprise.id).order_by(Enterprise.id)).all()
    db.session.execute(update(Enterprise).where(Enterprise.id == ids[0]).values(industry=None))
    db.session.execute(update(Enterprise).where(Enterprise.id == ids[1]).values(subdistrict=None))
    db.session.execute(EnterpriseSize.__table__.delete().where(EnterpriseSize.enterprise_id == ids[2]))
    db.session.commit()
    dept = department_of_login("dept01")
    live = _post(client, office, "/api/v1/policy/", {"title": "等价测试政策", "doc_number": "等价〔2026〕1号",
                                                       "level": "district"})
    gone = _post(client, office, "/api/v1/policy/", {
        "title": "已失效的等价测试政策", "doc_number": "等价〔2024〕2号", "level": "district",
        "effective_from": (TODAY - timedelta(days=800)).isoformat(), "effective_to": (TODAY - timedelta(days=10)).isoformat()})
    variants = [
        {},  # no criteria: everyone
        {"industries": industries[:1]},
        {"industries": industries[:3]},  # several values of one kind
        {"categories": categories[:2]},
        {"subdistricts": streets[:2]},
        {"sizes": ["small", "micro"]},
        {"sizes": ["large"], "categories": categories[:1]},
        {"industries": industries[:2], "categories": categories[:3], "subdistricts": streets[:3],
         "sizes": ["large", "medium", "small"]},  # every kind at once
        {"industries": ["没有这个行业"]},  # matches nobody
        {"subdistricts": streets[:1], "industries": ["没有这个行业", industries[0]]},
    ]
    made = []
    for n, criteria in enumerate(variants):
        made.append(_post(client, office, "/api/v1/policy_item/", {
            "policy": live, "name": f"等价事项{n}", "benefit": "补助", "cash_mode": "apply", "department": dept,
            **criteria}))
    expired = [_post(client, office, "/api/v1/policy_item/", {
        "policy": gone, "name": "过期等价事项", "benefit": "补助", "cash_mode": "apply", "department": dept,
        "categories": categories[:1], "sizes": ["small"]})]
    return made, expired


def _in_force():
    return set(db.session.scalars(select(PolicyItem.id).where(rules.item_in_force(TODAY))))


def _funnel(client, token, **args):
    resp = client.get("/api/v1/dashboard/policy", headers=token, query_string=args)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    return {r[0]: r[1] for r in body["table"]["rows"]}, {r[0]: lk[1] for r, lk in zip(body["table"]["rows"],
                                                                                          body["table"]["links"])}


def _listed(client, url):
    page = client.get(url).get_data(as_text=True)
    found = re.search(r"共\s*([\d,]+)\s*条", page)
    assert found, url
    return int(found.group(1).replace(",", ""))


# --- the tests -----------------------------------------------------------------------------------------

def test_compiled_rule_gives_the_pairs_of_the_per_pair_form(ctx, client):
    made, expired = _varied_items(client)
    everything = old_pairs()
    assert len({i for i, _ in everything} & set(made)) >= 7  # most of them apply to someone
    assert not {p for p in everything if p[0] == made[8]}
    assert len({e for i, e in everything if i == made[0]}) == db.session.scalar(select(func.count()).select_from(Enterprise))
    pairs = rules.eligible()
    assert set(db.session.execute(select(pairs.c.item_id, pairs.c.enterprise_id)).all()) == everything
    in_force = _in_force()
    assert set(made) <= in_force and not set(expired) & in_force
    assert set(db.session.execute(rules.eligible_pairs(TODAY)).all()) == {p for p in everything if p[0] in in_force}
    for item_id in made + expired:  # the item page's list (in force or not)
        item = db.session.get(PolicyItem, item_id)
        assert {e.id for e in rules.eligible_enterprises(item)} == {e for i, e in everything if i == item_id}
    # the same over the item page as the office: every eligible enterprise is listed
    login(client, "office")
    page = client.get(f"/policies/items/{made[7]}").get_data(as_text=True)
    for ent_id in {e for i, e in everything if i == made[7]}:
        assert db.session.get(Enterprise, ent_id).name in page


def test_unaware_list_and_funnel_agree_with_the_per_pair_form(ctx, client):
    made, _ = _varied_items(client)
    in_force = _in_force()
    pairs = {p for p in old_pairs() if p[0] in in_force}
    told = old_told()
    for who in ("office", "officer01", "officer02"):
        token = api_token(client, who)
        user = db.session.scalar(select(User).where(User.username == who))
        ents = scope.enterprise_ids(user)
        ents = None if ents is None else set(db.session.scalars(ents))
        mine = {p for p in pairs if ents is None or p[1] in ents}
        resp = client.get("/api/v1/policy_delivery/unaware", headers=token)
        assert resp.status_code == 200
        listed = {(r["item"], r["enterprise"]) for r in resp.get_json()["result"]}
        assert resp.get_json()["count"] < 1000  # not cut by the list's limit
        assert listed == mine - told, who
        stages, _ = _funnel(client, token)
        assert stages["符合条件"] == len(mine), who
        assert stages["已告知"] == len(mine & told), who
    # the page's filters narrow the pairs by the enterprise's 街道 / 行业 / 企业类别
    office = api_token(client, "office")
    ent = {e.id: e for e in db.session.scalars(select(Enterprise))}
    for key, attr in (("region", "subdistrict"), ("industry", "industry"), ("ent_category", "category")):
        value = _distinct(getattr(Enterprise, attr), 1)[0]
        stages, _ = _funnel(client, office, **{key: value})
        assert stages["符合条件"] == len({p for p in pairs if getattr(ent[p[1]], attr) == value}) > 0, key


def test_an_enterprise_sees_the_items_that_apply_to_it(ctx, client):
    made, expired = _varied_items(client)
    ent_id = enterprise_of_login("ent01")
    expected = {i for i, e in old_pairs(Enterprise.id == ent_id)}
    token = api_token(client, "ent01")
    resp = client.get("/api/v1/policy_item/", headers=token, query_string={"page_size": 100})
    assert resp.status_code == 200, resp.get_json()
    assert {r["id"] for r in resp.get_json()["result"]} == expected
    assert made[0] in expected and made[8] not in expected
    hidden = next(i for i in made + expired if i not in expected)
    assert client.get(f"/api/v1/policy_item/{hidden}", headers=token).status_code == 404


def test_applied_and_cashed_land_on_the_uptake_list_of_that_many(ctx, client):
    """已申报 / 已兑现 of the funnel link to the 申兑清单 with the same filters; the list counts as many."""
    for who in ("office", "officer02", "dept01"):
        login(client, who)  # the page's session (a bearer token beside a session cookie would be the session's user)
        stages, links = _funnel(client, {})
        for stage in ("已申报", "已兑现"):
            assert links[stage] and "/policies/deliveries/uptake" in links[stage], (who, stage)
            assert _listed(client, links[stage]) == stages[stage], (who, stage)
    login(client, "office")
    stages, _ = _funnel(client, {})
    assert stages["已申报"] >= 2 and stages["已兑现"] >= 1  # the demo's paid and stalled applications
    region = db.session.scalar(select(Enterprise.subdistrict).join(
        PolicyDelivery, PolicyDelivery.enterprise_id == Enterprise.id).limit(1))
    stages, links = _funnel(client, {}, region=region)
    assert "region=" in links["已申报"] and stages["已申报"] <= _listed(client, "/policies/deliveries/uptake?status="
                                                                        "applied,accepted,paid,rejected")
    assert _listed(client, links["已申报"]) == stages["已申报"]
    resp = client.get("/policies/deliveries/uptake?status=nonsense", follow_redirects=True)
    assert "筛选条件有误" in resp.get_data(as_text=True)


def test_many_distinct_criteria_nest_the_union_and_keep_the_pairs(ctx, client, monkeypatch):
    """Past MAX_BRANCHES distinct criteria sets the UNION ALL nests (SQLite allows 500 terms in one compound
    SELECT); with the limit lowered to 3 the 应知未知 list and the funnel are unchanged."""
    _varied_items(client)
    token = api_token(client, "office")

    def both():
        listed = client.get("/api/v1/policy_delivery/unaware", headers=token).get_json()["result"]
        return sorted((r["item"], r["enterprise"]) for r in listed), _funnel(client, token)[0]

    plain = both()
    monkeypatch.setattr(rules, "MAX_BRANCHES", 3)
    assert both() == plain
    in_force = _in_force()
    assert set(plain[0]) == {p for p in old_pairs() if p[0] in in_force} - old_told()
