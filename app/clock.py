"""Local time for the district (Asia/Shanghai by default) and week arithmetic.

Business code asks this module for "now", never the wall clock directly, so that the demo
seeder, the sweep (``--now``) and tests can act at a chosen moment with :func:`at`.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Shanghai"


def tz():
    name = current_app.config.get("CSO_TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


_override = ContextVar("cso_now", default=None)
_ceiling = ContextVar("cso_now_ceiling", default=None)


@contextmanager
def at(moment: datetime):
    """Run the block as if it were ``moment`` (naive = local time) — no later than the ceiling of an
    enclosing :func:`no_later_than`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz())
    ceiling = _ceiling.get()
    if ceiling is not None and moment > ceiling:
        moment = ceiling
    token = _override.set(moment)
    try:
        yield moment
    finally:
        _override.reset(token)


@contextmanager
def no_later_than(moment: datetime):
    """Inside the block every :func:`at` runs at ``moment`` at the latest: the demo seeder places its
    records at office hours of today (problems received at 9:30, steps until 8:00 …), and seeded before
    those hours it would date them after the moment it runs."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz())
    token = _ceiling.set(moment)
    try:
        yield moment
    finally:
        _ceiling.reset(token)


def now():
    """Aware local datetime."""
    moment = _override.get()
    return moment.astimezone(tz()) if moment is not None else datetime.now(tz())


def utcnow():
    """Naive UTC, as timestamps are stored."""
    return now().astimezone(timezone.utc).replace(tzinfo=None)


def today():
    return now().date()


def local(utc_naive: datetime) -> datetime:
    """A naive UTC timestamp (as stored) in the district's time zone."""
    return utc_naive.replace(tzinfo=timezone.utc).astimezone(tz())


def week_start(day: date) -> date:
    """Monday of the week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def week_range(day: date):
    start = week_start(day)
    return start, start + timedelta(days=6)


def local_text(utc_naive):
    """For templates: a stored UTC timestamp as local YYYY-MM-DD HH:MM ('' for None)."""
    return local(utc_naive).strftime("%Y-%m-%d %H:%M") if utc_naive else ""
