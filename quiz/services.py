"""The write side: record assessments and events, create clinics, keep the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app
from sqlalchemy.exc import IntegrityError

from quiz.crypto import Vault
from quiz.database import write_transaction
from quiz.extensions import db
from quiz.models import (
    CONTACT_TIMINGS,
    Clinic,
    Delivery,
    Event,
    Lead,
    QuestionnaireSnapshot,
    utcnow,
)
from quiz.questions import Questionnaire
from quiz.scoring import Result
from quiz.validation import Consent, Contact, check_contact, check_origin, clean_page_url

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
EVENT_KINDS = ("view", "start", "step", "complete", "lead")


class ServiceError(ValueError):
    """A domain rule the request broke; the message is safe to show."""


def vault() -> Vault:
    """Return the app's encryption vault."""
    return current_app.extensions["vault"]


def questionnaire() -> Questionnaire:
    """Return the questionnaire loaded at start-up."""
    return current_app.extensions["questionnaire"]


def get_clinic(slug: str) -> Clinic | None:
    """Return the clinic with that slug, or None."""
    if not SLUG.match(slug or ""):
        return None
    return db.session.execute(db.select(Clinic).filter_by(slug=slug)).scalar_one_or_none()


def hidden_content(clinic: Clinic) -> list[str]:
    """Return the content ids this clinic chose not to show."""
    hidden = (clinic.settings or {}).get("hidden_content", [])
    return [h for h in hidden if isinstance(h, str)]


def record_event(
    clinic: Clinic,
    kind: str,
    *,
    step: str | None = None,
    result: Result | None = None,
    source: dict[str, str] | None = None,
) -> None:
    """Store one funnel event; it carries no personal data."""
    assert kind in EVENT_KINDS
    source = source or {}
    with write_transaction() as session:
        session.add(
            Event(
                clinic_id=clinic.id,
                kind=kind,
                step=step,
                outcome_id=result.outcome.id if result else None,
                suitability=result.suitability if result else None,
                utm_source=source.get("utm_source"),
                utm_campaign=source.get("utm_campaign"),
            )
        )


def record_assessment(
    clinic: Clinic,
    result: Result,
    *,
    contact: Contact,
    consent: Consent,
    source: dict[str, str],
    language: str,
    submission_id: str,
) -> Lead:
    """Store a lead with its encrypted health data, its funnel event and its deliveries.

    One transaction: the lead, the snapshot of the questionnaire it answered, the "lead"
    event and one outbox row per channel. The same `submission_id` twice returns the first
    lead and stores nothing new (double clicks, reloads, retried requests).
    """
    if not result.store_lead:
        raise ServiceError("This result does not allow storing contact details.")
    if not (consent.contact and consent.health_data):
        raise ServiceError("Both consents are needed to store a lead.")
    existing = find_submission(clinic, submission_id)
    if existing is not None:
        return existing
    quiz = questionnaire()
    now = utcnow()
    health = {
        "answers": {k: list(v) for k, v in result.answers.items()},
        "scores": result.scores,
        "reasons": [
            {"text": r.text.get(language), "question": r.question_id, "option": r.option_id}
            for r in result.reasons
        ],
        "content": [c.id for c in result.content],
        "outcome_title": result.outcome.title.get(language),
    }
    lead = Lead(
        clinic_id=clinic.id,
        submission_id=submission_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        contact_time=contact.contact_time,
        language=language,
        consent_contact_at=now,
        consent_health_at=now,
        consent_marketing_at=now if consent.marketing else None,
        consent_version=f"{quiz.consent_version}:{language}",
        wants_copy=consent.wants_copy,
        suitability=result.suitability,
        outcome_id=result.outcome.id,
        top_area=result.top_area,
        questionnaire_version=quiz.version,
        health_data=vault().encrypt(health),
        created_at=now,
        **{k: v for k, v in source.items() if k in _SOURCE_COLUMNS},
    )
    try:
        with write_transaction() as session:
            _snapshot(session, quiz)
            session.add(lead)
            session.flush()
            session.add(
                Event(
                    clinic_id=clinic.id,
                    kind="lead",
                    outcome_id=result.outcome.id,
                    suitability=result.suitability,
                    utm_source=source.get("utm_source"),
                    utm_campaign=source.get("utm_campaign"),
                )
            )
            for channel in _channels(clinic, consent):
                session.add(Delivery(lead_id=lead.id, clinic_id=clinic.id, channel=channel))
    except IntegrityError:
        # Another request stored the same submission first: answer with that lead.
        existing = find_submission(clinic, submission_id)
        if existing is None:
            raise
        return existing
    return lead


