"""Funnel events are written in batches, never one write per page."""

from __future__ import annotations

import pytest

from quiz import services
from quiz.extensions import db
from quiz.models import Event


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EVENT_BUFFER_SECONDS": 60, "EVENT_BUFFER_SIZE": 3}


def kinds() -> list[str]:
    return [e.kind for e in db.session.execute(db.select(Event).order_by(Event.id)).scalars()]


def test_views_are_written_together_once_enough_have_come(app, client, make_clinic):
    make_clinic("acme")
    client.get("/embed/acme?utm_source=news")
    client.get("/embed/acme")
    assert kinds() == []
    client.get("/embed/acme")
    assert kinds() == ["view", "view", "view"]
    sources = db.session.execute(db.select(Event.utm_source).order_by(Event.id)).scalars().all()
    assert sources == ["news", None, None]


def test_events_still_held_are_written_when_the_process_flushes(app, client, make_clinic):
    make_clinic("acme")
    client.get("/embed/acme")
    assert kinds() == []
    services.flush_events(app)
    assert kinds() == ["view"]


def test_every_kind_of_event_waits_for_the_batch(app, make_clinic):
    clinic = make_clinic("acme")
    services.record_event(clinic, "start")
    services.record_event(clinic, "step", step="about_you")
    assert kinds() == []
    services.record_event(clinic, "complete")
    assert kinds() == ["start", "step", "complete"]
