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
from sqlalchemy import and_, case, func, or_, select, true, union, union_all

from .. import clock, db, scope, stats
from ..ledger.listing import build_query
from ..models import Department, Enterprise, Issue, IssueCategory, issue_codepartment
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
    filters: dict = field(default_factory=dict)  # industry, ent_category, level (the ledger list's names)

    def args(self, **extra):
        """The ledger list's filters for a number: the page's filters (街道, 行业, 企业类别, 层级) plus ``extra``."""
        args = {"region": self.region} if self.region else {}
        return {**args, **self.filters, **{k: v for k, v in extra.items() if v is not None}}

    def ids(self, **extra):
        """SELECT of the ids of the problems the ledger list shows for these filters."""
        return build_query(self.user, self.args(**extra), self.today).with_only_columns(Issue.id)

    def where(self, **extra):
        """The same problems as a criterion on ``issue`` itself — the list query's own WHERE (scope and
        filters are conditions on issue's columns), so a query over the issue table needs no
        ``id IN (SELECT …)`` over 200,000 ids; ``true()`` for the whole district unfiltered."""
        query = build_query(self.user, self.args(**extra), self.today)
        froms = query.get_final_froms()
        if len(froms) == 1 and froms[0] is Issue.__table__:
            return query.whereclause if query.whereclause is not None else true()
        return Issue.id.in_(query.with_only_columns(Issue.id))

    def count(self, **extra):
        return db.session.scalar(select(func.count()).select_from(Issue).where(self.where(**extra))) or 0

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
    if region:
        check_region(region)
    return Context(user, p, region, today, filters=clean_filters(args))


FILTER_NAMES = {"industry": "行业", "ent_category": "企业类别", "level": "问题层级"}  # query args = the ledger list's
FIELD_LABELS = {"period": "期间", "region": "街道/乡镇", **FILTER_NAMES}  # the page's flash names the field in Chinese
PERIOD_CHOICES = {"week": 8, "month": 12, "quarter": 8, "year": 3}  # how many past periods the 期间 pick-list offers


def region_choices():
    """The 街道/乡镇 the page's pick-list offers: every enterprise's 所属街道 (the ledger's own list,
    ``listing.towns``), by pinyin."""
    from ..ledger.listing import towns
    from ..pinyin_order import sort_rows

    return sort_rows(v for v in db.session.scalars(towns()) if v)


def check_region(region):
    """QueryError unless ``region`` is the 所属街道 of some enterprise (one index look-up): an inexact name
    (文昌 for 文昌街道) would count nothing and show zeros as if there were no problems."""
    if db.session.scalar(select(Enterprise.id).where(Enterprise.subdistrict == region).limit(1)) is not None:
        return
    known = region_choices()
    near = [t for t in known if region in t or t in region]
    hint = (f"您要找的可能是：{'、'.join(near[:5])}。" if near else "")
    shown = "、".join(known[:20]) + (f"等{len(known)}个" if len(known) > 20 else "")
    raise QueryError("region", f"街道/乡镇“{region[:MAX_REGION]}”不存在（须为完整名称）。{hint}"
                               f"请从列表中选择：{shown or '（无）'}。")


def period_choices(today=None):
    """The 期间 pick-list: the current week / month / quarter / year (by kind name), then the past ones
    by key (2026-11, 2026Q3, 2026-W47, 2025) — the values ``context`` accepts, labelled in Chinese."""
    today = today or clock.today()
    groups = []
    for kind, label in (("month", "月份"), ("quarter", "季度"), ("week", "周"), ("year", "年度")):
        current, options = stats.period(kind, today), []
        for _ in range(PERIOD_CHOICES[kind]):
            current = current.previous()
            options.append((current.key, current.label))
        groups.append((label, options))
    return groups


def filter_choices():
    """The values each filter accepts: the industries and categories on the enterprise roster, the levels."""
    from ..models import ISSUE_LEVELS, Enterprise

    def distinct(column):
        return sorted(v for v in db.session.scalars(select(column).where(column.is_not(None)).distinct()) if v)

    return {"industry": distinct(Enterprise.industry), "ent_category": distinct(Enterprise.category),
            "level": dict(ISSUE_LEVELS)}


def clean_filters(args):
    """industry / ent_category / level from the query (one value each); an unknown value is a QueryError
    naming what is accepted (Chinese)."""
    wanted = {k: str(args.get(k) or "").strip() for k in FILTER_NAMES}
    wanted = {k: v for k, v in wanted.items() if v}
    if not wanted:
        return {}
    choices = filter_choices()
    for key, value in wanted.items():
        allowed = choices[key]
        if value not in allowed:
            shown = "、".join(f"{k}（{v}）" for k, v in allowed.items()) if isinstance(allowed, dict) else "、".join(allowed[:20])
            raise QueryError(key, f"{FILTER_NAMES[key]}“{value[:50]}”不存在，可选：{shown or '（无）'}。")
    return wanted


def _base(ctx, title, definition, option, columns, rows, links, excel, clicks=None):
    """``clicks``: {series index: [the list behind each data point]} for a click on the chart."""
    option = {"textStyle": {"fontFamily": FONT}, "aria": {"enabled": True}, "animation": False, **option}
    return {"title": title, "definition": definition, "as_of": ctx.as_of_text, "period": ctx.period.label,
            "option": option, "table": {"columns": columns, "rows": rows, "links": links}, "excel": excel,
            "clicks": {str(k): v for k, v in (clicks or {}).items()}}


