"""Rate-limit counters in a SQLite file, shared by every worker process on one machine.

Flask-Limiter's memory:// storage counts per process, so with several gunicorn workers a
limit of 20 lets through up to 20 per worker. Without Redis the counters live here instead,
registered with the `limits` library under the `quiz+sqlite` scheme:
`quiz+sqlite:///relative/path.db` or `quiz+sqlite:////absolute/path.db` (as SQLAlchemy spells
SQLite URLs). Only the fixed-window strategy, Flask-Limiter's default, is supported.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import ClassVar

from limits.storage import Storage

SCHEME = "quiz+sqlite"
# How long a worker waits for another to finish its write before giving up: writes are one
# short statement, so a wait this long only happens when the disk is stalled.
BUSY_TIMEOUT_MS = 5000
# Expired counters are deleted at most this often by each process.
PURGE_SECONDS = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""
# One statement, so the read of the old window and the write of the new count are atomic
# between processes: SQLite holds the database's write lock for its whole run. A window that
# has expired starts again at `amount`, with a fresh expiry.
_INCREMENT = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires_at <= :now THEN excluded.count ELSE count + excluded.count END,
    expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END
RETURNING count
"""


def path_of(uri: str) -> Path:
    """Return the file a `quiz+sqlite:///…` URI names; ValueError when it names none."""
    prefix = f"{SCHEME}:///"
    if not uri.startswith(prefix) or len(uri) == len(prefix):
        raise ValueError(f"expected {prefix}path/to/file.db, got {uri!r}")
    return Path(uri[len(prefix) :])


class SQLiteStorage(Storage):
    """A `limits` storage keeping fixed-window counters in one SQLite file (WAL mode)."""

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        """Remember the file; it is opened (and created) on first use in each process."""
        self.path = path_of(uri)
        self._local = threading.local()
        self._purged_at = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        """The errors of this storage that `limits` may wrap in its StorageError."""
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process: a connection must not cross a fork
        # (gunicorn workers) and sqlite3 connections are not shared between threads.
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, each statement its own transaction.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        # WAL lets readers go on while one worker writes; losing the last counts on a power
        # cut is harmless, so the log need not be synced on every commit.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(_SCHEMA)
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the counter of `key`, starting a window of `expiry` seconds."""
        now = time.time()
        conn = self._connection()
        (count,) = conn.execute(
            _INCREMENT, {"key": key, "amount": amount, "expires_at": now + expiry, "now": now}
        ).fetchone()
        if now - self._purged_at > PURGE_SECONDS:
            self._purged_at = now
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return count

    def get(self, key: str) -> int:
        """Return the count of `key` in its current window (0 when it has none)."""
        row = (
            self._connection()
            .execute(
                "SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
            )
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        """Return when the window of `key` ends, as epoch seconds (now when it has none)."""
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now))
            .fetchone()
        )
        return row[0] if row else now

    def check(self) -> bool:
        """Tell whether the file can be read."""
        try:
            self._connection().execute("SELECT 1 FROM counters LIMIT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Delete every counter; return how many there were."""
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        """Delete the counter of `key`."""
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
