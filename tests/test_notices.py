"""Assignment notices (交办通知单) through their public surfaces: REST, screens, documents, exports.

Expectations come from issue 12 (items 1, 2, 4) and 六(五) of the notice, not from app.notices."""
import io
import re
from datetime import date

import openpyxl
import pytest
from flask import current_app

from app import db, ledger
from app.models import Issue, IssueEvent, Notice
from conftest import api_token, flashes, login
from world import department_of_login, enterprise_of_login


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _new_issue(status="accepted"):
    sm = current_app.appbuilder.sm
    officer, office = sm.find_user(username="officer01"), sm.find_user(username="office")
    issue = ledger.create_issue(officer, enterprise_of_login("ent01"), "厂区道路破损", "进厂道路破损影响物流。",
                                category="融资信贷")
    if status != "new":
        ledger.transition(office, issue.id, "accept")
    db.session.commit()
    return issue.id


def _post(client, headers, pk, action, **params):
    return client.post(f"/api/v1/notice/{pk}/transition", headers=headers, json={"action": action, **params})


def _draft(client, tokens, issue_id, **extra):
    body = {"issue": issue_id, "department": department_of_login("dept01"),
            "co_departments": [department_of_login("dept02")], "body": {"problem": "进厂道路破损，影响物流。"}, **extra}
    resp = client.post("/api/v1/notice/", headers=tokens["office"], json=body)
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["status"] == "draft" and data["number"] is None and data["version"] >= 1 and data["id"]
    return data["id"]


def _to_registered(client, tokens, pk):
    for who, action in (("office", "submit"), ("director", "approve"), ("office", "register")):
        resp = _post(client, tokens[who], pk, action)
        assert resp.status_code == 200, (action, resp.get_json())
    return resp.get_json()