def _pct(r):
    return r.percent  # None under the minimum sample


def _enterprise_conds(ctx):
    """Conditions on ``Enterprise`` for the page's 街道 (the enterprise's 所属街道), 行业 and 企业类别 — for the
    charts counted over rows that have an enterprise but are not problems (visits, survey answers)."""
    conds = []
    for value, column in ((ctx.region, Enterprise.subdistrict), (ctx.filters.get("industry"), Enterprise.industry),
                          (ctx.filters.get("ent_category"), Enterprise.category)):
        if value:
            conds.append(column == value)
    return conds


def _filter_note(applies, not_applies):
    """The definition's sentence on which of the page's filters narrow a chart."""
    names = {"region": "街道", "industry": "行业", "ent_category": "企业类别", "level": "问题层级"}
    on = [names[k] for k in applies]
    off = [names[k] for k in not_applies]
    text = f"按{'、'.join(on)}筛选时只计符合条件的。" if on else ""
    return text + (f"{'、'.join(off)}筛选不适用于本图。" if off else "")


# --- 1. KPI tiles ----------------------------------------------------------------------------------

def _filtered(ctx):
    return bool(ctx.region or ctx.filters)


def _notice_counts(ctx):
    """(交办单未办结, 交办单逾期) now; with the page's filters, the notices of the problems the ledger list
    shows with them (as the units chart counts them; a meeting's notice with no problem is not counted)."""
    base = scope.restrict(Notice, select(func.count()).select_from(Notice), ctx.user)
    if _filtered(ctx):
        base = base.where(Notice.issue_id.in_(select(Issue.id).where(ctx.where())))
    return (db.session.scalar(base.where(Notice.status.in_(NOTICE_OPEN))) or 0,
            db.session.scalar(base.where(Notice.status.in_(NOTICE_RUNNING), Notice.due_on < ctx.today)) or 0)


NOTICE_FILTER_NOTE = ("按街道、行业、企业类别、问题层级筛选时，只计所涉问题符合条件的交办单（不涉及问题的会议决定交办单不计），"
                      "不分期间；链接的交办单清单不按这些条件筛选。")
NOTICE_TILE_NOTE = "按所涉问题筛选；清单为全部"
NOTICE_TILES = ("交办单未办结", "交办单逾期")


def kpi(ctx):
    """KPI tiles: each figure this period and last period, with the list behind it."""
    p, prev = ctx.period, ctx.period.previous()
    visible = ctx.where()
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
         "当前尚未审结或作废的交办通知单。"),
        ("交办单逾期", notices_overdue, None, url_for("NoticeView.list", status=",".join(NOTICE_RUNNING)),
         "当前已送达或已签收、已过办理期限仍未回复的交办通知单；链接为在办的交办单。"),
    ]
    notes = dict.fromkeys(NOTICE_TILES, NOTICE_TILE_NOTE) if _filtered(ctx) else {}
    rows = [[name, now, "—" if last is None else last] for name, now, last, _, _ in tiles]
    links = [[None, link, None] for *_, link, _ in tiles]
    definition = "；".join(f"{name}：{text.rstrip('。')}" for name, _, _, _, text in tiles) + "。" + \
        "交办单两项：" + NOTICE_FILTER_NOTE
    tiles_out = [{"name": n, "value": v, "last": last, "url": u, "definition": d + (NOTICE_FILTER_NOTE if n in NOTICE_TILES else ""),
                  "note": notes.get(n)} for n, v, last, u, d in tiles]
    result = _base(ctx, f"关键指标（{p.label}）", definition, {}, ["指标", "本期", "上期"], rows, links, None)
    result["tiles"] = tiles_out
    return result


# --- 2. 12-month trend -----------------------------------------------------------------------------

def _month_figures(months, today, visible):
    """(新增, 办结, 月末积压) per month in one scan of the problems — the same counts as
    ``stats.received_count``, ``stats.resolved_count`` and ``stats.backlog_at`` month by month, as
    sums of CASEs (twelve months of three counts each would be 36 scans of the table)."""
    from datetime import timedelta

    columns = []
    for m in months:
        day = min(m.end, today)
        end = stats.utc_start(day + timedelta(days=1))
        columns += [
            func.sum(case((m.covers(Issue.received_on), 1), else_=0)),
            func.sum(case((m.has(Issue.resolved_at), 1), else_=0)),
            func.sum(case(((Issue.received_on <= day) & Issue.status.not_in(("void", "unable"))
                           & (Issue.resolved_at.is_(None) | (Issue.resolved_at >= end)), 1), else_=0)),
        ]
    values = db.session.execute(select(*columns).select_from(Issue).where(visible)).one()
    values = [int(v or 0) for v in values]
    return [tuple(values[i:i + 3]) for i in range(0, len(values), 3)]


