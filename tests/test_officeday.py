"""The office's day (issue 9, items 4–8): forms that help, reports that stay true, names and master
data, nothing offered that cannot be done. Each test goes through HTTP and fails on the code before
its fix."""
import io
import re
from datetime import date, datetime, time, timedelta

from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import select

from app import clock, db, duties, ledger
from app.models import DutyRecord, Issue, Report, Visit
from conftest import flashes, login
from world import enterprise_of_login, enterprises_of, officer_of


def _u(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _html(resp):
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


# --- item 8: nothing offered that cannot be done ----------------------------------------------------

def test_leader_sees_no_save_button_on_deadline_settings(ctx, client):
    login(client, "leader")
    page = _html(client.get("/settings/deadlines/"))
    assert 'id="cso-policy"' not in page and "保存并重算时限" not in page and "保存编号格式" not in page
    assert 'id="cso-policy-values"' in page  # the values, read-only
    assert client.post("/settings/deadlines/", data={"transfer_days": "2"}).status_code in (302, 403)
    login(client, "office")
    page = _html(client.get("/settings/deadlines/"))
    assert 'id="cso-policy"' in page and "保存并重算时限" in page


def test_holiday_page_import_form_only_for_the_office_and_the_builtin_calendar_for_a_year(ctx, client):
    login(client, "leader")
    page = _html(client.get("/holidayview/list/?year=2025"))
    assert 'id="cso-holiday-import"' not in page and 'type="file"' not in page
    # 2025: 元旦 1 Jan off; 春节 28 Jan – 4 Feb off; make-up working Sunday 26 Jan (State Council notice)
    table = page[page.index('id="cso-builtin-days"'):]
    assert "2025-01-01" in table and "元旦" in table
    assert re.search(r"2025-01-26</td><td>日</td><td>调休上班</td><td>春节", table)
    assert re.search(r"2025-10-01</td><td>三</td><td>放假</td><td>国庆节", table)
    assert "2026-" not in table  # only the chosen year
    assert '<option value="2004"' in page and '<option value="2026"' in page
    login(client, "office")
    page = _html(client.get("/holidayview/list/"))
    assert 'id="cso-holiday-import"' in page


def test_calendar_banner_asks_only_those_who_can_act(ctx, client):
    """The 2027 calendar is not in the package: the office is asked to enter it (on the ledger list and on a
    problem whose deadlines reach into 2027); the others get a short note only on such a problem's page —
    not on every page, about deadlines that do not concern them."""
    with clock.at(datetime(2026, 12, 1, 10, 0)):
        login(client, "office")
        assert "请办公室在“节假日”中" in _html(client.get("/ledger/"))
        mine = _u("ent01")
        near = ledger.create_issue(mine, enterprise_of_login("ent01"), "年内问题", "时限都在年内。", source="direct")
        far = ledger.create_issue(mine, enterprise_of_login("ent01"), "跨年问题", "时限到明年。", source="direct")
        db.session.commit()
        db.session.get(Issue, far.id).resolve_due = date(2027, 1, 20)
        db.session.commit()
        assert "2027年" not in _html(client.get(f"/ledger/{near.id}"))
        assert "请办公室在“节假日”中" in _html(client.get(f"/ledger/{far.id}"))
        for who in ("officer01", "dept01", "ent01", "leader"):
            login(client, who)
            page = _html(client.get("/ledger/"))
            assert "请办公室在“节假日”中" not in page and "尚未录入" not in page, who
        for who in ("officer01", "ent01", "leader"):
            login(client, who)
            assert "尚未录入" not in _html(client.get(f"/ledger/{near.id}")), who
            page = _html(client.get(f"/ledger/{far.id}"))
            assert "2027年的节假日安排尚未录入" in page and "请办公室在“节假日”中" not in page, who


# --- item 5: forms that help ------------------------------------------------------------------------

def _accepted_issue():
    issue = ledger.create_issue(_u("officer01"), enterprises_of("officer01")[0], "用电增容", "新厂房需要增容。",
                                category="水电气暖", level="major")
    ledger.transition(_u("office"), issue.id, "accept")
    db.session.commit()
    return issue


def test_assign_form_has_labelled_checkboxes_and_selects_show_saved_values(ctx, client):
    issue = _accepted_issue()
    login(client, "office")
    page = _html(client.get(f"/ledger/{issue.id}"))
    form = page[page.index('data-action="assign"'):]
    form = form[:form.index("</form>")]
    assert "<select" not in form.split('name="co_departments"')[0][-300:]  # not a Ctrl-click multi-select
    assert 'multiple' not in form
    assert form.count('type="checkbox" name="co_departments"') >= 5 and "配合单位" in form
    assert re.search(r'<option selected>\s*水电气暖</option>|<option selected>水电气暖</option>', form)
    assert re.search(r'<option value="major" selected>', form)  # the saved level, not a placeholder
    # several co-departments from checkboxes arrive as a list
    depts = [int(v) for v in re.findall(r'name="co_departments" value="(\d+)"', form)[:3]]
    resp = client.post(f"/ledger/{issue.id}/act", data={
        "action": "assign", "version": str(issue.version), "department": str(depts[0]),
        "co_departments": [str(depts[1]), str(depts[2])]}, follow_redirects=True)
    assert resp.status_code == 200
    db.session.expire_all()
    assert sorted(d.id for d in db.session.get(Issue, issue.id).co_departments) == sorted(depts[1:])


def test_destructive_actions_look_different_and_ask_first(ctx, client):
    issue = ledger.create_issue(_u("officer01"), enterprises_of("officer01")[0], "重复登记", "与另一问题重复。")
    db.session.commit()
    login(client, "office")
    page = _html(client.get(f"/ledger/{issue.id}"))
    void = page[page.index('data-action="void"'):]
    void = void[:void.index("</form>")]
    assert 'btn-danger' in void and 'data-confirm="确定作废' in void
    accept = page[page.index('data-action="accept"'):]
    accept = accept[:accept.index("</form>")]
    assert "btn-primary" in accept and "data-confirm" not in accept
    js = client.get("/static/cso.js").get_data(as_text=True)
    assert "submitter" in js  # a button's own data-confirm is asked


def test_report_submit_asks_for_confirmation(ctx, client):
    report = _draft_of("officer01")
    login(client, "officer01")
    page = _html(client.get(f"/reports/{report.id}"))
    submit = re.search(r'<button[^>]*name="submit"[^>]*>', page).group(0)
    assert 'data-confirm="确定报送' in submit
    save = re.search(r'<button[^>]*name="save"[^>]*>', page).group(0)
    assert "data-confirm" not in save


def test_officer_corrects_own_problem_while_new_then_not(ctx, client):
    login(client, "officer01")
    ent = enterprises_of("officer01")[0]
    client.post("/ledger/new", data={"enterprise": str(ent), "description": "写错了的描述", "source": "visit"})
    issue = db.session.scalar(select(Issue).where(Issue.description == "写错了的描述"))
    page = _html(client.get(f"/ledger/{issue.id}"))
    assert 'id="cso-edit"' in page
    resp = client.post(f"/ledger/{issue.id}/edit", data={"version": str(issue.version), "title": "厂区用电",
                                                         "description": "更正后的描述", "level": "ordinary"},
                       follow_redirects=True)
    assert "已保存修改" in _html(resp)
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert issue.description == "更正后的描述" and issue.title == "厂区用电"
    # a triage field the office owns stays the office's
    resp = client.post(f"/ledger/{issue.id}/edit", data={"version": str(issue.version), "triage_class": "simple"},
                       follow_redirects=True)
    assert any("不能在此修改" in f for f in flashes(_html(resp)))
    # another officer may not; once accepted, neither may the filer
    login(client, "officer02")
    assert client.get(f"/ledger/{issue.id}").status_code == 404
    ledger.transition(_u("office"), issue.id, "accept")
    db.session.commit()
    login(client, "officer01")
    page = _html(client.get(f"/ledger/{issue.id}"))
    assert 'id="cso-edit"' not in page
    resp = client.post(f"/ledger/{issue.id}/edit", data={"version": str(db.session.get(Issue, issue.id).version),
                                                         "description": "再改"}, follow_redirects=True)
    assert any("已受理" in f for f in flashes(_html(resp)))
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).description == "更正后的描述"


