"""Configuration: defaults, the environment and instance secrets; the only reader of os.environ."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from quiz import ratelimit_storage
from quiz.crypto import new_key

ROOT = Path(__file__).resolve().parent.parent
# Leads are stored with INSERT ... RETURNING, which SQLite has since 3.35 (2021).
MIN_SQLITE = (3, 35)
# How a reader looks a variable up: the environment's get.
Getter = Callable[[str], str | None]


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _instance_secret(path: Path, make) -> str:
    """Read a secret kept in the instance folder, creating it (mode 600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _ratelimit_storage(redis_url: str | None, instance: Path, *, check: bool) -> str:
    """Return where rate-limit counters live: Redis when set, else a file on this machine.

    Counters in one process's memory would let every gunicorn worker allow the full limit,
    so without Redis they go to a SQLite file that all workers of this machine share.
    """
    if redis_url:
        # limits spells a Redis socket redis+unix://, where redis-py spells it unix://.
        if redis_url.startswith("unix:"):
            return "redis+" + redis_url
        return redis_url
    path = instance / "ratelimits.db"
    if check:
        try:
            instance.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"REDIS_URL: unset, so rate-limit counters go to {path}, but its folder cannot"
                f" be created ({exc.strerror}); make it writable or set REDIS_URL"
            ) from None
        if not os.access(instance, os.W_OK):
            raise ConfigError(
                f"REDIS_URL: unset, so rate-limit counters go to {path}, but its folder is not"
                " writable; make it writable or set REDIS_URL"
            )
    return f"{ratelimit_storage.SCHEME}:///{path}"


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config from the environment (or `env`), validating every value."""
    get: Getter = dict(os.environ if env is None else env).get
    instance = Path(instance_path)
    # One reader per concern, in this order: the first bad value stops start-up.
    config = _secrets(get, instance)
    config |= _database(get, instance)
    config |= _redis_and_rate_limits(get, instance)
    config |= _quiz(get)
    config |= _public_url(get)
    config |= _mail(get)
    config |= _delivery(get)
    config |= _logging(get)
    config |= _http(get)
    config |= _languages()
    config |= _compression()
    return config


def _secrets(get: Getter, instance: Path) -> dict:
    """The session and state-token signing key, and the keys that encrypt health answers."""
    secret_key = get("SECRET_KEY") or _instance_secret(
        instance / "secret_key", lambda: secrets.token_hex(32)
    )
    keys = get("DATA_ENCRYPTION_KEY") or _instance_secret(instance / "data_key", new_key)
    return {
        "SECRET_KEY": secret_key,
        "DATA_ENCRYPTION_KEYS": [k.strip() for k in keys.split(",") if k.strip()],
    }


def _database(get: Getter, instance: Path) -> dict:
    """The SQLAlchemy URL (SQLite or PostgreSQL) and the engine's options."""
    database_url = get("DATABASE_URL") or f"sqlite:///{instance / 'quiz.db'}"
    scheme = database_url.split(":", 1)[0]
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise ConfigError(
            f"DATABASE_URL: expected sqlite:/// or postgresql+psycopg://, got {scheme!r}"
        )
    if scheme in {"postgresql", "postgres"}:
        database_url = "postgresql+psycopg" + database_url[len(scheme) :]
    if scheme.startswith("sqlite") and sqlite3.sqlite_version_info < MIN_SQLITE:
        raise ConfigError(
            f"DATABASE_URL: this Python's SQLite is {sqlite3.sqlite_version}; the quiz needs"
            f" {'.'.join(map(str, MIN_SQLITE))} or newer (INSERT ... RETURNING), or PostgreSQL"
        )
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # An unreachable server must fail fast (so /healthz answers 503 in about two seconds),
        # not hang a worker until gunicorn's timeout kills it. 2 s is libpq's minimum.
        options["connect_args"] = {"connect_timeout": 2}
    return {"SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": options}


def _redis_and_rate_limits(get: Getter, instance: Path) -> dict:
    """Redis (rate-limit counters and the delivery queue) and the rate limits themselves."""
    redis_url = get("REDIS_URL") or None
    if redis_url and urlsplit(redis_url).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"REDIS_URL: expected redis://host:port, got {redis_url!r}")
    enabled = _bool("RATELIMIT_ENABLED", get("RATELIMIT_ENABLED") or "true")
    return {
        "REDIS_URL": redis_url,
        "RATELIMIT_ENABLED": enabled,
        "RATELIMIT_STORAGE_URI": _ratelimit_storage(redis_url, instance, check=enabled),
        # Several deployments may share one Redis: each keeps its counters under its own prefix.
        "RATELIMIT_KEY_PREFIX": get("RATELIMIT_KEY_PREFIX") or "quiz",
        "RATELIMIT_HEADERS_ENABLED": True,
        "ASSESSMENT_RATE_LIMIT": "20 per minute",
        # Copies of a result mailed to one address, whoever sends the form.
        "VISITOR_COPY_LIMIT": "3 per day",
    }