def trend(ctx):
    """The last twelve months up to the period's end: new and resolved bars, the month-end backlog line."""
    visible = ctx.where()
    last = stats.period("month", ctx.period.end)
    months = [stats.period("month", last.start - relativedelta(months=n)) for n in range(11, -1, -1)]
    rows, links = [], []
    for m, (new, resolved, backlog) in zip(months, _month_figures(months, ctx.today, visible)):
        rows.append([m.key, new, resolved, backlog])
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


def _addressed_where(criterion, *columns):
    """Like :func:`_addressed`, only for the problems meeting ``criterion`` (a condition on issue), each
    (problem, department) once, with ``columns`` of the problem: each branch is filtered on issue first
    (its indexes), instead of the pairs of all problems filtered afterwards."""
    lead = select(Issue.id.label("issue_id"), Issue.lead_department_id.label("dept"), *columns).where(
        Issue.lead_department_id.is_not(None), criterion)
    co = (select(issue_codepartment.c.issue_id.label("issue_id"), issue_codepartment.c.department_id.label("dept"),
                 *columns).select_from(issue_codepartment.join(Issue, Issue.id == issue_codepartment.c.issue_id))
          .where(criterion))
    return union(lead, co).subquery()


def _by_department(ctx, criterion):
    """{department id: problems (lead or co) meeting ``criterion``}."""
    pairs = _addressed_where(criterion)
    return dict(db.session.execute(select(pairs.c.dept, func.count()).group_by(pairs.c.dept)).all())


def _by_department_tiers(ctx, tiers):
    """{key: {department id: count}} for several tier filters of the ledger in one scan."""
    crits = {key: ctx.where(tier=flt) for key, flt in tiers}
    flags = [case((c, 1), else_=0).label(f"f_{key}") for key, c in crits.items()]
    pairs = _addressed_where(or_(*crits.values()), *flags)
    rows = db.session.execute(select(pairs.c.dept, *(func.sum(pairs.c[f"f_{key}"]) for key in crits))
                              .group_by(pairs.c.dept)).all()
    return {key: {row[0]: int(row[i + 1] or 0) for row in rows if row[i + 1]} for i, key in enumerate(crits)}


def _band(percent):
    if percent is None:
        return None, "#9e9e9e"
    return next((name, colour) for floor, name, colour in BANDS if percent >= floor)


def _on_time_by_department(ctx, names, period):
    """{department id: 按期办结率 over the problems (lead or co) it resolved in ``period``}."""
    pairs = _addressed_where(and_(period.has(Issue.resolved_at), ctx.where()), Issue.resolved_at, Issue.resolve_due)
    resolved = db.session.execute(select(pairs.c.dept, pairs.c.resolved_at, pairs.c.resolve_due)).all()
    per = {d: [] for d in names}
    for dept, resolved_at, due in resolved:
        if dept in per:
            per[dept].append((resolved_at, due))
    return {d: stats.on_time_of(v) for d, v in per.items()}


def _ranks(rates):
    """1-based competition ranks of the departments with a sufficient sample, best rate first."""
    ranked = sorted((r.percent, d) for d, r in rates.items() if r.sufficient)
    ranked.sort(key=lambda it: -it[0])
    out, last, place = {}, None, 0
    for i, (percent, d) in enumerate(ranked, start=1):
        if percent != last:
            place, last = i, percent
        out[d] = place
    return out


def _arrow(now, before):
    if now is None:
        return "—"
    if before is None:
        return "新进排名"
    if now < before:
        return f"↑{before - now}"
    if now > before:
        return f"↓{now - before}"
    return "＝"


LEAGUE_EMPTY = "本期没有办结满{n}件的单位（{insufficient}），暂不排名：按期办结率只在样本足够时比较。\n{advice}"
LONGER = {"week": "请在上方“期间”中选择较长的期间（如本月、本季度）后点“查看”。",
          "month": "请在上方“期间”中选择较长的期间（如本季度、本年）后点“查看”。",
          "quarter": "请在上方“期间”中选择较长的期间（如本年）后点“查看”。",
          "year": "可在上方“期间”中选择上一年度查看。"}


def league(ctx):
    """按期办结率 per department over the problems resolved in the period (hidden under the minimum
    sample), with the overdue count now."""
    names = _departments(ctx)
    overdue = _by_department(ctx, ctx.where(tier="overdue"))
    per, per_prev = _on_time_by_department(ctx, names, ctx.period), _on_time_by_department(ctx, names, ctx.period.previous())
    items = [(name, dept, per[dept], overdue.get(dept, 0)) for dept, name in names.items()]
    items.sort(key=lambda it: (it[2].percent is None, -(it[2].percent or 0), it[3], it[0]))
    ranks, ranks_prev = _ranks({d: r for _, d, r, _ in items}), _ranks(per_prev)
    rows = [[name, r.text, r.denominator, n_over, _arrow(ranks.get(d), ranks_prev.get(d))] for name, d, r, n_over in items]
    links = [[None, None, ctx.link(department=str(d), status=",".join(stats.SOLVED_STATUSES)),
              ctx.link(department=str(d), tier="overdue"), None] for _, d, _, _ in items]
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
        option["title"] = {"text": LEAGUE_EMPTY.format(n=stats.min_sample(), insufficient=stats.INSUFFICIENT,
                                                     advice=LONGER[ctx.period.kind]),
                           "left": "center", "top": "middle", "textStyle": {"color": "#777", "fontSize": 14,
                                                                             "lineHeight": 24}}
    definition = (f"{stats.RATES['on_time'].definition}按单位（牵头或协办）统计本期办结的问题；"
                  f"办结不足{stats.min_sample()}件的单位不排名（{stats.INSUFFICIENT}）。"
                  "≥95%绿、85%–95%黄、<85%红。超期数为当前已过时限仍未办结的问题。"
                  "较上期：在参与排名的单位中名次的升降（↑上升、↓下降、＝持平；上期不足样本的为“新进排名”）。")
    return _base(ctx, f"责任单位按期办结率（{ctx.period.label}）", definition, option,
                 ["责任单位", "按期办结率", "本期办结数(n)", "当前超期数", "较上期"], rows, links,
                 {"type": "bar", "series": [2, 3]},
                 {0: [ctx.link(department=str(d), status=",".join(stats.SOLVED_STATUSES)) for _, d, _, _ in shown]})