def test_direct_channel_source_not_offered_to_officers(ctx, client):
    login(client, "officer01")
    page = _html(client.get("/ledger/new"))
    assert 'value="direct"' not in page and 'value="visit"' in page
    resp = client.post("/ledger/new", data={"enterprise": str(enterprises_of("officer01")[0]),
                                            "description": "冒充直通车", "source": "direct"})
    assert "问题来源应为" in _html(resp)
    assert db.session.scalar(select(Issue.id).where(Issue.description == "冒充直通车")) is None
    login(client, "office")
    assert 'value="direct"' in _html(client.get("/ledger/new"))


def test_enterprise_form_is_written_for_the_enterprise(ctx, client):
    login(client, "ent01")
    page = _html(client.get("/ledger/new"))
    assert "请写明遇到的困难" in page and "用一句话说明您遇到的问题" in page
    assert "问题来源" not in page and "问题层级" not in page


# --- item 6: reports that stay true -----------------------------------------------------------------

def _draft_of(username):
    officer = officer_of(username)
    return db.session.scalar(select(Report).where(Report.officer_id == officer.id, Report.status == "draft",
                                                  Report.kind == "weekly").order_by(Report.period_start.desc()))


def test_draft_follows_the_data_and_keeps_the_officers_text(ctx, client):
    report = _draft_of("officer01")
    ent_id = enterprises_of("officer01")[0]
    login(client, "officer01")
    client.post(f"/reports/{report.id}", data={"content": "下周协调融资对接会，跟进用电增容。", "save": "1"})
    page = _html(client.get(f"/reports/{report.id}"))
    assert "cso-report-changes" not in page  # nothing changed since the save
    # a visit recorded after the draft was saved
    day = max(report.period_start, min(clock.today(), report.period_end))
    db.session.add(Visit(officer_id=report.officer_id, enterprise_id=ent_id, visit_date=day, mode="onsite",
                         topics="政策宣传", summary="宣讲新出台的技改补贴政策"))
    db.session.commit()
    page = _html(client.get(f"/reports/{report.id}"))
    facts = page[page.index('id="cso-report-facts"'):]
    facts = facts[:facts.index("</pre>")]
    assert "宣讲新出台的技改补贴政策" in facts  # the fresh facts
    assert 'id="cso-report-changes"' in page and "<ins>" in page  # what changed is shown
    assert "下周协调融资对接会，跟进用电增容。" in page  # the officer's own text kept
    with clock.at(datetime.combine(report.due_on, time(9, 0))):
        resp = client.post(f"/reports/{report.id}", data={"content": "下周协调融资对接会，跟进用电增容。", "submit": "1"},
                           follow_redirects=True)
    assert "已报送" in _html(resp)
    db.session.expire_all()
    saved = db.session.get(Report, report.id)
    assert saved.status == "submitted"
    assert "宣讲新出台的技改补贴政策" in saved.content and saved.content.endswith("下周协调融资对接会，跟进用电增容。")
    # submitted: frozen — a later visit does not change it
    db.session.add(Visit(officer_id=report.officer_id, enterprise_id=ent_id, visit_date=day, mode="phone",
                         summary="报送之后的电话回访"))
    db.session.commit()
    assert "报送之后的电话回访" not in _html(client.get(f"/reports/{report.id}"))


