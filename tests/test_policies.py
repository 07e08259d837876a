"""The policy library (惠企政策宣传到位) through its public surfaces: eligibility by each criterion, 应知未知,
the application-window alert in working days, the uptake path, a stalled cash-out becoming a ledger problem,
the material change that asks for re-delivery, expiry by date, the spreadsheet import's errors, the metrics and
the handover list, the 明白纸, and what each role sees on lists, pages, REST and exports."""
import io
from datetime import date, datetime, timedelta

import pytest
import xlsxwriter
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import clock, db, gongwen, reminders, stats, workdays
from app.models import Enterprise, Holiday, Issue, Visit
from app.notifications.models import Notification
from app.policies import handover, metrics
from app.policies.models import EnterpriseSize, Policy, PolicyCriterion, PolicyDelivery, PolicyItem, PolicyUptake
from conftest import api_token, login
from world import department_of_login, enterprise_of_login, enterprises_of, officer_of, user_id

TODAY = date.today()


def _policy(client, token, **extra):
    body = {"title": "测试政策", "doc_number": f"测试〔2026〕{extra.pop('n', 1)}号", "level": "district", **extra}
    resp = client.post("/api/v1/policy/", headers=token, json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _item(client, token, policy_id, **extra):
    body = {"policy": policy_id, "name": "测试事项", "benefit": "补助10万元", "cash_mode": "apply",
            "department": department_of_login("dept01"), **extra}
    resp = client.post("/api/v1/policy_item/", headers=token, json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _unaware(client, token, item_id, **args):
    resp = client.get("/api/v1/policy_delivery/unaware", headers=token, query_string=args)
    assert resp.status_code == 200, resp.get_json()
    return {r["enterprise"]: r for r in resp.get_json()["result"] if r["item"] == item_id}


@pytest.fixture()
def office(client):
    return api_token(client, "office")


def _size(ent_id):
    row = db.session.get(EnterpriseSize, ent_id)
    return row.size if row else None


# --- eligibility ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("criterion, values, attribute", [
    ("industries", ["装备制造", "新能源"], lambda e: e.industry),
    ("categories", ["专精特新"], lambda e: e.category),
    ("subdistricts", ["李万街道"], lambda e: e.subdistrict),
    ("sizes", ["large"], lambda e: _size(e.id)),
])
def test_eligibility_by_each_criterion(ctx, client, office, criterion, values, attribute):
    item = _item(client, office, _policy(client, office), **{criterion: values})
    expected = {e.id for e in db.session.scalars(select(Enterprise)) if attribute(e) in values}
    assert expected and len(expected) < db.session.scalar(select(func.count()).select_from(Enterprise))
    assert set(_unaware(client, office, item)) == expected  # nobody told yet: the eligible are the unaware


def test_criteria_combine_and_no_criterion_is_everyone(ctx, client, office):
    policy = _policy(client, office)
    both = _item(client, office, policy, industries="装备制造、汽车零部件", categories=["规上工业"])
    everyone = _item(client, office, policy, name="普惠事项")
    expected = {e.id for e in db.session.scalars(select(Enterprise))
                if e.industry in ("装备制造", "汽车零部件") and e.category == "规上工业"}
    assert set(_unaware(client, office, both)) == expected
    assert len(_unaware(client, office, everyone)) == db.session.scalar(select(func.count()).select_from(Enterprise))


def test_item_values_are_checked(ctx, client, office):
    policy = _policy(client, office)
    for body, field in (({"categories": ["不存在的类别"]}, "categories"), ({"sizes": "巨型"}, "sizes"),
                        ({"cash_mode": "现金"}, "cash_mode"), ({"window_open": "2026-05-01", "window_close": "2026-04-01"},
                                                               "window_close"),
                        ({"cash_days": "七天"}, "cash_days"), ({"department": 999999}, "department"),
                        ({"name": ""}, "name")):
        resp = client.post("/api/v1/policy_item/", headers=office, json={
            "policy": policy, "name": "事项", "benefit": "内容", "cash_mode": "apply",
            "department": department_of_login("dept01"), **body})
        assert resp.status_code == 422, (body, resp.get_json())
        assert field in resp.get_json()["message"], resp.get_json()
    assert client.post("/api/v1/policy/", headers=office, json={"title": "t", "level": "district", "status": "revised"}
                       ).status_code == 422  # 已修订 needs its successor


# --- 应知未知, deliveries, re-delivery ------------------------------------------------------------------

def test_unaware_list_is_the_officers_and_a_delivery_takes_the_pair_off(ctx, client, office):
    item = _item(client, office, _policy(client, office))  # applies to every enterprise
    officer = api_token(client, "officer01")
    mine = set(enterprises_of("officer01"))
    assert set(_unaware(client, officer, item)) == mine
    ent = sorted(mine)[0]
    resp = client.post("/api/v1/policy_delivery/", headers=officer,
                       json={"items": [item], "enterprise": ent, "channel": "phone", "explained": True})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["result"][0]["channel_label"] == "电话"
    assert set(_unaware(client, officer, item)) == mine - {ent}
    # another officer's enterprise: refused, nothing written
    foreign = enterprises_of("officer02")[0]
    before = db.session.scalar(select(func.count()).select_from(PolicyDelivery))
    assert client.post("/api/v1/policy_delivery/", headers=officer,
                       json={"items": [item], "enterprise": foreign}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(PolicyDelivery)) == before
    # the office filters by officer
    assert set(_unaware(client, office, item, officer=officer_of("officer01").id)) == mine - {ent}
    # the HTML list
    html = login(client, "officer01").get("/policies/deliveries/unaware").get_data(as_text=True)
    assert "应知未知" in html and db.session.get(Enterprise, sorted(mine)[-1]).name in html


