"""One table of field lengths: the form, the checks, the API document and the columns agree."""

from __future__ import annotations

import pytest

from quiz.limits import MAX_LENGTH
from quiz.models import Clinic, Event, IdempotencyRecord, Lead
from quiz.openapi import SCHEMAS, build_document
from quiz.validation import CLICK_IDS, UTM_FIELDS, check_contact, check_source

CONTACT_FIELDS = ("name", "email", "phone")
SOURCE_FIELDS = (*UTM_FIELDS, "page_url")


def _long(field: str, length: int) -> str:
    """A valid value of that field, exactly `length` characters long."""
    if field == "email":
        domain = ".".join(["d" * 63, "e" * 63, "f" * 63])
        return "a" * (length - len(domain) - 1) + "@" + domain
    if field == "page_url":
        prefix = "https://clinic.example/"
        return prefix + "p" * (length - len(prefix))
    return "x" * length


def test_every_visitor_field_has_a_length():
    assert set(MAX_LENGTH) == {
        *CONTACT_FIELDS,
        *SOURCE_FIELDS,
        *CLICK_IDS,
        "idempotency_key",
        "booking_url",
        "conversion_name",
        "contact_time",
    }


def test_a_contact_time_past_its_length_is_refused_and_so_is_any_unknown_one():
    limit = MAX_LENGTH["contact_time"]
    base = {"name": "Ada", "email": "ada@example.com"}
    _, errors = check_contact({**base, "contact_time": "x" * (limit + 1)})
    assert errors["contact.contact_time"] == [f"Must be at most {limit} characters."]
    _, errors = check_contact({**base, "contact_time": "at noon"})
    assert errors["contact.contact_time"][0].startswith("Must be one of")
    contact, errors = check_contact({**base, "contact_time": "evening"})
    assert errors == {} and contact.contact_time == "evening"


def test_a_booking_link_may_be_as_long_as_the_table_and_its_column_say(app):
    from quiz.services import ServiceError
    from quiz.services.clinics import check_booking_url

    limit = MAX_LENGTH["booking_url"]
    longest = "https://cal.example/" + "b" * (limit - len("https://cal.example/"))
    assert check_booking_url(longest) == longest
    with pytest.raises(ServiceError):
        check_booking_url(longest + "b")
    assert Clinic.__table__.c.booking_url.type.length == limit


@pytest.mark.parametrize("field", CLICK_IDS)
def test_click_ids_are_kept_at_the_longest_and_dropped_one_longer(field):
    limit = MAX_LENGTH[field]
    source, errors = check_source({field: "x" * limit})
    assert errors == {} and source[field] == "x" * limit
    # Dropped, not refused: the lead it comes with is still stored.
    assert check_source({field: "x" * (limit + 1)}) == ({}, {})


@pytest.mark.parametrize("field", CONTACT_FIELDS)
def test_contact_checks_refuse_one_character_more_than_the_table(field):
    base = {"name": "Ada", "email": "ada@example.com"}
    limit = MAX_LENGTH[field]
    _, errors = check_contact({**base, field: _long(field, limit + 1)})
    assert errors[f"contact.{field}"] == [f"Must be at most {limit} characters."]
    # At the limit the length is fine (a phone number's own format is stricter still).
    _, errors = check_contact({**base, field: _long(field, limit)})
    assert "at most" not in " ".join(errors.get(f"contact.{field}", []))


@pytest.mark.parametrize("field", ["name", "email"])
def test_contact_checks_take_the_longest_value(field):
    base = {"name": "Ada", "email": "ada@example.com"}
    contact, errors = check_contact({**base, field: _long(field, MAX_LENGTH[field])})
    assert errors == {} and len(getattr(contact, field)) == MAX_LENGTH[field]


@pytest.mark.parametrize("field", SOURCE_FIELDS)
def test_attribution_checks_take_the_longest_value_and_refuse_one_more(field):
    limit = MAX_LENGTH[field]
    source, errors = check_source({field: _long(field, limit)})
    assert errors == {} and len(source[field]) == limit
    _, errors = check_source({field: _long(field, limit + 1)})
    assert f"source.{field}" in errors


def test_the_contact_form_tells_the_browser_the_same_lengths():
    from quiz.embed.forms import ContactForm

    form = ContactForm()
    for field in CONTACT_FIELDS:
        assert form[field].render_kw["maxlength"] == MAX_LENGTH[field], field


def test_the_api_document_states_the_same_lengths():
    def longest(schema: dict) -> int:
        options = schema.get("anyOf", [schema])
        return next(s["maxLength"] for s in options if "maxLength" in s)

    contact = SCHEMAS["Contact"]["properties"]
    source = SCHEMAS["Source"]["properties"]
    for field in CONTACT_FIELDS:
        if field == "phone":
            # The document states the phone's own rule (PHONE_MIN to PHONE_MAX characters),
            # which is stricter than what its column can hold.
            assert longest(contact[field]) <= MAX_LENGTH[field], field
        else:
            assert longest(contact[field]) == MAX_LENGTH[field], field
    for field in (*SOURCE_FIELDS, *CLICK_IDS):
        assert longest(source[field]) == MAX_LENGTH[field], field
    [key] = build_document()["paths"]["/assessments"]["post"]["parameters"]
    assert key["name"] == "Idempotency-Key"
    assert key["schema"]["maxLength"] == MAX_LENGTH["idempotency_key"]


def test_the_columns_hold_the_longest_value():
    for field in (*CONTACT_FIELDS, *SOURCE_FIELDS, *CLICK_IDS):
        assert Lead.__table__.c[field].type.length == MAX_LENGTH[field], field
    for field in ("utm_source", "utm_campaign"):
        assert Event.__table__.c[field].type.length == MAX_LENGTH[field], field
    assert IdempotencyRecord.__table__.c.key.type.length == MAX_LENGTH["idempotency_key"]


def test_the_api_refuses_an_idempotency_key_one_longer(client, make_clinic):
    make_clinic("acme")
    limit = MAX_LENGTH["idempotency_key"]
    response = client.post(
        "/api/v1/assessments",
        json={"clinic": "acme", "answers": {}},
        headers={"Idempotency-Key": "k" * (limit + 1)},
    )
    assert response.status_code == 422
    assert "idempotency_key" in response.get_json()["errors"]