def test_report_list_shows_late_as_late(ctx, client):
    report = _draft_of("officer01")
    with clock.at(datetime.combine(report.due_on + timedelta(days=1), time(10, 0))):
        duties.submit_report(_u("officer01"), report.id, "迟了一天报送的本周工作情况。")
        db.session.commit()
    assert db.session.scalar(select(DutyRecord.id).where(DutyRecord.report_id == report.id,
                                                         DutyRecord.kind == "late_report"))
    login(client, "office")
    page = _html(client.get("/reports/"))
    row = re.search(rf'<tr class="([^"]*)" data-state="(\w+)">\s*<td[^>]*>[^<]*</td><td[^>]*><a href="/reports/{report.id}"', page)
    assert row and row.group(2) == "late" and "success" not in row.group(1)
    late_rows = _html(client.get("/reports/?state=late"))
    assert f'href="/reports/{report.id}"' in late_rows and 'data-state="submitted"' not in late_rows
    on_time = _html(client.get("/reports/?state=submitted"))
    assert f'href="/reports/{report.id}"' not in on_time
    assert "2026-W" not in page and re.search(r"\d{4}年第\d+周（\d+月\d+日—\d+月\d+日）", page)


def test_reports_export_to_xlsx_scoped_and_filtered(ctx, client):
    login(client, "officer01")
    resp = client.get("/reports/xlsx?kind=weekly")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    header = [c.value for c in ws[3]]
    assert header[:4] == ["序号", "服务官", "工作单位", "类型"] and "报告内容" in header
    officers = {ws.cell(r, 2).value for r in range(4, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)}
    kinds = {ws.cell(r, 4).value for r in range(4, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)}
    assert officers == {officer_of("officer01").name} and kinds == {"周报"}
    login(client, "office")
    ws = load_workbook(io.BytesIO(client.get("/reports/xlsx").data)).active
    assert len({ws.cell(r, 2).value for r in range(4, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)}) > 5
    assert client.get("/reports/xlsx?state=nonsense", follow_redirects=True).status_code == 200
    page = _html(client.get("/reports/"))
    assert 'id="cso-reports-xlsx"' in page and "data-cso-print" in page


