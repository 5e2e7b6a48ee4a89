"""The layers the README draws, checked from the code's imports and names (read with ast):
a pure core that imports no framework, and views and commands that read through
quiz.queries and write through quiz.services, neither importing nor using the session."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

QUIZ = Path(__file__).resolve().parent.parent / "quiz"

# The pure core: no Flask, no SQLAlchemy, no app or request, so it runs and is tested alone.
# messages.py is the way pure modules mark text for translation, so it is pure too.
PURE_PATTERNS = (
    "questions/*.py",
    "scoring.py",
    "exports.py",
    "crypto.py",
    "state.py",
    "validation.py",
    "limits.py",  # the table of field lengths validation reads
    "messages.py",
    "limits.py",  # the longest value of each field
    "conversions.py",  # offline-conversion files for the ad platforms
    "snippets.py",  # the embed code clinics paste
    "embed/flow.py",  # the visitor path's step flow
    "embed/result_text.py",  # what the result screen shows first
    "followup.py",  # follow-up deadlines and the returning-visitor index
)
# Third-party libraries that are pure themselves: a pure module may use these.
PURE_LIBRARIES = {"cryptography", "email_validator", "itsdangerous", "rustpy_xlsxwriter"}
# Where requests and commands come in (the back office, the JSON API, the visitor's
# blueprint, the command line): they call queries and services, never the session.
VIEW_PATTERNS = ("admin/**/*.py", "api/**/*.py", "embed.py", "embed/**/*.py", "commands/**/*.py")


def _modules(patterns: tuple[str, ...]) -> dict[str, Path]:
    """Map the dotted name of every file matching the patterns to its path."""
    found = {}
    for pattern in patterns:
        for path in sorted(QUIZ.glob(pattern)):
            parts = path.relative_to(QUIZ.parent).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


PURE = _modules(PURE_PATTERNS)
VIEWS = _modules(VIEW_PATTERNS)


def _imports(name: str, path: Path) -> set[str]:
    """Return every module a file imports, at the top or inside a function, by full name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            imported.add(base)
            # `from quiz import scoring` imports the module quiz.scoring.
            imported.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in imported if module}


def _quiz_module(module: str) -> bool:
    """Tell whether `module` names a module or package of quiz (not a name inside one)."""
    relative = Path(*module.split("."))
    root = QUIZ.parent
    return (root / relative).with_suffix(".py").is_file() or (root / relative).is_dir()


def _impure(module: str) -> bool:
    """Tell whether a pure module may not import `module`."""
    top = module.split(".")[0]
    if top == "quiz":
        # The package itself (`from quiz import scoring`) is where create_app lives; what a
        # module uses is the module it names.
        return module != "quiz" and _quiz_module(module) and module not in PURE
    return top not in sys.stdlib_module_names and top not in PURE_LIBRARIES


def test_the_patterns_find_the_pure_core_and_the_views():
    assert {"quiz.questions", "quiz.questions.parser", "quiz.scoring", "quiz.crypto"} <= set(PURE)
    assert {"quiz.api.leads", "quiz.admin.leads", "quiz.commands.clinics"} <= set(VIEWS)


def test_the_purity_check_refuses_the_framework_and_the_app():
    assert [m for m in ("flask", "flask_babel", "sqlalchemy.orm", "werkzeug") if _impure(m)] == [
        "flask",
        "flask_babel",
        "sqlalchemy.orm",
        "werkzeug",
    ]
    assert _impure("quiz.models") and _impure("quiz.runtime") and _impure("quiz.services")
    assert not any(map(_impure, ("json", "quiz", "quiz.messages", "quiz.messages.N_")))


@pytest.mark.parametrize("name", sorted(PURE))
def test_a_pure_module_imports_only_the_standard_library_pure_libraries_and_pure_modules(name):
    imported = _imports(name, PURE[name])
    # A pure module that imports another module of quiz makes that one part of the pure core
    # too: each is checked here in turn, so nothing impure is reached through another.
    assert sorted(m for m in imported if _impure(m)) == []


def _database_access(path: Path) -> list[str]:
    """Return each place a file uses the session or builds a select, as `line: what`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in {("db", "session"), ("db", "select")}
        ):
            found.append((node.lineno, f"db.{node.attr}"))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"sa", "sqlalchemy"}
            and node.attr == "select"
        ):
            found.append((node.lineno, f"{node.value.id}.select"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            if any(alias.name == "select" for alias in node.names):
                found.append((node.lineno, f"from {node.module} import select"))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "select":
            found.append((node.lineno, "select(…)"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_no_view_touches_the_session_or_builds_a_select():
    offenders = {
        str(path.relative_to(QUIZ.parent)): found
        for path in VIEWS.values()
        if (found := _database_access(path))
    }
    assert offenders == {}


def test_the_database_check_finds_each_way_of_querying(tmp_path):
    sample = tmp_path / "view.py"
    sample.write_text(
        "from sqlalchemy import select\n"
        "from quiz.extensions import db\n"
        "db.session.execute(select(Lead))\n"
        "db.select(Lead)\n"
        "sqlalchemy.select(Lead)\n"
    )
    assert _database_access(sample) == [
        "1: from sqlalchemy import select",
        "3: db.session",
        "3: select(…)",
        "4: db.select",
        "5: sqlalchemy.select",
    ]


def _database_imports(path: Path) -> list[str]:
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


def test_the_import_check_sees_a_view_that_imports_the_session(tmp_path):
    view = tmp_path / "view.py"
    view.write_text("from quiz.extensions import csrf, db\nfrom sqlalchemy import select\n")
    assert _database_imports(view) == ["quiz.extensions.db", "sqlalchemy"]


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_no_view_imports_the_session_or_sql_building(name):
    assert _database_imports(VIEWS[name]) == []
