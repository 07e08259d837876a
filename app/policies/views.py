"""Screens of the policy library (惠企政策): the library (policies, items, forms, import, 明白纸, exports,
enterprise sizes), 应知未知, deliveries (record from a visit, confirm, interest, uptake, stalled → ledger)
and 适用于我. Every change goes through app.policies.rules / .deliveries / .importer."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import func, select

from .. import clock, downloads, idempotency, querystring, scope
from ..exports.workbook import XLSX_MIMETYPE
from ..extensions import db
from ..models import ENTERPRISE_CATEGORIES, Department, Enterprise, Issue, Visit
from ..vocab import (
    CASH_MODES, DELIVERY_CHANNELS, ENTERPRISE, ENTERPRISE_SIZES, MENU_POLICIES, POLICY_LEVELS,
    POLICY_STATUSES, UPTAKE_STATUSES,
)
from . import deliveries, documents, exports, importer, rules
from .deliveries import PARAM_LABELS, UPTAKE_ACTIONS
from .models import CRITERION_KINDS, EnterpriseSize, Policy, PolicyDelivery, PolicyItem
from .permissions import DELIVERIES, IMPORT, LIBRARY, MINE, SIZES, UNAWARE
from .rules import PolicyError


file_response = downloads.send_bytes


def _local(stamp):
    """A stored (naive UTC) timestamp as the district's local time, 2026-12-01 09:30."""
    return clock.local(stamp).strftime("%Y-%m-%d %H:%M") if stamp is not None else ""


def _refused(exc, back):
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    flash(exc.message, "danger")
    return redirect(back)


def _departments():
    return db.session.scalars(select(Department).order_by(Department.name)).all()


def _industries():
    return sorted({i for i in db.session.scalars(select(Enterprise.industry).distinct()) if i})


def _subdistricts():
    return sorted({s for s in db.session.scalars(select(Enterprise.subdistrict).distinct()) if s})


def _with(options, chosen):
    """The choices plus what the item already names (an imported 行业 no enterprise has yet stays on edit)."""
    extra = [v for v in (chosen if isinstance(chosen, (list, tuple)) else []) if v not in options]
    return list(options) + extra


def _form_values(form):
    values = {k: v for k, v in form.items() if k not in ("csrf_token", idempotency.FORM_FIELD)}
    for key in ("industries", "categories", "subdistricts", "sizes"):
        if key in form:
            values[key] = form.getlist(key)
    return values


def _policy_options(user):
    return db.session.scalars(scope.restrict(Policy, select(Policy), user).order_by(Policy.id.desc()).limit(500)).all()


