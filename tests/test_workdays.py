"""China's working-day calendar (app.workdays) and the holiday import (app.holiday_import).

The 2026 arrangement, as encoded in chinese_calendar 1.11.0 (State Council notice for 2026):
  元旦    holiday Thu 01-01 … Sat 01-03;              make-up working day Sun 01-04
  春节    holiday Sun 02-15 … Mon 02-23 (9 days);     make-up working days Sat 02-14, Sat 02-28
  清明    holiday Sat 04-04 … Mon 04-06
  劳动节  holiday Fri 05-01 … Tue 05-05;              make-up working day Sat 05-09
  端午    holiday Fri 06-19 … Sun 06-21
  中秋    holiday Fri 09-25 … Sun 09-27
  国庆    holiday Thu 10-01 … Wed 10-07;              make-up working days Sun 09-20, Sat 10-10
"""
import random
from datetime import date, timedelta

import chinese_calendar
import pytest

from app import workdays
from app.holiday_import import import_holidays, parse_holidays

D = date


# --- the package's own data, so a package upgrade that changes 2026 is noticed -------------

def test_package_2026_arrangement():
    holidays = {d for d in chinese_calendar.holidays if d.year == 2026}
    makeup = {d for d in chinese_calendar.workdays if d.year == 2026}
    spring = {D(2026, 2, 15) + timedelta(days=i) for i in range(9)}
    national = {D(2026, 10, 1) + timedelta(days=i) for i in range(7)}
    assert spring <= holidays and national <= holidays
    assert makeup == {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9),
                      D(2026, 9, 20), D(2026, 10, 10)}


# --- is_workday -------------------------------------------------------------------------------

@pytest.mark.parametrize("day, expected", [
    (D(2026, 2, 14), True),   # Sat, 春节 make-up working day
    (D(2026, 2, 28), True),   # Sat, 春节 make-up working day
    (D(2026, 9, 20), True),   # Sun, 国庆 make-up working day
    (D(2026, 10, 10), True),  # Sat, 国庆 make-up working day
    (D(2026, 1, 4), True),    # Sun, 元旦 make-up working day
    (D(2026, 2, 16), False),  # Mon in 春节
    (D(2026, 2, 23), False),  # Mon, last day of 春节
    (D(2026, 10, 5), False),  # Mon in 国庆
    (D(2026, 9, 25), False),  # Fri, 中秋
    (D(2026, 3, 7), False),   # ordinary Saturday
    (D(2026, 3, 8), False),   # ordinary Sunday
    (D(2026, 3, 9), True),    # ordinary Monday
])
def test_is_workday_2026(day, expected):
    assert workdays.is_workday(day) is expected


# --- add_workdays -----------------------------------------------------------------------------

@pytest.mark.parametrize("start, n, expected", [
    # 春节: Fri 02-13 → Sat 02-14 (make-up) → 02-15…02-23 off → Tue 02-24
    (D(2026, 2, 13), 1, D(2026, 2, 14)),
    (D(2026, 2, 13), 2, D(2026, 2, 24)),
    (D(2026, 2, 12), 3, D(2026, 2, 24)),  # 02-13, 02-14, 02-24
    # after 02-14: 02-24, 25, 26, 27, Sat 02-28 (make-up), Mon 03-02, Tue 03-03
    (D(2026, 2, 14), 7, D(2026, 3, 3)),
    (D(2026, 2, 15), 1, D(2026, 2, 24)),  # from inside the holiday
    # 国庆: Wed 09-30 → 10-01…10-07 off → Thu 10-08, Fri 10-09, Sat 10-10 (make-up)
    (D(2026, 9, 30), 1, D(2026, 10, 8)),
    (D(2026, 9, 30), 3, D(2026, 10, 10)),
    # after Thu 09-24: 中秋 09-25…27 off; 09-28, 29, 30; 国庆 off; 10-08, 09, Sat 10-10, Mon 10-12
    (D(2026, 9, 24), 7, D(2026, 10, 12)),
    (D(2026, 9, 18), 1, D(2026, 9, 20)),  # Fri → Sat off → Sun 09-20 make-up
    # across the year end: 2025-12-31 Wed → 2026-01-01…03 off → Sun 01-04 (make-up)
    (D(2025, 12, 31), 1, D(2026, 1, 4)),
    (D(2025, 12, 30), 2, D(2026, 1, 4)),  # 12-31, 01-04
])
def test_add_workdays_forward(start, n, expected):
    assert workdays.add_workdays(start, n) == expected


