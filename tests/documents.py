"""Questionnaire documents for tests: the shipped one, the minimal fixture, and builders that
change one field of it at a time."""

from __future__ import annotations

import json
from pathlib import Path

SHIPPED = Path(__file__).parent.parent / "questions.json"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_document(name: str) -> dict:
    """Return a document from tests/fixtures by name."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def make_document(**overrides) -> dict:
    """Return the minimal valid document with top-level fields replaced."""
    document = fixture_document("minimal")
    document.update(overrides)
    return document


def make_question(qid: str = "extra", **overrides) -> dict:
    """Return a valid single-choice question with fields replaced."""
    question = {
        "id": qid,
        "type": "single",
        "step": "about",
        "text": "Another question?",
        "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
    }
    question.update(overrides)
    return question


def make_option(oid: str = "c", **overrides) -> dict:
    """Return an option labelled with its id, with fields replaced."""
    option = {"id": oid, "label": oid.upper()}
    option.update(overrides)
    return option
