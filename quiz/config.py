"""Configuration: defaults, the environment and instance secrets; the only reader of os.environ."""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from quiz import ratelimit_storage
from quiz.crypto import new_key

ROOT = Path(__file__).resolve().parent.parent
# Leads are stored with INSERT ... RETURNING, which SQLite has since 3.35 (2021).
MIN_SQLITE = (3, 35)


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


def load_config(instance_path: str, env: dict[str, str] | None = None) -> dict:
    """Build the Flask config from the environment (or `env`), validating every value."""
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path)
    get = env.get
    config: dict = {}

    config["SECRET_KEY"] = get("SECRET_KEY") or _instance_secret(
        instance / "secret_key", lambda: secrets.token_hex(32)
    )
    keys = get("DATA_ENCRYPTION_KEY") or _instance_secret(instance / "data_key", new_key)
    config["DATA_ENCRYPTION_KEYS"] = [k.strip() for k in keys.split(",") if k.strip()]

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
    config["SQLALCHEMY_DATABASE_URI"] = database_url
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # An unreachable server must fail fast (so /healthz answers 503 in about two seconds),
        # not hang a worker until gunicorn's timeout kills it. 2 s is libpq's minimum.
        config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"connect_timeout": 2}

    redis_url = get("REDIS_URL") or None
    if redis_url and urlsplit(redis_url).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"REDIS_URL: expected redis://host:port, got {redis_url!r}")
    config["REDIS_URL"] = redis_url

    questions = Path(get("QUESTIONS_FILE") or ROOT / "questions.json")
    config["QUESTIONS_FILE"] = str(questions if questions.is_absolute() else ROOT / questions)

    config["LEAD_RETENTION_DAYS"] = _int(
        "LEAD_RETENTION_DAYS", get("LEAD_RETENTION_DAYS") or "365", 1, 36500
    )
    config["RATELIMIT_ENABLED"] = _bool("RATELIMIT_ENABLED", get("RATELIMIT_ENABLED") or "true")
    config["RATELIMIT_STORAGE_URI"] = _ratelimit_storage(
        redis_url, instance, check=config["RATELIMIT_ENABLED"]
    )
    # Several deployments may share one Redis: each keeps its counters under its own prefix.
    config["RATELIMIT_KEY_PREFIX"] = get("RATELIMIT_KEY_PREFIX") or "quiz"
    config["RATELIMIT_HEADERS_ENABLED"] = True
    config["ASSESSMENT_RATE_LIMIT"] = "20 per minute"

    public_url = (get("PUBLIC_URL") or "").rstrip("/") or None
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"PUBLIC_URL: expected http(s)://host[:port], got {public_url!r}")
    config["PUBLIC_URL"] = public_url

    config["MAIL_SERVER"] = get("MAIL_SERVER") or None
    config["MAIL_PORT"] = _int("MAIL_PORT", get("MAIL_PORT") or "25", 1, 65535)
    config["MAIL_USE_TLS"] = _bool("MAIL_USE_TLS", get("MAIL_USE_TLS") or "false")
    config["MAIL_USERNAME"] = get("MAIL_USERNAME") or None
    config["MAIL_PASSWORD"] = get("MAIL_PASSWORD") or None
    config["MAIL_DEFAULT_SENDER"] = get("MAIL_DEFAULT_SENDER") or "quiz@localhost"

    # Webhooks: private, loopback and plain-http targets are refused unless a developer
    # allows them for a receiver on their own machine.
    config["WEBHOOK_ALLOW_PRIVATE"] = _bool(
        "WEBHOOK_ALLOW_PRIVATE", get("WEBHOOK_ALLOW_PRIVATE") or "false"
    )
    config["WEBHOOK_TIMEOUT"] = 10
    config["DELIVERY_QUEUE_KEY"] = "quiz:deliveries"

    log_format = (get("LOG_FORMAT") or "json").strip().lower()
    if log_format not in {"json", "text"}:
        raise ConfigError(f"LOG_FORMAT: expected json or text, got {log_format!r}")
    config["LOG_FORMAT"] = log_format
    log_level = (get("LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    config["LOG_LEVEL"] = log_level
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host.
    config["TRUSTED_PROXIES"] = _int("TRUSTED_PROXIES", get("TRUSTED_PROXIES") or "0", 0, 10)

    # The visitor's state token: how long a started quiz stays resumable.
    config["QUIZ_TOKEN_MAX_AGE"] = 4 * 3600
    # Humans need more than this between starting the quiz and sending contact details.
    config["QUIZ_MIN_FILL_SECONDS"] = 3
    # How long a worker reuses a clinic it read for the visitor's path (edits show after it).
    config["CLINIC_CACHE_SECONDS"] = 10
    # View events are written in batches: at most this many, or this old (see services/funnel).
    config["EVENT_BUFFER_SIZE"] = 50
    config["EVENT_BUFFER_SECONDS"] = 5
    config["MAX_CONTENT_LENGTH"] = 64 * 1024
    # Back-office session cookie; the visitor's path never sets one.
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["PERMANENT_SESSION_LIFETIME"] = 8 * 3600
    config["WTF_CSRF_TIME_LIMIT"] = 8 * 3600
    return config
