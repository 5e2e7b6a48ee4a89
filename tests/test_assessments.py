"""Storing a lead: the questionnaire snapshot tolerates a concurrent first lead."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from quiz.config import ROOT
from quiz.extensions import db
from quiz.models import Lead, QuestionnaireSnapshot


@pytest.fixture
def app_config(app_config, tmp_path):
    """The app reads a copy of the questionnaire, which a test may edit while the app runs."""
    shutil.copy(ROOT / "questions.json", tmp_path / "questions.json")
    shutil.copytree(ROOT / "quiz" / "content", tmp_path / "quiz" / "content")
    return {**app_config, "QUESTIONS_FILE": str(tmp_path / "questions.json")}


def test_a_snapshot_stored_meanwhile_by_another_worker_does_not_fail_the_lead(
    app, make_clinic, make_lead, questionnaire, monkeypatch
):
    clinic = make_clinic()
    db.session.add(QuestionnaireSnapshot(version=questionnaire.version, document="{}"))
    db.session.commit()
    # This worker looked before the other one stored it: it will insert the same version.
    original_get = db.session.get
    monkeypatch.setattr(
        db.session,
        "get",
        lambda model, key, **kw: (
            None if model is QuestionnaireSnapshot else original_get(model, key, **kw)
        ),
    )
    make_lead(clinic)
    monkeypatch.undo()
    assert db.session.execute(db.select(Lead)).scalar_one()
    assert db.session.execute(db.select(QuestionnaireSnapshot)).scalar_one().document == "{}"


def test_the_snapshot_is_the_text_loaded_at_start_even_when_the_file_changed_since(
    app, make_clinic, make_lead, questionnaire
):
    path = Path(app.config["QUESTIONS_FILE"])
    loaded = path.read_text(encoding="utf-8")
    # Someone edits the file on the server; the running app still asks what it loaded.
    path.write_text(loaded.replace("mesotherapy", "MESOTHERAPY"), encoding="utf-8")
    lead = make_lead(make_clinic())
    snapshot = db.session.get(QuestionnaireSnapshot, lead.questionnaire_version)
    assert lead.questionnaire_version == questionnaire.version
    assert snapshot.document == loaded
    assert hashlib.sha256(snapshot.document.encode()).hexdigest()[:12] == snapshot.version
