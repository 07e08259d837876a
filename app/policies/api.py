"""REST of the policy library: /api/v1/policy/, /api/v1/policy_item/, /api/v1/policy_delivery/ (JWT, scoped on
the server; the kit's contract: 400 bad body/filter, 403 role, 404 out of scope, 409 state/version, 422 fields)."""
from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe

from .. import clock, idempotency, querystring, scope
from ..extensions import db
from ..workflow import WorkflowError, web
from ..workflow.api import KitApi
from . import deliveries, rules
from .models import CRITERION_KINDS, Policy, PolicyDelivery, PolicyItem
from .rules import PolicyError


def _iso(value):
    return value.isoformat() if value is not None else None


def serialize_policy(policy, today=None, full=True):
    today = today or clock.today()
    status = policy.status_on(today)
    out = {"id": policy.id, "version": policy.version, "title": policy.title, "doc_number": policy.doc_number,
           "issuer": policy.issuer, "level": policy.level, "level_label": policy.level_label,
           "issued_on": _iso(policy.issued_on), "published_on": _iso(policy.published_on),
           "effective_from": _iso(policy.effective_from), "effective_to": _iso(policy.effective_to),
           "status": status, "status_label": rules.POLICY_STATUSES[status], "successor": policy.successor_id,
           "department": policy.department_id}
    if full:
        out.update(summary=policy.summary, interpretation=policy.interpretation)
    return out


def serialize_item(item):
    return {"id": item.id, "version": item.version, "policy": item.policy_id, "policy_title": item.policy.title,
            "name": item.name, "benefit": item.benefit, "target_desc": item.target_desc,
            "criteria": {kind: item.values(kind) for kind in CRITERION_KINDS}, "cash_mode": item.cash_mode,
            "cash_mode_label": item.cash_mode_label, "window_open": _iso(item.window_open),
            "window_close": _iso(item.window_close), "cash_days": item.cash_days, "department": item.department_id,
            "department_name": item.department.name, "contact": item.contact, "phone": item.phone,
            "revision": item.revision}


def serialize_delivery(d, user=None):
    uptake = deliveries.uptake_for(d.item_id, d.enterprise_id)
    out = {"id": d.id, "version": d.version, "item": d.item_id, "item_name": d.item.name, "enterprise": d.enterprise_id,
           "enterprise_name": d.enterprise.name, "officer": d.officer_id, "visit": d.visit_id, "channel": d.channel,
           "channel_label": d.channel_label, "delivered_on": _iso(d.delivered_on), "explained": d.explained,
           "item_revision": d.item_revision, "current": d.item_revision == d.item.revision, "note": d.note,
           "confirmed_at": d.confirmed_at.isoformat(timespec="seconds") if d.confirmed_at else None,
           "interest": d.interest, "interest_label": d.interest_label, "uptake": None}
    if uptake is not None:
        out["uptake"] = {"id": uptake.id, "version": uptake.version, "status": uptake.status,
                         "status_label": uptake.status_label, "applied_on": _iso(uptake.applied_on),
                         "accepted_on": _iso(uptake.accepted_on), "paid_on": _iso(uptake.paid_on),
                         "amount": float(uptake.amount) if uptake.amount is not None else None,
                         "reject_reason": uptake.reject_reason, "issue": uptake.issue_id,
                         "cash_due": _iso(deliveries.cash_due(uptake)), "stalled": deliveries.stalled(uptake),
                         "history": [{"at": e.at.isoformat(timespec="seconds"), "actor": e.actor_name, "action": e.action,
                                      "from_status": e.from_status, "to_status": e.to_status, "note": e.note}
                                     for e in uptake.events]}
    if user is not None:
        out["actions"] = deliveries.allowed_uptake(user, d) + (["confirm"] if deliveries.may_confirm(user, d) else []) \
            + (["escalate"] if deliveries.may_escalate(user, d) else [])
    return out


class _Api(KitApi):  # _fail from the kit
    def _page(self, query):
        args = request.args
        size = querystring.int_arg(args, "page_size", "每页条数", 25, 1, current_app.config["FAB_API_MAX_PAGE_SIZE"])
        number = querystring.int_arg(args, "page", "页码", 0, 0, 100000)
        return rules.count(query), db.session.scalars(query.limit(size).offset(number * size)).all()


