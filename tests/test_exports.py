"""Excel exports (app.exports, app.exports.views): the ledger in the offices' layout and its 汇总
sheet, the assignment table (re-imported with no change), visits, the officers' work ledger; scope,
filters, formula-injection safety, RFC 5987 file names, the CLI and the JWT API."""
import io
import re
import zipfile
from datetime import timedelta
from urllib.parse import unquote

import openpyxl
import pytest
from flask import current_app
from python_calamine import CalamineWorkbook
from sqlalchemy import func, or_, select

from app import clock, db, exports, ledger
from app.ledger import listing as issue_list
from app.ledger.deadlines import tier
from app.vocab import OPEN_STATUSES
from app.models import (
    ISSUE_STATUSES, Assignment, Department, Enterprise, Issue, IssueCategory, Officer, Visit, issue_codepartment,
)
from app.settings import get_policy
from conftest import api_token, login
from world import department_of_login, enterprise_of_login, enterprises_of, officer_of

RED, YELLOW, GREEN = "FFFFC7CE", "FFFFEB9C", "FFC6EFCE"
INJECTIONS = ["=1+1", "+8613800001111", "-x", "@SUM(A1)", "=HYPERLINK(\"http://evil.example\",\"点我\")",
              "<r><t>boom</t></r>"]


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def xapp(app):
    """The session's app: exports are wired in create_app and granted in app/roles.py."""
    return app


@pytest.fixture()
def xclient(xapp):
    return xapp.test_client()


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


# --- reading workbooks back -----------------------------------------------------------------------