@pytest.mark.parametrize("start, n, expected", [
    (D(2026, 10, 8), -1, D(2026, 9, 30)),
    (D(2026, 10, 12), -2, D(2026, 10, 9)),   # Sat 10-10, Fri 10-09
    (D(2026, 10, 12), -1, D(2026, 10, 10)),  # make-up Saturday counts backwards too
    (D(2026, 2, 24), -1, D(2026, 2, 14)),
    (D(2026, 2, 24), -2, D(2026, 2, 13)),
    (D(2026, 1, 4), -1, D(2025, 12, 31)),    # across the year start
    (D(2026, 1, 5), -2, D(2025, 12, 31)),    # 01-04, 12-31
])
def test_add_workdays_backward(start, n, expected):
    assert workdays.add_workdays(start, n) == expected


@pytest.mark.parametrize("start, expected", [
    (D(2026, 2, 14), D(2026, 2, 14)),  # a working day is its own answer
    (D(2026, 3, 9), D(2026, 3, 9)),
    (D(2026, 10, 1), D(2026, 10, 8)),  # a holiday → the next working day
    (D(2026, 3, 7), D(2026, 3, 9)),    # a Saturday → Monday
])
def test_add_workdays_zero(start, expected):
    assert workdays.add_workdays(start, 0) == expected


# --- workdays_between -------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    (D(2026, 9, 30), D(2026, 10, 10), 3),   # 10-08, 10-09, 10-10
    (D(2026, 9, 30), D(2026, 10, 7), 0),    # only holidays
    (D(2026, 2, 13), D(2026, 2, 24), 2),    # 02-14, 02-24
    (D(2026, 2, 13), D(2026, 2, 28), 6),    # 02-14, 24, 25, 26, 27, 28
    (D(2025, 12, 30), D(2026, 1, 5), 3),    # 12-31, 01-04, 01-05
    (D(2026, 3, 9), D(2026, 3, 9), 0),
])
def test_workdays_between(a, b, expected):
    assert workdays.workdays_between(a, b) == expected
    assert workdays.workdays_between(b, a) == -expected


@pytest.mark.parametrize("start", [D(2025, 12, 20), D(2025, 12, 22)])  # a Saturday, a Monday
def test_between_and_add_agree(start):
    for n in (1, 5, 37, 250, 600):
        assert workdays.workdays_between(start, workdays.add_workdays(start, n)) == n
        # (earlier, start] holds the n-1 working days in between, plus start itself if it works
        back = workdays.add_workdays(start, -n)
        assert workdays.workdays_between(back, start) == n - 1 + workdays.is_workday(start)


# --- against a slow day-by-day reference ------------------------------------------------------

def _ref_is_workday(day):
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _ref_add(day, n):
    if n == 0:
        return day if _ref_is_workday(day) else _ref_add(day, 1)
    step = timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    while left:
        day += step
        if _ref_is_workday(day):
            left -= 1
    return day


