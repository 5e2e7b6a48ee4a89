"""Migrations keep what is stored: SQLite rebuilds a table to change it, which must never
cascade-delete the rows that refer to it."""

from __future__ import annotations

import sqlite3

from tests.helpers import flask_process, python_process

# A lead with its events, stored through the API as a clinic's CRM would.
_STORE_A_LEAD = """
from quiz import create_app
from quiz.runtime import questionnaire
from tests.helpers import answer_everything

app = create_app()
with app.app_context():
    answers = answer_everything(questionnaire())
response = app.test_client().post("/api/v1/assessments", json={
    "clinic": "demo",
    "answers": answers,
    "contact": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "consent": {"contact": True, "health_data": True},
})
assert response.status_code == 201, response.get_data(as_text=True)
"""

TABLES = ("clinics", "leads", "events", "status_changes", "notes")


def _counts(path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in TABLES
            if table in names
        }


def test_downgrading_and_upgrading_sqlite_keeps_every_lead_and_what_refers_to_it(tmp_path):
    for args in (("db", "upgrade"), ("clinic", "ensure-demo")):
        done = flask_process(tmp_path, *args)
        assert done.returncode == 0, done.stderr
    stored = python_process(tmp_path, "-c", _STORE_A_LEAD)
    assert stored.returncode == 0, stored.stderr
    before = _counts(tmp_path / "quiz.db")
    assert before["leads"] == 1 and before["events"] >= 1
    # Back to the first schema that had users and clinics changed since, then forward again:
    # every migration since rebuilds at least one of the tables leads refer to.
    for args in (("db", "downgrade", "0006_invites_notify"), ("db", "upgrade")):
        done = flask_process(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert _counts(tmp_path / "quiz.db") == before, args