# --- 4. overdue ageing by department -------------------------------------------------------------

AGEING = (("approaching", "approaching"), ("overdue", "overdue_only"), ("serious", "serious"))


def ageing(ctx):
    """临期 / 超期 / 严重超期 open problems per department (lead or co), now."""
    names = _departments(ctx)
    counts = _by_department_tiers(ctx, AGEING)
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

REPEAT_MONTHS = 12  # the repeat rate's look-back before the period


def _repeated(ctx, p):
    """EXISTS: the problem's enterprise filed an earlier problem of the same category (not 作废) from
    REPEAT_MONTHS before the period's start up to this problem — earlier problems the viewer may see."""
    from sqlalchemy.orm import aliased

    prev = aliased(Issue)
    conds = [prev.enterprise_id == Issue.enterprise_id, prev.category_id == Issue.category_id,
             prev.status != "void", prev.received_on >= p.start - relativedelta(months=REPEAT_MONTHS),
             or_(prev.received_on < Issue.received_on, and_(prev.received_on == Issue.received_on, prev.id < Issue.id))]
    if not scope.role_names(ctx.user) & SEES_ALL_ROLES:
        conds.append(prev.id.in_(build_query(ctx.user, {}, ctx.today).with_only_columns(Issue.id)))
    return select(prev.id).where(*conds).exists()


def _repeat_text(repeats, n):
    if n < stats.min_sample():
        return stats.INSUFFICIENT
    return f"{round(100.0 * repeats / n, 1)}%"


def categories(ctx):
    """Problems received in the period by category (热点诉求), with the share solved and the repeat rate."""
    p = ctx.period
    ids = ctx.where(**ctx.received(p))
    counted = db.session.execute(
        select(IssueCategory.name, func.count(), func.sum(case((Issue.status.in_(stats.SOLVED_STATUSES), 1), else_=0)),
               func.sum(case((and_(Issue.category_id.is_not(None), _repeated(ctx, p)), 1), else_=0)))
        .select_from(Issue).outerjoin(IssueCategory, IssueCategory.id == Issue.category_id)
        .where(ids).group_by(IssueCategory.name)).all()
    counted = sorted(counted, key=lambda r: (-r[1], r[0] or ""))
    rows = [[name or "未分类", n, int(solved or 0), int(rep or 0), _repeat_text(int(rep or 0), n) if name else "—"]
            for name, n, solved, rep in counted]
    links = [[None, ctx.link(category=name, **ctx.received(p)) if name else None, None, None, None]
             for name, _, _, _ in counted]
    option = {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}件（{d}%）"},
        "legend": {"type": "scroll", "orient": "vertical", "left": 0, "top": 20},
        "series": [{"name": "问题类别", "type": "pie", "radius": ["35%", "65%"], "center": ["60%", "55%"],
                    "label": {"formatter": "{b}\n{c}件"},
                    "data": [{"name": r[0], "value": r[1]} for r in rows]}],
    }
    definition = ("本期反映的问题按问题类别统计（含已作废）；已解决为其中已办结或已销号的问题。"
                  f"重复反映：同一企业在本期开始前{REPEAT_MONTHS}个月起至该问题反映之前，已反映过同一类别的问题"
                  "（不计已作废的，只计本人可见的问题）；重复率 = 重复反映数 ÷ 问题数，"
                  f"问题数不足{stats.min_sample()}件时不显示。")
    return _base(ctx, f"问题类别（{p.label}）", definition, option, ["问题类别", "问题数", "已解决", "重复反映", "重复率"],
                 rows, links,
                 {"type": "pie", "series": [1]}, {0: [lk[1] for lk in links]})


# --- 6. escalation funnel ------------------------------------------------------------------------

def _funnel_scale(values):
    """ECharts funnel widths proportional to the values: 0 件 draws as no block (ECharts maps
    [min, max] onto [minSize, maxSize]; a minSize above 0 drew 0 as a block as wide as a small stage)."""
    top = max([int(v or 0) for v in values] + [1])
    return {"min": 0, "max": top, "minSize": "0%", "maxSize": "100%"}


FUNNEL_LEVELS = (("consultation", "部门会商"), ("director", "重大问题会商办公会议"), ("leading_group", "领导小组会议"))


