"""The file store and attachments on problems: dedup by SHA-256, limits, sniffed types, scope per
role on every path (REST, screens), internal files, soft delete, the CLI check, the migration."""
import hashlib
import io
import os
import tempfile
import zipfile

import pytest
from flask import current_app
from sqlalchemy import func, inspect, select

from app import db, ledger
from app.files import rules, store
from app.models import Attachment, Issue, StoredFile
from conftest import BASE_OVERRIDES, api_token, flashes, login
from world import department_of_login, enterprise_of_login


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def pdf(size=600):
    """A fresh PDF-looking file (unique bytes, so tests do not share content by accident)."""
    body = os.urandom(max(0, size - 20))
    return (b"%PDF-1.7\n" + body + b"\n%%EOF\n")[:size] if size >= 20 else b"%PDF-" + os.urandom(size)


def png():
    return b"\x89PNG\r\n\x1a\n" + os.urandom(200)


def ooxml(main, extra=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main, "<document/>" + os.urandom(8).hex())
        for name in extra:
            archive.writestr(name, "x")
    return buf.getvalue()


@pytest.fixture()
def issue(ctx):
    """A problem of ent01's enterprise, filed by its officer (officer01), transferred to dept01."""
    made = ledger.create_issue(user("officer01"), enterprise_of_login("ent01"), "附件测试", "需要上传材料")
    ledger.transition(user("office"), made.id, "accept", {})
    ledger.transition(user("office"), made.id, "assign", {"department": department_of_login("dept01")})
    db.session.commit()
    return made.id


def upload(client, headers, issue_id, data, name, **form):
    return client.post(f"/api/v1/issue/{issue_id}/attachments", headers=headers,
                       data={"file": (io.BytesIO(data), name), **form}, content_type="multipart/form-data")


def listed(client, headers, issue_id):
    resp = client.get(f"/api/v1/issue/{issue_id}/attachments", headers=headers)
    return resp.status_code, [a["filename"] for a in (resp.get_json() or {}).get("result", [])]


def store_files(sha):
    found = []
    for dirpath, _dirs, files in os.walk(store.root()):
        found += [os.path.join(dirpath, f) for f in files if f == sha]
    return found


# --- the store ------------------------------------------------------------------------------------

def test_same_bytes_twice_is_one_file_and_two_rows(client, ctx, issue):
    data = pdf()
    sha = hashlib.sha256(data).hexdigest()
    headers = api_token(client, "dept01")
    first = upload(client, headers, issue, data, "整改报告.pdf")
    second = upload(client, api_token(client, "officer01"), issue, data, "整改报告（复印件）.pdf")
    assert first.status_code == 201 and second.status_code == 201, (first.get_json(), second.get_json())
    assert first.get_json()["result"]["sha256"] == second.get_json()["result"]["sha256"] == sha
    rows = db.session.scalars(select(Attachment).where(Attachment.sha256 == sha).order_by(Attachment.id)).all()
    assert [(r.filename, r.owner_kind, r.owner_id, r.size) for r in rows] == [
        ("整改报告.pdf", "issue", issue, len(data)), ("整改报告（复印件）.pdf", "issue", issue, len(data))]
    assert rows[0].created_by_id == user("dept01").id and rows[1].created_by_id == user("officer01").id
    assert db.session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.sha256 == sha)) == 1
    expected = os.path.join(current_app.config["FILE_STORE_DIR"], sha[:2], sha[2:4], sha)
    assert store_files(sha) == [expected]  # sharded by the hash, once
    with open(expected, "rb") as fh:
        assert fh.read() == data
    assert os.listdir(os.path.join(store.root(), "tmp")) == []  # no temporary file left behind


def test_store_path_refuses_what_is_not_a_digest(ctx):
    for bad in ("../../etc/passwd", "A" * 64, "ab", None):
        with pytest.raises(ValueError):
            store.path_for(bad)


def test_download_headers_and_chinese_name(client, ctx, issue):
    data = pdf()
    headers = api_token(client, "officer01")
    att = upload(client, headers, issue, data, "营业执照 扫描件.pdf").get_json()["result"]
    resp = client.get(f"/api/v1/attachment/{att['id']}/content", headers=headers)
    assert resp.status_code == 200 and resp.data == data and resp.mimetype == "application/pdf"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%20%E6%89%AB%E6%8F%8F%E4%BB%B6.pdf" in disposition
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/api/v1/attachment/{att['id']}/content").status_code == 401  # no token, no file
    login(client, "officer01")  # the screen's link: same checks, same headers
    page = client.get(f"/files/{att['id']}")
    assert page.status_code == 200 and page.data == data and page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Content-Disposition"] == disposition


