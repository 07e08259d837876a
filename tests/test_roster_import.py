"""The roster import (app.roster) through its public surfaces: ``run_import``, the CLI
command, the Office's upload page and ``POST /api/v1/import/assignments``.

Files are built in the tests (tests/roster_files.py) the way offices keep them: merged title,
填报单位 row, two-row header, chief cells merged vertically, padded names, several liaisons in one
cell, phones as numbers, 合计 and 注 rows; the same roster as GBK and UTF-8 CSV and as .xls.
Each test uses its own names, credit codes and phones (tag + number) so tests do not meet.
"""
import dataclasses
import io
import json
import random
import re

import click
import pytest
import python_calamine
from sqlalchemy import func, select

from app import clock, db
from app.models import AccountState, Assignment, Enterprise, ImportLog, Officer, User
from app.roster import import_roster, run_import
from conftest import BASE_OVERRIDES, api_token, login
from roster_files import (
    Person, code, csv_bytes, messy_xlsx, phone, sample, simple_xlsx, xls_bytes,
)

ZERO = {"created": {"enterprise": 0, "officer": 0, "assignment": 0},
        "updated": {"enterprise": 0, "officer": 0, "assignment": 0}, "ended": {"assignment": 0}}
REPORT_KEYS = {"ok", "dry_run", "created", "updated", "ended", "errors", "warnings", "incomplete"}
GRANTS = {  # what app/roles.py should give (the fixture grants it if roles.py does not yet)
    "Office": [("can_read", "RosterImport"), ("can_write", "RosterImport"), ("can_read", "ImportLog"),
               ("menu_access", "导入包联名册"), ("menu_access", "导入记录")],
    "Director": [("can_read", "RosterImport"), ("can_write", "RosterImport"), ("can_read", "ImportLog"),
                 ("menu_access", "导入包联名册"), ("menu_access", "导入记录")],
    "Leader": [("can_read", "ImportLog"), ("menu_access", "导入记录")],
}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def web(app):
    """An app with the import screens and API registered and permitted for Office/Director/Leader
    (done here until app/__init__.py and app/roles.py wire them; a no-op once they do)."""
    from app import create_app
    from app.roles import sync_roles
    from app.roster import views as import_views

    web = create_app(BASE_OVERRIDES)
    with web.app_context():
        if not any(isinstance(v, import_views.RosterImportView) for v in web.appbuilder.baseviews):
            import_views.register(web.appbuilder)
        sync_roles()
        sm = web.appbuilder.sm
        for role_name, wanted in GRANTS.items():
            role = sm.find_role(role_name)
            for perm, view in wanted:
                pvm = sm.find_permission_view_menu(perm, view)
                assert pvm is not None, (perm, view)
                if pvm not in role.permissions:
                    role.permissions.append(pvm)
        sm.session.commit()
        db.session.remove()
    yield web
    with web.app_context():
        sync_roles()  # back to exactly the declared sets
        db.session.remove()


@pytest.fixture(scope="module", autouse=True)
def tidy(checker):
    """The logins made here carry a first-login flag (an AccountState row each); drop those rows
    afterwards so that later tests find the admin's 登录锁定 list as short as the demo left it."""
    with checker.app_context():
        first_new_user = (db.session.scalar(select(func.max(User.id))) or 0) + 1
        db.session.remove()
    yield
    with checker.app_context():
        db.session.execute(AccountState.__table__.delete().where(
            AccountState.user_id >= first_new_user, AccountState.locked_until.is_(None)))
        db.session.commit()
        db.session.remove()


@pytest.fixture()
def web_client(web):
    return web.test_client()


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def enterprise(name):
    return db.session.scalar(select(Enterprise).where(Enterprise.name == name))


def officer(name, phone_number):
    return db.session.scalar(select(Officer).where(Officer.name == name, Officer.phone == phone_number))


def active(ent, role):
    return sorted(db.session.scalars(select(Officer.name).join(Assignment, Assignment.officer_id == Officer.id).where(
        Assignment.enterprise_id == ent.id, Assignment.role == role, Assignment.end_date.is_(None))))


def counts_of(report):
    return {k: report[k] for k in ("created", "updated", "ended")}


def cli(web, *args):
    """``flask cso import-assignments …`` as the app's group will run it."""
    from app.roster.views import register_cli

    group = click.Group("cso")
    register_cli(group)
    return web.test_cli_runner().invoke(group, ["import-assignments", *map(str, args)])


def post_api(client, headers, data, filename, dry_run=None, query=""):
    form = {"file": (io.BytesIO(data), filename)}
    if dry_run is not None:
        form["dry_run"] = dry_run
    return client.post("/api/v1/import/assignments" + query, headers=headers, data=form,
                       content_type="multipart/form-data")


# --- the full story on a messy .xlsx: preview, commit, idempotence, logins ---------------------