def test_report_list_filters_and_sorts(ctx, client):
    login(client, "office")
    officer = officer_of("officer01")
    page = _html(client.get(f"/reports/?officer={officer.id}&kind=weekly"))
    names = set(re.findall(r'<tr class="[^"]*" data-state="\w+">\s*<td[^>]*>([^<]*)</td>', page))
    assert names == {officer.name}
    ent = enterprise_of_login("ent01")
    page = _html(client.get(f"/reports/?enterprise={ent}"))
    assert re.findall(r'data-state="\w+">\s*<td[^>]*>([^<]*)</td>', page)
    page = _html(client.get("/reports/?sort=officer&kind=weekly"))
    names = re.findall(r'data-state="\w+">\s*<td[^>]*>([^<]*)</td>', page)
    from app.pinyin_order import key
    assert names == sorted(names, key=key) and len(set(names)) > 3
    resp = client.get("/reports/?sort=bogus", follow_redirects=True)
    assert "排序应为" in _html(resp)


# --- item 4: lists like a spreadsheet ---------------------------------------------------------------

def _ledger_rows(page):
    """(number, enterprise, status label) of each ledger row."""
    return re.findall(r'<tr class="[^"]*" data-tier="[^"]*" data-status="(\w+)">\s*<td[^>]*><a href="/ledger/(\d+)">'
                      r'([^<]+)</a></td>\s*<td>([^<]*)</td>', page)


def test_ledger_sorts_by_every_column(ctx, client):
    login(client, "office")
    up = _ledger_rows(_html(client.get("/ledger/?order=enterprise&page_size=100")))
    down = _ledger_rows(_html(client.get("/ledger/?order=-enterprise&page_size=100")))
    assert len(up) > 20 and down == list(reversed(up))
    page = _html(client.get("/ledger/?order=status&page_size=100"))
    from app.models import ISSUE_STATUSES
    order = list(ISSUE_STATUSES)
    statuses = [order.index(s) for s, *_ in _ledger_rows(page)]
    assert statuses == sorted(statuses) and len(set(statuses)) > 2  # in the workflow's order
    for column in ("number", "title", "category", "department", "received_on", "due_on"):
        page = _html(client.get(f"/ledger/?order={column}"))
        assert f'href="/ledger/?order=-{column}' in page.replace("&amp;", "&")  # the header reverses it
        assert _ledger_rows(page)
    assert "排序应为" in _html(client.get("/ledger/?order=bogus", follow_redirects=True))


def test_ledger_page_sizes_and_jump_to_page(ctx, client):
    login(client, "office")
    page = _html(client.get("/ledger/?page_size=10"))
    total = int(re.search(r'id="cso-count">(\d+)<', page).group(1))
    pages = (total + 9) // 10
    assert len(_ledger_rows(page)) == 10 and f"第 1 / {pages} 页" in page
    assert 'id="cso-goto"' in page and 'page_size=20' in page and 'page_size=50' in page
    third = _html(client.get("/ledger/?page_size=10&goto=3"))
    assert f"第 3 / {pages} 页" in third
    assert _ledger_rows(third) == _ledger_rows(_html(client.get("/ledger/?page_size=10&page=2")))
    resp = client.get("/ledger/?page_size=10&goto=abc", follow_redirects=True)
    assert "页码应为正整数" in _html(resp)
    resp = client.get("/ledger/?page_size=10&goto=999", follow_redirects=True)
    assert f"第 {pages} / {pages} 页" in _html(resp)  # past the end: the last page, not an empty one


