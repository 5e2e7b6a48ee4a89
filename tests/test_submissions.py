"""One submit operation for the quiz's form and the API: what it stores, how it counts the
run in the funnel, and what it does when the database cannot take the lead."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event, func, text

from quiz import services
from quiz.embed import flow
from quiz.extensions import db
from quiz.models import Event, Lead
from quiz.services import submissions
from quiz.state import StateSigner
from quiz.validation import Consent, Contact
from tests.helpers import CONTACT, answer_everything

pytestmark = pytest.mark.batched_events

API_CONTACT = {"name": "Grace Hopper", "email": "grace@example.com"}
API_CONSENT = {"contact": True, "health_data": True}


@pytest.fixture
def app_config(app_config):
    """Forms may be sent at once: these tests are about what is stored, not about bots."""
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


def stored(kind: str) -> int:
    """How many events of a kind are in the database (the buffer is not counted)."""
    return db.session.execute(
        db.select(func.count()).select_from(Event).filter_by(kind=kind)
    ).scalar_one()


def leads() -> int:
    return db.session.execute(db.select(func.count()).select_from(Lead)).scalar_one()


def test_the_funnel_never_shows_more_leads_than_completions(
    app, client, visitor, make_clinic, questionnaire
):
    make_clinic("after")
    make_clinic("before", contact_timing="before")
    for slug in ("after", "before"):
        visitor.to_result(slug, questionnaire)
        assert visitor.contact(slug).status_code == 200
        # Nothing flushed the buffer: what is on disk already must add up.
        assert stored("lead") <= stored("complete")
    body = {
        "clinic": "after",
        "answers": answer_everything(questionnaire),
        "contact": API_CONTACT,
        "consent": API_CONSENT,
    }
    assert client.post("/api/v1/assessments", json=body).status_code == 201
    assert (leads(), stored("lead"), stored("complete")) == (3, 3, 3)
    services.flush_events(app)
    assert (stored("lead"), stored("complete")) == (3, 3), "each run counted complete once"


def test_a_result_page_that_asks_for_details_counts_the_completion_at_once(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    visitor.to_result("acme", questionnaire)
    assert 'name="email"' in visitor.text
    assert stored("complete") == 1


def test_a_completion_no_lead_can_follow_waits_in_the_buffer(
    app, client, visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    make_clinic("first", contact_timing="before")
    body = {"clinic": "acme", "answers": answer_everything(questionnaire)}
    assert client.post("/api/v1/assessments", json=body).status_code == 200
    visitor.to_result("acme", questionnaire, age="under_18")  # a result that stores nothing
    visitor.to_result("first", questionnaire)
    visitor.contact("first", action="skip")
    assert stored("complete") == 0
    services.flush_events(app)
    assert stored("complete") == 3 and stored("lead") == 0


def test_each_run_is_counted_complete_once_whatever_the_visitor_sends(
    app, visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    make_clinic("first", contact_timing="before")
    # Refused details, then good ones: one run, one completion, one lead.
    visitor.to_result("first", questionnaire)
    assert visitor.contact("first", consent_health=None).status_code == 422
    assert visitor.contact("first").status_code == 200
    # Details posted after an under-18 result are refused; the run was counted once.
    visitor.open("acme")
    visitor.start("acme")
    signer = StateSigner(app.secret_key, app.config["QUIZ_TOKEN_MAX_AGE"])
    state = signer.loads(visitor.token(), "acme")
    visitor.answer("acme", {"age": ["under_18"]})
    done = signer.dumps(replace(state, answers={"age": ["under_18"]}, step=99, started=0))
    visitor.client.post("/embed/acme/contact", data={"state": done, **CONTACT})
    services.flush_events(app)
    assert (stored("complete"), stored("lead"), leads()) == (2, 1, 1)


def test_a_bot_is_neither_stored_nor_counted(app, visitor, make_clinic, questionnaire):
    make_clinic("first", contact_timing="before")
    visitor.to_result("first", questionnaire)
    assert visitor.contact("first", website="http://spam.example").status_code == 200
    services.flush_events(app)
    assert (stored("complete"), stored("lead"), leads()) == (0, 0, 0)


# --------------------------------------------------------------------------- database down


def _leads_table_away():
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE leads RENAME TO leads_away"))


def _leads_table_back():
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE leads_away RENAME TO leads"))


def test_a_refused_lead_raises_database_unavailable_and_leaves_the_clinic_readable(
    app, make_clinic, questionnaire
):
    make_clinic("acme", name="Acme", origins=["https://acme.example"])
    clinic = services.visitor_clinic("acme")
    result = submissions.assess(clinic, answer_everything(questionnaire))
    statements: list[str] = []
    _leads_table_away()
    try:
        with pytest.raises(services.DatabaseUnavailable):
            submissions.submit_assessment(
                clinic,
                result,
                language="en",
                source={},
                contact=Contact("Ada", "ada@example.com"),
                consent=Consent(True, True),
                submission_id="run-1",
            )

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            # The page that says "not saved" needs the clinic without asking the database.
            assert (clinic.name, clinic.origins, clinic.contact_timing) == (
                "Acme",
                ["https://acme.example"],
                "after",
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    finally:
        _leads_table_back()
    assert statements == []
    assert leads() == 0 and stored("lead") == 0 and stored("complete") == 0


def test_the_api_answers_a_refused_lead_with_a_503_in_its_error_shape(
    client, make_clinic, questionnaire
):
    make_clinic("acme", origins=["https://acme.example"])
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": API_CONTACT,
        "consent": API_CONSENT,
    }
    _leads_table_away()
    try:
        response = client.post(
            "/api/v1/assessments", json=body, headers={"Origin": "https://acme.example"}
        )
    finally:
        _leads_table_back()
    assert response.status_code == 503
    assert list(response.get_json()["errors"]) == ["request"]
    assert response.headers["Access-Control-Allow-Origin"] == "https://acme.example"
    assert leads() == 0
    again = client.post("/api/v1/assessments", json=body)
    assert again.status_code == 201 and leads() == 1


def test_the_result_page_still_shows_when_its_completion_cannot_be_written(
    app, visitor, make_clinic, questionnaire
):
    app.config["CLINIC_CACHE_SECONDS"] = 60  # the clinic comes from the cache, as in production
    make_clinic("acme")
    answers = answer_everything(questionnaire)
    signer = StateSigner(app.secret_key, app.config["QUIZ_TOKEN_MAX_AGE"])
    last = flow.applicable_steps(questionnaire, answers)[-1]
    visitor.open("acme")
    visitor.start("acme")
    while signer.loads(visitor.token(), "acme").step != last:
        assert visitor.answer("acme", answers).status_code == 200
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE events RENAME TO events_away"))
        conn.execute(text("ALTER TABLE clinics RENAME TO clinics_away"))
    try:
        response = visitor.answer("acme", answers)
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE events_away RENAME TO events"))
            conn.execute(text("ALTER TABLE clinics_away RENAME TO clinics"))
    assert response.status_code == 200, response.text[-1000:]
    assert 'name="email"' in response.text and visitor.event() == "complete"
