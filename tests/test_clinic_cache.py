"""The visitor's path keeps working from a cached clinic, and analytics never block it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, inspect, text

from quiz import services
from quiz.extensions import db
from quiz.models import Clinic, Event, Lead
from quiz.runtime import runtime
from tests.helpers import Visitor, answer_everything, state_at_result, state_token


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLINIC_CACHE_SECONDS": 60}


def _rename(old: str, new: str) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_a_cached_clinic_is_reused_without_a_query(app, make_clinic):
    make_clinic("acme", name="Acme")
    first = services.visitor_clinic("acme")
    db.session.remove()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        again = services.visitor_clinic("acme")
        assert again.name == "Acme" and again.id == first.id and again.origins == first.origins
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert not [s for s in statements if "clinics" in s]


def test_the_shared_copy_stays_out_of_every_session_through_a_whole_visit_and_the_api(
    app, client, make_clinic, questionnaire
):
    # Every request of a worker reads the same copy: hung on a request's session (a lead's
    # relationship, say), it would belong to that session and its changes to every visitor.
    app.config["QUIZ_MIN_FILL_SECONDS"] = 0
    make_clinic("acme", name="Acme")
    visitor = Visitor(client)
    visitor.to_result("acme", questionnaire)
    assert visitor.contact("acme").status_code == 200
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": {"name": "Grace Hopper", "email": "grace@example.com"},
        "consent": {"health_data": True, "contact": True},
    }
    response = client.post(
        "/api/v1/assessments", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    copy = runtime(app).clinic_cache.get("acme")
    assert copy is not None and inspect(copy).detached and copy.name == "Acme"
    assert db.session.execute(db.select(db.func.count()).select_from(Lead)).scalar() == 2


def test_an_expired_copy_is_served_while_the_database_refuses(app, make_clinic):
    make_clinic("acme", name="Acme")
    services.visitor_clinic("acme")
    app.config["CLINIC_CACHE_SECONDS"] = 0.000001  # expired at once, but still held
    _rename("clinics", "clinics_away")
    try:
        assert services.visitor_clinic("acme").name == "Acme"
    finally:
        _rename("clinics_away", "clinics")


def test_an_unknown_clinic_is_not_cached(app, make_clinic):
    assert services.visitor_clinic("acme") is None
    make_clinic("acme")
    assert services.visitor_clinic("acme") is not None


def test_the_quiz_page_still_shows_when_funnel_events_cannot_be_written(client, make_clinic):
    make_clinic("acme")
    _rename("events", "events_away")
    try:
        response = client.get("/embed/acme")
    finally:
        _rename("events_away", "events")
    assert response.status_code == 200
    assert db.session.execute(db.select(Event)).first() is None
    assert db.session.execute(db.select(Clinic)).scalar_one().slug == "acme"


def test_the_intro_is_rendered_once_and_each_visitor_still_gets_their_own_run(
    app, client, make_clinic, questionnaire
):
    from quiz.models import Lead
    from quiz.state import StateSigner

    app.config["QUIZ_MIN_FILL_SECONDS"] = 0
    make_clinic("acme")
    first = client.get("/embed/acme?utm_source=news").get_data(as_text=True)
    second = client.get("/embed/acme?utm_source=news").get_data(as_text=True)
    assert first == second  # served from the render cache
    token = state_token(first)
    signer = StateSigner(app.secret_key, 3600)
    assert signer.loads(token, "acme").run_id == ""

    for email in ("ada@example.com", "grace@example.com"):
        state = state_at_result(client, questionnaire, "acme")
        assert signer.loads(state, "acme").run_id
        client.post(
            "/embed/acme/contact",
            data={
                "state": state,
                "name": "Visitor",
                "email": email,
                "consent_contact": "y",
                "consent_health": "y",
            },
        )
    emails = sorted(db.session.execute(db.select(Lead.email)).scalars())
    assert emails == ["ada@example.com", "grace@example.com"]
