"""Application factory for 首席服务官工作平台."""
import logging
import os

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event

from .extensions import csrf, db, migrate  # noqa: F401  (``from app import db`` keeps working)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(overrides=None):
    """Build one app. Each call builds a fresh AppBuilder, so tests may build several."""
    import config

    from . import (
        api, calendar_views, cli, clock, duty_views, errors, files, guards,
        menu_cache, messages, security, views,
    )
    from .exports import views as export_views
    from .ledger import views as ledger_views
    from . import meetings
    from . import dashboard
    from .notices import views as notice_views
    from .accountability import views as accountability_views
    from .roster import views as import_views
    from . import assessments, jobs, notifications, policies, proxy, recall, surveys

    app = Flask(__name__, instance_path=config.INSTANCE_DIR)
    app.config.from_object(config)
    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = security.password_complexity
    app.config.update(overrides or {})
    if app.config.get("DATABASE_PG_OPTIONS") and str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})  # e.g. jit=off (config.py)
        options["connect_args"] = {**options.get("connect_args", {}), "options": app.config["DATABASE_PG_OPTIONS"]}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)  # 1. database
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # enforce foreign keys on SQLite as PostgreSQL does
            event.listen(db.engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)  # 2. Alembic migrations
    csrf.init_app(app)  # 3. CSRF on every form post
    messages.install()  # 4. Chinese validation messages for the API
    with app.app_context():
        appbuilder = AppBuilder(app, db.session)  # 5. FAB: security, menus, i18n
        views.register(appbuilder)  # 6. screens
        ledger_views.register(appbuilder)  # 6b. the problem ledger
        notice_views.register_views(appbuilder)  # 6b'. assignment notices (交办通知单: screens and REST)
        meetings.register(appbuilder)  # 6b''. consultation meetings (会商: screens and REST)
        accountability_views.register(appbuilder)  # 6b'''. 督办单 and 通报批评 (screens and REST)
        calendar_views.register(appbuilder)  # 6c. holidays and deadline settings
        duty_views.register(appbuilder)  # 6d. reports, duty records, bulletins, outbox, schedule
        api.register(appbuilder)  # 7. REST API
        export_views.register(appbuilder)  # 7b. Excel exports (screens and API)
        import_views.register(appbuilder)  # 7c. roster import (page, API, log)
        files.register(appbuilder)  # 7d. file store: attachments (screens, API)
        dashboard.register(appbuilder)  # 7e. the leaders' dashboard (page, chart API, workbooks)
        surveys.register(appbuilder)  # 7f. satisfaction surveys, bad reviews, inspections
        assessments.register(appbuilder)  # 7g. assessment schemes, cycles, appeals
        policies.register(appbuilder)  # 7h. policy library and deliveries
        proxy.register(appbuilder)  # 7i. 代办 cases
        recall.register(appbuilder)  # 7j. recall and handover
        notifications.register(appbuilder)  # 7k. the bell
        jobs.register(appbuilder)  # 7l. background jobs with progress
        security.install(app, appbuilder)  # 8. login limits, idle expiry
    guards.install(app)  # 9. the input layer: sizes, JSON, Rison q, page-size caps
    errors.install(app)  # 10. Chinese error pages and API errors
    app.add_template_filter(clock.local_text, "local")  # stored UTC → YYYY-MM-DD HH:MM local
    cli.register(app)  # 11. `flask cso …`
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))  # 12. the tab's icon (local)
    menu_cache.install(app)  # 13. the navbar's menu rendered once per role set
    return app