def test_messy_xlsx_dry_run_then_commit_through_the_cli(web, ctx, tmp_path):
    ents = sample("甲", 1)
    path = tmp_path / "首席服务官及具体分包人情况表.xlsx"
    path.write_bytes(messy_xlsx(ents))
    before = [count(Enterprise), count(Officer), count(Assignment)]

    dry = cli(web, path, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert set(report) == REPORT_KEYS and report["ok"] and report["dry_run"]
    assert report["created"] == {"enterprise": 6, "officer": 9, "assignment": 14}
    assert report["updated"] == {"enterprise": 0, "officer": 0, "assignment": 0} and report["ended"] == {"assignment": 0}
    assert report["errors"] == []
    messages = [w["message"] for w in report["warnings"]]
    assert any("第5–7行" in m and "合并单元格" in m for m in messages)  # the chief's merged cells
    assert any("王　甲" in m and "王甲" in m for m in messages)  # padding removed
    assert any("一个单元格中有2人" in m for m in messages)
    assert any("147-01" in m and "已规范" in m for m in messages)  # dashes removed
    assert all(w["row"] is None or w["row"] >= 5 for w in report["warnings"])
    db.session.expire_all()
    assert [count(Enterprise), count(Officer), count(Assignment)] == before  # a dry run writes nothing

    done = cli(web, path, "--credentials", tmp_path / "logins.xlsx", "--logins", "all")  # liaisons too: asked for
    assert done.exit_code == 0, done.output
    assert "新增企业6家、服务官9人、包联关系14条" in done.stdout and "新开通账号9个" in done.stdout
    db.session.expire_all()
    assert [count(Enterprise), count(Officer), count(Assignment)] == [before[0] + 6, before[1] + 9, before[2] + 14]

    first = enterprise("焦作市甲一号测试精密机械有限公司")
    assert first.credit_code == code(901, 1) and first.subdistrict == "文苑街道" and first.is_key
    third = enterprise("焦作甲三号测试食品股份有限公司")
    assert third.credit_code is None and third.subdistrict == "李万街道"  # merged street applied
    assert active(third, "chief") == ["王甲"]  # the merged chief cell covers row 7 too
    assert active(enterprise("焦作市甲二号测试新材料有限公司"), "liaison") == sorted(["孙甲", "周甲"])  # one cell
    wang = officer("王甲", phone(1, 1))
    assert wang is not None and wang.title == "区发改委主任" and wang.rank == "县级"
    sun = officer("孙甲", phone(1, 11))
    assert sun.rank == "科级" and sun.title == "副科长"  # titles paired in order with the names
    # each new officer has an Officer login: username from the mobile, must change the password
    assert wang.user is not None and wang.user.username == f"o{phone(1, 1)}"
    assert [r.name for r in wang.user.roles] == ["Officer"]
    assert db.session.get(AccountState, wang.user_id).must_change_password is True
    # the credentials sheet
    sheet = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "logins.xlsx")).get_sheet_by_index(0).to_python()
    assert sheet[1][:6] == ["姓名", "工作单位", "职务", "联系电话", "登录账号", "初始密码"]
    assert {row[4] for row in sheet[2:]} >= {f"o{phone(1, 1)}", f"o{phone(1, 11)}"} and len(sheet) == 2 + 9

    logs = db.session.scalars(select(ImportLog).where(ImportLog.filename == path.name).order_by(ImportLog.id)).all()
    assert [(log.dry_run, log.ok, log.user_id) for log in logs] == [(True, True, None), (False, True, None)]
    assert logs[1].report["created"]["enterprise"] == 6 and len(logs[1].sha256) == 64

    again = cli(web, path, "--json")
    assert again.exit_code == 0
    assert counts_of(json.loads(again.stdout)) == ZERO


def test_same_roster_in_other_formats_changes_nothing(ctx):
    ents = sample("乙", 2)
    first = run_import(messy_xlsx(ents), "名册.xlsx", None, dry_run=False)
    assert first["ok"] and first["created"]["enterprise"] == 6, first["errors"]
    for data, name in [
        (messy_xlsx(ents), "名册.xlsx"),
        (csv_bytes(ents, "gb18030"), "名册（GBK）.csv"),
        (csv_bytes(ents, "utf-8-sig"), "名册（BOM）.csv"),
        (csv_bytes(ents, "utf-8"), "名册.csv"),
        (csv_bytes(ents, "gb18030", one_row_header=False), "两行表头.csv"),
        (xls_bytes(ents), "名册.xls"),
        (messy_xlsx(ents, extra_sheet=True), "第二页才是名册.xlsx"),
    ]:
        report = run_import(data, name, None, dry_run=False)
        assert report["ok"], (name, report["errors"])
        assert counts_of(report) == ZERO, (name, counts_of(report))