def book(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def export_bytes(fn, *args, **kw):
    buf = io.BytesIO()
    rows = fn(*args, buf, **kw)
    return rows, buf.getvalue()


def ledger_bytes(username, args=None):
    return export_bytes(exports.ledger_workbook, user(username) if username else None, args or {})


def data_rows(ws, header_row, width):
    """{header: value} for each data row below ``header_row`` (1-based) until 序号 is not a number."""
    headers = [c.value for c in ws[header_row]][:width]
    out = []
    for row in ws.iter_rows(min_row=header_row + 1):
        if not isinstance(row[0].value, int):
            break
        out.append({h: c for h, c in zip(headers, row)})
    return out


def ledger_sheet(data):
    wb = book(data)
    ws = wb["问题台账"]
    return wb, ws, data_rows(ws, 3, len(exports.LEDGER_HEADERS))


def numbers(rows):
    return {r["问题编号"].value for r in rows}


def scoped_numbers(username, args=None):
    query = issue_list.build_query(user(username), args or {})
    return set(db.session.scalars(query.with_only_columns(Issue.number)))


def new_issue(username, enterprise, title, description, **kw):
    issue = ledger.create_issue(user(username), enterprise, title, description, **kw)
    db.session.commit()
    return issue


# --- the ledger --------------------------------------------------------------------------------------

def test_ledger_layout_and_a_known_issue(ctx):
    ent = enterprises_of("officer01")[0]
    dept, co = department_of_login("dept01"), department_of_login("dept02")
    issue = new_issue("officer01", ent, "导出测试：厂区门前道路积水", "导出测试：厂区门前道路积水，影响货车通行。",
                      category="基础设施配套")
    office = user("office")
    ledger.transition(office, issue.id, "accept", {})
    ledger.transition(office, issue.id, "assign", {"department": dept, "co_departments": [co]})
    ledger.transition(user("dept01"), issue.id, "acknowledge", {})
    ledger.transition(user("dept01"), issue.id, "progress", {"note": "已现场查看，正在制定方案。"})
    db.session.commit()
    db.session.refresh(issue)

    rows, data = ledger_bytes("office")
    wb, ws, items = ledger_sheet(data)
    today = clock.today()
    assert wb.sheetnames == ["问题台账", "汇总"]
    title = ws["A1"].value
    assert title.endswith(f"企业问题台账（截至{today.year}年{today.month:02d}月{today.day:02d}日）")
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:Y1" in merged
    assert ws["A2"].value.startswith("填报单位：") and "首席服务官办公室" in ws["A2"].value
    assert [c.value for c in ws[3]] == exports.LEDGER_HEADERS
    assert ws.freeze_panes == "D4"
    assert rows == len(items) == db.session.scalar(select(func.count()).select_from(Issue))
    assert [r["序号"].value for r in items] == list(range(1, rows + 1))
    # widths fit Chinese text (2 units a character), wrapped text
    assert ws.column_dimensions["C"].width >= 2 * len("焦作市恒达精密机械有限公司")
    assert ws.column_dimensions["J"].width >= 40 and ws.column_dimensions["A"].width < 10
    row = next(r for r in items if r["问题编号"].value == issue.number)
    assert row["问题描述"].alignment.wrap_text
    chief = db.session.scalar(select(Officer.name).join(Assignment).where(
        Assignment.enterprise_id == ent, Assignment.role == "chief", Assignment.end_date.is_(None)))
    liaisons = db.session.scalars(select(Officer.name).join(Assignment).where(
        Assignment.enterprise_id == ent, Assignment.role == "liaison", Assignment.end_date.is_(None))
        .order_by(Assignment.start_date, Assignment.id)).all()
    enterprise = db.session.get(Enterprise, ent)
    expect = {
        "企业名称": enterprise.name, "所属街道": enterprise.subdistrict, "首席服务官": chief, "具体分包人": "、".join(liaisons),
        "问题来源": "走访", "问题类别": "基础设施配套", "问题描述": "导出测试：厂区门前道路积水，影响货车通行。",
        "问题层级": "一般问题", "牵头单位": db.session.get(type(issue.lead_department), dept).name,
        "配合单位": issue.co_departments[0].name, "交办单编号": None, "办理进展": "已现场查看，正在制定方案。",
        "办理结果": None, "办结时间": None, "办理状态": "办理中", "是否销号": "否", "回访情况": None, "企业满意度": None,
    }
    assert {k: row[k].value for k in expect} == expect
    assert row["反映时间"].value.date() == issue.received_on and row["反映时间"].is_date
    assert row["交办时间"].value.date() == clock.local(issue.assigned_at).date()
    assert row["办理时限"].value.date() == issue.resolve_due
    assert row["是否超期"].value == "否"
    # the 注 footer: status legend and the 13710 rule, below the last row
    footer = [ws.cell(r, 1).value for r in range(3 + rows + 1, ws.max_row + 1)]
    text = "".join(v for v in footer if v)
    assert text.startswith("注：") and "待受理→已受理→已交办→办理中→已办结→已销号" in text
    assert "13710" in text and "红色为超期" in text and "黄色为临期" in text and "绿色为已销号" in text
    assert f"A{3 + rows + 2}:Y{3 + rows + 2}" in merged


def test_fills_follow_tiers_and_closed(ctx):
    today, policy = clock.today(), get_policy()
    open_rows = db.session.execute(select(Issue.number, Issue.due_on).where(
        Issue.status.in_(OPEN_STATUSES), Issue.due_on.is_not(None))).all()
    tiers = {n: tier(d, today, policy) for n, d in open_rows}
    if "approaching" not in tiers.values():  # make one whatever the day: due today is ≤ 1 working day away
        issue = new_issue("officer01", enterprises_of("officer01")[0], "临期测试", "临期测试问题。")
        issue.due_on = issue.transfer_due = today
        db.session.commit()
        tiers[issue.number] = tier(today, today, policy)
    closed = set(db.session.scalars(select(Issue.number).where(Issue.status == "closed")))
    _, data = ledger_bytes("office")
    _, _, items = ledger_sheet(data)
    by_number = {r["问题编号"].value: r for r in items}
    seen = set()
    for number, current in tiers.items():
        row = by_number[number]
        fill = row["问题编号"].fill.fgColor.rgb
        if current in ("overdue", "serious"):
            assert fill == RED and row["是否超期"].value == "是" and row["备注"].fill.fgColor.rgb == RED
        elif current == "approaching":
            assert fill == YELLOW and row["是否超期"].value == "否"
        else:
            assert row["问题编号"].fill.fill_type is None
        seen.add(current)
    assert {"overdue", "approaching"} <= {"overdue" if t == "serious" else t for t in seen}
    assert closed
    for number in closed:
        row = by_number[number]
        assert row["问题编号"].fill.fgColor.rgb == GREEN and row["是否销号"].value == "是"
        assert row["办结时间"].value is not None


def test_summary_sheet_equals_database_counts(ctx):
    _, data = ledger_bytes("office")
    wb = book(data)
    ws = wb["汇总"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]

    def block(title):
        start = next(i for i, r in enumerate(cells) if r[0] == title) + 2
        out = {}
        for r in cells[start:]:
            if r[0] is None:
                break
            out[r[0]] = r[1:]
        return out

    count = lambda *where: db.session.scalar(select(func.count()).select_from(Issue).where(*where))  # noqa: E731
    total = count()
    overall = {k: v[0] for k, v in block("一、总体情况").items()}
    solved = count(Issue.status.in_(("resolved", "closed")))
    void = count(Issue.status == "void")
    overdue = len(scoped_numbers("office", {"tier": "overdue"}))
    assert overall["问题总数"] == total and overall["已办结（含已销号）"] == solved
    assert overall["其中已销号"] == count(Issue.status == "closed") and overall["已作废"] == void
    assert overall["办理中（未办结）"] == count(Issue.status.in_(OPEN_STATUSES))
    assert overall["解决率"] == pytest.approx(solved / (total - void))
    assert overall["超期（含严重超期）"] == overdue > 0
    assert overall["其中严重超期"] == len(scoped_numbers("office", {"tier": "serious"}))
    assert overall["临期"] == len(scoped_numbers("office", {"tier": "approaching"}))
    by_status = {k: v[0] for k, v in block("二、按办理状态").items()}
    for key, label in ISSUE_STATUSES.items():
        assert by_status[label] == count(Issue.status == key), label
    assert by_status["合计"] == total
    by_category = block("三、按问题类别")
    for name, n in db.session.execute(select(IssueCategory.name, func.count(Issue.id)).join(
            Issue, Issue.category_id == IssueCategory.id).group_by(IssueCategory.name)):
        assert by_category[name][0] == n, name
    assert sum(v[0] for v in by_category.values()) == total
    by_dept = block("四、按牵头单位")
    for name, n, n_solved in db.session.execute(
            select(Department.name, func.count(Issue.id),
                   func.count(Issue.id).filter(Issue.status.in_(("resolved", "closed"))))
            .join(Issue, Issue.lead_department_id == Department.id).group_by(Department.name)):
        assert by_dept[name][:2] == [n, n_solved], name
    assert by_dept.get("（未交办）", [0])[0] == count(Issue.lead_department_id.is_(None))
    by_officer = block("五、按首席服务官")
    assert sum(v[0] for v in by_officer.values()) == total
    chief = db.session.scalar(select(Officer.name).where(Officer.id == officer_of("officer01").id))
    own = count(Issue.enterprise_id.in_(enterprises_of("officer01")))
    assert by_officer[chief][0] >= own  # officer01 is the chief of their enterprises


def test_formula_and_markup_text_stays_text(ctx):
    ent = enterprise_of_login("ent01")
    made = [new_issue("office", ent, text, text) for text in INJECTIONS]
    # also in a field the office types (the progress note) and a phone-like description
    ledger.transition(user("office"), made[0].id, "accept", {})
    db.session.commit()
    _, data = ledger_bytes("office", {"enterprise": str(ent)})
    _, _, items = ledger_sheet(data)
    by_number = {r["问题编号"].value: r for r in items}
    for issue, text in zip(made, INJECTIONS):
        cell = by_number[issue.number]["问题描述"]
        assert cell.data_type == "s" and cell.value == text, text
        assert cell.quotePrefix == text.startswith(("=", "+", "-", "@"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name
        assert "<t>boom</t>" not in z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    # python-calamine reads the same strings back
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("问题台账").to_python()
    texts = {row[1]: row[9] for row in sheet[3:] if row and row[1]}
    for issue, text in zip(made, INJECTIONS):
        assert texts[issue.number] == text


def test_safe_string_writer_and_widths():
    buf = io.BytesIO()
    import xlsxwriter

    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False})
    ws = wb.add_worksheet()
    quoted = wb.add_format({"quote_prefix": True})
    for row, text in enumerate(INJECTIONS):
        exports.write_text(ws, row, 0, text, None, quoted)
    wb.close()
    ws = book(buf.getvalue()).active
    for row, text in enumerate(INJECTIONS, start=1):
        cell = ws.cell(row, 1)
        assert cell.data_type == "s"
        assert cell.value.rstrip("\u200b") == text  # <r>…</r> gets a zero-width space: never raw XML
    assert exports.text_width("王伟") == 4 and exports.text_width("abc") == 3
    assert exports.text_width("焦作ab（一）") == 12 and exports.text_width("第一行\nab") == 6
    assert exports.xml_cell_text("a<b>&_x0041_\x01") == "a&lt;b&gt;&amp;_x005F_x0041__x0001_"


def test_content_disposition_is_rfc5987():
    header = exports.content_disposition("企业问题台账_20261127.xlsx", "ledger_20261127.xlsx")
    assert header == ("attachment; filename=\"ledger_20261127.xlsx\"; "
                      "filename*=UTF-8''%E4%BC%81%E4%B8%9A%E9%97%AE%E9%A2%98%E5%8F%B0%E8%B4%A6_20261127.xlsx")
    auto = exports.content_disposition("走访记录 2026.xlsx")
    assert 'filename="export_2026.xlsx"' in auto and "filename*=UTF-8''%E8%B5%B0" in auto and "%20" in auto
    assert exports.content_disposition('a"b\\c.xlsx').startswith('attachment; filename="a_b_c.xlsx"')


def test_scope_officer_department_enterprise(ctx):
    _, data = ledger_bytes("officer01")
    _, _, items = ledger_sheet(data)
    own = set(enterprises_of("officer01"))
    names = {db.session.get(Enterprise, e).name for e in own}
    assert items and {r["企业名称"].value for r in items} <= names
    assert numbers(items) == set(db.session.scalars(select(Issue.number).where(Issue.enterprise_id.in_(own))))

    _, data = ledger_bytes("dept01")
    _, _, items = ledger_sheet(data)
    dept = department_of_login("dept01")
    addressed = set(db.session.scalars(select(Issue.number).where(or_(
        Issue.lead_department_id == dept,
        Issue.id.in_(select(issue_codepartment.c.issue_id).where(issue_codepartment.c.department_id == dept))))))
    assert items and numbers(items) == addressed

    mine = enterprise_of_login("ent01")
    foreign = enterprises_of("officer02")[0]
    _, data = ledger_bytes("ent01")
    _, _, items = ledger_sheet(data)
    assert items and numbers(items) == set(db.session.scalars(select(Issue.number).where(Issue.enterprise_id == mine)))
    rows, data = ledger_bytes("ent01", {"enterprise": str(foreign)})
    assert rows == 0 and ledger_sheet(data)[2] == []


def test_filters_are_the_lists(ctx):
    rows, data = ledger_bytes("office", {"tier": "overdue"})
    _, _, items = ledger_sheet(data)
    assert rows > 0 and numbers(items) == scoped_numbers("office", {"tier": "overdue"})
    assert all(r["是否超期"].value == "是" and r["问题编号"].fill.fgColor.rgb == RED for r in items)
    args = {"status": "closed", "region": db.session.get(Enterprise, enterprises_of("officer01")[0]).subdistrict}
    _, data = ledger_bytes("office", args)
    _, _, items = ledger_sheet(data)
    assert numbers(items) == scoped_numbers("office", args)
    with pytest.raises(issue_list.FilterError):
        ledger_bytes("office", {"tier": "someday"})
    with pytest.raises(issue_list.FilterError):
        ledger_bytes("office", {"order": "random"})


def test_chunking_gives_the_same_workbook(ctx, monkeypatch):
    _, whole = ledger_bytes("office")
    monkeypatch.setattr(exports.common, "CHUNK", 7)
    _, chunked = ledger_bytes("office")
    a = [[c.value for c in r] for r in book(whole)["问题台账"].iter_rows()]
    b = [[c.value for c in r] for r in book(chunked)["问题台账"].iter_rows()]
    assert a == b


def test_no_user_means_all_rows_only_outside_requests(ctx):
    rows, _ = ledger_bytes(None)
    assert rows == db.session.scalar(select(func.count()).select_from(Issue))
    with ctx.test_request_context("/export/ledger"):
        with pytest.raises(PermissionError):
            exports.ledger_workbook(None, {}, io.BytesIO())


# --- the assignment table ------------------------------------------------------------------------

def assignment_rows(data):
    ws = book(data)["包联情况表"]
    return ws, data_rows(ws, 2, len(exports.ASSIGNMENT_HEADERS))


def test_assignments_table(ctx):
    rows, data = export_bytes(exports.assignments_workbook, user("office"))
    ws, items = assignment_rows(data)
    assert "首席服务官及具体分包人情况表" in ws["A1"].value and "A1:K1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == exports.ASSIGNMENT_HEADERS == [
        "序号", "企业名称", "统一社会信用代码", "所属街道", "行业", "首席服务官", "首席服务官职务", "首席服务官电话",
        "具体分包人", "具体分包人职务", "具体分包人电话"]
    serving = set(db.session.scalars(select(Assignment.enterprise_id).where(Assignment.end_date.is_(None))))
    assert rows == len(items) == len(serving)
    ent = db.session.get(Enterprise, enterprises_of("officer01")[0])
    row = next(r for r in items if r["企业名称"].value == ent.name)
    people = db.session.execute(select(Assignment.role, Officer).join(Officer).where(
        Assignment.enterprise_id == ent.id, Assignment.end_date.is_(None)).order_by(Assignment.start_date, Assignment.id)).all()
    chiefs = [o for r, o in people if r == "chief"]
    liaisons = [o for r, o in people if r == "liaison"]
    assert row["统一社会信用代码"].value == ent.credit_code and row["所属街道"].value == ent.subdistrict
    assert row["首席服务官"].value == "、".join(o.name for o in chiefs)
    assert row["首席服务官职务"].value == "、".join(o.title for o in chiefs)
    assert row["首席服务官电话"].value == "、".join(o.phone for o in chiefs) and row["首席服务官电话"].data_type == "s"
    assert row["具体分包人"].value == "、".join(o.name for o in liaisons)
    assert row["具体分包人电话"].value == "、".join(o.phone for o in liaisons)
    # an officer sees only their enterprises
    _, data = export_bytes(exports.assignments_workbook, user("officer01"))
    _, items = assignment_rows(data)
    assert {r["企业名称"].value for r in items} == {db.session.get(Enterprise, e).name for e in enterprises_of("officer01")}


