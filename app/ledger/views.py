"""Ledger screens: office ledger, officer "my problems", department inbox, enterprise direct channel,
the issue page with its history and one button per action the viewer may take now.

All of them go through app.ledger.listing (filters, scope) and the ledger's workflow (every change)."""
from urllib.parse import urlencode

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from .. import clock, db, idempotency, ledger, pinyin_order, scope, workdays
from . import listing
from ..workflow import web
from ..models import (
    ESCALATION_LEVELS, ISSUE_LEVELS, ISSUE_SOURCES, ISSUE_STATUSES, SATISFACTION, TRIAGE_CLASSES, Department,
    Enterprise, Issue, IssueCategory, Officer, Visit,
)
from ..notifications import queues
from ..settings import get_policy
from ..vocab import (
    COLOUR_CLASSES, ENTERPRISE, FILER_ROLES, FINAL_STATUSES, LEADER, MENU_LEDGER, OFFICE_ROLES, OFFICER, TIER_FILTERS,
    TIER_ROW_CLASS, DEPARTMENT, page_size,
)


def calendar_warning(issue=None):
    """Plain words when an official calendar the deadlines need is not known (they fall back to Mon–Fri).

    On a problem's page: the years of its own deadlines, for whoever reads it. On the list: this and next
    year, and only to those who can enter the calendar (the office) — the others would be told, on every
    page, of something they can neither change nor (for most problems) are touched by."""
    may_enter = current_app.appbuilder.sm.has_access("can_write", "Holiday")
    if issue is not None:
        days = (issue.transfer_due, issue.feedback_due, issue.resolve_due, issue.due_on, issue.pending_due)
        missing = workdays.uncovered_years({d.year for d in days if d is not None})
    elif may_enter:
        year = clock.today().year
        missing = workdays.uncovered_years([year, year + 1])
    else:
        missing = []
    if not missing:
        return None
    years = "、".join(f"{y}年" for y in missing)
    if not may_enter:  # only those who can act are asked to
        return f"说明：{years}的节假日安排尚未录入，涉及这些年份的办理时限暂按周一至周五计算，录入后自动更新。"
    return (f"{years}的法定节假日和调休安排尚未录入，这些年份暂按周一至周五计算工作日，时限可能不准。"
            "请办公室在“节假日”中按国务院办公厅通知录入或导入。")