def test_gbk_csv_first_import(ctx):
    ents = sample("丙", 3)
    data = csv_bytes(ents, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK, not UTF-8 in disguise
    report = run_import(data, "roster.csv", None, dry_run=False)
    assert report["ok"], report["errors"]
    assert report["created"] == {"enterprise": 6, "officer": 9, "assignment": 14}
    db.session.expire_all()
    ent = enterprise("焦作市丙六号测试制药有限公司")
    assert sorted(active(ent, "liaison")) == sorted(["冯丙", "孙丙"]) and active(ent, "chief") == ["李丙"]
    assert officer("周丙", phone(3, 12)) is not None  # the dashed phone "147-0300-0012" stored as digits


def test_xls_first_import(ctx):
    ents = sample("丁", 4)
    report = run_import(xls_bytes(ents), "roster.xls", None, dry_run=False)
    assert report["ok"], report["errors"]
    assert report["created"] == {"enterprise": 6, "officer": 9, "assignment": 14}
    assert any("合并单元格" in w["message"] for w in report["warnings"])  # .xls merges are read too
    db.session.expire_all()
    assert active(enterprise("焦作丁三号测试食品股份有限公司"), "chief") == ["王丁"]
    assert officer("欧阳丁明", phone(4, 2)).title == "区工信局局长"


# --- changes over time ----------------------------------------------------------------------------


def test_changed_chief_ends_the_old_assignment_and_starts_a_new_one(ctx):
    ents = sample("戊", 5)
    assert run_import(messy_xlsx(ents), "v1.xlsx", None, dry_run=False)["ok"]
    new_chief = Person("陈戊新", "区商务局局长", phone(5, 4))
    changed = [dataclasses.replace(e, chief=new_chief) if e.chief.name == "欧阳戊明" else e for e in ents]
    changed[0] = dataclasses.replace(changed[0], liaisons=[Person("韩戊", "科员", phone(5, 30))])
    total_before = count(Assignment)

    preview = import_roster(messy_xlsx(changed), "v2.xlsx", None, dry_run=True)
    assert preview.ok and counts_of(preview.report) == {
        "created": {"enterprise": 0, "officer": 2, "assignment": 3},
        "updated": {"enterprise": 0, "officer": 0, "assignment": 0}, "ended": {"assignment": 3}}
    ends = [c["text"] for c in preview.changes if c["action"] == "end"]
    assert len(ends) == 3 and sum("欧阳戊明（首席服务官）" in t for t in ends) == 2 and any("赵戊（具体分包人）" in t for t in ends)

    report = run_import(messy_xlsx(changed), "v2.xlsx", None, dry_run=False)
    assert counts_of(report) == counts_of(preview.report)
    db.session.expire_all()
    fourth = enterprise("焦作市戊四号测试物流有限公司")
    assert active(fourth, "chief") == ["陈戊新"]
    old = db.session.scalar(select(Assignment).join(Officer).where(
        Assignment.enterprise_id == fourth.id, Officer.name == "欧阳戊明"))
    assert old.end_date == clock.today() and old.status == "ended"
    assert "名册导入" in old.end_reason and "陈戊新" in old.end_reason
    assert active(enterprise("焦作市戊一号测试精密机械有限公司"), "liaison") == ["韩戊"]
    assert count(Assignment) == total_before + 3  # ended rows are kept: nothing is deleted
    assert counts_of(run_import(messy_xlsx(changed), "v2.xlsx", None, dry_run=False)) == ZERO


def test_absent_columns_and_blank_cells_never_blank_existing_values(ctx):
    ents = sample("己", 6)
    assert run_import(messy_xlsx(ents), "full.xlsx", None, dry_run=False)["ok"]
    # a thin roster: no credit code, no street, no titles, no liaison column; one chief cell blank
    rows = [["包联企业", "包联领导", "手机"]]
    rows += [[e.name, e.chief.name, e.chief.phone] for e in ents]
    rows[2][1:] = ["", ""]
    report = run_import(simple_xlsx(rows), "thin.xlsx", None, dry_run=False)
    assert report["ok"], report["errors"]
    assert counts_of(report) == ZERO
    assert any(w["row"] == 3 and "保留系统中现有的包联关系" in w["message"] for w in report["warnings"])
    db.session.expire_all()
    ent = enterprise(ents[1].name)
    assert ent.credit_code == ents[1].code and ent.subdistrict == "文苑街道"
    assert active(ent, "chief") == ["王己"] and len(active(ent, "liaison")) == 2
    assert officer("王己", phone(6, 1)).title == "区发改委主任"


def test_enterprise_matching_ignores_place_prefix_and_legal_suffix(ctx):
    """Against the demo district: "恒达精密机械" is 焦作市恒达精密机械有限公司 (name kept)."""
    demo = enterprise("焦作市恒达精密机械有限公司")
    chief = db.session.scalar(select(Officer).join(Assignment, Assignment.officer_id == Officer.id).where(
        Assignment.enterprise_id == demo.id, Assignment.role == "chief", Assignment.end_date.is_(None)))
    rows = [["企业名称", "首席服务官", "联系电话"],
            ["恒达精密机械", chief.name, chief.phone],
            ["焦作市恒达精密机械制造有限公司", chief.name, chief.phone]]
    result = import_roster(simple_xlsx(rows), "demo.xlsx", None, dry_run=True)
    assert result.ok, result.report["errors"]
    assert result.report["created"] == {"enterprise": 1, "officer": 0, "assignment": 1}
    assert result.report["updated"]["enterprise"] == 0
    assert not any(c["kind"] == "enterprise" and "恒达精密机械（" in c["text"] for c in result.changes)
    similar = [w for w in result.report["warnings"] if w["row"] == 3]
    assert similar and "焦作市恒达精密机械有限公司" in similar[0]["message"] and "相近" in similar[0]["message"]


def test_officers_match_by_name_and_phone(ctx):
    demo = db.session.scalar(select(Officer).where(Officer.user_id.is_not(None)).order_by(Officer.id))
    rows = [["企业名称", "首席服务官", "联系电话"],
            ["焦作市未一号测试机械有限公司", demo.name, demo.phone],  # the demo officer himself
            ["焦作市未二号测试机械有限公司", demo.name, phone(18, 1)],  # same name, another phone: another man
            ["焦作市未三号测试机械有限公司", "秦未", phone(18, 2)],
            ["焦作市未四号测试机械有限公司", "秦未", phone(18, 3)],
            ["焦作市未五号测试机械有限公司", "秦未", ""]]  # which 秦未?
    report = run_import(simple_xlsx(rows), "homonyms.xlsx", None, dry_run=True)
    assert report["errors"] == [{"row": 6, "column": "首席服务官",
                                 "message": "表中有2位“秦未”（电话不同），本行未填电话，无法确定是哪一位。"}]
    assert any(w["row"] == 3 and "同名服务官" in w["message"] for w in report["warnings"])
    del rows[5]
    report = run_import(simple_xlsx(rows), "homonyms.xlsx", None, dry_run=True)
    assert report["ok"] and report["created"] == {"enterprise": 4, "officer": 3, "assignment": 4}


# --- errors: all or nothing, Excel's row numbers -------------------------------------------------


def test_one_bad_credit_code_writes_nothing_and_names_excels_row(ctx, web_client):
    ents = sample("庚", 7)
    ents[2] = dataclasses.replace(ents[2], code=code(907, 3)[:-1] + ("0" if code(907, 3)[-1] != "0" else "1"))
    before = [count(Enterprise), count(Officer), count(Assignment)]
    headers = api_token(web_client, "office")
    resp = post_api(web_client, headers, messy_xlsx(ents), "bad.xlsx")
    assert resp.status_code == 422
    report = resp.get_json()
    assert set(report) == REPORT_KEYS and report["ok"] is False and report["dry_run"] is False
    assert report["errors"] == [{"row": 7, "column": "统一社会信用代码",
                                 "message": f"统一社会信用代码校验位不正确，请核对后重新输入。（表中为“{ents[2].code}”）"}]
    assert counts_of(report) == ZERO
    db.session.expire_all()
    assert [count(Enterprise), count(Officer), count(Assignment)] == before
    assert enterprise(ents[0].name) is None  # the good rows were not written either
    log = db.session.scalar(select(ImportLog).where(ImportLog.filename == "bad.xlsx"))
    assert log.ok is False and log.dry_run is False and log.report == report and log.user_id is not None


def test_errors_in_other_columns_name_the_header_and_row(ctx):
    rows = [["重点企业首席服务官及具体分包人情况表"],
            ["填报单位：示范区"],
            ["序号", "企业名称", "统一社会信用代码", "首席服务官", "联系电话", "具体分包人", "联系电话"],
            [1, "焦作市辛一号测试机械有限公司", "", "冯辛", "1470800000", "朱辛", phone(8, 2)],
            [2, "", "", "冯辛", phone(8, 1), "", ""],
            [3, "焦作市辛三号测试机械有限公司", "ABC", "冯辛", phone(8, 1), "朱辛", phone(8, 2)],
            [4, "焦作市辛四号测试机械有限公司", "", "冯辛", phone(8, 1), "朱辛", "1.4708E+10"]]
    report = run_import(simple_xlsx(rows), "errors.xlsx", None, dry_run=True)
    assert report["ok"] is False
    got = [(e["row"], e["column"]) for e in report["errors"]]
    assert got == [(4, "联系电话（E列）"), (5, "企业名称"), (6, "统一社会信用代码"), (7, "联系电话（G列）")]
    assert "科学计数法" in report["errors"][3]["message"]
    assert count(Enterprise, Enterprise.name.like("焦作市辛%")) == 0


def test_a_failure_while_writing_rolls_everything_back(ctx, monkeypatch):
    from app import accounts

    calls = []
    real = accounts.create_login

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts, "create_login", flaky)
    ents = sample("壬", 9)
    before = [count(Enterprise), count(Officer), count(Assignment)]
    report = run_import(messy_xlsx(ents), "flaky.xlsx", None, dry_run=False)
    assert report["ok"] is False and "未写入任何数据" in report["errors"][0]["message"]
    db.session.expire_all()
    assert [count(Enterprise), count(Officer), count(Assignment)] == before
    assert db.session.scalar(select(ImportLog.ok).where(ImportLog.filename == "flaky.xlsx")) is False


