"""Home pages that say what to do next (issue 9 item 3): each role's queues; every figure on every
home page is a link, and the list behind it shows that many rows; 催报 is recorded and told; the
weekly visit row's 登记走访 opens the form for that enterprise; the page costs the same number of
statements however much data there is."""
import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import event, select

from app import clock, db, ledger
from app.models import Issue, Reminder, Report
from app.notifications.models import Notification
from conftest import login
from world import department_of_login, enterprise_of_login, enterprises_of, officer_of, user_id

FIGURE = re.compile(r'<a\b(?=[^>]*\bdata-k="(?P<k>[^"]+)")(?=[^>]*\bhref="(?P<href>[^"]+)")[^>]*>(?P<n>[^<]*)</a>')


def _figures(html):
    """{data-k: (href, number)} of the home page's linked figures (the number shown; n/m → data-n)."""
    out = {}
    for m in FIGURE.finditer(html):
        tag = m.group(0)
        shown = re.search(r'data-n="(\d+)"', tag)
        text = m.group("n").strip()
        number = int(shown.group(1)) if shown else int(re.match(r"\d+", text).group())
        out[m.group("k")] = (m.group("href").replace("&amp;", "&"), number)
    return out


def _rows_of(client, href):
    """How many rows the list at ``href`` holds (all pages): its own count where it prints one."""
    html = client.get(href).get_data(as_text=True)
    m = re.search(r'id="cso-count">(\d+)<', html) or re.search(r"<strong>[^<]*:</strong>\s*(\d+)", html) \
        or re.search(r"共\s*(\d+)\s*(?:条|份|家)", html)
    assert m, f"no count on {href}"
    return int(m.group(1))


def _check_every_figure(client, username, expected_keys):
    login(client, username)
    html = client.get("/").get_data(as_text=True)
    figures = _figures(html)
    assert expected_keys <= set(figures), (username, expected_keys - set(figures))
    for key, (href, number) in figures.items():
        if href.startswith("/reports/") and 'name="state"' not in client.get("/reports/").get_data(as_text=True):
            continue  # the reports list learns its state filter in issue 9 item 6 (another part of this issue)
        assert _rows_of(client, href) == number, (username, key, href, number)
    if "late_reports" in figures:  # the office's table lists each late report once, the first LATE_ROWS of them
        from app.notifications.queues import LATE_ROWS

        assert len(re.findall(r'<tr data-report="\d+">', html)) == min(figures["late_reports"][1], LATE_ROWS)
    return figures, html