def test_ledger_filters_pending_extension_source_and_level(ctx, client):
    issue = _accepted_issue()
    from world import department_of_login
    ledger.transition(_u("office"), issue.id, "assign", {"department": department_of_login("dept01")})
    ledger.transition(_u("dept01"), issue.id, "acknowledge")
    ledger.transition(_u("dept01"), issue.id, "request_extension",
                      {"new_due": (issue.resolve_due + timedelta(days=20)).isoformat(), "reason": "需要补充材料"})
    db.session.commit()
    pending = set(db.session.scalars(select(Issue.id).where(Issue.pending_due.is_not(None))))
    assert issue.id in pending
    login(client, "office")
    page = _html(client.get("/ledger/?pending=1&page_size=100"))
    assert {int(pk) for _, pk, *_ in _ledger_rows(page)} == pending
    assert 'name="pending"' in page and "延期待批" in page
    page = _html(client.get("/ledger/?source=direct&page_size=100"))
    direct = set(db.session.scalars(select(Issue.id).where(Issue.source == "direct")))
    assert direct and {int(pk) for _, pk, *_ in _ledger_rows(page)} == direct
    page = _html(client.get("/ledger/?level=major&page_size=100"))
    major = set(db.session.scalars(select(Issue.id).where(Issue.level == "major")))
    assert {int(pk) for _, pk, *_ in _ledger_rows(page)} == major
    login(client, "ent01")  # an enterprise neither sees nor uses the office's deliberations
    page = _html(client.get("/ledger/?pending=1"))
    assert 'name="pending"' not in page
    own = set(db.session.scalars(select(Issue.id).where(Issue.enterprise_id == enterprise_of_login("ent01"))))
    assert {int(pk) for _, pk, *_ in _ledger_rows(page)} == own


def _options(page, name):
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [t.strip() for v, t in re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select_html)]


def test_pick_lists_are_in_pinyin_order(ctx, client):
    from app.pinyin_order import key
    login(client, "office")
    page = _html(client.get("/ledger/"))
    for name in ("officer", "department"):
        names = _options(page, name)
        assert len(names) > 5 and names == sorted(names, key=key), name
    officers = _options(page, "officer")
    assert officers != sorted(officers)  # code point order would differ for these names
    login(client, "officer01")
    names = _options(_html(client.get("/ledger/new")), "enterprise")
    assert names == sorted(names, key=key)


def test_fab_lists_filter_by_enterprise_officer_region_and_sort_by_any_column(ctx, client):
    from app.models import Enterprise
    login(client, "office")
    ent = db.session.get(Enterprise, enterprises_of("officer01")[0])
    page = _html(client.get(f"/visitview/list/?_flt_0_enterprise={ent.id}"))
    cells = re.findall(r"<td>\s*(焦作[^<]*|河南[^<]*)\s*</td>", page)
    assert cells and set(cells) == {ent.name}
    region = ent.subdistrict
    in_region = set(db.session.scalars(select(Enterprise.name).where(Enterprise.subdistrict == region)))
    page = _html(client.get("/visitview/list/", query_string={"region": region}))
    cells = set(re.findall(r"<td>\s*(焦作[^<]*|河南[^<]*)\s*</td>", page))
    assert cells and cells <= in_region
    assert 'id="cso-region-filter"' in page
    for view, column in (("visitview", "officer.name"), ("visitview", "enterprise.name"),
                         ("assignmentview", "enterprise.name"), ("assignmentview", "officer.name"),
                         ("assignmentview", "end_reason"), ("dutyrecordview", "officer.name"),
                         ("enterpriseview", "phone"), ("officerview", "title"), ("departmentview", "email")):
        name = {"visitview": "VisitView", "assignmentview": "AssignmentView", "dutyrecordview": "DutyRecordView",
                "enterpriseview": "EnterpriseView", "officerview": "OfficerView", "departmentview": "DepartmentView"}[view]
        resp = client.get(f"/{view}/list/?_oc_{name}={column}&_od_{name}=asc")
        assert resp.status_code == 200, (view, column)
        assert f"_oc_{name}={column}" in resp.get_data(as_text=True).replace("&amp;", "&"), (view, column)
    # the search panel is open and the buttons say what they do (the same as the ledger)
    page = _html(client.get("/assignmentview/list/"))
    assert 'class="panel-collapse collapse in"' in page and "cso-lists.css" in page
    css = client.get("/static/cso-lists.css").get_data(as_text=True)
    assert ".btn .sr-only" in css and "white-space: nowrap" in css