# --- layout tolerance ----------------------------------------------------------------------------


def test_synonyms_one_row_header_and_people_sharing_cells(ctx):
    rows = [["", "", "关于报送重点企业包联情况的通知（附表）"],
            [],
            ["序号", "服务企业", "属地", "包抓领导", "职务", "手机", "联络员", "手机号码"],
            [1, "焦作市癸一号测试机械有限公司", "文昌街道", f"何癸（区工信局局长，{phone(10, 1)}）", "", "",
             "罗癸，梁癸", f"{phone(10, 11)}；{phone(10, 12)}"],
            [2, "焦作市癸二号测试机械有限公司", "文昌街道", "何癸", "区工信局局长", phone(10, 1),
             "宋癸/谢癸\n韩癸", f"{phone(10, 13)}/{phone(10, 14)}\n{phone(10, 15)}"],
            [3, "焦作市癸三号测试机械有限公司", "文昌街道", "何癸", "", "", "唐癸", "0391-3563650"],
            [4, "焦作市癸四号测试机械有限公司", "文昌街道", "何癸", "", "", "曹癸 区商务局科员", phone(10, 16)],
            ["小计", "4家"],
            ["说明：本表每月更新。"],
            [5, "焦作市癸九号测试机械有限公司", "文昌街道", "何癸"]]  # after the footnote: not imported
    result = import_roster(simple_xlsx(rows, merges=[(0, 2, 0, 7)]), "synonyms.xlsx", None, dry_run=True,
                           logins="all")  # liaisons too: asked for (the default opens chiefs' logins only)
    report = result.report
    assert report["ok"], report["errors"]
    assert report["created"] == {"enterprise": 4, "officer": 8, "assignment": 11}
    officers = {c["text"].split("：", 1)[1] for c in result.changes if c["kind"] == "officer"}
    assert f"何癸（{phone(10, 1)}），区工信局局长，并开通登录账号" in officers  # name, title, phone in one cell
    assert f"曹癸（{phone(10, 16)}），区商务局科员，并开通登录账号" in officers  # "name title"
    assert "唐癸（0391-3563650），并开通登录账号" in officers  # landline kept as 0391-xxxxxxx
    for n, who in ((11, "罗癸"), (12, "梁癸"), (13, "宋癸"), (14, "谢癸"), (15, "韩癸")):
        assert f"{who}（{phone(10, n)}），并开通登录账号" in officers  # ，；/ and line breaks, paired in order
    assert not any("癸九号" in c["text"] for c in result.changes)
    assert {e["row"] for e in report["warnings"]} <= {4, 5, 6, 7, 10}
    assert [w["message"][:14] for w in report["warnings"] if w["row"] == 10] == ["本行位于表尾的说明（第9行）"]


