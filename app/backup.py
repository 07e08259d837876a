"""Backups that restore (docs/architecture.md#security; README → Production deployment).

``flask cso backup OUT`` writes one tar archive (gzip-compressed when OUT ends in ``.gz``):

* ``manifest.json`` — format, time, database dialect, Alembic revision, the row count of every
  table and the SHA-256 of every stored file;
* ``database.sqlite`` — on SQLite, a consistent copy taken with SQLite's online backup API while
  the portal keeps running; or ``database.pgdump`` — on PostgreSQL, ``pg_dump -Fc`` (custom format);
* ``files/ab/cd/<sha256>`` — the file store (``FILE_STORE_DIR``), content-addressed.

``flask cso restore IN`` puts an archive into an *empty* instance (no tables, empty file store) —
SQLite file or ``pg_restore`` into the configured database — checks every file's hash, then compares
the restored row counts with the manifest; it refuses a non-empty instance rather than mix data.
"""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile

import click
from flask import current_app
from sqlalchemy import inspect, make_url, select, func, table, text

from . import db
from .clock import utcnow
from .files import store

FORMAT = "cso-backup"
VERSION = 1
DB_SQLITE, DB_PGDUMP = "database.sqlite", "database.pgdump"


class BackupError(Exception):
    """The backup or restore cannot go on; ``str(exc)`` is the Chinese message."""


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _pg_args(url):
    """libpq arguments and environment for pg_dump / pg_restore from a SQLAlchemy URL."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = [f"--dbname={url.database}"]
    for flag, value in (("--host", url.host), ("--port", url.port), ("--username", url.username)):
        if value:
            args.append(f"{flag}={value}")
    return args, env


def row_counts():
    """Rows per table of the current database (every table, FAB's and the broker's alike)."""
    names = sorted(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _revision():
    with db.engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # noqa: BLE001 — no Alembic table: an empty or foreign database
            return None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()


def _dump_database(workdir):
    url = _url()
    if url.get_backend_name() == "sqlite":
        target = os.path.join(workdir, DB_SQLITE)
        raw = db.engine.raw_connection()
        try:
            dest = sqlite3.connect(target)
            try:
                raw.driver_connection.backup(dest)  # online: a consistent copy while others write
            finally:
                dest.close()
        finally:
            raw.close()
        return target
    if url.get_backend_name() == "postgresql":
        target = os.path.join(workdir, DB_PGDUMP)
        args, env = _pg_args(url)
        done = subprocess.run(["pg_dump", "-Fc", "--no-owner", "--file", target, *args], env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
        return target
    raise BackupError(f"不支持备份此类数据库：{url.get_backend_name()}")


def backup(out):
    """Write the archive to ``out``; returns the manifest."""
    files = {sha: os.path.relpath(store.path_for(sha), store.root()) for sha in store.stored_digests()}
    manifest = {"format": FORMAT, "version": VERSION, "created_at": utcnow().isoformat(timespec="seconds") + "Z",
                "dialect": _url().get_backend_name(), "revision": _revision(), "tables": row_counts(),
                "files": {sha: rel for sha, rel in sorted(files.items())}}
    mode = "w:gz" if out.endswith(".gz") else "w"
    with tempfile.TemporaryDirectory() as workdir:
        dump = _dump_database(workdir)
        partial = out + ".partial"
        with tarfile.open(partial, mode) as archive:
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
            archive.add(dump, arcname=os.path.basename(dump))
            for sha, rel in manifest["files"].items():
                archive.add(os.path.join(store.root(), rel), arcname="files/" + rel.replace(os.sep, "/"))
        os.replace(partial, out)  # never a half-written archive under the given name
    return manifest


def _check_empty():
    tables = [t for t in inspect(db.engine).get_table_names() if not t.startswith("sqlite_")]
    if tables:
        raise BackupError(f"目标实例的数据库不是空的（已有{len(tables)}张表），只能恢复到空实例。")
    if any(True for _ in store.stored_digests()):
        raise BackupError(f"目标实例的文件库不是空的：{store.root()}")


def _read_manifest(archive):
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except (KeyError, ValueError, AttributeError):
        raise BackupError("不是本系统的备份文件（缺少 manifest.json）。") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("备份文件格式或版本不符。")
    return manifest


def _restore_database(archive, manifest, workdir):
    url = _url()
    dialect = url.get_backend_name()
    if dialect != manifest["dialect"]:
        raise BackupError(f"备份来自 {manifest['dialect']} 数据库，不能恢复到 {dialect}。")
    name = DB_SQLITE if dialect == "sqlite" else DB_PGDUMP
    archive.extract(name, workdir, filter="data")
    dump = os.path.join(workdir, name)
    db.engine.dispose()
    if dialect == "sqlite":
        src, dest = sqlite3.connect(dump), sqlite3.connect(url.database)
        try:
            src.backup(dest)
        finally:
            src.close()
            dest.close()
        return
    args, env = _pg_args(url)
    done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *args, dump], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")


def _restore_files(archive, manifest):
    root = store.root()
    for sha, rel in manifest["files"].items():
        member = archive.extractfile("files/" + rel.replace(os.sep, "/"))
        target = store.path_for(sha)  # the name is checked to be a digest; rel is never trusted
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target + ".partial", "wb") as fh:
            shutil.copyfileobj(member, fh)
        if _sha256(target + ".partial") != sha:
            os.remove(target + ".partial")
            raise BackupError(f"备份中的文件已损坏：{sha}")
        os.replace(target + ".partial", target)
    return root


def restore(path):
    """Restore ``path`` into this (empty) instance; returns (manifest, counts after restore)."""
    _check_empty()
    try:
        archive = tarfile.open(path, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"无法读取备份文件：{exc}") from None
    with archive, tempfile.TemporaryDirectory() as workdir:
        manifest = _read_manifest(archive)
        _restore_database(archive, manifest, workdir)
        _restore_files(archive, manifest)
    counts = row_counts()
    wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if wrong:
        raise BackupError(f"恢复后的行数与备份不符：{wrong}")
    return manifest, counts


def register_cli(group):
    @group.command("backup")
    @click.argument("out", type=click.Path(dir_okay=False))
    def backup_cmd(out):
        """One archive of the database and the file store (SQLite online backup / pg_dump -Fc)."""
        try:
            manifest = backup(out)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已备份：{out}（{len(manifest['tables'])}张表，{sum(manifest['tables'].values())}行，"
                   f"{len(manifest['files'])}个文件）")

    @group.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False))
    def restore_cmd(archive):
        """Restore a backup into an empty instance (empty database and file store); checks hashes and row counts."""
        try:
            manifest, counts = restore(archive)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已恢复：{archive}（备份于 {manifest['created_at']}，{len(counts)}张表，"
                   f"{sum(counts.values())}行，{len(manifest['files'])}个文件，行数和文件校验一致）")
