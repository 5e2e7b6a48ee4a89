"""Rate limits shared through Redis hold across gunicorn workers."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
import redis

from quiz.crypto import new_key
from tests.test_concurrency import BIN, ROOT, free_port, run_flask, submit, wait_until_serving

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL unset: no Redis to share")


@pytest.fixture
def two_workers_on_redis(tmp_path: Path):
    """`gunicorn -w 2` with rate limits on, stored in Redis under a key prefix of its own."""
    prefix = f"test-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "QUESTIONS_FILE"}}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'quiz.db'}",
        SECRET_KEY="rate-limit-test-secret",
        DATA_ENCRYPTION_KEY=new_key(),
        RATELIMIT_ENABLED="true",
        RATELIMIT_KEY_PREFIX=prefix,
        REDIS_URL=REDIS_URL,
    )
    run_flask(env, "db", "upgrade")
    run_flask(env, "clinic", "create", "limited", "--name", "Limited Clinic")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-w", "2",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server, log)
        yield base, prefix
    finally:
        server.terminate()
        server.wait(timeout=15)
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