def test_numbers_as_phones_and_full_width_text(ctx):
    rows = [["企业名称", "首席服务官", "联系电话", "具体分包人", "联系电话"],
            ["焦作市子一号测试机械有限公司", "严　子", 14711000001.0, "Ｌｉ Ｍｉｎｇ", 3563650],
            ["焦作市子二号测试机械有限公司（二期）", "严子", 14711000001, "钱子", "１４７１１０００００２"]]
    result = import_roster(simple_xlsx(rows), "numbers.xlsx", None, dry_run=False, logins="all")  # liaisons too
    assert result.ok, result.report["errors"]
    db.session.expire_all()
    assert officer("严子", "14711000001") is not None
    assert officer("Li Ming", "0391-3563650") is not None
    assert officer("钱子", "14711000002") is not None
    assert enterprise("焦作市子二号测试机械有限公司(二期)") is not None  # NFKC: full-width brackets
    landline = officer("Li Ming", "0391-3563650")
    assert landline.user.username == f"officer{landline.id:05d}"  # no mobile: from the officer id


# --- bad files -----------------------------------------------------------------------------------

ENCRYPTED = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(512)


@pytest.mark.parametrize("data, filename, status, words", [
    (random.Random(7).randbytes(4096), "名册.xlsx", 422, "不是Excel表格"),
    (random.Random(8).randbytes(4096), "名册.csv", 422, "无法识别文件编码"),
    (b"", "empty.xlsx", 422, "文件为空"),
    (ENCRYPTED, "locked.xlsx", 422, "加密"),
    (b"%PDF-1.4 not a roster", "roster.pdf", 422, "不支持"),
    ("姓名,年龄\n张三,30\n".encode("gb18030"), "other.csv", 422, "未找到表头"),
    (simple_xlsx([]), "blank.xlsx", 422, "没有任何数据"),
])
def test_bad_files_get_a_chinese_message_and_nothing_is_written(web, ctx, web_client, data, filename, status, words):
    before = [count(Enterprise), count(Officer), count(Assignment)]
    headers = api_token(web_client, "office")
    for dry_run in ("1", None):
        resp = post_api(web_client, headers, data, filename, dry_run=dry_run)
        assert resp.status_code == status, resp.get_data(as_text=True)
        report = resp.get_json()
        assert report["ok"] is False and words in report["errors"][0]["message"]
        assert report["errors"][0]["row"] is None
    login(web_client, "office")
    page = web_client.post("/import/assignments/preview", data={"file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert page.status_code == status and words in page.get_data(as_text=True)
    assert "确认导入" not in page.get_data(as_text=True)
    db.session.expire_all()
    assert [count(Enterprise), count(Officer), count(Assignment)] == before


def test_size_and_row_limits_come_from_the_config(web, ctx, web_client, monkeypatch, tmp_path):
    data = messy_xlsx(sample("丑", 12))
    headers = api_token(web_client, "office")
    monkeypatch.setitem(web.config, "IMPORT_MAX_BYTES", 1000)
    resp = post_api(web_client, headers, data, "big.xlsx")
    assert resp.status_code == 413 and "超过上限" in resp.get_json()["errors"][0]["message"]
    monkeypatch.setitem(web.config, "IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    monkeypatch.setitem(web.config, "IMPORT_MAX_ROWS", 3)
    resp = post_api(web_client, headers, data, "long.xlsx")
    assert resp.status_code == 422 and "上限3行" in resp.get_json()["errors"][0]["message"]
    monkeypatch.setitem(web.config, "IMPORT_MAX_ROWS", 5000)
    path = tmp_path / "big.xlsx"
    path.write_bytes(data)
    monkeypatch.setitem(ctx.config, "IMPORT_MAX_BYTES", 1000)
    result = cli(web, path)
    assert result.exit_code == 1 and "超过上限" in result.stdout and "未导入任何数据" in result.stdout
    assert enterprise(sample("丑", 12)[0].name) is None


# --- the API -----------------------------------------------------------------------------------


def test_api_dry_run_commit_and_one_time_credentials(web, ctx, web_client):
    ents = sample("寅", 13)
    headers = api_token(web_client, "office")
    assert post_api(web_client, headers, b"", "", dry_run="1").status_code == 400
    resp = post_api(web_client, headers, messy_xlsx(ents), "api.xlsx", query="?dry_run=true")
    assert resp.status_code == 200 and resp.get_json()["dry_run"] is True
    assert resp.get_json()["created"]["enterprise"] == 6 and "X-Credentials-Url" not in resp.headers
    assert enterprise(ents[0].name) is None
    resp = post_api(web_client, headers, messy_xlsx(ents), "api.xlsx", dry_run="0")
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert set(report) == REPORT_KEYS and report["ok"] and not report["dry_run"]
    assert report["created"] == {"enterprise": 6, "officer": 9, "assignment": 14}
    url = resp.headers["X-Credentials-Url"]
    sheet = web_client.get(url, headers=headers)
    assert sheet.status_code == 200 and sheet.mimetype == XLSX_MIME
    assert web_client.get(url, headers=headers).status_code == 404  # once only
    again = post_api(web_client, headers, messy_xlsx(ents), "api.xlsx")
    assert again.status_code == 200 and counts_of(again.get_json()) == ZERO
    # a row error on a dry run is still a 200 with the report; committed it is a 422
    ents[1] = dataclasses.replace(ents[1], chief=Person("王寅", "主任", "12345"))
    dry = post_api(web_client, headers, messy_xlsx(ents), "api.xlsx", dry_run="1")
    assert dry.status_code == 200 and dry.get_json()["ok"] is False
    assert post_api(web_client, headers, messy_xlsx(ents), "api.xlsx").status_code == 422


def test_api_needs_the_import_permission(web, web_client):
    data = messy_xlsx(sample("卯", 14))
    assert post_api(web_client, {}, data, "x.xlsx").status_code == 401
    for username in ("officer01", "leader", "ent01"):
        assert post_api(web_client, api_token(web_client, username), data, "x.xlsx", dry_run="1").status_code == 403
    director = post_api(web_client, api_token(web_client, "director"), data, "x.xlsx", dry_run="1")
    assert director.status_code == 200


# --- the upload page ------------------------------------------------------------------------------


def test_upload_page_preview_then_commit_by_a_job(web, ctx, web_client, monkeypatch):
    """The page's commit is a background job: tests/test_roster_job.py has the rest of that story."""
    from app.jobs import rules

    sent = []
    monkeypatch.setattr(rules, "dispatch", lambda job: sent.append((job.id, job.task_id)))
    ents = sample("辰", 15)
    login(web_client, "office")
    form = web_client.get("/import/assignments/")
    assert form.status_code == 200 and "导入包联名册" in form.get_data(as_text=True)
    assert web_client.post("/import/assignments/preview", data={}).status_code == 400

    page = web_client.post("/import/assignments/preview", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(messy_xlsx(ents)), "辰.xlsx")})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "确认导入" in html and "以上为预览" in html
    assert "新增企业：焦作市辰一号测试精密机械有限公司" in html and "合并单元格" in html
    token = re.search(r'name="upload" value="([A-Za-z0-9_-]+)"', html).group(1)
    db.session.expire_all()
    assert enterprise(ents[0].name) is None

    forged = web_client.post("/import/assignments/commit", data={"upload": "../../../etc/passwd"})
    assert forged.status_code == 302 and sent == []

    done = web_client.post("/import/assignments/commit", data={"upload": token})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/jobs/{sent[0][0]}")
    assert rules.run(*sent[0])["state"] == "done"
    db.session.expire_all()
    assert enterprise(ents[0].name) is not None
    sheet = web_client.get(f"/jobs/{sent[0][0]}/download")
    assert sheet.status_code == 200 and sheet.mimetype == XLSX_MIME
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(sheet.data)).get_sheet_by_index(0).to_python()
    assert rows[0][0].startswith("服务官登录账号") and rows[1][4:6] == ["登录账号", "初始密码"]
    assert f"o{phone(15, 1)}" in {r[4] for r in rows[2:]}