class PolicyView(BaseView):
    route_base = "/policies"
    class_permission_name = "Policy"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "item": "read", "sheet": "read", "ledger": "read",
                              "summary": "read", "mine": "read", "template": "read", "add": "write", "edit": "write",
                              "add_item": "write", "edit_item": "write", "upload": "write", "sizes": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            query = rules.policy_query(user, args)
        except querystring.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("PolicyView.list"))
        rows = db.session.scalars(query.limit(500)).all()
        counts = dict(db.session.execute(scope.restrict(PolicyItem, select(PolicyItem.policy_id, func.count()), user).where(
            PolicyItem.policy_id.in_([p.id for p in rows])).group_by(PolicyItem.policy_id)).all())
        return self.render_template("policies/list.html", rows=rows, args=args, statuses=POLICY_STATUSES, counts=counts,
                                    levels=POLICY_LEVELS, today=clock.today(), can_keep=rules.may_keep(user),
                                    is_office=rules.is_office(user))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        user = scope.current_user()
        if not rules.may_keep(user):
            abort(403)
        values, error = dict(request.form), None
        if request.method == "POST":
            try:
                policy = idempotency.once(Policy, lambda: rules.create_policy(user, _form_values(request.form)))
                db.session.commit()
                flash("已新增政策，请添加惠企事项。", "success")
                return redirect(url_for("PolicyView.show", pk=policy.id))
            except PolicyError as exc:
                db.session.rollback()
                error = exc.message
        return self.render_template("policies/policy_form.html", values=values, error=error, policy=None,
                                    levels=POLICY_LEVELS, statuses=POLICY_STATUSES, policies=_policy_options(user),
                                    token=idempotency.new_token())

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            policy = rules.load_policy(user, pk)
        except PolicyError:
            abort(404)
        items = db.session.scalars(rules.item_query(user, {"policy": str(pk)})).all()
        successor = policy.successor if policy.successor_id and scope.visible(Policy, policy.successor_id, user) else None
        return self.render_template("policies/policy_show.html", policy=policy, items=items, today=clock.today(),
                                    statuses=POLICY_STATUSES, successor=successor,
                                    can_edit=rules.may_edit_policy(user, policy),
                                    can_add_item=rules.may_add_item(user, policy))

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        user = scope.current_user()
        try:
            policy = rules.load_policy(user, pk)
        except PolicyError:
            abort(404)
        if not rules.may_edit_policy(user, policy):
            abort(403)
        values, error = {k: ("" if v is None else v) for k, v in rules.policy_form(policy).items()}, None
        if request.method == "POST":
            values = dict(request.form)
            try:
                rules.update_policy(user, pk, _form_values(request.form), request.form.get("version"))
                db.session.commit()
                flash("已保存政策。", "success")
                return redirect(url_for("PolicyView.show", pk=pk))
            except PolicyError as exc:
                db.session.rollback()
                error = exc.message
        return self.render_template("policies/policy_form.html", values=values, error=error, policy=policy,
                                    levels=POLICY_LEVELS, statuses=POLICY_STATUSES,
                                    policies=[p for p in _policy_options(user) if p.id != policy.id], token=None)

    def _item_form(self, user, policy, item, values, error):
        units = rules.unit_ids(user)
        depts = _departments() if rules.is_office(user) else [d for d in _departments() if d.id in units]
        return self.render_template("policies/item_form.html", policy=policy, item=item, values=values, error=error,
                                    cash_modes=CASH_MODES, departments=depts,
                                    industries=_with(_industries(), values.get("industries")),
                                    categories=ENTERPRISE_CATEGORIES,
                                    subdistricts=_with(_subdistricts(), values.get("subdistricts")),
                                    sizes=ENTERPRISE_SIZES, token=idempotency.new_token() if item is None else None)

    @expose("/<int:pk>/items/new", methods=["GET", "POST"])
    @has_access
    def add_item(self, pk):
        user = scope.current_user()
        try:
            policy = rules.load_policy(user, pk)
        except PolicyError:
            abort(404)
        if not rules.may_add_item(user, policy):
            abort(403)
        values, error = {}, None
        if request.method == "POST":
            values = _form_values(request.form)
            try:
                item = idempotency.once(PolicyItem, lambda: rules.create_item(user, pk, values))
                db.session.commit()
                flash("已新增惠企事项。", "success")
                return redirect(url_for("PolicyView.item", pk=item.id))
            except PolicyError as exc:
                db.session.rollback()
                error = exc.message
        return self._item_form(user, policy, None, values, error)

    @expose("/items/<int:pk>")
    @has_access
    def item(self, pk):
        user = scope.current_user()
        try:
            item = rules.load_item(user, pk)
        except PolicyError:
            abort(404)
        ents = scope.enterprise_ids(user)
        eligible = rules.eligible_enterprises(item)
        if ents is not None:
            mine = set(db.session.scalars(ents))
            eligible = [e for e in eligible if e.id in mine]
        rows = db.session.scalars(deliveries.delivery_query(user, {"item": str(pk)})).all()
        told = {d.enterprise_id for d in rows if d.item_revision == item.revision}
        return self.render_template(
            "policies/item_show.html", item=item, policy=item.policy, today=clock.today(), criteria=rules.criteria_of(item),
            kinds=CRITERION_KINDS, sizes=ENTERPRISE_SIZES, eligible=eligible, statuses=POLICY_STATUSES, told=told,
            deliveries=rows, local=_local,
            in_force=item.policy.status_on(clock.today()) == "current", can_edit=rules.may_edit_item(user, item),
            can_deliver=deliveries.may_deliver(user), is_enterprise=scope.role_names(user) <= {ENTERPRISE})

    @expose("/items/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit_item(self, pk):
        user = scope.current_user()
        try:
            item = rules.load_item(user, pk)
        except PolicyError:
            abort(404)
        if not rules.may_edit_item(user, item):
            abort(403)
        values, error = rules.item_form(item), None
        if request.method == "POST":
            values = _form_values(request.form)
            for key in ("industries", "categories", "subdistricts", "sizes"):
                values.setdefault(key, [])
            try:
                _, material = rules.update_item(user, pk, values, request.form.get("version"))
                db.session.commit()
                flash("已保存惠企事项。" + ("事项有实质性变更，已送达的企业需重新宣传，已通知相关服务官。" if material else ""), "success")
                return redirect(url_for("PolicyView.item", pk=pk))
            except PolicyError as exc:
                db.session.rollback()
                error = exc.message
        return self._item_form(user, item.policy, item, values, error)

    @expose("/items/<int:pk>/sheet.docx")
    @has_access
    def sheet(self, pk):
        try:
            item = rules.load_item(scope.current_user(), pk)
        except PolicyError:
            abort(404)
        return file_response(documents.sheet_docx(item), documents.sheet_filename(item), documents.DOCX_MIMETYPE)

    @expose("/ledger.xlsx")
    @has_access
    def ledger(self):
        return file_response(exports.ledger_xlsx(scope.current_user()), "政策宣传台账.xlsx", XLSX_MIMETYPE)

    @expose("/summary.xlsx")
    @has_access
    def summary(self):
        return file_response(exports.summary_xlsx(scope.current_user()), "政策覆盖与兑现情况表.xlsx", XLSX_MIMETYPE)

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def upload(self):
        user = scope.current_user()
        if not rules.may_keep(user):
            abort(403)
        errors = []
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                errors = ["请选择要导入的文件。"]
            else:
                try:
                    done = importer.import_file(user, upload.read(), upload.filename)
                    db.session.commit()
                    flash(f"导入完成：新增政策{done['policies']}项、惠企事项{done['items']}项。", "success")
                    return redirect(url_for("PolicyView.list"))
                except importer.ImportError_ as exc:
                    db.session.rollback()
                    errors = exc.errors
                except PolicyError as exc:
                    db.session.rollback()
                    errors = [exc.message]
        return self.render_template("policies/import.html", errors=errors, headers=importer.TEMPLATE_HEADERS)

    @expose("/import/template.xlsx")
    @has_access
    def template(self):
        if not rules.may_keep(scope.current_user()):
            abort(403)
        return file_response(importer.template_xlsx(), "惠企政策导入模板.xlsx", XLSX_MIMETYPE)

    @expose("/sizes", methods=["GET", "POST"])
    @has_access
    def sizes(self):
        user = scope.current_user()
        if not rules.is_office(user):
            abort(403)
        if request.method == "POST":
            try:
                changed = 0
                for ent in db.session.scalars(select(Enterprise)):
                    key = f"size_{ent.id}"
                    if key in request.form:
                        current = db.session.get(EnterpriseSize, ent.id)
                        if (current.size if current else "") != request.form[key]:
                            rules.set_size(user, ent.id, request.form[key])
                            changed += 1
                db.session.commit()
                flash(f"已保存企业规模（{changed}家有变化）。", "success")
            except PolicyError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            return redirect(url_for("PolicyView.sizes"))
        ents = db.session.scalars(select(Enterprise).order_by(Enterprise.name)).all()
        current = {r.enterprise_id: r.size for r in db.session.scalars(select(EnterpriseSize))}
        return self.render_template("policies/sizes.html", enterprises=ents, current=current, sizes=ENTERPRISE_SIZES)

    @expose("/mine")
    @has_access
    def mine(self):
        """适用于我: the in-force items that apply to the enterprise, told or not, and its deliveries."""
        user = scope.current_user()
        ent_ids = list(db.session.scalars(scope.enterprise_ids(user))) if not scope.sees_all(user) else []
        if ENTERPRISE not in scope.role_names(user) or not ent_ids:
            abort(404)
        blocks = []
        for ent_id in ent_ids:
            ent = db.session.get(Enterprise, ent_id)
            pairs = deliveries.items_for_enterprise(ent_id)
            latest = {d.item_id: d for d in db.session.scalars(select(PolicyDelivery).where(
                PolicyDelivery.enterprise_id == ent_id).order_by(PolicyDelivery.id))}
            blocks.append((ent, pairs, latest))
        return self.render_template("policies/mine.html", blocks=blocks, today=clock.today())


UPTAKE_PAGE = 500  # rows shown on the 申兑清单 (the count is of all)
# where 记录政策宣传 returns to (``back``): the list it was opened from, else the visit it was opened for
BACK = ("unaware", "visit")


def _back_url(back, visit, first):
    if back == "unaware":
        return url_for("DeliveryView.unaware")
    if back == "visit" and visit is not None:
        return url_for("VisitView.show", pk=visit.id)
    return None


class DeliveryView(BaseView):
    route_base = "/policies/deliveries"
    class_permission_name = "PolicyDelivery"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "show": "read", "unaware": "read", "uptakes": "read", "add": "write",
                              "confirm": "write", "uptake": "write", "escalate": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            rows = db.session.scalars(deliveries.delivery_query(user, args).limit(500)).all()
        except querystring.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("DeliveryView.list"))
        return self.render_template("policies/deliveries.html", rows=rows, args=args,
                                    can_deliver=deliveries.may_deliver(user))

    @expose("/unaware")
    @has_access
    def unaware(self):
        """应知未知: eligible for an in-force item, not told of its current revision."""
        user = scope.current_user()
        officer = request.args.get("officer")
        officers = deliveries.officer_choices(user)
        officer_id = None
        if officer not in (None, "") and officers:
            try:
                officer_id = querystring.id_of(officer, "officer", "服务官")
            except querystring.QueryError as exc:
                flash(exc.message, "danger")
        rows = deliveries.unaware(user, officer_id, limit=1000)
        return self.render_template("policies/unaware.html", rows=rows, officers=officers, officer_id=officer_id,
                                    today=clock.today(), can_deliver=deliveries.may_deliver(user))

    @expose("/uptake")
    @has_access
    def uptakes(self):
        """申兑清单: the uptake rows the user may see, by 申兑状态 and the enterprise's 街道/行业/企业类别;
        ``current=1`` keeps the pairs of in-force items that apply (the dashboard's 已申报 / 已兑现)."""
        user = scope.current_user()
        args = {k: v for k, v in request.args.items() if v not in (None, "")}
        try:
            query = deliveries.uptake_query(user, args)
            total = rules.count(query)
        except querystring.QueryError as exc:
            flash(f"筛选条件有误：{exc.message}", "danger")
            return redirect(url_for("DeliveryView.uptakes"))
        rows = db.session.scalars(query.limit(UPTAKE_PAGE)).all()
        latest = {}
        if rows:
            for d in db.session.scalars(scope.restrict(PolicyDelivery, select(PolicyDelivery), user).where(
                    PolicyDelivery.item_id.in_({r.item_id for r in rows}),
                    PolicyDelivery.enterprise_id.in_({r.enterprise_id for r in rows})).order_by(PolicyDelivery.id)):
                latest[(d.item_id, d.enterprise_id)] = d.id
        chosen = set((args.get("status") or "").split(","))
        return self.render_template("policies/uptakes.html", rows=rows, total=total, args=args, statuses=UPTAKE_STATUSES,
                                    chosen=chosen, latest=latest, page=UPTAKE_PAGE)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        """记录政策宣传: from a visit (``visit``) or for an enterprise (``enterprise``), pick the items."""
        user = scope.current_user()
        source = request.form if request.method == "POST" else request.args
        back = source.get("back") if source.get("back") in BACK else (
            "visit" if request.method == "GET" and request.args.get("visit") else None)
        visit = enterprise = None
        try:
            if source.get("visit"):
                visit = deliveries.visit_for(user, source.get("visit"))
                enterprise = visit.enterprise
            elif source.get("enterprise"):
                ent_id = querystring.id_of(source.get("enterprise"), "enterprise", "企业")
                if scope.visible(Enterprise, ent_id, user):
                    enterprise = db.session.get(Enterprise, ent_id)
        except (PolicyError, querystring.QueryError):
            abort(404)
        if enterprise is None:
            abort(404)
        if not deliveries.may_deliver(user, enterprise.id):
            abort(403)
        error = None
        if request.method == "POST":
            values = {k: v for k, v in request.form.items() if k not in ("csrf_token", idempotency.FORM_FIELD)}
            values["items"] = request.form.getlist("items")
            if visit is None:
                values["enterprise"] = enterprise.id
            try:
                first = idempotency.once(PolicyDelivery, lambda: deliveries.record(user, values)[0])
                db.session.commit()
                flash("已记录政策宣传，企业将在平台确认。", "success")
                return redirect(_back_url(back, visit, first) or url_for("DeliveryView.show", pk=first.id))
            except PolicyError as exc:
                db.session.rollback()
                error = exc.message
        pairs = deliveries.items_for_enterprise(enterprise.id)
        visits = [] if visit is not None else db.session.scalars(scope.restrict(Visit, select(Visit), user).where(
            Visit.enterprise_id == enterprise.id).order_by(Visit.visit_date.desc(), Visit.id.desc()).limit(10)).all()
        return self.render_template("policies/delivery_form.html", visit=visit, enterprise=enterprise, pairs=pairs,
                                    visits=visits, back=back, back_url=_back_url(back, visit, None),
                                    channels=DELIVERY_CHANNELS, error=error, today=clock.today(),
                                    chosen=set(request.form.getlist("items")) or set(request.args.getlist("item")),
                                    token=idempotency.new_token())

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        user = scope.current_user()
        try:
            delivery = deliveries.load_delivery(user, pk)
        except PolicyError:
            abort(404)
        uptake = deliveries.uptake_for(delivery.item_id, delivery.enterprise_id)
        issue_visible = uptake is not None and uptake.issue_id and scope.visible(Issue, uptake.issue_id, user)
        visit_visible = delivery.visit_id and scope.visible(Visit, delivery.visit_id, user)
        return self.render_template(
            "policies/delivery_show.html", d=delivery, item=delivery.item, uptake=uptake, today=clock.today(),
            may_confirm=deliveries.may_confirm(user, delivery), interests=deliveries.interests_for(delivery.item),
            no_application=delivery.item.cash_mode in deliveries.NO_APPLICATION,
            actions=deliveries.allowed_uptake(user, delivery), action_defs=UPTAKE_ACTIONS, param_labels=PARAM_LABELS,
            statuses=UPTAKE_STATUSES, due=deliveries.cash_due(uptake) if uptake else None,
            stalled=deliveries.stalled(uptake), may_escalate=deliveries.may_escalate(user, delivery),
            issue_visible=issue_visible, visit_visible=visit_visible,
            current=delivery.item_revision == delivery.item.revision, event_labels=deliveries.EVENT_LABELS,
            local=_local)

    def _act(self, pk, change, success):
        user = scope.current_user()
        try:
            result = change(user)
            db.session.commit()
            flash(success(result) if callable(success) else success, "success")
        except PolicyError as exc:
            return _refused(exc, url_for("DeliveryView.show", pk=pk))
        return redirect(url_for("DeliveryView.show", pk=pk))

    @expose("/<int:pk>/confirm", methods=["POST"])
    @has_access
    def confirm(self, pk):
        return self._act(pk, lambda u: deliveries.confirm(u, pk, request.form.get("interest"), request.form.get("version")),
                         "已确认收到政策宣传。")

    @expose("/<int:pk>/uptake", methods=["POST"])
    @has_access
    def uptake(self, pk):
        action = request.form.get("action", "")
        params = {k: v for k, v in request.form.items() if k not in ("csrf_token", "action", "version")}
        label = UPTAKE_ACTIONS.get(action, ("",))[0]
        return self._act(pk, lambda u: deliveries.uptake_step(u, pk, action, params, request.form.get("version")),
                         f"已记录申兑进展：{label}。")

    @expose("/<int:pk>/escalate", methods=["POST"])
    @has_access
    def escalate(self, pk):
        return self._act(pk, lambda u: deliveries.escalate(u, pk), lambda issue: f"已转为问题台账 {issue.number}（政策兑现）。")


