"""Settings from JIYUN_* environment variables, with safe defaults.

The defaults make a fresh machine run the portal with no server at all: an SQLite
file in the instance folder and a generated secret key kept beside it. Production
sets JIYUN_DATABASE_URL (PostgreSQL) and JIYUN_SECRET_KEY.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

PREFIX = "JIYUN_"


def _env(name, default=None):
    return os.environ.get(PREFIX + name, default)


def _env_int(name, default):
    value = _env(name)
    return int(value) if value not in (None, "") else default


def _env_bool(name, default):
    value = _env(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _instance_secret(instance_path):
    """A secret key that survives restarts of the embedded default. Created exclusively,
    so that web processes starting together agree on one key."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as secret_file:
        secret_file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_config(instance_path):
    """Build the Flask config mapping from the environment."""
    instance = Path(instance_path)
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'jiyun.db'}"
    return {
        "SECRET_KEY": _env("SECRET_KEY") or _instance_secret(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BROKER_URL": _env("BROKER_URL", "memory://"),
        "CATALOG_DIR": _env("CATALOG_DIR", str(Path(__file__).parent.parent / "catalog" / "items")),
        # Sessions: a short idle timeout, cookies that scripts cannot read.
        "IDLE_TIMEOUT": timedelta(minutes=_env_int("IDLE_TIMEOUT_MINUTES", 30)),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_env_int("SESSION_HOURS", 12)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SECURE_COOKIES", False),
        # Login throttling: failures allowed per user name and per address in the window.
        "LOGIN_MAX_FAILURES_PER_USER": _env_int("LOGIN_MAX_FAILURES_PER_USER", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        "LOGIN_THROTTLE_WINDOW": timedelta(minutes=_env_int("LOGIN_THROTTLE_MINUTES", 15)),
        # argon2 cost: the library defaults; tests lower them to stay fast.
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _env_int("ARGON2_MEMORY_COST", 65536),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_CN": "简体中文", "en": "English"},
        "WTF_CSRF_TIME_LIMIT": None,  # the session bounds the token's life
        "API_TITLE": "Jiyun API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "PAGE_SIZE": 50,
        # Reverse proxies in front of the portal whose X-Forwarded-For is trusted: the
        # client's address drives login throttling and goes into the audit log.
        "PROXY_HOPS": _env_int("PROXY_HOPS", 0),
    }
