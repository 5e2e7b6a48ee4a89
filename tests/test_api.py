"""The public JSON API: the questionnaire, scoring assessments, idempotency, CORS, limits."""

from __future__ import annotations

import json

import pytest
from flask import url_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func

from quiz.api.assessments import content_urls
from quiz.extensions import db, limiter
from quiz.models import Event, IdempotencyRecord, Lead
from quiz.openapi import build_document
from quiz.validation import SOURCE_FIELDS
from tests.helpers import answer_everything, validator
from tests.strategies import header_text, hostile_text

SITE = "https://clinic-site.example"
CONTACT = {"name": "Ada Lovelace", "email": "Ada@Example.com", "phone": "+44 20 7946 0001"}
CONSENT = {"contact": True, "health_data": True}


def count(model) -> int:
    db.session.rollback()
    return db.session.execute(db.select(func.count()).select_from(model)).scalar_one()


def ending_option(questionnaire):
    """Return (question id, option id) of the answer that ends the quiz (under 18)."""
    for question in questionnaire.questions:
        for option in question.options:
            if option.ends_quiz:
                return question.id, option.id
    pytest.skip("the questionnaire has no answer that ends the quiz")


def required_question(questionnaire):
    """Return a required question that always applies."""
    return next(q for q in questionnaire.questions if q.required and q.show_if is None)


@pytest.fixture
def clinic(make_clinic):
    return make_clinic("demo", origins=[SITE])


@pytest.fixture
def post(client):
    def send(body, **headers):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return client.post(
            "/api/v1/assessments",
            data=data,
            headers={"Content-Type": "application/json", **headers},
        )

    return send


# --------------------------------------------------------------------------- GET /quiz


def test_quiz_lists_every_question_in_the_contract_shape(client, clinic, questionnaire):
    response = client.get("/api/v1/quiz?clinic=demo")
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == questionnaire.version
    assert body["language"] == "en"
    assert [q["id"] for q in body["questions"]] == [q.id for q in questionnaire.questions]
    for item, question in zip(body["questions"], questionnaire.questions, strict=True):
        assert item["type"] == question.type
        assert item["text"] == question.text.get("en")
        assert item["required"] is question.required
        assert item["options"] == [
            {"id": o.id, "label": o.label.get("en")} for o in question.options
        ]
        assert ("help" in item) is (question.help is not None)
        if question.show_if is not None:
            assert item["show_if"] == question.show_if.source
        else:
            assert "show_if" not in item
        assert set(item) <= {"id", "type", "text", "help", "required", "options", "show_if"}


def test_quiz_show_if_names_a_real_question_and_options(client, clinic, questionnaire):
    body = client.get("/api/v1/quiz?clinic=demo").get_json()
    conditional = [q for q in body["questions"] if "show_if" in q]
    assert conditional, "the shipped questionnaire has conditional questions"
    ids = {q["id"]: {o["id"] for o in q["options"]} for q in body["questions"]}
    for item in conditional:
        qid, options = item["show_if"].split(":")
        assert set(options.split("|")) <= ids[qid]


def test_quiz_with_unsupported_language_answers_in_the_clinic_language(client, make_clinic):
    make_clinic("praxis", language="de")
    body = client.get("/api/v1/quiz?clinic=praxis&lang=xx-nope").get_json()
    assert body["language"] == "de"