class LedgerView(BaseView):
    route_base = "/ledger"
    class_permission_name = "Issue"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "add": "write", "act": "write", "edit": "write",
                              "choices": "read"}
    default_view = "list"

    def _user(self):
        return scope.current_user()

    def _choices(self, user):
        by_name = lambda rows: pinyin_order.sort_rows(rows, key=lambda r: r.name)  # noqa: E731  (pinyin, issue 9)
        depts = by_name(db.session.scalars(select(Department)).all())
        # a unit (a department-only login) reaches the officers of every enterprise of its problems: thousands at
        # province size, and finding whether there are more than 200 cost 140-220 ms at 5x: always a type-ahead
        unit = scope.issue_parts(user) is not None
        officers = None if unit else listing.officer_choices(user, limit=listing.SELECT_MAX)
        if officers is None:  # more than a drop-down can hold (province size): a type-ahead field (issue 11)
            chosen = request.args.get("officer", "")
            picked = listing.officer_choices(user, ids=[int(chosen)]) if chosen.isdigit() else []
            return {"departments": depts, "officers": [], "officer_typeahead": True,
                    "officer_name": picked[0].name if picked else "", "regions": self._regions(user),
                    "categories": self._categories()}
        return {"departments": depts, "officers": by_name(officers), "regions": self._regions(user),
                "categories": self._categories()}

    @staticmethod
    def _regions(user):
        """The 街道 to filter by: those of the enterprises the user sees — for a unit every 街道 of the district
        (the district's own map, not its enterprises; the towns of every enterprise of its problems cost 70-90 ms
        at 5x, and a 街道 without its problems simply lists none)."""
        query = select(Enterprise.subdistrict).distinct()
        if scope.issue_parts(user) is None and scope.enterprise_ids(user) is not None:
            query = scope.restrict(Enterprise, query, user)
        else:  # every 街道 of the district (a unit; the logins that see every enterprise): off the index
            query = listing.towns()
        return pinyin_order.sort_rows({r for r in db.session.scalars(query) if r})

    @staticmethod
    def _categories():
        return db.session.scalars(select(IssueCategory).where(IssueCategory.active.is_(True))
                                  .order_by(IssueCategory.sort)).all()

    @expose("/choices/<field>")
    @has_access
    def choices(self, field):
        """The type-ahead of a filter over a large table (officers, enterprises): JSON [{id, name}] of at
        most 20 rows the user may see whose name holds ``q`` (issue 11)."""
        if field not in listing.TYPEAHEAD:
            return jsonify({"message": "没有这个筛选项。"}), 404
        return jsonify({"items": listing.typeahead(self._user(), field, request.args.get("q", ""))})

    @expose("/")
    @has_access
    def list(self):
        user = self._user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        goto = args.pop("goto", None)  # 跳转到第N页 (1-based, as the page shows it)
        if goto is not None:
            if not goto.strip().isdigit() or not 1 <= int(goto) <= listing.MAX_PAGE:
                flash("页码应为正整数。", "danger")
                return redirect(url_for("LedgerView.list") + "?" + urlencode(args))
            args["page"] = str(int(goto) - 1)
        try:
            found = listing.screen_page(user, args, max_size=current_app.config["CSO_MAX_PAGE_SIZE"])
        except listing.FilterError as exc:
            flash(f"筛选条件有误（{exc.field}）：{exc.message}", "danger")
            return redirect(url_for("LedgerView.list"))
        count, rows, size, number = found.count, found.rows, found.size, found.number
        if not rows and count and number > 0 and found.exact:  # past the last page: show the last one
            return redirect(url_for("LedgerView.list") + "?" + urlencode({**args, "page": (count - 1) // size}))
        today, policy = clock.today(), get_policy()
        internal = ledger.sees_internal(user)
        items = [listing.serialize(r, today, policy, internal=internal) for r in rows]
        for item in items:
            item["row_class"] = TIER_ROW_CLASS.get(item["tier"]) or (COLOUR_CLASSES["green"] if item["status"] == "closed" else "")
        # an estimated total (past queues.COUNT_CAP): the pager offers the pages that certainly exist — the next
        # one when this page read a row past its end — never a "last page" it cannot know (issue 11)
        pages = max(1, (count + size - 1) // size)
        beyond = not rows and number > 0  # a page past the real end of an estimated list: said, not a 500
        link = lambda **kw: url_for("LedgerView.list") + "?" + urlencode({**args, **kw})  # noqa: E731
        roles = scope.role_names(user)
        order = args.get("order") or "due_on"
        return self.render_template(
            "cso/ledger_list.html", items=items, count=count, args=args, page=number, pages=pages, link=link,
            exact=found.exact, more=found.more, beyond=beyond, count_cap=queues.COUNT_CAP, max_page=listing.MAX_PAGE,
            page_size=size, page_sizes=sorted({n for n in (*listing.PAGE_SIZES, size) if n <= current_app.config["CSO_MAX_PAGE_SIZE"]}),
            order=order, order_labels=listing.ORDER_LABELS, internal=internal, levels=ISSUE_LEVELS,
            sort_link=lambda column: (f"-{column}" if order == column else column),
            is_enterprise=not internal,
            statuses=ISSUE_STATUSES, tiers=TIER_FILTERS, sources=ISSUE_SOURCES,
            warning=calendar_warning(), title=self._title(roles), can_file=bool(roles & FILER_ROLES),
            **self._choices(user))

    @staticmethod
    def _title(roles):
        if roles & OFFICE_ROLES:
            return "企业问题台账"
        if LEADER in roles:
            return "企业问题台账（只读）"
        if OFFICER in roles:
            return "我的问题"
        if DEPARTMENT in roles:
            return "本单位待办问题"
        return "我的诉求"

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = self._user()
        try:
            issue = ledger.load_for(user, pk)
            events = ledger.history(user, pk)
        except ledger.LedgerError:
            abort(404)
        actions = ledger.allowed_actions(user, issue)
        return self.render_template(
            "cso/ledger_show.html", issue=issue, item=listing.serialize(issue, internal=ledger.sees_internal(user)),
            events=[listing.serialize_event(e) for e in events], actions=actions,
            departments=pinyin_order.sort_rows(db.session.scalars(select(Department)).all(), key=lambda d: d.name),
            escalation_levels=ESCALATION_LEVELS, satisfaction=SATISFACTION, statuses=ISSUE_STATUSES,
            categories=db.session.scalars(select(IssueCategory).where(IssueCategory.active.is_(True))
                                          .order_by(IssueCategory.sort)).all(),
            triage_classes=TRIAGE_CLASSES, levels=ISSUE_LEVELS, labels=ACTION_LABELS,
            can_edit=bool(scope.role_names(user) & OFFICE_ROLES) and issue.status not in FINAL_STATUSES,
            edit_fields=ledger.editable_fields(user, issue), warning=calendar_warning(issue),
            own_enterprise=not ledger.sees_internal(user),  # the enterprise confirms for itself
            visit_link=url_for("VisitView.show", pk=issue.visit_id)
            if issue.visit_id and scope.visible(Visit, issue.visit_id, user) else None)

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        web.post_action(ledger.WORKFLOW, self._user(), pk, lists=("co_departments",))
        return redirect(url_for("LedgerView.show", pk=pk))

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def edit(self, pk):
        form = request.form
        values = {k: form.get(k) for k in ledger.EDITABLE if k in form}
        web.run(ledger.WORKFLOW, lambda: ledger.edit_issue(self._user(), pk, values, form.get("version")), "已保存修改。")
        return redirect(url_for("LedgerView.show", pk=pk))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        user = self._user()
        roles = scope.role_names(user)
        if not roles & FILER_ROLES:
            abort(403)
        enterprises = pinyin_order.sort_rows(db.session.scalars(scope.restrict(
            Enterprise, select(Enterprise), user, write=True)).all(), key=lambda e: e.name)
        visit = None
        visit_id = request.values.get("visit")
        if visit_id and visit_id.isdigit() and scope.visible(Visit, int(visit_id), user):
            visit = db.session.get(Visit, int(visit_id))
        values, errors = dict(request.form), {}
        if request.method == "POST":
            received = request.form.get("received_on") or None
            try:
                enterprise = str(visit.enterprise_id) if visit else request.form.get("enterprise")
                issue = idempotency.once(Issue, lambda: ledger.create_issue(  # a double submit files one problem
                    user, int(enterprise) if enterprise and enterprise.isdigit() else None,
                    request.form.get("title"), request.form.get("description"), source=request.form.get("source"),
                    category=request.form.get("category"), visit_id=visit.id if visit else None,
                    received_on=received, level=request.form.get("level")))
                db.session.commit()
                flash(f"已登记问题 {issue.number}。", "success")
                return redirect(url_for("LedgerView.show", pk=issue.id))
            except ledger.LedgerError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
                if exc.field not in ("enterprise", "title", "description", "category", "source", "level", "received_on"):
                    flash(exc.message, "danger")
        direct = ENTERPRISE in roles and not roles & (OFFICE_ROLES | {OFFICER})
        return self.render_template(
            "cso/ledger_new.html", enterprises=enterprises, visit=visit, values=values, errors=errors,
            sources=ledger.filing_sources(roles), levels=ISSUE_LEVELS, direct=direct, today=clock.today(),
            idem_token=values.get(idempotency.FORM_FIELD) if errors else idempotency.new_token(),
            preselect=request.args.get("enterprise", ""),
            categories=db.session.scalars(select(IssueCategory).where(IssueCategory.active.is_(True))
                                          .order_by(IssueCategory.sort)).all())


ACTION_LABELS = {name: a.label for name, a in ledger.ACTIONS.items()} | {"create": "登记", "edit": "修改", "recompute": "重算时限",
                                                                   "handover": "工作交接"} | {
    "meeting_topic": "列入会商议题", "meeting_decision": "会商议定"}  # written by app/meetings (issue 9: no English)


def visit_issues(visit_id):
    """Problems filed from a visit, as far as the viewer may see them (for the visit page)."""
    from ..models import Issue

    query = scope.restrict(Issue, select(Issue), scope.current_user()).where(Issue.visit_id == int(visit_id))
    return db.session.scalars(query.order_by(Issue.id)).all()


def register(appbuilder):
    current_app.add_template_global(visit_issues)
    appbuilder.add_view(LedgerView, "问题台账", href="/ledger/", icon="fa-list-alt", category=MENU_LEDGER,
                        category_icon="fa-exclamation-circle")
    appbuilder.add_link("登记问题", href="/ledger/new", icon="fa-plus", category=MENU_LEDGER)
    appbuilder.add_link("超期问题", href="/ledger/?tier=overdue", icon="fa-clock", category=MENU_LEDGER)