_SOURCE_COLUMNS = {
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "page_url",
}


def find_submission(clinic: Clinic, submission_id: str) -> Lead | None:
    """Return the lead already stored for this quiz run, if any."""
    return db.session.execute(
        db.select(Lead).filter_by(clinic_id=clinic.id, submission_id=submission_id)
    ).scalar_one_or_none()


def _channels(clinic: Clinic, consent: Consent) -> Iterable[str]:
    if clinic.email:
        yield "email"
    if clinic.webhook_url:
        yield "webhook"
    if consent.wants_copy:
        yield "visitor_email"


def _snapshot(session, quiz: Questionnaire) -> None:
    if session.get(QuestionnaireSnapshot, quiz.version) is None:
        path = current_app.config["QUESTIONS_FILE"]
        with open(path, encoding="utf-8") as handle:
            session.add(QuestionnaireSnapshot(version=quiz.version, document=handle.read()))


def read_health_data(lead: Lead) -> dict:
    """Decrypt a lead's health data (answers, scores, reasons, content)."""
    return vault().decrypt(lead.health_data)


# --------------------------------------------------------------------------- clinics


def create_clinic(
    slug: str,
    name: str,
    *,
    origins: Iterable[str] = (),
    email: str | None = None,
    webhook_url: str | None = None,
    language: str = "en",
    booking_url: str | None = None,
    phone: str | None = None,
    contact_timing: str = "after",
) -> Clinic:
    """Validate and store a new clinic; raise ServiceError naming the first bad value."""
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise ServiceError(
            f"slug {slug!r}: use 1-63 lowercase letters, digits and '-', not at either end"
        )
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise ServiceError("name: give a name of 1 to 200 characters")
    clean_origins = []
    for origin in origins:
        normalised = check_origin(origin)
        if normalised is None:
            raise ServiceError(f"origin {origin!r}: expected http(s)://host[:port]")
        clean_origins.append(normalised)
    if email is not None:
        _, errors = check_contact({"name": name, "email": email})
        if errors:
            raise ServiceError(f"email {email!r}: not a valid email address")
    if language not in questionnaire().languages:
        supported = ", ".join(questionnaire().languages)
        raise ServiceError(f"language {language!r}: supported languages are {supported}")
    if contact_timing not in CONTACT_TIMINGS:
        raise ServiceError("contact timing: expected 'after' or 'before'")
    if webhook_url is not None and clean_page_url(webhook_url) is None:
        raise ServiceError(f"webhook {webhook_url!r}: expected an http(s) URL")
    if get_clinic(slug) is not None:
        raise ServiceError(f"a clinic with slug {slug!r} already exists")
    clinic = Clinic(
        slug=slug,
        name=name,
        origins=list(dict.fromkeys(clean_origins)),
        email=email.lower() if email else None,
        webhook_url=webhook_url,
        language=language,
        booking_url=booking_url,
        phone=phone,
        contact_timing=contact_timing,
        branding={},
        settings={},
    )
    try:
        with write_transaction() as session:
            session.add(clinic)
    except IntegrityError:
        raise ServiceError(f"a clinic with slug {slug!r} already exists") from None
    return clinic


def ensure_demo_clinic() -> Clinic:
    """Create the `demo` clinic used by `make run` and the demo host page, if missing."""
    clinic = get_clinic("demo")
    if clinic is not None:
        return clinic
    return create_clinic(
        "demo",
        "Demo Aesthetic Clinic",
        origins=["http://127.0.0.1:5000", "http://localhost:5000"],
        booking_url="https://example.com/book",
        phone="+44 20 7946 0000",
    )


def clinic_summary(clinic: Clinic) -> str:
    """Return a one-line description of a clinic for `clinic list`."""
    origins = ",".join(clinic.origins or []) or "-"
    return f"{clinic.slug}\t{clinic.name}\t{clinic.language}\t{origins}\t{clinic.email or '-'}"