def _ref_between(a, b):
    if b < a:
        return -_ref_between(b, a)
    return sum(_ref_is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


def test_long_spans_match_reference():
    # 1000 working days from 2024 run past the package's last year into Mon–Fri territory
    assert workdays.add_workdays(D(2024, 1, 1), 1000) == _ref_add(D(2024, 1, 1), 1000)
    assert workdays.add_workdays(D(2028, 6, 30), -1000) == _ref_add(D(2028, 6, 30), -1000)
    assert workdays.add_workdays(D(2003, 12, 1), 400) == _ref_add(D(2003, 12, 1), 400)
    assert workdays.workdays_between(D(2020, 1, 1), D(2028, 6, 30)) == _ref_between(D(2020, 1, 1), D(2028, 6, 30))


def test_random_short_spans_match_reference():
    rng = random.Random(13710)
    for _ in range(300):
        start = D(2023, 1, 1) + timedelta(days=rng.randrange(5 * 366))
        n = rng.randint(-30, 30)
        assert workdays.add_workdays(start, n) == _ref_add(start, n), (start, n)
        end = start + timedelta(days=rng.randint(-60, 60))
        assert workdays.workdays_between(start, end) == _ref_between(start, end), (start, end)


# --- coverage and the Holiday table -----------------------------------------------------------

def test_covered_follows_package_range():
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    assert workdays.covered(first) and workdays.covered(last) and workdays.covered(2026)
    assert not workdays.covered(first - 1)
    assert workdays.uncovered_years([2026, last + 2, first - 1, last + 2]) == [first - 1, last + 2]


def _delete_rows(days):
    from app import db
    from app.models import Holiday

    db.session.rollback()
    db.session.query(Holiday).filter(Holiday.day.in_(days)).delete(synchronize_session=False)
    db.session.commit()
    workdays.invalidate()


def test_holiday_rows_cover_and_override(ctx):
    from app import db
    from app.models import Holiday

    ours = [D(2027, 1, 1), D(2027, 2, 6), D(2026, 3, 9), D(2026, 3, 7)]
    _delete_rows(ours)
    try:
        # 2027 unknown: Mon–Fri
        assert not workdays.covered(2027)
        assert 2027 in workdays.uncovered_years([2026, 2027])
        assert workdays.is_workday(D(2027, 1, 1))                               # Fri
        assert not workdays.is_workday(D(2027, 2, 6))                           # Sat
        assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 1)
        assert workdays.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 8)
        assert workdays.workdays_between(D(2026, 12, 31), D(2027, 1, 4)) == 2

        db.session.add_all([
            Holiday(day=D(2027, 1, 1), kind="holiday", name="元旦"),         # a Friday off
            Holiday(day=D(2027, 2, 6), kind="workday", name="春节调休"),     # a Saturday worked
            Holiday(day=D(2026, 3, 9), kind="holiday", name="测试"),         # overrides the package
            Holiday(day=D(2026, 3, 7), kind="workday", name="测试"),
        ])
        db.session.commit()
        workdays.invalidate()

        assert workdays.covered(2027)
        assert workdays.uncovered_years([2026, 2027]) == []
        assert not workdays.is_workday(D(2027, 1, 1))
        assert workdays.is_workday(D(2027, 2, 6))
        assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)        # Fri 01-01 skipped
        assert workdays.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 6)          # Sat counts
        assert workdays.workdays_between(D(2026, 12, 31), D(2027, 1, 4)) == 1
        assert workdays.add_workdays(D(2027, 1, 4), -1) == D(2026, 12, 31)
        assert not workdays.is_workday(D(2026, 3, 9)) and workdays.is_workday(D(2026, 3, 7))
        assert workdays.add_workdays(D(2026, 3, 6), 2) == D(2026, 3, 10)         # Sat 03-07, Tue 03-10
    finally:
        _delete_rows(ours)
    assert not workdays.covered(2027)
    assert workdays.is_workday(D(2026, 3, 9))


def test_without_app_context_uses_package_only():
    from flask import has_app_context

    assert not has_app_context()
    assert not workdays.covered(2027)
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)


