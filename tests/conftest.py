"""Test fixtures.

The database is SQLite in a temp folder unless TEST_DATABASE_URL is set (CI sets it to a scratch
PostgreSQL database). The schema is built by the Alembic migrations and seeded with the demo district
once per test process; after every test the tables it wrote are copied back from the seed
(tests/snapshot.py), so tests run in any order and commit for real.

Under ``pytest -n N`` (pytest-xdist) each worker has its own database — a SQLite file, or on
PostgreSQL ``<name>_gw0``, ``<name>_gw1``… next to the given database, created here and dropped at
the end — and its own instance folder. Tests that start a real Celery worker share the broker (Redis
in CI), so each gets a queue and a worker name of its own (``celery_env``): two such tests running at
once on two xdist workers never take each other's tasks.
"""
import atexit
import os
import random
import re
import shutil
import tempfile

import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"… under pytest -n
# the SQLite files in memory (tmpfs) where there is one: a commit then costs no disk flush
_SHM = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
_TMP = tempfile.mkdtemp(prefix=f"cso-test-{WORKER}-" if WORKER else "cso-test-", dir=_SHM)
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
if WORKER and os.environ.get("CSO_INSTANCE_DIR"):  # secret key, outbox: one folder per worker
    os.environ["CSO_INSTANCE_DIR"] = os.path.join(os.environ["CSO_INSTANCE_DIR"], WORKER)
    os.makedirs(os.environ["CSO_INSTANCE_DIR"], exist_ok=True)
os.environ.setdefault("CSO_INSTANCE_DIR", _TMP)  # before config is imported

PASSWORD = "Test-Pass-2026"
# One round of PBKDF2 instead of FAB's scrypt: a login costs microseconds, not ~70 ms. Tests only;
# production keeps FAB's default (config.py sets no hash method).
CHEAP_HASH = "pbkdf2:sha256:1"


def _database_url():
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return "sqlite:///" + os.path.join(_TMP, "test.db")
    if not WORKER:
        return base
    from sqlalchemy import make_url

    url = make_url(base)
    return url.set(database=f"{url.database}_{WORKER}").render_as_string(hide_password=False)


DB_URL = _database_url()
POSTGRES = DB_URL.startswith("postgresql")

BASE_OVERRIDES = {
    "SQLALCHEMY_DATABASE_URI": DB_URL,
    "WTF_CSRF_ENABLED": False,
    "LOGIN_RATE_LIMIT": "10000 per minute",
    "TESTING": True,
    "FAB_PASSWORD_HASH_METHOD": CHEAP_HASH,
    "AUTH_DB_FAKE_PASSWORD_HASH_CHECK": "pbkdf2:sha256:1$salt$" + "0" * 64,  # unknown user: same cheap check
}


# --- the database -----------------------------------------------------------------------------

def _worker_database(action):
    """Create (or drop) this xdist worker's PostgreSQL database next to TEST_DATABASE_URL's."""
    from sqlalchemy import create_engine, make_url

    name = make_url(DB_URL).database
    engine = create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if action == "create":
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()


def _reset_database(app):
    from sqlalchemy import text

    from app import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


_SNAPSHOT = None  # set once the seed is in place


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    import snapshot
    from app import create_app, db
    from app.demo import seed

    global _SNAPSHOT
    separate = POSTGRES and bool(WORKER)
    if separate:
        _worker_database("create")
    app = create_app(BASE_OVERRIDES)
    _reset_database(app)
    if POSTGRES:  # a scratch database: no need to wait for the disk at each commit
        with app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{db.engine.url.database}" SET synchronous_commit = off')
        with app.app_context():
            db.engine.dispose()
    with app.app_context():
        upgrade()
        seed(PASSWORD)
        db.session.remove()
    _SNAPSHOT = snapshot.for_url(DB_URL)
    _SNAPSHOT.take()
    yield app
    _SNAPSHOT.close()
    _SNAPSHOT = None
    if separate:
        with app.app_context():
            db.engine.dispose()
        _worker_database("drop")


def _restore():
    """Put back every table written since the last restore; drop the baselines of module fixtures
    that have finished."""
    if _SNAPSHOT is None:
        return
    finished = [(fixturedef, tables) for fixturedef, tables in _LAYERS if fixturedef.cached_result is None]
    for entry in finished:
        _LAYERS.remove(entry)
        _SNAPSHOT.unlayer(entry[1])
    restored = _SNAPSHOT.restore()
    if "holiday" in restored or any("holiday" in tables for _, tables in finished):
        from app import workdays

        workdays.invalidate()


