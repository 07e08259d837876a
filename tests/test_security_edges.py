"""Issue 10, part I (docs/architecture.md#security): side doors (exports, nested writes), encoding at
every sink (workbooks, mail, stored text), no 500 on any input, bounded uploads, double submits,
a stable Message-ID. Each test goes through the public surfaces and fails on the code before."""
import io
import json
import time
import zipfile
from datetime import timedelta

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from flask import current_app

from app import clock, db, ledger, mail
from app.models import Enterprise, Issue, Notice, OutboundMessage, Visit
from conftest import api_token, flashes, login
from world import department_of_login, enterprise_of_login

KINDS = ("ledger", "assignments", "visits", "officers")
# who may export what: the same read permission as the lists (a department reads no visits,
# officers or assignments)
ALLOWED = {
    "office": set(KINDS), "leader": set(KINDS), "officer01": set(KINDS), "ent01": set(KINDS),
    "dept01": {"ledger"},
}


def _user(name):
    return current_app.appbuilder.sm.find_user(username=name)


# --- 1. one visibility rule for exports -----------------------------------------------------------

@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_exports_answer_to_the_lists_read_permission(ctx, client, username, tmp_path):
    headers = api_token(client, username)
    login(client, username)
    runner = ctx.test_cli_runner()
    for kind in KINDS:
        allowed = kind in ALLOWED[username]
        api = client.get(f"/api/v1/export/{kind}", headers=headers)
        assert api.status_code == (200 if allowed else 403), (username, kind, api.status_code)
        page = client.get(f"/export/{kind}")
        assert page.status_code == (200 if allowed else 403), (username, kind, page.status_code)
        out = tmp_path / f"{username}-{kind}.xlsx"
        cli = runner.invoke(args=["cso", "export", kind, str(out), "--user", username])
        assert (cli.exit_code == 0) == allowed, (username, kind, cli.output)
        assert out.exists() == allowed
        if not allowed:
            assert "无权导出" in cli.output and "无权导出" in api.get_json()["message"]


def _ledger_remarks(data):
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["问题台账"]
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if "备注" in r)
    col = rows[header].index("备注")
    return " ".join(str(r[col]) for r in rows[header + 1:] if r[col])


def test_enterprise_ledger_export_hides_internal_remarks(ctx, client):
    issue = ledger.create_issue(_user("ent01"), enterprise_of_login("ent01"), "内部备注测试", "延期测试")
    ledger.transition(_user("office"), issue.id, "accept", {})
    ledger.transition(_user("office"), issue.id, "assign", {"department": department_of_login("dept01")})
    ledger.transition(_user("dept01"), issue.id, "request_extension",
                      {"new_due": str(clock.today() + timedelta(days=40)), "reason": "内部"})
    db.session.commit()
    args = f"?enterprise={issue.enterprise_id}"
    ent = client.get("/api/v1/export/ledger" + args, headers=api_token(client, "ent01"))
    office = client.get("/api/v1/export/ledger" + args, headers=api_token(client, "office"))
    assert ent.status_code == office.status_code == 200, ent.get_json()
    assert "待审批" in _ledger_remarks(office.data)
    assert "申请延期" not in _ledger_remarks(ent.data) and "已提级" not in _ledger_remarks(ent.data)


# --- 2. no nested writes --------------------------------------------------------------------------

VISIT = {"visit_date": "2026-05-01", "mode": "onsite", "summary": "走访"}


def test_relation_fields_take_ids_only(ctx, client):
    officer = api_token(client, "officer01")
    office = api_token(client, "office")
    enterprises = db.session.query(Enterprise).count()
    cases = [{"name": "嵌套新建公司"}, {"id": 1}, [1], True, False, "abc", 2 ** 40, -1, 1.5]
    for value in cases:
        resp = client.post("/api/v1/visit/", headers=officer, json={**VISIT, "enterprise": value})
        assert resp.status_code in (400, 422), (value, resp.status_code)
        assert resp.status_code != 500
    for value in cases:
        resp = client.post("/api/v1/assignment/", headers=office,
                           json={"enterprise": 1, "officer": value, "role": "liaison", "start_date": "2026-01-05"})
        assert resp.status_code in (400, 422), (value, resp.get_json())
    message = client.post("/api/v1/visit/", headers=officer, json={**VISIT, "enterprise": {"name": "X"}}).get_json()
    assert "编号" in message["message"]["enterprise"][0]
    db.session.expire_all()
    assert db.session.query(Enterprise).count() == enterprises  # no enterprise created through a visit
    unknown = client.post("/api/v1/visit/", headers=officer, json={**VISIT, "enterprise": 1, "nope": 1})
    assert unknown.status_code == 422