def test_delivery_from_a_visit_takes_its_day_and_officer(ctx, client, office):
    item = _item(client, office, _policy(client, office))
    ent = enterprises_of("officer01")[0]
    visit = db.session.scalar(select(Visit).where(Visit.enterprise_id == ent).order_by(Visit.id.desc()).limit(1))
    web = login(client, "officer01")
    visit.topics = "政策宣传、问题收集"
    db.session.commit()
    page = web.get(f"/visitview/show/{visit.id}").get_data(as_text=True)
    assert "记录政策宣传" in page and "cso-policy-ask" in page  # the topic is named, no item recorded yet
    form = web.get(f"/policies/deliveries/new?visit={visit.id}").get_data(as_text=True)
    assert "测试事项" in form
    resp = web.post("/policies/deliveries/new", data={"visit": visit.id, "items": [item], "channel": "visit",
                                                      "explained": "1", "idem_token": "tok-visit-0001"})
    assert resp.status_code == 302
    again = web.post("/policies/deliveries/new", data={"visit": visit.id, "items": [item], "channel": "visit",
                                                       "explained": "1", "idem_token": "tok-visit-0001"})
    assert again.status_code == 302  # a double submit makes one row
    rows = db.session.scalars(select(PolicyDelivery).where(PolicyDelivery.item_id == item)).all()
    assert len(rows) == 1
    assert (rows[0].visit_id, rows[0].delivered_on, rows[0].officer_id, rows[0].explained) == (
        visit.id, visit.visit_date, visit.officer_id, True)
    page = web.get(f"/visitview/show/{visit.id}").get_data(as_text=True)
    assert "测试事项" in page and "cso-policy-ask" not in page
    # an item that does not apply, or none at all: refused in Chinese
    narrow = _item(client, office, _policy(client, office, n=2), subdistricts=["不存在的街道"])
    resp = web.post("/policies/deliveries/new", data={"visit": visit.id, "items": [narrow]})
    assert "不适用于该企业" in resp.get_data(as_text=True)
    assert "请至少选择一项" in web.post("/policies/deliveries/new", data={"visit": visit.id}).get_data(as_text=True)
    # the enterprise sees its visit, not the button
    ent_login = next(u for u in ("ent01", "ent02", "ent03") if enterprise_of_login(u) == ent)
    page = login(client, ent_login).get(f"/visitview/show/{visit.id}").get_data(as_text=True)
    assert "测试事项" in page and "记录政策宣传" not in page


def test_a_visit_saved_with_the_topic_goes_on_to_pick_the_items(ctx, client, office):
    """登记走访 with 政策宣传 among its topics: saving it opens the items to pick for that visit (issue 15
    item 2); without the topic, or once an item is recorded, the form saves as any other."""
    item = _item(client, office, _policy(client, office))
    ent = enterprises_of("officer01")[0]
    web = login(client, "officer01")
    fields = {"enterprise": str(ent), "visit_date": str(clock.today()), "mode": "onsite", "summary": "走访并宣传政策"}
    resp = web.post("/visitview/add", data={**fields, "topics": ["政策宣传", "问题收集"]})
    visit = db.session.scalar(select(Visit).where(Visit.enterprise_id == ent).order_by(Visit.id.desc()).limit(1))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/policies/deliveries/new?visit={visit.id}")
    assert "测试事项" in web.get(resp.headers["Location"]).get_data(as_text=True)
    web.post("/policies/deliveries/new", data={"visit": visit.id, "items": [item], "channel": "visit"})
    resp = web.post(f"/visitview/edit/{visit.id}", data={**fields, "topics": ["政策宣传"], "summary": "补充记录"})
    assert resp.status_code == 302 and "/policies/deliveries/" not in resp.headers["Location"]  # already recorded
    resp = web.post("/visitview/add", data={**fields, "topics": ["问题收集"]})
    assert resp.status_code == 302 and "/policies/deliveries/" not in resp.headers["Location"]
    # the office clearing the visiting officer gets the field's message, not a database conflict
    page = login(client, "office").post(f"/visitview/edit/{visit.id}", data={**fields, "officer": "__None"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "必填" in text and "冲突" not in text
    assert db.session.get(Visit, visit.id).officer_id is not None


def test_material_change_asks_for_redelivery(ctx, client, office):
    item = _item(client, office, _policy(client, office), cash_days=10)
    officer = api_token(client, "officer01")
    ent = enterprises_of("officer01")[0]
    assert client.post("/api/v1/policy_delivery/", headers=officer, json={"items": [item], "enterprise": ent}
                       ).status_code == 201
    assert ent not in _unaware(client, officer, item)
    dept = api_token(client, "dept01")  # the item's department keeps it
    resp = client.put(f"/api/v1/policy_item/{item}", headers=dept, json={"contact": "新联系人"})
    assert resp.status_code == 200 and resp.get_json()["material"] is False  # a contact is not material
    resp = client.put(f"/api/v1/policy_item/{item}", headers=dept, json={"cash_days": 5})
    assert resp.status_code == 200 and resp.get_json()["material"] is True
    assert resp.get_json()["result"]["revision"] == 2
    again = _unaware(client, officer, item)
    assert again[ent]["changed"] is True
    note = db.session.scalar(select(Notification).where(Notification.user_id == user_id("officer01"),
                                                        Notification.key == f"policy_item:{item}:rev2"))
    assert note is not None and "重新宣传" in note.title
    # another department may not change it; a stale version is a 409
    assert client.put(f"/api/v1/policy_item/{item}", headers=api_token(client, "dept02"),
                      json={"cash_days": 3}).status_code == 404
    assert client.put(f"/api/v1/policy_item/{item}", headers=dept, json={"cash_days": 3, "version": 1}
                      ).status_code == 409


def test_expiry_is_by_date_and_the_sweep_stores_it(ctx, client, office):
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    policy = _policy(client, office, effective_to=yesterday)
    item = _item(client, office, policy)
    body = client.get(f"/api/v1/policy/{policy}", headers=office).get_json()["result"]
    assert (body["status"], body["status_label"]) == ("expired", "已失效")
    assert _unaware(client, office, item) == {}  # an expired item is nobody's 应知
    assert client.get("/api/v1/policy/", headers=office, query_string={"status": "expired"}).get_json()["count"] >= 1
    reminders.sweep(datetime.combine(TODAY, datetime.min.time()).replace(hour=9))
    db.session.expire_all()
    assert db.session.get(Policy, policy).status == "expired"


# --- the window alert -----------------------------------------------------------------------------------

def test_window_alert_counts_working_days(ctx, client, office):
    """Monday 2026-11-16 with Wed 18 and Thu 19 made holidays: the fifth working day is Wed 25 (a plain
    Monday-to-Friday count would make it Mon 23). A window closing on the 25th alerts; the 26th not yet."""
    for day in (date(2026, 11, 18), date(2026, 11, 19)):
        db.session.add(Holiday(day=day, kind="holiday", name="测试假日"))
    db.session.commit()
    workdays.invalidate()
    policy = _policy(client, office)
    inside = _item(client, office, policy, name="窗口内", industries=["现代物流"], window_close="2026-11-25")
    outside = _item(client, office, policy, name="窗口外", industries=["现代物流"], window_close="2026-11-26")
    auto = _item(client, office, policy, name="免申事项", industries=["现代物流"], window_close="2026-11-25",
                 cash_mode="auto")  # 免申即享: nobody applies, so no 申报截止 alert
    logistics = sorted(e.id for e in db.session.scalars(select(Enterprise).where(Enterprise.industry == "现代物流")))
    # one of them has answered 已享受: it no longer counts as "not applied"
    d = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [inside], "enterprise": logistics[0]})
    assert d.status_code == 201
    _confirm_as_enterprise(client, logistics[0], d.get_json()["result"][0]["id"], "enjoyed")
    reminders.sweep(datetime(2026, 11, 16, 9, 0))
    keys = {n.key: n for n in db.session.scalars(select(Notification).where(Notification.kind == "policy"))}
    alert = keys.get(f"policy_window:{inside}:2026-11-25")
    assert alert is not None and "剩5个工作日" in alert.title and f"{len(logistics) - 1}家" in alert.title
    assert f"policy_window:{outside}:2026-11-26" not in keys and f"policy_window:{auto}:2026-11-25" not in keys
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.key == f"policy_window:{inside}:2026-11-25")))
    assert user_id("office") in told
    others = [e for e in logistics[1:] if _chief_login(e)]
    assert others and user_id(_chief_login(others[0])) in told
    reminders.sweep(datetime(2026, 11, 16, 9, 15))  # once per item and window
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.key == f"policy_window:{inside}:2026-11-25", Notification.user_id == user_id("office"))) == 1