def test_assignments_export_reimports_with_no_change(ctx):
    from app import roster

    _, data = export_bytes(exports.assignments_workbook, user("office"))
    name, _ = exports.file_names("assignments")
    report = roster.run_import(data, name, user("office"), True)
    db.session.rollback()
    assert report["ok"], report["errors"]
    assert not any(report["created"].values()) and not any(report["updated"].values()), report
    assert not any(report["ended"].values()), report


# --- visits and the officers' work ledger -----------------------------------------------------------

def test_visits_export_scope_and_filters(ctx):
    rows, data = export_bytes(exports.visits_workbook, user("officer01"), {})
    ws = book(data)["走访记录"]
    items = data_rows(ws, 3, len(exports.VISIT_COLUMNS))
    own = enterprises_of("officer01")
    assert rows == len(items) == db.session.scalar(select(func.count()).select_from(Visit).where(Visit.enterprise_id.in_(own)))
    assert {r["企业名称"].value for r in items} <= {db.session.get(Enterprise, e).name for e in own}
    dates = [r["走访日期"].value for r in items]
    assert dates == sorted(dates, reverse=True)
    # the visit list's own filter arguments (FAB: _flt_3_mode = equal)
    rows, data = export_bytes(exports.visits_workbook, user("office"), {"_flt_3_mode": "phone"})
    items = data_rows(book(data)["走访记录"], 3, len(exports.VISIT_COLUMNS))
    assert rows == db.session.scalar(select(func.count()).select_from(Visit).where(Visit.mode == "phone")) > 0
    assert {r["走访方式"].value for r in items} == {"电话"}
    with pytest.raises(exports.ExportError):
        export_bytes(exports.visits_workbook, user("office"), {"date_from": "昨天"})


