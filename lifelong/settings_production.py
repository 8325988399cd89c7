"""Production: everything from the environment, secure cookies, no default secret."""

import os

from django.core.exceptions import ImproperlyConfigured

from lifelong.settings import *  # noqa: F403
from lifelong.settings import DEV_SECRET_KEY, env_bool

DEBUG = env_bool("LIFELONG_DEBUG", False)
SECRET_KEY = os.environ.get("LIFELONG_SECRET_KEY", "")
if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set LIFELONG_SECRET_KEY to a random string of 50+ characters.")

SECURE_SSL_REDIRECT = env_bool("LIFELONG_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("LIFELONG_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# Idle expiry (SESSION_COOKIE_AGE, SESSION_SAVE_EVERY_REQUEST) comes from settings.py.
X_FRAME_OPTIONS = "DENY"
