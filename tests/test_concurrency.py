"""Many writers at once: gunicorn with 4 workers on SQLite keeps every lead, with no locks."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from quiz import create_app
from quiz.crypto import new_key
from quiz.questions import load
from tests.helpers import answer_everything
from tests.servers import gunicorn, submit

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = 200
THREADS = 8
CLINIC = "load-test"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A migrated SQLite database with one clinic, served by `gunicorn -w 4`."""
    folder = tmp_path_factory.mktemp("served")
    with gunicorn(folder, workers=4, clinic=CLINIC, RATELIMIT_ENABLED="false") as app:
        yield app.base, app.database, app.log


@pytest.fixture(scope="module")
def fired(served):
    """Send 200 lead submissions from 8 threads at once; return the (status, id) pairs."""
    base, _, _ = served
    answers = answer_everything(load(ROOT / "questions.json"))
    payloads = [
        {
            "clinic": CLINIC,
            "language": "en",
            "answers": answers,
            "contact": {"name": f"Visitor {n}", "email": f"visitor{n}@example.com"},
            "consent": {"contact": True, "health_data": True},
            "source": {"utm_source": "load-test"},
        }
        for n in range(SUBMISSIONS)
    ]
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda payload: submit(base, payload), payloads))


def test_200_simultaneous_leads_on_sqlite_are_all_stored_without_locks(served, fired):
    _, database, log = served
    statuses = [status for status, _ in fired]
    assert [s for s in statuses if s >= 500] == []
    assert statuses == [201] * SUBMISSIONS

    with sqlite3.connect(database) as conn:
        (stored,) = conn.execute("SELECT count(*) FROM leads").fetchone()
        (emails,) = conn.execute("SELECT count(DISTINCT email) FROM leads").fetchone()
    assert (stored, emails) == (SUBMISSIONS, SUBMISSIONS)

    text = log.read_text()
    assert "database is locked" not in text
    assert "Traceback" not in text


def test_gunicorn_workers_log_one_json_access_line_per_request(served, fired, tmp_path):
    probe = create_app(
        {"SECRET_KEY": "probe", "DATA_ENCRYPTION_KEYS": [new_key()]},
        instance_path=str(tmp_path / "instance"),
    )
    if "observability" not in probe.extensions:
        pytest.skip("create_app does not call observability.init_app yet")
    _, _, log = served
    assert len({request_id for _, request_id in fired}) == SUBMISSIONS
    text = log.read_text()
    access = [
        entry
        for entry in (json.loads(line) for line in text.splitlines() if line.startswith("{"))
        if entry.get("logger") == "quiz.access" and entry.get("path") == "/api/v1/assessments"
    ]
    assert len(access) == SUBMISSIONS
    assert {entry["status"] for entry in access} == {201}
    assert {entry["request_id"] for entry in access} == {rid for _, rid in fired}
    assert "visitor1@example.com" not in text
