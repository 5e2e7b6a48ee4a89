"""Logs and request ids: JSON or text log lines, an X-Request-ID per request, one access line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-ID"
# Where the middleware leaves the id for the app and the log formatter.
ENVIRON_KEY = "quiz.request_id"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The request fields a log line may carry; bodies, query strings and addresses never appear,
# so no personal data (emails in a query, health answers in a body) reaches the logs.
_FIELDS = ("request_id", "method", "path", "status", "duration_ms")

access_log = logging.getLogger("quiz.access")


def request_id_from(header_value: str | None) -> str:
    """Return the caller's request id when it is a sane token, else a new random one."""
    if header_value and _SANE_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """Return the id of the request being handled, or None outside a request."""
    if not has_request_context():
        return None
    return request.environ.get(ENVIRON_KEY)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as JSON: time, level, logger, message and request fields."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_request_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Format a record as a readable line, with the request fields appended."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Return the classic line followed by key=value request fields."""
        line = super().format(record)
        fields = " ".join(f"{key}={value}" for key, value in _request_fields(record).items())
        if not fields:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} {fields}{newline}{rest}"


def _request_fields(record: logging.LogRecord) -> dict:
    """Collect the request fields of a record: its own `extra`, else the current request's."""
    fields = {key: getattr(record, key) for key in _FIELDS if hasattr(record, key)}
    # Only requests that came through the middleware: a test_request_context (url_for in a
    # CLI command or worker) is not a request anyone made.
    if "request_id" not in fields and has_request_context() and ENVIRON_KEY in request.environ:
        fields["request_id"] = request.environ[ENVIRON_KEY]
        fields["method"] = request.method
        fields["path"] = request.path
    return {key: value for key, value in fields.items() if value is not None}


class _StderrHandler(logging.StreamHandler):
    """Write to whatever sys.stderr is at the time of the write (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class _NoQueryStrings(logging.Filter):
    """Cut the query string out of the development server's request lines (`flask run`):
    the quiz's step addresses carry the visitor's sealed state, its intro the attribution."""

    _QUERY = re.compile(r"\?[^\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._QUERY.sub("", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Install one stderr handler with the chosen formatter on the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every command; only its warnings matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _NoQueryStrings) for f in werkzeug.filters):
        werkzeug.addFilter(_NoQueryStrings())
    # logging.config.fileConfig (Alembic's env.py runs it) disables every logger it does not
    # name; an app built later in the same process must get its own loggers back.
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and (name == "quiz" or name.startswith("quiz.")):
            logger.disabled = False


class RequestLogMiddleware:
    """WSGI middleware: give each request an id, echo it in X-Request-ID, log one access line.

    It sits outside Flask so that the line has the final status and the time until the last
    byte was handed to the server, streamed responses included.
    """

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        started = time.perf_counter()
        seen: dict[str, int] = {}

        def _start_response(status, headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        def _log() -> None:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            method, path = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", "/")
            status = seen.get("status", 500)
            access_log.info(
                "%s %s %s %.2fms",
                method,
                path,
                status,
                duration_ms,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )

        try:
            iterable = self.wsgi_app(environ, _start_response)
        except BaseException:
            _log()
            raise
        return ClosingIterator(iterable, [_log])


def init_app(app: Flask) -> None:
    """Set up logging, the request-id/access-log middleware and, if configured, ProxyFix."""
    if "observability" in app.extensions:
        return
    app.extensions["observability"] = True
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.wsgi_app = RequestLogMiddleware(app.wsgi_app)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Outermost, so the app and its logs see the client's scheme and host, not the proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