def funnel(ctx):
    """How far the period's problems went up the ladder — officer level → 交办 → 会商 → director →
    leading group — and the share solved at each level (of those that reached it)."""
    from ..meetings.models import Meeting, MeetingTopic

    p = ctx.period
    ids = ctx.where(**ctx.received(p))
    solved = case((Issue.status.in_(stats.SOLVED_STATUSES), 1), else_=0)
    live = Issue.status != "void"
    total, total_solved, moved, moved_solved = db.session.execute(
        select(func.count(), func.coalesce(func.sum(solved), 0),
               func.coalesce(func.sum(case((Issue.lead_department_id.is_not(None), 1), else_=0)), 0),
               func.coalesce(func.sum(case((Issue.lead_department_id.is_not(None), solved), else_=0)), 0))
        .where(ids, live)).one()
    reached = {}
    levels = [key for key, _ in FUNNEL_LEVELS]
    for key in levels:  # a level counts what reached it or any level above it
        higher = levels[levels.index(key):]
        on = select(MeetingTopic.issue_id).join(Meeting, Meeting.id == MeetingTopic.meeting_id).where(
            Meeting.level.in_(higher), Meeting.status != "cancelled")
        reached[key] = db.session.execute(select(func.count(), func.coalesce(func.sum(solved), 0)).where(
            ids, live, Issue.id.in_(on))).one()
    stages = [("服务官层面（全部问题）", total, total_solved, ctx.link(**ctx.received(p))),
              ("交办责任单位", moved, moved_solved, None)]
    stages += [(label, *reached[key], url_for("MeetingView.list", level=key)) for key, label in FUNNEL_LEVELS]
    rows, links = [], []
    for label, n, ok, link in stages:
        r = stats.rate("solution", ok, n)
        rows.append([label, int(n or 0), int(ok or 0), r.text])
        links.append([None, link, None, None])
    option = {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}件"},
        "series": [{"name": "逐级上升", "type": "funnel", "sort": "none", "left": "10%", "width": "60%",
                    **_funnel_scale(r[1] for r in rows),
                    "label": {"show": True, "position": "right", "formatter": "{b}\n{c}件"},
                    "data": [{"name": r[0], "value": r[1]} for r in rows]}],
    }
    definition = ("本期反映的问题（不含已作废）逐级上升的情况：全部问题先在服务官层面协调；交办为已转交牵头单位；"
                  "会商各级为列入该级或更高一级会议议题（未取消的会议）的问题。解决率为到达该级的问题中已办结或已销号的比例"
                  f"（样本不足{stats.min_sample()}件不计）。")
    return _base(ctx, f"问题逐级上升（{p.label}）", definition, option, ["层级", "问题数", "已解决", "解决率"],
                 rows, links, {"type": "bar", "series": [1, 2]}, {0: [lk[1] for lk in links]})


# --- 7. officer × week visit heatmap -------------------------------------------------------------

HEATMAP_WEEKS, HEATMAP_OFFICERS = 8, 25