def _upload(client, headers, pk, name="盖章扫描件.pdf"):
    resp = client.post(f"/api/v1/notice/{pk}/attachments", headers=headers,
                       data={"file": (io.BytesIO(PDF), name)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    return body.get("id") or body["result"]["id"]


@pytest.fixture()
def tokens(client):
    return {u: api_token(client, u) for u in ("office", "director", "leader", "dept01", "dept02", "dept03",
                                              "officer01", "officer02")}


def test_the_whole_path_moves_the_problem(ctx, client, tokens):
    issue_id = _new_issue("accepted")
    pk = _draft(client, tokens, issue_id)
    registered = _to_registered(client, tokens, pk)
    assert re.fullmatch(r"示范区企服交〔\d{4}〕\d+号", registered["number"])  # 〔〕, no 第, no padding
    assert not re.search(r"〕0", registered["number"])
    scan = _upload(client, tokens["office"], pk)
    resp = _post(client, tokens["office"], pk, "send", delivery="scan", attachment=scan)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "sent" and resp.get_json()["due_on"]
    db.session.expire_all()
    issue = db.session.get(Issue, issue_id)
    assert issue.status == "assigned" and issue.lead_department_id == department_of_login("dept01")
    assert [d.id for d in issue.co_departments] == [department_of_login("dept02")]
    assign = [e for e in issue.events if e.action == "assign"][-1]
    assert registered["number"] in assign.note  # the ledger's own event names the notice
    assert _post(client, tokens["dept01"], pk, "acknowledge").status_code == 200
    db.session.expire_all()
    assert db.session.get(Issue, issue_id).status == "in_progress"  # the notice's 签收 is the ledger's
    reply = _upload(client, tokens["dept01"], pk, "办理情况回复.pdf")
    assert _post(client, tokens["dept01"], pk, "reply", text="已修复道路").status_code == 422  # 一事一文: text + file
    assert _post(client, tokens["dept01"], pk, "reply", text="已修复道路", attachment=reply).status_code == 200
    resp = _post(client, tokens["office"], pk, "verify", resolve_issue="1")
    assert resp.status_code == 200 and resp.get_json()["status"] == "verified"
    db.session.expire_all()
    issue = db.session.get(Issue, issue_id)
    assert issue.status == "resolved" and issue.resolution == "已修复道路"
    history = client.get(f"/api/v1/notice/{pk}/history", headers=tokens["office"]).get_json()["result"]
    assert [e["action"] for e in history] == ["create", "submit", "approve", "register", "send", "acknowledge",
                                              "reply", "verify"]


def test_director_approves_but_never_their_own_draft(ctx, client, tokens):
    pk = client.post("/api/v1/notice/", headers=tokens["director"], json={
        "issue": _new_issue(), "department": department_of_login("dept01")}).get_json()["id"]
    assert _post(client, tokens["director"], pk, "submit").status_code == 200
    resp = _post(client, tokens["director"], pk, "approve")
    assert resp.status_code == 409 and "起草人" in str(resp.get_json()["message"])
    assert _post(client, tokens["office"], pk, "approve").status_code == 403  # approval is the director's
    assert _post(client, tokens["director"], pk, "return").status_code == 422  # a return needs a reason
    resp = _post(client, tokens["director"], pk, "return", reason="请补充前期协调情况")
    assert resp.status_code == 200 and resp.get_json()["status"] == "draft"
    assert resp.get_json()["return_reason"] == "请补充前期协调情况"


def test_numbers_are_gapless_and_voided_numbers_stay_in_the_register(ctx, client, tokens):
    issue_id = _new_issue()
    made = [_draft(client, tokens, issue_id) for _ in range(3)]
    first = _to_registered(client, tokens, made[0])
    assert _post(client, tokens["office"], made[0], "void", reason="主送单位有误", version=first["version"]).status_code == 200
    second = _to_registered(client, tokens, made[1])
    third = _to_registered(client, tokens, made[2])
    assert [second["seq"], third["seq"]] == [first["seq"] + 1, first["seq"] + 2]  # a void keeps its number
    listed = client.get(f"/api/v1/notice/?issue={issue_id}&status=void", headers=tokens["office"]).get_json()
    assert [n["number"] for n in listed["result"]] == [first["number"]]
    login(client, "office")
    resp = client.get(f"/notices/export?issue={issue_id}")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    header = [c.value for c in ws[3]]
    assert header == ["编号", "登记日期", "事项", "来源", "主送", "配合", "时限", "签收", "反馈", "状态", "超期天数"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] and r[0].startswith("示范区")}
    assert set(rows) == {first["number"], second["number"], third["number"]}
    assert rows[first["number"]][9] == "作废" and rows[second["number"]][9] == "已登记"


def test_a_unit_never_sees_another_units_notice(ctx, client, tokens):
    pk = _draft(client, tokens, _new_issue())
    assert client.get(f"/api/v1/notice/{pk}", headers=tokens["dept01"]).status_code == 404  # not sent yet
    _to_registered(client, tokens, pk)
    assert _post(client, tokens["office"], pk, "send", delivery="offline").status_code == 422  # needs a note
    assert _post(client, tokens["office"], pk, "send", delivery="offline", note="张三签收").status_code == 200
    att = _upload(client, tokens["dept01"], pk, "材料.pdf")
    assert client.get(f"/api/v1/notice/{pk}", headers=tokens["dept01"]).status_code == 200
    assert client.get(f"/api/v1/notice/{pk}", headers=tokens["dept02"]).status_code == 200  # co-unit reads
    assert client.get(f"/api/v1/notice/{pk}", headers=tokens["officer01"]).status_code == 200  # serves the enterprise
    for who in ("dept03", "officer02"):
        headers = tokens[who]
        assert client.get(f"/api/v1/notice/{pk}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/notice/{pk}/document", headers=headers).status_code == 404
        assert client.get(f"/api/v1/notice/{pk}/history", headers=headers).status_code == 404
        assert client.get(f"/api/v1/attachment/{att}/content", headers=headers).status_code == 404
        assert pk not in client.get("/api/v1/notice/?page_size=100", headers=headers).get_json()["ids"]
        login(client, who)
        assert client.get(f"/notices/{pk}").status_code == 404
        assert client.get(f"/notices/{pk}/document").status_code == 404
        assert client.get(f"/files/{att}").status_code == 404
        assert f"/notices/{pk}\"" not in client.get("/notices/").get_data(as_text=True)
    ent = api_token(client, "ent01")
    assert client.get("/api/v1/notice/", headers=ent).status_code in (403, 404)  # enterprises: no notices at all
    assert client.get(f"/api/v1/notice/{pk}", headers=ent).status_code in (403, 404)
    assert client.get(f"/api/v1/attachment/{att}/content", headers=ent).status_code == 404
    login(client, "ent01")
    assert client.get(f"/notices/{pk}").status_code in (302, 403, 404)
    login(client, "dept03")
    resp = client.get("/notices/export")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    numbers = {r[0] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert db.session.get(Notice, pk).number not in numbers  # the register export is scoped too


def test_the_problem_is_not_closed_while_a_notice_is_open(ctx, client, tokens):
    sm = current_app.appbuilder.sm
    issue_id = _new_issue()
    pk = _draft(client, tokens, issue_id)
    dept, ent = sm.find_user(username="dept01"), sm.find_user(username="ent01")
    ledger.transition(sm.find_user(username="office"), issue_id, "assign", {"department": department_of_login("dept01")})
    ledger.transition(dept, issue_id, "acknowledge")
    ledger.transition(dept, issue_id, "resolve", {"result": "已解决"})
    ledger.transition(ent, issue_id, "confirm", {"satisfaction": "satisfied"})
    db.session.commit()
    resp = client.post(f"/api/v1/issue/{issue_id}/transition", headers=tokens["office"], json={"action": "close"})
    assert resp.status_code == 409 and "交办通知单" in str(resp.get_json()["message"])
    resp = client.post(f"/api/v1/issue/{issue_id}/transition", headers=tokens["office"],
                       json={"action": "close", "override_reason": "企业已书面确认解决，交办单另行作废"})
    assert resp.status_code == 200 and resp.get_json()["result"]["status"] == "closed"
    db.session.expire_all()
    last = db.session.get(Issue, issue_id).events[-1]
    assert last.action == "close" and "企业已书面确认解决" in last.note
    assert db.session.get(Notice, pk).status == "draft"


def test_screens_draft_from_the_problem_and_act(ctx, client):
    issue_id = _new_issue()
    login(client, "office")
    page = client.get(f"/ledger/{issue_id}").get_data(as_text=True)
    assert f"/notices/new?issue={issue_id}" in page and "发交办单" in page
    form = client.get(f"/notices/new?issue={issue_id}").get_data(as_text=True)
    assert "企业基本情况" in form and "办理要求" in form
    resp = client.post("/notices/new", data={"issue": issue_id, "department": department_of_login("dept01"),
                                             "body_problem": "道路破损", "body_requirements": "尽快修复"})
    assert resp.status_code == 302
    pk = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/notices/{pk}").get_data(as_text=True)
    assert 'data-action="submit"' in page and 'data-action="approve"' not in page
    resp = client.post(f"/notices/{pk}/act", data={"action": "submit"}, follow_redirects=True)
    assert "已提交审批" in " ".join(flashes(resp.get_data(as_text=True)))
    login(client, "director")
    page = client.get(f"/notices/{pk}").get_data(as_text=True)
    assert 'data-action="approve"' in page and 'data-action="return"' in page
    login(client, "leader")
    page = client.get(f"/notices/{pk}").get_data(as_text=True)
    assert "当前没有您可以执行的操作" in page
    assert client.post(f"/notices/{pk}/act", data={"action": "approve"}).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(Notice, pk).status == "submitted"


def test_the_registered_document_reads_back(ctx, client, tokens):
    from app.gongwen import cn_date, document_text

    pk = _draft(client, tokens, _new_issue(), due_on="2099-12-10")
    data = _to_registered(client, tokens, pk)
    resp = client.get(f"/api/v1/notice/{pk}/document", headers=tokens["office"])
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    import hashlib

    assert hashlib.sha256(resp.data).hexdigest() == data["document_sha256"]  # the stored, registered file
    text = document_text(resp.data)
    notice = db.session.get(Notice, pk)
    assert data["number"] in text and "区" in notice.lead.name and notice.lead.name + "：" in text
    assert "2099年12月10日前" in text
    from app import clock

    assert cn_date(clock.local(notice.approved_at).date()) in text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text) and "交办事项办理情况反馈表" in text
    from app.notices import documents

    assert document_text(documents.notice_document(notice)) == text  # regenerating gives the same text
    login(client, "dept03")
    assert client.get(f"/notices/{pk}/document").status_code == 404


def test_the_default_requirements_name_co_units_only_when_there_are_some(ctx, client, tokens):
    """工作要求 starts as 请牵头单位会同配合单位… only with 配合单位; alone, 请你单位… — in the draft, after the
    co-units change, and in the document (the walk-through read 会同配合单位 on a notice without any). Changing a
    draft's co-units on its form keeps one row per unit (it failed on the unique key before)."""
    from app.gongwen import document_text
    from app.notices.rules import DEFAULT_REQUIREMENTS, SOLE_REQUIREMENTS

    alone = _draft(client, tokens, _new_issue(), co_departments=[], due_on="2099-12-10")
    assert client.get(f"/api/v1/notice/{alone}", headers=tokens["office"]).get_json()["body"]["requirements"] == SOLE_REQUIREMENTS
    _to_registered(client, tokens, alone)
    text = document_text(client.get(f"/api/v1/notice/{alone}/document", headers=tokens["office"]).data)
    assert "请你单位认真研究" in text and "会同配合单位" not in text
    pk = _draft(client, tokens, _new_issue(), co_departments=[])
    with_co = _draft(client, tokens, _new_issue())
    assert client.get(f"/api/v1/notice/{with_co}", headers=tokens["office"]).get_json()["body"]["requirements"] == DEFAULT_REQUIREMENTS
    login(client, "office")  # the draft's form sends every section as shown, the default included
    def edit(co, requirements):
        notice = db.session.get(Notice, pk)
        db.session.refresh(notice)
        client.post(f"/notices/{pk}/edit", data={"department": str(notice.lead.id), "co_departments": co,
                                                 "body_requirements": requirements, "version": str(notice.version)})
        return client.get(f"/api/v1/notice/{pk}", headers=tokens["office"]).get_json()["body"]["requirements"]

    assert edit([str(department_of_login("dept02"))], SOLE_REQUIREMENTS) == DEFAULT_REQUIREMENTS
    assert edit([], DEFAULT_REQUIREMENTS) == SOLE_REQUIREMENTS
    own = "请各单位抓紧办理。"  # the office's own words stay as written
    assert edit([str(department_of_login("dept02"))], own) == own


def test_ledger_export_fills_the_notice_number(ctx, client, tokens):
    issue_id = _new_issue()
    pk = _draft(client, tokens, issue_id)
    number = _to_registered(client, tokens, pk)["number"]
    assert _post(client, tokens["office"], pk, "send", delivery="offline", note="已送达").status_code == 200
    from app.exports import iter_ledger_rows

    rows = {r.number: r for r in iter_ledger_rows(None, {})}
    assert rows[db.session.get(Issue, issue_id).number].notice_number == number


def test_demo_has_notices_in_different_states(ctx):
    from sqlalchemy import select

    states = set(db.session.scalars(select(Notice.status)))
    assert {"draft", "submitted", "sent", "acknowledged", "replied", "verified"} <= states
    today = date.today()
    assert any(n.overdue_days(today) for n in db.session.scalars(select(Notice)))
    assert db.session.scalar(select(IssueEvent.id).where(IssueEvent.note.like("交办通知单%")))


@pytest.mark.skipif(not __import__("conftest").POSTGRES, reason="row locks are PostgreSQL's; SQLite serialises writers")
def test_concurrent_registration_gives_gapless_unique_numbers(app, ctx, client, tokens):
    """Eight notices registered at once from eight threads (own sessions): numbers 1…n with no gap or twin."""
    import threading

    issue_id = _new_issue()
    made = [_draft(client, tokens, issue_id) for _ in range(8)]
    for pk in made:
        assert _post(client, tokens["office"], pk, "submit").status_code == 200
        assert _post(client, tokens["director"], pk, "approve").status_code == 200
    clients = [app.test_client() for _ in made]
    headers = [api_token(c, "office") for c in clients]
    barrier, answers = threading.Barrier(len(made)), {}

    def register(i, pk):
        barrier.wait()
        answers[pk] = _post(clients[i], headers[i], pk, "register").status_code

    threads = [threading.Thread(target=register, args=(i, pk)) for i, pk in enumerate(made)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert set(answers.values()) == {200}
    db.session.expire_all()
    seqs = sorted(db.session.get(Notice, pk).seq for pk in made)
    assert seqs == list(range(seqs[0], seqs[0] + len(made)))
    assert len({db.session.get(Notice, pk).number for pk in made}) == len(made)
