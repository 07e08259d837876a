"""代办 cases (issue 15 items 4-5): booking and numbering, no money, the urgent-only out-of-hours rule,
the authorisation's scope and expiry, statutory due dates over a holiday, an overdue step (reminder,
linked ledger problem), delivery and the 两不见面 rate, documents, scope per role on list / show / REST /
documents / 台账, the catalogue, and the handover hooks for the recall helper. Expectations are worked
out by hand from the rules."""
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from flask import current_app
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app import clock, db, gongwen, stats, workdays
from app.files.models import Attachment
from app.models import Holiday, Issue
from app.proxy import catalogue, handover, metrics, rules
from app.proxy.models import ProxyCase, ProxyEvent, ProxyStep
from app.workflow import numbering
from conftest import api_token, flashes, login
from world import department_of_login, enterprise_of_login, officer_of, user_id


def _user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _later_workday(hour=10):
    return datetime.combine(workdays.add_workdays(clock.today(), 2), time(hour, 0))


@pytest.fixture()
def items(ctx):
    office = _user("office")
    a = catalogue.save_item(office, {"name": "测试备案", "department": department_of_login("dept01"), "time_limit": 3,
                                     "limit_kind": "working", "materials": "申请表\n营业执照"})
    b = catalogue.save_item(office, {"name": "测试报装", "department": department_of_login("dept02"), "time_limit": 3,
                                     "limit_kind": "calendar", "materials": "承诺书"})
    db.session.commit()
    return a.id, b.id


def book(token_client, headers, items, **extra):
    return token_client.post("/api/v1/proxy_case/", headers=headers,
                             json={"title": "新建仓库前期手续", "items": list(items), **extra})


def running_case(items, until=None):
    """A case of ent01's enterprise, authorised for both items, started (two pending steps)."""
    ent, officer = _user("ent01"), _user("officer01")
    case = rules.create_case(ent, {"title": "在办代办件", "items": list(items)})
    act = lambda who, name, **p: rules.transition(who, case.id, name, p)  # noqa: E731
    act(officer, "schedule", appointment_at=_later_workday().strftime("%Y-%m-%d %H:%M"), mode="visit")
    act(officer, "receive", received=[0, 1, 2])
    act(ent, "authorize", items=list(items), until=(until or clock.today() + timedelta(days=30)).isoformat())
    act(officer, "start")
    db.session.commit()
    return case


# --- booking, numbering, no money ------------------------------------------------------------------

def test_enterprise_books_numbered_per_year_and_no_fee(ctx, client, items):
    headers = api_token(client, "ent01")
    refused = book(client, headers, items, fee=200)
    assert refused.status_code == 422 and "fee" in str(refused.get_json()["message"])
    assert "不收取任何费用" in str(refused.get_json()["message"])
    for text in ("代办费200元", "事成后付服务费"):
        resp = book(client, headers, items, description=text)
        assert resp.status_code == 422 and "免费" in str(resp.get_json()["message"]), text
    assert db.session.scalar(select(ProxyCase.id).where(ProxyCase.title == "新建仓库前期手续")) is None  # nothing kept

    first = book(client, headers, items, preferred_times="周三上午")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()["result"]
    year = clock.today().year
    seq = db.session.get(ProxyCase, body["id"]).seq
    assert body["number"] == f"代办〔{year}〕{seq}号" and body["status"] == "requested"
    assert body["officer"] == officer_of("officer01").id  # the chief of ent01's enterprise
    assert [m["name"] for m in body["checklist"]] == ["申请表", "营业执照", "承诺书"]
    assert all("fee" not in k and "amount" not in k for k in body)  # no money anywhere in the answer

    numbering.save_format("proxy", "示范区代办〔{year}〕{seq}号")  # the office's format setting
    db.session.commit()
    second = book(client, headers, items).get_json()["result"]
    assert second["number"] == f"示范区代办〔{year}〕{seq + 1}号"

    # a transition with an unknown field is refused as well, and no column of the case can hold money
    resp = client.post(f"/api/v1/proxy_case/{body['id']}/transition", headers=headers,
                       json={"action": "cancel", "reason": "改期", "amount": 100})
    assert resp.status_code == 422 and db.session.get(ProxyCase, body["id"]).status == "requested"
    columns = {c.name for t in ("proxy_case", "proxy_step", "proxy_service_item")
               for c in db.metadata.tables[t].columns}
    assert not {c for c in columns if re.search(r"fee|price|amount|pay|cost|charge", c)}