def heatmap(ctx):
    """Visits per officer and week over the eight weeks up to the period's end (the officers the
    viewer may see with the most visits first, at most 40)."""
    from datetime import timedelta

    from ..models import Officer, Visit

    last_monday = clock.week_start(min(ctx.period.end, ctx.today))
    weeks = [last_monday - timedelta(weeks=n) for n in range(HEATMAP_WEEKS - 1, -1, -1)]
    first, end = weeks[0], last_monday + timedelta(days=6)
    query = select(Visit.officer_id, Visit.visit_date).where(Visit.visit_date >= first, Visit.visit_date <= end)
    if conds := _enterprise_conds(ctx):  # the visited enterprise's 街道 / 行业 / 企业类别
        query = query.where(Visit.enterprise_id.in_(select(Enterprise.id).where(*conds)))
    visits = scope.restrict(Visit, query, ctx.user).subquery()
    week_index = {}
    counts = {}
    for officer_id, day in db.session.execute(select(visits.c.officer_id, visits.c.visit_date)):
        w = week_index.setdefault(day, (day - first).days // 7)
        counts.setdefault(officer_id, [0] * HEATMAP_WEEKS)[w] += 1
    officers = dict(db.session.execute(scope.restrict(Officer, select(Officer.id, Officer.name).where(
        Officer.active.is_(True)), ctx.user)).all())
    ranked = sorted(officers, key=lambda o: (-sum(counts.get(o, [0])), officers[o], o))[:HEATMAP_OFFICERS]
    labels = [f"{w.month}/{w.day}" for w in weeks]
    week_links = [url_for("VisitView.list", _flt_1_visit_date=(w - timedelta(days=1)).isoformat(),
                          _flt_2_visit_date=(w + timedelta(days=7)).isoformat()) for w in weeks]
    rows, links = [], []
    for o in ranked:
        row = counts.get(o, [0] * HEATMAP_WEEKS)
        rows.append([officers[o], *row])
        # the visits list of that week (走访记录 has no officer filter yet: the week's visits of everyone in scope)
        links.append([None, *(week_links[i] for i in range(HEATMAP_WEEKS))])
    data = [[wi, oi, rows[oi][wi + 1]] for oi in range(len(rows)) for wi in range(HEATMAP_WEEKS)]
    top = max([d[2] for d in data] + [1])
    option = {
        "tooltip": {"position": "top"},
        "grid": {"left": 90, "right": 30, "top": 20, "bottom": 70},
        "xAxis": {"type": "category", "data": labels, "name": "周（周一）", "splitArea": {"show": True}},
        "yAxis": {"type": "category", "data": [r[0] for r in rows], "splitArea": {"show": True}},
        "visualMap": {"min": 0, "max": top, "calculable": False, "orient": "horizontal", "left": "center",
                      "bottom": 0, "inRange": {"color": ["#f7fbff", "#6baed6", "#08306b"]}},
        "series": [{"name": "走访次数", "type": "heatmap", "data": data, "label": {"show": True}}],
    }
    definition = (f"最近{HEATMAP_WEEKS}周（截至{end:%Y-%m-%d}所在周）每位在岗服务官每周登记的走访次数；"
                  f"按走访总数排列，最多显示{HEATMAP_OFFICERS}人。"
                  + _filter_note(("region", "industry", "ent_category"), ("level",))
                  + "街道、行业、企业类别为被走访企业的。点击格子查看该周的全部走访记录（走访记录尚不能按服务官、行业、企业类别筛选）。")
    result = _base(ctx, "服务官每周走访热力图", definition, option, ["服务官", *labels], rows, links,
                   {"type": "column", "series": list(range(1, HEATMAP_WEEKS + 1)), "stacked": True})
    result["clicks"] = {"0": [links[d[1]][d[0] + 1] for d in data]}
    return result


# --- 8. notices and urging by unit ---------------------------------------------------------------

def units(ctx):
    """Per department: 交办通知单 sent to it as lead unit in the period, of them overdue now, 督办单 sent
    and 通报批评 published in the period."""
    from ..accountability.models import Criticism, Urge
    from ..notices.models import NoticeRecipient

    p = ctx.period
    names = _departments(ctx)
    notice_q = scope.restrict(Notice, select(Notice.id, Notice.status, Notice.due_on, Notice.sent_at), ctx.user)
    filtered = bool(ctx.region or ctx.filters)
    if filtered:  # the notices of the problems the ledger list shows with the page's filters
        notice_q = notice_q.where(Notice.issue_id.in_(select(Issue.id).where(ctx.where())))
    notice = notice_q.subquery()
    sent = dict(db.session.execute(
        select(NoticeRecipient.department_id, func.count()).join(notice, notice.c.id == NoticeRecipient.notice_id)
        .where(NoticeRecipient.role == "lead", p.has(notice.c.sent_at)).group_by(NoticeRecipient.department_id)).all())
    late = dict(db.session.execute(
        select(NoticeRecipient.department_id, func.count()).join(notice, notice.c.id == NoticeRecipient.notice_id)
        .where(NoticeRecipient.role == "lead", notice.c.status.in_(NOTICE_RUNNING), notice.c.due_on < ctx.today)
        .group_by(NoticeRecipient.department_id)).all())
    urge_q = select(Urge.department_id, func.count()).where(Urge.status == "sent", p.has(Urge.sent_at))
    if filtered:  # 督办单 on those notices
        urge_q = urge_q.where(Urge.notice_id.in_(select(notice.c.id)))
    urges = dict(db.session.execute(scope.restrict(Urge, urge_q.group_by(Urge.department_id), ctx.user)).all())
    crit = dict(db.session.execute(scope.restrict(Criticism, select(Criticism.department_id, func.count()).where(
        Criticism.status == "published", Criticism.department_id.is_not(None),
        p.has(Criticism.published_at)).group_by(Criticism.department_id), ctx.user)).all())
    depts = [d for d in names if sent.get(d) or late.get(d) or urges.get(d) or crit.get(d)]
    depts.sort(key=lambda d: (-(sent.get(d, 0) + urges.get(d, 0)), names[d]))
    rows = [[names[d], sent.get(d, 0), late.get(d, 0), urges.get(d, 0), crit.get(d, 0)] for d in depts]
    links = [[None, url_for("NoticeView.list", department=d), url_for("NoticeView.list", department=d,
                                                                       status=",".join(NOTICE_RUNNING)),
              url_for("UrgeView.list") if _has_endpoint("UrgeView.list") else None, None] for d in depts]
    series = ["本期交办", "当前逾期", "本期督办", "本期通报批评"]
    option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": {"data": series},
        "grid": {"left": 150, "right": 30, "top": 40, "bottom": 30},
        "xAxis": {"type": "value", "minInterval": 1, "name": "件"},
        "yAxis": {"type": "category", "data": [r[0] for r in rows][::-1]},
        "series": [{"name": name, "type": "bar", "data": [r[i + 1] for r in rows][::-1],
                    "itemStyle": {"color": colour}}
                   for i, (name, colour) in enumerate(zip(series, ("#5470c6", "#ee6666", "#fac858", "#a50026")))],
    }
    definition = ("本期交办：本期送达、该单位为主送单位的交办通知单；当前逾期：已送达或已签收、已过办理期限仍未回复的；"
                  "本期督办：本期发出的督办单；本期通报批评：本期发布、对象为该单位的通报批评。"
                  "按街道、行业、企业类别、问题层级筛选时，交办与督办只计所涉问题符合条件的（问题台账的同一筛选；"
                  "不涉及问题的会议决定交办单不计），通报批评针对单位、不按这些条件筛选；"
                  "链接为该单位的交办单清单（交办单清单尚不能按这些条件筛选）。")
    return _base(ctx, f"交办与督办（按责任单位，{p.label}）", definition, option, ["责任单位", *series], rows, links,
                 {"type": "bar", "series": [1, 2, 3, 4]}, {0: [lk[1] for lk in links][::-1]})