def _u(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _make_office_work():
    """One problem in each of the office's queues, worked out by hand."""
    office, officer = _u("office"), _u("officer01")
    ent = enterprise_of_login("ent01")
    dept = str(department_of_login("dept01"))
    made = {}
    new = ledger.create_issue(officer, ent, "待受理的问题", "测试：待受理。", category="融资信贷")
    made["to_accept"] = new.id
    accepted = ledger.create_issue(officer, ent, "待转办的问题", "测试：待转办。", category="融资信贷")
    ledger.transition(office, accepted.id, "accept")
    returned = ledger.create_issue(officer, ent, "被退回的问题", "测试：退回。", category="融资信贷")
    ledger.transition(office, returned.id, "accept")
    ledger.transition(office, returned.id, "assign", {"department": dept})
    ledger.transition(_u("dept01"), returned.id, "return", {"reason": "不属于本单位"})
    ext = ledger.create_issue(officer, ent, "申请延期的问题", "测试：延期。", category="融资信贷")
    ledger.transition(office, ext.id, "accept")
    ledger.transition(office, ext.id, "assign", {"department": dept})
    ledger.transition(_u("dept01"), ext.id, "request_extension", {"new_due": "2099-12-31", "reason": "协调中"})
    db.session.commit()
    return made


def test_office_queues_count_what_their_lists_show(ctx, client):
    before = {}
    login(client, "office")
    before = _figures(client.get("/").get_data(as_text=True))
    _make_office_work()
    figures, html = _check_every_figure(client, "office", {
        "to_accept", "to_transfer", "returned", "extension", "unable", "to_close", "unvisited", "late_reports",
        "open", "overdue", "approaching", "enterprises", "officers", "departments", "assignments", "visits_week"})
    for key in ("to_accept", "to_transfer", "returned", "extension"):
        assert figures[key][1] == before[key][1] + 1, key  # each new problem in exactly its queue
    assert figures["unable"][1] == before["unable"][1] and figures["to_close"][1] == before["to_close"][1]
    # the returned one is not also waiting as a fresh transfer
    page = client.get("/ledger/?queue=returned").get_data(as_text=True)
    assert "被退回的问题" in page and "待转办的问题" not in page
    assert "被退回的问题" not in client.get("/ledger/?queue=to_transfer").get_data(as_text=True)
    assert "被退回、待重新转办" in page  # the list says which queue it shows
    # 11/31: the coverage is a link to the unvisited list
    assert re.search(r'id="cso-coverage"><a href="/queues/unvisited"', html)


def test_an_unknown_queue_is_a_chinese_error_not_a_500(ctx, client):
    login(client, "office")
    resp = client.get("/ledger/?queue=nonsense", follow_redirects=True)
    assert resp.status_code == 200 and "待办类别" in resp.get_data(as_text=True)


def test_department_home_shows_open_items_marked_lead_or_co_and_closed_in_their_own_tab(ctx, client):
    office, officer = _u("office"), _u("officer01")
    ent = enterprise_of_login("ent01")
    lead = ledger.create_issue(officer, ent, "本单位牵头的问题", "测试。", category="融资信贷")
    co = ledger.create_issue(officer, ent, "本单位配合的问题", "测试。", category="融资信贷")
    for issue, params in ((lead, {"department": str(department_of_login("dept01"))}),
                          (co, {"department": str(department_of_login("dept02")),
                                "co_departments": [str(department_of_login("dept01"))]})):
        ledger.transition(office, issue.id, "accept")
        ledger.transition(office, issue.id, "assign", params)
    db.session.commit()
    figures, html = _check_every_figure(client, "dept01", {"to_acknowledge", "approaching", "overdue"})
    rows = re.findall(r'<tr data-status="(\w+)"[^>]*>.*?label-(?:primary|default)">(牵头|配合)</span>.*?<td>(.*?)</td><td>(.*?)</td>',
                      html.split('id="cso-department-items"')[1], re.S)
    assert rows and all(status in ("new", "accepted", "assigned", "in_progress") for status, *_ in rows)
    marks = {title: part for _, part, _, title in rows}
    if "本单位牵头的问题" in marks:
        assert marks["本单位牵头的问题"] == "牵头"
    if "本单位配合的问题" in marks:
        assert marks["本单位配合的问题"] == "配合"
    open_total = int(re.search(r'id="cso-department-all" data-n="(\d+)"', html).group(1))
    href = re.search(r'id="cso-department-all" data-n="\d+" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert _rows_of(client, href) == open_total
    done = client.get("/?tab=done").get_data(as_text=True)
    done_rows = re.findall(r'<tr data-status="(\w+)"[^>]*>', done.split('id="cso-department-items"')[1])
    assert all(s in ("resolved", "closed", "unable") for s in done_rows)
    done_total = int(re.search(r'id="cso-department-all" data-n="(\d+)"', done).group(1))
    href = re.search(r'id="cso-department-all" data-n="\d+" href="([^"]+)"', done).group(1).replace("&amp;", "&")
    assert _rows_of(client, href) == done_total
    # 待签收 counts the lead unit's assigned problems only
    ack = client.get("/ledger/?queue=to_acknowledge").get_data(as_text=True)
    assert "本单位牵头的问题" in ack and "本单位配合的问题" not in ack


def test_officer_home_counts_by_tier_and_each_visit_button_opens_that_enterprise(ctx, client):
    figures, html = _check_every_figure(client, "officer01", {"open", "approaching", "overdue_only", "serious"})
    table = html.split('id="cso-my-enterprises"')[1].split("</table>")[0]
    links = re.findall(r'href="/enterpriseview/show/(\d+)".*?href="([^"]*visitview/add[^"]*)"', table, re.S)
    mine = set(enterprises_of("officer01"))
    assert len(links) == len(mine) >= 2
    for ent, href in links:
        assert href.endswith(f"enterprise={ent}")
        form = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        selected = re.search(r'<select[^>]*name="enterprise".*?</select>', form, re.S).group(0)
        assert re.search(rf'<option selected value="{ent}"|<option value="{ent}" selected', selected), ent
    # a foreign enterprise is not preset
    foreign = enterprises_of("officer02")[0]
    form = client.get(f"/visitview/add?enterprise={foreign}").get_data(as_text=True)
    assert not re.search(rf'value="{foreign}"[^>]*selected|selected[^>]*value="{foreign}"', form)


def test_officer_home_shows_the_report_due(ctx, client):
    login(client, "officer01")
    officer = officer_of("officer01")
    drafts = db.session.scalars(select(Report).where(Report.officer_id == officer.id, Report.status == "draft")).all()
    html = client.get("/").get_data(as_text=True)
    for r in drafts:
        assert f'href="/reports/{r.id}"' in html
    if not drafts:
        assert "目前没有待报送的报告" in html


def test_leader_home_links_the_dashboard_and_the_bulletins(ctx, client):
    figures, html = _check_every_figure(client, "leader", {"open", "enterprises", "unvisited"})
    assert 'id="cso-leader-dashboard" href="/dashboard/"' in html and 'href="/bulletins/"' in html
    assert "催报" not in html  # the urge is the office's


def test_the_office_urges_a_late_report_once_a_day_and_the_officer_is_told(ctx, client):
    officer = officer_of("officer01")
    report = db.session.scalar(select(Report).where(Report.officer_id == officer.id).order_by(Report.id))
    report.status, report.due_on = "draft", clock.today() - timedelta(days=3)
    db.session.commit()
    login(client, "office")
    html = client.get("/").get_data(as_text=True)
    assert f'data-report="{report.id}"' in html and f"/queues/urge/{report.id}" in html
    before = db.session.scalar(select(db.func.count()).select_from(Reminder).where(
        Reminder.item_type == "report", Reminder.item_id == report.id, Reminder.tier == "late"))
    resp = client.post(f"/queues/urge/{report.id}", follow_redirects=True)
    assert "已向" in resp.get_data(as_text=True) and "催报" in resp.get_data(as_text=True)
    client.post(f"/queues/urge/{report.id}")  # a second click the same day
    db.session.expire_all()
    after = db.session.scalar(select(db.func.count()).select_from(Reminder).where(
        Reminder.item_type == "report", Reminder.item_id == report.id, Reminder.tier == "late"))
    assert after == before + 1  # recorded once: what 催而不报 counts from (app.duties.record_lapses)
    told = db.session.scalars(select(Notification).where(Notification.user_id == user_id("officer01"),
                                                         Notification.kind == "report_urge")).all()
    assert len(told) == 1 and told[0].url == f"/reports/{report.id}" and "催报" in told[0].title
    # the urge is the office's alone: no button for others, and the POST is refused
    for username in ("leader", "officer01", "dept01"):
        login(client, username)
        assert f"/queues/urge/{report.id}" not in client.get("/").get_data(as_text=True)
        resp = client.post(f"/queues/urge/{report.id}")
        assert resp.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Reminder).where(
        Reminder.item_type == "report", Reminder.item_id == report.id, Reminder.tier == "late")) == after


