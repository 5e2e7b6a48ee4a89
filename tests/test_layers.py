"""Views and commands read through quiz.queries and write through quiz.services, never the
session: no view module imports the database handle or builds SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

QUIZ = Path(__file__).resolve().parent.parent / "quiz"
# The back office, the JSON API, the command line and the visitor's blueprint.
VIEWS = sorted(
    [
        *(QUIZ / "admin").rglob("*.py"),
        *(QUIZ / "api").rglob("*.py"),
        *(QUIZ / "commands").rglob("*.py"),
        *(QUIZ / "embed").rglob("*.py"),
        *[path for path in [QUIZ / "embed.py"] if path.exists()],
    ]
)


def database_imports(path: Path) -> list[str]:
    """Return what a module imports of the session or of SQL building (errors are allowed)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "quiz.extensions" and "db" in names:
                found.append("quiz.extensions.db")
            # Catching a database error to say it in one line is not touching the session.
            elif node.module.split(".")[0] == "sqlalchemy" and node.module != "sqlalchemy.exc":
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
    return found


def test_the_check_sees_a_view_that_imports_the_session(tmp_path):
    view = tmp_path / "view.py"
    view.write_text("from quiz.extensions import csrf, db\nfrom sqlalchemy import select\n")
    assert database_imports(view) == ["quiz.extensions.db", "sqlalchemy"]


@pytest.mark.parametrize("path", VIEWS, ids=lambda path: str(path.relative_to(QUIZ)))
def test_views_use_queries_and_services_not_the_session(path: Path):
    assert database_imports(path) == []
