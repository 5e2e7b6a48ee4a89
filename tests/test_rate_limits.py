"""Rate limits shared through Redis hold across gunicorn workers."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis

from tests.servers import gunicorn
from tests.test_concurrency import submit

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL unset: no Redis to share")


@pytest.fixture
def two_workers_on_redis(tmp_path: Path):
    """`gunicorn -w 2` with rate limits on, stored in Redis under a key prefix of its own."""
    prefix = f"test-{uuid.uuid4().hex}"
    try:
        with gunicorn(
            tmp_path,
            workers=2,
            clinic="limited",
            RATELIMIT_ENABLED="true",
            RATELIMIT_KEY_PREFIX=prefix,
            REDIS_URL=REDIS_URL,
        ) as served:
            yield served.base, prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def test_twenty_assessments_a_minute_per_address_across_workers(two_workers_on_redis):
    base, prefix = two_workers_on_redis
    # Without contact details nothing is stored: each request only spends the limit.
    payload = {"clinic": "limited", "answers": {}}
    statuses = [submit(base, payload)[0] for _ in range(26)]
    assert statuses.count(429) == 6, statuses
    assert all(status == 422 for status in statuses[:20]), statuses[:20]
    # The counters live in Redis, where every worker (and server) reads the same ones.
    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))
