"""Storing a lead: the questionnaire snapshot tolerates a concurrent first lead."""

from __future__ import annotations

from quiz.extensions import db
from quiz.models import Lead, QuestionnaireSnapshot


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
