"""Health answers at rest: read the raw database and find no answer, reason or score in clear."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from quiz import services
from quiz.extensions import db
from quiz.questions import SUITABILITIES, Questionnaire
from quiz.scoring import Result, score
from tests.helpers import answer_everything
from tests.raw_cells import QUESTIONNAIRE_TABLE, all_cells, find

MIN_ID_LENGTH = 8


def revealing_answers(questionnaire: Questionnaire) -> dict[str, list[str]]:
    """Return a storable answer set choosing, question by question, an option with a reason
    and the longest id, so the lead has as many distinctive strings as possible."""
    chosen: dict[str, list[str]] = {}
    for question in questionnaire.questions:
        options = sorted(question.options, key=lambda o: (o.reason is None, -len(o.id)))
        for option in options:
            trial = {**chosen, question.id: [option.id]}
            try:
                answers = answer_everything(questionnaire, **trial)
            except AssertionError:
                continue
            result = score(questionnaire, answers)
            if result.store_lead and option.id in result.answers.get(question.id, ()):
                chosen = trial
                break
    return answer_everything(questionnaire, **chosen)


def needles_for(questionnaire: Questionnaire, result: Result) -> dict[str, list[str]]:
    """Return the strings that would show this lead's health data in clear, by kind."""
    # Kept in clear by design (filters, analytics): an id inside one of them proves nothing.
    clear = [*SUITABILITIES, *(o.id for o in questionnaire.outcomes)]
    clear += [a.id for a in questionnaire.areas] + [s.id for s in questionnaire.steps]
    option_ids = sorted(
        {
            option_id
            for option_ids in result.answers.values()
            for option_id in option_ids
            if len(option_id) >= MIN_ID_LENGTH and not any(option_id in c for c in clear)
        }
    )
    reasons = [r.text.get("en") for r in result.reasons]
    # Escaped forms too, in case something stores JSON with ensure_ascii.
    reasons += [json.dumps(r)[1:-1] for r in reasons if json.dumps(r)[1:-1] != r]
    scores = [f'"{area}":{value}' for area, value in result.scores.items()]
    scores += [f'"{area}": {value}' for area, value in result.scores.items()]
    return {"option ids": option_ids, "reasons": reasons, "scores": scores}


@pytest.fixture
def stored(app, questionnaire, make_clinic, make_lead):
    """Two leads with distinctive answers, and the strings that would reveal them."""
    clinic = make_clinic(email="leads@clinic.example", webhook_url="https://crm.example/hook")
    answers = revealing_answers(questionnaire)
    result = score(questionnaire, answers)
    needles = needles_for(questionnaire, result)
    # Without enough distinctive strings the scan below would prove nothing.
    assert len(needles["option ids"]) >= 3, needles
    assert len(result.reasons) >= 3, needles
    assert any(result.scores.values()), result.scores
    leads = [
        make_lead(
            clinic,
            answers=answers,
            name="Grace Hopper-Zed",
            email="grace.hopper@example.org",
            phone="+44 20 7946 0999",
            source={"utm_source": "newsletter", "page_url": "https://clinic.example/offer"},
        ),
        make_lead(clinic, answers=answers, name="Alan Turingsson", email="alan@example.net"),
    ]
    return {"leads": leads, "needles": needles}


def test_no_answer_reason_or_score_appears_in_any_cell(app, stored):
    cells = all_cells(app)
    for kind, needles in stored["needles"].items():
        assert find(cells, needles) == [], kind


def test_contact_details_stay_in_clear_and_searchable(app, stored):
    cells = all_cells(app)
    for needle in ("grace.hopper@example.org", "Grace Hopper-Zed", "alan@example.net"):
        assert ("leads", "email" if "@" in needle else "name", needle) in find(cells, [needle])


def test_the_scan_finds_health_data_written_in_clear(app, stored):
    lead = stored["leads"][0]
    plain = json.dumps(services.read_health_data(lead), ensure_ascii=False)
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE leads SET health_data = :plain WHERE id = :id"),
            {"plain": plain, "id": lead.id},
        )
    cells = all_cells(app)
    for kind, needles in stored["needles"].items():
        needles = [n for n in needles if n in plain]
        assert needles, kind
        assert {(t, c, n) for t, c, n in find(cells, needles)} == {
            ("leads", "health_data", n) for n in needles
        }, kind


def test_only_the_questionnaire_itself_is_kept_in_the_snapshot_table(app, stored):
    document = Path(app.config["QUESTIONS_FILE"]).read_text(encoding="utf-8")
    snapshots = [c for c in all_cells(app) if c[0] == QUESTIONNAIRE_TABLE and c[1] == "document"]
    assert [value for _, _, value in snapshots] == [document]


def test_raw_sqlite_file_and_wal_hold_no_health_data(app, stored):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("file bytes are an SQLite matter")
    path = Path(db.engine.url.database)
    db.session.remove()
    db.engine.dispose()
    reasons = [n.encode() for n in stored["needles"]["reasons"]]
    assert any(r in _file_bytes(path) for r in reasons), "the scan must see the questionnaire"

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # Drop the questionnaire's wording and zero the freed pages, so what remains of the
        # reasons could only be a lead's; then fold the WAL into the file.
        connection.execute("PRAGMA secure_delete=ON")
        connection.execute(f"DELETE FROM {QUESTIONNAIRE_TABLE}")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()

    raw = _file_bytes(path)
    for kind, needles in stored["needles"].items():
        leaked = [n for n in needles if n.encode() in raw]
        assert leaked == [], kind
    for needle in ("grace.hopper@example.org", "Grace Hopper-Zed", "alan@example.net"):
        assert needle.encode() in raw


def test_an_api_submission_with_an_idempotency_key_stores_no_health_data_in_clear(
    app, client, questionnaire, make_clinic
):
    clinic = make_clinic()
    answers = revealing_answers(questionnaire)
    needles = needles_for(questionnaire, score(questionnaire, answers))
    response = client.post(
        "/api/v1/assessments",
        json={
            "clinic": clinic.slug,
            "answers": answers,
            "contact": {"name": "Ida Keyed", "email": "ida@example.com"},
            "consent": {"contact": True, "health_data": True},
        },
        headers={"Idempotency-Key": "raw-scan-1"},
    )
    assert response.status_code == 201
    cells = all_cells(app)
    assert find(cells, ["ida@example.com"])
    assert find(cells, needles["reasons"] + needles["scores"]) == []


def _file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")
