"""The least a stored lead can cost: a bare Flask app with one raw INSERT and COMMIT per POST.

A yardstick for load.py, next to hello_app.py: it takes the same request body as
`POST /api/v1/assessments` and writes one row into the quiz's own `leads` table (same indexes,
same SQLite settings) with sqlite3, and nothing else: no checking, scoring, encryption, events
or outbox rows. The gap between it and the quiz is the quiz's own work; the gap between hello and
it is what any durable write costs on this machine.
"""

import json
import os
import sqlite3
import uuid
from datetime import UTC, datetime

from flask import Flask, request

app = Flask(__name__)

_COLUMNS = [
    "public_id",
    "clinic_id",
    "created_at",
    "submission_id",
    "name",
    "email",
    "language",
    "consent_contact_at",
    "consent_health_at",
    "consent_version",
    "wants_copy",
    "suitability",
    "outcome_id",
    "questionnaire_version",
    "health_data",
    "status",
]
_INSERT = f"INSERT INTO leads ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_connection: sqlite3.Connection | None = None


def _database() -> sqlite3.Connection:
    """Open this worker's connection once, with the quiz's pragmas."""
    global _connection
    if _connection is None:
        path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
        _connection = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL"):
            _connection.execute(f"PRAGMA {pragma}")
    return _connection


@app.post("/api/v1/assessments")
def store():
    """Store the posted contact and answers as one lead row; answer 201."""
    body = json.loads(request.get_data())
    database = _database()
    (clinic_id,) = database.execute(
        "SELECT id FROM clinics WHERE slug = ?", (body["clinic"],)
    ).fetchone()
    now = datetime.now(UTC).isoformat()
    public_id = str(uuid.uuid4())
    database.execute("BEGIN IMMEDIATE")
    database.execute(
        _INSERT,
        (
            public_id,
            clinic_id,
            now,
            uuid.uuid4().hex,
            body["contact"]["name"],
            body["contact"]["email"],
            "en",
            now,
            now,
            "floor",
            0,
            "suitable",
            "floor",
            "floor",
            json.dumps(body["answers"]),
            "new",
        ),
    )
    database.execute("COMMIT")
    return {"lead_id": public_id}, 201


@app.get("/healthz")
def healthz():
    """Answer like the quiz's probe, so the benchmark can wait for both the same way."""
    return {"status": "ok"}