class PolicyApi(_Api):
    resource_name = "policy"
    class_permission_name = "Policy"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "put": "write"}
    openapi_spec_tag = "Policy"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Policies the caller may see.
        ---
        get:
          description: 'Filters: status (current,expired,repealed,revised — by date), level, q; page, page_size.'
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        try:
            count, rows = self._page(rules.policy_query(scope.current_user(), request.args))
        except querystring.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[serialize_policy(p, full=False) for p in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One policy with its items the caller may see.
        ---
        get:
          responses:
            200:
              description: the policy
            404:
              description: missing or out of scope
        """
        user = scope.current_user()
        try:
            policy = rules.load_policy(user, pk)
        except PolicyError as exc:
            return self._fail(exc)
        items = db.session.scalars(rules.item_query(user, {"policy": str(pk)})).all()
        return self.response(200, id=policy.id, result={**serialize_policy(policy), "items": [serialize_item(i) for i in items]})

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Add a policy (the office, a department).
        ---
        post:
          description: '{"title", "doc_number", "issuer", "level": national|province|city|district, "issued_on", "published_on", "effective_from", "effective_to" (YYYY-MM-DD), "status", "successor", "summary", "interpretation"}'
          responses:
            201:
              description: created
            403:
              description: not a keeper of the library
            422:
              description: missing or invalid fields
        """
        try:
            data = web.json_body()
            policy = idempotency.once(Policy, lambda: rules.create_policy(scope.current_user(), data))
            db.session.commit()
        except (WorkflowError, querystring.QueryError) as exc:
            return self._fail(exc)
        return self.response(201, id=policy.id, result=serialize_policy(policy))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk):
        """Change a policy (its keeper); fields as for POST, plus "version".
        ---
        put:
          responses:
            200:
              description: saved
            403:
              description: kept by another unit
            404:
              description: out of scope
            409:
              description: stale version
            422:
              description: invalid fields
        """
        try:
            data = web.json_body()
            version = data.pop("version", None)
            policy = rules.update_policy(scope.current_user(), pk, data, version)
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, id=policy.id, result=serialize_policy(policy))


class PolicyItemApi(_Api):
    resource_name = "policy_item"
    class_permission_name = "Policy"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "put": "write"}
    openapi_spec_tag = "Policy"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Benefit items the caller may see.
        ---
        get:
          description: 'Filters: policy, department (ids), in_force (1), q; page, page_size.'
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        try:
            count, rows = self._page(rules.item_query(scope.current_user(), request.args))
        except querystring.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[serialize_item(i) for i in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One benefit item.
        ---
        get:
          responses:
            200:
              description: the item
            404:
              description: missing or out of scope
        """
        try:
            item = rules.load_item(scope.current_user(), pk)
        except PolicyError as exc:
            return self._fail(exc)
        return self.response(200, id=item.id, result=serialize_item(item))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Add a benefit item to a policy.
        ---
        post:
          description: '{"policy": id, "name", "benefit", "target_desc", "industries", "categories", "subdistricts", "sizes" (lists or 、-separated text), "cash_mode": auto|instant|apply, "window_open", "window_close", "cash_days", "department": id, "contact", "phone"}'
          responses:
            201:
              description: created
            403:
              description: not allowed for this policy
            404:
              description: policy out of scope
            422:
              description: missing or invalid fields
        """
        try:
            data = web.json_body()
            item = idempotency.once(PolicyItem, lambda: rules.create_item(scope.current_user(), data.get("policy"), data))
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, id=item.id, result=serialize_item(item))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk):
        """Change an item (its department or the office); a material change raises "revision".
        ---
        put:
          responses:
            200:
              description: saved (material tells whether the revision went up)
            403:
              description: another unit's item
            404:
              description: out of scope
            409:
              description: stale version
            422:
              description: invalid fields
        """
        try:
            data = web.json_body()
            version = data.pop("version", None)
            item, material = rules.update_item(scope.current_user(), pk, data, version)
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, id=item.id, result=serialize_item(item), material=material)