def test_enterprise_books_on_screen(ctx, client, items):
    login(client, "ent01")
    page = client.get("/proxy/new").get_data(as_text=True)
    token = re.search(r'name="idem_token" value="([^"]+)"', page).group(1)
    form = {"title": "屏幕预约", "items": [str(i) for i in items], "preferred_times": "下周一", "idem_token": token}
    resp = client.post("/proxy/new", data=form)
    assert resp.status_code == 302
    again = client.post("/proxy/new", data=form)  # a double submit answers with the same case
    assert again.headers["Location"] == resp.headers["Location"]
    assert db.session.scalars(select(ProxyCase).where(ProxyCase.title == "屏幕预约")).all().__len__() == 1
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "待预约" in html and "屏幕预约" in html and 'data-action="cancel"' in html
    assert 'data-action="schedule"' not in html  # the officer's, not the enterprise's


# --- appointments outside working hours -------------------------------------------------------------

def test_out_of_hours_only_for_urgent_with_reason(ctx, client, items):
    case = rules.create_case(_user("ent01"), {"title": "夜间预约", "items": [items[0]]})
    db.session.commit()
    headers = api_token(client, "officer01")
    url = f"/api/v1/proxy_case/{case.id}/transition"
    evening = _later_workday(20).strftime("%Y-%m-%d %H:%M")
    saturday = clock.today() + timedelta(days=(5 - clock.today().weekday()) % 7 or 7)
    while workdays.is_workday(saturday):  # a Saturday that is a day off (not a 调休 working day)
        saturday += timedelta(days=7)
    weekend = f"{saturday.isoformat()} 10:00"
    for when in (evening, weekend):
        resp = client.post(url, headers=headers, json={"action": "schedule", "appointment_at": when, "mode": "visit"})
        assert resp.status_code == 422 and "特事特办" in resp.get_json()["message"]["appointment_at"][0], when
    resp = client.post(url, headers=headers, json={"action": "schedule", "appointment_at": evening, "mode": "visit",
                                                   "urgent": True})
    assert resp.status_code == 422 and "urgent_reason" in resp.get_json()["message"]  # urgent needs its reason
    resp = client.post(url, headers=headers, json={"action": "schedule", "appointment_at": evening, "mode": "online",
                                                   "urgent": True, "urgent_reason": "项目须当晚报送"})
    assert resp.status_code == 200, resp.get_json()
    result = resp.get_json()["result"]
    assert result["urgent"] and result["urgent_reason"] == "项目须当晚报送" and result["status"] == "scheduled"
    notes = db.session.scalars(select(ProxyEvent.note).where(ProxyEvent.case_id == case.id).order_by(ProxyEvent.id))
    assert "工作时间外" in notes.all()[-1]
    inside = _later_workday(9).strftime("%Y-%m-%d %H:%M")  # an ordinary case in working hours is fine
    other = rules.create_case(_user("ent01"), {"title": "白天预约", "items": [items[0]]})
    db.session.commit()
    resp = client.post(f"/api/v1/proxy_case/{other.id}/transition", headers=headers,
                       json={"action": "schedule", "appointment_at": inside, "mode": "window"})
    assert resp.status_code == 200


# --- the power of attorney ------------------------------------------------------------------------------

