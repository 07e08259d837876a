"""Import the office's roster 《首席服务官及具体分包人情况表》.

One package serves the upload page, ``flask cso import-assignments`` and
``POST /api/v1/import/assignments`` (all in :mod:`app.roster.views`), one module per step:

1. :mod:`~app.roster.read` — the file into tables of cells, merged ranges filled in;
2. :mod:`~app.roster.header` — the header in the first rows (title and 填报单位 rows above it;
   one or two header rows; synonyms);
3. :mod:`~app.roster.parse` — each data row: one enterprise, its chief(s) and liaison(s);
4. :mod:`~app.roster.plan` — matching against the database: what would be created, updated, ended;
5. :mod:`~app.roster.apply` — the plan written in one transaction, only when asked and when there
   is no error at all; new officers get logins (:func:`app.accounts.create_login`) as the
   ``logins`` choice says: ``all`` (the default), ``chief`` or ``none``;
6. :mod:`~app.roster.credentials` — the one-time sheet of the new logins' initial passwords.

Every attempt — dry run, commit, refused file — leaves an :class:`~app.models.ImportLog` row
(who, when, file name, sha256 and the report, see :mod:`app.roster.report`).

The upload page previews in the request and commits in a background job (kind ``import`` in
:mod:`app.jobs.kinds`; the file waits in :mod:`~app.roster.uploads`): the job calls
:func:`import_roster` with ``commit=False`` so that the rows, the log line, the credentials sheet
and the job's ``done`` state commit in one transaction (docs/jobs.md#roster-import). The API and
the CLI commit at once.
"""
import hashlib
import logging
import os

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import clock, db
from ..models import ImportLog
from .apply import apply_plan
from .credentials import CREDENTIAL_COLUMNS, credentials_xlsx, write_credentials  # noqa: F401 (the face)
from .header import HEADER_SCAN_ROWS, column_letter, find_header  # noqa: F401
from ..validation import position, title_without_unit  # noqa: F401
from .parse import merge_warnings, parse_rows  # noqa: F401
from .plan import DEFAULT_LOGINS, LOGIN_CHOICES, Planner, count_plan, incomplete, name_key  # noqa: F401
from .read import cell_text, fill_merges, read_tables
from .report import (  # noqa: F401
    KIND, ApplyError, FileProblem, ImportResult, Issues, by_row, changes_digest, empty_report, failure_text,
    incomplete_text, summary, where,
)

__all__ = [
    "import_roster", "run_import", "ImportResult", "FileProblem", "ApplyError", "KIND", "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS", "LOGIN_CHOICES", "DEFAULT_LOGINS", "summary", "where", "incomplete_text", "empty_report",
    "CREDENTIAL_COLUMNS", "credentials_xlsx", "write_credentials", "column_letter", "name_key", "position",
    "title_without_unit", "changes_digest", "failure_text", "lock_imports", "CHANGED_MESSAGE",
]
log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 5000
IMPORT_LOCK = 0x43534F52  # PostgreSQL advisory lock of a committing roster import ("CSOR")
CHANGED_MESSAGE = ("预览之后系统中的数据已有变化（例如有人同时导入或修改了企业、服务官或包联关系），"
                   "与确认时看到的预览不一致，未导入任何数据。请重新上传名册并预览后再确认。")