def test_duty_record_periods_in_chinese(ctx, client):
    login(client, "office")
    page = _html(client.get("/dutyrecordview/list/"))
    assert re.search(r"\d{4}年第\d+周（\d+月\d+日—\d+月\d+日）", page)
    body = page[page.index("<tbody"):] if "<tbody" in page else page
    assert not re.search(r">\s*\d{4}-W\d{2}\s*<", body)


# --- item 7: names and master data ------------------------------------------------------------------

CELL = r'\s*<span[^>]*>\s*{}\s*</span>\s*</td>'  # a FAB show page's value cell


def _cli(*args):
    return current_app.test_cli_runner().invoke(args=["cso", *args])


def test_enterprise_login_is_named_after_the_enterprise_whole(ctx, client):
    from app.models import Enterprise
    long_name = "焦作市示范区恒达精密机械装备制造与新材料应用技术研究开发有限责任公司第二分公司（筹）" * 2  # 92 chars
    ent = Enterprise(name=long_name[:100], subdistrict="文昌街道", is_key=True)
    db.session.add(ent)
    db.session.commit()
    result = _cli("create-login", "entlong", "--role", "Enterprise", "--password", "Ent-Login-2026x",
                  "--enterprise", str(ent.id), "--keep-password")
    assert result.exit_code == 0, result.output
    user = _u("entlong")
    assert user.first_name + user.last_name == ent.name  # not cut to ten characters, no 联系人
    # the history names the enterprise too
    login(client, "entlong", "Ent-Login-2026x")
    client.post("/ledger/new", data={"enterprise": str(ent.id), "description": "名称很长的企业反映的问题"})
    issue = db.session.scalar(select(Issue).where(Issue.description == "名称很长的企业反映的问题"))
    page = _html(client.get(f"/ledger/{issue.id}"))
    history = page[page.index('id="cso-history"'):]
    assert ent.name in history
    # the demo's enterprise logins too
    demo = _u("ent01")
    assert demo.first_name + demo.last_name == db.session.get(Enterprise, enterprise_of_login("ent01")).name


def test_person_names_surname_first_and_labelled_so(ctx, client):
    result = _cli("create-login", "wangwei", "--role", "Office", "--password", "Wang-Login-2026x", "--name", "王伟",
                  "--keep-password")
    assert result.exit_code == 0, result.output
    user = _u("wangwei")
    assert (user.first_name, user.last_name) == ("王", "伟")
    login(client, "wangwei", "Wang-Login-2026x")
    page = _html(client.get("/users/userinfo/"))
    assert re.search(r"<th[^>]*>\s*姓\s*</th>\s*<td>" + CELL.format("王"), page)  # 姓 is the surname
    assert re.search(r"<th[^>]*>\s*名\s*</th>\s*<td>" + CELL.format("伟"), page)
    assert re.search(r"显示名称\s*</th>\s*<td>" + CELL.format("王伟"), page)


def test_profile_and_user_list_in_chinese(ctx, client):
    login(client, "officer01")
    page = _html(client.get("/users/userinfo/"))
    assert "True" not in page and "[Officer]" not in page and "Officer]" not in page
    assert re.search(r"是否启用\s*</th>\s*<td>" + CELL.format("是"), page)
    assert re.search(r"角色\s*</th>\s*<td>" + CELL.format("首席服务官"), page)
    login(client, "admin")
    page = _html(client.get("/users/list/"))
    body = page[page.index("<tbody"):] if "<tbody" in page else page
    assert "True" not in body and "[Office]" not in body and "None" not in body
    assert "首席服务官办公室" in body and "显示名称" in page