def test_quiz_for_unknown_clinic_is_404_json(client, clinic):
    for url in ("/api/v1/quiz?clinic=nobody", "/api/v1/quiz", "/api/v1/quiz?clinic=../etc"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.get_json() == {"errors": {"clinic": ["No clinic with that name."]}}


# --------------------------------------------------------------------------- POST /assessments


def test_assessment_with_contact_and_consent_stores_a_lead_and_answers_201(
    post, clinic, questionnaire
):
    answers = answer_everything(questionnaire)
    source = {"utm_source": "newsletter", "page_url": "https://clinic-site.example/p#frag"}
    response = post(
        {
            "clinic": "demo",
            "language": "en",
            "answers": answers,
            "contact": CONTACT,
            "consent": CONSENT,
            "source": source,
        }
    )
    assert response.status_code == 201
    body = response.get_json()
    lead = db.session.execute(db.select(Lead)).scalar_one()
    assert body["lead_id"] == lead.public_id
    assert lead.email == "ada@example.com"
    assert lead.utm_source == "newsletter"
    assert lead.page_url == "https://clinic-site.example/p"
    assert body["outcome"]["id"] == lead.outcome_id
    assert body["outcome"]["suitability"] == lead.suitability
    assert set(body) == {"lead_id", "outcome", "scores", "reasons", "content"}
    assert response.headers["Cache-Control"] == "no-store"


def test_assessment_without_contact_answers_200_and_stores_no_lead(post, clinic, questionnaire):
    response = post({"clinic": "demo", "answers": answer_everything(questionnaire)})
    assert response.status_code == 200
    body = response.get_json()
    assert body["lead_id"] is None
    assert body["outcome"]["suitability"] in {"good", "possible", "consult", "not_suitable"}
    assert all(0 <= v <= 100 for v in body["scores"].values())
    assert count(Lead) == 0


def test_every_scored_assessment_records_a_complete_event(post, clinic, questionnaire):
    post({"clinic": "demo", "answers": answer_everything(questionnaire)})
    post(
        {
            "clinic": "demo",
            "answers": answer_everything(questionnaire),
            "contact": CONTACT,
            "consent": CONSENT,
        }
    )
    kinds = sorted(e.kind for e in db.session.execute(db.select(Event)).scalars())
    assert kinds == ["complete", "complete", "lead"]


def test_assessment_content_links_are_absolute_and_skip_hidden_content(
    post, make_clinic, questionnaire
):
    answers = answer_everything(questionnaire)
    make_clinic("open")
    shown = post({"clinic": "open", "answers": answers}).get_json()["content"]
    assert shown, "the default answers lead to some content"
    for item in shown:
        assert item["url"].startswith("http://localhost/")
        assert item["url"].endswith(f"/embed/open/content/{item['id']}")
        assert item["title"] == questionnaire.content_item(item["id"]).title.get("en")
    hidden = shown[0]["id"]
    make_clinic("picky", settings={"hidden_content": [hidden]})
    picky = post({"clinic": "picky", "answers": answers}).get_json()["content"]
    assert hidden not in [item["id"] for item in picky]
    assert [i["id"] for i in picky] == [i["id"] for i in shown if i["id"] != hidden]


def test_content_links_are_what_url_for_builds_for_every_item(app, clinic, questionnaire):
    ids = [item.id for item in questionnaire.content]
    for root in ("", "/quiz"):
        with app.test_request_context("/api/v1/assessments", base_url=f"http://localhost{root}"):
            expected = [url_for("embed.content", clinic=clinic.slug, content_id=i) for i in ids]
            assert content_urls(clinic, ids) == [f"http://localhost{path}" for path in expected]
            assert all(f"{root}/embed/demo/content/" in url for url in expected)


def test_content_links_use_public_url_when_configured(app, post, clinic, questionnaire):
    app.config["PUBLIC_URL"] = "https://quiz.example.org"
    content = post({"clinic": "demo", "answers": answer_everything(questionnaire)}).get_json()
    assert all(i["url"].startswith("https://quiz.example.org/") for i in content["content"])


def test_under_18_answers_200_and_stores_nothing_even_with_contact(post, clinic, questionnaire):
    qid, option = ending_option(questionnaire)
    answers = answer_everything(questionnaire, **{qid: option})
    response = post({"clinic": "demo", "answers": answers, "contact": CONTACT, "consent": CONSENT})
    assert response.status_code == 200
    body = response.get_json()
    assert body["lead_id"] is None
    assert body["outcome"]["suitability"] == "not_suitable"
    assert count(Lead) == 0


def test_contact_without_consent_is_422_on_each_missing_consent(post, clinic, questionnaire):
    answers = answer_everything(questionnaire)
    response = post({"clinic": "demo", "answers": answers, "contact": CONTACT})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"consent.contact", "consent.health_data"}
    response = post(
        {
            "clinic": "demo",
            "answers": answers,
            "contact": CONTACT,
            "consent": {"contact": True, "health_data": False},
        }
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"consent.health_data"}
    assert count(Lead) == 0
    assert count(Event) == 0