def test_import_log_is_visible_to_office_and_leader_only(web, ctx, web_client):
    run_import(messy_xlsx(sample("巳", 16)), "巳名册.xlsx", None, dry_run=True)
    login(web_client, "office")
    page = web_client.get("/importlogview/list/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "巳名册.xlsx" in html and "预览（试运行）" in html and "文件名" in html
    log_id = db.session.scalar(select(ImportLog.id).where(ImportLog.filename == "巳名册.xlsx"))
    show = web_client.get(f"/importlogview/show/{log_id}")
    assert show.status_code == 200 and "预计新增企业6家" in show.get_data(as_text=True)
    login(web_client, "leader")
    assert web_client.get("/importlogview/list/").status_code == 200
    assert web_client.get("/import/assignments/").status_code == 403  # no upload page for the leader
    login(web_client, "officer01")
    assert web_client.get("/importlogview/list/").status_code == 403
    assert web_client.post("/import/assignments/preview", data={}).status_code == 403


def test_cli_human_output_and_exit_code(web, ctx, tmp_path):
    ents = sample("午", 17)
    ents[0] = dataclasses.replace(ents[0], code="91410800MA00000000")
    path = tmp_path / "午.xlsx"
    path.write_bytes(messy_xlsx(ents))
    result = cli(web, path, "--dry-run")
    assert result.exit_code == 1
    assert "试运行" in result.stdout and "第5行［统一社会信用代码］" in result.stdout and "未导入任何数据" in result.stdout
    as_json = cli(web, path, "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["errors"][0]["row"] == 5


# --- defects found with real rosters -------------------------------------------------------------


def test_a_row_with_data_but_no_enterprise_name_is_an_error(ctx):
    rows = [["企业名称", "首席服务官", "职务", "联系电话"],
            ["焦作市申一号测试机械有限公司", "林申", "区商务局局长", phone(30, 1)],
            ["", "", "区商务局副局长", phone(30, 2)],  # a person's details, the names forgotten
            ["焦作市申三号测试机械有限公司", "林申", "区商务局局长", phone(30, 1)]]
    report = run_import(simple_xlsx(rows), "no-name.xlsx", None, dry_run=False)
    assert report["ok"] is False and counts_of(report) == ZERO
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "企业名称")]
    assert "企业名称不能为空" in report["errors"][0]["message"] and "联系电话" in report["errors"][0]["message"]
    assert enterprise("焦作市申一号测试机械有限公司") is None  # all or nothing
    rows[2] = [1, "", "", ""]  # only a 序号: a blank line of the template, not data
    assert run_import(simple_xlsx([["序号", *rows[0]], *[[i, *r] for i, r in enumerate(rows[1:])]]),
                      "no-name.xlsx", None, dry_run=True)["ok"]


