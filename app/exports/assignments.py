"""The assignment table (首席服务官及具体分包人情况表): one row per enterprise with current
assignments, its chief officer(s) and liaisons — in the shape the roster importer reads back
with no change (merged title row, one header row; several people '、'-joined in the same order
in the name, title and phone columns)."""
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select

from .. import clock, querystring, scope
from ..models import Assignment, Enterprise, Officer
from . import common
from .workbook import NUMBER, TEXT, Column, StreamingWorksheet, Styles, TableWriter, headers, open_workbook, setup_sheet

ASSIGNMENT_COLUMNS = [
    Column("序号", "seq", NUMBER, 8), Column("企业名称", "enterprise", TEXT, 40),
    Column("统一社会信用代码", "credit_code", TEXT, 22), Column("所属街道", "subdistrict", TEXT, 14),
    Column("行业", "industry", TEXT, 14), Column("首席服务官", "chief_names", TEXT, 14),
    Column("首席服务官职务", "chief_titles", TEXT, 24), Column("首席服务官电话", "chief_phones", TEXT, 16),
    Column("具体分包人", "liaison_names", TEXT, 20), Column("具体分包人职务", "liaison_titles", TEXT, 24),
    Column("具体分包人电话", "liaison_phones", TEXT, 28),
]
ASSIGNMENT_HEADERS = headers(ASSIGNMENT_COLUMNS)
ENTERPRISE_SEARCH = ("name", "credit_code", "subdistrict", "industry", "category")


@dataclass(slots=True)
class AssignmentRow:
    seq: int
    enterprise: str
    credit_code: Optional[str]
    subdistrict: Optional[str]
    industry: Optional[str]
    chief_names: Optional[str]
    chief_titles: Optional[str]
    chief_phones: Optional[str]
    liaison_names: Optional[str]
    liaison_titles: Optional[str]
    liaison_phones: Optional[str]


def join_people(people, attr):
    """Names, titles or phones of several people in one cell, '、'-joined in the same order (a
    missing title or phone keeps its place, so the n-th phone is the n-th person's)."""
    parts = [getattr(p, attr) or "" for p in people]
    return "、".join(parts) if any(parts) else None


def assignment_statement(user, raw):
    """The scoped, filtered SELECT of the enterprises served, ordered by their first chief.

    ``raw``: ``enterprise``/``officer`` ids, ``region`` (comma-separated), and the enterprise
    list's FAB filters (``_flt_<n>_name`` …)."""
    args = common.clean_args(raw)
    first_chief = (select(func.min(Assignment.officer_id))
                   .where(Assignment.enterprise_id == Enterprise.id, Assignment.role == "chief",
                          Assignment.is_current).correlate(Enterprise).scalar_subquery())
    serving = scope.restrict(Assignment, select(Assignment.enterprise_id).where(Assignment.is_current), user)
    query = scope.restrict(Enterprise, select(
        Enterprise.id, Enterprise.name, Enterprise.credit_code, Enterprise.subdistrict, Enterprise.industry), user)
    query = query.where(Enterprise.id.in_(serving))
    if (ids := querystring.id_list(args, "enterprise", "企业")) is not None:
        query = query.where(Enterprise.id.in_(ids))
    if (ids := querystring.id_list(args, "officer", "服务官")) is not None:
        query = query.where(Enterprise.id.in_(select(Assignment.enterprise_id).where(
            Assignment.officer_id.in_(ids), Assignment.is_current)))
    if (regions := querystring.text_list(args, "region", "街道/乡镇")) is not None:
        query = query.where(Enterprise.subdistrict.in_(regions))
    query = common.apply_fab_filters(query, Enterprise, ENTERPRISE_SEARCH, raw)
    return query.order_by(first_chief.asc().nulls_last(), Enterprise.id)


def _people(user, enterprise_ids):
    """{enterprise id: (chiefs, liaisons)}, each a list of (name, title, phone) rows in order."""
    people = defaultdict(lambda: ([], []))
    rows = common.named(scope.restrict(Assignment, select(
        Assignment.enterprise_id, Assignment.role, Officer.name, Officer.title, Officer.phone)
        .join(Officer, Officer.id == Assignment.officer_id)
        .where(Assignment.enterprise_id.in_(enterprise_ids), Assignment.is_current), user)
        .order_by(Assignment.enterprise_id, Assignment.start_date, Assignment.id))
    for person in rows:
        people[person.enterprise_id][0 if person.role == "chief" else 1].append(person)
    return people


def iter_assignment_rows(user, args):
    n = 0
    for chunk in common.chunks(assignment_statement(user, args)):
        people = _people(user, [ent.id for ent in chunk])
        for ent in chunk:
            chiefs, liaisons = people[ent.id]
            n += 1
            yield AssignmentRow(
                seq=n, enterprise=ent.name, credit_code=ent.credit_code, subdistrict=ent.subdistrict,
                industry=ent.industry, chief_names=join_people(chiefs, "name"),
                chief_titles=join_people(chiefs, "title"), chief_phones=join_people(chiefs, "phone"),
                liaison_names=join_people(liaisons, "name"), liaison_titles=join_people(liaisons, "title"),
                liaison_phones=join_people(liaisons, "phone"))


def assignments_workbook(user, out, args=None, today=None):
    """The assignment table; returns the row count. ``args``: see :func:`assignment_statement`."""
    user = common.effective_user(user)
    today = today or clock.today()
    rows = iter_assignment_rows(user, args or {})
    first = next(rows, None)  # bad arguments raise here, before a file is written

    wb = open_workbook(out)
    styles = Styles(wb)
    ws = wb.add_worksheet("包联情况表", worksheet_class=StreamingWorksheet)
    ncols = len(ASSIGNMENT_COLUMNS)
    setup_sheet(ws)
    ws.set_row(0, 32)
    ws.merge_range(0, 0, 0, ncols - 1, f"{common.district()}重点企业首席服务官及具体分包人情况表", styles.title)
    ws.freeze_panes(2, 2)
    ws.repeat_rows(1)
    ws.set_row(1, 24)
    table = TableWriter(ws, styles, ASSIGNMENT_COLUMNS, 1)
    table.header()
    n = 0
    if first is not None:
        table.add(first)
        n = 1
        for row in rows:
            table.add(row)
            n += 1
    table.finish_widths()
    wb.close()
    return n
