"""Editing a clinic from the back office, with the same rules as creating one."""

from __future__ import annotations

from collections.abc import Iterable

from quiz.database import write_transaction
from quiz.models import CONTACT_TIMINGS, Clinic
from quiz.services.common import ServiceError, questionnaire
from quiz.services.leadwork import add_audit
from quiz.validation import check_contact, check_origin, clean_page_url


def _url(label: str, value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and clean_page_url(value) is None:
        raise ServiceError(f"{label} {value!r}: expected an http(s) URL")
    return value


def update_clinic(
    clinic: Clinic,
    *,
    actor: str,
    name: str,
    origins: Iterable[str] = (),
    email: str | None = None,
    booking_url: str | None = None,
    phone: str | None = None,
    privacy_url: str | None = None,
    language: str = "en",
    contact_timing: str = "after",
    webhook_url: str | None = None,
) -> Clinic:
    """Validate and save a clinic's editable settings; raise ServiceError naming a bad value."""
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise ServiceError("name: give a name of 1 to 200 characters")
    clean_origins = []
    for origin in origins:
        if not origin.strip():
            continue
        normalised = check_origin(origin)
        if normalised is None:
            raise ServiceError(f"origin {origin!r}: expected http(s)://host[:port]")
        clean_origins.append(normalised)
    email = (email or "").strip() or None
    if email is not None:
        _, errors = check_contact({"name": name, "email": email})
        if errors:
            raise ServiceError(f"email {email!r}: not a valid email address")
    phone = (phone or "").strip() or None
    if phone is not None:
        _, errors = check_contact({"name": name, "email": "a@example.com", "phone": phone})
        if errors:
            raise ServiceError(f"phone {phone!r}: use digits, spaces and + only")
    if language not in questionnaire().languages:
        supported = ", ".join(questionnaire().languages)
        raise ServiceError(f"language {language!r}: supported languages are {supported}")
    if contact_timing not in CONTACT_TIMINGS:
        raise ServiceError("contact timing: expected 'after' or 'before'")
    values = {
        "name": name,
        "origins": list(dict.fromkeys(clean_origins)),
        "email": email.lower() if email else None,
        "booking_url": _url("booking link", booking_url),
        "phone": phone,
        "privacy_url": _url("privacy link", privacy_url),
        "language": language,
        "contact_timing": contact_timing,
        "webhook_url": _url("webhook", webhook_url),
    }
    clinic_id = clinic.id
    with write_transaction() as session:
        stored = session.get(Clinic, clinic_id)
        if stored is None:
            raise ServiceError("This clinic no longer exists.")
        for key, value in values.items():
            setattr(stored, key, value)
        add_audit(session, actor, "clinic.update", {"clinic": stored.slug})
    return stored