class PolicyDeliveryApi(_Api):
    resource_name = "policy_delivery"
    class_permission_name = "PolicyDelivery"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"get_list": "read", "get": "read", "unaware": "read", "post": "write",
                              "confirm": "write", "uptake": "write", "escalate": "write"}
    openapi_spec_tag = "PolicyDelivery"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Deliveries the caller may see.
        ---
        get:
          description: 'Filters: item, enterprise, officer (ids), unconfirmed (1); page, page_size.'
          responses:
            200:
              description: count and result
            400:
              description: a bad filter
        """
        user = scope.current_user()
        try:
            count, rows = self._page(deliveries.delivery_query(user, request.args))
        except querystring.QueryError as exc:
            return self._fail(exc)
        return self.response(200, count=count, result=[serialize_delivery(d) for d in rows])

    @expose("/unaware", methods=["GET"])
    @protect()
    @safe
    def unaware(self):
        """应知未知: eligible (enterprise, item) pairs not told of the item's current revision.
        ---
        get:
          description: 'officer (id; the office only). At most 1000 pairs.'
          responses:
            200:
              description: pairs
            400:
              description: a bad filter
        """
        user = scope.current_user()
        try:
            officer = querystring.id_arg(request.args, "officer", "服务官")
        except querystring.QueryError as exc:
            return self._fail(exc)
        rows = deliveries.unaware(user, officer if scope.sees_all(user) else None, limit=1000)
        return self.response(200, count=len(rows), result=[
            {"item": item.id, "item_name": item.name, "enterprise": ent.id, "enterprise_name": ent.name,
             "changed": bool(changed), "window_close": _iso(item.window_close)} for item, ent, changed in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One delivery with its uptake and the caller's actions.
        ---
        get:
          responses:
            200:
              description: the delivery
            404:
              description: missing or out of scope
        """
        user = scope.current_user()
        try:
            d = deliveries.load_delivery(user, pk)
        except PolicyError as exc:
            return self._fail(exc)
        return self.response(200, id=d.id, result=serialize_delivery(d, user))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Record a delivery (an officer for their enterprises, the office).
        ---
        post:
          description: '{"items": [ids], "visit": id or "enterprise": id, "channel": visit|meeting|phone|sms|wechat|paper, "explained": bool, "delivered_on" (without a visit), "note"}'
          responses:
            201:
              description: the deliveries made
            403:
              description: not the enterprise's officer
            422:
              description: missing or invalid fields
        """
        user = scope.current_user()
        try:
            data = web.json_body()
            made = []

            def create():
                made.extend(deliveries.record(user, data))
                return made[0]

            first = idempotency.once(PolicyDelivery, create)  # Idempotency-Key: a repeat answers the first row
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, result=[serialize_delivery(d) for d in (made or [first])])

    @expose("/<int:pk>/confirm", methods=["POST"])
    @protect()
    @safe
    def confirm(self, pk):
        """The enterprise confirms (and answers its interest: apply|ineligible|enjoyed|not_now).
        ---
        post:
          responses:
            200:
              description: confirmed
            403:
              description: not the enterprise told
            404:
              description: out of scope
            409:
              description: confirmed already
            422:
              description: invalid interest
        """
        user = scope.current_user()
        try:
            data = web.json_body()
            d = deliveries.confirm(user, pk, data.get("interest"), data.get("version"))
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, id=d.id, result=serialize_delivery(d, user))

    @expose("/<int:pk>/uptake", methods=["POST"])
    @protect()
    @safe
    def uptake(self, pk):
        """One uptake step of the delivery's enterprise × item.
        ---
        post:
          description: '{"action": plan|apply (applied_on)|accept (accepted_on)|pay (paid_on, amount)|reject (reason), "version": uptake version}'
          responses:
            200:
              description: the delivery with its uptake
            403:
              description: role not allowed
            404:
              description: out of scope
            409:
              description: wrong status or stale version
            422:
              description: missing or invalid parameters
        """
        user = scope.current_user()
        try:
            data = web.json_body()
            action, version = data.pop("action", None), data.pop("version", None)
            deliveries.uptake_step(user, pk, action, data, version)
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(200, id=pk, result=serialize_delivery(deliveries.load_delivery(user, pk), user))

    @expose("/<int:pk>/escalate", methods=["POST"])
    @protect()
    @safe
    def escalate(self, pk):
        """A stalled cash-out becomes a ledger problem of category 政策兑现.
        ---
        post:
          responses:
            201:
              description: the problem's id and number
            403:
              description: role not allowed
            404:
              description: out of scope
            409:
              description: not stalled, or filed already
        """
        try:
            issue = deliveries.escalate(scope.current_user(), pk)
            db.session.commit()
        except WorkflowError as exc:
            return self._fail(exc)
        return self.response(201, id=issue.id, result={"issue": issue.id, "number": issue.number})


def register(appbuilder):
    appbuilder.add_api(PolicyApi)
    appbuilder.add_api(PolicyItemApi)
    appbuilder.add_api(PolicyDeliveryApi)
