"""SQLite under several writer processes: why the app uses WAL, a busy timeout and BEGIN IMMEDIATE.

Each of N processes runs M transactions that read (SELECT) and then write (INSERT), the shape
of a lead submission, under one of four settings, and the table shows how many succeeded and
how many failed with "database is locked".

    .venv/bin/python benchmarks/sqlite_writers.py [--processes 4] [--writes 300]

Bounded: a fixed number of writes per process, a temporary database, nothing else touched.
The last column "app" runs the same writes through the app's own engine set-up
(quiz.database.configure_engine and write_transaction), to show it matches the safe row.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (label, journal mode, busy timeout in ms, how the transaction begins)
SETTINGS = [
    ("WAL, no busy timeout, IMMEDIATE", "WAL", 0, "BEGIN IMMEDIATE"),
    ("WAL, 5 s timeout, deferred BEGIN", "WAL", 5000, "BEGIN"),
    ("WAL, 5 s timeout, IMMEDIATE", "WAL", 5000, "BEGIN IMMEDIATE"),
    ("rollback journal, 5 s, IMMEDIATE", "DELETE", 5000, "BEGIN IMMEDIATE"),
]


def _writer(path: str, journal: str, timeout_ms: int, begin: str, writes: int) -> tuple[int, int]:
    """Run `writes` read-then-write transactions; return (succeeded, locked)."""
    conn = sqlite3.connect(path, timeout=timeout_ms / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
    conn.execute("PRAGMA synchronous=NORMAL")
    ok = locked = 0
    for n in range(writes):
        try:
            conn.execute(begin)
            conn.execute("SELECT count(*) FROM leads").fetchone()
            conn.execute("INSERT INTO leads (email) VALUES (?)", (f"v{n}@example.com",))
            conn.execute("COMMIT")
            ok += 1
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            locked += 1
    conn.close()
    return ok, locked


def _app_writer(path: str, writes: int) -> tuple[int, int]:
    """The same writes through the app's engine set-up and write_transaction()."""
    from flask import Flask
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from quiz.database import configure_engine, write_transaction
    from quiz.extensions import db

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    db.init_app(app)
    ok = locked = 0
    with app.app_context():
        configure_engine(db.engine)
        for n in range(writes):
            try:
                with write_transaction() as session:
                    session.execute(text("SELECT count(*) FROM leads")).scalar()
                    session.execute(
                        text("INSERT INTO leads (email) VALUES (:email)"),
                        {"email": f"v{n}@example.com"},
                    )
                ok += 1
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                locked += 1
    return ok, locked


def _fresh_database(folder: Path, name: str, journal: str) -> str:
    path = folder / f"{name}.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA journal_mode={journal}")
        conn.execute("CREATE TABLE leads (id INTEGER PRIMARY KEY, email TEXT NOT NULL)")
    return str(path)


def main(argv: list[str] | None = None) -> int:
    """Run every setting and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--writes", type=int, default=300, help="transactions per process")
    args = parser.parse_args(argv)
    if not 1 <= args.processes <= 32 or not 1 <= args.writes <= 10_000:
        parser.error("keep --processes within 1-32 and --writes within 1-10000")
    total = args.processes * args.writes
    print(f"SQLite {sqlite3.sqlite_version}: {args.processes} processes x {args.writes} writes")
    print(f"{'setting':<36} {'ok':>6} {'locked':>7} {'commits/s':>10}")
    with tempfile.TemporaryDirectory(prefix="sqlite-writers-") as tmp:
        folder = Path(tmp)
        rows = [(label, journal, (timeout, begin)) for label, journal, timeout, begin in SETTINGS]
        rows.append(("the app's write_transaction (WAL)", "WAL", None))
        for number, (label, journal, how) in enumerate(rows):
            path = _fresh_database(folder, f"run{number}", journal)
            started = time.perf_counter()
            with ProcessPoolExecutor(args.processes) as pool:
                if how is None:
                    futures = [
                        pool.submit(_app_writer, path, args.writes) for _ in range(args.processes)
                    ]
                else:
                    futures = [
                        pool.submit(_writer, path, journal, how[0], how[1], args.writes)
                        for _ in range(args.processes)
                    ]
                results = [f.result() for f in futures]
            elapsed = time.perf_counter() - started
            ok = sum(r[0] for r in results)
            locked = sum(r[1] for r in results)
            rate = f"{ok / elapsed:>10.0f}" if ok == total else f"{'-':>10}"
            print(f"{label:<36} {ok:>6} {locked:>7} {rate}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
