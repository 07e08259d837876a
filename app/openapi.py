"""The OpenAPI spec at ``/api/v1/_openapi`` describes every route and every answer
(docs/architecture.md#security; README → REST API).

FAB builds the spec from the docstrings of the API methods; what a docstring leaves out is filled
in here, once, from the app itself, so a route added tomorrow is described the day it is
registered:

* **path parameters** from the URL rule (``<int:pk>`` → integer ≥ 0, ``<kind>`` → one of the file
  store's owner kinds, other converters → string);
* **error answers** every API route can give — 400 (bad query), 401 (no or expired token), 403,
  404 (not found or out of scope), 422 (invalid input) and, for writes, 409 (wrong status or stale
  version) and 413 (too large) — with the one error body ``{"message": …}``: a Chinese sentence, or
  for 422 usually an object of field → messages (``{"message": {"credit_code": ["…"]}}``);
  the JWT layer's own 401/422 say ``{"msg": "…"}``; 429 on the login;
* **FAB's model API schemas as the answers really are**: ids are integers, ``_info``'s
  ``add_columns``/``edit_columns`` are lists, the ``result`` of a POST/PUT also carries its ``id``
  (the request schema forbids extra keys), and stored times are naive UTC ISO 8601 without an
  offset (``format: date-time`` would demand one).

FAB 5.3: wraps ``app.view_functions["OpenApi.get"]`` (FAB's ``api.manager.OpenApi``); on upgrade
re-check that endpoint name and that the view answers the spec as JSON.
"""
import json
import re

from flask import current_app, jsonify

ERROR = {"type": "object", "properties": {
    "message": {"oneOf": [{"type": "string"}, {"type": "object"}]},
    "msg": {"type": "string"},
}}
ERROR_422 = {"type": "object", "properties": {
    "message": {"oneOf": [{"type": "object", "additionalProperties": True}, {"type": "string"}]},
    "msg": {"type": "string"},
}}
DESCRIPTIONS = {
    "400": "请求有误（查询参数、Rison q 或请求体格式不正确）", "401": "未登录或令牌无效、已过期、已失效",
    "403": "没有权限", "404": "不存在或不在查看范围内", "405": "操作方式不被允许",
    "409": "状态不允许或版本已过期", "413": "内容过大", "422": "参数缺失或不合法（message 为字段 → 消息列表，或一句话）",
    "429": "登录尝试过于频繁", "500": "系统内部错误",
}
COMMON = ("400", "401", "403", "404", "405", "422")
WRITES = ("409", "413")
RULE_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _error_response(code):
    schema = ERROR_422 if code == "422" else ERROR
    return {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": schema}}}


def _rules(app):
    """Spec path → {parameter name: schema} from the app's URL rules."""
    from .files import owners  # noqa: F401  (the built-in owner kinds register on import)
    from .files.rules import OWNERS

    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        params = {}
        for converter, name in RULE_PARAM.findall(rule.rule):
            if converter == "int":
                params[name] = {"type": "integer", "minimum": 0}
            elif name == "kind" and OWNERS:
                params[name] = {"type": "string", "enum": sorted(OWNERS)}
            else:
                params[name] = {"type": "string"}
        found[RULE_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)] = params
    return found


def _complete_operation(method, operation, params, path):
    declared = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "path"}
    declared |= {p["$ref"].rsplit("/", 1)[-1] for p in operation.get("parameters", []) if "$ref" in p}
    for name in re.findall(r"\{(\w+)\}", path):
        if name not in declared:
            operation.setdefault("parameters", []).append(
                {"in": "path", "name": name, "required": True, "schema": params.get(name, {"type": "string"})})
    responses = operation.setdefault("responses", {})
    codes = COMMON + (WRITES if method in ("post", "put", "delete", "patch") else ())
    if path.endswith("/security/login"):
        codes += ("429",)
    for code in codes + ("500",):
        entry = responses.get(code)
        if entry is None or "$ref" in entry:
            responses[code] = _error_response(code)
        elif "content" not in entry:
            entry["content"] = _error_response(code)["content"]


def _result_schema(schemas, ref):
    """A response copy of a POST/PUT request schema: extra keys allowed, the id an integer."""
    name = ref.rsplit("/", 1)[-1]
    target = name + ".result"
    if target not in schemas and name in schemas:
        copy = json.loads(json.dumps(schemas[name]))
        copy.pop("additionalProperties", None)
        copy.pop("required", None)
        copy.setdefault("properties", {})["id"] = {"type": "integer"}
        schemas[target] = copy
    return "#/components/schemas/" + target


def _repair_fab(spec):
    schemas = spec.get("components", {}).get("schemas", {})
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            for variant in [prop] + prop.get("anyOf", []):
                if variant.get("format") == "date-time":
                    del variant["format"]
                    variant["description"] = "ISO 8601, UTC, without offset"
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                props = schema.get("properties", {})
                if props.get("id", {}).get("type") == "string":
                    props["id"] = {"type": "integer", "description": "the item id"}
                if props.get("ids", {}).get("items", {}).get("type") == "string":
                    props["ids"]["items"] = {"type": "integer"}
                for key in ("add_columns", "edit_columns"):
                    if props.get(key, {}).get("type") == "object":
                        props[key] = {"type": "array", "items": {"type": "object"}}
                ref = props.get("result", {}).get("$ref", "")
                if method in ("post", "put") and code.startswith("2") and ref.endswith((".post", ".put")):
                    props["result"] = {"$ref": _result_schema(schemas, ref)}


def complete(spec, app=None):
    """Fill in path parameters and error answers (in place); returns the spec."""
    _repair_fab(spec)
    rules = _rules(app or current_app)
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch") and isinstance(operation, dict):
                _complete_operation(method, operation, rules.get(path, {}), path)
    for code, response in spec.get("components", {}).get("responses", {}).items():
        if code in DESCRIPTIONS:
            response["content"] = _error_response(code)["content"]
    return spec


def install(app):
    endpoint = "OpenApi.get"
    view = app.view_functions.get(endpoint)
    if view is None or getattr(view, "_cso_completed", False):
        return

    def spec_view(*args, **kwargs):
        resp = view(*args, **kwargs)
        if getattr(resp, "status_code", None) == 200 and resp.is_json:
            return jsonify(complete(resp.get_json(), app))
        return resp

    spec_view._cso_completed = True
    app.view_functions[endpoint] = spec_view
