"""The leaders' dashboard: one function per chart, each an ECharts option as a plain dict
(docs/architecture.md#statistics-and-rates).

Every number is counted over the ledger list's own query (``app.ledger.listing.build_query``, which
starts from ``scope.restrict(Issue, …)``) with the filters its click-through link carries, so a click
on a number lands on a list of exactly that many problems, and a department or an officer sees only
their own. Rates come from ``app.stats``. A chart function returns::

    {"title", "definition", "as_of", "option", "table": {"columns", "rows", "links"}, "excel"}

``table.links`` holds, cell for cell, the list behind the number (or None); ``excel`` tells the
workbook which columns its native chart draws.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from flask import url_for
from sqlalchemy import case, func, select, union_all

from .. import clock, db, scope, stats
from ..ledger.listing import build_query
from ..models import Department, Issue, IssueCategory, issue_codepartment
from ..notices.models import Notice
from ..querystring import QueryError
from ..vocab import NOTICE_OPEN, NOTICE_RUNNING, SEES_ALL_ROLES, TIERS

FONT = '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", SimSun, sans-serif'
COLOURS = {"new": "#5470c6", "closed": "#91cc75", "backlog": "#ee6666", "approaching": "#fac858",
           "overdue": "#ee6666", "serious": "#a50026"}
BANDS = ((95.0, "green", "#2e7d32"), (85.0, "yellow", "#f9a825"), (0.0, "red", "#c62828"))  # 按期率 bands
MAX_REGION = 50


@dataclass
class Context:
    """Who is looking, for which period and 街道, at which moment."""
    user: object
    period: stats.Period
    region: str | None = None
    today: date = field(default_factory=clock.today)
    as_of: datetime = field(default_factory=clock.utcnow)

    def args(self, **extra):
        """The ledger list's filters for a number: the region plus ``extra``."""
        args = {"region": self.region} if self.region else {}
        return {**args, **{k: v for k, v in extra.items() if v is not None}}

    def ids(self, **extra):
        """SELECT of the ids of the problems the ledger list shows for these filters."""
        return build_query(self.user, self.args(**extra), self.today).with_only_columns(Issue.id)

    def count(self, **extra):
        return db.session.scalar(select(func.count()).select_from(self.ids(**extra).subquery())) or 0

    def link(self, **extra):
        return url_for("LedgerView.list", **self.args(**extra))

    def received(self, p):
        return {"received_from": p.start.isoformat(), "received_to": p.end.isoformat()}

    @property
    def as_of_text(self):
        return clock.local(self.as_of).strftime("%Y-%m-%d %H:%M")


def context(user, args, today=None):
    """A Context from query arguments ``period`` (2026-11, 2026Q4, 2026-W48, 2026 or week/month/
    quarter/year for the current one; default this month) and ``region``; QueryError if bad."""
    today = today or clock.today()
    text = str(args.get("period") or "month").strip()
    try:
        p = stats.period(text, today) if text in stats.PERIOD_KINDS else stats.parse_period(text)
    except ValueError as exc:
        raise QueryError("period", str(exc)) from None
    region = str(args.get("region") or "").strip() or None
    if region and len(region) > MAX_REGION:
        raise QueryError("region", f"街道/乡镇名称不超过{MAX_REGION}个字。")
    return Context(user, p, region, today)


def _base(ctx, title, definition, option, columns, rows, links, excel, clicks=None):
    """``clicks``: {series index: [the list behind each data point]} for a click on the chart."""
    option = {"textStyle": {"fontFamily": FONT}, "aria": {"enabled": True}, "animation": False, **option}
    return {"title": title, "definition": definition, "as_of": ctx.as_of_text, "period": ctx.period.label,
            "option": option, "table": {"columns": columns, "rows": rows, "links": links}, "excel": excel,
            "clicks": {str(k): v for k, v in (clicks or {}).items()}}


def _pct(r):
    return r.percent  # None under the minimum sample


# --- 1. KPI tiles ----------------------------------------------------------------------------------

def _notice_counts(ctx):
    base = scope.restrict(Notice, select(func.count()).select_from(Notice), ctx.user)
    return (db.session.scalar(base.where(Notice.status.in_(NOTICE_OPEN))) or 0,
            db.session.scalar(base.where(Notice.status.in_(NOTICE_RUNNING), Notice.due_on < ctx.today)) or 0)