def _has_endpoint(name):
    from flask import current_app

    return name in current_app.view_functions


# --- 9. satisfaction radar -----------------------------------------------------------------------

def radar(ctx):
    """满意度 by the four dimensions in the period: the departments' (and, for an officer, their own)
    answers from app.surveys.metrics, added up over the parties the viewer may see."""
    from ..surveys import metrics
    from ..vocab import SURVEY_DIMENSIONS

    p = ctx.period
    roles = scope.role_names(ctx.user)
    if roles & SEES_ALL_ROLES:
        kind, subjects = "department", None
    elif scope.department_id_set(ctx.user):
        kind, subjects = "department", scope.department_id_set(ctx.user)
    elif scope.officer_of(ctx.user) is not None:
        kind, subjects = "officer", {scope.officer_of(ctx.user).id}
    else:
        kind, subjects = "department", set()
    found = metrics.satisfaction(kind, subjects, p) if subjects != set() else {}
    narrowed = _radar_narrowed(ctx, kind, found, p) if _enterprise_conds(ctx) else None
    rows = []
    for dim in SURVEY_DIMENSIONS:
        if narrowed is not None:
            num, den = narrowed.get(dim, (0, 0))
        else:
            num = sum(s.dimensions[dim].numerator for s in found.values() if dim in s.dimensions)
            den = sum(s.dimensions[dim].denominator for s in found.values() if dim in s.dimensions)
        r = stats.rate("satisfaction", num, den)
        rows.append([dim, r.text, num, den, r.percent])
    option = {
        "tooltip": {},
        "radar": {"indicator": [{"name": r[0], "max": 100} for r in rows], "radius": "65%"},
        "series": [{"name": "满意度", "type": "radar", "areaStyle": {"opacity": 0.25},
                    "data": [{"name": "满意度（%）", "value": [r[4] or 0 for r in rows]}]}],
    }
    if all(r[4] is None for r in rows):
        option["title"] = {"text": (f"本期评价不足{stats.min_sample()}条（{stats.INSUFFICIENT}），不显示。\n"
                                     + LONGER[p.kind]), "left": "center",
                           "top": "middle", "textStyle": {"color": "#777", "fontSize": 14}}
    definition = (f"{stats.RATES['satisfaction'].definition}"
                  "按四个维度（" + "、".join(SURVEY_DIMENSIONS) + "）统计本期提交的评价；"
                  + ("责任单位的评价，全区合计。" if kind == "department" and subjects is None
                     else "本单位的评价。" if kind == "department" else "对本人的评价。")
                  + f"每个维度评价不足{stats.min_sample()}条时不显示。"
                  + _filter_note(("region", "industry", "ent_category"), ("level",))
                  + "街道、行业、企业类别为评价企业的。")
    table = [r[:4] for r in rows]
    return _base(ctx, f"满意度（四个维度，{p.label}）", definition, option, ["维度", "满意度", "满意条数", "评价条数"],
                 table, [[None] * 4 for _ in rows], {"type": "column", "series": [2, 3]})


def _radar_narrowed(ctx, kind, found, period):
    """{dimension: (satisfied, answers)} over the answers app.surveys.metrics counted (its ``evidence``: the
    exclusions on appeal already applied) whose survey request's enterprise meets the page's filters."""
    from ..surveys.models import SurveyAnswer, SurveyRequest, SurveyResponse
    from ..vocab import SATISFIED_LEVELS

    counted = {a for s in found.values() for a in s.evidence}
    if not counted:
        return {}
    rows = db.session.execute(
        select(SurveyAnswer.id, SurveyAnswer.dimension, SurveyAnswer.level)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyRequest, SurveyRequest.id == SurveyResponse.request_id)
        .join(Enterprise, Enterprise.id == SurveyRequest.enterprise_id)
        .where(SurveyAnswer.target_type == kind, SurveyAnswer.level.is_not(None), period.has(SurveyResponse.submitted_at),
               *_enterprise_conds(ctx))).all()
    out = {}
    for answer_id, dim, level in rows:
        if answer_id in counted:
            num, den = out.get(dim, (0, 0))
            out[dim] = (num + (level in SATISFIED_LEVELS), den + 1)
    return out


# --- 10. policy reach funnel (惠企政策) --------------------------------------------------------------

def has_policies(day=None):
    """Whether any benefit item is in force (the page shows the policy funnel only then)."""
    from ..policies.models import PolicyItem
    from ..policies.rules import item_in_force

    return db.session.scalar(select(PolicyItem.id).where(item_in_force(day or clock.today())).limit(1)) is not None


