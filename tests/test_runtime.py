"""The app's runtime: one object built by create_app, its caches and its event buffer."""

from __future__ import annotations

import pytest

from quiz import create_app, runtime
from quiz.crypto import new_key
from quiz.questions import load
from quiz.runtime import EventBuffer, TimedCache


@pytest.fixture
def clock(monkeypatch):
    """A monotonic clock the test moves by hand."""
    now = [1000.0]
    monkeypatch.setattr("quiz.runtime.time.monotonic", lambda: now[0])
    return now


def test_a_cached_value_is_fresh_only_while_younger_than_asked(clock):
    cache: TimedCache[str, str] = TimedCache()
    cache.put("acme", "copy")
    clock[0] += 9.9
    assert cache.get("acme", max_age=10) == "copy"
    clock[0] += 0.1
    assert cache.get("acme", max_age=10) is None
    # Still held: the clinic cache serves it while the database is away.
    assert cache.get("acme") == "copy"
    cache.pop("acme")
    assert cache.get("acme") is None


def test_a_cache_with_a_limit_starts_over_instead_of_growing():
    cache: TimedCache[int, int] = TimedCache(limit=3)
    for key in range(3):
        cache.put(key, key)
    assert len(cache) == 3
    cache.put(3, 3)
    assert len(cache) == 1 and cache.get(3) == 3 and cache.get(0) is None


def test_the_event_buffer_hands_rows_back_once_it_holds_its_size(clock):
    buffer = EventBuffer(size=3, seconds=60)
    assert buffer.keeps_rows
    assert buffer.add({"n": 1}) == [] and buffer.add({"n": 2}) == []
    assert buffer.add({"n": 3}) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert buffer.drain() == []


def test_the_event_buffer_hands_rows_back_once_the_oldest_waited_its_seconds(clock):
    buffer = EventBuffer(size=50, seconds=5)
    assert buffer.add({"n": 1}) == []
    clock[0] += 5
    assert buffer.add({"n": 2}) == [{"n": 1}, {"n": 2}]
    assert buffer.add({"n": 3}) == []
    assert buffer.drain() == [{"n": 3}]


def test_an_event_buffer_without_seconds_keeps_nothing():
    buffer = EventBuffer(size=50, seconds=0)
    assert not buffer.keeps_rows
    assert buffer.add({"n": 1}) == [{"n": 1}]


def test_create_app_builds_one_runtime_from_the_config(app):
    state = runtime.runtime(app)
    assert app.extensions[runtime.EXTENSION] is state
    assert state.questionnaire.version == load(app.config["QUESTIONS_FILE"]).version
    assert state.event_buffer.size == app.config["EVENT_BUFFER_SIZE"]
    assert state.event_buffer.seconds == app.config["EVENT_BUFFER_SECONDS"]
    with app.app_context():
        assert runtime.questionnaire() is state.questionnaire
        assert runtime.vault() is state.vault


def test_the_caching_defaults_come_from_the_config_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'quiz.db'}")
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new_key())
    app = create_app(instance_path=str(tmp_path / "instance"))
    # config.py's defaults, not a fallback in the code that reads them.
    assert app.config["CLINIC_CACHE_SECONDS"] == 10
    assert (app.config["EVENT_BUFFER_SIZE"], app.config["EVENT_BUFFER_SECONDS"]) == (50, 5)
    buffer = runtime.runtime(app).event_buffer
    assert (buffer.size, buffer.seconds, buffer.keeps_rows) == (50, 5, True)