def policy_delivery_link(visit_id):
    """For the visit page: (url to record a 政策宣传 from this visit or None, [deliveries of the visit],
    whether the visit names the topic 政策宣传 but no item was recorded yet)."""
    user = scope.current_user()
    visit = db.session.get(Visit, visit_id) if visit_id else None
    if visit is None or not scope.visible(Visit, visit.id, user):
        return None, [], False
    url = url_for("DeliveryView.add", visit=visit.id) if deliveries.may_deliver(user, visit.enterprise_id) else None
    rows = db.session.scalars(scope.restrict(PolicyDelivery, select(PolicyDelivery), user).where(
        PolicyDelivery.visit_id == visit.id).order_by(PolicyDelivery.id)).all()
    return url, rows, bool(url) and not rows and deliveries.POLICY_TOPIC in (visit.topics or "")


def register(appbuilder):
    from ..files import rules as files

    files.register_owner(
        "policy", label="政策", visible=lambda user, pk: scope.visible(Policy, pk, user),
        may_attach=lambda user, pk: rules.may_edit_policy(user, db.session.get(Policy, pk)),
        may_remove=lambda user, pk, att: rules.may_edit_policy(user, db.session.get(Policy, pk)),
        url=lambda pk: url_for("PolicyView.show", pk=pk))
    current_app.add_template_global(policy_delivery_link)
    appbuilder.add_view(PolicyView, LIBRARY, href="/policies/", icon="fa-book", category=MENU_POLICIES,
                        category_icon="fa-gift")
    appbuilder.add_view(DeliveryView, UNAWARE, href="/policies/deliveries/unaware", icon="fa-bell-o",
                        category=MENU_POLICIES)
    appbuilder.add_link(DELIVERIES, href="/policies/deliveries/", icon="fa-list", category=MENU_POLICIES)
    appbuilder.add_link(MINE, href="/policies/mine", icon="fa-star", category=MENU_POLICIES)
    appbuilder.add_link(IMPORT, href="/policies/import", icon="fa-upload", category=MENU_POLICIES)
    appbuilder.add_link(SIZES, href="/policies/sizes", icon="fa-building-o", category=MENU_POLICIES)