def _chief_login(ent_id):
    from app.models import Assignment, Officer, User

    return db.session.scalar(select(User.username).join(Officer, Officer.user_id == User.id).join(
        Assignment, Assignment.officer_id == Officer.id).where(Assignment.enterprise_id == ent_id,
                                                               Assignment.end_date.is_(None)).limit(1))


def _ent_login(ent_id):
    from app.models import EnterpriseUser, User

    return db.session.scalar(select(User.username).join(EnterpriseUser, EnterpriseUser.user_id == User.id).where(
        EnterpriseUser.enterprise_id == ent_id))


def _confirm_as_enterprise(client, ent_id, delivery_id, interest=None):
    token = api_token(client, _ent_login(ent_id))
    resp = client.post(f"/api/v1/policy_delivery/{delivery_id}/confirm", headers=token,
                       json={"interest": interest} if interest else {})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["result"]


# --- uptake -------------------------------------------------------------------------------------------

def _step(client, token, delivery, action, **params):
    return client.post(f"/api/v1/policy_delivery/{delivery}/uptake", headers=token, json={"action": action, **params})


def test_uptake_path_and_who_records_each_step(ctx, client, office):
    item = _item(client, office, _policy(client, office), cash_days=10)
    ent = enterprise_of_login("ent01")
    officer = api_token(client, "officer01")
    d = client.post("/api/v1/policy_delivery/", headers=officer, json={"items": [item], "enterprise": ent}).get_json()
    delivery = d["result"][0]["id"]
    company, dept, other_dept = api_token(client, "ent01"), api_token(client, "dept01"), api_token(client, "dept02")
    # the officer cannot confirm for the enterprise; the enterprise confirms once, with its interest
    assert client.post(f"/api/v1/policy_delivery/{delivery}/confirm", headers=officer, json={}).status_code == 403
    body = _confirm_as_enterprise(client, ent, delivery, "apply")
    assert body["confirmed_at"] and body["interest_label"] == "有意申报" and body["uptake"]["status"] == "planned"
    assert client.post(f"/api/v1/policy_delivery/{delivery}/confirm", headers=company, json={}).status_code == 409
    applied_on, accepted_on = (TODAY - timedelta(days=6)).isoformat(), (TODAY - timedelta(days=3)).isoformat()
    assert _step(client, company, delivery, "accept", accepted_on=accepted_on).status_code == 403  # the unit accepts
    assert _step(client, company, delivery, "apply").status_code == 422  # 申报日期 missing
    assert _step(client, company, delivery, "apply", applied_on="2099-01-01").status_code == 422  # in the future
    assert _step(client, company, delivery, "apply", applied_on=applied_on).status_code == 200
    assert _step(client, company, delivery, "apply", applied_on=applied_on).status_code == 409  # applied already
    desk = db.session.scalar(select(Notification).where(Notification.user_id == user_id("dept01"),
                                                        Notification.url == f"/policies/deliveries/{delivery}"))
    assert desk is not None and "请受理" in desk.title  # the unit has an application to accept
    assert _step(client, officer, delivery, "accept", accepted_on=accepted_on).status_code == 403
    assert _step(client, other_dept, delivery, "accept", accepted_on=accepted_on).status_code == 404  # not its item
    assert _step(client, dept, delivery, "accept", accepted_on=accepted_on).status_code == 200
    assert _step(client, dept, delivery, "pay", paid_on=TODAY.isoformat()).status_code == 422  # amount missing
    assert _step(client, dept, delivery, "pay", paid_on=TODAY.isoformat(), amount="十万").status_code == 422
    resp = _step(client, dept, delivery, "pay", paid_on=TODAY.isoformat(), amount="100000.5")
    assert resp.status_code == 200, resp.get_json()
    up = resp.get_json()["result"]["uptake"]
    assert (up["status"], up["amount"], up["stalled"]) == ("paid", 100000.5, False)
    assert up["cash_due"] == workdays.add_workdays(date.fromisoformat(accepted_on), 10).isoformat()
    history = resp.get_json()["result"]["uptake"]["history"]
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("plan", None, "planned"), ("apply", "planned", "applied"), ("accept", "applied", "accepted"),
        ("pay", "accepted", "paid")]
    assert history[-1]["note"] == f"兑现日期 {TODAY.isoformat()}，金额 100000.50 元"
    assert _step(client, dept, delivery, "reject", reason="材料不全").status_code == 409  # paid is final
    assert _step(client, dept, delivery, "teleport").status_code == 422