def kpi(ctx):
    """KPI tiles: each figure this period and last period, with the list behind it."""
    p, prev = ctx.period, ctx.period.previous()
    visible = Issue.id.in_(ctx.ids())
    status_now = stats.status_counts(visible, p.covers(Issue.received_on))
    status_prev = stats.status_counts(visible, prev.covers(Issue.received_on))
    solution, solution_prev = stats.solution_rate(status_now), stats.solution_rate(status_prev)
    on_time, on_time_prev = stats.on_time_rate(p, visible), stats.on_time_rate(prev, visible)
    notices_open, notices_overdue = _notice_counts(ctx)
    solved = ",".join(stats.SOLVED_STATUSES)
    tiles = [
        ("未办结问题", ctx.count(open="1"), stats.backlog_at(prev.end, visible), ctx.link(open="1"),
         "当前未办结（待受理、已受理、已交办、办理中）的问题；上期为上期末的积压。"),
        ("本期新增", stats.received_count(p, visible), stats.received_count(prev, visible),
         ctx.link(**ctx.received(p)), "本期反映（反映日期在本期内）的问题数。"),
        ("本期办结", stats.resolved_count(p, visible), stats.resolved_count(prev, visible),
         ctx.link(status=solved), "本期办结（含服务官层面办结）的问题数；链接为全部已办结、已销号的问题。"),
        (solution.label, solution.text, solution_prev.text, ctx.link(status=solved, **ctx.received(p)),
         f"本期反映的问题中：{solution.definition}（{solution.numerator}/{solution.denominator}）"),
        (on_time.label, on_time.text, on_time_prev.text, ctx.link(status=solved),
         f"{on_time.definition}（{on_time.numerator}/{on_time.denominator}）"),
        ("超期问题", ctx.count(tier="overdue"), None, ctx.link(tier="overdue"), "当前已过时限仍未办结的问题（含严重超期）。"),
        ("严重超期", ctx.count(tier="serious"), None, ctx.link(tier="serious"), "当前超过时限5个工作日及以上仍未办结的问题。"),
        ("交办单未办结", notices_open, None, url_for("NoticeView.list", status=",".join(NOTICE_OPEN)),
         "尚未审结或作废的交办通知单。"),
        ("交办单逾期", notices_overdue, None, url_for("NoticeView.list", status=",".join(NOTICE_RUNNING)),
         "已送达或已签收、已过办理期限仍未回复的交办通知单；链接为在办的交办单。"),
    ]
    rows = [[name, now, "—" if last is None else last] for name, now, last, _, _ in tiles]
    links = [[None, link, None] for *_, link, _ in tiles]
    definition = "；".join(f"{name}：{text}" for name, _, _, _, text in tiles)
    tiles_out = [{"name": n, "value": v, "last": last, "url": u, "definition": d} for n, v, last, u, d in tiles]
    result = _base(ctx, f"关键指标（{p.label}）", definition, {}, ["指标", "本期", "上期"], rows, links, None)
    result["tiles"] = tiles_out
    return result


# --- 2. 12-month trend -----------------------------------------------------------------------------