# --- limits and types -----------------------------------------------------------------------------

def test_size_limit_answers_413_in_chinese(app, client, ctx, issue, monkeypatch):
    headers = api_token(client, "dept01")
    monkeypatch.setitem(app.config, "FILE_MAX_BYTES", 1000)
    before = db.session.scalar(select(func.count()).select_from(Attachment))
    resp = upload(client, headers, issue, pdf(2000), "大文件.pdf")
    assert resp.status_code == 413 and "文件过大" in resp.get_json()["message"]["file"][0]
    assert "1000B" in resp.get_json()["message"]["file"][0]
    assert upload(client, headers, issue, pdf(1000), "刚好.pdf").status_code == 201  # the limit itself is fine
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == before + 1
    assert os.listdir(os.path.join(store.root(), "tmp")) == []
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1500)  # the request itself is refused outright
    resp = upload(client, headers, issue, pdf(3000), "更大.pdf")
    assert resp.status_code == 413 and "文件过大" in resp.get_json()["message"]["file"][0]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50 * 1024 * 1024)
    login(client, "dept01")  # the screen: back to the problem page with the same message
    page = client.post(f"/files/issue/{issue}/upload", data={"file": (io.BytesIO(pdf(2000)), "大文件.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code == 200 and any("单个附件不能超过1000B" in f for f in flashes(page.get_data(as_text=True)))


def test_types_are_sniffed_not_trusted(client, ctx, issue):
    headers = api_token(client, "dept01")
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(300)
    cases = [
        (exe, "整改材料.pdf", "不是真正的PDF"),
        (exe, "setup.exe", "不支持的文件类型（.exe）"),
        (png(), "照片.jpg", "不是真正的JPG"),
        (ooxml("word/document.xml", ["word/vbaProject.bin"]), "带宏.docx", "含有宏"),
        (ooxml("xl/workbook.xml"), "其实是表格.docx", "不是真正的Word(docx)"),
        (pdf(), "没有扩展名", "没有扩展名"),
        (b"", "空.pdf", "空的"),
    ]
    for data, name, words in cases:
        resp = upload(client, headers, issue, data, name, content_type="application/pdf")
        assert resp.status_code == 422, (name, resp.get_json())
        assert words in resp.get_json()["message"]["file"][0], (name, resp.get_json())
    resp = client.post(f"/api/v1/issue/{issue}/attachments", headers=headers, data={"note": "忘了选文件"},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "请选择要上传的文件" in resp.get_json()["message"]["file"][0]
    good = {"会议纪要.docx": ooxml("word/document.xml"), "台账.xlsx": ooxml("xl/workbook.xml"),
            "现场.PNG": png(), "公文.ofd": ooxml("OFD.xml"), "材料包.zip": ooxml("word/document.xml"),
            "旧版.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(500)}
    for name, data in good.items():
        resp = upload(client, headers, issue, data, name, content_type="application/octet-stream")
        assert resp.status_code == 201, (name, resp.get_json())
    types = {a["filename"]: a["content_type"] for a in client.get(
        f"/api/v1/issue/{issue}/attachments", headers=headers).get_json()["result"]}
    assert types["会议纪要.docx"].endswith("wordprocessingml.document") and types["现场.PNG"] == "image/png"
    assert types["公文.ofd"] == "application/ofd" and types["旧版.doc"] == "application/msword"
    path_name = upload(client, headers, issue, pdf(), "../../C盘/证明.pdf").get_json()["result"]["filename"]
    assert path_name == "证明.pdf"


# --- scope ----------------------------------------------------------------------------------------

def test_who_may_read_and_attach_per_role(client, ctx, issue):
    att = upload(client, api_token(client, "ent01"), issue, pdf(), "企业证明.pdf").get_json()["result"]
    for name in ("ent01", "officer01", "dept01", "office", "director", "leader"):
        headers = api_token(client, name)
        assert listed(client, headers, issue) == (200, ["企业证明.pdf"]), name
        assert client.get(f"/api/v1/attachment/{att['id']}/content", headers=headers).status_code == 200, name
    for name in ("ent02", "dept02", "officer02"):  # other enterprise, unaddressed department, officer not serving
        headers = api_token(client, name)
        resp = client.get(f"/api/v1/issue/{issue}/attachments", headers=headers)
        assert resp.status_code == 404 and "不在您的查看范围内" in resp.get_json()["message"], name
        assert client.get(f"/api/v1/attachment/{att['id']}", headers=headers).status_code == 404, name
        assert client.get(f"/api/v1/attachment/{att['id']}/content", headers=headers).status_code == 404, name
        assert upload(client, headers, issue, pdf(), "越权.pdf").status_code == 404, name
        login(client, name)
        assert client.get(f"/files/{att['id']}").status_code == 404, name
    leader = api_token(client, "leader")
    resp = upload(client, leader, issue, pdf(), "领导.pdf")
    assert resp.status_code == 403 and "没有执行此操作的权限" in resp.get_json()["message"]
    assert client.get(f"/api/v1/issue/{issue}/attachments", headers=leader).get_json()["may_attach"] is False
    for name in ("officer01", "dept01", "office"):
        assert upload(client, api_token(client, name), issue, pdf(), f"{name}.pdf").status_code == 201, name
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.owner_id == issue, Attachment.filename.in_(["越权.pdf", "领导.pdf"]))) == 0


def test_forged_owner_ids_are_refused(client, ctx, issue):
    before = db.session.scalar(select(func.count()).select_from(Attachment))
    headers = api_token(client, "dept02")
    assert upload(client, headers, issue, pdf(), "伪造.pdf").status_code == 404
    office = api_token(client, "office")
    missing = db.session.scalar(select(func.max(Issue.id))) + 1000
    for path in (f"/api/v1/issue/{missing}/attachments", f"/api/v1/issue/{10 ** 20}/attachments",
                 f"/api/v1/notice/{issue}/attachments", "/api/v1/issue/abc/attachments",
                 f"/api/v1/attachment/{issue}/attachments"):
        resp = client.post(path, headers=office, data={"file": (io.BytesIO(pdf()), "x.pdf")},
                           content_type="multipart/form-data")
        assert resp.status_code == 404 and resp.get_json()["message"], path
    login(client, "ent02")  # the screen's form, posted at someone else's problem
    page = client.post(f"/files/issue/{issue}/upload", data={"file": (io.BytesIO(pdf()), "伪造.pdf")},
                       content_type="multipart/form-data")
    assert page.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == before


def test_internal_attachments_are_hidden_from_the_enterprise(client, ctx, issue):
    office = api_token(client, "office")
    secret = upload(client, office, issue, pdf(), "内部研判意见.pdf", internal="1").get_json()["result"]
    upload(client, office, issue, pdf(), "告知书.pdf")
    assert secret["internal"] is True
    ent = api_token(client, "ent01")
    assert listed(client, ent, issue) == (200, ["告知书.pdf"])
    assert client.get(f"/api/v1/attachment/{secret['id']}/content", headers=ent).status_code == 404
    assert client.get(f"/api/v1/attachment/{secret['id']}", headers=ent).status_code == 404
    resp = upload(client, ent, issue, pdf(), "企业内部.pdf", internal="1")
    assert resp.status_code == 403 and "内部附件" in resp.get_json()["message"]["internal"][0]
    for name in ("dept01", "officer01", "leader"):
        assert "内部研判意见.pdf" in listed(client, api_token(client, name), issue)[1], name
    login(client, "ent01")
    html = client.get(f"/ledger/{issue}").get_data(as_text=True)
    assert "告知书.pdf" in html and "内部研判意见.pdf" not in html and 'name="internal"' not in html
    assert client.get(f"/files/{secret['id']}").status_code == 404


# --- removal --------------------------------------------------------------------------------------

def test_soft_delete_keeps_the_row_and_the_content(client, ctx, issue):
    data = pdf()
    dept = api_token(client, "dept01")
    att = upload(client, dept, issue, data, "办理结果.pdf").get_json()["result"]
    assert att["may_remove"] is True
    resp = client.delete(f"/api/v1/attachment/{att['id']}", headers=api_token(client, "ent01"))
    assert resp.status_code == 403 and "只有上传人" in resp.get_json()["message"]
    assert client.delete(f"/api/v1/attachment/{att['id']}", headers=api_token(client, "ent02")).status_code == 404
    assert client.delete(f"/api/v1/attachment/{att['id']}", headers=dept).status_code == 200
    db.session.expire_all()
    row = db.session.get(Attachment, att["id"])
    assert row is not None and row.removed_at is not None and row.removed_by_id == user("dept01").id
    assert store.exists(att["sha256"])  # content kept
    assert listed(client, dept, issue) == (200, [])
    assert client.get(f"/api/v1/attachment/{att['id']}/content", headers=dept).status_code == 404
    assert client.delete(f"/api/v1/attachment/{att['id']}", headers=dept).status_code == 404  # once


def test_uploader_removes_only_while_open_the_office_always(client, ctx, issue):
    dept = api_token(client, "dept01")
    att = upload(client, dept, issue, pdf(), "结果.pdf").get_json()["result"]
    ledger.transition(user("dept01"), issue, "acknowledge", {})
    ledger.transition(user("dept01"), issue, "resolve", {"result": "已解决"})
    db.session.commit()
    assert client.get(f"/api/v1/attachment/{att['id']}", headers=dept).get_json()["result"]["may_remove"] is False
    assert client.delete(f"/api/v1/attachment/{att['id']}", headers=dept).status_code == 403
    login(client, "office")  # the screen's delete button
    page = client.post(f"/files/{att['id']}/remove", follow_redirects=True)
    assert page.status_code == 200 and any("已删除附件" in f for f in flashes(page.get_data(as_text=True)))
    db.session.expire_all()
    assert db.session.get(Attachment, att["id"]).removed_by_id == user("office").id


# --- the problem page -----------------------------------------------------------------------------

def test_attachments_box_on_the_problem_page(client, ctx, issue):
    login(client, "dept01")
    html = client.get(f"/ledger/{issue}").get_data(as_text=True)
    assert 'id="cso-attachments"' in html and "暂无附件" in html and 'id="cso-attach-form"' in html
    assert 'enctype="multipart/form-data"' in html and "单个文件不超过 20MB" in html
    page = client.post(f"/files/issue/{issue}/upload", data={
        "file": (io.BytesIO(pdf(3000)), "现场照片说明.pdf"), "note": "证明材料"},
        content_type="multipart/form-data", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已上传附件“现场照片说明.pdf”" in html
    assert "现场照片说明.pdf" in html and "3KB" in html and "证明材料" in html and "删除" in html
    login(client, "leader")
    html = client.get(f"/ledger/{issue}").get_data(as_text=True)
    assert "现场照片说明.pdf" in html and 'id="cso-attach-form"' not in html
    page = client.post(f"/files/issue/{issue}/upload", data={"file": (io.BytesIO(pdf()), "领导.pdf")},
                       content_type="multipart/form-data")
    assert page.status_code in (302, 403)
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.filename == "领导.pdf")) == 0


def test_generated_files_and_the_check_command(app, client, ctx, issue):
    data = ooxml("word/document.xml")
    att = rules.attach_generated("issue", issue, "交办通知单.docx", data)
    db.session.commit()
    assert att.created_by_name == "系统" and att.content_type.endswith("wordprocessingml.document")
    headers = api_token(client, "dept01")
    assert client.get(f"/api/v1/attachment/{att.id}/content", headers=headers).data == data
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cso", "files-check"])
    assert result.exit_code == 0 and "缺失 0 个" in result.output and "内容损坏 0 个" in result.output, result.output
    path = store.path_for(att.sha256)
    os.chmod(path, 0o600)
    with open(path, "ab") as fh:
        fh.write(b"tampered")
    try:
        result = runner.invoke(args=["cso", "files-check"])
        assert result.exit_code == 1 and f"损坏：{att.sha256}" in result.output, result.output
    finally:
        with open(path, "wb") as fh:
            fh.write(data)


# --- schema ---------------------------------------------------------------------------------------

def test_migration_upgrade_downgrade_round_trip_on_sqlite():
    from flask_migrate import downgrade, upgrade

    from app import create_app

    folder = tempfile.mkdtemp(prefix="cso-mig-")
    fresh = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "m.db")})
    with fresh.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"stored_file", "attachment"} <= tables
        downgrade(revision="0006")
        assert not {"stored_file", "attachment"} & set(inspect(db.engine).get_table_names())
        upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()