def test_rejection_needs_a_reason(ctx, client, office):
    item = _item(client, office, _policy(client, office))
    ent = enterprise_of_login("ent01")
    delivery = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [item], "enterprise": ent}
                           ).get_json()["result"][0]["id"]
    dept = api_token(client, "dept01")
    assert _step(client, dept, delivery, "reject", reason="x").status_code == 409  # nothing applied yet
    assert _step(client, dept, delivery, "apply", applied_on=TODAY.isoformat()).status_code == 200
    assert _step(client, dept, delivery, "reject").status_code == 422
    body = _step(client, dept, delivery, "reject", reason="不符合规上条件").get_json()["result"]["uptake"]
    assert (body["status"], body["reject_reason"]) == ("rejected", "不符合规上条件")


def test_stalled_cash_out_becomes_a_ledger_problem_once(ctx, client, office):
    item = _item(client, office, _policy(client, office), cash_days=5, name="滞后事项")
    ent = enterprise_of_login("ent01")
    delivery = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [item], "enterprise": ent}
                           ).get_json()["result"][0]["id"]
    officer = api_token(client, "officer01")
    assert _step(client, office, delivery, "apply", applied_on=(TODAY - timedelta(days=30)).isoformat()).status_code == 200
    assert client.post(f"/api/v1/policy_delivery/{delivery}/escalate", headers=officer).status_code == 409  # not stalled
    accepted = TODAY - timedelta(days=20)
    assert _step(client, office, delivery, "accept", accepted_on=accepted.isoformat()).status_code == 200
    body = client.get(f"/api/v1/policy_delivery/{delivery}", headers=officer).get_json()["result"]
    assert body["uptake"]["stalled"] is True and "escalate" in body["actions"]
    assert client.post(f"/api/v1/policy_delivery/{delivery}/escalate", headers=api_token(client, "dept01")
                       ).status_code == 403  # the unit that is late does not file against itself
    resp = client.post(f"/api/v1/policy_delivery/{delivery}/escalate", headers=officer)
    assert resp.status_code == 201, resp.get_json()
    issue = db.session.get(Issue, resp.get_json()["id"])
    assert (issue.enterprise_id, issue.category.name, issue.status) == (ent, "政策兑现", "new")
    assert "滞后事项" in issue.title and str(workdays.add_workdays(accepted, 5)) in issue.description
    assert client.post(f"/api/v1/policy_delivery/{delivery}/escalate", headers=officer).status_code == 409
    page = login(client, "officer01").get(f"/policies/deliveries/{delivery}").get_data(as_text=True)
    assert issue.number in page and "cso-escalate" not in page and "转为问题台账" in page  # in the history only


# --- import -----------------------------------------------------------------------------------------

def _sheet(rows):
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["惠企政策导入表"])
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    wb.close()
    return out.getvalue()


HEADER = ["政策标题", "发文字号", "政策层级", "失效日期", "事项名称", "支持内容", "企业类别", "兑现方式", "兑现时限（工作日）", "责任单位"]


