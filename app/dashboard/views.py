"""The dashboard's surfaces: the page ``/dashboard/``, one chart's data ``GET /api/v1/dashboard/<chart>``
and one chart's workbook ``/dashboard/<chart>.xlsx`` (the same data and an XlsxWriter native chart).

Permission ``can_read`` on ``Dashboard`` (app/roles.py); the numbers are the caller's own scope
(app/dashboard/charts.py). A bad ``period`` or ``region`` (a 街道 no enterprise is in: the page offers the list) or an unknown
``industry`` / ``ent_category`` / ``level`` is a Chinese 400 (API) or a flash (page), never zeros.
"""
import io
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, protect, safe
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.security.decorators import has_access

from .. import scope, stats
from ..exports import workbook
from ..querystring import QueryError
from ..vocab import SEES_ALL_ROLES
from . import charts

PERMISSION_NAME = "Dashboard"
PAGE_ORDER = ("kpi", "trend", "league", "ageing", "categories", "funnel", "heatmap", "units", "radar")
POLICY_CHARTS = ("policy",)  # on the page (and in the pack) only while a benefit item is in force


def page_order():
    return PAGE_ORDER + (POLICY_CHARTS if charts.has_policies() else ())


def _filters():
    return {k: v for k, v in request.args.items() if k in ("period", "region", *charts.FILTER_NAMES) and v}


def _refused(exc):
    """A bad filter on the page: the flash names the filter in Chinese (期间, 街道/乡镇, 行业 …)."""
    flash(f"筛选条件有误（{charts.FIELD_LABELS.get(exc.field, exc.field)}）：{exc.message}", "danger")


def chart_data(name, user, args):
    """One chart's result for ``user`` (KeyError on an unknown chart, QueryError on bad filters)."""
    builder = charts.CHARTS[name]
    return builder(charts.context(user, args))


def public(result):
    """What the API answers: the option, the table, the as-of time and the definition."""
    keys = ("title", "definition", "as_of", "period", "option", "table", "tiles", "clicks")
    return {k: result[k] for k in keys if k in result}


# --- the workbook ----------------------------------------------------------------------------------

def _native_chart(wb, ws, result, first, last, sheet="数据"):
    spec = result.get("excel")
    if not spec or last < first:
        return
    chart = wb.add_chart({"type": spec["type"], **({"subtype": "stacked"} if spec.get("stacked") else {})})
    columns = result["table"]["columns"]
    for col in spec["series"]:
        chart.add_series({"name": [sheet, first - 1, col], "categories": [sheet, first, 0, last, 0],
                          "values": [sheet, first, col, last, col]})
    for col in spec.get("line", ()):
        line = wb.add_chart({"type": "line"})
        line.add_series({"name": [sheet, first - 1, col], "categories": [sheet, first, 0, last, 0],
                         "values": [sheet, first, col, last, col]})
        chart.combine(line)
    chart.set_title({"name": result["title"], "name_font": {"name": workbook.BODY_FONT}})
    chart.set_legend({"position": "bottom", "font": {"name": workbook.BODY_FONT}})
    chart.set_size({"width": 720, "height": 360 + (16 * (last - first) if spec["type"] == "bar" else 0)})
    ws.insert_chart(first - 1, len(columns) + 1, chart)


def _sheet(wb, styles, result, sheet):
    """One chart on a sheet: title, period, as-of, definition, its table, its native chart."""
    ws = wb.add_worksheet(sheet)
    columns, rows = result["table"]["columns"], result["table"]["rows"]
    workbook.setup_sheet(ws, repeat_rows=4)
    last = max(1, len(columns) - 1)
    ws.merge_range(0, 0, 0, last, result["title"], styles.title)
    ws.merge_range(1, 0, 1, last, f"统计期间：{result['period']}　数据截至：{result['as_of']}", styles.subtitle)
    definition = f"口径：{result['definition']}"
    width = 24 + 14 * last  # the table's columns below
    ws.set_row(2, max(18, workbook.row_height(workbook.lines_needed(definition, width * 0.95, 9), 9) or 0))
    ws.merge_range(2, 0, 2, last, definition, styles.note)  # merged: the text wraps across the table
    for col, name in enumerate(columns):
        workbook.write_text(ws, 4, col, name, styles.header)
        ws.set_column(col, col, 24 if col == 0 else 14)
    for r, row in enumerate(rows, start=5):
        for col, value in enumerate(row):
            workbook.write_cell(ws, r, col, value, styles.number if col else styles.text, styles.quoted)
    _native_chart(wb, ws, result, 5, 4 + len(rows), sheet)
    return ws


def xlsx(result):
    """The chart's table as a sheet 数据 (title, period, as-of, definition) with its native chart."""
    out = io.BytesIO()
    wb = workbook.open_workbook(out, streaming=False, title=result["title"])
    _sheet(wb, workbook.Styles(wb), result, "数据")
    wb.close()
    out.seek(0)
    return out


def pack(results, period_label):
    """本期通报图表: every chart of the page in one workbook, a sheet each (for a leading-group meeting)."""
    out = io.BytesIO()
    wb = workbook.open_workbook(out, streaming=False, title=f"本期通报图表（{period_label}）")
    styles = workbook.Styles(wb)
    for n, (name, result) in enumerate(results.items(), start=1):
        _sheet(wb, styles, result, f"{n}.{charts.CHART_TITLES.get(name, name)}"[:31])
    wb.close()
    out.seek(0)
    return out


