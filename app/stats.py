"""Statistics: periods in the district's local time, every rate defined once, the minimum sample
(docs/architecture.md#statistics-and-rates).

Timestamps are stored as naive UTC; a day is the district's local day. "Happened in period P"
is therefore always :meth:`Period.has` (a UTC window that starts and ends at local midnight),
never ``func.date(column)`` (which would take the UTC date: 07:30 on a Monday in Shanghai is
still Sunday in UTC). Date columns (``received_on``, ``visit_date``) are local already and use
:meth:`Period.covers`.

Every rate is a :class:`Rate`: numerator, denominator and its definition. On fewer than
``MIN_SAMPLE`` items (setting ``CSO_MIN_SAMPLE``) it has no value and reads 样本不足 — never 0 %
or 100 % from two problems. Bulletins, the ledger export's 汇总 sheet, the home pages and the
officer work ledger call these; assessments and the dashboard will too.
"""
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from dateutil.relativedelta import relativedelta
from flask import current_app, has_app_context
from sqlalchemy import and_, func, select

from . import clock, db
from .vocab import OPEN_STATUSES, SOLVED_STATUSES

DEFAULT_MIN_SAMPLE = 5
INSUFFICIENT = "样本不足"


# --- local days and periods ------------------------------------------------------------------------

def utc_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, as naive UTC (how timestamps are stored)."""
    return datetime.combine(day, time(0), tzinfo=clock.tz()).astimezone(timezone.utc).replace(tzinfo=None)


def local_day(stamp):
    """The district's local date of a stored (naive UTC) timestamp; None stays None."""
    return clock.local(stamp).date() if stamp is not None else None


def happened_between(column, start: date, end: date):
    """SQL criterion: the stored UTC timestamp ``column`` falls on a local day in [start, end]."""
    return and_(column >= utc_start(start), column < utc_start(end + timedelta(days=1)))


