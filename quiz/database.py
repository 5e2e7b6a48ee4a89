"""Engine set-up: SQLite pragmas and immediate write transactions, write-transaction helper,
and the error a service raises when the database cannot take its write."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from quiz.extensions import db

_IMMEDIATE = "quiz_begin_immediate"


class DatabaseUnavailable(Exception):
    """The database could not take a write (unreachable, or refusing it): nothing was stored.

    Raised by a service that has rolled back, so the caller can answer without touching the
    database again (the quiz shows its form again with everything typed kept).
    """


def configure_engine(engine: Engine) -> None:
    """Make SQLite safe for several processes: WAL, a busy timeout, immediate write locks."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY
        # under concurrency, whatever the busy timeout; writers take the lock up front.
        if connection.get_execution_options().get(_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction():
    """Run a block as one write transaction on the session: commit on success, roll back on error.

    On SQLite the transaction takes the write lock first (BEGIN IMMEDIATE). A read
    transaction left open is ended first; objects already loaded keep their state, so a
    block that must decide on current rows queries them inside the block.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.rollback()  # never let half-made changes ride along with this write
    else:
        session.commit()  # ends the read transaction without expiring what was loaded
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def separate_write_transaction():
    """Run a block as one write transaction on a connection of its own, outside the session.

    For best-effort writes (funnel events): when the database refuses one, only this block is
    rolled back, and nothing the request's session has loaded is expired (reloading it would
    need the database that just failed). Takes the write lock first on SQLite, as above.
    """
    session = db.session
    if not (session.new or session.dirty or session.deleted):
        # End the session's read transaction (a commit of nothing expires nothing), so what
        # the request reads after this write includes it.
        session.commit()
    with db.engine.connect() as connection:
        connection.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            yield connection
