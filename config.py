"""Settings. Every deployment value can be overridden from the environment.

Embedded defaults (no environment at all): SQLite under ``instance/``, Celery on a SQLite
broker (kombu's SQLAlchemy transport), mail written to ``instance/outbox/``.
"""
import os
import secrets
from datetime import timedelta

from celery.schedules import crontab
from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.environ.get("CSO_INSTANCE_DIR", os.path.join(BASE_DIR, "instance"))
os.makedirs(INSTANCE_DIR, exist_ok=True)


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _secret_key():
    """SECRET_KEY from the environment, else generated once into instance/secret_key."""
    key = env("SECRET_KEY")
    if key:
        return key
    path = os.path.join(INSTANCE_DIR, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


def _sqlite(name):
    return "sqlite:///" + os.path.join(INSTANCE_DIR, name)


APP_NAME = env("APP_NAME", "首席服务官工作平台")
SECRET_KEY = _secret_key()

# --- database -------------------------------------------------------------------------
SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", _sqlite("cso.db"))
if SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
    SQLALCHEMY_DATABASE_URI = "postgresql://" + SQLALCHEMY_DATABASE_URI[len("postgres://"):]
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
# PostgreSQL session options of the app's connections (create_app adds them to the engine when the URL is
# PostgreSQL): no JIT — the portal runs short statements, and a JIT compile (~260 ms) costs more than it
# saves (docs/architecture.md#settings)
DATABASE_PG_OPTIONS = env("DATABASE_PG_OPTIONS", "-c jit=off")

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "sqla+" + _sqlite("celery-broker.db"))
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "db+" + _sqlite("celery-results.db"))
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# the broker queue this portal's tasks go to: several portals (or test runs) can share one Redis
CELERY_QUEUE = env("CELERY_QUEUE", "celery")
# Redis: an unacknowledged task of a worker that died is redelivered after this many seconds
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
JOB_KEEP_DAYS = env_int("JOB_KEEP_DAYS", 7)  # background jobs' result files are kept this many days (app/jobs)
# beat's schedule, in CSO_TIMEZONE; the office sees it on 系统设置 → 定时任务
BEAT_SCHEDULE = {  # description: what it does, in Chinese; 定时任务 derives 周期 from the crontab (app/settings.schedule_text)
    "sweep": {"task": "cso.sweep", "schedule": crontab(minute="*/15"),
              "description": "生成报告草稿、记录迟报漏报、发送到期和超期提醒"},
    "bulletin-weekly": {"task": "cso.bulletin", "schedule": crontab(minute=0, hour=17, day_of_week="fri"),
                        "args": ("weekly",), "description": "生成本周通报草稿"},
    "bulletin-monthly": {"task": "cso.bulletin", "schedule": crontab(minute=0, hour=8, day_of_month="1"),
                         "args": ("monthly",), "description": "生成上月问题办理情况通报草稿"},
    "bulletin-quarterly": {"task": "cso.bulletin",
                           "schedule": crontab(minute=30, hour=8, day_of_month="1", month_of_year="1,4,7,10"),
                           "args": ("quarterly",), "description": "生成上季度工作通报草稿（含满意度）"},
    "heartbeat": {"task": "cso.heartbeat", "schedule": crontab(minute="*/5"),
                  "description": "检查任务队列和数据库是否正常"},
    "jobs-cleanup": {"task": "cso.jobs_cleanup", "schedule": crontab(minute=30, hour=3),
                     "description": "删除已过期的后台任务结果文件（导出等，默认保留7天）"},
    "proxy-sweep": {"task": "cso.proxy_sweep", "schedule": crontab(minute=30, hour=8),
                    "description": "提醒责任单位办理超过法定时限的代办环节（仅在工作日）"},
}

# --- mail -----------------------------------------------------------------------------
MAIL_SERVER = env("MAIL_SERVER")  # empty: messages go to MAIL_OUTBOX as .eml files
MAIL_PORT = env_int("MAIL_PORT", 25)
MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
MAIL_USERNAME = env("MAIL_USERNAME")
MAIL_PASSWORD = env("MAIL_PASSWORD")
MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "cso-noreply@localhost")
MAIL_OUTBOX = env("MAIL_OUTBOX", os.path.join(INSTANCE_DIR, "outbox"))
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://127.0.0.1:5000")

# --- locale and time --------------------------------------------------------------------
CSO_TIMEZONE = env("CSO_TIMEZONE", "Asia/Shanghai")
CSO_AREA_CODE = env("AREA_CODE", "0391")  # the district's telephone area code: a 7-8 digit local number gets it
BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = CSO_TIMEZONE
BABEL_DEFAULT_FOLDER = "translations"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}}
FAB_DATE_FORMAT = "%Y-%m-%d"