def test_import_is_all_or_nothing_with_row_numbers(ctx, client):
    web = login(client, "office")
    before = db.session.scalar(select(func.count()).select_from(PolicyItem))
    bad = _sheet([HEADER,
                  ["导入政策甲", "导甲〔2026〕1号", "区", "2028-12-31", "事项一", "补助", "规上工业", "申报审批", "20", "区工信局"],
                  ["导入政策甲", "导甲〔2026〕1号", "乡", "", "事项二", "补助", "", "申报审批", "", "区工信局"],
                  ["导入政策乙", "", "市", "2028-13-45", "事项三", "补助", "", "免申即享", "", "区工信局"],
                  ["导入政策丙", "", "省", "", "事项四", "补助", "巨头企业", "申报审批", "", "不存在局"],
                  ["注：本表仅供测试"]])
    page = web.post("/policies/import", data={"file": (io.BytesIO(bad), "policies.xlsx")},
                    content_type="multipart/form-data").get_data(as_text=True)
    assert "导入未执行" in page
    assert "第4行" not in page  # row 4 (事项二) belongs to the first policy, already made from row 3: its level is not read
    assert "第5行" in page and "失效日期" in page
    assert "第6行" in page and ("企业类别" in page or "不存在局" in page)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PolicyItem)) == before  # nothing written
    good = _sheet([HEADER,
                   ["导入政策甲", "导甲〔2026〕1号", "区", "2028-12-31", "事项一", "补助", "规上工业", "申报审批", "20", "区工信局"],
                   ["导入政策甲", "导甲〔2026〕1号", "区", "2028-12-31", "事项二", "补助", "", "即申即享", "", "区人社局"]])
    resp = web.post("/policies/import", data={"file": (io.BytesIO(good), "policies.xlsx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "新增政策1项、惠企事项2项" in resp.get_data(as_text=True)
    policy = db.session.scalar(select(Policy).where(Policy.doc_number == "导甲〔2026〕1号"))
    assert [i.name for i in policy.items] == ["事项一", "事项二"] and policy.items[0].cash_days == 20
    assert [(c.kind, c.value) for c in policy.items[0].criteria] == [("category", "规上工业")]


def test_import_refuses_bad_files_and_other_units(ctx, client):
    web = login(client, "office")
    for data, name, text in ((b"", "x.xlsx", "文件为空"), (b"not a workbook", "x.xlsx", "不是Excel"),
                             (_sheet([["名称", "内容"], ["a", "b"]]), "x.xlsx", "未找到表头"),
                             (_sheet([["事项名称", "支持内容"], ["a", "b"]]), "x.xlsx", "缺少必填列")):
        page = web.post("/policies/import", data={"file": (io.BytesIO(data), name)},
                        content_type="multipart/form-data").get_data(as_text=True)
        assert text in page, (name, text)
    dept = login(client, "dept01")  # 区发改委 may import its own items only
    page = dept.post("/policies/import", data={"file": (io.BytesIO(_sheet([HEADER, [
        "单位政策", "", "区", "", "事项", "补助", "", "申报审批", "", "区工信局"]])), "x.xlsx")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "第3行" in page and "只能是本单位" in page
    assert login(client, "officer01").get("/policies/import").status_code == 403


# --- metrics and handover -------------------------------------------------------------------------------

def _eligible(item, ent):
    for kind, value in (("industry", ent.industry), ("category", ent.category), ("subdistrict", ent.subdistrict),
                        ("size", _size(ent.id))):
        values = [c.value for c in item.criteria if c.kind == kind]
        if values and value not in values:
            return False
    return True


def test_reach_per_officer_counts_told_current_revisions(ctx, client, office):
    period = stats.period("month", TODAY)
    officer = officer_of("officer01")
    ents = [db.session.get(Enterprise, e) for e in enterprises_of("officer01")]
    items = [i for i in db.session.scalars(select(PolicyItem)) if i.policy.status_on(period.end) == "current"
             and (i.policy.effective_from is None or i.policy.effective_from <= period.end)]
    pairs = {(i.id, e.id) for i in items for e in ents if _eligible(i, e)}
    told = {(d.item_id, d.enterprise_id) for d in db.session.scalars(select(PolicyDelivery))
            if d.item_revision == d.item.revision and d.delivered_on <= period.end}
    rate = metrics.reach([officer.id], period)[officer.id]
    assert (rate.key, rate.numerator, rate.denominator) == ("policy_reach", len(pairs & told), len(pairs))
    assert rate.label == "政策宣传到位率" and metrics.reach([], period) == {}


def test_cash_out_on_time(ctx, client, office):
    """June 2026: accepted Mon 1st with a 5-working-day limit → due Mon 8th; one paid on the 8th, one on the 9th."""
    item = _item(client, office, _policy(client, office), cash_days=5)
    ents = enterprises_of("officer01")[:2]
    for ent, paid in zip(ents, ("2026-06-08", "2026-06-09")):
        delivery = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [item], "enterprise": ent}
                               ).get_json()["result"][0]["id"]
        for action, params in (("apply", {"applied_on": "2026-05-29"}), ("accept", {"accepted_on": "2026-06-01"}),
                               ("pay", {"paid_on": paid, "amount": "1000"})):
            assert _step(client, office, delivery, action, **params).status_code == 200
    rate = metrics.cash_out_on_time(stats.parse_period("2026-06"))
    assert (rate.key, rate.numerator, rate.denominator) == ("policy_cash_on_time", 1, 2)
    dept = department_of_login("dept01")
    assert metrics.cash_out_on_time(stats.parse_period("2026-06"), department_ids=[dept]).denominator == 2
    assert metrics.cash_out_on_time(stats.parse_period("2026-06"), department_ids=[dept + 1000]).denominator == 0


def test_handover_lists_open_applications_and_untold_items(ctx, client, office):
    item = _item(client, office, _policy(client, office), name="交接事项")
    untold = _item(client, office, _policy(client, office, n=2), name="未宣传事项")
    ent = enterprise_of_login("ent01")
    delivery = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [item], "enterprise": ent}
                           ).get_json()["result"][0]["id"]
    assert _step(client, office, delivery, "apply", applied_on=TODAY.isoformat()).status_code == 200
    rows = handover.open_items([ent], officer_of("officer01").id)
    assert all(r["kind"] == "policy" and set(r) >= {"id", "number_or_title", "title", "status_label", "url"} for r in rows)
    applied = [r for r in rows if r["title"] == "申兑：交接事项"]
    assert applied and applied[0]["status_label"] == "已申报" and applied[0]["url"] == f"/policies/deliveries/{delivery}"
    assert any(r["title"] == "未宣传：未宣传事项" and r["url"] == f"/policies/items/{untold}" for r in rows)
    assert not any(r["title"] == "未宣传：交接事项" for r in rows)
    assert handover.open_items([], None) == []


# --- the 明白纸 -------------------------------------------------------------------------------------------

def test_sheet_docx_per_item(ctx, client, office):
    item = _item(client, office, _policy(client, office), name="明白纸事项", categories=["规上工业"], cash_days=15,
                 window_open="2026-01-05", window_close="2026-12-31", phone="0391-3560017")
    resp = login(client, "officer01").get(f"/policies/items/{item}/sheet.docx")
    assert resp.status_code == 200 and resp.mimetype == gongwen.DOCX_MIME
    text = gongwen.document_text(resp.data)
    for expected in ("明白纸事项", "政策明白纸", "测试〔2026〕1号", "企业类别为规上工业", "受理后15个工作日内兑现",
                     "2026年1月5日至2026年12月31日", "0391-3560017"):
        assert expected in text, expected
    assert login(client, "officer01").get(f"/policies/items/{item}/sheet.docx").data == resp.data  # same bytes


# --- scope per role ------------------------------------------------------------------------------------

def _ids(client, token, path, **args):
    resp = client.get(path, headers=token, query_string={"page_size": 100, **args})
    assert resp.status_code == 200, resp.get_json()
    return {r["id"] for r in resp.get_json()["result"]}


def test_scope_per_role_on_rest(ctx, client):
    all_items = set(db.session.scalars(select(PolicyItem.id)))
    all_policies = set(db.session.scalars(select(Policy.id)))
    deliveries = db.session.scalars(select(PolicyDelivery)).all()
    for name in ("office", "director", "leader"):
        token = api_token(client, name)
        assert _ids(client, token, "/api/v1/policy_item/") == all_items
        assert _ids(client, token, "/api/v1/policy_delivery/") == {d.id for d in deliveries}
    officer = api_token(client, "officer01")
    mine = set(enterprises_of("officer01"))
    assert _ids(client, officer, "/api/v1/policy/") == all_policies  # the library is public to the scheme's people
    assert _ids(client, officer, "/api/v1/policy_item/") == all_items
    assert _ids(client, officer, "/api/v1/policy_delivery/") == {d.id for d in deliveries if d.enterprise_id in mine}
    foreign = next(d for d in deliveries if d.enterprise_id not in mine)
    assert client.get(f"/api/v1/policy_delivery/{foreign.id}", headers=officer).status_code == 404
    dept_id = department_of_login("dept01")
    dept = api_token(client, "dept01")
    own_items = {i.id for i in db.session.scalars(select(PolicyItem).where(PolicyItem.department_id == dept_id))}
    assert own_items and _ids(client, dept, "/api/v1/policy_item/") == own_items
    assert _ids(client, dept, "/api/v1/policy_delivery/") == {d.id for d in deliveries if d.item_id in own_items}
    other_item = next(iter(all_items - own_items))
    assert client.get(f"/api/v1/policy_item/{other_item}", headers=dept).status_code == 404
    ent = db.session.get(Enterprise, enterprise_of_login("ent01"))
    company = api_token(client, "ent01")
    applying = {i.id for i in db.session.scalars(select(PolicyItem)) if _eligible(i, ent)}
    assert applying and _ids(client, company, "/api/v1/policy_item/") == applying
    assert _ids(client, company, "/api/v1/policy_delivery/") == {d.id for d in deliveries if d.enterprise_id == ent.id}
    assert client.get(f"/api/v1/policy_delivery/{foreign.id}", headers=company).status_code == 404
    # writing: leaders and officers do not keep the library; enterprises do not record deliveries
    for name in ("leader", "officer01", "ent01"):
        assert client.post("/api/v1/policy/", headers=api_token(client, name),
                           json={"title": "x", "level": "district"}).status_code == 403
    assert client.post("/api/v1/policy_delivery/", headers=company, json={"items": [next(iter(applying))],
                                                                           "enterprise": ent.id}).status_code == 403
    assert client.post("/api/v1/policy_delivery/", headers=api_token(client, "leader"),
                       json={"items": [1], "enterprise": ent.id}).status_code == 403


def test_scope_per_role_on_pages_and_exports(ctx, client):
    mine = set(enterprises_of("officer01"))
    names = {e.id: e.name for e in db.session.scalars(select(Enterprise))}
    web = login(client, "officer01")
    sheet = load_workbook(io.BytesIO(web.get("/policies/ledger.xlsx").data)).active
    listed = {row[1] for row in sheet.iter_rows(min_row=4, values_only=True) if isinstance(row[0], int)}
    assert listed and listed <= {names[e] for e in mine}
    foreign = db.session.scalar(select(PolicyDelivery.id).where(PolicyDelivery.enterprise_id.notin_(mine)).limit(1))
    assert web.get(f"/policies/deliveries/{foreign}").status_code == 404
    assert web.get("/policies/").status_code == 200 and web.get("/policies/sizes").status_code == 403
    summary = load_workbook(io.BytesIO(web.get("/policies/summary.xlsx").data)).active
    assert summary.cell(1, 1).value == "政策覆盖与兑现情况表"
    company = login(client, "ent01")
    ent = enterprise_of_login("ent01")
    sheet = load_workbook(io.BytesIO(company.get("/policies/ledger.xlsx").data)).active
    assert {row[1] for row in sheet.iter_rows(min_row=4, values_only=True) if isinstance(row[0], int)} == {names[ent]}
    page = company.get("/policies/mine").get_data(as_text=True)
    assert "适用于我的惠企政策" in page
    narrow = db.session.scalar(select(PolicyItem.id).join(PolicyCriterion).where(
        PolicyCriterion.kind == "category", PolicyCriterion.value == "重点项目").limit(1))
    assert db.session.get(Enterprise, ent).category != "重点项目" and company.get(f"/policies/items/{narrow}").status_code == 404
    dept = login(client, "dept01")
    dept_id = department_of_login("dept01")
    other = db.session.scalar(select(PolicyItem.id).where(PolicyItem.department_id != dept_id).limit(1))
    assert dept.get(f"/policies/items/{other}").status_code == 404
    own = db.session.scalar(select(PolicyItem.id).where(PolicyItem.department_id == dept_id).limit(1))
    assert "编辑" in dept.get(f"/policies/items/{own}").get_data(as_text=True)
    leader = login(client, "leader")
    assert "新增政策" not in leader.get("/policies/").get_data(as_text=True)
    assert leader.get("/policies/new").status_code == 403


def test_enterprise_confirms_in_the_portal(ctx, client):
    ent = enterprise_of_login("ent01")
    delivery = db.session.scalar(select(PolicyDelivery).where(PolicyDelivery.enterprise_id == ent,
                                                              PolicyDelivery.confirmed_at.is_(None)).limit(1))
    assert delivery is not None  # the demo leaves one to confirm
    web = login(client, "ent01")
    page = web.get(f"/policies/deliveries/{delivery.id}").get_data(as_text=True)
    assert "确认已收到" in page
    resp = web.post(f"/policies/deliveries/{delivery.id}/confirm", data={"interest": "apply", "version": delivery.version},
                    follow_redirects=True)
    assert "已确认收到政策宣传" in resp.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(PolicyDelivery, delivery.id)
    assert row.confirmed_at is not None and row.interest == "apply" and row.confirmed_by_id == user_id("ent01")
    shown = clock.local(row.confirmed_at).strftime("%Y-%m-%d %H:%M")  # local time, not the stored UTC
    assert f"{shown} 已确认" in web.get(f"/policies/deliveries/{delivery.id}").get_data(as_text=True)
    assert db.session.scalar(select(PolicyUptake.status).where(PolicyUptake.item_id == row.item_id,
                                                               PolicyUptake.enterprise_id == ent)) is not None


def test_demo_has_the_walkthrough_rows(ctx):
    assert db.session.scalar(select(func.count()).select_from(Policy)) >= 5
    assert db.session.scalar(select(Policy.id).where(Policy.effective_to < TODAY)) is not None
    statuses = set(db.session.scalars(select(PolicyUptake.status)))
    assert {"paid", "accepted"} <= statuses
    assert current_app.config.get("TESTING")


# --- the screens' forms --------------------------------------------------------------------------------

def test_office_keeps_the_library_through_the_forms(ctx, client):
    web = login(client, "office")
    form = web.get("/policies/new").get_data(as_text=True)
    assert "新增政策" in form and 'name="idem_token"' in form
    data = {"title": "表单政策", "doc_number": "表单〔2026〕1号", "level": "city", "effective_to": "2029-12-31",
            "idem_token": "tok-policy-0001"}
    resp = web.post("/policies/new", data=data)
    assert resp.status_code == 302
    assert web.post("/policies/new", data=data).status_code == 302  # a double submit: one policy
    policy = db.session.scalar(select(Policy).where(Policy.doc_number == "表单〔2026〕1号"))
    assert db.session.scalar(select(func.count()).select_from(Policy).where(Policy.title == "表单政策")) == 1
    bad = web.post("/policies/new", data={"title": "", "level": "city"}).get_data(as_text=True)
    assert "请填写政策标题" in bad
    resp = web.post(f"/policies/{policy.id}/items/new", data={
        "name": "表单事项", "benefit": "奖励", "cash_mode": "instant", "department": department_of_login("dept02"),
        "categories": ["规上工业", "专精特新"], "sizes": ["small"], "cash_days": "10"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    item = db.session.scalar(select(PolicyItem).where(PolicyItem.name == "表单事项"))
    assert sorted((c.kind, c.value) for c in item.criteria) == [("category", "专精特新"), ("category", "规上工业"),
                                                                 ("size", "small")]
    page = web.get(f"/policies/items/{item.id}").get_data(as_text=True)
    assert "专精特新、规上工业" in page or "规上工业、专精特新" in page
    assert client.put(f"/api/v1/policy_item/{item.id}", headers=api_token(client, "office"),
                      json={"industries": ["航空航天"]}).status_code == 200  # a 行业 no enterprise has
    db.session.expire_all()
    item = db.session.get(PolicyItem, item.id)
    form = web.get(f"/policies/items/{item.id}/edit").get_data(as_text=True)
    assert 'value="航空航天" checked' in form  # offered and kept on the edit form
    resp = web.post(f"/policies/items/{item.id}/edit", data={
        "name": "表单事项", "benefit": "奖励", "cash_mode": "instant", "department": department_of_login("dept02"),
        "categories": ["规上工业"], "cash_days": "10", "version": item.version}, follow_redirects=True)
    assert "实质性变更" in resp.get_data(as_text=True)
    db.session.expire_all()
    item = db.session.get(PolicyItem, item.id)
    assert item.revision == 3 and [(c.kind, c.value) for c in item.criteria] == [("category", "规上工业")]
    # a department adds items of its own unit only, and cannot touch the office's policy
    dept = login(client, "dept01")
    assert dept.get(f"/policies/{policy.id}/edit").status_code in (403, 404)
    assert dept.get(f"/policies/items/{item.id}/edit").status_code == 404


def test_sizes_are_kept_by_the_office(ctx, client):
    ent = enterprise_of_login("ent01")
    web = login(client, "office")
    assert "企业规模" in web.get("/policies/sizes").get_data(as_text=True)
    resp = web.post("/policies/sizes", data={f"size_{ent}": "micro"}, follow_redirects=True)
    assert "已保存企业规模（1家有变化）" in resp.get_data(as_text=True)
    assert _size(ent) == "micro"
    assert "企业规模应为" in web.post("/policies/sizes", data={f"size_{ent}": "huge"},
                                  follow_redirects=True).get_data(as_text=True)
    assert login(client, "dept01").post("/policies/sizes", data={f"size_{ent}": "large"}).status_code == 403


def test_summary_counts_per_item(ctx, client, office):
    item = _item(client, office, _policy(client, office), name="汇总事项", subdistricts=["文苑街道"], cash_days=5)
    ents = sorted(e.id for e in db.session.scalars(select(Enterprise).where(Enterprise.subdistrict == "文苑街道")))
    delivery = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [item], "enterprise": ents[0]}
                           ).get_json()["result"][0]["id"]
    for action, params in (("apply", {"applied_on": "2026-05-29"}), ("accept", {"accepted_on": "2026-06-01"}),
                           ("pay", {"paid_on": "2026-06-08", "amount": "2500"})):
        assert _step(client, office, delivery, action, **params).status_code == 200
    sheet = load_workbook(io.BytesIO(login(client, "office").get("/policies/summary.xlsx").data)).active
    headers = [c.value for c in sheet[3]]
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[3] == "汇总事项")
    got = dict(zip(headers, row))
    assert (got["符合条件企业"], got["已送达"], got["已申报"], got["已兑现"], got["兑现金额（元）"]) == (len(ents), 1, 1, 1, 2500)
    assert got["按期兑现率"] == "样本不足"  # one payment is below the minimum sample