@pytest.mark.parametrize("typed, ok", [
    ("1383911", False),  # a mobile with four digits lost, not the landline 0391-1383911
    ("0391-1383911", False),  # local numbers never start with 1
    ("0391-0563650", False),  # … nor with 0
    ("138391100001", False),  # 12 digits
    ("12345678901", False),  # 11 digits but no mobile prefix
    ("3563650", True),  # a local landline without the area code: 0391-3563650
    ("0391-35636501", True),  # 8-digit local number
    (phone(31, 1), True),
])
def test_a_phone_is_a_mobile_or_a_landline_never_a_guess(ctx, typed, ok):
    rows = [["企业名称", "首席服务官", "联系电话"], ["焦作市酉一号测试机械有限公司", "陶酉", typed]]
    report = run_import(simple_xlsx(rows), "phones.xlsx", None, dry_run=True)
    assert report["ok"] is ok, report["errors"]
    if not ok:
        assert report["errors"][0]["row"] == 2 and report["errors"][0]["column"] == "联系电话"
        assert typed in report["errors"][0]["message"]


def test_a_title_holding_the_unit_is_not_prefixed_again(ctx):
    rows = [["企业名称", "首席服务官", "工作单位", "职务", "联系电话"],
            ["焦作市戌一号测试机械有限公司", "柯戌", "区党工委", "区党工委副书记", phone(32, 1)]]
    result = import_roster(simple_xlsx(rows), "titles.xlsx", None, dry_run=False)
    assert result.ok, result.report["errors"]
    texts = [c["text"] for c in result.changes if c["kind"] == "officer"]
    assert texts == [f"新增服务官：柯戌（{phone(32, 1)}），区党工委副书记，并开通登录账号"]
    db.session.expire_all()
    new = officer("柯戌", phone(32, 1))
    assert (new.unit, new.title) == ("区党工委", "副书记")
    # the demo's 张建国 is 区党工委 / 副书记: a roster calling him 区党工委副书记 changes nothing
    demo = db.session.scalar(select(Officer).where(Officer.name == "张建国"))
    assert (demo.unit, demo.title) == ("区党工委", "副书记")
    rows = [["企业名称", "首席服务官", "职务", "联系电话"],
            ["焦作市戌二号测试机械有限公司", demo.name, "区党工委副书记", demo.phone]]
    report = run_import(simple_xlsx(rows), "titles.xlsx", None, dry_run=True)
    assert report["ok"] and report["updated"]["officer"] == 0, report


def test_new_officers_get_no_placeholder_email_and_the_preview_names_who_lacks_one(web, ctx, web_client):
    from app.accounts import mail_address

    rows = [["企业名称", "首席服务官", "工作单位", "电子邮箱", "联系电话", "具体分包人", "联系电话"],
            ["焦作市亥一号测试机械有限公司", "米亥", "区发改委", "MiHai@Example.gov.cn", phone(33, 1), "车亥", phone(33, 2)]]
    data = simple_xlsx(rows)
    login(web_client, "office")
    page = web_client.post("/import/assignments/preview", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "亥.xlsx")})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "缺少电子邮箱或工作单位的服务官（1）" in html
    assert re.search(r"车亥（%s）.*无电子邮箱、无工作单位" % phone(33, 2), html, re.S)
    report = run_import(data, "亥.xlsx", None, dry_run=False, logins="all")  # liaisons too: asked for
    assert report["ok"], report["errors"]
    assert report["incomplete"] == [{"row": 2, "name": "车亥", "phone": phone(33, 2), "new": True,
                                     "missing": ["email", "unit"]}]
    db.session.expire_all()
    mi, che = officer("米亥", phone(33, 1)), officer("车亥", phone(33, 2))
    assert mi.email == "mihai@example.gov.cn" and mi.user.email == "mihai@example.gov.cn"
    assert mail_address(mi.user) == "mihai@example.gov.cn"
    assert che.email is None and mail_address(che.user) is None  # no address that can never receive mail
    assert che.user.email.endswith(".invalid") and "cso.local" not in che.user.email