# --- authentication and security ----------------------------------------------------------
AUTH_TYPE = AUTH_DB
AUTH_USER_REGISTRATION = False
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_ROLES_SYNC_AT_LOGIN = False
FAB_ADD_SECURITY_API = False  # user/role CRUD over REST not offered; the JWT login is always on
FAB_API_SWAGGER_UI = False  # the Swagger UI loads from a CDN; the JSON spec is served at /api/v1/_openapi
FAB_UPDATE_PERMS = False  # permissions are written by `flask cso sync-roles`
FAB_PASSWORD_COMPLEXITY_ENABLED = True
FAB_PASSWORD_COMPLEXITY_VALIDATOR = None  # set in create_app: app.security.password_complexity
FAB_SECURITY_MANAGER_CLASS = "app.security.CSOSecurityManager"
FAB_CREATE_DB = False  # the schema comes from Alembic migrations only
FAB_BASE_TEMPLATE = "cso/base.html"
FAB_INDEX_VIEW = "app.home.HomeView"

WTF_CSRF_ENABLED = env_bool("WTF_CSRF_ENABLED", True)
WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session

RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")  # redis://… with several workers
RATELIMIT_HEADERS_ENABLED = True
AUTH_RATE_LIMITED = False  # FAB's own limit covers the HTML form only; ours covers both logins
LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "20 per minute")  # per client address, HTML and API login

LOGIN_LOCKOUT_ATTEMPTS = env_int("LOGIN_LOCKOUT_ATTEMPTS", 5)  # failures of one account from one address before that address is refused
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)  # cool-down; an admin can unlock sooner

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)  # set true behind HTTPS
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
PERMANENT_SESSION_LIFETIME = timedelta(minutes=SESSION_IDLE_MINUTES)
SESSION_REFRESH_EACH_REQUEST = True
JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 60))

# list pages: default and largest page size a URL may ask for
FAB_API_MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", 100)
CSO_PAGE_SIZE = env_int("PAGE_SIZE", 25)
CSO_MAX_PAGE_SIZE = FAB_API_MAX_PAGE_SIZE

# --- roster import --------------------------------------------------------------------------
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)  # larger uploads are refused
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5000)
MAX_CONTENT_LENGTH = IMPORT_MAX_BYTES + 1024 * 1024  # the web server refuses bigger requests outright

# --- file store (attachments; app/files) ----------------------------------------------------
# content kept once by SHA-256 under FILE_STORE_DIR/ab/cd/<sha256>; a shared volume in production
FILE_STORE_DIR = env("FILE_STORE_DIR", os.path.join(INSTANCE_DIR, "files"))
FILE_MAX_BYTES = env_int("FILE_MAX_BYTES", 20 * 1024 * 1024)  # per file; larger uploads answer 413
# extensions accepted; the content must match (magic bytes), whatever the name or browser says
FILE_ALLOWED_TYPES = tuple(t.strip().lower().lstrip(".") for t in env(
    "FILE_ALLOWED_TYPES", "pdf,jpg,jpeg,png,doc,docx,xls,xlsx,ofd,zip").split(",") if t.strip())
MAX_CONTENT_LENGTH = max(MAX_CONTENT_LENGTH, FILE_MAX_BYTES + 1024 * 1024)

# --- official documents (GB/T 9704 .docx; app/gongwen) --------------------------------------
# font names as installed on the office's Windows/WPS machines (仿宋_GB2312 vs 仿宋 differs by
# version; 方正小标宋简体 is a commercial font): Word substitutes a missing one
GONGWEN_FONT_TITLE = env("GONGWEN_FONT_TITLE", "方正小标宋简体")
GONGWEN_FONT_BODY = env("GONGWEN_FONT_BODY", "仿宋_GB2312")
GONGWEN_FONT_HEITI = env("GONGWEN_FONT_HEITI", "黑体")
GONGWEN_FONT_KAITI = env("GONGWEN_FONT_KAITI", "楷体_GB2312")
GONGWEN_FONT_SONG = env("GONGWEN_FONT_SONG", "宋体")  # page numbers
CSO_ISSUER_NAME = env("CSO_ISSUER_NAME", "焦作市城乡一体化示范区企业首席服务官办公室")  # 发文机关标志

# --- sessions, proxy, headers (app/security.py; docs/architecture.md#security) ------------------
# trusted reverse-proxy hops in front of the portal (nginx alone: 1). 0 = off: X-Forwarded-For is
# ignored and the peer address counts; set it only when every request passes that many proxies,
# else anyone could choose the address the login limits see.
PROXY_FIX = env_int("PROXY_FIX", 0)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)  # a web login ends after this, active or not
# failed logins of one account from one address within LOGIN_LOCKOUT_MINUTES before that address
# is refused for that account (LOGIN_LOCKOUT_ATTEMPTS, above); failed logins of one account from
# all addresses within the same window before the account itself is locked (0: never). The first
# is below the second, so one address alone can never lock an account (the administrator's) out.
LOGIN_ACCOUNT_LOCKOUT_ATTEMPTS = env_int("LOGIN_ACCOUNT_LOCKOUT_ATTEMPTS", 20)
