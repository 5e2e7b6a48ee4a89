"""The questionnaire as JSON, and scoring a submitted assessment (with idempotent replay)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from flask import request, url_for
from werkzeug.routing import BuildError

from quiz import services
from quiz.api import ApiError, use_clinic
from quiz.i18n import pick_language, use_language
from quiz.limits import MAX_LENGTH
from quiz.models import Clinic, Lead
from quiz.questions import Questionnaire, check_answers
from quiz.runtime import questionnaire
from quiz.scoring import Result
from quiz.services import idempotency, submissions
from quiz.urls import public_url
from quiz.validation import check_consent, check_contact, check_source

FIELDS = ("clinic", "language", "answers", "contact", "consent", "source")
MAX_KEY_LENGTH = MAX_LENGTH["idempotency_key"]
KEY_REUSED = (
    "This Idempotency-Key was already used with a different request: "
    "send a new key for a new request."
)
# What HTTP lets a field value hold (RFC 9110, section 5.5): visible ASCII, spaces, tabs and
# the bytes 0x80-0xFF, which WSGI hands over as Latin-1 characters (PEP 3333), so a key in
# UTF-8 or in no encoding at all is kept byte for byte. Anything else (a NUL, which
# PostgreSQL cannot store, or a lone surrogate, which no UTF-8 database can) reached the
# app by some other way than an HTTP header.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def quiz_document(quiz: Questionnaire, language: str) -> dict:
    """Return the questionnaire in one language, as the contract's JSON shape."""
    questions = []
    for question in quiz.questions:
        item: dict[str, Any] = {
            "id": question.id,
            "type": question.type,
            "text": question.text.get(language),
        }
        if question.help is not None:
            item["help"] = question.help.get(language)
        item["required"] = question.required
        item["options"] = [{"id": o.id, "label": o.label.get(language)} for o in question.options]
        if question.show_if is not None:
            item["show_if"] = question.show_if.source
        questions.append(item)
    return {"version": quiz.version, "language": language, "questions": questions}


def quiz_for(slug: str | None, lang: str | None) -> dict:
    """Return the questionnaire JSON for a clinic; ApiError 404 when the clinic is unknown."""
    clinic = services.visitor_clinic(slug or "")
    if clinic is None:
        raise ApiError(404, {"clinic": ["No clinic with that name."]})
    use_clinic(clinic)
    quiz = questionnaire()
    return quiz_document(quiz, pick_language(quiz.languages, lang, clinic.language))