def test_authorisation_scope_and_expiry(ctx, client, items):
    ent, officer = _user("ent01"), _user("officer01")
    a, b = items
    case = rules.create_case(ent, {"title": "委托范围", "items": [a, b]})
    rules.transition(officer, case.id, "schedule", {"appointment_at": _later_workday().strftime("%Y-%m-%d %H:%M"),
                                                   "mode": "visit"})
    rules.transition(officer, case.id, "receive", {"received": [0]})
    db.session.commit()
    headers = {u: api_token(client, u) for u in ("ent01", "officer01")}
    url = f"/api/v1/proxy_case/{case.id}/transition"
    until = (clock.today() + timedelta(days=10)).isoformat()
    resp = client.post(url, headers=headers["ent01"], json={"action": "authorize", "items": [a], "until": until})
    assert resp.status_code == 409 and "材料尚未齐全" in resp.get_json()["message"]  # two materials missing
    resp = client.post(url, headers=headers["officer01"], json={"action": "tell_missing"})
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(ProxyCase, case.id).missing_told == ["营业执照", "承诺书"]  # told in one go
    client.post(url, headers=headers["officer01"], json={"action": "receive", "received": [0, 1, 2]})
    resp = client.post(url, headers=headers["ent01"], json={"action": "authorize", "items": [a], "until": until})
    assert resp.status_code == 200 and resp.get_json()["result"]["authorized_items"] == [{"id": a, "name": "测试备案"}]
    resp = client.post(url, headers=headers["officer01"], json={"action": "start"})
    assert [s["item"] for s in resp.get_json()["result"]["steps"]] == [a]  # steps only for authorised items
    resp = client.post(url, headers=headers["officer01"], json={"action": "add_step", "item": b})
    assert resp.status_code == 409 and "不在企业委托的代办事项范围内" in resp.get_json()["message"]

    db.session.expire_all()
    step = db.session.scalar(select(ProxyStep.id).where(ProxyStep.case_id == case.id))
    later = datetime.combine(date.fromisoformat(until) + timedelta(days=1), time(10))
    with clock.at(later):  # the day after the authorisation ends
        with pytest.raises(rules.ProxyError) as refused:
            rules.transition(officer, case.id, "submit_step", {"step": step, "acceptance_no": "SL-1"})
        assert refused.value.status == 409 and f"已于{until}到期" in refused.value.message
        db.session.rollback()
        renewed = (later.date() + timedelta(days=30)).isoformat()
        rules.transition(ent, case.id, "renew", {"items": [a, b], "until": renewed})
        rules.transition(officer, case.id, "submit_step", {"step": step, "acceptance_no": "SL-1"})
        rules.transition(officer, case.id, "add_step", {"item": b})  # now inside the widened scope
        db.session.commit()
    assert [s.item_id for s in db.session.get(ProxyCase, case.id).steps] == [a, b]


def test_officer_records_a_signed_scan(ctx, client, items):
    case = rules.create_case(_user("officer01"), {"title": "扫描件委托", "items": [items[1]],
                                                   "enterprise": enterprise_of_login("ent01")})
    rules.transition(_user("officer01"), case.id, "schedule",
                     {"appointment_at": _later_workday().strftime("%Y-%m-%d %H:%M"), "mode": "window"})
    rules.transition(_user("officer01"), case.id, "receive", {"received": [0]})
    db.session.commit()
    headers = api_token(client, "officer01")
    url = f"/api/v1/proxy_case/{case.id}/transition"
    until = (clock.today() + timedelta(days=5)).isoformat()
    resp = client.post(url, headers=headers, json={"action": "authorize", "until": until})
    assert resp.status_code == 422 and "attachment" in resp.get_json()["message"]
    login(client, "officer01")
    scan = (io.BytesIO(b"%PDF-1.4\n%scan\n"), "委托书.pdf")
    up = client.post(f"/files/proxy_case/{case.id}/upload", data={"file": scan},
                     content_type="multipart/form-data")
    assert up.status_code in (200, 302), up.status_code
    att = db.session.scalar(select(Attachment.id).where(Attachment.owner_kind == "proxy_case",
                                                        Attachment.owner_id == case.id))
    assert att is not None
    resp = client.post(url, headers=headers, json={"action": "authorize", "until": until, "attachment": att})
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(ProxyCase, case.id).authorization_attachment_id == att


# --- statutory limits, overdue steps --------------------------------------------------------------------

