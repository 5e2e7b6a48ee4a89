"""Rate limits hold across gunicorn workers: in Redis, and without it in a file on the machine."""

from __future__ import annotations

import html
import os
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis

from tests.servers import ROOT, gunicorn, submit

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL unset: no Redis to share")
# Where the app keeps its counters without Redis (its instance folder is the checkout's).
COUNTERS = ROOT / "instance" / "ratelimits.db"
# Enough threads that gunicorn's workers all take a share of the requests.
THREADS = 8


@pytest.fixture
def prefix():
    """A key prefix of this test's own, its counters deleted afterwards wherever they live."""
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    if REDIS_URL:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    if COUNTERS.exists():
        with sqlite3.connect(COUNTERS) as conn:
            conn.execute("DELETE FROM counters WHERE key LIKE ?", (f"%{prefix}%",))


def served_with_limits(tmp_path: Path, prefix: str, workers: int, **env: str):
    return gunicorn(
        tmp_path,
        workers=workers,
        clinic="limited",
        RATELIMIT_ENABLED="true",
        RATELIMIT_KEY_PREFIX=prefix,
        **env,
    )


def assess_at_once(base: str, count: int) -> list[int]:
    # Without contact details nothing is stored: each request only spends the limit.
    payload = {"clinic": "limited", "answers": {}}
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda _: submit(base, payload)[0], range(count)))


@needs_redis
def test_twenty_assessments_a_minute_per_address_across_workers_on_redis(tmp_path, prefix):
    with served_with_limits(tmp_path, prefix, 2, REDIS_URL=REDIS_URL) as served:
        statuses = assess_at_once(served.base, 26)
    assert statuses.count(429) == 6, statuses
    assert statuses.count(422) == 20, statuses
    # The counters live in Redis, where every worker (and server) reads the same ones.
    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))


def test_twenty_assessments_a_minute_per_address_across_four_workers_without_redis(
    tmp_path, prefix
):
    with served_with_limits(tmp_path, prefix, 4) as served:
        statuses = assess_at_once(served.base, 120)
    assert statuses.count(422) == 20, statuses
    assert statuses.count(429) == 100, statuses


class SignIn:
    """A browser at the sign-in page: its own session cookie and the form's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with self.opener.open(f"{base}/admin/login") as page:
            text = page.read().decode()
        self.token = html.unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)[1])

    def attempt(self) -> int:
        data = urllib.parse.urlencode(
            {"csrf_token": self.token, "email": "nobody@clinic.example", "password": "Wrong-1"}
        ).encode()
        try:
            with self.opener.open(f"{self.base}/admin/login", data=data) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code


def test_ten_sign_in_attempts_a_minute_per_address_across_two_workers_without_redis(
    tmp_path, prefix
):
    with served_with_limits(tmp_path, prefix, 2) as served:
        browsers = [SignIn(served.base) for _ in range(4)]
        with ThreadPoolExecutor(len(browsers)) as pool:
            statuses = list(pool.map(lambda n: browsers[n % len(browsers)].attempt(), range(40)))
    assert statuses.count(429) == 30, statuses
    assert all(status < 500 for status in statuses), statuses
