"""Local time for the district (Asia/Shanghai by default) and week arithmetic."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Shanghai"


def tz():
    name = current_app.config.get("CSO_TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def now():
    """Aware local datetime."""
    return datetime.now(tz())


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