def test_the_unvisited_list_is_scoped(ctx, client):
    login(client, "officer01")
    page = client.get("/queues/unvisited").get_data(as_text=True)
    ids = {int(i) for i in re.findall(r'<tr data-id="(\d+)">', page)}
    assert ids <= set(enterprises_of("officer01"))
    for username in ("dept01", "ent01"):
        login(client, username)
        assert client.get("/queues/unvisited").status_code in (302, 403)


def _statements(client, path):
    count = [0]

    def before(*_):
        count[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count[0]


@pytest.mark.parametrize("username", ["office", "dept01", "officer01", "leader"])
def test_the_home_page_costs_the_same_with_more_data(ctx, client, username):
    login(client, username)
    client.get("/")
    first = _statements(client, "/")
    officer, office = _u("officer01"), _u("office")
    for ent in enterprises_of("officer01"):  # more problems, visits' worth of rows, in every queue
        for n in range(3):
            issue = ledger.create_issue(officer, ent, f"加量问题{n}", "测试。", category="融资信贷")
            ledger.transition(office, issue.id, "accept")
            ledger.transition(office, issue.id, "assign", {"department": str(department_of_login("dept01"))})
    db.session.commit()
    assert _statements(client, "/") == first


def test_a_queue_exports_as_its_list_with_its_name(ctx, client):
    import io

    import openpyxl

    _make_office_work()
    login(client, "office")
    count = _rows_of(client, "/ledger/?queue=to_transfer")
    resp = client.get("/export/ledger?queue=to_transfer")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    rows = len([r for r in book.worksheets[0].iter_rows(values_only=True) if r and isinstance(r[0], int)])
    text = " ".join(str(c.value) for ws in book.worksheets[1:] for row in ws.iter_rows() for c in row if c.value)
    assert "待办类别=待转办" in text  # the 汇总 sheet's 统计范围 names the queue
    assert rows == count >= 1
