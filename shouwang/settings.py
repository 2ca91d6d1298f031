"""Shouwang settings: every value comes from the environment or a `.env` file.

See the table in README.md. Helpers in shouwang.conf stop start-up with a message
naming the variable when a value is missing or malformed.
"""

from pathlib import Path

from csp import constants as csp

from shouwang.conf import (
    env_bool,
    env_choice,
    env_db,
    env_int,
    env_list,
    env_str,
    read_env_file,
)

BASE_DIR = Path(__file__).resolve().parent
read_env_file(Path.cwd() / ".env")

VAR_DIR = Path(env_str("SHOUWANG_VAR_DIR", str(Path.cwd() / "var"))).resolve()

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost") + ["testserver"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "shouwang.core",
    "shouwang.regions",
    "shouwang.accounts",
    "shouwang.audit",
    "shouwang.people",
    "shouwang.care",
    "shouwang.protection",
    "shouwang.ledgers",
    "shouwang.dashboard",
    "shouwang.reports",
    "shouwang.api",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rules.apps.AutodiscoverRulesConfig",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "huey.contrib.djhuey",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shouwang.accounts.middleware.LoginStepsMiddleware",
    "shouwang.accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shouwang.audit.middleware.AuditMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shouwang.urls"
WSGI_APPLICATION = "shouwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shouwang.core.context_processors.navigation",
                "shouwang.core.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'shouwang.sqlite3'}"
DATABASES = {"default": env_db("DATABASE_URL", _default_sqlite)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
        # busy timeout instead of failing with "database is locked" mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Page queries are short: PostgreSQL's JIT cost 20-40 ms on counts that run in
    # 50-100 ms, and parallel workers made the county rates slower on two cores
    # while taking cores from other requests (docs/performance.md, care network).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c jit=off -c max_parallel_workers_per_gather=0"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, sessions, login throttling -------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, as django-axes requires
    "rules.permissions.ObjectPermissionBackend",
    "shouwang.accounts.backends.ScopedModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password policy: length, character classes (lower, upper, digit, symbol) and age.
# An expired password must be changed at the next login before anything else.
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12, minimum=8)
PASSWORD_MIN_CLASSES = env_int("PASSWORD_MIN_CLASSES", 3, minimum=1)
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90, minimum=0)  # 0: never
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "shouwang.accounts.validators.CharacterClassesValidator",
        "OPTIONS": {"min_classes": PASSWORD_MIN_CLASSES},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Two-factor login (django-otp: TOTP app plus ten backup codes). The roles in
# TWO_FACTOR_ROLES must enrol and verify a code at every login; anyone else may
# enrol, and then verifies too. Leaders see aggregates only, so they are not on the
# default list. TWO_FACTOR_REQUIRED=false lifts the obligation (tests, a demo).
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", True)
TWO_FACTOR_ROLES = env_list(
    "TWO_FACTOR_ROLES", "system_admin,security_admin,audit_admin,county_admin"
)
OTP_TOTP_ISSUER = "守望"
# Wrong codes wait 1, 2, 4, 8 … seconds per device, kept across logins.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after this much inactivity; accounts.middleware.IdleTimeoutMiddleware
# renews the session at most every SESSION_TOUCH_SECONDS (not on every request).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_TOUCH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (django-csp): scripts, styles, fonts and images from our
# own static files only — no inline script, no eval, no other origin. Style
# *attributes* are allowed (progress bars' widths, a grade's colour, and the styles
# ECharts sets on its tooltips); <style> elements are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "style-src-attr": [csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "font-src": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "base-uri": [csp.NONE],
        "object-src": [csp.NONE],
    },
}

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1) / 60  # hours
# Lock the username, not the address: a township office shares one NAT address,
# and locking it would lock out every colleague (hence axes.W006 is silenced).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_CALLABLE = "shouwang.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Wrong second-factor codes count as failures too (accounts.views.otp_verify);
# the code is not kept in the attempt record.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# accounts.LoginEvent is the login history (with the second step); axes' own log
# of successful logins would only repeat it.
AXES_DISABLE_ACCESS_LOG = True

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Sensitive fields --------------------------------------------------------------
# ID and phone numbers are encrypted with Fernet. The first key encrypts; every key
# decrypts, so a new key goes first and the old ones stay until rotated out.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
# Keyed HMAC over normalised values: exact lookup and uniqueness without decrypting.
BLIND_INDEX_KEY = env_str("BLIND_INDEX_KEY")

# --- Audit (django-auditlog) --------------------------------------------------
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
# auditlog's migrations would still create its own (swapped-out) auditlog_logentry
# table, whose foreign keys then block PostgreSQL from truncating users and
# content types. Our audit app owns the only audit table.
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_MASK_CALLABLE = "shouwang.audit.services.mask_secret"
# The key of the audit log's seals (HMAC-SHA256, shouwang.audit.chain): without it
# nobody can forge an entry or a link of the chain. Default: derived from
# SECRET_KEY — set it on its own so that rotating SECRET_KEY keeps old seals valid.
AUDIT_KEY = env_str("AUDIT_KEY", "")
# Behind a reverse proxy that sets X-Forwarded-For, record the client's address.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

