"""Error pages in Chinese: HTML for the screens, JSON for the REST API."""
from flask import current_app, g, render_template, request
from flask_login import current_user

ERRORS = {
    400: ("请求有误", "提交的内容格式不正确，请检查后重试。"),
    403: ("没有权限", "您的账号没有执行此操作的权限。如需开通，请联系首席服务官办公室。"),
    404: ("找不到该页面或记录", "该记录不存在，或不在您的查看范围内。"),
    405: ("操作方式不被允许", "请通过页面上的按钮执行该操作。"),
    413: ("文件过大", "上传的文件超过了允许的大小。"),
    500: ("系统内部错误", "系统处理时出错，已记录日志。您已保存的数据不会丢失，请稍后重试或联系管理员。"),
}


def install(app):
    # FAB 5.3: reads FAB's ``g.user`` (set in FAB's before_request) and ``appbuilder.base_template``;
    # on upgrade re-check where FAB sets ``g.user`` (errors raised before it, e.g. CSRF, must still render).
    def handler(exc):
        code = getattr(exc, "code", 500) or 500
        from . import db

        db.session.rollback()  # an aborted transaction must not break the error page itself
        title, message = ERRORS.get(code, ERRORS[500])
        if request.path.startswith("/api/"):
            return {"message": message}, code
        appbuilder = current_app.appbuilder
        if not hasattr(g, "user"):  # e.g. a CSRF failure, raised before FAB's own before_request
            g.user = current_user
        return render_template("cso/error.html", title=title, message=message, appbuilder=appbuilder,
                               base_template=appbuilder.base_template), code

    for code in ERRORS:
        app.register_error_handler(code, handler)
    from . import openapi

    openapi.install(app)  # the spec describes every route's path parameters and error answers
