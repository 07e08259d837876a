"""Home pages that do not grow with the province (issue 11 target 3): 被退回 / 待转办 count on the
problem's stored mark of its last 退回 (``issue.returned_at``, migration 0023 fills it from the
events), the small queues on partial indexes, all figures of a block in one statement, and the
office's late reports as the most overdue :data:`~app.notifications.queues.LATE_ROWS` with the total
and a link to the whole list. docs/notifications.md."""
import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app import clock, db, ledger
from app.models import Issue, Report
from app.notifications.queues import LATE_ROWS
from conftest import login
from test_home_queues import _rows_of as _listed
from world import department_of_login, enterprise_of_login, officer_of


def _u(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _figure(html, key):
    m = re.search(rf'<a\b(?=[^>]*\bdata-k="{key}")[^>]*>\s*(\d+)', html)
    return int(m.group(1))


def test_a_returned_problem_waits_as_returned_until_it_is_transferred_again(ctx, client):
    office, dept = _u("office"), _u("dept01")
    target = str(department_of_login("dept01"))
    login(client, "office")
    html = client.get("/").get_data(as_text=True)
    before = {k: _figure(html, k) for k in ("to_transfer", "returned")}
    issue = ledger.create_issue(_u("officer01"), enterprise_of_login("ent01"), "两次退回的问题", "测试。",
                                category="融资信贷")
    ledger.transition(office, issue.id, "accept")
    db.session.commit()
    assert db.session.get(Issue, issue.id).returned_at is None
    html = client.get("/").get_data(as_text=True)
    assert (_figure(html, "to_transfer"), _figure(html, "returned")) == (before["to_transfer"] + 1, before["returned"])

    ledger.transition(office, issue.id, "assign", {"department": target})
    ledger.transition(dept, issue.id, "return", {"reason": "不属于本单位"})
    db.session.commit()
    first = db.session.get(Issue, issue.id).returned_at
    assert first is not None
    html = client.get("/").get_data(as_text=True)
    assert (_figure(html, "to_transfer"), _figure(html, "returned")) == (before["to_transfer"], before["returned"] + 1)
    assert "两次退回的问题" in client.get("/ledger/?queue=returned").get_data(as_text=True)
    assert "两次退回的问题" not in client.get("/ledger/?queue=to_transfer").get_data(as_text=True)

    ledger.transition(office, issue.id, "assign", {"department": target})  # sent again: in neither queue
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert (_figure(html, "to_transfer"), _figure(html, "returned")) == (before["to_transfer"], before["returned"])
    ledger.transition(dept, issue.id, "return", {"reason": "仍不属于本单位"})  # and back: the mark is the last return
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).returned_at >= first
    html = client.get("/").get_data(as_text=True)
    assert _figure(html, "returned") == before["returned"] + 1
    for key in ("to_transfer", "returned"):
        assert _listed(client, f"/ledger/?queue={key}") == _figure(html, key)


def test_the_office_sees_the_most_overdue_reports_the_total_and_a_link_to_all(ctx, client):
    officer = officer_of("officer01")
    today = clock.today()
    monday = today - timedelta(days=today.weekday())
    made = []
    for k in range(LATE_ROWS + 5):  # weekly reports of past weeks, each due a day later than the one before
        start = monday - timedelta(weeks=60 + k)
        made.append(Report(officer_id=officer.id, kind="weekly", period_start=start, period_end=start + timedelta(days=6),
                           due_on=today - timedelta(days=400 - k), status="draft", content=""))
    db.session.add_all(made)
    db.session.commit()
    login(client, "office")
    html = client.get("/").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'<tr data-report="(\d+)">', html)]
    assert len(shown) == LATE_ROWS
    assert shown == [r.id for r in made[:LATE_ROWS]]  # the most overdue first
    total = int(re.search(r'data-k="late_reports" data-n="(\d+)"', html).group(1))
    assert total >= len(made) and f"{total}份报告" in html
    more = re.search(r'<a id="cso-late-all" data-n="(\d+)" href="([^"]+)">([^<]*)</a>', html)
    assert more and int(more.group(1)) == total and f"查看全部{total}份" in more.group(3)
    href = more.group(2).replace("&amp;", "&")
    assert "state=overdue" in href and "sort=due" in href
    assert _listed(client, href) == total
    listing = client.get(href).get_data(as_text=True)
    assert listing.index(f"/reports/{made[0].id}") < listing.index(f"/reports/{made[-1].id}")


def test_each_home_block_counts_in_one_statement(ctx, client):
    """The office's queues (and the late-report total), the ledger figures and the roster figures each
    cost one statement; the small queues read their partial indexes (SQLite's plan says so)."""
    login(client, "office")
    client.get("/")
    seen = []

    def grab(conn, cursor, statement, params, context, executemany):
        seen.append((statement, params))

    event.listen(Engine, "before_cursor_execute", grab)  # every engine: the requests' session may hold its own
    try:
        client.get("/")
        home = len(seen)
        client.get("/queues/unvisited")  # the unvisited list: the 本周已走访 anti-join
    finally:
        event.remove(Engine, "before_cursor_execute", grab)
    assert not [s for s, _ in seen[:home] if "NOT (EXISTS (SELECT" in s]  # the home page counts the week's visits
    seen, unvisited = seen[:home], seen[home:]
    engine = db.engine
    counts = [s for s, _ in seen if s.lstrip().startswith("SELECT (SELECT count(*)")]
    queues = [s for s in counts if "returned_at IS NULL" in s]
    assert len(queues) == 1 and "returned_at IS NOT NULL" in queues[0] and "report" in queues[0]
    assert not [s for s, _ in seen if "issue_event" in s]  # no probe into the events
    if engine.dialect.name == "sqlite":
        stmt, params = next((s, p) for s, p in seen if s in queues)
        with engine.connect() as conn:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + stmt, params))
        for index in ("ix_issue_status_returned", "ix_issue_pending", "ix_issue_unable"):
            assert index in plan, (index, plan)
        stmt, params = next((s, p) for s, p in unvisited if "NOT (EXISTS (SELECT" in s and "FROM visit" in s)  # 本周已走访
        with engine.connect() as conn:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + stmt, params))
        assert "ix_visit_enterprise_date" in plan, plan


