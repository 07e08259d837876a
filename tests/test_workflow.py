"""The workflow kit the ledger runs on: numbering per kind with the office's format, the counter
migration that carries the issue counts over, and the generic action buttons."""
import os
import tempfile

from sqlalchemy import create_engine, select, text

from app import db
from app.models import DocCounter, Issue, Setting
from conftest import BASE_OVERRIDES, api_token, login
from world import enterprises_of


def _file(client, headers, title):
    resp = client.post("/api/v1/issue/", headers=headers, json={
        "enterprise": enterprises_of("officer01")[0], "title": title, "description": title + "：编号测试"})
    assert resp.status_code == 201, resp.get_json()
    return db.session.get(Issue, resp.get_json()["id"])


def test_office_number_format_applies_to_new_numbers_only(ctx, client):
    login(client, "office")
    headers = api_token(client, "office")
    before = _file(client, headers, "编号格式之前")
    try:
        resp = client.post("/settings/deadlines/numbers", data={"issue": "QY{year}-{seq:05d}"})
        assert resp.status_code == 302
        after = _file(client, headers, "编号格式之后")
        assert after.seq == before.seq + 1 and after.year == before.year
        assert after.number == f"QY{after.year}-{after.seq:05d}"
        db.session.expire_all()
        assert db.session.get(Issue, before.id).number == f"{before.year}-{before.seq:04d}"  # unchanged
        assert "QY{year}-{seq:05d}" in client.get("/settings/deadlines/").get_data(as_text=True)
    finally:
        client.post("/settings/deadlines/numbers", data={"issue": "{year}-{seq:04d}"})
    db.session.expire_all()
    assert db.session.get(Setting, "number_format.issue") is None  # the default is not stored


def test_unusable_number_formats_are_refused_in_chinese(ctx, client):
    login(client, "office")
    for bad, words in (("{year}", "{seq}"), ("{year}-{seq:04d}-{x}", "只能使用"),
                       ("示范区企服问题〔{year}〕第{seq:06d}号", "最长12个字符")):
        page = client.post("/settings/deadlines/numbers", data={"issue": bad}, follow_redirects=True)
        assert words in page.get_data(as_text=True), bad
        db.session.expire_all()
        assert db.session.get(Setting, "number_format.issue") is None


def test_only_the_office_sets_number_formats(ctx, client):
    login(client, "leader")
    client.post("/settings/deadlines/numbers", data={"issue": "L{year}-{seq:04d}"})
    db.session.expire_all()
    assert db.session.get(Setting, "number_format.issue") is None


def test_counter_is_kept_per_kind_and_year(ctx, client):
    headers = api_token(client, "office")
    issue = _file(client, headers, "计数器")
    db.session.expire_all()
    counter = db.session.get(DocCounter, ("issue", issue.year))
    assert counter.last == issue.seq


def test_counter_migration_carries_the_issue_counts_over_and_back(app):
    """A database of the previous release (issue_counter) upgrades without losing its numbers."""
    from flask_migrate import downgrade, upgrade

    from app import create_app

    url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "old.db")  # its own database, on either run
    old = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": url})
    engine = create_engine(url)
    with old.app_context():
        upgrade(revision="0007")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO issue_counter (year, last) VALUES (2025, 317), (2026, 41)"))
        upgrade()
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, year, last FROM doc_counter ORDER BY year")).all()
        assert [tuple(r) for r in rows] == [("issue", 2025, 317), ("issue", 2026, 41)]
        downgrade(revision="0007")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT year, last FROM issue_counter ORDER BY year")).all()
        assert [tuple(r) for r in rows] == [(2025, 317), (2026, 41)]
    engine.dispose()


def test_destructive_actions_look_different(ctx, client):
    login(client, "office")
    new = db.session.scalar(select(Issue.id).where(Issue.status == "new").limit(1))
    page = client.get(f"/ledger/{new}").get_data(as_text=True)
    void = page[page.index('data-action="void"'):]
    void = void[:void.index("</form>")]
    assert 'class="btn btn-danger btn-sm"' in void
    accept = page[page.index('data-action="accept"'):]
    assert 'class="btn btn-primary btn-sm"' in accept[:accept.index("</form>")]