def test_department_sees_the_enterprises_contact_on_its_problem(ctx, client):
    from app.models import Enterprise
    from world import department_of_login
    issue = _accepted_issue()
    ledger.transition(_u("office"), issue.id, "assign", {"department": department_of_login("dept01")})
    db.session.commit()
    ent = db.session.get(Enterprise, issue.enterprise_id)
    assert ent.contact and ent.phone
    login(client, "dept01")
    page = _html(client.get(f"/ledger/{issue.id}"))
    row = page[page.index('id="cso-issue-contact"'):]
    row = row[:row.index("</tr>")]
    assert ent.contact in row and ent.phone in row


def test_roster_import_opens_liaison_logins_only_when_asked(ctx, client):
    from app.roster import DEFAULT_LOGINS, LOGIN_CHOICES
    assert DEFAULT_LOGINS == "chief" and "具体分包人" in LOGIN_CHOICES["chief"]
    login(client, "office")
    page = _html(client.get("/import/assignments/"))
    select_html = re.search(r'<select name="logins"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option value="chief" selected>', select_html)  # the default the office sees


def test_migration_renames_old_enterprise_logins_and_their_history(tmp_path):
    """An installation whose enterprise logins were made by the old rule (ten characters + 联系人):
    migration 0021 gives them the enterprise's name, in the problem histories too."""
    import os
    import sqlite3
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = tmp_path / "old.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "FLASK_APP": "app",
           "CSO_INSTANCE_DIR": str(tmp_path / "inst")}
    flask = lambda *a: subprocess.run([sys.executable, "-m", "flask", *a], cwd=root, env=env,  # noqa: E731
                                      capture_output=True, text=True, timeout=300)
    assert flask("db", "upgrade", "0020").returncode == 0
    name = "焦作市恒达精密机械有限公司"
    con = sqlite3.connect(path)
    con.executescript(f"""
        INSERT INTO enterprise (id, name, is_key, created_at) VALUES (1, '{name}', 1, '2026-11-01 00:00:00');
        INSERT INTO enterprise (id, name, is_key, created_at) VALUES (2, '焦作市另一家企业有限公司', 1, '2026-11-01 00:00:00');
        INSERT INTO ab_user (id, first_name, last_name, username, email, active)
            VALUES (1, '{name[:10]}', '联系人', 'ent01', 'e1@x.invalid', 1);
        INSERT INTO ab_user (id, first_name, last_name, username, email, active)
            VALUES (2, '李', '经理', 'ent02', 'e2@x.invalid', 1);
        INSERT INTO enterprise_user (user_id, enterprise_id) VALUES (1, 1);
        INSERT INTO enterprise_user (user_id, enterprise_id) VALUES (2, 2);
        INSERT INTO issue (id, number, year, seq, enterprise_id, source, level, title, description, status,
                           received_on, rework_count, version, created_at, updated_at)
            VALUES (1, '2026-0001', 2026, 1, 1, 'direct', 'ordinary', 't', 'd', 'new', '2026-11-30', 0, 1,
                    '2026-11-30 01:00:00', '2026-11-30 01:00:00');
        INSERT INTO issue_event (issue_id, at, actor_id, actor_name, action, internal)
            VALUES (1, '2026-11-30 01:00:00', 1, '{name[:10]}联系人', 'create', 0);
    """)
    con.commit()
    con.close()
    result = flask("db", "upgrade")
    assert result.returncode == 0, result.stderr[-2000:]
    con = sqlite3.connect(path)
    assert con.execute("SELECT first_name || last_name FROM ab_user WHERE id = 1").fetchone()[0] == name
    assert con.execute("SELECT first_name || last_name FROM ab_user WHERE id = 2").fetchone()[0] == "李经理"
    assert con.execute("SELECT actor_name FROM issue_event WHERE issue_id = 1").fetchone()[0] == name
    con.close()