def test_statutory_due_dates_over_a_holiday(ctx, client, items):
    a, b = items  # A: 3 working days; B: 3 calendar days
    # Mon 16 Nov 2026 submitted; the office declares Tue 17 and Wed 18 days off and Sat 21 a 调休 working day
    db.session.add_all([Holiday(day=date(2026, 11, 17), kind="holiday", name="测试"),
                        Holiday(day=date(2026, 11, 18), kind="holiday", name="测试"),
                        Holiday(day=date(2026, 11, 21), kind="workday", name="测试调休")])
    db.session.commit()
    workdays.invalidate()
    case = running_case(items)
    steps = {s.item_id: s.id for s in case.steps}
    headers = api_token(client, "officer01")
    url = f"/api/v1/proxy_case/{case.id}/transition"
    for item in (a, b):
        resp = client.post(url, headers=headers, json={"action": "submit_step", "step": steps[item],
                                                       "submitted_on": "2026-11-16", "acceptance_no": f"SL{item}"})
        assert resp.status_code == 200, resp.get_json()
    due = {s["item"]: s["due_on"] for s in resp.get_json()["result"]["steps"]}
    assert due[a] == "2026-11-21"  # working days after Mon 16: Thu 19, Fri 20, Sat 21 (调休)
    assert due[b] == "2026-11-19"  # three calendar days
    future = clock.today() + timedelta(days=1)
    resp = client.post(url, headers=headers, json={"action": "complete_step", "step": steps[a], "result_no": "R1",
                                                   "done_on": future.isoformat()})
    assert resp.status_code == 422  # a result cannot be dated tomorrow


def test_overdue_step_reminds_department_and_opens_a_problem(ctx, client, items, monkeypatch):
    from app import notifications

    sent = []
    real = notifications.notify
    monkeypatch.setattr(notifications, "notify", lambda users, title, url, **kw: (sent.append((set(users), title, url)),
                                                                                   real(users, title, url, **kw)))
    case = running_case(items)
    a, b = items
    steps = {s.item_id: s for s in case.steps}
    submitted = workdays.add_workdays(clock.today(), -10)
    rules.transition(_user("officer01"), case.id, "submit_step",
                     {"step": steps[a].id, "submitted_on": submitted.isoformat(), "acceptance_no": "SL-OLD"})
    rules.transition(_user("officer01"), case.id, "submit_step", {"step": steps[b].id, "acceptance_no": "SL-NEW"})
    db.session.commit()
    assert steps[a].due_on == workdays.add_workdays(submitted, 3) < clock.today()
    sent.clear()

    runner = current_app.test_cli_runner()
    out = runner.invoke(args=["cso", "proxy-sweep"])
    assert out.exit_code == 0 and "1 个" in out.output, out.output
    dept01 = user_id("dept01")
    reminder = [s for s in sent if dept01 in s[0]]
    assert len(reminder) == 1 and "测试备案" in reminder[0][1] and "法定时限" in reminder[0][1]
    assert reminder[0][2] == f"/proxy/{case.id}" and user_id("officer01") in reminder[0][0]
    assert not [s for s in sent if user_id("dept02") in s[0]]  # the calendar-day step is not overdue
    db.session.expire_all()
    assert db.session.get(ProxyStep, steps[a].id).overdue_notified_at is not None
    actions = db.session.scalars(select(ProxyEvent.action).where(ProxyEvent.case_id == case.id).order_by(ProxyEvent.id))
    assert actions.all()[-1] == "step_overdue"
    assert "0 个" in runner.invoke(args=["cso", "proxy-sweep"]).output  # once per step

    headers = api_token(client, "officer01")
    url = f"/api/v1/proxy_case/{case.id}/transition"
    resp = client.post(url, headers=headers, json={"action": "open_issue", "step": steps[b].id})
    assert resp.status_code == 409  # not overdue
    resp = client.post(url, headers=headers, json={"action": "open_issue", "step": steps[a].id})
    assert resp.status_code == 200, resp.get_json()
    step = resp.get_json()["result"]["steps"][0]
    issue = db.session.get(Issue, step["issue"])
    assert issue.source == "proxy" and issue.enterprise_id == enterprise_of_login("ent01")
    assert case.number in issue.description and "SL-OLD" in issue.description
    assert client.post(url, headers=headers, json={"action": "open_issue", "step": steps[a].id}).status_code == 409
    login(client, "dept01")  # the department sees the overdue step on the case page
    html = client.get(f"/proxy/{case.id}").get_data(as_text=True)
    assert "超期" in html and issue.number in html and 'data-action="complete_step"' in html


# --- delivery, 两不见面, metrics -------------------------------------------------------------------------

def _deliver(items, met_department, met_counterparty):
    case = running_case(items)
    officer, ent = _user("officer01"), _user("ent01")
    for s in case.steps:
        rules.transition(officer, case.id, "submit_step", {"step": s.id, "acceptance_no": f"SL{s.id}"})
        rules.transition(officer, case.id, "complete_step", {"step": s.id, "result_no": f"R{s.id}"})
    rules.transition(officer, case.id, "finish", {})
    rules.transition(ent, case.id, "confirm_delivery", {"met_department": met_department,
                                                        "met_counterparty": met_counterparty})
    db.session.commit()
    return case


