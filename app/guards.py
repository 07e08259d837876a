"""The input layer in front of every screen and REST route (before_request hooks): request and
argument sizes, JSON shape, idempotency-key format, FAB's Rison ``q``, page sizes. Each answers a
4xx in Chinese before any view runs (docs/architecture.md#security); the bounds live in
app/querystring.py."""
import re
from urllib.parse import urlencode

from flask import abort, current_app, flash, jsonify, redirect, request
from flask_appbuilder.api import ModelRestApi

from . import idempotency, querystring

PAGE_ARG = re.compile(r"^(psize|page)_")


RISON_VIEWS = set()  # endpoint prefixes of FAB's ModelRestApi resources: their q is Rison


def check_rison():
    if not request.path.startswith("/api/") or not request.args.get("q"):  # FAB ignores an empty q
        return None
    if not RISON_VIEWS:
        RISON_VIEWS.update(type(v).__name__ for v in current_app.appbuilder.baseviews
                           if isinstance(v, ModelRestApi))
    if (request.endpoint or "").split(".")[0] not in RISON_VIEWS:
        return None  # our own resources (the ledger, exports) read q as a keyword
    problem = querystring.rison_problem(request.args["q"])
    return (jsonify(message={"q": [problem]}), 400) if problem else None


def bound_input():
    """One input layer for screens and API (app.querystring): request size, argument length,
    JSON size, depth, numbers and characters — a 4xx in Chinese before any view runs."""
    api = request.path.startswith("/api/")
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:  # FAB's @safe would make the 413 a 500
        if api:  # an upload's answer names its field, as the file store's own refusal does
            text = f"文件过大：请求不能超过{max(limit // (1024 * 1024), 1)}MB。"
            return jsonify(message={"file": [text]} if request.mimetype == "multipart/form-data" else text), 413
        abort(413)
    problem = querystring.args_problem(request.args)
    if problem:
        if api:
            return jsonify(message={problem[0]: [problem[1]]}), 400
        flash(problem[1], "danger")
        abort(400)
    key = request.headers.get(idempotency.HEADER)
    if key is not None and not idempotency.KEY_FORMAT.fullmatch(key):
        return (jsonify(message={idempotency.HEADER: [idempotency.BAD_KEY]}), 400) if api else abort(400)
    if request.is_json and request.method in ("POST", "PUT", "PATCH"):
        problem = querystring.json_problem(request.get_data(cache=True))
        if problem:
            return jsonify(message=problem), 413 if "过大" in problem else 400
    return None


def cap_page_args():
    if request.method != "GET" or request.path.startswith("/api/"):
        return None
    limit = current_app.config["CSO_MAX_PAGE_SIZE"]
    args = request.args.to_dict(flat=False)
    changed = False
    for key, values in args.items():
        if not PAGE_ARG.match(key):
            continue
        fixed = []
        for value in values:
            good = value.isdigit() and (key.startswith("page_") or 0 < int(value) <= limit)
            if good:
                fixed.append(value)
            elif key.startswith("psize_") and value.isdigit() and int(value) > limit:
                fixed.append(str(limit))
            changed = changed or not good
        args[key] = fixed
    if changed:
        flash(f"每页条数应为1到{limit}之间的数字，已自动调整。", "warning")
        return redirect(request.path + ("?" + urlencode(args, doseq=True) if args else ""))
    return None


def install(app):
    """FAB's Rison ``q`` (FAB's REST resources only), the bounds of every request, then page sizes and
    page numbers in screen URLs (digits only, capped; otherwise corrected)."""
    app.before_request(check_rison)
    app.before_request(bound_input)
    app.before_request(cap_page_args)