def _quiz(get: Getter) -> dict:
    """The questionnaire, how long leads are kept, and the visitor path's tuning."""
    questions = Path(get("QUESTIONS_FILE") or ROOT / "questions.json")
    return {
        "QUESTIONS_FILE": str(questions if questions.is_absolute() else ROOT / questions),
        "LEAD_RETENTION_DAYS": _int(
            "LEAD_RETENTION_DAYS", get("LEAD_RETENTION_DAYS") or "365", 1, 36500
        ),
        # The visitor's state token: how long a started quiz stays resumable.
        "QUIZ_TOKEN_MAX_AGE": 4 * 3600,
        # Humans need more than this between starting the quiz and sending contact details.
        "QUIZ_MIN_FILL_SECONDS": 3,
        # How long a worker reuses a clinic it read for the visitor's path (edits show after
        # it), and the intro page it rendered. 0 reads the clinic every time.
        "CLINIC_CACHE_SECONDS": 10,
        # View events are written in batches: at most this many, or this old (see
        # services/funnel). 0 seconds writes each event at once.
        "EVENT_BUFFER_SIZE": 50,
        "EVENT_BUFFER_SECONDS": 5,
    }


def _public_url(get: Getter) -> dict:
    """The quiz's public origin for snippets and mails; unset, it comes from the request."""
    public_url = (get("PUBLIC_URL") or "").rstrip("/") or None
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"PUBLIC_URL: expected http(s)://host[:port], got {public_url!r}")
    return {"PUBLIC_URL": public_url}


def _mail(get: Getter) -> dict:
    """Outgoing mail; without MAIL_SERVER mails are logged, not sent."""
    return {
        "MAIL_SERVER": get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", get("MAIL_PORT") or "25", 1, 65535),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", get("MAIL_USE_TLS") or "false"),
        "MAIL_USERNAME": get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": get("MAIL_DEFAULT_SENDER") or "quiz@localhost",
    }


def _delivery(get: Getter) -> dict:
    """Webhook targets and timeout, and the Redis key that wakes the delivery worker."""
    return {
        # Private, loopback and plain-http targets are refused unless a developer allows them
        # for a receiver on their own machine.
        "WEBHOOK_ALLOW_PRIVATE": _bool(
            "WEBHOOK_ALLOW_PRIVATE", get("WEBHOOK_ALLOW_PRIVATE") or "false"
        ),
        "WEBHOOK_TIMEOUT": 10,
        "DELIVERY_QUEUE_KEY": "quiz:deliveries",
        # How long a worker's claim on a delivery lasts; renewed while it sends, so this is
        # how long the rows of a worker that died wait before another worker sends them.
        "DELIVERY_LEASE_SECONDS": _int(
            "DELIVERY_LEASE_SECONDS", get("DELIVERY_LEASE_SECONDS") or "60", 3, 3600
        ),
    }


def _logging(get: Getter) -> dict:
    """Log lines as JSON or text, from which level."""
    log_format = (get("LOG_FORMAT") or "json").strip().lower()
    if log_format not in {"json", "text"}:
        raise ConfigError(f"LOG_FORMAT: expected json or text, got {log_format!r}")
    log_level = (get("LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    return {"LOG_FORMAT": log_format, "LOG_LEVEL": log_level}


def _http(get: Getter) -> dict:
    """Proxies in front, the request size limit and the back office's session cookie."""
    return {
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", get("TRUSTED_PROXIES") or "0", 0, 10),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # Back-office session cookie; the visitor's path never sets one.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    }


def _languages() -> dict:
    """The interface language when nothing else picks one, and where the translations are."""
    return {
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "quiz" / "translations"),
    }


def _compression() -> dict:
    """Which responses Flask-Compress compresses, and how."""
    return {
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        # Static files are sent as streams (file wrappers); compress them chunk by chunk too.
        # Generators with other types (CSV exports) are not in the list above and pass untouched.
        "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
        "COMPRESS_STREAMS": True,
        "COMPRESS_MIN_SIZE": 500,
    }