def trend(ctx):
    """The last twelve months up to the period's end: new and resolved bars, the month-end backlog line."""
    visible = Issue.id.in_(ctx.ids())
    last = stats.period("month", ctx.period.end)
    months = [stats.period("month", last.start - relativedelta(months=n)) for n in range(11, -1, -1)]
    rows, links = [], []
    for m in months:
        rows.append([m.key, stats.received_count(m, visible), stats.resolved_count(m, visible),
                     stats.backlog_at(min(m.end, ctx.today), visible)])
        links.append([None, ctx.link(**ctx.received(m)), None, None])
    option = {
        "tooltip": {"trigger": "axis"}, "legend": {"data": ["新增", "办结", "月末积压"]},
        "grid": {"left": 40, "right": 40, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": [r[0] for r in rows]},
        "yAxis": [{"type": "value", "name": "件", "minInterval": 1}],
        "series": [
            {"name": "新增", "type": "bar", "data": [r[1] for r in rows], "itemStyle": {"color": COLOURS["new"]}},
            {"name": "办结", "type": "bar", "data": [r[2] for r in rows], "itemStyle": {"color": COLOURS["closed"]}},
            {"name": "月末积压", "type": "line", "data": [r[3] for r in rows],
             "itemStyle": {"color": COLOURS["backlog"]}},
        ],
    }
    definition = ("新增：当月反映的问题数；办结：当月办结（含服务官层面办结）的问题数；"
                  + stats.BACKLOG_DEFINITION + "本月的积压截至今日。")
    return _base(ctx, "近12个月问题趋势", definition, option, ["月份", "新增", "办结", "月末积压"], rows, links,
                 {"type": "column", "series": [1, 2], "line": [3]}, {0: [lk[1] for lk in links]})


# --- 3. department league table --------------------------------------------------------------------

def _addressed():
    """(issue_id, department_id): the lead department and every co-department of a problem — the
    ledger's 单位 filter, and a department's scope."""
    return union_all(
        select(Issue.id.label("issue_id"), Issue.lead_department_id.label("dept")).where(
            Issue.lead_department_id.is_not(None)),
        select(issue_codepartment.c.issue_id.label("issue_id"), issue_codepartment.c.department_id.label("dept")),
    ).subquery()


def _departments(ctx):
    """{id: name} of the departments the viewer may rank: all, or a unit its own only."""
    query = select(Department.id, Department.name).order_by(Department.name)
    if not scope.role_names(ctx.user) & SEES_ALL_ROLES and scope.department_id_set(ctx.user):
        query = query.where(Department.id.in_(scope.department_id_set(ctx.user)))
    return dict(db.session.execute(query).all())


def _by_department(ctx, ids):
    pairs = _addressed()
    rows = db.session.execute(select(pairs.c.dept, func.count(func.distinct(pairs.c.issue_id))).where(
        pairs.c.issue_id.in_(ids)).group_by(pairs.c.dept)).all()
    return dict(rows)


def _band(percent):
    if percent is None:
        return None, "#9e9e9e"
    return next((name, colour) for floor, name, colour in BANDS if percent >= floor)


def league(ctx):
    """按期办结率 per department over the problems resolved in the period (hidden under the minimum
    sample), with the overdue count now."""
    pairs = _addressed()
    names = _departments(ctx)
    resolved = db.session.execute(
        select(pairs.c.dept, Issue.resolved_at, Issue.resolve_due).join(Issue, Issue.id == pairs.c.issue_id)
        .where(ctx.period.has(Issue.resolved_at), Issue.id.in_(ctx.ids()))).all()
    per = {d: [] for d in names}
    for dept, resolved_at, due in resolved:
        if dept in per:
            per[dept].append((resolved_at, due))
    overdue = _by_department(ctx, ctx.ids(tier="overdue"))
    items = []
    for dept, name in names.items():
        r = stats.on_time_of(per[dept])
        items.append((name, dept, r, overdue.get(dept, 0)))
    items.sort(key=lambda it: (it[2].percent is None, -(it[2].percent or 0), it[3], it[0]))
    rows = [[name, r.text, r.denominator, n_over] for name, _, r, n_over in items]
    links = [[None, None, ctx.link(department=str(d), status=",".join(stats.SOLVED_STATUSES)),
              ctx.link(department=str(d), tier="overdue")] for _, d, _, _ in items]
    shown = [it for it in items if it[2].sufficient][::-1]  # horizontal bars: best on top
    option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 150, "right": 60, "top": 20, "bottom": 30},
        "xAxis": {"type": "value", "min": 0, "max": 100, "name": "%"},
        "yAxis": {"type": "category", "data": [f"{name}（n={r.denominator}）" for name, _, r, _ in shown]},
        "series": [{"name": "按期办结率", "type": "bar", "barMaxWidth": 28, "label": {"show": True, "position": "right",
                                                                 "formatter": "{c}%"},
                    "data": [{"value": r.percent, "itemStyle": {"color": _band(r.percent)[1]}}
                             for _, _, r, _ in shown]}],
    }
    if not shown:
        option["title"] = {"text": f"各单位本期办结均不足{stats.min_sample()}件（{stats.INSUFFICIENT}），不排名",
                           "left": "center", "top": "middle", "textStyle": {"color": "#777", "fontSize": 14}}
    definition = (f"{stats.RATES['on_time'].definition}按单位（牵头或协办）统计本期办结的问题；"
                  f"办结不足{stats.min_sample()}件的单位不排名（{stats.INSUFFICIENT}）。"
                  "≥95%绿、85%–95%黄、<85%红。超期数为当前已过时限仍未办结的问题。")
    return _base(ctx, f"责任单位按期办结率（{ctx.period.label}）", definition, option,
                 ["责任单位", "按期办结率", "本期办结数(n)", "当前超期数"], rows, links,
                 {"type": "bar", "series": [2, 3]},
                 {0: [ctx.link(department=str(d), status=",".join(stats.SOLVED_STATUSES)) for _, d, _, _ in shown]})