def parse_body(raw: bytes) -> dict:
    """Decode a JSON object body; ApiError 400 when it is not one."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON and bad UTF-8; RecursionError very deep nesting.
        raise ApiError(400, {"body": ["The body must be a JSON object."]}) from None
    if not isinstance(body, dict):
        raise ApiError(400, {"body": ["The body must be a JSON object."]})
    return body


def submit(
    raw: bytes, idempotency_key: str | None, authorization: str | None = None
) -> tuple[int, dict]:
    """Validate, score and (with contact and consent) store an assessment.

    Returns the status (201 when a lead was stored, else 200) and the response body. With an
    Idempotency-Key the first answer for that clinic and key is replayed, only to the same
    body (and bearer token, where one is sent), and nothing new is stored. Raises ApiError
    for 400, 404 and 422 (also a key reused with another request) and DatabaseUnavailable
    (a 503); nothing is stored then.
    """
    body = parse_body(raw)
    errors: dict[str, list[str]] = {}
    for key in sorted(set(body) - set(FIELDS)):
        errors[str(key)[:100]] = ["Unknown field."]
    slug = body.get("clinic")
    if not isinstance(slug, str) or not slug:
        errors["clinic"] = ["Give the clinic's slug."]
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        errors["idempotency_key"] = [f"Must be 1 to {MAX_KEY_LENGTH} characters."]
    elif idempotency_key is not None and not _HEADER_VALUE.fullmatch(idempotency_key):
        errors["idempotency_key"] = [
            "Must hold only what an HTTP header can: no control characters."
        ]
    if errors:
        raise ApiError(422, errors)
    clinic = services.visitor_clinic(slug)
    if clinic is None:
        raise ApiError(404, {"clinic": ["No clinic with that name."]})
    use_clinic(clinic)
    quiz = questionnaire()
    language = pick_language(quiz.languages, body.get("language"), clinic.language)
    use_language(language)
    request_hash = idempotency.fingerprint(raw, authorization)
    if idempotency_key is not None:
        replay = _replay(clinic, idempotency_key, request_hash)
        if replay is not None:
            return replay

    checked = _check_fields(quiz, body)
    result = submissions.assess(clinic, checked["answers"])
    lead = submissions.submit_assessment(
        clinic,
        result,
        language=language,
        source=checked["source"],
        contact=checked["contact"],
        consent=checked["consent"],
        submission_id=idempotency.submission_id(idempotency_key),
    )
    status = 201 if lead is not None else 200
    answer = result_body(clinic, result, language, lead.public_id if lead else None)
    if idempotency_key is None:
        return status, answer
    return _remember(clinic, idempotency_key, request_hash, (status, answer), lead)


def _replay(clinic: Clinic, key: str, request_hash: str) -> tuple[int, dict] | None:
    """The first answer to this key, None when it is new; ApiError 422 when it is reused."""
    try:
        return idempotency.replay(clinic, key, request_hash)
    except idempotency.KeyReused:
        # As the IETF Idempotency-Key draft says: a key reused with another payload is 422,
        # and nothing of the first answer (lead id, scores, reasons) is shown.
        raise ApiError(422, {"idempotency_key": [KEY_REUSED]}) from None


def _remember(
    clinic: Clinic, key: str, request_hash: str, answer: tuple[int, dict], lead: Lead | None
) -> tuple[int, dict]:
    """Keep the answer for the key; ApiError 422 when a concurrent other request won it."""
    try:
        return idempotency.remember(clinic, key, request_hash, answer, lead.id if lead else None)
    except idempotency.KeyReused:
        raise ApiError(422, {"idempotency_key": [KEY_REUSED]}) from None


def _check_fields(quiz: Questionnaire, body: dict) -> dict:
    """Check the body's fields; ApiError 422 with every problem found, else the clean values."""
    errors: dict[str, list[str]] = {}
    language = body.get("language")
    if language is not None and not isinstance(language, str):
        errors["language"] = ["Must be a language code, like en."]

    raw_answers = body.get("answers")
    answers: dict = {}
    if raw_answers is None:
        errors["answers"] = ["Give the answers, an object of question id to option id(s)."]
    elif not isinstance(raw_answers, dict):
        errors["answers"] = ["Must be an object of question id to option id(s)."]
    else:
        answers, answer_errors = check_answers(quiz, raw_answers)
        errors.update(answer_errors)

    contact = None
    consent = None
    raw_consent = body.get("consent")
    if body.get("contact") is not None:
        contact, contact_errors = check_contact(body["contact"])
        errors.update(contact_errors)
        # A missing consent object is reported as the two consents it lacks.
        consent, consent_errors = check_consent({} if raw_consent is None else raw_consent)
        errors.update(consent_errors)
    elif raw_consent is not None:
        # Without contact details nothing is stored, so consents need not be given, but what
        # is sent must still have the right shape.
        _, consent_errors = check_consent(raw_consent)
        _, refusals = check_consent({})
        errors.update({k: v for k, v in consent_errors.items() if refusals.get(k) != v})

    source, source_errors = check_source(body.get("source"))
    errors.update(source_errors)
    if errors:
        raise ApiError(422, errors)
    return {
        "answers": answers,
        "contact": contact,
        "consent": consent,
        "source": source,
    }


def result_body(clinic: Clinic, result: Result, language: str, lead_id: str | None) -> dict:
    """Return the response body for a scored assessment."""
    return {
        "lead_id": lead_id,
        **result.to_dict(language),
        "content": [
            {"id": item.id, "title": item.title.get(language), "url": url}
            for item, url in zip(
                result.content, content_urls(clinic, [i.id for i in result.content]), strict=True
            )
        ],
    }


def content_urls(clinic: Clinic, content_ids: list[str]) -> list[str]:
    """Return the absolute URLs of content pages, on PUBLIC_URL when it is set."""
    if not content_ids:
        return []
    # One address built, the others after its pattern: url_for and the public origin were a
    # twentieth of a lead, once per content item.
    try:
        path = url_for("embed.content", clinic=clinic.slug, content_id="-")
    except BuildError:
        path = f"{request.script_root}/embed/{quote(clinic.slug)}/content/-"
    base = public_url() + path[:-1]
    return [base + quote(content_id, safe="") for content_id in content_ids]
