"""An Idempotency-Key sent as raw bytes through a real server: any bytes HTTP allows work."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from quiz.questions import load
from tests.helpers import answer_everything
from tests.servers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
CLINIC = "keyed"
BODY = json.dumps(
    {
        "clinic": CLINIC,
        "answers": answer_everything(load(ROOT / "questions.json")),
        "contact": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "consent": {"contact": True, "health_data": True},
    }
).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keyed")
    with gunicorn(folder, workers=1, clinic=CLINIC, RATELIMIT_ENABLED="false") as app:
        yield app


def post_with_key(served, key: bytes) -> tuple[int, dict]:
    """POST the lead with `key` written into the header byte for byte; return the answer."""
    host, port = urlsplit(served.base).hostname, urlsplit(served.base).port
    head = (
        f"POST /api/v1/assessments HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n"
        "Connection: close\r\nIdempotency-Key: "
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head + key + b"\r\n\r\n" + BODY)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


def leads(served) -> int:
    with sqlite3.connect(served.database) as conn:
        return conn.execute("SELECT count(*) FROM leads").fetchone()[0]


@pytest.mark.parametrize(
    "key", [b"\xff\xfe\x80", "café".encode(), b"plain-ascii"], ids=["not-utf8", "utf8", "ascii"]
)
def test_a_key_of_any_bytes_replays_the_first_answer_and_stores_one_lead(served, key):
    before = leads(served)
    first = post_with_key(served, key)
    again = post_with_key(served, key)
    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    assert leads(served) == before + 1