def test_cache_expires(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(workdays.time, "monotonic", lambda: now[0])
    workdays.invalidate()
    workdays.is_workday(D(2026, 3, 9))
    entry = workdays._cache[(2026, False)]
    now[0] += workdays.TTL - 1
    workdays.is_workday(D(2026, 3, 9))
    assert workdays._cache[(2026, False)] is entry           # still fresh
    now[0] += 2
    workdays.is_workday(D(2026, 3, 9))
    assert workdays._cache[(2026, False)] is not entry       # refilled after the TTL
    workdays.invalidate()


# --- parse_holidays / import_holidays ---------------------------------------------------------

GBK_CSV = "日期,类型,名称\r\n2027-01-01,休,元旦\r\n2027/2/7,班,春节调休\r\n2027年2月8日,节假日,春节\r\n".encode("gbk")


def test_parse_gbk_csv():
    rows, errors = parse_holidays("2027节假日.csv", GBK_CSV)
    assert errors == []
    assert rows == [
        {"day": D(2027, 1, 1), "kind": "holiday", "name": "元旦", "row": 2},
        {"day": D(2027, 2, 7), "kind": "workday", "name": "春节调休", "row": 3},
        {"day": D(2027, 2, 8), "kind": "holiday", "name": "春节", "row": 4},
    ]


def test_parse_utf8_bom_csv_with_title_row_and_english_header():
    data = "\ufeff2027年节假日安排,,\nDate,Kind,Name\n2027-10-01,holiday,国庆节\n,,\n2027-10-09,workday,\n".encode("utf-8")
    rows, errors = parse_holidays("holidays.CSV", data)
    assert errors == []
    assert rows == [
        {"day": D(2027, 10, 1), "kind": "holiday", "name": "国庆节", "row": 3},
        {"day": D(2027, 10, 9), "kind": "workday", "name": None, "row": 5},
    ]


def test_parse_errors_name_the_row_and_column():
    data = ("日期,类型,名称\n"
            "2027-01-01,休,元旦\n"      # row 2 fine
            "2027-13-01,休,错\n"        # row 3 bad date
            ",班,\n"                    # row 4 empty date
            "2027-01-01,休,重复\n"      # row 5 duplicate
            "2027-01-02,调休,x\n"       # row 6 ambiguous kind
            "明天,,y\n").encode("utf-8")  # row 7 bad date and empty kind
    rows, errors = parse_holidays("a.csv", data)
    assert [r["row"] for r in rows] == [2]
    got = [(e["row"], e["column"]) for e in errors]
    assert got == [(3, "日期"), (4, "日期"), (5, "日期"), (6, "类型"), (7, "日期"), (7, "类型")]
    assert "2027-13-01" in errors[0]["message"]
    assert "第2行" in errors[2]["message"]
    assert all(e["message"] for e in errors)


def test_parse_rejects_missing_header_and_unknown_type():
    rows, errors = parse_holidays("a.csv", "2027-01-01,休\n".encode("utf-8"))
    assert rows == [] and errors[0]["row"] == 1 and "表头" in errors[0]["message"]
    rows, errors = parse_holidays("a.pdf", b"%PDF")
    assert rows == [] and errors[0]["row"] is None


def test_parse_xlsx():
    pytest.importorskip("python_calamine")
    xlsxwriter = pytest.importorskip("xlsxwriter")
    import io
    from datetime import datetime

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet()
    fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(1, 0, "2027年部分节假日安排")          # row 1 empty, row 2 a title
    sheet.write_row(2, 0, ["日期", "类型", "名称"])     # row 3 header
    sheet.write_datetime(3, 0, datetime(2027, 1, 1), fmt)  # row 4 an Excel date cell
    sheet.write_row(3, 1, ["休", "元旦"])
    sheet.write_row(4, 0, ["2027/2/6", "班", "春节调休"])   # row 5 a text date
    sheet.write_row(5, 0, ["2027-02-30", "休"])             # row 6 an impossible date
    sheet.write(6, 0, 46426)                                 # row 7 a bare serial (= 2027-02-08)
    sheet.write(6, 1, "假")
    book.close()

    rows, errors = parse_holidays("节假日.xlsx", buf.getvalue())
    assert [(r["row"], r["day"], r["kind"], r["name"]) for r in rows] == [
        (4, D(2027, 1, 1), "holiday", "元旦"),
        (5, D(2027, 2, 6), "workday", "春节调休"),
        (7, D(2027, 2, 8), "holiday", None),
    ]
    assert [(e["row"], e["column"]) for e in errors] == [(6, "日期")]


def test_import_holidays_upserts(ctx):
    from app import db
    from app.models import Holiday

    days = [D(2027, 1, 1), D(2027, 2, 7), D(2027, 2, 8)]
    _delete_rows(days)
    try:
        assert not workdays.covered(2027)
        rows, errors = parse_holidays("a.csv", GBK_CSV)
        assert errors == []
        assert import_holidays(rows) == {"created": 3, "updated": 0, "unchanged": 0}
        assert workdays.covered(2027)                       # invalidate() was called
        assert workdays.is_workday(D(2027, 2, 7))            # a Sunday worked
        db.session.commit()

        changed = [dict(rows[0], kind="workday"), dict(rows[1], name=None), rows[2]]
        assert import_holidays(changed) == {"created": 0, "updated": 1, "unchanged": 2}
        db.session.commit()
        got = {h.day: (h.kind, h.name) for h in db.session.query(Holiday).filter(Holiday.day.in_(days))}
        assert got == {D(2027, 1, 1): ("workday", "元旦"), D(2027, 2, 7): ("workday", "春节调休"),
                       D(2027, 2, 8): ("holiday", "春节")}
        assert workdays.is_workday(D(2027, 1, 1))
    finally:
        _delete_rows(days)
    assert not workdays.covered(2027)