# --- the uptake matrix: role × action × state -------------------------------------------------------------

MATRIX_ROLES = {"office": {"office"}, "officer01": {"officer"}, "ent01": {"enterprise"}, "dept01": {"department"},
                "dept02": None, "leader": "read-only"}  # dept01 is the item's unit; dept02 cannot see the pair
WHO = {"plan": {"office", "officer", "enterprise"}, "apply": {"office", "officer", "enterprise", "department"},
       "accept": {"office", "department"}, "pay": {"office", "department"}, "reject": {"office", "department"}}
FROM = {"plan": {None}, "apply": {None, "planned"}, "accept": {"applied"}, "pay": {"applied", "accepted"},
        "reject": {"applied", "accepted"}}
# 免申即享: no application (no 拟申报 / 已申报); the unit records 已受理 (核定), 已兑现 or 未通过 from the start
FROM_AUTO = {"plan": set(), "apply": set(), "accept": {None, "applied"}, "pay": {None, "applied", "accepted"},
             "reject": {None, "applied", "accepted"}}
FROM_BY_MODE = {"apply": FROM, "instant": FROM, "auto": FROM_AUTO}
BUILD = {None: [], "planned": ["plan"], "applied": ["apply"], "accepted": ["apply", "accept"],
         "paid": ["apply", "accept", "pay"], "rejected": ["apply", "reject"]}
