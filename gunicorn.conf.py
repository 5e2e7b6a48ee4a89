"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Environment: BIND (default 127.0.0.1:8000) and WEB_CONCURRENCY (workers). Reload the code
without dropping requests with `kill -HUP <master pid>`; stop gracefully with TERM.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys

from gunicorn.glogging import Logger


def _workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not raw:
        # gunicorn's own advice, capped: sync workers on a big box mostly wait on the database.
        return min(2 * multiprocessing.cpu_count() + 1, 9)
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        sys.exit(f"WEB_CONCURRENCY: expected a whole number from 1 to 64, got {raw!r}")
    return int(raw)


bind = os.environ.get("BIND", "127.0.0.1:8000").split(",")
workers = _workers()
worker_class = "sync"
timeout = 30
graceful_timeout = 30
# Behind nginx or a load balancer that keeps connections open to us.
keepalive = 5
# Each worker builds its own app, database pool and Redis connections after the fork.
preload_app = False
# Recycle workers now and then so a slow leak cannot grow for ever; the jitter keeps them
# from all restarting at the same moment. A new worker costs about 0.7 s of CPU (imports, app,
# cold caches): recycled every 2,000 requests, workers serving the start page flat out on two
# cores spent about a quarter of the CPU restarting (benchmarks/load.py); every 20,000, a few
# percent.
max_requests = 20000
max_requests_jitter = 2000
# A tmpfs heartbeat file: a container's overlay disk can stall the workers' heartbeats.
# /dev/shm is a fixed system tmpfs, not a guessable temp file name.
if os.path.isdir("/dev/shm"):  # noqa: S108  # nosec B108
    worker_tmp_dir = "/dev/shm"  # noqa: S108  # nosec B108

# The app writes its own JSON access line per request (quiz/observability.py). gunicorn's
# access log is off unless asked for (`--access-logfile -`); when on, it is JSON too.
accesslog = None
errorlog = "-"
# No gunicornc control socket: signals (HUP, TERM) are enough, and several servers on one
# host would otherwise fight over the same socket path.
control_socket_disable = True
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, '
    '"request_id": "%({x-request-id}o)s"}'
)


class JsonSafeLogger(Logger):
    """gunicorn's logger with every access-log value escaped for a JSON string."""

    def atoms(self, resp, req, environ, request_time):
        """Return gunicorn's atoms, escaped so a quote in a path cannot break the line."""
        atoms = super().atoms(resp, req, environ, request_time)
        # gunicorn itself escapes double quotes when it fills the format; escape the rest
        # (backslashes, control characters) and leave the quotes to it.
        return {
            key: json.dumps(str(value))[1:-1].replace('\\"', '"') if value is not None else "-"
            for key, value in atoms.items()
        }


logger_class = JsonSafeLogger


def post_fork(server, worker):
    """Drop database connections inherited from the master when the app was preloaded."""
    if not server.cfg.preload_app:
        return
    wsgi = sys.modules.get("wsgi")
    if wsgi is None:
        return
    from quiz.extensions import db

    with wsgi.app.app_context():
        for engine in db.engines.values():
            # close=False: the parent's sockets belong to the parent; just forget them here.
            engine.dispose(close=False)