# --- 4. overdue ageing by department -------------------------------------------------------------

AGEING = (("approaching", "approaching"), ("overdue", "overdue_only"), ("serious", "serious"))


def ageing(ctx):
    """临期 / 超期 / 严重超期 open problems per department (lead or co), now."""
    names = _departments(ctx)
    counts = {key: _by_department(ctx, ctx.ids(tier=flt)) for key, flt in AGEING}
    depts = [d for d in names if any(counts[key].get(d) for key, _ in AGEING)]
    depts.sort(key=lambda d: (-sum(counts[k].get(d, 0) for k, _ in AGEING), names[d]))
    rows = [[names[d], *(counts[k].get(d, 0) for k, _ in AGEING)] for d in depts]
    links = [[None, *(ctx.link(department=str(d), tier=flt) for _, flt in AGEING)] for d in depts]
    option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"data": [TIERS[k] for k, _ in AGEING]},
        "grid": {"left": 150, "right": 30, "top": 40, "bottom": 30},
        "xAxis": {"type": "value", "minInterval": 1, "name": "件"},
        "yAxis": {"type": "category", "data": [r[0] for r in rows][::-1]},
        "series": [{"name": TIERS[k], "type": "bar", "stack": "ageing", "itemStyle": {"color": COLOURS[k]},
                    "data": [r[i + 1] for r in rows][::-1]} for i, (k, _) in enumerate(AGEING)],
    }
    definition = ("未办结问题按当前时限分档：临期为离时限不超过1个工作日，超期为已过时限不到5个工作日，"
                  "严重超期为过时限5个工作日及以上；按牵头或协办单位统计（一件问题可计入多个单位）。")
    return _base(ctx, "超期账龄（按责任单位）", definition, option,
                 ["责任单位", *(TIERS[k] for k, _ in AGEING)], rows, links,
                 {"type": "bar", "series": [1, 2, 3], "stacked": True},
                 {i: [lk[i + 1] for lk in links][::-1] for i in range(len(AGEING))})


# --- 5. problem categories -----------------------------------------------------------------------

def categories(ctx):
    """Problems received in the period by category (热点诉求), with the share solved."""
    p = ctx.period
    ids = ctx.ids(**ctx.received(p))
    counted = db.session.execute(
        select(IssueCategory.name, func.count(), func.sum(case((Issue.status.in_(stats.SOLVED_STATUSES), 1), else_=0)))
        .select_from(Issue).outerjoin(IssueCategory, IssueCategory.id == Issue.category_id)
        .where(Issue.id.in_(ids)).group_by(IssueCategory.name)).all()
    counted = sorted(counted, key=lambda r: (-r[1], r[0] or ""))
    rows = [[name or "未分类", n, int(solved or 0)] for name, n, solved in counted]
    links = [[None, ctx.link(category=name, **ctx.received(p)) if name else None, None] for name, _, _ in counted]
    option = {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}件（{d}%）"},
        "legend": {"type": "scroll", "orient": "vertical", "left": 0, "top": 20},
        "series": [{"name": "问题类别", "type": "pie", "radius": ["35%", "65%"], "center": ["60%", "55%"],
                    "label": {"formatter": "{b}\n{c}件"},
                    "data": [{"name": r[0], "value": r[1]} for r in rows]}],
    }
    definition = "本期反映的问题按问题类别统计（含已作废）；已解决为其中已办结或已销号的问题。"
    return _base(ctx, f"问题类别（{p.label}）", definition, option, ["问题类别", "问题数", "已解决"], rows, links,
                 {"type": "pie", "series": [1]}, {0: [lk[1] for lk in links]})


CHARTS = {"kpi": kpi, "trend": trend, "league": league, "ageing": ageing, "categories": categories}
CHART_TITLES = {"kpi": "关键指标", "trend": "近12个月趋势", "league": "责任单位排名", "ageing": "超期账龄",
                "categories": "问题类别"}
