"""The audit log's one writer: entries ride on the caller's transaction, cut to fit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.models import AuditEntry
from quiz.services.audit import add_audit

QUIZ = Path(__file__).resolve().parent.parent / "quiz"


def entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars())


def test_an_entry_is_stored_with_its_transaction_and_cut_to_the_columns(app):
    with write_transaction() as session:
        add_audit(session, "a" * 300, "x" * 50, {"count": 1})
        add_audit(session, "", "login", {})
    first, second = entries()
    assert (first.actor, first.action, first.detail) == ("a" * 254, "x" * 40, {"count": 1})
    assert second.actor == "system"


def test_an_entry_of_a_transaction_that_fails_is_not_stored(app):
    with pytest.raises(RuntimeError), write_transaction() as session:
        add_audit(session, "admin@clinic.example", "erasure", {"count": 3})
        raise RuntimeError("the action failed")
    assert entries() == []


def test_only_the_audit_service_builds_audit_entries():
    writers = []
    for path in sorted(QUIZ.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AuditEntry":
                writers.append(str(path.relative_to(QUIZ)))
    assert writers == ["services/audit.py"]