def test_delivery_answers_and_rates(ctx, items):
    p = stats.period("year", clock.today())
    before = metrics.no_meet_rate(p)
    steps_before = metrics.on_time_steps(p)
    cases = [_deliver(items, "no", "no"), _deliver(items, "no", "no"), _deliver(items, "yes", "no"),
             _deliver(items, "no", "是")]
    assert cases[0].status == "delivered" and cases[0].met_department is False
    after = metrics.no_meet_rate(p)
    assert (after.numerator - before.numerator, after.denominator - before.denominator) == (2, 4)
    steps = metrics.on_time_steps(p)  # 8 steps with a result today, each within 3 days
    assert (steps.numerator - steps_before.numerator, steps.denominator - steps_before.denominator) == (8, 8)
    assert after.label == "两不见面率" and steps.label == "代办环节按时办结率"
    assert stats.rate("proxy_no_meet", 2, 4, minimum=5).text == stats.INSUFFICIENT  # minimum sample
    with pytest.raises(rules.ProxyError):
        rules.transition(_user("ent01"), cases[0].id, "confirm_delivery", {"met_department": "no",
                                                                          "met_counterparty": "no"})


# --- documents ---------------------------------------------------------------------------------------

def test_documents_follow_the_case(ctx, client, items, tmp_path):
    case = _deliver(items, "no", "no")
    login(client, "ent01")
    texts = {}
    for kind in ("authorization", "handover"):
        resp = client.get(f"/proxy/{case.id}/document/{kind}")
        assert resp.status_code == 200 and resp.mimetype == gongwen.DOCX_MIME, kind
        texts[kind] = gongwen.document_text(resp.data)
        (tmp_path / f"{kind}.docx").write_bytes(resp.data)
    assert "代办委托书" in texts["authorization"] and case.number in texts["authorization"]
    assert "测试备案" in texts["authorization"] and "不收取任何费用" in texts["authorization"]
    assert "代办结果移交单" in texts["handover"] and "签收回执" in texts["handover"] and "SL" in texts["handover"]
    assert client.get(f"/proxy/{case.id}/document/notice").status_code == 302  # nothing was missing: refused
    assert client.get(f"/proxy/{case.id}/document/nonsense").status_code == 404
    fresh = rules.create_case(_user("ent01"), {"title": "缺件", "items": list(items)})
    rules.transition(_user("officer01"), fresh.id, "schedule",
                     {"appointment_at": _later_workday().strftime("%Y-%m-%d %H:%M"), "mode": "visit"})
    rules.transition(_user("officer01"), fresh.id, "tell_missing", {})
    db.session.commit()
    notice = gongwen.document_text(client.get(f"/proxy/{fresh.id}/document/notice").data)
    assert "一次性告知" in notice and "营业执照" in notice and "承诺书" in notice
    stored = client.get(f"/proxy/{fresh.id}").get_data(as_text=True)
    assert "一次性告知单.docx" in stored  # kept in the file store when told


# --- scope per role -----------------------------------------------------------------------------------

def test_scope_on_list_show_rest_documents_and_ledger(ctx, client, items):
    case = running_case(items)  # ent01's enterprise, steps at dept01 and dept02
    sees = {"office": True, "director": True, "leader": True, "officer01": True, "ent01": True, "dept01": True,
            "dept02": True, "officer02": False, "ent02": False, "dept03": False}
    for user, visible in sees.items():
        login(client, user)
        listed = case.number in client.get("/proxy/?q=在办代办件").get_data(as_text=True)
        show = client.get(f"/proxy/{case.id}").status_code
        doc = client.get(f"/proxy/{case.id}/document/authorization").status_code
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(client.get("/proxy/ledger.xlsx").data))
        in_sheet = any(case.number in [str(c) for c in r] for r in sheet.get_sheet_by_index(0).to_python())
        headers = api_token(client, user)
        rest = client.get(f"/api/v1/proxy_case/{case.id}", headers=headers).status_code
        rest_list = case.id in client.get("/api/v1/proxy_case/?page_size=100", headers=headers).get_json()["ids"]
        history = client.get(f"/api/v1/proxy_case/{case.id}/history", headers=headers).status_code
        assert (listed, show, doc, in_sheet, rest, rest_list, history) == (
            (True, 200, 200, True, 200, True, 200) if visible else (False, 404, 404, False, 404, False, 404)), user