def test_officer_work_ledger(ctx):
    today = clock.today()
    month = today.strftime("%Y-%m")
    rows, data = export_bytes(exports.officer_ledger_workbook, user("officer01"), {"month_from": month, "month_to": month})
    ws = book(data)["服务官工作台账"]
    items = data_rows(ws, 3, len(exports.OFFICER_COLUMNS))
    me = officer_of("officer01")
    mine = next(r for r in items if r["姓名"].value == me.name)
    own = enterprises_of("officer01")
    first = today.replace(day=1)
    assert mine["月份"].value == month and mine["包联企业数"].value == len(own)
    assert mine["走访次数"].value == db.session.scalar(select(func.count()).select_from(Visit).where(
        Visit.officer_id == me.id, Visit.visit_date >= first, Visit.visit_date <= today))
    # only officers serving officer01's enterprises (and officer01)
    allowed = set(db.session.scalars(select(Officer.name).join(Assignment).where(
        Assignment.enterprise_id.in_(own), Assignment.end_date.is_(None))))
    assert {r["姓名"].value for r in items} <= allowed | {me.name}
    rows, data = export_bytes(exports.officer_ledger_workbook, user("office"), {})
    assert rows == 6 * db.session.scalar(select(func.count()).select_from(Officer))  # six months by default
    with pytest.raises(exports.ExportError):
        export_bytes(exports.officer_ledger_workbook, user("office"), {"month_from": "2026-13"})