BUILD_AUTO = {None: [], "accepted": ["accept"], "paid": ["pay"], "rejected": ["reject"]}


def _params(action):
    return {"plan": {}, "apply": {"applied_on": (TODAY - timedelta(days=10)).isoformat()},
            "accept": {"accepted_on": (TODAY - timedelta(days=5)).isoformat()},
            "pay": {"paid_on": TODAY.isoformat(), "amount": "1"}, "reject": {"reason": "不符合条件"}}[action]


def _expected(role, action, state, cash_mode="apply"):
    kinds = MATRIX_ROLES[role]
    if kinds is None:
        return 404
    if kinds == "read-only" or not kinds & WHO[action]:
        return 403
    return 200 if state in FROM_BY_MODE[cash_mode][action] else 409


@pytest.mark.parametrize("cash_mode", ["apply", "instant", "auto"])
def test_uptake_matrix(ctx, client, office, cash_mode):
    ent = enterprise_of_login("ent01")
    tokens = {role: api_token(client, role) for role in MATRIX_ROLES}
    policy = _policy(client, office)
    build = BUILD_AUTO if cash_mode == "auto" else BUILD

    def pair(state):
        item = _item(client, office, policy, cash_days=10, cash_mode=cash_mode)
        delivery = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [item], "enterprise": ent}
                               ).get_json()["result"][0]["id"]
        for action in build[state]:
            assert _step(client, office, delivery, action, **_params(action)).status_code == 200
        return delivery

    wrong = []
    for state in build:
        shared = pair(state)
        for role in MATRIX_ROLES:
            for action in WHO:
                expected = _expected(role, action, state, cash_mode)
                delivery = pair(state) if expected == 200 else shared
                code = _step(client, tokens[role], delivery, action, **_params(action)).status_code
                if code != expected:
                    wrong.append((state, role, action, expected, code))
        status = db.session.scalar(select(PolicyUptake.status).join(PolicyDelivery, (
            PolicyDelivery.item_id == PolicyUptake.item_id) & (PolicyDelivery.enterprise_id == PolicyUptake.enterprise_id))
            .where(PolicyDelivery.id == shared))
        assert status == state  # refusals changed nothing
    assert wrong == []


