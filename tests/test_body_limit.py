"""Bodies over 64 KiB are refused with 413 through a real server, chunked or not."""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from quiz.questions import load
from quiz.state import QuizState, StateSigner
from tests.helpers import answer_everything
from tests.servers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
CLINIC = "bounded"
LIMIT = 64 * 1024
CHUNK = 16 * 1024
ANSWERS = answer_everything(load(ROOT / "questions.json"))
CONTACT = {"name": "Ada Lovelace", "email": "ada@example.com"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bounded")
    with gunicorn(folder, workers=1, clinic=CLINIC, RATELIMIT_ENABLED="false") as app:
        yield app


@pytest.fixture(autouse=True)
def _no_leads_left(served):
    yield
    with sqlite3.connect(served.database) as conn:
        conn.execute("DELETE FROM deliveries")
        conn.execute("DELETE FROM leads")


def stored(served) -> list[str]:
    with sqlite3.connect(served.database) as conn:
        return [email for (email,) in conn.execute("SELECT email FROM leads")]


def send(served, path: str, content_type: str, body: bytes, *, chunked: bool) -> tuple[int, bytes]:
    """Send one POST over a raw socket, chunked or with a Content-Length; return the answer.

    The server may stop reading once the body is too large, so a failed send still reads the
    answer that was written before the connection closed.
    """
    host, port = urlsplit(served.base).hostname, urlsplit(served.base).port
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
        f"{framing}\r\nConnection: close\r\n\r\n"
    ).encode()
    if chunked:
        pieces = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    with socket.create_connection((host, port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head + body)
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def lead_json(email: str, size: int | None = None) -> bytes:
    """A valid API lead, padded with trailing spaces (still valid JSON) to `size` bytes."""
    body = json.dumps(
        {
            "clinic": CLINIC,
            "answers": ANSWERS,
            "contact": {**CONTACT, "email": email},
            "consent": {"contact": True, "health_data": True},
        }
    ).encode()
    return body.ljust(size or len(body), b" ")


def contact_form(served, email: str, size: int | None = None) -> bytes:
    """A valid contact form of a finished quiz, padded with an extra field to `size` bytes."""
    signer = StateSigner(served.env["SECRET_KEY"], 4 * 3600)
    state = QuizState(CLINIC, "en", answers=ANSWERS, step=99, started=int(time.time()) - 60)
    fields = {
        "state": signer.dumps(state),
        **CONTACT,
        "email": email,
        "consent_contact": "y",
        "consent_health": "y",
    }
    body = urlencode(fields).encode()
    if size is not None:
        body += b"&padding=" + b"x" * (size - len(body) - len(b"&padding="))
    return body


API = ("/api/v1/assessments", "application/json")
FORM = (f"/embed/{CLINIC}/contact", "application/x-www-form-urlencoded")


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_an_api_lead_followed_by_a_megabyte_is_413_and_not_stored(served, chunked):
    status, body = send(served, *API, lead_json("big@example.com", 1024 * 1024), chunked=chunked)
    assert status == 413
    assert list(json.loads(body)["errors"]) == ["body"]
    assert stored(served) == []


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_contact_form_followed_by_a_megabyte_is_413_and_not_stored(served, chunked):
    body = contact_form(served, "big@example.com", 1024 * 1024)
    status, page = send(served, *FORM, body, chunked=chunked)
    assert status == 413
    assert b"The request is too large" in page
    assert stored(served) == []


def test_a_chunked_api_body_of_exactly_64_kib_is_accepted_and_one_byte_more_is_not(served):
    status, _ = send(served, *API, lead_json("exact@example.com", LIMIT), chunked=True)
    assert status == 201
    status, _ = send(served, *API, lead_json("over@example.com", LIMIT + 1), chunked=True)
    assert status == 413
    assert stored(served) == ["exact@example.com"]


def test_a_small_chunked_contact_form_is_stored(served):
    status, page = send(served, *FORM, contact_form(served, "small@example.com"), chunked=True)
    assert status == 200, page[-2000:]
    assert stored(served) == ["small@example.com"]
