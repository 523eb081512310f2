"""Django settings for Hậu Cần Số, read from the environment (README.md lists every variable)."""

from __future__ import annotations

import secrets
from pathlib import Path

from haucan.config.env import (
    ConfigError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_secret,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("HAUCAN_DATA_DIR", "./var")


def _secret_key() -> str:
    """Use HAUCAN_SECRET_KEY, or keep a generated key in the data directory for embedded use."""
    configured = env_secret("HAUCAN_SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ConfigError("HAUCAN_SECRET_KEY must be at least 32 characters long")
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("HAUCAN_DEBUG", False)
ALLOWED_HOSTS = env_list("HAUCAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("HAUCAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "bootstrap",
    "axes",  # failed-login lockout per account and per address
    "django_otp",
    "django_otp.plugins.otp_totp",  # authenticator apps (TOTP)
    "django_otp.plugins.otp_static",  # one-time recovery codes
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the Swagger UI assets locally (no CDN on an air-gapped network)
    "haucan.core",
    "haucan.audit",
    "haucan.org",
    "haucan.accounts",
    "haucan.catalog",
    "haucan.reporting",
    "haucan.analytics",
    "haucan.alerts",
    "haucan.dashboards",
    "haucan.exchange",
    # Domain modules: they use the core apps above; no core app imports them.
    "haucan.inventory",
    "haucan.petroleum",
    "haucan.barracks",
    "haucan.medical",
    "haucan.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "haucan.accounts.middleware.PermissionsPolicyMiddleware",
    "haucan.accounts.middleware.RequestSizeMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "haucan.web.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After authentication: end idle sessions, then hold a half-signed-in session at the
    # second-factor step until it is verified.
    "haucan.accounts.middleware.IdleSessionMiddleware",
    "haucan.accounts.middleware.SecondFactorMiddleware",
    "haucan.accounts.middleware.ScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the lockout flag the authentication backend left on the request.
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception sees a view's lost database connection first.
    "haucan.web.unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "haucan.config.urls"
WSGI_APPLICATION = "haucan.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "haucan.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    # WAL lets readers work while a clerk saves; IMMEDIATE transactions take the write lock at
    # BEGIN, so two writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "haucan.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-64000;"
                ),
            },
            # Tests use a real file (not shared-cache memory) so WAL and writer locking behave
            # exactly as in production, and concurrency tests can run threads against it.
            "TEST": {"NAME": env_str("HAUCAN_TEST_SQLITE", "") or str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out account or address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {
            "user_attributes": ("username", "full_name", "first_name", "last_name", "email")
        },
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("HAUCAN_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "haucan.accounts.passwords.NotUsernameValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout (django-axes): N failures for one user name, or from one address, lock further attempts
# for the cool-off time; an administrator can unlock earlier (accounts admin, audited).
AXES_FAILURE_LIMIT = env_int("HAUCAN_LOCKOUT_FAILURES", 5, minimum=2)
AXES_COOLOFF_TIME = env_int("HAUCAN_LOCKOUT_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "haucan.accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "haucan.accounts.views_auth.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # our read-only admin with an audited unlock (accounts.admin)

# Two-factor: mandatory for administrators, specialists and approvers. HAUCAN_MFA_ENFORCED=false
# turns the obligation off (for a classroom demo or the test suite only; never in production).
HAUCAN_MFA_ENFORCED = env_bool("HAUCAN_MFA_ENFORCED", True)
OTP_TOTP_ISSUER = "Hậu Cần Số"

# Sessions end after HAUCAN_SESSION_IDLE_SECONDS without a request, and at the latest after
# HAUCAN_SESSION_SECONDS; an administrator can end all sessions of one user (accounts admin).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("HAUCAN_SESSION_SECONDS", 8 * 3600, minimum=300)
HAUCAN_SESSION_IDLE_SECONDS = env_int("HAUCAN_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_COOKIE_SECURE = env_bool("HAUCAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HAUCAN_TLS=true: the site is served over HTTPS (by a reverse proxy that sets
# X-Forwarded-Proto): browsers are told to keep to HTTPS (HSTS) and plain HTTP is redirected.
HAUCAN_TLS = env_bool("HAUCAN_TLS", False)
if HAUCAN_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("HAUCAN_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HAUCAN_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = False
    # The preload list is for public domains; an internal army host name can never be on it.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_SSL_REDIRECT = env_bool("HAUCAN_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # the load balancer's probe speaks plain HTTP
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# The browser may run only our own scripts (no inline script, no eval); styles allow inline
# attributes because Plotly and Bootstrap set element styles (ADR 0061).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Uploads are read in memory or a temporary file outside any served folder, parsed as data
# (never executed) and not kept; bodies over this size are refused before parsing.
HAUCAN_MAX_REQUEST_BYTES = env_int("HAUCAN_MAX_REQUEST_MB", 64, minimum=1) * 1024 * 1024
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static files: every asset ships inside an installed package (air-gapped network) ---------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it even when serving finders
STATICFILES_DIRS: list[Path] = []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the packages' static folders so `haucan serve` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Background work ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- E-mail of alerts (SMTP; off unless HAUCAN_EMAIL_HOST is set) ------------------------------
EMAIL_HOST = env_str("HAUCAN_EMAIL_HOST", "")
EMAIL_PORT = env_int("HAUCAN_EMAIL_PORT", 587, minimum=1)
EMAIL_USE_SSL = env_bool("HAUCAN_EMAIL_USE_SSL", False)  # implicit TLS (port 465)
EMAIL_USE_TLS = env_bool("HAUCAN_EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS
EMAIL_HOST_USER = env_str("HAUCAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("HAUCAN_EMAIL_PASSWORD") or ""
EMAIL_TIMEOUT = env_int("HAUCAN_EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("HAUCAN_EMAIL_FROM", "Hau Can So <haucan@localhost>")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
HAUCAN_EMAIL_ENABLED = bool(EMAIL_HOST)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ConfigError("HAUCAN_EMAIL_USE_TLS and HAUCAN_EMAIL_USE_SSL exclude each other")
# The address people open links in e-mails at, e.g. https://haucan.example.vn (no trailing /).
HAUCAN_SITE_URL = env_str("HAUCAN_SITE_URL", "")
# Arrivals of at most this many cells are evaluated in-process right after the commit (so no
# worker is needed for a form); larger ones go to `haucan worker`. 0 sends all to the worker.
HAUCAN_ALERTS_INLINE_CELLS = env_int("HAUCAN_ALERTS_INLINE_CELLS", 500, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HAUCAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
