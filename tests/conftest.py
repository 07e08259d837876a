"""Test fixtures. The database is SQLite in a temp folder unless TEST_DATABASE_URL is set
(CI sets it to a scratch PostgreSQL database). The schema is built by the Alembic migrations."""
import os
import re
import tempfile

import pytest

_TMP = tempfile.mkdtemp(prefix="cso-test-")
os.environ.setdefault("CSO_INSTANCE_DIR", _TMP)  # before config is imported

PASSWORD = "Test-Pass-2026"
DB_URL = os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + os.path.join(_TMP, "test.db")

BASE_OVERRIDES = {
    "SQLALCHEMY_DATABASE_URI": DB_URL,
    "WTF_CSRF_ENABLED": False,
    "LOGIN_RATE_LIMIT": "10000 per minute",
    "TESTING": True,
}


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


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import seed

    app = create_app(BASE_OVERRIDES)
    _reset_database(app)
    with app.app_context():
        upgrade()
        seed(PASSWORD)
    return app


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
    with checker.app_context():
        yield checker


@pytest.fixture()
def client(app):
    return app.test_client()


def login(client, username, password=PASSWORD):
    client.get("/logout/")
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
