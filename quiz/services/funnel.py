"""Funnel events (view, start, step, complete, lead): no personal data, written best effort.

Every quiz page records one, so a worker buffers them and writes them in one statement
every EVENT_BUFFER_SECONDS (or every EVENT_BUFFER_SIZE events, and when the process exits)
instead of taking the database's write lock per page. A worker that dies loses at most
those few seconds of counts. The "lead" event is written with its lead, in the same
transaction (services/assessments.py).
"""

from __future__ import annotations

import atexit
import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from quiz.database import separate_write_transaction
from quiz.models import Clinic, Event, utcnow
from quiz.runtime import runtime
from quiz.scoring import Result

log = logging.getLogger(__name__)
EVENT_KINDS = ("view", "start", "step", "complete", "lead")


def record_event(
    clinic: Clinic,
    kind: str,
    *,
    step: str | None = None,
    result: Result | None = None,
    source: dict[str, str] | None = None,
    buffered: bool = True,
) -> None:
    """Store one funnel event; it carries no personal data.

    Best effort: analytics must never stand between a visitor and their quiz, so a
    database that refuses the write is logged and the visitor's page goes on. With
    `buffered=False` it is written at once, for an event a later write must not outrun.
    """
    assert kind in EVENT_KINDS
    row = _row(clinic.id, kind, step, result, source)
    _write(runtime().event_buffer.add(row) if buffered else [row])


def replay_event(clinic: Clinic, kind: str, *, source: dict[str, str] | None = None):
    """Return a call that records this event again, buffered, for a page served from a copy."""
    assert kind in EVENT_KINDS
    clinic_id = clinic.id

    def replay() -> None:
        _write(runtime().event_buffer.add(_row(clinic_id, kind, None, None, source)))

    return replay


def _row(clinic_id: int, kind, step, result: Result | None, source) -> dict:
    source = source or {}
    return {
        "clinic_id": clinic_id,
        "kind": kind,
        "step": step,
        "outcome_id": result.outcome.id if result else None,
        "suitability": result.suitability if result else None,
        "utm_source": source.get("utm_source"),
        "utm_campaign": source.get("utm_campaign"),
        "created_at": utcnow(),
    }


def init_app(app: Flask) -> None:
    """Write the events still buffered when the process exits."""
    # Only an app whose buffer keeps rows holds any at exit; the test suite builds many apps
    # that write each event at once, and none of them need keeping alive until exit.
    if runtime(app).event_buffer.keeps_rows:
        atexit.register(flush_events, app)


def flush_events(app: Flask) -> None:
    """Write the events this process still holds (at exit, and in tests)."""
    rows = runtime(app).event_buffer.drain()
    if not rows:
        return
    if has_app_context() and current_app._get_current_object() is app:
        _write(rows)
    else:
        with app.app_context():
            _write(rows)


def _write(rows: list[dict]) -> None:
    if not rows:
        return
    try:
        # Not on the session: a refused write must not roll back what the page has loaded.
        with separate_write_transaction() as connection:
            connection.execute(insert(Event), rows)
    except SQLAlchemyError as exc:
        log.warning("%d funnel events not stored: %s", len(rows), exc.__class__.__name__)
