"""What every report shares: whose rows, the arguments, streaming a SELECT, the list screens'
FAB filters, the 填报单位 line."""
import re
from collections import namedtuple
from functools import lru_cache
from datetime import timezone
from types import SimpleNamespace

from flask import current_app, has_request_context
from sqlalchemy import select

from .. import clock, db, scope
from ..models import Department, DepartmentUser, Enterprise, EnterpriseUser
from ..querystring import QueryError
from ..vocab import DEPARTMENT, ENTERPRISE, OFFICE, OFFICER, SEES_ALL_ROLES

ExportError = QueryError  # bad export parameters (answered 400 / flashed); one type with the list filters'
CHUNK = 1000  # rows per fetch, and per batch of related-data IN queries


class _AllRows:
    """The command line's user when no --user is given: full office scope, i.e. all rows.

    It goes through ``scope.restrict`` like any user (the Office role sees everything)."""

    id = None
    username = "cli"
    first_name, last_name = "命令行", ""
    roles = (SimpleNamespace(name=OFFICE),)
    is_authenticated = True
    active = True


ALL_ROWS = _AllRows()


def effective_user(user):
    """``None`` means all rows — only outside a request (the CLI without ``--user``)."""
    if user is None:
        if has_request_context():  # a request never gets "all rows" by forgetting the user
            raise PermissionError("导出需要已登录的用户。")
        return ALL_ROWS
    return user


def clean_args(args):
    """A plain dict of the non-empty query arguments (first value of each)."""
    if not args:
        return {}
    return {k: v for k, v in args.items() if v not in (None, "")}


def chunks(stmt, size=None):
    """Stream a SELECT in lists of ``size`` rows (yield_per: a server-side cursor on PostgreSQL).

    Each row is a named tuple of the selected columns (``row.number``): read by name, and several
    times faster to read than SQLAlchemy's ``Row`` attributes on hundreds of thousands of rows."""
    size = size or CHUNK  # read at call time (a test may lower it)
    result = db.session.execute(stmt, execution_options={"yield_per": size})
    try:
        make = _maker(result)
        for part in result.partitions(size):
            yield [make(row) for row in part]
    finally:
        result.close()


def _maker(result):
    return _named_type(tuple(result.keys()))._make


@lru_cache(maxsize=256)
def _named_type(keys):
    return namedtuple("Selected", keys, rename=True)  # built once per column list (exec is slow)


def named(stmt):
    """All rows of a (small) SELECT as named tuples, like :func:`chunks`."""
    result = db.session.execute(stmt)
    make = _maker(result)
    return [make(row) for row in result]


def local_date(stamp, tz=None):
    """A stored (naive UTC) timestamp as the district's calendar day — ``stats.local_day`` with
    the zone looked up once by the caller (``tz``) rather than per row."""
    if not stamp:
        return None
    return stamp.replace(tzinfo=timezone.utc).astimezone(tz or clock.tz()).date()


def district():
    return current_app.config.get("CSO_DISTRICT_NAME", "") or ""


def reporting_unit(user):
    """What goes after 填报单位: the office, the department, the officer's unit, the enterprise."""
    office = current_app.config.get("CSO_OFFICE_NAME") or (district() + "首席服务官办公室")
    roles = scope.role_names(user)
    if user is ALL_ROWS or roles & SEES_ALL_ROLES:
        return office
    if DEPARTMENT in roles:
        names = db.session.scalars(select(Department.name).join(
            DepartmentUser, DepartmentUser.department_id == Department.id).where(DepartmentUser.user_id == user.id)).all()
        if names:
            return "、".join(names)
    if OFFICER in roles:
        officer = scope.officer_of(user)
        if officer is not None:
            return f"{officer.unit or ''}（{officer.name}）" if officer.unit else officer.name
    if ENTERPRISE in roles:
        names = db.session.scalars(select(Enterprise.name).join(
            EnterpriseUser, EnterpriseUser.enterprise_id == Enterprise.id).where(EnterpriseUser.user_id == user.id)).all()
        if names:
            return "、".join(names)
    return office


# --- FAB list filters (_flt_<n>_<column>=value), as the model list screens send them ----------------

def _getlist(args, key):
    return args.getlist(key) if hasattr(args, "getlist") else [args[key]]


def apply_fab_filters(query, model, search_columns, args):
    """Apply a ModelView's search filters from the query arguments to a SELECT (ignoring unknown
    columns and operators), so an export from a FAB list screen has the rows that list shows."""
    if not args:
        return query
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    filters = SQLAInterface(model).get_filters(list(search_columns))
    allowed = filters.get_search_filters()
    for key in list(args.keys()):
        match = re.fullmatch(r"_flt_(\d{1,3})_(.+)", key)
        if not match or match.group(2) not in allowed:
            continue
        index, column = int(match.group(1)), match.group(2)
        if index >= len(allowed[column]):
            continue
        filters.add_filter_index(column, index, _getlist(args, key))
    return filters.apply_all(query)


def fab_order(args, view_name, allowed, default):
    """(column, direction) from a FAB list's ``_oc_<View>``/``_od_<View>``, if allowed."""
    column = args.get(f"_oc_{view_name}") if args else None
    direction = args.get(f"_od_{view_name}") if args else None
    if column in allowed and direction in ("asc", "desc"):
        return column, direction
    return default