PERIOD_KINDS = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter | year
    start: date
    end: date  # inclusive

    def has(self, column):
        """Criterion for a stored UTC timestamp column: happened on a local day of this period."""
        return happened_between(column, self.start, self.end)

    def covers(self, column):
        """Criterion for a (local) date column."""
        return column.between(self.start, self.end)

    def contains(self, day: date):
        return day is not None and self.start <= day <= self.end

    @property
    def key(self):
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self):
        """Chinese label: 2026年第48周（11月23日—11月29日）, 2026年11月, 2026年第四季度, 2026年."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}年第{week}周（{self.start.month}月{self.start.day}日—{self.end.month}月{self.end.day}日）"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        return f"{self.start.year}年"

    def previous(self):
        return period(self.kind, self.start - timedelta(days=1))

    def __str__(self):
        return self.label


def period(kind, day: date) -> Period:
    """The period of ``kind`` that holds ``day``."""
    if kind == "week":
        start = clock.week_start(day)
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
    elif kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif kind == "year":
        start = date(day.year, 1, 1)
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    return Period(kind, start, start + relativedelta(months=months) - timedelta(days=1))


_KEYS = [
    (re.compile(r"^(\d{4})-W(\d{1,2})$"), "week"), (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})Q([1-4])$", re.I), "quarter"), (re.compile(r"^(\d{4})$"), "year"),
]


def parse_period(text) -> Period:
    """'2026-W48', '2026-11', '2026Q4' or '2026' → Period; ValueError (Chinese) otherwise."""
    value = str(text or "").strip()
    for pattern, kind in _KEYS:
        m = pattern.match(value)
        if not m:
            continue
        year = int(m.group(1))
        if not 2000 <= year <= 2100:
            break
        try:
            if kind == "week":
                return period("week", date.fromisocalendar(year, int(m.group(2)), 1))
            if kind == "month":
                return period("month", date(year, int(m.group(2)), 1))
            if kind == "quarter":
                return period("quarter", date(year, 3 * int(m.group(2)) - 2, 1))
            return period("year", date(year, 1, 1))
        except ValueError:
            break
    raise ValueError("期间格式应为 2026-W48（周）、2026-11（月）、2026Q4（季度）或 2026（年），年份在2000至2100之间。")


# --- rates -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RateDef:
    key: str
    label: str
    definition: str


RATES = {r.key: r for r in [
    RateDef("solution", "解决率", "已办结和已销号的问题数 ÷ 问题总数（不含已作废）。"),
    RateDef("closure", "销号率", "已销号的问题数 ÷ 问题总数（不含已作废）。"),
    RateDef("on_time", "按期办结率", "期内办结的问题中，在办结时限（含批准的延期）当日或之前办结的比例。"),
    RateDef("feedback", "3日反馈率", "期内交办的问题中，在首次反馈时限内有责任单位反馈进展或办结的比例。"),
    RateDef("visit_coverage", "周走访覆盖率", "本周至少走访一次的包联企业数 ÷ 在岗包联的企业数。"),
    RateDef("report_timeliness", "报告及时率", "期内应报的周报、月度台账中按时报送的比例（迟报、漏报另计）。"),
    # 代办 (app/proxy/metrics.py)
    RateDef("proxy_on_time", "代办环节按时办结率", "期内出结果的代办环节中，在法定时限当日或之前出结果的比例。"),
    RateDef("proxy_no_meet", "两不见面率", "期内移交的代办件中，企业确认既未见办理部门、也未见相关当事人的比例。"),
    # satisfaction surveys (app/surveys/metrics.py computes it)
    RateDef("satisfaction", "满意率", "期内提交的企业评价中“非常满意、满意、基本满意”的评价数 ÷ 评价总数（每份答卷对每个被评价对象"
            "的四个维度各计一次）；过期未评价的单列为“未评价”，不计入满意。"),
    # the policy library (app/policies/metrics.py computes them)
    RateDef("policy_reach", "政策宣传到位率", "期末有效的惠企事项与包联企业中符合条件的组合里，期末前已送达（当前版本）的比例。"),
    RateDef("policy_cash_on_time", "政策按期兑现率", "期内兑现的申报中，在受理后兑现时限（工作日）内兑现的比例。"),
]}


# assessments (app/assessments/metrics.py computes them per officer or unit)
RATES.update({r.key: r for r in [
    RateDef("notice_on_time", "交办按期办结率", "办结时限在期内（且已到期或已答复）的交办通知单中，牵头单位在时限当日或之前答复办结的比例。"),
    RateDef("decision_on_time", "议定事项按期率", "办理时限在期内（且已到期或已报告）的会商议定事项中，牵头单位在时限当日或之前报告办理结果的比例。"),
]})


def feedback_of(rows, today: date):
    """3日反馈率 of given (first_feedback_at, feedback_due) pairs — the rule of :func:`feedback_rate`
    for rows already selected (e.g. grouped by department)."""
    due = [(fed, limit) for fed, limit in rows if limit is not None and (fed is not None or limit < today)]
    return rate("feedback", sum(1 for fed, limit in due if fed is not None and local_day(fed) <= limit), len(due))


def min_sample():
    if has_app_context():
        return int(current_app.config.get("CSO_MIN_SAMPLE", DEFAULT_MIN_SAMPLE))
    return DEFAULT_MIN_SAMPLE


@dataclass(frozen=True)
class Rate:
    key: str
    numerator: int
    denominator: int
    minimum: int = DEFAULT_MIN_SAMPLE

    @property
    def sufficient(self):
        return self.denominator > 0 and self.denominator >= self.minimum

    @property
    def value(self):
        """The share as a float in [0, 1], or None when the sample is too small."""
        return self.numerator / self.denominator if self.sufficient else None

    @property
    def percent(self):
        """Percent rounded to one decimal, or None (样本不足)."""
        return round(100.0 * self.numerator / self.denominator, 1) if self.sufficient else None

    @property
    def text(self):
        return f"{self.percent}%" if self.sufficient else INSUFFICIENT

    @property
    def label(self):
        return RATES[self.key].label

    @property
    def definition(self):
        return RATES[self.key].definition

    def as_dict(self):
        return {"key": self.key, "label": self.label, "numerator": self.numerator, "denominator": self.denominator,
                "percent": self.percent, "text": self.text, "definition": self.definition}

    def __str__(self):
        return self.text


def rate(key, numerator, denominator, minimum=None):
    if key not in RATES:
        raise KeyError(key)
    return Rate(key, int(numerator or 0), int(denominator or 0), min_sample() if minimum is None else minimum)


def solution_rate(status_counts):
    """解决率 from counts by status (a Counter or dict status → n)."""
    counts = Counter(status_counts)
    base = sum(counts.values()) - counts["void"]
    return rate("solution", sum(counts[s] for s in SOLVED_STATUSES), base)


def closure_rate(status_counts):
    counts = Counter(status_counts)
    return rate("closure", counts["closed"], sum(counts.values()) - counts["void"])


def status_counts(*where):
    """Problems by status (SQL, one statement) under the given criteria on Issue."""
    from .models import Issue

    query = select(Issue.status, func.count()).group_by(Issue.status)
    if where:
        query = query.where(*where)
    return Counter(dict(db.session.execute(query).all()))


def open_count(*where):
    from .models import Issue

    return db.session.scalar(select(func.count()).select_from(Issue).where(Issue.status.in_(OPEN_STATUSES), *where))


def visit_coverage(visited, total):
    """周走访覆盖率 from counts (enterprises visited this week, enterprises served)."""
    return rate("visit_coverage", visited, total)


def on_time_rate(p: Period, *where):
    """按期办结率 over the problems resolved in ``p`` (by the department or at officer level)."""
    from .models import Issue

    rows = db.session.execute(select(Issue.resolved_at, Issue.resolve_due).where(
        p.has(Issue.resolved_at), *where)).all()
    on_time = sum(1 for resolved_at, due in rows if due is None or local_day(resolved_at) <= due)
    return rate("on_time", on_time, len(rows))


def feedback_rate(p: Period, today: date, *where):
    """3日反馈率 over the problems transferred in ``p`` whose feedback deadline has come (or that
    already had feedback)."""
    from .models import Issue

    rows = db.session.execute(select(Issue.first_feedback_at, Issue.feedback_due).where(
        p.has(Issue.assigned_at), Issue.feedback_due.is_not(None), *where)).all()
    due = [(fed, limit) for fed, limit in rows if fed is not None or limit < today]
    in_time = sum(1 for fed, limit in due if fed is not None and local_day(fed) <= limit)
    return rate("feedback", in_time, len(due))


LAPSE_KINDS = ("late_report", "missing_report", "urged_missing")  # 迟报 / 漏报 / 催而不报 (八(七))


def report_timeliness(p: Period, today: date, *where):
    """报告及时率 of the reports due in ``p`` (up to ``today``), with the lapse counts."""
    from .models import DutyRecord, Report

    rows = db.session.execute(select(Report.submitted_at, Report.due_on).where(
        p.covers(Report.due_on), Report.due_on < today, *where)).all()
    on_time = sum(1 for sub, due in rows if sub is not None and local_day(sub) <= due)
    lapses = Counter(dict(db.session.execute(select(DutyRecord.kind, func.count()).where(
        DutyRecord.kind.in_(LAPSE_KINDS), p.has(DutyRecord.created_at)).group_by(DutyRecord.kind)).all()))
    return rate("report_timeliness", on_time, len(rows)), {k: lapses[k] for k in LAPSE_KINDS}


# --- counts over periods (the dashboard, app/dashboard) ---------------------------------------------

def is_on_time(resolved_at, due):
    """One resolved problem counts as on time (按期): no deadline, or resolved on or before it."""
    return due is None or local_day(resolved_at) <= due


def on_time_of(rows):
    """按期办结率 of given (resolved_at, resolve_due) pairs (e.g. one department's share of P)."""
    rows = list(rows)
    return rate("on_time", sum(1 for resolved_at, due in rows if is_on_time(resolved_at, due)), len(rows))


def received_count(p: Period, *where):
    """新增: problems received (反映日期) in ``p``, 已作废 included (as the ledger list shows them)."""
    from .models import Issue

    return db.session.scalar(select(func.count()).select_from(Issue).where(p.covers(Issue.received_on), *where)) or 0


def resolved_count(p: Period, *where):
    """办结: problems resolved in ``p`` (by the department or at officer level), whatever came after."""
    from .models import Issue

    return db.session.scalar(select(func.count()).select_from(Issue).where(p.has(Issue.resolved_at), *where)) or 0


BACKLOG_DEFINITION = "月末积压：当月末之前反映、到月末尚未办结的问题（不含已作废和无法解决）。"


def backlog_at(day: date, *where):
    """积压 at the end of local ``day``: received by then and not resolved by then (void and unable
    left out: they never count as work waiting)."""
    from .models import Issue

    end = utc_start(day + timedelta(days=1))
    return db.session.scalar(select(func.count()).select_from(Issue).where(
        Issue.received_on <= day, Issue.status.not_in(("void", "unable")),
        (Issue.resolved_at.is_(None)) | (Issue.resolved_at >= end), *where)) or 0
