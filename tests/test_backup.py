"""Backups that restore (issue 10 item 13b; app/backup.py): ``flask cso backup`` of the seeded
database plus the file store, ``flask cso restore`` into a fresh, empty instance, the same row
counts and file hashes there, and the restored portal serves a login; a non-empty instance and a
damaged archive are refused."""
import hashlib
import io
import os
import tarfile

import pytest

from app import db
from app.files import store
from conftest import BASE_OVERRIDES, POSTGRES, PASSWORD, api_token, login


def _hashes(root):
    found = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if len(name) == 64 and "tmp" not in os.path.relpath(dirpath, root).split(os.sep):
                with open(os.path.join(dirpath, name), "rb") as fh:
                    found[name] = hashlib.sha256(fh.read()).hexdigest()
    return found


def _cli(app, *args):
    """``flask cso …`` on that app (Flask's runner reuses an app context already pushed, e.g. ctx's)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["cso", *args])


def _counts(app):
    from app.backup import row_counts

    with app.app_context():
        return row_counts()


@pytest.fixture()
def fresh(tmp_path):
    """An empty instance: a new database (SQLite file, or a scratch PostgreSQL database) and file store."""
    from app import create_app

    url = f"sqlite:///{tmp_path}/restored.db"
    if POSTGRES:
        from sqlalchemy import create_engine, make_url

        base = make_url(BASE_OVERRIDES["SQLALCHEMY_DATABASE_URI"])
        name = f"{base.database}_restore"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)
    app = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": url, "FILE_STORE_DIR": str(tmp_path / "files")})
    yield app
    with app.app_context():
        db.engine.dispose()
    if POSTGRES:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_backup_restores_into_a_fresh_instance(app, ctx, client, fresh, tmp_path):
    headers = api_token(client, "office")
    issue = client.get("/api/v1/issue/?page_size=1", headers=headers).get_json()["result"][0]["id"]
    for n in range(2):  # two attachments in the file store besides what the seed generated
        content = b"%PDF-1.4\n" + os.urandom(2000 + n) + b"\n%%EOF\n"
        resp = client.post(f"/api/v1/issue/{issue}/attachments", headers=headers,
                           data={"file": (io.BytesIO(content), f"备份{n}.pdf")}, content_type="multipart/form-data")
        assert resp.status_code in (200, 201), resp.get_json()
    with app.app_context():
        source_files = _hashes(store.root())
    assert len(source_files) >= 2
    source_counts = _counts(app)
    out = str(tmp_path / "cso-backup.tar.gz")
    result = _cli(app, "backup", out)
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    with tarfile.open(out) as archive:
        names = archive.getnames()
    assert "manifest.json" in names and ("database.pgdump" in names if POSTGRES else "database.sqlite" in names)

    result = _cli(fresh, "restore", out)
    assert result.exit_code == 0, result.output
    assert _counts(fresh) == source_counts  # every table, row for row
    assert source_counts["issue"] > 0 and source_counts["ab_user"] > 0
    with fresh.app_context():
        assert _hashes(store.root()) == source_files
    web = fresh.test_client()  # the restored portal works: a login and the problem with its files
    login(web, "office", PASSWORD)
    assert web.get(f"/ledger/{issue}").status_code == 200
    files = web.get(f"/api/v1/issue/{issue}/attachments", headers=api_token(web, "office")).get_json()["result"]
    assert {f["filename"] for f in files} >= {"备份0.pdf", "备份1.pdf"}

    again = _cli(fresh, "restore", out)  # not empty any more
    assert again.exit_code != 0 and "只能恢复到空实例" in again.output


def test_a_damaged_archive_is_refused(app, fresh, tmp_path):
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as archive:
        body = b'{"format": "something-else"}'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    result = _cli(fresh, "restore", str(bad))
    assert result.exit_code != 0 and "格式" in result.output
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all")
    result = _cli(fresh, "restore", str(tmp_path / "junk.tar"))
    assert result.exit_code != 0 and "无法读取备份文件" in result.output