def lock_imports():
    """Committing imports run one at a time (PostgreSQL: a lock held until the transaction ends),
    so that two of them — or a task delivered twice — never plan against the same old rows."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})


def _limits():
    config = current_app.config
    return (int(config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
            int(config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)))


def _mib(n):
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".") + " MB"


def _table_and_header(tables, issues):
    for candidate in tables:
        fill_merges(candidate)
        header = find_header(candidate.rows)
        if header is not None:
            if len(tables) > 1:
                issues.warn(None, "", f"工作簿有多个工作表，已读取“{candidate.sheet}”。")
            return candidate, header
    raise FileProblem(f"未找到表头：前{HEADER_SCAN_ROWS}行中需要有“企业名称”（或包联企业、服务企业）列，"
                      "以及“首席服务官”（或包联领导）或“具体分包人”（或联络员）列。")


def _check(data, filename, issues, result, logins):
    """Read the file and plan it (FileProblem for a file refused as a whole). Returns the plan."""
    max_bytes, max_rows = _limits()
    if len(data) > max_bytes:
        raise FileProblem(f"文件大小{_mib(len(data))}，超过上限{_mib(max_bytes)}，请删去无关的工作表或分批导入。")
    tables = read_tables(data, filename, max_rows)
    if not any(any(cell_text(v).strip() for v in row) for t in tables for row in t.rows):
        raise FileProblem("文件中没有任何数据。")
    table, header = _table_and_header(tables, issues)
    result.sheet = table.sheet
    merge_warnings(table, header, issues)
    rows = parse_rows(table, header, issues, max_rows)
    if not rows and not issues.errors:
        raise FileProblem(f"表头（第{header.index + 1}行）下没有数据行。")
    planner = Planner(issues, filename, table.kind, logins)
    plan = planner.plan(rows, header)
    result.rows = sum(len(ep.rows) for ep in plan.enterprises)
    result.new_logins = sum(1 for pp in plan.persons if pp.login)
    if not issues.errors:
        count_plan(plan, result.report)
        result.report["incomplete"] = incomplete(plan, planner.login_emails)
        result.changes = plan.changes
    return plan


def _log(user, filename, sha, dry_run, report):
    entry = ImportLog(kind=KIND, user_id=getattr(user, "id", None), filename=(filename or "")[:255] or "（无文件名）",
                      sha256=sha, dry_run=bool(dry_run), ok=bool(report["ok"]), report=report)
    db.session.add(entry)
    return entry


def _commit(plan, result, issues, today, log_entry, commit=True, progress=None):
    """Apply the plan and commit it with its log line (``commit=False``: flushed, the caller commits);
    on any failure nothing but an error report."""
    report = result.report
    try:
        if progress is not None:
            progress.total = result.rows
        result.credentials = apply_plan(plan, today, progress)
        entry = log_entry()
        if commit:
            db.session.commit()
        else:
            db.session.flush()
        result.log_id = entry.id
        return True
    except Exception as exc:  # noqa: BLE001 — all or nothing, and never a 500
        db.session.rollback()
        if isinstance(exc, ApplyError):
            message = str(exc)
        elif isinstance(exc, SQLAlchemyError):
            log.warning("roster import failed while writing: %s", exc)
            message = "写入数据库时发生冲突（可能有人同时修改了包联数据），未导入任何数据，请重新导入。"
        else:
            log.exception("roster import failed while writing")
            message = "导入时发生系统错误，未写入任何数据。请稍后重试或联系管理员。"
        report.update(empty_report(report["dry_run"]))
        report["errors"] = [{"row": None, "column": "", "message": message}]
        report["warnings"] = by_row(issues.warnings)
        result.changes, result.credentials = [], []
        return False


def import_roster(data: bytes, filename: str, user=None, dry_run: bool = True,
                  logins: str = DEFAULT_LOGINS, *, commit: bool = True, progress=None,
                  expected: str = None) -> ImportResult:
    """Read, check and (unless ``dry_run`` or any error) apply a roster; always logs the attempt.

    ``logins``: which new officers get a login — ``all``, ``chief`` (chief officers only) or ``none``.
    ``commit=False``: a successful import is flushed, not committed (the background job commits it
    together with its result); ``progress(n)`` counts the rows written; ``expected``: the
    :func:`changes_digest` of the preview the user confirmed — a plan that differs now is refused."""
    if logins not in LOGIN_CHOICES:
        raise ValueError(f"logins must be one of {sorted(LOGIN_CHOICES)}")
    data = data or b""
    filename = os.path.basename((filename or "").replace("\\", "/"))
    sha = hashlib.sha256(data).hexdigest()
    report = empty_report(dry_run)
    result = ImportResult(report=report)
    issues = Issues()
    today = clock.today()
    plan = None
    try:
        if not dry_run:
            lock_imports()
        plan = _check(data, filename, issues, result, logins)
        if expected is not None and not issues.errors and changes_digest(result.changes) != expected:
            issues.error(None, "", CHANGED_MESSAGE)
    except FileProblem as exc:
        issues.error(None, "", str(exc))
        result.file_error = True
    except Exception:  # noqa: BLE001 — a file we did not foresee is refused, never a 500
        db.session.rollback()
        log.exception("roster import could not read %r", filename)
        issues.error(None, "", "无法处理该文件（系统错误，已记录日志），未导入任何数据。请用Excel另存为.xlsx后重试，或联系管理员。")
        result.file_error = True
    report["errors"] = by_row(issues.errors)
    report["warnings"] = by_row(issues.warnings)
    report["ok"] = not issues.errors
    if not report["ok"]:
        result.changes, report["incomplete"] = [], []

    def log_entry():
        return _log(user, filename, sha, dry_run, report)

    if report["ok"] and not dry_run and plan is not None:
        if _commit(plan, result, issues, today, log_entry, commit, progress):
            return result
    else:
        db.session.rollback()  # a dry run or a refused file writes nothing but its log line
    try:
        entry = log_entry()
        db.session.commit()
        result.log_id = entry.id
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not write the import log")
    return result


def run_import(data: bytes, filename: str, user, dry_run: bool, logins: str = DEFAULT_LOGINS) -> dict:
    """The report of :func:`import_roster`."""
    return import_roster(data, filename, user, dry_run, logins).report