def test_put_cannot_move_a_visit_out_of_scope(ctx, client):
    officer = api_token(client, "officer01")
    mine = client.get("/api/v1/visit/", headers=officer).get_json()["ids"][0]
    visible = {r["id"] for r in client.get("/api/v1/enterprise/?q=(page_size:100)", headers=officer).get_json()["result"]}
    other = db.session.query(Enterprise.id).filter(Enterprise.id.notin_(visible)).first()[0]
    before = db.session.get(Visit, mine).enterprise_id
    for value in (other, {"id": other}, {"name": "别处"}):
        resp = client.put(f"/api/v1/visit/{mine}", headers=officer, json={"enterprise": value})
        assert resp.status_code == 422, (value, resp.get_json())
    db.session.expire_all()
    assert db.session.get(Visit, mine).enterprise_id == before


# --- 3. workbooks: control characters and workbook XML stay text ----------------------------------

def test_safe_writer_keeps_control_characters_and_rich_text_as_text(tmp_path):
    from app.exports.workbook import open_workbook, text_formats, write_text

    values = ["a\x00b\x07c\x1bd", "<r><t>x</t></r>", "</si><si><t>别的</t>", "=1+1", "_x0041_", "\ud800孤立"]
    for streaming in (True, False):
        out = tmp_path / f"w{streaming}.xlsx"
        wb = open_workbook(str(out), streaming=streaming)
        fmt, quoted = text_formats(wb)
        ws = wb.add_worksheet("t")
        for i, value in enumerate(values):
            write_text(ws, i, 0, value, fmt, quoted)
        wb.close()
        got = [r[0] for r in CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()]
        assert len(got) == len(values)  # one cell each: nothing closed a cell or opened another
        assert got[0] == values[0]  # control characters escaped (_xHHHH_), read back as typed
        assert got[1].rstrip("\u200b") == values[1] and got[2] == values[2] and got[3] == "=1+1"
        assert got[4] == "_x0041_" and got[5] == "\ufffd孤立"


# --- 4 and 13. mail: header values, one bad message fails alone, a stable Message-ID --------------

def _message(subject, **extra):
    message = mail.new_message(_user("office"), subject, "正文", "<p>正文</p>", clock.utcnow() - timedelta(minutes=1),
                               **extra)
    db.session.flush()
    if not message.to_addr:
        message.to_addr, message.status, message.last_error = "office@example.org", "pending", None
    db.session.commit()
    return message


