"""Settings for development and tests; production overrides live in settings_production.

Everything that differs between installations comes from the environment:
LIFELONG_SECRET_KEY, LIFELONG_DEBUG, DATABASE_URL, LIFELONG_ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("LIFELONG_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


DEBUG = env_bool("LIFELONG_DEBUG", True)
# A development key only; settings_production refuses to start without a real one.
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("LIFELONG_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = os.environ.get("LIFELONG_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    # Before django.contrib.auth, so that its createsuperuser (which checks every
    # password) is the one that runs.
    "lifelong.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves its bundled Swagger UI for /api/v1/docs (no CDN)
    "lifelong",
    "lifelong.customers",
    "lifelong.touches",
    "lifelong.commerce",
    "lifelong.value",
    "lifelong.occasions",
    "lifelong.segments",
    "lifelong.imports",
    "lifelong.outreach",
    "lifelong.promises",
    "lifelong.surveys",
    "lifelong.referrals",
    "lifelong.extras",
    "lifelong.events",
    "lifelong.agenda",
    "lifelong.audit",
    "lifelong.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lifelong.nul.NulMiddleware",  # a NUL in a path, query or API body: 4xx, not a 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lifelong.accounts.middleware.SessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lifelong.accounts.middleware.BusinessTimezoneMiddleware",
]

ROOT_URLCONF = "lifelong.urls"
WSGI_APPLICATION = "lifelong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lifelong.accounts.context_processors.business",
            ],
        },
    },
]


def database_from_env() -> dict:
    """SQLite in var/ unless DATABASE_URL says otherwise (sqlite:///path or postgres://…)."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        db = dj_database_url.parse(url, conn_max_age=60)
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "lifelong.sqlite3")}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {
            # WAL lets readers run beside the one writer; FULL survives power loss.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;"
            ),
            # Take the write lock at BEGIN, so two writers queue instead of deadlocking.
            "transaction_mode": "IMMEDIATE",
        }
        db["TEST"] = {"NAME": os.environ.get("LIFELONG_TEST_SQLITE") or None}
    return db


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "agenda:today"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


# Sessions end after LIFELONG_SESSION_SECONDS without a request (8 hours), in development
# too: a signed-in request restarts the clock (SessionIdleMiddleware, which writes the
# session at most once a minute rather than on every request, as SESSION_SAVE_EVERY_REQUEST
# would: a write per page view is a write lock per page view on SQLite). They survive
# closing the browser, which restores its tabs anyway; idle expiry is the limit that
# holds (docs/security-login.md).
SESSION_COOKIE_AGE = env_int("LIFELONG_SESSION_SECONDS", 8 * 3600)
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
# Sign-in throttling counts failures per address: REMOTE_ADDR, unless this many proxies
# in front of Lifelong each append to X-Forwarded-For (docs/security-login.md).
LIFELONG_TRUSTED_PROXY_COUNT = env_int("LIFELONG_TRUSTED_PROXY_COUNT", 0)

LANGUAGE_CODE = "en-gb"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # stored times; people see the business's own zone (BusinessTimezoneMiddleware)

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

DEFAULT_PHONE_REGION = os.environ.get("LIFELONG_PHONE_REGION", "SE")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIFELONG_LOG_LEVEL", "WARNING")},
}

# Customer value (lifelong.value). model: "bgnbd" (default) or "pnbd" (Pareto/NBD);
# discount_rate: per year, for CLV; tiers: (name, share of customers with purchases) from
# the most valuable down, by projected two-year value; policies: how each tier is treated.
# Nobody goes longer than 30 days without a contact, whatever a policy says.
LIFELONG_VALUE = {
    "model": "bgnbd",
    "discount_rate": 0.10,
    "tiers": [("A", 0.20), ("B", 0.30), ("C", 0.50)],
    "policies": {
        "A": {"contact_every_days": 14, "extras_allowed": True},
        "B": {"contact_every_days": 30, "extras_allowed": True},
        "C": {"contact_every_days": 30, "extras_allowed": False},
    },
}
