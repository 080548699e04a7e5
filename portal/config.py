"""Settings from JIYUN_* environment variables, with safe defaults.

The defaults make a fresh machine run the portal with no server at all: an SQLite
file in the instance folder and a generated secret key kept beside it. Production
sets JIYUN_DATABASE_URL (PostgreSQL) and JIYUN_SECRET_KEY.
"""

import os
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
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
        # No ping before every checkout: it was a database round trip per request.
        # A connection found dead (the server restarted) fails its one request and
        # makes the pool drop all its connections; recycling them hourly retires
        # those that firewalls or proxies would close while idle (Celery workers).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 3600},
        # The embedded default passes tasks through files in the instance folder, so the
        # portal and its worker need no server; production sets an amqp:// URL.
        "BROKER_URL": _env("BROKER_URL", "filesystem://"),
        "BROKER_TRANSPORT_OPTIONS": _broker_folders(instance),
        "TASK_QUEUE": _env("TASK_QUEUE", "jiyun"),
        "CATALOG_DIR": _env("CATALOG_DIR", str(Path(__file__).parent.parent / "catalog" / "items")),
        "PRICES_DIR": _env("PRICES_DIR", str(Path(__file__).parent.parent / "billing" / "prices")),
        "SLAS_DIR": _env("SLAS_DIR", str(Path(__file__).parent.parent / "catalog" / "slas")),
        "OPS_BUDGET_FILE": _env(
            "OPS_BUDGET_FILE", str(Path(__file__).parent.parent / "billing" / "ops_budget.yaml")
        ),
        # Vendor scorecards: the weight of each component, and the points an availability
        # breach (one that credits a bill) costs.
        "SCORECARD_WEIGHTS": _weights(
            _env("SCORECARD_WEIGHTS", "sla=50,satisfaction=25,expert=25")
        ),
        "SCORECARD_BREACH_PENALTY": _penalty(_env("SCORECARD_BREACH_PENALTY", "2")),
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
        # Email for notifications; without a host, notices stay in the portal only.
        "SMTP_HOST": _env("SMTP_HOST", ""),
        "SMTP_PORT": _env_int("SMTP_PORT", 25),
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", False),
        "SMTP_USER": _env("SMTP_USER", ""),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD", ""),
        "SMTP_FROM": _env("SMTP_FROM", "jiyun@localhost"),
        **_provisioning(instance),
    }


def _weights(text):
    """ "sla=50,satisfaction=25,expert=25" → {"sla": 50.0, …}; every component named."""
    weights = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        weights[name.strip()] = float(value)
    if set(weights) != {"sla", "satisfaction", "expert"} or min(weights.values()) < 0:
        raise ValueError(f"{PREFIX}SCORECARD_WEIGHTS must weigh sla, satisfaction and expert")
    return weights


def _penalty(text):
    """The points an availability breach costs a vendor: a decimal number >= 0."""
    try:
        points = Decimal(text)
    except InvalidOperation:
        points = None
    if points is None or not points.is_finite() or points < 0:
        raise ValueError(f"{PREFIX}SCORECARD_BREACH_PENALTY must be a number >= 0, not {text!r}")
    return points


def _broker_folders(instance):
    folder = instance / "broker"
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        # Exchange tables; kombu's default is ./control, wherever the process started.
        "control_folder": str(folder / "control"),
    }


def _provisioning(instance):
    """Where resources are made: the cloud driver, Ansible, the managed database servers.
    The embedded default simulates the cloud and the playbooks (see drivers/simulated.py)."""
    driver = _env("CLOUD_DRIVER", "simulated")
    return {
        "CLOUD_DRIVER": driver,
        "OS_CLOUD": _env("OS_CLOUD", "jiyun"),  # the clouds.yaml entry to use
        "OS_NETWORK": _env("OS_NETWORK", ""),  # network new servers join; none if empty
        # The first wait between looks at a changing server or volume (it then grows).
        "OS_POLL_SECONDS": float(_env("OS_POLL_SECONDS", "0.05")),
        "SIMULATED_CLOUD_PATH": _env("SIMULATED_CLOUD_PATH", str(instance / "simulated-cloud.db")),
        "SIMULATED_BOOT_SECONDS": float(_env("SIMULATED_BOOT_SECONDS", "2")),
        "AUTOMATION": _env("AUTOMATION", "simulated" if driver == "simulated" else "ansible"),
        "ANSIBLE_DIR": _env("ANSIBLE_DIR", str(instance / "ansible")),
        "MANAGED_HOSTS_DIR": _env("MANAGED_HOSTS_DIR", str(instance / "managed-hosts")),
        # Admin URLs of the shared database servers that database items are made on,
        # e.g. postgresql://postgres@127.0.0.1:5432 and mysql://root@127.0.0.1:3306.
        "MANAGED_POSTGRES_URL": _env("MANAGED_POSTGRES_URL", ""),
        "MANAGED_MYSQL_URL": _env("MANAGED_MYSQL_URL", ""),
        # A step waits this long for the cloud; a run is retried this many times.
        "PROVISION_WAIT_SECONDS": _env_int("PROVISION_WAIT_SECONDS", 300),
        "PROVISION_MAX_ATTEMPTS": _env_int("PROVISION_MAX_ATTEMPTS", 5),
        # Reconciliation: how often, and how long an orphan is reported before deletion.
        "RECONCILE_MINUTES": _env_int("RECONCILE_MINUTES", 10),
        "ORPHAN_GRACE_MINUTES": _env_int("ORPHAN_GRACE_MINUTES", 60),
        # Maintenance runs: their ansible-runner folders (default: ANSIBLE_DIR/maintenance),
        # where backups go, the only folder rotate_logs touches, the only control scripts
        # restart_service runs, and the local window (Asia/Shanghai, plus weekends when
        # set) in which a low or medium risk real run needs no approval.
        "MAINTENANCE_DIR": _env("MAINTENANCE_DIR"),
        "BACKUPS_DIR": _env("BACKUPS_DIR", str(instance / "backups")),
        "MAINTENANCE_LOG_ROOT": _env("MAINTENANCE_LOG_ROOT", str(instance / "logs")),
        "MAINTENANCE_SERVICES_DIR": _env("MAINTENANCE_SERVICES_DIR", "/etc/init.d"),
        "MAINTENANCE_WINDOW": _env("MAINTENANCE_WINDOW", "22:00-06:00"),
        "MAINTENANCE_WEEKENDS": _env_bool("MAINTENANCE_WEEKENDS", True),
    }
