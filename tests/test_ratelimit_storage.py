"""The quiz+sqlite rate-limit storage: fixed windows, expiry, and counts shared by processes."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from quiz import create_app
from quiz.config import ConfigError, load_config
from quiz.crypto import new_key
from quiz.ratelimit_storage import SQLiteStorage, path_of

PROCESSES = 4
HITS_EACH = 50


@pytest.fixture
def uri(tmp_path) -> str:
    return f"quiz+sqlite:///{tmp_path / 'counters' / 'ratelimits.db'}"


def test_the_scheme_is_registered_with_limits(uri, tmp_path):
    storage = storage_from_string(uri)
    assert isinstance(storage, SQLiteStorage)
    assert storage.path == tmp_path / "counters" / "ratelimits.db"
    assert storage.check()


@pytest.mark.parametrize("bad", ["quiz+sqlite:///", "quiz+sqlite://host/x.db", "sqlite:///x.db"])
def test_a_uri_without_a_file_is_refused(bad):
    with pytest.raises(ValueError, match="quiz\\+sqlite:///"):
        path_of(bad)


def test_counts_add_up_in_a_window_and_start_again_after_it(uri):
    storage = storage_from_string(uri)
    before = time.time()
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("k", 1, amount=2) == 5
    assert storage.get("k") == 5
    assert storage.get("other") == 0
    assert before + 1 <= storage.get_expiry("k") <= time.time() + 1
    time.sleep(1.05)
    assert storage.get("k") == 0
    # A new window starts at the new hit, with a new expiry.
    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") > time.time() + 58


def test_clear_and_reset_forget_counters(uri):
    storage = storage_from_string(uri)
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert (storage.get("a"), storage.get("b")) == (0, 1)
    assert storage.reset() == 1
    assert storage.get("b") == 0


def test_the_fixed_window_limiter_allows_exactly_the_limit(uri):
    limiter = FixedWindowRateLimiter(storage_from_string(uri))
    limit = parse("3 per minute")
    assert [limiter.hit(limit, "visitor") for _ in range(5)] == [True] * 3 + [False] * 2
    assert limiter.get_window_stats(limit, "visitor").remaining == 0
    assert limiter.hit(limit, "someone-else")


def _hit_many(uri: str, start, results) -> None:
    storage = storage_from_string(uri)
    start.wait()
    results.put([storage.incr("shared", 60) for _ in range(HITS_EACH)])


def test_processes_hitting_at_once_share_one_counter_and_lose_no_hit(uri):
    # Separate processes, as gunicorn's workers are: every increment is seen by the others,
    # and no two of them read the same count.
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_hit_many, args=(uri, start, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    counts = [count for _ in workers for count in results.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(counts) == list(range(1, PROCESSES * HITS_EACH + 1))
    assert storage_from_string(uri).get("shared") == PROCESSES * HITS_EACH


def test_without_redis_the_counters_go_to_a_file_in_the_instance_folder(tmp_path):
    config = load_config(str(tmp_path / "instance"), {})
    assert config["RATELIMIT_STORAGE_URI"] == f"quiz+sqlite:///{tmp_path}/instance/ratelimits.db"


@pytest.mark.parametrize(
    ("redis_url", "storage"),
    [
        ("redis://127.0.0.1:6379/4", "redis://127.0.0.1:6379/4"),
        ("rediss://cache.example:6380/0", "rediss://cache.example:6380/0"),
        # limits spells a Redis socket redis+unix://; redis-py (the job queue) unix://.
        ("unix:///run/redis/redis.sock?db=2", "redis+unix:///run/redis/redis.sock?db=2"),
    ],
)
def test_with_redis_the_counters_go_to_redis(tmp_path, redis_url, storage):
    config = load_config(str(tmp_path / "instance"), {"REDIS_URL": redis_url})
    assert config["RATELIMIT_STORAGE_URI"] == storage
    assert config["REDIS_URL"] == redis_url


def test_an_app_on_a_redis_socket_starts_with_rate_limits_on(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "unix:///nonexistent/redis.sock")
    app = create_app(
        {"SECRET_KEY": "x", "DATA_ENCRYPTION_KEYS": [new_key()]},
        instance_path=str(tmp_path / "instance"),
    )
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis+unix://")


def test_an_instance_folder_that_cannot_hold_the_counters_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(ConfigError) as caught:
        load_config(
            str(blocker / "instance"), {"SECRET_KEY": "x", "DATA_ENCRYPTION_KEY": new_key()}
        )
    message = str(caught.value)
    assert message.startswith("REDIS_URL: ") and "\n" not in message
    assert "ratelimits.db" in message
    # With rate limits off, or with Redis, the folder is not needed for counters.
    for env in ({"RATELIMIT_ENABLED": "false"}, {"REDIS_URL": "redis://127.0.0.1:6379/4"}):
        load_config(
            str(blocker / "instance"), {"SECRET_KEY": "x", "DATA_ENCRYPTION_KEY": new_key(), **env}
        )
