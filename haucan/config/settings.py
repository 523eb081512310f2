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
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "haucan.web.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "haucan.accounts.middleware.ScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("HAUCAN_SESSION_SECONDS", 8 * 3600, minimum=300)
SESSION_COOKIE_SECURE = env_bool("HAUCAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

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
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