def policy(ctx):
    """政策直达漏斗 as of today: in-force benefit items the viewer may see × the enterprises they apply to
    (the viewer's enterprises — all for the office, leaders and a department with its own items — and the
    page's 行业 / 企业类别 / 街道), and of those pairs: told of the item's current revision, confirmed by
    the enterprise, applied, cashed. The pairs come from ``app.policies.rules.eligible`` (each item's
    criteria compiled into a condition on the enterprise); 已申报 and 已兑现 are counted over the uptake
    list's own query (``deliveries.uptake_query`` with ``current=1``), which their links open."""
    from sqlalchemy.orm import aliased

    from ..policies import deliveries
    from ..policies.models import PolicyDelivery, PolicyItem, PolicyUptake
    from ..policies.rules import eligible, item_in_force
    from ..vocab import UPTAKE_APPLIED

    day = ctx.today
    filters = {k: v for k, v in (("region", ctx.region), ("industry", ctx.filters.get("industry")),
                                 ("ent_category", ctx.filters.get("ent_category"))) if v}
    ents = deliveries.enterprise_filters(filters)
    limit = deliveries.enterprise_limit(ctx.user)
    if limit is not None:
        ents.append(Enterprise.id.in_(limit))
    items = [item_in_force(day), PolicyItem.id.in_(scope.restrict(PolicyItem, select(PolicyItem.id), ctx.user))]
    pairs = eligible(items, ents)
    # deliveries are few beside the pairs: grouped once per pair and outer-joined, not an EXISTS per pair
    told = (select(PolicyDelivery.item_id.label("item_id"), PolicyDelivery.enterprise_id.label("ent_id"),
                   func.max(case((PolicyDelivery.confirmed_at.is_not(None), 1), else_=0)).label("confirmed"))
            .join(PolicyItem, and_(PolicyItem.id == PolicyDelivery.item_id, PolicyItem.revision == PolicyDelivery.item_revision))
            .where(PolicyDelivery.delivered_on <= day)
            .group_by(PolicyDelivery.item_id, PolicyDelivery.enterprise_id).subquery())
    total, told_n, confirmed = db.session.execute(
        select(func.count(), func.count(told.c.item_id), func.coalesce(func.sum(told.c.confirmed), 0))
        .select_from(pairs).outerjoin(told, and_(told.c.item_id == pairs.c.item_id, told.c.ent_id == pairs.c.enterprise_id))
    ).one()
    uptake = deliveries.uptake_query(ctx.user, {**filters, "current": "1"}, day).order_by(None).subquery()
    applied, paid = db.session.execute(select(
        func.coalesce(func.sum(case((uptake.c.status.in_(UPTAKE_APPLIED), 1), else_=0)), 0),
        func.coalesce(func.sum(case((uptake.c.status == "paid", 1), else_=0)), 0))).one()
    names = ["符合条件", "已告知", "企业已确认", "已申报", "已兑现"]
    values = [int(v or 0) for v in (total, told_n, confirmed, applied, paid)]
    deliveries_url = url_for("DeliveryView.list") if _has_endpoint("DeliveryView.list") else None
    unaware = url_for("DeliveryView.unaware") if _has_endpoint("DeliveryView.unaware") else None
    uptakes = (lambda **kw: url_for("DeliveryView.uptakes", current="1", **filters, **kw)) \
        if _has_endpoint("DeliveryView.uptakes") else (lambda **kw: None)
    links_by_stage = [unaware, deliveries_url, deliveries_url, uptakes(status=",".join(UPTAKE_APPLIED)),
                      uptakes(status="paid")]
    rows = [[n, v, (f"{round(100.0 * v / values[0], 1)}%" if values[0] else "—")] for n, v in zip(names, values)]
    links = [[None, lk, None] for lk in links_by_stage]
    option = {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}"},
        "series": [{"name": "政策直达", "type": "funnel", "sort": "none", "left": "10%", "width": "80%",
                    **_funnel_scale(values),
                    "label": {"formatter": "{b}\n{c}"},
                    "data": [{"name": n, "value": v} for n, v in zip(names, values)]}],
    }
    definition = ("截至今日：现行有效的惠企政策事项（本人可见的）与其适用企业（按行业、企业类别、街道、规模条件匹配；"
                  "服务官、企业限本人的企业，办公室、领导和责任单位为全部企业）组成的“事项—企业”对为符合条件；"
                  "已告知为已送达该事项现行版本；企业已确认为该送达已经企业确认；"
                  "已申报为企业已申报（含已受理、已兑现、未通过）；已兑现为已兑现。各阶段分别计数，占比相对于符合条件；"
                  "“符合条件”链接为应知未知清单，“已申报”“已兑现”链接为对应的申兑清单。")
    return _base(ctx, "政策直达漏斗", definition, option, ["阶段", "事项—企业对", "占符合条件"], rows, links,
                 {"type": "bar", "series": [1]}, {0: links_by_stage})


CHARTS = {"kpi": kpi, "trend": trend, "league": league, "ageing": ageing, "categories": categories,
          "funnel": funnel, "heatmap": heatmap, "units": units, "radar": radar, "policy": policy}
CHART_TITLES = {"kpi": "关键指标", "trend": "近12个月趋势", "league": "责任单位排名", "ageing": "超期账龄",
                "categories": "问题类别", "funnel": "逐级上升", "heatmap": "走访热力图", "units": "交办与督办",
                "radar": "满意度", "policy": "政策直达漏斗"}
