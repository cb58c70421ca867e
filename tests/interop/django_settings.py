"""The settings of the Django side of the interop tests, shared by
django_users.py (users, Simple JWT in process) and django_site.py (the
project served over HTTP): one database, one secret."""
import os
from urllib.parse import urlparse

from django.conf import settings


def configure(kind, location, schema=None, **extra):
    if kind == "sqlite":
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": location}
    else:
        url = urlparse(location)
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "USER": url.username or "postgres",
            "HOST": url.hostname,
            "PORT": url.port or 5432,
            "OPTIONS": {"options": f"-c search_path={schema}"},
        }
    settings.configure(
        DATABASES={"default": database},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "rest_framework",
            "rest_framework_simplejwt.token_blacklist",
        ],
        SECRET_KEY=os.environ.get("SIMPLEJWT_SECRET", "interop-secret-of-at-least-32-bytes!!"),
        USE_TZ=True,
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.MD5PasswordHasher",
        ],
        SIMPLE_JWT={
            "SIGNING_KEY": os.environ.get("SIMPLEJWT_SECRET", "interop-secret-of-at-least-32-bytes!!"),
            "ROTATE_REFRESH_TOKENS": True,
            "BLACKLIST_AFTER_ROTATION": True,
            "UPDATE_LAST_LOGIN": True,
            "CHECK_REVOKE_TOKEN": os.environ.get("SIMPLEJWT_CHECK_REVOKE_TOKEN") == "1",
        },
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "rest_framework_simplejwt.authentication.JWTAuthentication",
            ],
        },
        **extra,
    )