_LAYERS = []  # (fixturedef, tables it wrote): those tables' baseline while the fixture lives


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """A module-, class- or session-scoped fixture starts from the seed, and what it writes stays
    for the tests that use it (restored to the seed once it is torn down)."""
    if fixturedef.scope == "function" or _SNAPSHOT is None:
        return (yield)
    _restore()
    try:
        return (yield)
    finally:
        written = _SNAPSHOT.dirty() if _SNAPSHOT is not None else set()
        if written:
            _SNAPSHOT.layer(written)
            _LAYERS.append((fixturedef, written))


@pytest.fixture(autouse=True)
def _fresh_data():
    _restore()
    yield
    _restore()


# --- real Celery workers ----------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def celery_env(tmp_path, **extra):
    """The environment of a Celery process on this test database: the configured broker (Redis in CI),
    else a SQLite broker and result store in ``tmp_path``; a queue and worker name of this test's own."""
    import uuid

    name = f"cso-test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": DB_URL, "CELERY_QUEUE": name, "CSO_TEST_WORKER": name, **extra}
    if not os.environ.get("CELERY_BROKER_URL"):
        env["CELERY_BROKER_URL"] = f"sqla+sqlite:///{tmp_path}/broker.db"
        env["CELERY_RESULT_BACKEND"] = f"db+sqlite:///{tmp_path}/results.db"
    return env


def start_worker(env, **popen):
    """``celery -A app.tasks worker`` as a real process (solo pool, as small as a worker gets)."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "app.tasks", "worker", "--pool", "solo",
                             "--loglevel", "WARNING", "--hostname", env["CSO_TEST_WORKER"] + "@%h"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **popen)


def stop_worker(worker):
    """Kill a worker whose work the test has waited for: a warm shutdown only adds seconds of polling."""
    worker.kill()
    worker.wait(timeout=30)


def celery_client(env):
    """A bare Celery app on the worker's broker: sends tasks by name and reads their results."""
    from celery import Celery

    client = Celery("cso-test-client", broker=env["CELERY_BROKER_URL"], backend=env["CELERY_RESULT_BACKEND"])
    client.conf.task_default_queue = env["CELERY_QUEUE"]
    return client


def worker_is_up(client, env):
    """This test's own worker answers a ping (another test's worker on the same broker does not count)."""
    import socket

    return bool(client.control.ping(destination=[f"{env['CSO_TEST_WORKER']}@{socket.gethostname()}"],
                                    timeout=0.5))


# --- xdist and ordering -----------------------------------------------------------------------

def pytest_addoption(parser):
    parser.addoption("--shuffle", metavar="SEED", default=None,
                     help="run the tests in a random order (the same SEED gives the same order)")


def pytest_collection_modifyitems(config, items):
    seed = config.getoption("shuffle")
    if seed is not None:
        random.Random(seed).shuffle(items)


# --- apps, clients, logins --------------------------------------------------------------------

@pytest.fixture(scope="session")
def checker(app):
    """A second app on the same database for assertions in tests.

    Requests made while an app context of the *same* app is pushed would share ``flask.g``
    (and so a JWT identity) between requests; a separate app keeps them apart — and proves
    two apps can be built in one process.
    """
    from app import create_app

    return create_app(BASE_OVERRIDES)


@pytest.fixture()
def ctx(checker):
    from app import db

    with checker.app_context():
        yield checker
        db.session.remove()


@pytest.fixture()
def client(app):
    return app.test_client()


def login(client, username, password=PASSWORD):
    client.post("/logout/")
    resp = client.post("/login/", data={"username": username, "password": password})
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"], f"login failed for {username}"
    return client


def api_token(client, username, password=PASSWORD):
    resp = client.post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": False})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": "Bearer " + resp.get_json()["access_token"]}


def flashes(html):
    return re.findall(r'alert-(?:danger|warning|success|info)[^>]*>(?:.*?</button>)?\s*(.*?)\s*</div>', html, re.S)


@pytest.fixture()
def as_user(client):
    def _as(username):
        return login(client, username)
    return _as