# --- HTTP, API, CLI -----------------------------------------------------------------------------------

def test_download_from_the_screens(ctx, xclient):
    login(xclient, "office")
    resp = xclient.get("/export/ledger?tier=overdue&page=0")
    assert resp.status_code == 200 and resp.mimetype == exports.XLSX_MIMETYPE
    disposition = resp.headers["Content-Disposition"]
    stamp = clock.today().strftime("%Y%m%d")
    assert disposition.startswith(f'attachment; filename="ledger_{stamp}.xlsx"; filename*=UTF-8\'\'')
    assert unquote(disposition.split("UTF-8''")[1]) == f"企业问题台账_{stamp}.xlsx"
    assert resp.headers["Cache-Control"].startswith("no-store")
    _, _, items = ledger_sheet(resp.data)
    assert int(resp.headers["X-Export-Rows"]) == len(items) and numbers(items) == scoped_numbers("office", {"tier": "overdue"})
    for kind, sheet in (("assignments", "包联情况表"), ("visits", "走访记录"), ("officers", "服务官工作台账")):
        resp = xclient.get(f"/export/{kind}")
        assert resp.status_code == 200 and sheet in book(resp.data).sheetnames, kind
    bad = xclient.get("/export/ledger?tier=someday")
    assert bad.status_code == 302
    login(xclient, "ent01")
    foreign = enterprises_of("officer02")[0]
    resp = xclient.get(f"/export/ledger?enterprise={foreign}")
    assert resp.status_code == 200 and resp.headers["X-Export-Rows"] == "0"
    xclient.post("/logout/")
    resp = xclient.get("/export/ledger")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_api_download_with_jwt(ctx, xclient):
    headers = api_token(xclient, "officer01")
    resp = xclient.get("/api/v1/export/ledger?tier=overdue", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == exports.XLSX_MIMETYPE
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    _, _, items = ledger_sheet(resp.data)
    assert numbers(items) == scoped_numbers("officer01", {"tier": "overdue"})
    assert set(r["企业名称"].value for r in items) <= {db.session.get(Enterprise, e).name for e in enterprises_of("officer01")}
    resp = xclient.get("/api/v1/export/ledger?tier=someday", headers=headers)
    assert resp.status_code == 400 and "tier" in resp.get_json()["message"]
    for kind in ("assignments", "visits", "officers"):
        assert xclient.get(f"/api/v1/export/{kind}", headers=headers).status_code == 200, kind
    assert xclient.get("/api/v1/export/ledger").status_code == 401
    assert xclient.get("/api/v1/export/ledger", headers={"Authorization": "Bearer nonsense"}).status_code in (401, 422)


def test_cli_export(ctx, xapp, tmp_path):
    runner = xapp.test_cli_runner()
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(args=["cso", "export", "ledger", str(out)])
    assert result.exit_code == 0, result.output
    total = db.session.scalar(select(func.count()).select_from(Issue))
    assert f"已导出 {total} 行" in result.output and "全部数据" in result.output
    assert len(ledger_sheet(out.read_bytes())[2]) == total
    out2 = tmp_path / "mine.xlsx"
    result = runner.invoke(args=["cso", "export", "ledger", str(out2), "--user", "officer01", "-f", "tier=overdue"])
    assert result.exit_code == 0, result.output
    assert numbers(ledger_sheet(out2.read_bytes())[2]) == scoped_numbers("officer01", {"tier": "overdue"})
    for kind in ("assignments", "visits", "officers"):
        result = runner.invoke(args=["cso", "export", kind, str(tmp_path / f"{kind}.xlsx")])
        assert result.exit_code == 0 and (tmp_path / f"{kind}.xlsx").stat().st_size > 0, result.output
    result = runner.invoke(args=["cso", "export", "ledger", str(tmp_path / "x.xlsx"), "--user", "nobody"])
    assert result.exit_code != 0 and "账号不存在" in result.output
    result = runner.invoke(args=["cso", "export", "ledger", str(tmp_path / "y.xlsx"), "-f", "tier=someday"])
    assert result.exit_code != 0 and "筛选条件有误" in result.output and not (tmp_path / "y.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if re.match(r"tmp.*\.xlsx", p.name)) == []


def test_deadline_columns_use_the_current_due(ctx):
    """办理时限 is resolve_due, or the deadline that applies now before the transfer."""
    issue = new_issue("officer01", enterprises_of("officer01")[0], "时限列测试", "时限列测试。")
    _, data = ledger_bytes("office", {"q": "时限列测试"})
    _, _, items = ledger_sheet(data)
    row = next(r for r in items if r["问题编号"].value == issue.number)
    assert row["办理时限"].value.date() == issue.transfer_due
    assert row["交办时间"].value is None and row["办理状态"].value == "待受理"
    assert issue.transfer_due - clock.today() <= timedelta(days=7)


LEDGER_BUTTON = (
    "{% if appbuilder.sm.has_access('can_read', 'Export') %}"
    "<a class=\"btn btn-default pull-right\" id=\"cso-export\" href=\"{{ url_for('ExportView.ledger') }}"
    "{% if request.query_string %}?{{ request.query_string.decode() }}{% endif %}\">"
    "<i class=\"fa fa-file-excel-o\"></i> 导出Excel</a>{% endif %}")


def test_button_snippet_for_the_list_screens(xapp):
    """The snippet handed to the templates: the link keeps the list's filters, and only shows
    for a login holding can_read on Export."""
    from flask import g, render_template_string
    from flask_login import current_user, login_user

    with xapp.test_request_context("/ledger/?tier=overdue&region=文昌街道&q=a\"b"):
        login_user(xapp.appbuilder.sm.find_user(username="office"))
        g.user = current_user  # as FAB's before_request sets it
        html = render_template_string(LEDGER_BUTTON, appbuilder=xapp.appbuilder)
    assert 'href="/export/ledger?tier=overdue&amp;region=文昌街道&amp;q=a&#34;b"' in html and "导出Excel" in html
    with xapp.test_request_context("/ledger/"):
        g.user = current_user
        html = render_template_string(LEDGER_BUTTON, appbuilder=xapp.appbuilder)  # anonymous
    assert "导出Excel" not in html


# --- bad query arguments: a clear Chinese message, never a 500 ---------------------------------------

BAD_IDS = ["99999999999999999999", str(2**63), "3000000000", "-1", "0", "abc", "1.5", "1,x", "１", "9" * 5000]
BAD_DATES = ["昨天", "2026-13-01", "2026-02-30", "9999-12-31", "0001-01-01", "1999-12-31", "2026/05/01", "20260501",
             "-1", "99999999999999999999"]
BAD_MONTHS = ["2026-13", "9999-12", "0001-01", "1999-12", "2026-00", "abc", "1.5", "-1", "202605",
              "99999999999999999999"]
BAD_ARGS = {  # kind → {argument: bad values}
    "ledger": {"enterprise": BAD_IDS, "department": BAD_IDS, "officer": BAD_IDS,
               "received_from": BAD_DATES, "received_to": BAD_DATES, "tier": ["someday"], "order": ["random"]},
    "assignments": {"enterprise": BAD_IDS, "officer": BAD_IDS},
    "visits": {"enterprise": BAD_IDS, "officer": BAD_IDS, "date_from": BAD_DATES, "date_to": BAD_DATES,
               "mode": ["飞鸽传书"]},
    "officers": {"officer": BAD_IDS, "month_from": BAD_MONTHS, "month_to": BAD_MONTHS},
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def bad_cases():
    for kind, params in BAD_ARGS.items():
        for key, values in params.items():
            for value in values:
                yield kind, key, value


def test_bad_arguments_answer_400_in_chinese_on_the_api(ctx, xclient):
    headers = api_token(xclient, "office")
    for kind, key, value in bad_cases():
        resp = xclient.get(f"/api/v1/export/{kind}", query_string={key: value}, headers=headers)
        assert resp.status_code == 400, (kind, key, value[:30], resp.status_code)
        message = resp.get_json()["message"]
        assert list(message) == [key] and CHINESE.search(message[key][0]), (kind, key, message)


def test_bad_arguments_flash_a_chinese_message_on_the_screens(ctx, xclient):
    login(xclient, "office")
    for kind, key, value in bad_cases():
        resp = xclient.get(f"/export/{kind}", query_string={key: value})
        assert resp.status_code == 302, (kind, key, value[:30], resp.status_code)
        with xclient.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        assert flashes and flashes[-1][0] == "danger" and "导出条件有误" in flashes[-1][1], (kind, key, flashes)
        assert CHINESE.search(flashes[-1][1].split("：", 1)[1]), flashes


def test_good_edge_arguments_still_export(ctx, xclient):
    headers = api_token(xclient, "office")
    ent = enterprises_of("officer01")[0]
    for kind, args in (("ledger", {"enterprise": f" {ent} ,", "received_from": "2000-01-01", "received_to": "2100-12-31"}),
                       ("visits", {"officer": str(officer_of("officer01").id), "date_from": "2000-01-01"}),
                       ("assignments", {"enterprise": f"{ent}，{ent}"}),
                       ("officers", {"month_from": "2026-1", "month_to": "2026-02"})):
        resp = xclient.get(f"/api/v1/export/{kind}", query_string=args, headers=headers)
        assert resp.status_code == 200, (kind, resp.get_json() if resp.is_json else resp.status_code)
    # an id that exists nowhere is not an error: no rows
    resp = xclient.get("/api/v1/export/visits", query_string={"enterprise": "2147483647"}, headers=headers)
    assert resp.status_code == 200 and resp.headers["X-Export-Rows"] == "0"
    # FAB list filters with garbage are ignored or refused, never a 500
    for key, value in (("_flt_0_visit_date", "abc"), ("_flt_1_visit_date", "99999999999999999999"),
                       ("_flt_99999999999999999999_mode", "x"), ("_oc_VisitView", "summary;drop")):
        resp = xclient.get("/api/v1/export/visits", query_string={key: value}, headers=headers)
        assert resp.status_code in (200, 400), (key, resp.status_code)


def test_the_ledger_list_parses_the_same_way(ctx, xclient):
    """The ledger list (API and screen) reads its filters with app.querystring too."""
    headers = api_token(xclient, "office")
    for key, value in (("enterprise", str(2**63)), ("officer", "-1"), ("received_from", "9999-12-31"),
                       ("received_to", "2026-02-30"), ("page", "-1"), ("page_size", "abc"), ("page", "9" * 30)):
        resp = xclient.get("/api/v1/issue/", query_string={key: value}, headers=headers)
        assert resp.status_code == 400, (key, value, resp.status_code)
        assert CHINESE.search(resp.get_json()["message"][key][0]), resp.get_json()
    login(xclient, "office")
    resp = xclient.get("/ledger/", query_string={"enterprise": "99999999999999999999"})
    assert resp.status_code == 302


# --- the workbook module: one safe writer for every workbook ------------------------------------------

def test_write_cell_keeps_every_hostile_text_plain_in_shared_strings():
    """In a normal (shared-string) workbook, as bulletins and the credentials sheet write them."""
    from app.exports.workbook import open_workbook, text_formats, write_cell

    hostile = INJECTIONS + ["<r><t>a</t></r></si><si><r><t>b</t></r>", "a\x01b\x1fc", "_x0041_", "x\ud800y", "é" * 40000]
    buf = io.BytesIO()
    wb = open_workbook(buf, streaming=False)
    ws = wb.add_worksheet("s")
    plain, quoted = text_formats(wb, {"border": 1})
    for row, text in enumerate(hostile):
        write_cell(ws, row, 0, text, plain, quoted)
        write_cell(ws, row, 1, f"after {row}", plain, quoted)  # a later shared string stays in its place
    write_cell(ws, len(hostile), 0, 12.5, plain)
    write_cell(ws, len(hostile), 1, clock.today(), plain, date_format=wb.add_format({"num_format": "yyyy-mm-dd"}))
    write_cell(ws, len(hostile), 2, None, plain)
    write_cell(ws, len(hostile), 3, clock.today(), plain)  # no date format: ISO text, never a bare number
    write_cell(ws, len(hostile), 4, True, plain)
    wb.close()
    sheet = book(buf.getvalue())["s"]
    read_back = CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue())).get_sheet_by_name("s").to_python()
    expect = [t.replace("\ud800", "\ufffd")[:32767] for t in hostile]
    for row, text in enumerate(expect, start=1):
        cell = sheet.cell(row, 1)
        assert cell.data_type == "s" and read_back[row - 1][0].rstrip("\u200b") == text, (row, text[:40])
        assert cell.quotePrefix == text.startswith(("=", "+", "-", "@"))
        assert sheet.cell(row, 2).value == read_back[row - 1][1] == f"after {row - 1}"
    last = len(hostile) + 1
    assert sheet.cell(last, 1).value == 12.5 and sheet.cell(last, 2).value.date() == clock.today()
    assert sheet.cell(last, 4).value == clock.today().isoformat() and sheet.cell(last, 5).value == "True"
    with zipfile.ZipFile(buf) as z:
        shared = z.read("xl/sharedStrings.xml").decode("utf-8")
        assert "<t>boom</t>" not in shared and "<t>a</t>" not in shared
        assert all("<f>" not in z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_streaming_table_keeps_control_characters_and_escapes():
    from app.exports.workbook import TEXT, Column, StreamingWorksheet, Styles, TableWriter, column_letter, open_workbook

    assert [column_letter(c) for c in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    texts = ["a\x01b", "_x0041_", "<r><t>x</t></r></si><si>", " lead", "x\ud800"]

    class Row:
        def __init__(self, text):
            self.text = text

    buf = io.BytesIO()
    wb = open_workbook(buf)
    ws = wb.add_worksheet("t", worksheet_class=StreamingWorksheet)
    table = TableWriter(ws, Styles(wb), [Column("文本", "text", TEXT, 20)], 0)
    table.header()
    for text in texts:
        table.add(Row(text))
    table.finish_widths()
    wb.close()
    values = [r[0] for r in CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue())).get_sheet_by_name("t").to_python()]
    assert values[1:] == [t.replace("\ud800", "\ufffd") for t in texts]
    assert [c.data_type for c in book(buf.getvalue())["t"]["A"]][1:] == ["s"] * len(texts)