def test_consent_without_contact_must_still_be_well_formed(post, clinic, questionnaire):
    answers = answer_everything(questionnaire)
    ok = post({"clinic": "demo", "answers": answers, "consent": {"contact": False}})
    assert ok.status_code == 200
    bad = post({"clinic": "demo", "answers": answers, "consent": {"contact": "yes"}})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"consent.contact"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"surprise": 1}, "surprise"),
        ({"clinic": 7}, "clinic"),
        ({"answers": ["no"]}, "answers"),
        ({"answers": None}, "answers"),
        ({"language": 12}, "language"),
        (
            {"contact": {"name": "Ada", "email": "not-an-email"}, "consent": CONSENT},
            "contact.email",
        ),
        ({"contact": "Ada", "consent": CONSENT}, "contact"),
        ({"source": {"utm_source": 5}}, "source.utm_source"),
        ({"source": {"page_url": "javascript:alert(1)"}}, "source.page_url"),
        ({"source": {"page_url": "http://[x"}}, "source.page_url"),
        ({"source": "newsletter"}, "source"),
        ({"contact": {"name": "   ", "email": "a@b.example"}, "consent": CONSENT}, "contact.name"),
        # Lone surrogates: valid JSON escapes that no database can store as UTF-8.
        (
            {"contact": {"name": "A\ud800B", "email": "a@b.example"}, "consent": CONSENT},
            "contact.name",
        ),
        (
            {"contact": {"name": "Ada", "email": "a\ud800b@b.example"}, "consent": CONSENT},
            "contact.email",
        ),
        ({"source": {"utm_source": "A\ud800B"}}, "source.utm_source"),
        ({"source": {"page_url": "https://site.example/A\ud800B"}}, "source.page_url"),
    ],
)
def test_invalid_field_is_422_naming_it_and_stores_nothing(
    post, clinic, questionnaire, change, field
):
    body = {"clinic": "demo", "answers": answer_everything(questionnaire), **change}
    response = post(body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count(Lead) == 0
    assert count(Event) == 0


def test_answer_errors_are_keyed_by_question_id(post, clinic, questionnaire):
    question = required_question(questionnaire)
    answers = answer_everything(questionnaire)
    del answers[question.id]
    answers["no_such_question"] = "x"
    response = post({"clinic": "demo", "answers": answers})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {question.id, "no_such_question"}
    unknown_option = {**answer_everything(questionnaire), question.id: "no_such_option"}
    errors = post({"clinic": "demo", "answers": unknown_option}).get_json()["errors"]
    assert list(errors) == [question.id]


def test_malformed_json_is_400(post, clinic):
    for raw in (b"{", b"[1, 2]", b'"demo"', b"\xff\xfe", b"[" * 20_000):
        response = post(raw)
        assert response.status_code == 400, raw[:10]
        assert response.get_json() == {"errors": {"body": ["The body must be a JSON object."]}}


def test_unknown_clinic_is_404(post, clinic, questionnaire):
    response = post({"clinic": "nobody", "answers": answer_everything(questionnaire)})
    assert response.status_code == 404
    assert list(response.get_json()["errors"]) == ["clinic"]


def test_body_over_64_kib_is_413_json(post, clinic):
    response = post({"clinic": "demo", "answers": {}, "padding": "x" * 70_000})
    assert response.status_code == 413
    assert list(response.get_json()["errors"]) == ["body"]


def test_wrong_method_is_json_and_says_which_methods_are_allowed(client, clinic):
    response = client.delete("/api/v1/assessments")
    assert response.status_code == 405
    assert response.is_json
    assert list(response.get_json()["errors"]) == ["request"]
    # RFC 9110 15.5.6: a 405 names the methods the resource supports.
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


# --------------------------------------------------------------------------- idempotency


def test_same_idempotency_key_replays_first_answer_and_stores_one_lead(post, clinic, questionnaire):
    body = {
        "clinic": "demo",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": CONSENT,
    }
    first = post(body, **{"Idempotency-Key": "order-42"})
    second = post(body, **{"Idempotency-Key": "order-42"})
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert count(Lead) == 1
    assert count(IdempotencyRecord) == 1
    third = post(body, **{"Idempotency-Key": "order-43"})
    assert third.status_code == 201
    assert third.get_json()["lead_id"] != first.get_json()["lead_id"]
    assert count(Lead) == 2


def test_idempotency_key_is_per_clinic(post, clinic, make_clinic, questionnaire):
    make_clinic("other")
    answers = answer_everything(questionnaire)
    for slug in ("demo", "other"):
        response = post(
            {"clinic": slug, "answers": answers, "contact": CONTACT, "consent": CONSENT},
            **{"Idempotency-Key": "same"},
        )
        assert response.status_code == 201
    assert count(Lead) == 2


def test_idempotency_replays_a_200_too(post, clinic, questionnaire):
    answers = answer_everything(questionnaire)
    first = post({"clinic": "demo", "answers": answers}, **{"Idempotency-Key": "k"})
    again = post({"clinic": "demo", "answers": answers}, **{"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert count(Event) == 1


def test_a_lost_idempotency_record_still_makes_one_lead(post, clinic, questionnaire):
    """A retry after the record was not saved (crash, race) finds the lead by submission."""
    body = {
        "clinic": "demo",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": CONSENT,
    }
    first = post(body, **{"Idempotency-Key": "retry-me"}).get_json()
    with db.session.begin():
        db.session.execute(db.delete(IdempotencyRecord))
    again = post(body, **{"Idempotency-Key": "retry-me"}).get_json()
    assert again["lead_id"] == first["lead_id"]
    assert count(Lead) == 1


def _lead_body(questionnaire, **changes):
    return {
        "clinic": "demo",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": CONSENT,
        **changes,
    }


def _assert_key_reused(response, first):
    """A 422 on the key, in the API's error shape, holding nothing of the first answer."""
    assert response.status_code == 422
    assert response.is_json
    errors = response.get_json()["errors"]
    assert list(errors) == ["idempotency_key"]
    text = response.get_data(as_text=True)
    outcome = first["outcome"]
    for value in (first["lead_id"], outcome["id"], outcome["title"], outcome["suitability"]):
        assert value not in text
    assert "scores" not in text and "reasons" not in text


def test_a_key_reused_with_another_body_is_422_and_reveals_nothing(post, clinic, questionnaire):
    first = post(_lead_body(questionnaire), **{"Idempotency-Key": "order-7"})
    assert first.status_code == 201
    # The attack: someone else's key with an empty assessment.
    stolen = post({"clinic": "demo", "answers": {}}, **{"Idempotency-Key": "order-7"})
    _assert_key_reused(stolen, first.get_json())
    other = dict(CONTACT, name="Eve Example", email="eve@example.com")
    changed = post(_lead_body(questionnaire, contact=other), **{"Idempotency-Key": "order-7"})
    _assert_key_reused(changed, first.get_json())
    assert count(Lead) == 1 and count(IdempotencyRecord) == 1
    # The first sender's retry still replays, byte for byte.
    again = post(_lead_body(questionnaire), **{"Idempotency-Key": "order-7"})
    assert again.status_code == 201 and again.get_json() == first.get_json()


def test_the_key_is_bound_to_the_body_bytes_as_received(post, clinic, questionnaire):
    body = _lead_body(questionnaire)
    compact = json.dumps(body, separators=(",", ":")).encode()
    first = post(compact, **{"Idempotency-Key": "bytes"})
    assert first.status_code == 201
    # The same JSON written with other whitespace is another request.
    spaced = json.dumps(body, indent=2).encode()
    _assert_key_reused(post(spaced, **{"Idempotency-Key": "bytes"}), first.get_json())
    assert post(compact, **{"Idempotency-Key": "bytes"}).get_json() == first.get_json()


def test_the_key_is_bound_to_the_bearer_token_where_one_is_sent(post, clinic, questionnaire):
    body = _lead_body(questionnaire)
    first = post(body, **{"Idempotency-Key": "tok", "Authorization": "Bearer mq_first"})
    assert first.status_code == 201
    for authorization in ("Bearer mq_second", None):
        headers = {"Idempotency-Key": "tok"}
        if authorization:
            headers["Authorization"] = authorization
        _assert_key_reused(post(body, **headers), first.get_json())
    again = post(body, **{"Idempotency-Key": "tok", "Authorization": "bearer  mq_first"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    record = db.session.execute(db.select(IdempotencyRecord)).scalar_one()
    assert "mq_first" not in json.dumps(record.body) + (record.request_hash or "")


def test_a_key_stored_before_requests_were_bound_is_never_replayed(post, clinic, questionnaire):
    body = _lead_body(questionnaire)
    first = post(body, **{"Idempotency-Key": "legacy"})
    with db.session.begin():
        db.session.execute(db.update(IdempotencyRecord).values(request_hash=None))
    _assert_key_reused(post(body, **{"Idempotency-Key": "legacy"}), first.get_json())
    assert count(Lead) == 1


# WSGI hands header bytes over as Latin-1 characters (PEP 3333): "\xff\xfe" is a key that is
# not UTF-8 at all, "caf\xc3\xa9" the UTF-8 bytes of "café".
@pytest.mark.parametrize("key", ["\xff\xfe", "caf\xc3\xa9", "tab\tinside"])
def test_a_key_in_any_byte_encoding_replays_the_first_answer(post, clinic, questionnaire, key):
    body = {
        "clinic": "demo",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": CONSENT,
    }
    first = post(body, **{"Idempotency-Key": key})
    again = post(body, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert count(Lead) == 1


@pytest.mark.parametrize(
    "key",
    ["a\ud800b", "a\x00b", "a\x1bb", "a\x7fb", "\u20ac"],
    ids=["lone-surrogate", "nul", "escape", "del", "beyond-latin-1"],
)
def test_a_key_no_http_header_can_carry_is_422_and_stores_nothing(post, clinic, questionnaire, key):
    response = post(
        {
            "clinic": "demo",
            "answers": answer_everything(questionnaire),
            "contact": CONTACT,
            "consent": CONSENT,
        },
        **{"Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["idempotency_key"]
    assert count(Lead) == count(IdempotencyRecord) == count(Event) == 0


def test_idempotency_key_over_100_characters_is_422(post, clinic, questionnaire):
    response = post(
        {"clinic": "demo", "answers": answer_everything(questionnaire)},
        **{"Idempotency-Key": "k" * 101},
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["idempotency_key"]
    ok = post(
        {"clinic": "demo", "answers": answer_everything(questionnaire)},
        **{"Idempotency-Key": "k" * 100},
    )
    assert ok.status_code == 200


# --------------------------------------------------------------------------- CORS


def test_cors_echoes_only_the_clinic_origins(client, post, clinic, make_clinic, questionnaire):
    make_clinic("elsewhere", origins=["https://elsewhere.example"])
    answers = answer_everything(questionnaire)
    allowed = post({"clinic": "demo", "answers": answers}, Origin=SITE)
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in allowed.headers["Vary"]
    other = post({"clinic": "demo", "answers": answers}, Origin="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in other.headers
    stranger = client.get("/api/v1/quiz?clinic=demo", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    mine = client.get("/api/v1/quiz?clinic=demo", headers={"Origin": SITE})
    assert mine.headers["Access-Control-Allow-Origin"] == SITE


def test_cors_lets_the_clinic_script_read_validation_errors(post, clinic):
    response = post({"clinic": "demo", "answers": {}}, Origin=SITE)
    assert response.status_code == 422
    assert response.headers["Access-Control-Allow-Origin"] == SITE


def test_preflight_allows_json_and_idempotency_key_from_a_clinic_site(client, clinic):
    response = client.options(
        "/api/v1/assessments",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "idempotency-key" in allowed
    refused = client.options("/api/v1/assessments", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    quiz = client.options("/api/v1/quiz", headers={"Origin": SITE})
    assert quiz.headers["Access-Control-Allow-Methods"] == "GET"


def test_api_post_needs_no_csrf_token(app, client, clinic, questionnaire):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        "/api/v1/assessments",
        json={"clinic": "demo", "answers": answer_everything(questionnaire)},
    )
    assert response.status_code == 200


# --------------------------------------------------------------------------- rate limit


@pytest.fixture
def rate_limited(app):
    # pytest-flask's autouse fixtures build the app before this fixture could change
    # app_config, so switch the limiter on for this app here; it binds fresh in-memory storage.
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)


def test_twenty_first_assessment_in_a_minute_is_429_with_retry_after(
    rate_limited, post, clinic, questionnaire
):
    body = {"clinic": "demo", "answers": answer_everything(questionnaire)}
    statuses = [post(body).status_code for _ in range(20)]
    assert statuses == [200] * 20
    response = post(body)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert list(response.get_json()["errors"]) == ["request"]
    assert count(Event) == 20


# --------------------------------------------------------------------------- junk input

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text(20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text(10), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(["clinic", "language", "answers", "contact", "consent", "source"]),
    junk=_JSON,
)
def test_junk_in_any_field_never_breaks_the_server(client, clinic, questionnaire, field, junk):
    body = {
        "clinic": "demo",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": CONSENT,
        field: junk,
    }
    response = client.post("/api/v1/assessments", json=body)
    assert response.status_code < 500
    if response.status_code >= 400:
        validator(build_document(), "Errors").validate(response.get_json())


# Every text field the API reads, as a path into the body.
_TEXT_FIELDS = [
    ("clinic",),
    ("language",),
    *(("contact", key) for key in ("name", "email", "phone", "contact_time")),
    *(("source", key) for key in SOURCE_FIELDS),
]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(_TEXT_FIELDS), text=hostile_text(), key=st.none() | header_text())
# The fields where a lone surrogate once answered 500, always tried besides what is drawn.
@example(field=("contact", "name"), text="A\ud800B", key=None)
@example(field=("contact", "email"), text="a\ud800b@example.com", key=None)
@example(field=("source", "utm_source"), text="A\ud800B", key=None)
@example(field=("source", "page_url"), text="https://site.example/A\ud800B", key=None)
@example(field=("clinic",), text="demo", key="A\ud800B")
def test_hostile_text_in_any_text_field_or_the_key_never_breaks_the_server(
    post, clinic, questionnaire, field, text, key
):
    body = {
        "clinic": "demo",
        "answers": answer_everything(questionnaire),
        "contact": dict(CONTACT),
        "consent": CONSENT,
        "source": {},
    }
    *parents, name = field
    target = body
    for parent in parents:
        target = target[parent]
    target[name] = text
    # json.dumps writes a lone surrogate as a \ud800 escape: valid JSON the server must read.
    response = post(body, **({} if key is None else {"Idempotency-Key": key}))
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        validator(build_document(), "Errors").validate(response.get_json())


def test_a_concurrent_duplicate_key_gets_the_first_answer(app, post, clinic, questionnaire):
    """The loser of a race on the same key (unique clinic+key) replays the winner's answer."""
    from quiz.services.idempotency import KeyReused, fingerprint, remember

    body = {"clinic": "demo", "answers": answer_everything(questionnaire)}
    first = post(body, **{"Idempotency-Key": "race"})
    same = fingerprint(json.dumps(body).encode(), None)
    with app.test_request_context():
        status, answer = remember(clinic, "race", same, (201, {"lead_id": "late"}), None)
        # A loser that sent another request learns nothing of the winner's answer.
        with pytest.raises(KeyReused):
            remember(clinic, "race", fingerprint(b"{}", None), (201, {"lead_id": "x"}), None)
    assert (status, answer) == (200, first.get_json())
    assert count(IdempotencyRecord) == 1


def test_the_replay_body_is_kept_sealed(post, clinic, questionnaire):
    response = post(
        {
            "clinic": "demo",
            "answers": answer_everything(questionnaire),
            "contact": CONTACT,
            "consent": CONSENT,
        },
        **{"Idempotency-Key": "sealed"},
    )
    record = db.session.execute(db.select(IdempotencyRecord)).scalar_one()
    stored = json.dumps(record.body)
    assert list(record.body) == ["sealed"]
    assert "scores" not in stored and response.get_json()["outcome"]["title"] not in stored


def test_validation_messages_come_in_the_requested_language(client, make_clinic):
    make_clinic("acme")
    response = client.post(
        "/api/v1/assessments", json={"clinic": "acme", "language": "de", "answers": {}}
    )
    assert response.status_code == 422
    messages = [m for ms in response.get_json()["errors"].values() for m in ms]
    assert messages and "Please choose an answer." not in messages
    english = client.post("/api/v1/assessments", json={"clinic": "acme", "answers": {}})
    assert "Please choose an answer." in str(english.get_json())