# --- catalogue ---------------------------------------------------------------------------------------

def test_catalogue_kept_by_the_office(ctx, client):
    office, officer = api_token(client, "office"), api_token(client, "officer01")
    body = {"name": "排水许可", "department": department_of_login("dept03"), "time_limit": 5, "limit_kind": "working",
            "materials": "申请书\n排水设施图"}
    assert client.post("/api/v1/proxy_item/", headers=officer, json=body).status_code == 403
    assert client.post("/api/v1/proxy_item/", headers=office, json={**body, "fee": "50元"}).status_code == 422
    assert client.post("/api/v1/proxy_item/", headers=office, json={**body, "time_limit": 0}).status_code == 422
    resp = client.post("/api/v1/proxy_item/", headers=office, json=body)
    assert resp.status_code == 201 and resp.get_json()["result"]["limit_text"] == "5个工作日"
    pk = resp.get_json()["result"]["id"]
    assert client.post("/api/v1/proxy_item/", headers=office, json=body).status_code == 422  # duplicate name
    assert client.put(f"/api/v1/proxy_item/{pk}", headers=office, json={"active": False}).status_code == 200
    names = [i["name"] for i in client.get("/api/v1/proxy_item/", headers=officer).get_json()["result"]]
    assert "排水许可" not in names  # retired items are not offered
    login(client, "officer01")
    page = client.get("/proxy/items/").get_data(as_text=True)
    assert "排水许可" in page and "cso-item-new" not in page  # officers read, only the office edits
    login(client, "office")
    resp = client.post("/proxy/items/save", data={"name": "占道施工许可", "department": department_of_login("dept03"),
                                                  "time_limit": "7", "limit_kind": "calendar"})
    assert resp.status_code == 302 and "已保存" in " ".join(flashes(client.get("/proxy/items/").get_data(as_text=True)))


# --- handover hooks for the recall helper ------------------------------------------------------------

def test_open_items_and_reassign(ctx, items):
    running = running_case(items)
    done = _deliver(items, "no", "no")
    ent = enterprise_of_login("ent01")
    mine = officer_of("officer01").id
    listed = handover.open_items([ent], mine)
    ids = [i["id"] for i in listed]
    assert running.id in ids and done.id not in ids
    entry = next(i for i in listed if i["id"] == running.id)
    assert entry == {"kind": "proxy", "id": running.id, "number": running.number, "title": "在办代办件",
                     "status_label": "代办中", "url": f"/proxy/{running.id}"}
    assert handover.open_items([], mine) == []
    others = [o for o in rules._serving_officers(ent) if o.id != mine]
    if not others:
        pytest.skip("the demo enterprise has a single serving officer")
    moved = rules.reassign([running.id, done.id], others[0].id, _user("office"))
    db.session.commit()
    assert [c.id for c in moved] == [running.id]
    assert db.session.get(ProxyCase, running.id).officer_id == others[0].id
    assert db.session.get(ProxyCase, done.id).officer_id == mine  # closed cases stay untouched
    assert db.session.get(ProxyCase, running.id).events[-1].action == "handover"
    assert handover.open_items([ent], mine) == [i for i in handover.open_items([ent], mine) if i["id"] != running.id]
    with pytest.raises(rules.ProxyError):
        rules.reassign([running.id], officer_of("officer02").id, _user("office"))  # does not serve the enterprise


def test_daily_sweep_runs_on_working_days(ctx, items):
    import config
    from app.proxy import sweep
    from app.tasks import celery

    assert config.BEAT_SCHEDULE["proxy-sweep"]["task"] == "cso.proxy_sweep" and "cso.proxy_sweep" in celery.tasks
    case = running_case(items)
    step = next(s for s in case.steps if s.item_id == items[0])
    submitted = workdays.add_workdays(clock.today(), -10)
    rules.transition(_user("officer01"), case.id, "submit_step",
                     {"step": step.id, "submitted_on": submitted.isoformat(), "acceptance_no": "SL-D"})
    db.session.commit()
    day_off = clock.today() + timedelta(days=1)
    while workdays.is_workday(day_off):
        day_off += timedelta(days=1)
    assert sweep.daily(day_off) is None and step.overdue_notified_at is None  # nobody is reminded on a day off
    working = workdays.add_workdays(day_off, 0)
    assert sweep.daily(working) >= 1 and step.overdue_notified_at is not None