def test_a_database_at_0022_with_returned_problems_upgrades_and_counts_them(tmp_path):
    """Migration 0023 marks each problem with a 退回 event with the time of its last one; the queues
    then count it as before; a downgrade drops the mark, and the upgrade after it fills it again."""
    import os
    import sqlite3
    import subprocess
    import sys

    from sqlalchemy import create_engine

    from app.notifications.queues import criterion

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = tmp_path / "old.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "FLASK_APP": "app",
           "CSO_INSTANCE_DIR": str(tmp_path / "inst")}
    flask = lambda *a: subprocess.run([sys.executable, "-m", "flask", *a], cwd=root, env=env,  # noqa: E731
                                      capture_output=True, text=True, timeout=300)
    result = flask("db", "upgrade", "0022")
    assert result.returncode == 0, result.stderr[-2000:]
    con = sqlite3.connect(path)
    rows = [(1, "accepted", [("return", "2026-11-20 01:00:00"), ("return", "2026-11-25 02:00:00")]),  # 被退回
            (2, "accepted", []),  # 待转办
            (3, "in_progress", [("return", "2026-11-21 01:00:00")]),  # returned once, sent again since
            (4, "assigned", [])]
    con.execute("INSERT INTO enterprise (id, name, is_key, created_at) VALUES (1, '测试企业', 1, '2026-11-01 00:00:00')")
    for id_, status, events in rows:
        con.execute("""INSERT INTO issue (id, number, year, seq, enterprise_id, source, level, title, description,
                           status, received_on, rework_count, version, created_at, updated_at)
                       VALUES (?, ?, 2026, ?, 1, 'direct', 'ordinary', 't', 'd', ?, '2026-11-19', 0, 1,
                               '2026-11-19 01:00:00', '2026-11-19 01:00:00')""", (id_, f"2026-{id_:04d}", id_, status))
        for action, at in [("create", "2026-11-19 01:00:00"), ("accept", "2026-11-19 02:00:00"), *events]:
            con.execute("""INSERT INTO issue_event (issue_id, at, actor_name, action, internal)
                           VALUES (?, ?, '测试', ?, 0)""", (id_, at, action))
    con.commit()
    con.close()

    def marks():
        with sqlite3.connect(path) as c:
            return dict(c.execute("SELECT id, returned_at FROM issue ORDER BY id").fetchall())

    def queue(name):
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as conn:
                return set(conn.scalars(select(Issue.id).where(criterion(name, None))))
        finally:
            engine.dispose()

    result = flask("db", "upgrade")
    assert result.returncode == 0, result.stderr[-2000:]
    assert marks() == {1: "2026-11-25 02:00:00", 2: None, 3: "2026-11-21 01:00:00", 4: None}  # the last 退回
    assert queue("returned") == {1} and queue("to_transfer") == {2}
    with sqlite3.connect(path) as c:
        indexes = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'issue'")}
    assert {"ix_issue_status_returned", "ix_issue_pending", "ix_issue_unable"} <= indexes
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT 1 FROM sqlite_master WHERE name = 'ix_visit_enterprise_date'").fetchone()

    result = flask("db", "downgrade", "0022")
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(path) as c:
        columns = {r[1] for r in c.execute("PRAGMA table_info(issue)")}
        assert "returned_at" not in columns and c.execute("SELECT count(*) FROM issue").fetchone()[0] == 4
        assert c.execute("SELECT count(*) FROM issue_event").fetchone()[0] == 11
    result = flask("db", "upgrade")
    assert result.returncode == 0, result.stderr[-2000:]
    assert queue("returned") == {1} and queue("to_transfer") == {2}


def test_a_department_counts_its_finished_problems_on_their_own_tab_only(ctx, client):
    """The unit's finished problems (most of its ledger, growing for ever) are counted when the 已办结 tab
    is open, as many as its list holds; the default 待办 tab does not count them."""
    login(client, "dept01")
    html = client.get("/").get_data(as_text=True)
    tabs = html.split('id="cso-department-tabs"')[1].split("</ul>")[0]
    assert re.search(r">待办 <span class=\"badge\">\d+</span>", tabs) and re.search(r">已办结</a>", tabs)
    done = client.get("/?tab=done").get_data(as_text=True)
    n = int(re.search(r'>已办结 <span class="badge">(\d+)</span>', done).group(1))
    href = re.search(r'id="cso-department-all" data-n="\d+" href="([^"]+)"', done).group(1).replace("&amp;", "&")
    assert _listed(client, href) == n