def test_an_import_right_after_db_upgrade_creates_the_roles_itself(tmp_path):
    """A fresh SQLite database, ``flask db upgrade``, then the CLI import: no sync-roles step."""
    from flask_migrate import upgrade

    from app import create_app

    fresh = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "fresh.db")})
    with fresh.app_context():
        upgrade()
        assert fresh.appbuilder.sm.find_role("Officer") is None
        db.session.remove()
    path = tmp_path / "名册.xlsx"
    path.write_bytes(messy_xlsx(sample("元", 34)))
    result = fresh.test_cli_runner().invoke(args=["cso", "import-assignments", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == {"enterprise": 6, "officer": 9, "assignment": 14}
    with fresh.app_context():
        wang = db.session.scalar(select(Officer).where(Officer.name == "王元"))
        assert [r.name for r in wang.user.roles] == ["Officer"]
        assert db.session.get(AccountState, wang.user_id).must_change_password is True
        db.session.remove()


# --- which new officers get a login ----------------------------------------------------------------


def test_logins_for_chief_officers_only_or_nobody(web, ctx, web_client, tmp_path):
    ents = sample("亨", 35)
    path = tmp_path / "亨.xlsx"
    path.write_bytes(messy_xlsx(ents))
    dry = cli(web, path, "--dry-run", "--logins", "chief")
    assert dry.exit_code == 0, dry.output
    assert "新增服务官：王亨" in dry.stdout and f"王亨（{phone(35, 1)}），区发改委主任，并开通登录账号" in dry.stdout
    assert f"赵亨（{phone(35, 10)}），科员\n" in dry.stdout  # a liaison: no login
    done = cli(web, path, "--logins", "chief")
    assert done.exit_code == 0 and "新开通账号3个" in done.stdout, done.output
    db.session.expire_all()
    assert officer("王亨", phone(35, 1)).user is not None and officer("欧阳亨明", phone(35, 2)).user is not None
    assert officer("赵亨", phone(35, 10)).user_id is None and officer("孙亨", phone(35, 11)).user_id is None
    assert cli(web, path, "--logins", "everyone").exit_code == 2  # click refuses an unknown choice

    headers = api_token(web_client, "office")
    other = messy_xlsx(sample("利", 36))
    assert post_api(web_client, headers, other, "利.xlsx", query="?logins=some").status_code == 400
    resp = post_api(web_client, headers, other, "利.xlsx", query="?logins=none")
    assert resp.status_code == 200 and resp.get_json()["created"]["officer"] == 9
    assert "X-Credentials-Url" not in resp.headers
    db.session.expire_all()
    assert officer("王利", phone(36, 1)).user_id is None


def test_upload_page_carries_the_login_choice_to_the_commit(web, ctx, web_client, monkeypatch):
    from app.jobs import rules

    sent = []
    monkeypatch.setattr(rules, "dispatch", lambda job: sent.append((job.id, job.task_id)))
    ents = sample("贞", 37)
    login(web_client, "office")
    form = web_client.get("/import/assignments/").get_data(as_text=True)
    assert 'name="logins"' in form and "仅首席服务官" in form
    page = web_client.post("/import/assignments/preview", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(messy_xlsx(ents)), "贞.xlsx"), "logins": "chief"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "开通登录账号：仅首席服务官" in html
    token = re.search(r'name="upload" value="([A-Za-z0-9_-]+)"', html).group(1)
    # the choice is the preview's, kept on the server: a form that says otherwise changes nothing
    web_client.post("/import/assignments/commit", data={"upload": token, "logins": "all"})
    assert rules.run(*sent[0])["state"] == "done"
    assert "已为3名新服务官开通登录账号" in web_client.get(f"/jobs/{sent[0][0]}/status").get_json()["message"]
    db.session.expire_all()
    assert officer("王贞", phone(37, 1)).user is not None and officer("赵贞", phone(37, 10)).user_id is None


# --- one way to create a login ---------------------------------------------------------------------


def test_create_login_command_uses_the_same_rules_as_the_import(web, ctx):
    from app.accounts import mail_address

    runner = web.test_cli_runner()
    result = runner.invoke(args=["cso", "create-login", "roster-clerk", "--role", "Office", "--password", "Clerk-Pass-2026"])
    assert result.exit_code == 0 and "首次登录须修改密码" in result.output and "收不到邮件提醒" in result.output
    db.session.expire_all()
    clerk = db.session.scalar(select(User).where(User.username == "roster-clerk"))
    assert mail_address(clerk) is None and clerk.email.endswith("@no-email.invalid")
    assert db.session.get(AccountState, clerk.id).must_change_password is True
    result = runner.invoke(args=["cso", "create-login", "roster-boss", "--role", "Office", "--password", "Boss-Pass-2026",
                                 "--email", "boss@example.gov.cn", "--keep-password"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    boss = db.session.scalar(select(User).where(User.username == "roster-boss"))
    assert boss.email == "boss@example.gov.cn" and db.session.get(AccountState, boss.id) is None
    bad = runner.invoke(args=["cso", "create-login", "roster-bad", "--role", "Office", "--password", "Bad-Pass-2026",
                              "--email", "not-an-address"])
    assert bad.exit_code == 1 and "格式不正确" in bad.output
