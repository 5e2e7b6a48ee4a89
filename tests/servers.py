"""Real servers on loopback: an SMTP sink, a scriptable HTTP receiver and the app in gunicorn."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from quiz.crypto import new_key

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """End a server process: SIGTERM for a clean shutdown, SIGKILL if it is not done within
    `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _Collector:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        self.raw.append(envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SMTPSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self, login: tuple[str, str] | None = None):
        self._collector = _Collector()
        self.port = free_port()
        self.logins: list[str] = []
        options = {}
        if login is not None:
            # Plain-text AUTH without TLS is fine on loopback in tests only.
            options = {
                "authenticator": self._authenticator(login),
                "auth_require_tls": False,
            }
        self._controller = Controller(
            self._collector, hostname="127.0.0.1", port=self.port, **options
        )

    def _authenticator(self, login: tuple[str, str]):
        def check(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                )
                == login
            )
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)

        return check

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far, parsed."""
        return self._collector.messages

    @property
    def raw(self) -> list[bytes]:
        """The messages received so far, byte for byte as they came over the wire."""
        return self._collector.raw

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        """(MAIL FROM, RCPT TO addresses) of each message received so far."""
        return self._collector.envelopes

    def start(self) -> SMTPSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class Hit:
    """One request the receiver saw."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Behaviour:
    """How the receiver answers: fail the first N requests, redirect, or hang."""

    fail_first: int = 0
    redirect_to: str | None = None
    hang_seconds: float = 0.0
    status: int = 204
    _seen: int = field(default=0, repr=False)


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST and answers as told."""

    def __init__(self):
        self.hits: list[Hit] = []
        self.behaviour = Behaviour()
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.hits.append(Hit(self.path, dict(self.headers.items()), body))
                    behaviour = receiver.behaviour
                    behaviour._seen += 1
                    seen = behaviour._seen
                if behaviour.hang_seconds:
                    receiver._release.wait(behaviour.hang_seconds)
                if behaviour.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", behaviour.redirect_to)
                elif seen <= behaviour.fail_first:
                    self.send_response(500)
                else:
                    self.send_response(behaviour.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/hook") -> str:
        """Return this receiver's URL for `path`."""
        return f"http://127.0.0.1:{self.port}{path}"

    def hits_per_event(self) -> Counter:
        """Count requests by their webhook-id header."""
        with self._lock:
            return Counter(h.headers.get("webhook-id") for h in self.hits)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        # Let a hanging handler finish so shutdown does not wait for it.
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def wait_for(predicate, seconds: float = 5.0) -> bool:
    """Poll `predicate` until it is true or `seconds` pass (for cross-thread tests only)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# --------------------------------------------------------------------------- the app in gunicorn

# Settings of the developer's environment that would point a served app somewhere else.
_FOREIGN_ENV = {"DATABASE_URL", "QUESTIONS_FILE", "REDIS_URL", "PUBLIC_URL", "BIND"}


def run_flask(env: dict, *args: str) -> None:
    """Run a `flask --app wsgi` command; fail the test with its output when it fails."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"flask {' '.join(args)}: {done.stdout}{done.stderr}"


def wait_until_serving(base: str, server: subprocess.Popen, log: Path) -> None:
    """Poll /healthz until the server answers; fail at once if gunicorn dies."""
    for _ in range(600):
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"gunicorn never answered /healthz:\n{log.read_text()}")


@dataclass
class Served:
    """An app served by gunicorn: its address, environment, database file and log."""

    base: str
    env: dict[str, str]
    database: Path
    log: Path


@contextmanager
def gunicorn(folder: Path, *, workers: int, clinic: str, **env: str) -> Iterator[Served]:
    """Serve the app with `gunicorn -w N` on a fresh SQLite database holding one clinic.

    `env` adds or overrides environment variables (REDIS_URL is unset unless given here).
    """
    settings = {key: value for key, value in os.environ.items() if key not in _FOREIGN_ENV}
    settings.update(
        DATABASE_URL=f"sqlite:///{folder / 'quiz.db'}",
        SECRET_KEY="served-test-secret",
        DATA_ENCRYPTION_KEY=new_key(),
        LOG_FORMAT="json",
        WEB_CONCURRENCY=str(workers),
        **env,
    )
    run_flask(settings, "db", "upgrade")
    run_flask(settings, "clinic", "create", clinic, "--name", "Served Test Clinic")
    port = free_port()
    log = folder / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-w", str(workers),
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=settings, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server, log)
        yield Served(base, settings, folder / "quiz.db", log)
    finally:
        stop_process(server)


def submit(base: str, payload: dict) -> tuple[int, str]:
    """POST one assessment; return the status and the X-Request-ID header."""
    request = urllib.request.Request(
        f"{base}/api/v1/assessments",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:
            response.read()
            return response.status, response.headers.get("X-Request-ID", "")
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, exc.headers.get("X-Request-ID", "")
