"""Clinics: create, validate and describe them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy.exc import IntegrityError

from quiz import snippets
from quiz.branding import DEFAULTS as BRANDING_DEFAULTS
from quiz.branding import check_branding
from quiz.database import write_transaction
from quiz.messages import N_
from quiz.models import CONTACT_TIMINGS, Clinic
from quiz.services.common import SLUG, ServiceError, get_clinic, questionnaire
from quiz.validation import check_email, check_origin, check_phone, clean_page_url

# One whole message per link, so that each reads naturally once translated.
_URL_ERRORS = {
    "booking link": lambda value: N_(
        "booking link %(value)r: expected an http(s) URL", value=value
    ),
    "privacy link": lambda value: N_(
        "privacy link %(value)r: expected an http(s) URL", value=value
    ),
    "webhook": lambda value: N_("webhook %(value)r: expected an http(s) URL", value=value),
}


def _url(label: str, value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and clean_page_url(value) is None:
        raise ServiceError(_URL_ERRORS[label](value))
    return value


def check_clinic_fields(
    *,
    name: str,
    origins: Iterable[str] = (),
    email: str | None = None,
    phone: str | None = None,
    booking_url: str | None = None,
    privacy_url: str | None = None,
    webhook_url: str | None = None,
    language: str = "en",
    contact_timing: str = "after",
) -> dict[str, Any]:
    """Return a clinic's editable fields cleaned, or raise ServiceError naming the first bad one.

    The one set of rules for creating a clinic (CLI, back office) and for editing it.
    """
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise ServiceError(N_("name: give a name of 1 to 200 characters"))
    clean_origins = []
    for origin in origins:
        if not origin.strip():
            continue
        normalised = check_origin(origin)
        if normalised is None:
            raise ServiceError(
                N_("origin %(origin)r: expected http(s)://host[:port]", origin=origin)
            )
        clean_origins.append(normalised)
    email = (email or "").strip() or None
    if email is not None:
        checked, _ = check_email(email)
        if checked is None:
            raise ServiceError(N_("email %(email)r: not a valid email address", email=email))
        email = checked
    phone = (phone or "").strip() or None
    if phone is not None:
        checked, _ = check_phone(phone)
        if checked is None:
            raise ServiceError(N_("phone %(phone)r: use digits, spaces and + only", phone=phone))
        phone = checked
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
    return {
        "name": name,
        "origins": list(dict.fromkeys(clean_origins)),
        "email": email,
        "phone": phone,
        "booking_url": _url("booking link", booking_url),
        "privacy_url": _url("privacy link", privacy_url),
        "webhook_url": _url("webhook", webhook_url),
        "language": language,
        "contact_timing": contact_timing,
    }


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
    values = check_clinic_fields(
        name=name,
        origins=origins,
        email=email,
        phone=phone,
        booking_url=booking_url,
        webhook_url=webhook_url,
        language=language,
        contact_timing=contact_timing,
    )
    if get_clinic(slug) is not None:
        raise ServiceError(N_("a clinic with slug %(slug)r already exists", slug=slug))
    clinic = Clinic(slug=slug, branding={}, settings={}, **values)
    try:
        with write_transaction() as session:
            session.add(clinic)
    except IntegrityError:
        raise ServiceError(N_("a clinic with slug %(slug)r already exists", slug=slug)) from None
    return clinic


def embed_snippet(
    clinic_slug: str, public_url: str, options: snippets.EmbedOptions | None = None
) -> str:
    """Return the HTML that embeds a clinic's quiz (inline unless `options` say otherwise).

    The words the host page shows are in the clinic's language (or the options' one), and a
    launcher takes the clinic's branded colours.
    """
    options = options or snippets.EmbedOptions()
    clinic = get_clinic(clinic_slug)
    language = options.language or (clinic.language if clinic is not None else "en")
    with force_locale(language):
        texts = snippets.SnippetTexts(
            title=gettext("Is mesotherapy right for you?"),
            label=gettext("Free skin assessment"),
            close=gettext("Close"),
            link=gettext("Take our skin assessment"),
        )
    branding, _ = check_branding(clinic.branding if clinic is not None else {})
    colours = None
    if "primary" in branding or "on_primary" in branding:
        # Both sides of the pair, as the quiz's own buttons show them (checked for contrast).
        colours = (
            branding.get("primary", BRANDING_DEFAULTS["primary"]),
            branding.get("on_primary", BRANDING_DEFAULTS["on_primary"]),
        )
    return snippets.render(clinic_slug, public_url, options, texts, colours)


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
