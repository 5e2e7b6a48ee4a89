"""Clinics: create, validate and describe them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError

from quiz.database import write_transaction
from quiz.messages import N_
from quiz.models import CONTACT_TIMINGS, Clinic
from quiz.services.common import SLUG, ServiceError, get_clinic, questionnaire
from quiz.validation import check_contact, check_origin, clean_page_url


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
            N_(
                "slug %(slug)r: use 1-63 lowercase letters, digits and '-', not at either end",
                slug=slug,
            )
        )
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise ServiceError(N_("name: give a name of 1 to 200 characters"))
    clean_origins = []
    for origin in origins:
        normalised = check_origin(origin)
        if normalised is None:
            raise ServiceError(
                N_("origin %(origin)r: expected http(s)://host[:port]", origin=origin)
            )
        clean_origins.append(normalised)
    if email is not None:
        _, errors = check_contact({"name": name, "email": email})
        if errors:
            raise ServiceError(N_("email %(email)r: not a valid email address", email=email))
    if language not in questionnaire().languages:
        supported = ", ".join(questionnaire().languages)
        raise ServiceError(
            N_(
                "language %(language)r: supported languages are %(supported)s",
                language=language,
                supported=supported,
            )
        )
    if contact_timing not in CONTACT_TIMINGS:
        raise ServiceError(N_("contact timing: expected 'after' or 'before'"))
    if webhook_url is not None and clean_page_url(webhook_url) is None:
        raise ServiceError(N_("webhook %(value)r: expected an http(s) URL", value=webhook_url))
    if get_clinic(slug) is not None:
        raise ServiceError(N_("a clinic with slug %(slug)r already exists", slug=slug))
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
        raise ServiceError(N_("a clinic with slug %(slug)r already exists", slug=slug)) from None
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