def test_header_injection_is_neutralised_and_one_bad_message_fails_alone(ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_OUTBOX", str(tmp_path))
    monkeypatch.setitem(ctx.config, "MAIL_SERVER", None)
    crlf = _message("问题“道路\r\nBcc: evil@example.org\r\n破损”超期\u202e", attachment_name="a\r\nb.xlsx",
                    attachment=b"PK")
    broken = _message("无法生成")
    after = _message("之后的邮件")
    built = mail.build(crlf)
    assert "\n" not in built["Subject"] and "\r" not in built["Subject"] and built["Bcc"] is None
    assert "\u202e" not in built["Subject"]
    real_build = mail.build

    def build(message):
        if message.id == broken.id:
            raise ValueError("模拟：无法生成")
        return real_build(message)

    monkeypatch.setattr(mail, "build", build)
    sent, failed = mail.deliver_due()
    assert failed == 1 and sent >= 2
    db.session.expire_all()
    statuses = {m.id: (m.status, m.last_error) for m in db.session.query(OutboundMessage).filter(
        OutboundMessage.id.in_([crlf.id, broken.id, after.id]))}
    assert statuses[crlf.id][0] == statuses[after.id][0] == "sent"
    assert statuses[broken.id][0] == "failed" and "无法生成" in statuses[broken.id][1]
    emls = list(tmp_path.glob("*.eml"))
    assert emls and all(b"evil@example.org" not in p.read_bytes().split(b"\n\n")[0] or
                        b"\nBcc:" not in p.read_bytes() for p in emls)


def test_sweep_with_a_crlf_title_sends_everything(ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_OUTBOX", str(tmp_path))
    monkeypatch.setitem(ctx.config, "MAIL_SERVER", None)
    issue = db.session.query(Issue).filter(Issue.status.in_(("new", "assigned"))).first()
    nul = "\x00" if db.engine.dialect.name == "sqlite" else ""  # PostgreSQL cannot even store a NUL
    issue.title = "标题\r\n换行" + nul  # as stored before the text rules (or typed into another door)
    db.session.commit()
    from app import clock, workdays

    moment = f"{workdays.add_workdays(clock.today(), 0).isoformat()}T10:20"  # working hours: mail goes now
    result = ctx.test_cli_runner().invoke(args=["cso", "sweep", "--now", moment, "--json"])
    assert result.exit_code == 0, result.output
    import email
    from email import policy as email_policy

    files = list(tmp_path.glob("*.eml"))
    assert files, "the sweep delivered its messages"
    for path in files:
        subject = email.message_from_bytes(path.read_bytes(), policy=email_policy.default)["Subject"]
        assert "\r" not in subject and "\n" not in subject


def test_message_id_is_stable_across_attempts(ctx):
    message = _message("稳定编号")
    first, second = mail.build(message)["Message-ID"], mail.build(message)["Message-ID"]
    assert first == second and f"cso-message-{message.id}-" in first
    other = _message("另一封")
    assert mail.build(other)["Message-ID"] != first


# --- 5. stored text ----------------------------------------------------------------------------

BAD_TEXT = {"nul": "王\x00伟", "bell": "王\x07伟", "bidi": "王\u202e伟", "isolate": "王\u2066伟", "del": "王\x7f伟"}


def test_stored_text_rules_are_the_same_in_forms_and_api(ctx, client):
    office = api_token(client, "office")
    for name, value in BAD_TEXT.items():
        api = client.post("/api/v1/officer/", headers=office, json={"name": value, "rank": "科级"})
        assert api.status_code == 422 and "name" in api.get_json()["message"], (name, api.get_json())
        api = client.post("/api/v1/department/", headers=office, json={"name": "局" + value, "kind": "区直部门"})
        assert api.status_code == 422, (name, api.get_json())
    surrogate = client.post("/api/v1/officer/", headers={**office, "Content-Type": "application/json"},
                            data='{"name": "\\ud800王", "rank": "科级"}')
    assert surrogate.status_code == 400 and "代理项" in surrogate.get_json()["message"]
    login(client, "office")
    page = client.post("/officerview/add", data={"name": "王\x00伟", "rank": "科级", "active": "y"})
    assert page.status_code == 200 and "控制字符" in page.get_data(as_text=True)
    page = client.post("/departmentview/add", data={"name": "局\u202e名", "kind": "区直部门"})
    assert page.status_code == 200 and "文字方向" in page.get_data(as_text=True)


def test_lengths_and_line_breaks_in_problems(ctx, client):
    office = api_token(client, "office")
    ent = enterprise_of_login("ent01")
    cases = {"description": {"title": "t", "description": "长" * 5001},
             "title": {"title": "a\r\nBcc: x@y", "description": "d"},
             "title ": {"title": "t\x00", "description": "d"}}
    for field, body in cases.items():
        resp = client.post("/api/v1/issue/", headers=office, json={"enterprise": ent, **body})
        assert resp.status_code == 422 and field.strip() in resp.get_json()["message"], (field, resp.get_json())
    visit = client.post("/api/v1/visit/", headers=api_token(client, "officer01"),
                        json={**VISIT, "enterprise": 1, "summary": "长" * 5001})
    assert visit.status_code == 422


# --- 10. no 500 on POST/PUT, bounded dates ----------------------------------------------------------

def _raw(client, method, url, headers, body):
    return client.open(url, method=method, data=body, headers={**headers, "Content-Type": "application/json"})


def test_json_bodies_never_500(ctx, client):
    office = api_token(client, "office")
    ent = enterprise_of_login("ent01")
    bodies = ['[' * 5000 + ']' * 5000, '{"a":' * 5000 + "1" + "}" * 5000, '{"enterprise": 18446744073709551616}',
              '{"enterprise": 1e400}', '{"title": NaN}', '{"name": "\\udc00"}', "{", '"text"', "[]", "",
              '{"name": ""}', '{"name": "   "}', '{"name": null}', '{"version": 99999999999999999999999}',
              json.dumps({"description": "x" * (2 * 1024 * 1024)})]
    urls = [("POST", "/api/v1/officer/"), ("PUT", "/api/v1/officer/1"), ("POST", "/api/v1/issue/"),
            ("PUT", "/api/v1/issue/1"), ("POST", "/api/v1/issue/1/transition"), ("POST", "/api/v1/visit/"),
            ("PUT", "/api/v1/visit/1"), ("POST", "/api/v1/notice/"), ("POST", "/api/v1/enterprise/"),
            ("PUT", f"/api/v1/officer/{2 ** 64}"), ("POST", f"/api/v1/issue/{2 ** 64}/transition")]
    tried = 0
    for method, url in urls:
        for body in bodies:
            resp = _raw(client, method, url, office, body)
            tried += 1
            assert resp.status_code < 500, (method, url, body[:40], resp.status_code)
    assert tried == len(urls) * len(bodies)
    for body in ({"received_on": "0001-01-01"}, {"received_on": "9999-12-31"}, {"received_on": "2026-02-30"}):
        started = time.monotonic()
        resp = client.post("/api/v1/issue/", headers=office, json={"enterprise": ent, "title": "t",
                                                                    "description": "d", **body})
        assert resp.status_code == 422 and "received_on" in resp.get_json()["message"]
        assert time.monotonic() - started < 2
    empty = client.post("/api/v1/officer/", headers=office, json={"name": "", "rank": "科级"})
    assert empty.status_code == 422 and "姓名" in empty.get_json()["message"]["name"][0]
    assert client.put("/api/v1/officer/1", headers=office, json={"name": ""}).status_code == 422


def test_extension_far_in_the_future_is_refused(ctx, client):
    issue = ledger.create_issue(_user("office"), enterprise_of_login("ent01"), "延期", "远期延期")
    ledger.transition(_user("office"), issue.id, "accept", {})
    ledger.transition(_user("office"), issue.id, "assign", {"department": department_of_login("dept01")})
    db.session.commit()
    dept = api_token(client, "dept01")
    version = client.get(f"/api/v1/issue/{issue.id}", headers=dept).get_json()["result"]["version"]
    resp = client.post(f"/api/v1/issue/{issue.id}/transition", headers=dept, json={
        "action": "request_extension", "new_due": "9999-12-31", "reason": "远", "version": version})
    assert resp.status_code == 422 and "2100-12-31" in json.dumps(resp.get_json(), ensure_ascii=False)


def test_over_size_bodies_and_long_arguments(ctx, client, monkeypatch):
    office = api_token(client, "office")
    monkeypatch.setitem(client.application.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    big = client.post("/api/v1/import/assignments", headers=office,
                      data={"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "a.xlsx")}, content_type="multipart/form-data")
    assert big.status_code == 413 and "过大" in big.get_json()["message"]["file"][0]
    login(client, "office")
    for url in ("/ledger/?q=" + "x" * 50000, "/api/v1/issue/?q=" + "x" * 50000, "/notice/?q=" + "长" * 20000):
        resp = client.get(url, headers=office if "/api/" in url else {})
        assert resp.status_code == 400, (url[:20], resp.status_code)
    bad_key = client.post("/api/v1/issue/", headers={**office, "Idempotency-Key": "短"}, json={})
    assert bad_key.status_code == 400


# --- 11. uploads: the parser's cost is bounded before it runs ----------------------------------------

def _far_cell_sheet():
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet()
    ws.write(0, 0, "姓名")
    ws.write(4999, 999, "x")  # ALL5000
    wb.close()
    return buf.getvalue()


def _zip_bomb():
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    wb.add_worksheet().write(0, 0, "姓名")
    wb.close()
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace("<t>姓名</t>".encode(), b"<t>" + b"A" * (200 * 1024 * 1024) + b"</t>")
            z.writestr(item.filename, data)
    return out.getvalue()


def test_uploads_that_would_inflate_are_refused_quickly(ctx, client):
    office = api_token(client, "office")
    far, bomb = _far_cell_sheet(), _zip_bomb()
    assert len(far) < 8 * 1024 and len(bomb) < 400 * 1024
    for data, words in ((far, "列"), (bomb, "解压后过大")):
        started = time.monotonic()
        resp = client.post("/api/v1/import/assignments", headers=office, data={"file": (io.BytesIO(data), "名册.xlsx")},
                           content_type="multipart/form-data")
        assert time.monotonic() - started < 2
        assert resp.status_code in (413, 422) and words in json.dumps(resp.get_json(), ensure_ascii=False)


# --- 12. double submits -------------------------------------------------------------------------

def test_new_problem_form_submitted_twice_files_one(ctx, client):
    login(client, "office")
    page = client.get("/ledger/new").get_data(as_text=True)
    token = page.split('name="idem_token" value="')[1].split('"')[0]
    assert len(token) >= 16
    form = {"enterprise": str(enterprise_of_login("ent01")), "title": "双击", "description": "提交两次",
            "source": "phone", "idem_token": token}
    before = db.session.query(Issue).count()
    first, second = client.post("/ledger/new", data=form), client.post("/ledger/new", data=form)
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    db.session.expire_all()
    assert db.session.query(Issue).count() == before + 1
    other = page != client.get("/ledger/new").get_data(as_text=True)  # a new render, a new token
    assert other


def test_create_apis_answer_a_repeat_with_the_first_row(ctx, client):
    office = api_token(client, "office")
    ent = enterprise_of_login("ent01")
    key = {"Idempotency-Key": "issue-create-0001"}
    before = db.session.query(Issue).count()
    body = {"enterprise": ent, "title": "重复", "description": "同一键"}
    a = client.post("/api/v1/issue/", headers={**office, **key}, json=body)
    b = client.post("/api/v1/issue/", headers={**office, **key}, json=body)
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] == b.get_json()["id"]
    c = client.post("/api/v1/issue/", headers=office, json=body)  # no key: a new problem
    db.session.expire_all()
    assert db.session.query(Issue).count() == before + 2 and c.get_json()["id"] != a.get_json()["id"]
    other_user = client.post("/api/v1/issue/", headers={**api_token(client, "ent01"), **key}, json=body)
    assert other_user.get_json()["id"] != a.get_json()["id"]  # keys belong to their user
    dept = {"Idempotency-Key": "dept-create-0001"}
    d1 = client.post("/api/v1/department/", headers={**office, **dept}, json={"name": "重复局", "kind": "区直部门"})
    d2 = client.post("/api/v1/department/", headers={**office, **dept}, json={"name": "重复局", "kind": "区直部门"})
    assert d1.status_code == d2.status_code == 201 and d1.get_json()["id"] == d2.get_json()["id"]
    notices = db.session.query(Notice).count()
    issue_id = a.get_json()["id"]
    ledger.transition(_user("office"), issue_id, "accept", {})
    db.session.commit()
    nkey = {"Idempotency-Key": "notice-create-0001"}
    nbody = {"issue": issue_id, "department": department_of_login("dept01"), "body": {"problem": "重复提交"}}
    n1 = client.post("/api/v1/notice/", headers={**office, **nkey}, json=nbody)
    n2 = client.post("/api/v1/notice/", headers={**office, **nkey}, json=nbody)
    assert n1.status_code == n2.status_code == 201, n1.get_json()
    assert n1.get_json()["id"] == n2.get_json()["id"]
    db.session.expire_all()
    assert db.session.query(Notice).count() == notices + 1


def test_master_data_forms_carry_a_token_and_a_repeat_creates_nothing(ctx, client):
    login(client, "office")
    page = client.get("/departmentview/add").get_data(as_text=True)
    token = page.split('name="idem_token"')[1].split('value="')[1].split('"')[0]
    form = {"name": "表单重复局", "kind": "区直部门", "idem_token": token}
    first, second = client.post("/departmentview/add", data=form), client.post("/departmentview/add", data=form)
    assert first.status_code == second.status_code == 302
    from app.models import Department

    assert db.session.query(Department).filter_by(name="表单重复局").count() == 1
    assert any("未重复创建" in f for f in flashes(client.get("/departmentview/list/").get_data(as_text=True)))
