"""Every cell of every table, read beneath the ORM (SQLite or PostgreSQL), and a search
through them: what an attacker holding a copy of the database would see."""

from __future__ import annotations

import sqlite3

from sqlalchemy import text

from quiz.extensions import db

# Holds the questionnaire's own wording (the same for everyone), not anybody's answers.
QUESTIONNAIRE_TABLE = "questionnaire_snapshots"


def all_cells(app) -> list[tuple[str, str, str]]:
    """Return (table, column, text) for every cell of every table, read beneath the ORM."""
    if db.engine.dialect.name == "sqlite":
        db.session.remove()
        path = db.engine.url.database
        connection = sqlite3.connect(path)
        try:
            cells = []
            tables = [
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                cursor = connection.execute(f'SELECT * FROM "{table}"')
                columns = [d[0] for d in cursor.description]
                for row in cursor:
                    for column, value in zip(columns, row, strict=True):
                        if value is None:
                            continue
                        if isinstance(value, bytes):
                            value = value.decode("utf-8", "replace")
                        cells.append((table, column, str(value)))
            return cells
        finally:
            connection.close()
    cells = []
    with db.engine.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
            )
        ).all()
        for table, column in columns:
            rows = connection.execute(
                text(f'SELECT CAST("{column}" AS text) FROM "{table}"')
            ).scalars()
            cells.extend((table, column, value) for value in rows if value is not None)
    return cells


def find(cells, needles, *, skip_tables=(QUESTIONNAIRE_TABLE,)) -> list[tuple[str, str, str]]:
    """Return (table, column, needle) for every needle found (case-insensitively) in a cell."""
    found = []
    for table, column, value in cells:
        if table in skip_tables:
            continue
        lowered = value.lower()
        found.extend((table, column, n) for n in needles if n.lower() in lowered)
    return found
