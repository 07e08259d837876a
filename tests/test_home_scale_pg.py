"""The app's PostgreSQL connections run without JIT (config.DATABASE_PG_OPTIONS, docs/architecture.md#settings):
the portal's statements are short, and a JIT compile of one home-page count cost 262 ms at province size."""
import pytest
from sqlalchemy import text

from app import db


def test_the_apps_postgresql_sessions_have_jit_off(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    assert db.session.scalar(text("SHOW jit")) == "off"
    with db.engine.connect() as conn:  # every pooled connection, not only the session's first one
        assert conn.scalar(text("SHOW jit")) == "off"