def test_screen_actions_refuse_forged_fields_and_bad_reasons(ctx, client, items):
    case = rules.create_case(_user("ent01"), {"title": "屏幕操作", "items": [items[0]]})
    db.session.commit()
    login(client, "officer01")
    url = f"/proxy/{case.id}/act"
    resp = client.post(url, data={"action": "cancel", "reason": "改期", "fee": "100", "version": case.version},
                       follow_redirects=True)
    assert any("未知的参数：fee" in f for f in flashes(resp.get_data(as_text=True)))
    resp = client.post(url, data={"action": "suspend", "reason": "欠费"}, follow_redirects=True)
    assert any("待预约" in f and "不能执行" in f for f in flashes(resp.get_data(as_text=True)))  # not scheduled yet
    when = _later_workday().strftime("%Y-%m-%dT%H:%M")  # as a datetime-local field sends it
    resp = client.post(url, data={"action": "schedule", "appointment_at": when, "mode": "window"}, follow_redirects=True)
    assert any("已确定预约" in f for f in flashes(resp.get_data(as_text=True)))
    resp = client.post(url, data={"action": "suspend", "reason": "欠费"}, follow_redirects=True)
    assert any("原因应为" in f for f in flashes(resp.get_data(as_text=True)))
    resp = client.post(url, data={"action": "suspend", "reason": "other"}, follow_redirects=True)
    assert any("请填写说明" in f for f in flashes(resp.get_data(as_text=True)))
    resp = client.post(url, data={"action": "suspend", "reason": "withdrawn"}, follow_redirects=True)
    assert "已中止" in resp.get_data(as_text=True)
    resp = client.post(url, data={"action": "resume"}, follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(ProxyCase, case.id).status == "scheduled"  # back where it was
    login(client, "officer02")
    assert client.post(url, data={"action": "resume"}).status_code == 404  # not their enterprise


def test_urgent_is_offered_once_and_the_finish_message_says_what_happened(ctx, client, items):
    """标记特事特办 only on a case not yet 特事特办 (a second mark would silently replace the reason); after
    办结 the screen says 已办结, the hand-over waits for the enterprise's 签收 (walk-through defect 17)."""
    case = running_case(items)
    web = login(client, "officer01")
    assert 'data-action="mark_urgent"' in web.get(f"/proxy/{case.id}").get_data(as_text=True)
    url = f"/api/v1/proxy_case/{case.id}/transition"
    headers = api_token(client, "officer01")
    resp = client.post(url, headers=headers, json={"action": "mark_urgent", "reason": "省重点项目"})
    assert resp.status_code == 200 and resp.get_json()["result"]["urgent_reason"] == "省重点项目"
    for who in ("officer01", "office"):
        resp = client.post(url, headers=api_token(client, who), json={"action": "mark_urgent", "reason": "另一理由"})
        assert resp.status_code == 409 and "已是特事特办" in resp.get_json()["message"], who
    db.session.expire_all()
    assert db.session.get(ProxyCase, case.id).urgent_reason == "省重点项目"
    assert 'data-action="mark_urgent"' not in login(client, "officer01").get(f"/proxy/{case.id}").get_data(as_text=True)
    officer = _user("officer01")
    for s in case.steps:
        rules.transition(officer, case.id, "submit_step", {"step": s.id, "acceptance_no": f"SL{s.id}"})
        rules.transition(officer, case.id, "complete_step", {"step": s.id, "result_no": f"R{s.id}"})
    db.session.commit()
    version = db.session.get(ProxyCase, case.id).version
    html = web.post(f"/proxy/{case.id}/act", data={"action": "finish", "version": version},
                    follow_redirects=True).get_data(as_text=True)
    said = " ".join(flashes(html))
    db.session.expire_all()
    assert db.session.get(ProxyCase, case.id).status == "done"
    assert "已办结" in said and "已办结并移交" not in said and "签收" in said