# --- walk-through defects 4, 14, 15 -------------------------------------------------------------------------

def test_mine_is_offered_to_enterprise_logins_only(ctx, client):
    """适用于我 answers 404 to anyone but an enterprise login: no role but enterprises is offered the menu
    entry, the admin (who holds every other permission) included."""
    assert 'href="/policies/mine"' in login(client, "ent01").get("/").get_data(as_text=True)
    for name in ("admin", "office", "leader", "officer01", "dept01"):
        web = login(client, name)
        assert 'href="/policies/mine"' not in web.get("/").get_data(as_text=True), name
        assert web.get("/policies/mine").status_code in (403, 404), name


def test_auto_items_offer_no_application(ctx, client, office):
    """免申即享: the enterprise applies for nothing — no 拟申报 / 已申报, no 有意申报; the unit records 兑现."""
    ent = enterprise_of_login("ent01")
    item = _item(client, office, _policy(client, office), cash_mode="auto", cash_days=10)
    delivery = client.post("/api/v1/policy_delivery/", headers=office, json={"items": [item], "enterprise": ent}
                           ).get_json()["result"][0]["id"]
    page = login(client, "ent01").get(f"/policies/deliveries/{delivery}").get_data(as_text=True)
    assert 'data-action="plan"' not in page and 'data-action="apply"' not in page and "记录：已申报" not in page
    assert '<option value="apply"' not in page and "无需申报" in page
    company = api_token(client, "ent01")
    body = client.get(f"/api/v1/policy_delivery/{delivery}", headers=company).get_json()["result"]
    assert not {"plan", "apply"} & set(body["actions"])
    resp = _step(client, company, delivery, "apply", applied_on=TODAY.isoformat())
    assert resp.status_code == 409 and "免申即享" in resp.get_json()["message"]
    resp = client.post(f"/api/v1/policy_delivery/{delivery}/confirm", headers=company, json={"interest": "apply"})
    assert resp.status_code == 422
    dept = login(client, "dept01").get(f"/policies/deliveries/{delivery}").get_data(as_text=True)
    assert 'data-action="pay"' in dept and 'data-action="apply"' not in dept
    resp = _step(client, api_token(client, "dept01"), delivery, "pay", paid_on=TODAY.isoformat(), amount="3000")
    assert resp.status_code == 200 and resp.get_json()["result"]["uptake"]["status"] == "paid"


def test_delivery_with_a_visit_takes_no_other_day_and_returns_to_the_list(ctx, client, office):
    """记录政策宣传 opened from 应知未知: with a visit picked, the day is the visit's and a different 送达日期 is
    refused (not silently replaced); saved, it returns to 应知未知."""
    item = _item(client, office, _policy(client, office))
    ent = enterprises_of("officer01")[0]
    visit = db.session.scalar(select(Visit).where(Visit.enterprise_id == ent, Visit.visit_date < TODAY)
                              .order_by(Visit.visit_date.desc()).limit(1))
    web = login(client, "officer01")
    listed = web.get("/policies/deliveries/unaware").get_data(as_text=True)
    assert f"/policies/deliveries/new?enterprise={ent}&amp;item={item}&amp;back=unaware" in listed
    form = web.get(f"/policies/deliveries/new?enterprise={ent}&item={item}&back=unaware").get_data(as_text=True)
    assert f'data-day="{visit.visit_date}"' in form and "送达日期：走访日期" in form
    assert 'name="back" value="unaware"' in form
    fields = {"enterprise": ent, "visit": visit.id, "items": [item], "channel": "visit", "back": "unaware"}
    resp = web.post("/policies/deliveries/new", data={**fields, "delivered_on": TODAY.isoformat()})
    assert resp.status_code == 200 and "送达日期即走访日期" in resp.get_data(as_text=True)
    assert not db.session.scalars(select(PolicyDelivery).where(PolicyDelivery.item_id == item)).all()
    resp = web.post("/policies/deliveries/new", data=fields)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/policies/deliveries/unaware")
    [row] = db.session.scalars(select(PolicyDelivery).where(PolicyDelivery.item_id == item)).all()
    assert (row.visit_id, row.delivered_on) == (visit.id, visit.visit_date)
    # opened from the visit, it returns to the visit
    other = _item(client, office, _policy(client, office, n=2), name="另一事项")
    form = web.get(f"/policies/deliveries/new?visit={visit.id}").get_data(as_text=True)
    assert f"送达日期：走访日期 {visit.visit_date}" in form and 'name="delivered_on"' not in form
    resp = web.post("/policies/deliveries/new", data={"visit": visit.id, "items": [other], "back": "visit"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/visitview/show/{visit.id}")