# --- Ledger import (台账导入): what an upload may be -------------------------------
_MB = 1024 * 1024
LEDGER_IMPORT_MAX_BYTES = env_int("LEDGER_IMPORT_MAX_MB", 20, minimum=1) * _MB
LEDGER_IMPORT_MAX_ROWS = env_int("LEDGER_IMPORT_MAX_ROWS", 200_000, minimum=1)
# An .xlsx is a zip: refuse one that unpacks to more than this, or packs tighter than
# this ratio (a zip bomb), before reading it.
LEDGER_IMPORT_MAX_UNCOMPRESSED = env_int("LEDGER_IMPORT_MAX_UNPACKED_MB", 500, minimum=1) * _MB
LEDGER_IMPORT_MAX_RATIO = env_int("LEDGER_IMPORT_MAX_RATIO", 100, minimum=2)
# Rows checked and written together: a fixed number of queries per chunk, and the
# step of the progress bar and of a cancel.
LEDGER_IMPORT_CHUNK_ROWS = env_int("LEDGER_IMPORT_CHUNK_ROWS", 2000, minimum=1)

# --- Background jobs (django-tasks API, run by huey) ----------------------------
TASK_QUEUE_URL = env_str("TASK_QUEUE_URL", f"sqlite:///{VAR_DIR / 'tasks.sqlite3'}")
TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}
if TASK_QUEUE_URL.startswith("sqlite:///"):
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "shouwang",
        "filename": TASK_QUEUE_URL.removeprefix("sqlite:///"),
        "immediate": False,
    }
elif TASK_QUEUE_URL.startswith(("redis://", "rediss://")):
    HUEY = {"huey_class": "huey.RedisHuey", "name": "shouwang", "url": TASK_QUEUE_URL}
elif TASK_QUEUE_URL == "immediate":
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "shouwang", "immediate": True}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"Setting TASK_QUEUE_URL={TASK_QUEUE_URL!r}: use sqlite:///path, redis://host:port/db "
        "or immediate."
    )

# --- Reminders (care.services.reminders, daily at 07:00 Beijing time) -------------
# A due-soon reminder goes out this many days before the end of the period.
REMINDER_DAYS_AHEAD = env_int("REMINDER_DAYS_AHEAD", 2, minimum=0)
# Where reminders go besides the in-app list: "log" (the server log) or "wecom"
# (a 企业微信 group robot, whose webhook URL carries its key: keep it secret).
NOTIFY_CHANNEL = env_choice("NOTIFY_CHANNEL", "log", ("log", "wecom"))
WECOM_WEBHOOK_URL = env_str("WECOM_WEBHOOK_URL", "")
WECOM_TIMEOUT_SECONDS = env_int("WECOM_TIMEOUT_SECONDS", 10, minimum=1)
if NOTIFY_CHANNEL == "wecom" and not WECOM_WEBHOOK_URL.startswith(("https://", "http://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Setting WECOM_WEBHOOK_URL must be the robot's http(s) webhook URL when "
        "NOTIFY_CHANNEL=wecom."
    )

# --- Stored summaries (shouwang.dashboard.summaries) -------------------------------
# The dashboard, the evaluation and the report read the counts of each area from
# summaries kept until the area's records change; false counts every figure with
# the plain queries on every read (the same figures, slower).
DASHBOARD_SUMMARIES = env_bool("DASHBOARD_SUMMARIES", True)

# --- Township evaluation (绩效考核, shouwang.dashboard.evaluation) -----------------
# The weight of each indicator in an area's score. EVALUATION_WEIGHTS=
# "complete=15,verified=10,…" replaces the whole set (an indicator left out is not
# scored). Checked when a ranking is made: an indicator that cannot be weighted, a
# weight that is not a number or is negative stops it with a message.
EVALUATION_WEIGHTS = {
    "complete": 15,
    "verified": 10,
    "pairing_coverage": 20,
    "monthly_visit": 20,
    "six_ones": 15,
    "family_call": 10,
    "overdue": 10,
}
if _weights := env_list("EVALUATION_WEIGHTS", ""):
    EVALUATION_WEIGHTS = {k.strip(): v.strip() for k, _, v in (i.partition("=") for i in _weights)}

# --- `shouwang serve` ------------------------------------------------------------
SERVE_HOST = env_str("SHOUWANG_HOST", "127.0.0.1")
SERVE_PORT = env_int("SHOUWANG_PORT", 8000, minimum=1)
SERVE_WORKERS = env_int("SHOUWANG_WORKERS", 2, minimum=1)
# Python threads per worker answering requests; each may hold a database connection.
SERVE_THREADS = env_int("SHOUWANG_THREADS", 8, minimum=1)

# --- API ----------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

# --- Logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
}
