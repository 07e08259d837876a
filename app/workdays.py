"""China's official working-day calendar (工作日历), used for deadlines.

Rules, strongest first:
1. a ``Holiday`` row for the day: kind 'holiday' → day off, 'workday' → working day (调休上班);
2. the ``chinese_calendar`` package, for the years it knows (State Council notices);
3. otherwise Monday–Friday.

Per year we build, once, the sorted list of working-day ordinals and cache it for ``TTL``
seconds (so other processes' edits are picked up). ``add_workdays`` / ``workdays_between``
then work with bisect and per-year counts: O(years + log n), never day by day.
Call ``invalidate()`` after Holiday rows change.
"""
import threading
import time
from bisect import bisect_left, bisect_right
from datetime import date, datetime
from functools import lru_cache

import chinese_calendar
from flask import has_app_context

TTL = 60.0  # seconds a cached year stays valid

_cache = {}  # (year, with_db) -> (expires_at, ordinals: list[int], covered: bool)
_lock = threading.Lock()


@lru_cache(maxsize=None)
def _package_covers(year):
    """Whether chinese_calendar has the official calendar for ``year`` (probed, not hard-coded)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _db_overrides(year):
    """{date: kind} from the Holiday table for ``year`` (needs an app context)."""
    from . import db
    from .models import Holiday

    rows = (db.session.query(Holiday.day, Holiday.kind)
            .filter(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31)).all())
    return {day: kind for day, kind in rows}


def _build(year, overrides):
    package = _package_covers(year)
    holidays, workdays = chinese_calendar.holidays, chinese_calendar.workdays
    ordinals = []
    for o in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
        day = date.fromordinal(o)
        kind = overrides.get(day)
        if kind is not None:
            working = kind == "workday"
        elif package:
            working = day in workdays or (day.weekday() < 5 and day not in holidays)
        else:
            working = day.weekday() < 5
        if working:
            ordinals.append(o)
    return ordinals, package or bool(overrides)


def _year(year):
    """(sorted working-day ordinals, covered) for ``year``, cached."""
    key = (year, has_app_context())  # without an app context: package / Mon–Fri only
    now = time.monotonic()
    entry = _cache.get(key)
    if entry is not None and entry[0] > now:
        return entry[1], entry[2]
    overrides = _db_overrides(year) if key[1] else None
    ordinals, covered = _build(year, overrides or {})
    with _lock:
        _cache[key] = (now + TTL, ordinals, covered)
    return ordinals, covered


def _as_date(day):
    return day.date() if isinstance(day, datetime) else day


def invalidate():
    """Drop all cached years (call after Holiday rows change, and again after the commit)."""
    with _lock:
        _cache.clear()


def is_workday(day: date) -> bool:
    day = _as_date(day)
    ordinals, _ = _year(day.year)
    o = day.toordinal()
    i = bisect_left(ordinals, o)
    return i < len(ordinals) and ordinals[i] == o


def add_workdays(day: date, n: int) -> date:
    """n > 0: the n-th working day strictly after ``day``; n < 0: the |n|-th strictly before;
    n == 0: ``day`` if it is a working day, else the next working day."""
    day = _as_date(day)
    if n == 0:
        return day if is_workday(day) else add_workdays(day, 1)
    year, o = day.year, day.toordinal()
    ordinals, _ = _year(year)
    if n > 0:
        i = bisect_right(ordinals, o)  # first working day after ``day``
        while i + n > len(ordinals):
            n -= len(ordinals) - i
            year += 1
            ordinals, _ = _year(year)
            i = 0
        return date.fromordinal(ordinals[i + n - 1])
    n = -n
    i = bisect_left(ordinals, o)  # number of working days before ``day`` in its year
    while n > i:
        n -= i
        year -= 1
        ordinals, _ = _year(year)
        i = len(ordinals)
    return date.fromordinal(ordinals[i - n])


def workdays_between(a: date, b: date) -> int:
    """Number of working days d with a < d <= b; the negative of the reverse count when b < a."""
    a, b = _as_date(a), _as_date(b)
    if a == b:
        return 0
    if b < a:
        return -workdays_between(b, a)
    first, _ = _year(a.year)
    if a.year == b.year:
        return bisect_right(first, b.toordinal()) - bisect_right(first, a.toordinal())
    count = len(first) - bisect_right(first, a.toordinal())
    for year in range(a.year + 1, b.year):
        count += len(_year(year)[0])
    last, _ = _year(b.year)
    return count + bisect_right(last, b.toordinal())


def covered(year: int) -> bool:
    """True when the year's official calendar is known: chinese_calendar has it, or the office
    imported at least one Holiday row for it."""
    return _year(year)[1]


def uncovered_years(years) -> list:
    """Sorted distinct years whose holiday arrangement is unknown (Mon–Fri is assumed), for the
    warning "YYYY年的节假日安排尚未录入，按周一至周五计算工作日"."""
    return sorted({y for y in years if not covered(y)})


# 节假日 page: the package's built-in calendar for one year (chinese_calendar names are English)
HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def builtin_years():
    """The years chinese_calendar knows (probed: 2004–2026 with the pinned version)."""
    from . import clock

    return [y for y in range(2004, clock.today().year + 3) if _package_covers(y)]


def builtin_days(year):
    """[(day, kind, name)] of the package's official arrangement for ``year`` — days off that fall
    on working days or on weekends inside a holiday, and make-up working weekends (调休上班) —
    kind "holiday"/"workday" as the Holiday table spells them; [] for a year the package lacks."""
    if not _package_covers(year):
        return []
    out = []
    for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
        for day, name in table.items():
            if day.year == year:
                out.append((day, kind, HOLIDAY_NAMES.get(name, name)))
    return sorted(out)