def test_fab_form_pick_lists_are_in_pinyin_order(ctx, client):
    """The related-field selects FAB builds (add, edit and search forms) list their rows by pinyin."""
    from app.pinyin_order import key
    login(client, "office")
    for url in ("/assignmentview/add", "/visitview/add", "/assignmentview/list/"):
        page = _html(client.get(url))  # the list's search form: its fields as JSON for FAB's filter script
        page = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), page).replace('\\"', '"')
        for name in ("officer", "enterprise"):
            match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
            assert match, (url, name)
            names = [t.strip() for v, t in re.findall(r'<option value="([^"_][^"]*)"[^>]*>([^<]+)</option>',
                                                     match.group(1))]
            assert len(names) > 5 and names == sorted(names, key=key), (url, name, names[:8])
    page = _html(client.get("/assignmentview/add"))
    officers = [t.strip() for v, t in re.findall(
        r'<option value="(\d+)"[^>]*>([^<]+)</option>',
        re.search(r'<select[^>]*name="officer"[^>]*>(.*?)</select>', page, re.S).group(1))]
    assert officers != sorted(officers)  # code point order would differ for the demo's names


def test_a_problem_filed_from_a_visit_dates_from_it_links_back_and_is_named_by_its_first_clause(ctx, client):
    """登记本次走访发现的问题: 反映时间 is the visit's day (the enterprise told the officer then: the 13710
    deadlines run from it), the problem page links its visit, and a title left empty is the description's
    first clause — never cut mid-word (the walk-through read “…请协”)."""
    from app.ledger.filing import TITLE_FROM_TEXT, default_title

    ent = enterprises_of("officer01")[0]
    visit = db.session.scalar(select(Visit).where(Visit.enterprise_id == ent, Visit.visit_date < clock.today())
                              .order_by(Visit.visit_date.desc()).limit(1))
    login(client, "officer01")
    form = _html(client.get(f"/ledger/new?visit={visit.id}"))
    assert f'name="received_on" max="{clock.today().isoformat()}" value="{visit.visit_date.isoformat()}"' in form
    text = "企业新建厂房需办理施工许可，因规划条件调整导致图纸审查反复退回，已耽误两个月工期，请协调住建、自然资源部门加快审批。"
    resp = client.post(f"/ledger/new?visit={visit.id}", data={"visit": str(visit.id), "enterprise": str(ent),
                                                              "description": text, "source": "visit"})
    assert resp.status_code == 302, _html(resp)[:2000]
    issue = db.session.scalar(select(Issue).where(Issue.visit_id == visit.id).order_by(Issue.id.desc()).limit(1))
    assert issue.received_on == visit.visit_date  # the form's default: the visit's day
    assert issue.title == "企业新建厂房需办理施工许可，因规划条件调整导致图纸审查反复退回"  # whole clauses
    assert len(issue.title) <= TITLE_FROM_TEXT
    page = _html(client.get(f"/ledger/{issue.id}"))
    assert f'<a href="/visitview/show/{visit.id}" id="cso-issue-visit">' in page
    # the rule, at its edges: a short first sentence, no boundary early enough, a text within the limit
    assert default_title("道路破损。影响物流") == "道路破损"
    assert default_title("甲" * 50) == "甲" * (TITLE_FROM_TEXT - 1) + "…"
    assert default_title("用电增容需求迫切，") == "用电增容需求迫切"


def test_the_confirm_form_asks_the_enterprise_in_its_own_words_and_presets_no_rating(ctx, client):
    """确认评价: the enterprise chooses its rating (nothing preselected: 满意 was, and a careless submit rated it)
    and is asked for its own view (the office, confirming for it after a call-back, is asked for the call-back)."""
    resolved = db.session.scalars(select(Issue).where(Issue.status == "resolved")).all()
    ent_logins = {enterprise_of_login(f"ent{n:02d}"): f"ent{n:02d}" for n in range(1, 32)}
    issue = next(i for i in resolved if i.enterprise_id in ent_logins)
    login(client, ent_logins[issue.enterprise_id])
    page = _html(client.get(f"/ledger/{issue.id}"))
    select_html = re.search(r'<select[^>]*name="satisfaction"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert select_html.startswith('<option value="">请选择满意度</option>') and "selected" not in select_html
    assert "您的意见或建议（可选）" in page and "代企业确认时必填" not in page
