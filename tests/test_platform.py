"""Schema, CLI, roles, demo data, home pages, list-page query counts, Celery."""
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, func, select

from app import clock, db
from app.models import Assignment, Enterprise, Officer, Visit
from app.roles import ROLE_PERMISSIONS
from conftest import DB_URL, PASSWORD, ROOT, api_token, celery_client, celery_env, login, start_worker, stop_worker
from world import enterprises_of, officer_of


def test_migrations_and_models_agree(ctx):
    ours = lambda name, type_, parent: not (name or "").startswith("cso_test_")  # noqa: E731  (tests/snapshot.py's log)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "include_name": ours}),
                                db.metadata)
    assert diff == []


def test_two_apps_in_one_process(app, checker):
    assert app is not checker and app.appbuilder is not checker.appbuilder
    assert app.test_client().get("/login/").status_code == 200
    assert checker.test_client().get("/login/").status_code == 200


def run_flask(*args, env_extra=None):
    env = {**os.environ, "DATABASE_URL": DB_URL, "FLASK_APP": "app", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_seed_demo_is_idempotent_and_prints_logins(ctx):
    counts = lambda: [db.session.scalar(select(func.count()).select_from(m)) for m in (Enterprise, Officer, Assignment, Visit)]  # noqa: E731
    before = counts()
    result = ctx.test_cli_runner().invoke(args=["cso", "seed-demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    for name in ("admin", "office", "director", "leader", "officer01", "dept01", "ent01"):
        assert f"  {name} " in result.stdout
    assert PASSWORD in result.stdout
    db.session.expire_all()
    assert counts() == before
    assert api_token(ctx.test_client(), "officer01")  # the printed password is the one that works


def test_flask_command_line_entry_point():
    """`flask --app app cso …` as the README gives it, in a real process (the commands themselves are
    run in-process elsewhere): a refused password exits non-zero with the Chinese reason."""
    weak = run_flask("cso", "seed-demo", "--password", "123")
    assert weak.returncode != 0 and "密码至少10位" in weak.stderr


def test_demo_district_shape(ctx):
    from app.demo import CHIEFS, ENTERPRISES

    demo_chiefs = select(Officer.id).where(Officer.name.in_([n for n, _, _ in CHIEFS]))
    chiefs = db.session.execute(select(Assignment.officer_id, func.count()).where(
        Assignment.role == "chief", Assignment.end_date.is_(None), Assignment.officer_id.in_(demo_chiefs))
        .group_by(Assignment.officer_id)).all()
    assert len(chiefs) == 12 and all(2 <= n <= 3 for _, n in chiefs)
    every = db.session.scalars(select(Enterprise.id).where(Enterprise.name.in_([n for n, _, _ in ENTERPRISES]))).all()
    assert len(every) == 31
    for ent in every:
        roles = set(db.session.scalars(select(Assignment.role).where(Assignment.enterprise_id == ent)))
        assert roles >= {"chief", "liaison"}
    assert db.session.scalar(select(func.max(Visit.visit_date))) <= clock.today()
    assert db.session.scalar(select(func.count(func.distinct(Visit.visit_date)))) > 10


def test_sync_roles_is_idempotent_and_exact(app, ctx):
    result = ctx.test_cli_runner().invoke(args=["cso", "sync-roles"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert sorted(lines) == sorted(f"{role}: +0 -0" for role in ("Admin", *ROLE_PERMISSIONS))
    sm = app.appbuilder.sm
    for role_name, wanted in ROLE_PERMISSIONS.items():
        role = sm.find_role(role_name)
        have = {(p.permission.name, p.view_menu.name) for p in role.permissions}
        assert have == set(wanted), role_name


def test_home_page_per_role(client, ctx):
    login(client, "officer01")
    html = client.get("/").get_data(as_text=True)
    names = [db.session.get(Enterprise, e).name for e in enterprises_of("officer01")]
    assert all(n in html for n in names) and "本周" in html
    foreign = db.session.get(Enterprise, enterprises_of("officer02")[0]).name
    assert foreign not in html
    login(client, "office")
    html = client.get("/").get_data(as_text=True)
    assert "办公室工作台" in html and 'data-k="enterprises"' in html
    login(client, "leader")
    assert "领导小组" in client.get("/").get_data(as_text=True)
    login(client, "ent01")
    html = client.get("/").get_data(as_text=True)
    assert "首席服务官：" in html
    login(client, "dept01")
    assert "本单位" in client.get("/").get_data(as_text=True)


def test_weekly_visit_flag_on_officer_home(client, ctx):
    ent = enterprises_of("officer05")[0]
    db.session.execute(Visit.__table__.delete().where(
        Visit.enterprise_id == ent, Visit.visit_date >= clock.week_start(clock.today())))
    db.session.commit()
    login(client, "officer05")
    html = client.get("/").get_data(as_text=True)
    name = db.session.get(Enterprise, ent).name
    row = html[html.index(name):html.index("</tr>", html.index(name))]
    assert "本周未走访" in row
    db.session.add(Visit(enterprise_id=ent, officer_id=officer_of("officer05").id, visit_date=clock.today(),
                         mode="onsite", summary="本周补走访"))
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    row = html[html.index(name):html.index("</tr>", html.index(name))]
    assert "已走访" in row


def count_queries(engine, fn):
    statements = []

    def before(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_list_pages_have_no_n_plus_one(app, client):
    login(client, "office")
    with app.app_context():
        engine = db.engine
    for view in ("visitview", "assignmentview", "enterpriseview", "officerview"):
        name = {"visitview": "VisitView", "assignmentview": "AssignmentView",
                "enterpriseview": "EnterpriseView", "officerview": "OfficerView"}[view]
        small = count_queries(engine, lambda: client.get(f"/{view}/list/?psize_{name}=5"))
        large = count_queries(engine, lambda: client.get(f"/{view}/list/?psize_{name}=50"))
        assert large == small, (view, small, large)
    headers = api_token(client, "office")
    for resource in ("visit", "assignment", "enterprise", "officer", "department"):
        small = count_queries(engine, lambda: client.get(f"/api/v1/{resource}/?q=(page_size:5,page:0)", headers=headers))
        large = count_queries(engine, lambda: client.get(f"/api/v1/{resource}/?q=(page_size:50,page:0)", headers=headers))
        assert large == small, (resource, small, large)


def test_html_add_enterprise_succeeds(client, ctx):
    from app.validation import credit_check_char

    body = "91410800MA7777777"
    login(client, "office")
    resp = client.post("/enterpriseview/add", data={"name": "焦作市表单新增有限公司", "credit_code": body + credit_check_char(body),
                                                      "phone": "0391-3563650", "category": "其他"})
    assert resp.status_code == 302
    ent = db.session.scalar(select(Enterprise).where(Enterprise.name == "焦作市表单新增有限公司"))
    assert ent is not None and ent.phone == "0391-3563650"


def test_celery_worker_runs_the_scheduled_task(app, ctx, tmp_path):
    """A real worker process on the configured broker (SQLite by default, Redis in CI)."""
    env = celery_env(tmp_path)
    worker = start_worker(env)
    try:
        result = celery_client(env).send_task("cso.heartbeat").get(timeout=90)
        assert result == {"enterprises": db.session.scalar(select(func.count()).select_from(Enterprise))}
    finally:
        stop_worker(worker)


def test_the_demo_seeded_at_dawn_dates_nothing_after_that_moment(tmp_path):
    """The demo places its records at office hours of today (problems received at 9:30, steps until 8:00,
    notices, 代办, surveys …); seeded at 4:36 it dated 53 problem-history rows and 42 messages later that
    day (the walk-through). Every stored moment of the past is at most the moment it ran (planned times —
    a meeting, an appointment, expiries, a held mail's send time — may lie ahead)."""
    from datetime import datetime, time, timedelta, timezone

    from flask_migrate import upgrade
    from sqlalchemy import DateTime

    from app import create_app
    from app.demo import seed
    from conftest import BASE_OVERRIDES

    fresh = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dawn.db",
                        "FILE_STORE_DIR": str(tmp_path / "files")})
    ahead = {("meeting", "planned_at"), ("proxy_case", "appointment_at"), ("survey_request", "expires_at"),
             ("survey_request", "token_expires_at"), ("outbound_message", "not_before"), ("policy", "expires_at")}
    with fresh.app_context():
        upgrade()
        # four days ago, before office hours; what the wall clock stamps (FAB's user rows …) is stamped now,
        # after the window looked at: the window is (dawn, the moment the test began)
        began = datetime.now(timezone.utc).replace(tzinfo=None)
        dawn = datetime.combine(clock.today() - timedelta(days=4), time(4, 36))
        with clock.at(dawn):
            seed(PASSWORD)
        limit = dawn.replace(tzinfo=clock.tz()).astimezone(timezone.utc).replace(tzinfo=None)
        later, seen = {}, 0
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, DateTime) and (table.name, column.name) not in ahead:
                    n = db.session.execute(select(func.count()).select_from(table).where(
                        column > limit, column < began)).scalar()
                    seen += db.session.execute(select(func.count()).select_from(table).where(
                        column <= limit)).scalar()
                    if n:
                        later[f"{table.name}.{column.name}"] = n
        db.session.remove()
        db.engine.dispose()
    assert seen > 500 and not later, later
