"""The intro's finished response is served again for a few seconds, views and events intact."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from quiz.extensions import db
from quiz.models import Clinic, Event
from quiz.runtime import runtime
from quiz.services import flush_events


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLINIC_CACHE_SECONDS": 60}


def _forget_clinic(app, slug: str) -> None:
    """Give the clinic another slug and empty the caches above the response: a fresh render
    of its intro is a 404 now, so only a stored copy can answer with the page."""
    db.session.execute(update(Clinic).where(Clinic.slug == slug).values(slug=slug + "-moved"))
    db.session.commit()
    runtime(app).clinic_cache.clear()
    runtime(app).intro_cache.clear()


def _views(clinic_id: int, **where) -> int:
    stmt = select(func.count()).select_from(Event).where(Event.clinic_id == clinic_id)
    stmt = stmt.where(Event.kind == "view")
    for column, value in where.items():
        stmt = stmt.where(getattr(Event, column) == value)
    return db.session.execute(stmt).scalar_one()


def test_a_second_identical_request_is_answered_from_the_stored_response(app, client, make_clinic):
    clinic = make_clinic("acme")
    first = client.get("/embed/acme")
    _forget_clinic(app, "acme")
    again = client.get("/embed/acme")
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    # A fresh render is a 404 now: another query string is not the same request.
    assert client.get("/embed/acme?lang=de").status_code == 404
    assert clinic.id


def test_a_page_from_the_copy_keeps_every_security_header_and_its_own_request_id(
    client, make_clinic
):
    make_clinic("acme", origins=["https://clinic.example"])
    first = client.get("/embed/acme")
    again = client.get("/embed/acme")
    for header in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Permissions-Policy",
        "Content-Type",
    ):
        assert again.headers[header] == first.headers[header], header
    assert (
        "frame-ancestors 'self' https://clinic.example" in again.headers["Content-Security-Policy"]
    )
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert len(again.headers.getlist("Date")) <= 1  # the server's own, never a stale copy


def test_every_visit_served_from_the_copy_still_counts_as_a_view(app, client, make_clinic):
    clinic = make_clinic("acme")
    for _ in range(3):
        assert client.get("/embed/acme?utm_source=newsletter").status_code == 200
    assert client.get("/embed/acme").status_code == 200
    flush_events(app)
    assert _views(clinic.id) == 4
    assert _views(clinic.id, utm_source="newsletter") == 3


def test_each_encoding_gets_its_own_copy(client, make_clinic):
    make_clinic("acme")
    plain = client.get("/embed/acme")
    brotli = client.get("/embed/acme", headers={"Accept-Encoding": "br"})
    brotli_again = client.get("/embed/acme", headers={"Accept-Encoding": "br"})
    plain_again = client.get("/embed/acme")
    assert "Content-Encoding" not in plain.headers and "Content-Encoding" not in plain_again.headers
    assert brotli.headers["Content-Encoding"] == brotli_again.headers["Content-Encoding"] == "br"
    assert plain_again.data == plain.data and brotli_again.data == brotli.data


def test_a_request_with_a_cookie_is_never_answered_from_a_copy(app, client, make_clinic):
    make_clinic("acme")
    client.get("/embed/acme")
    _forget_clinic(app, "acme")
    client.set_cookie("session", "anything")
    assert client.get("/embed/acme").status_code == 404


def test_the_copy_expires_with_the_clinic_cache(app, client, make_clinic):
    make_clinic("acme")
    client.get("/embed/acme")
    _forget_clinic(app, "acme")
    app.config["CLINIC_CACHE_SECONDS"] = 0.000001
    assert client.get("/embed/acme").status_code == 404


def test_an_unknown_clinic_and_other_pages_are_not_stored(app, client, make_clinic):
    assert client.get("/embed/nobody").status_code == 404
    make_clinic("acme")
    client.get("/embed/acme/content/none")
    client.post("/embed/acme/step", data={"state": "x"})
    assert len(runtime(app).response_cache) == 0
    client.get("/embed/acme")
    assert len(runtime(app).response_cache) == 1


def test_no_copy_is_kept_when_caching_is_off(app, client, make_clinic):
    app.config["CLINIC_CACHE_SECONDS"] = 0
    make_clinic("acme")
    client.get("/embed/acme")
    client.get("/embed/acme")
    assert len(runtime(app).response_cache) == 0