class DashboardView(BaseView):
    """The page and the workbooks."""

    route_base = "/dashboard"
    class_permission_name = PERMISSION_NAME
    base_permissions = ["can_read"]
    method_permission_name = {"index": "read", "export": "read", "pack": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """The page: the filters and one card per chart, each loaded by app/static/dashboard.js from
        ``GET /api/v1/dashboard/<chart>`` (the page itself counts nothing). ``?render=server`` draws every
        chart into the page instead (no JavaScript; the <noscript> link)."""
        user = scope.current_user()
        args = _filters()
        server = request.args.get("render") == "server"
        try:
            ctx = charts.context(user, args)  # the filters checked here too: a bad one is a flash
            order = page_order()
            results = {name: chart_data(name, user, args) for name in order} if server else None
        except QueryError as exc:
            _refused(exc)
            return redirect(url_for("DashboardView.index"))
        query = ("?" + urlencode(args)) if args else ""
        return self.render_template(
            "cso/dashboard.html", results=results, order=order, args=args, query=query,
            kinds=stats.PERIOD_KINDS, period=ctx.period.label, min_sample=stats.min_sample(),
            choices=charts.filter_choices(), regions=charts.region_choices(),
            periods=charts.period_choices(ctx.today), titles=charts.CHART_TITLES,
            server_url=url_for("DashboardView.index", **args, render="server"),
            district=bool(scope.role_names(user) & SEES_ALL_ROLES))

    @expose("/pack.xlsx")
    @has_access
    def pack(self):
        """本期通报图表: all charts of the page (same filters) in one workbook."""
        user, args = scope.current_user(), _filters()
        try:
            results = {name: chart_data(name, user, args) for name in page_order()}
        except QueryError as exc:
            _refused(exc)
            return redirect(url_for("DashboardView.index"))
        label = results["kpi"]["period"]
        filename = f"本期通报图表（{label}）.xlsx"
        response = send_file(pack(results, label), mimetype=workbook.XLSX_MIMETYPE, as_attachment=True,
                             download_name="dashboard-pack.xlsx", max_age=0, etag=False, conditional=False)
        response.headers["Content-Disposition"] = workbook.content_disposition(filename, "dashboard-pack.xlsx")
        response.headers["Cache-Control"] = "no-store, private"
        return response

    @expose("/<string:name>.xlsx")
    @has_access
    def export(self, name):
        if name not in charts.CHARTS:
            abort(404)
        try:
            result = chart_data(name, scope.current_user(), _filters())
        except QueryError as exc:
            _refused(exc)
            return redirect(url_for("DashboardView.index"))
        filename = f"{result['title']}.xlsx"
        response = send_file(xlsx(result), mimetype=workbook.XLSX_MIMETYPE, as_attachment=True,
                             download_name=f"dashboard-{name}.xlsx", max_age=0, etag=False, conditional=False)
        response.headers["Content-Disposition"] = workbook.content_disposition(filename, f"dashboard-{name}.xlsx")
        response.headers["Cache-Control"] = "no-store, private"
        return response


class DashboardApi(BaseApi):
    """GET /api/v1/dashboard/<chart>?period=&region= → {option, table, as_of, definition, …}."""

    resource_name = "dashboard"
    class_permission_name = PERMISSION_NAME
    base_permissions = ["can_read"]
    method_permission_name = {"chart": "read"}
    openapi_spec_tag = "Dashboard"

    @api_expose("/<string:name>", methods=["GET"])
    @protect(allow_browser_login=True)  # the page loads its charts from here with the session
    @safe
    def chart(self, name):
        """One chart of the leaders' dashboard.
        ---
        get:
          description: >-
            Charts kpi, trend, league, ageing, categories, funnel, heatmap, units, radar, policy. Query arguments period (2026-11, 2026Q4,
            2026-W48, 2026, or week/month/quarter/year for the current one), region (街道), industry (行业), ent_category
            (企业类别) and level (问题层级: ordinary, major) — the ledger list's names, carried into every click-through
            link; an unknown value is a 400 with a Chinese message.
          parameters:
          - in: path
            name: name
            schema: {type: string}
            required: true
          responses:
            200:
              description: option (an ECharts option), table (columns, rows, links), as_of, definition
            400:
              description: a bad filter
            404:
              description: no such chart
        """
        if name not in charts.CHARTS:
            return self.response_404()
        try:
            return self.response(200, **public(chart_data(name, scope.current_user(), _filters())))
        except QueryError as exc:
            return self.response(400, **exc.as_api())


def _remove_user_stats(appbuilder):
    """FAB's 用户统计 chart loads Google's chart code from the internet: its route answers 404 and its
    menu entry goes (no page of the portal loads anything from outside the server)."""
    app = current_app
    for endpoint in [e for e in app.view_functions if e.startswith("UserStatsChartView.")]:
        app.view_functions[endpoint] = lambda **kw: abort(404)
    for item in appbuilder.menu.get_list():
        item.childs = [c for c in (item.childs or []) if c.name != "User's Statistics"]


def register(appbuilder):
    appbuilder.add_view_no_menu(DashboardView)
    appbuilder.add_api(DashboardApi)
    _remove_user_stats(appbuilder)
