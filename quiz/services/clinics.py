"""Clinics: create, validate and describe them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy.exc import IntegrityError

from quiz import chat, snippets
from quiz.branding import DEFAULTS as BRANDING_DEFAULTS
from quiz.branding import check_branding
from quiz.database import write_transaction
from quiz.followup import parse_hours, parse_window
from quiz.limits import MAX_LENGTH
from quiz.messages import N_, Message
from quiz.models import CONTACT_TIMINGS, DEFAULT_FOLLOW_UP_HOURS, Clinic
from quiz.runtime import questionnaire
from quiz.services.audit import add_audit
from quiz.services.common import SLUG, ServiceError, get_clinic
from quiz.urls import FALLBACK_PUBLIC_URL, public_url
from quiz.validation import (
    check_email,
    check_origin,
    check_phone,
    clean_page_url,
    storage_problem,
)

# One whole message per link, so that each reads naturally once translated.
_URL_ERRORS = {
    "privacy link": lambda value: N_(
        "privacy link %(value)r: expected an http(s) URL", value=value
    ),
    "webhook": lambda value: N_("webhook %(value)r: expected an http(s) URL", value=value),
}


_BOOKING_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def check_booking_url(value: str | None) -> str | None:
    """Return the booking link cleaned (None for none); ServiceError unless it is https.

    Only https: the visitor leaves the quiz for it, or it is framed in the thanks screen.
    """
    value = (value or "").strip() or None
    if value is None:
        return None
    limit = MAX_LENGTH["booking_url"]
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    # A host the thanks screen's CSP can name (frame-src), so the inline frame works too.
    if (
        parts is None
        or len(value) > limit
        or any(ch.isspace() or ord(ch) < 32 for ch in value)
        or parts.scheme != "https"
        or not port_ok
        or not _BOOKING_HOST.fullmatch(parts.hostname or "")
    ):
        raise ServiceError(
            N_(
                "booking link %(value)r: expected an https URL of at most %(limit)d characters",
                value=value[:100],
                limit=limit,
            )
        )
    return parts.geturl()


def _url(label: str, value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and clean_page_url(value) is None:
        raise ServiceError(_URL_ERRORS[label](value))
    return value


@dataclass(frozen=True)
class ClinicFields:
    """A clinic's editable fields as one value, from the back office's form or the CLI."""

    name: str
    origins: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    booking_url: str | None = None
    booking_inline: bool = False
    privacy_url: str | None = None
    webhook_url: str | None = None
    # None: the visitor's browser chooses (Accept-Language), then English.
    language: str | None = None
    contact_timing: str = "after"
    notify_url: str | None = None
    # Hours a new lead may wait for a first contact (text from a form or a command line is
    # checked by followup.parse_hours) and optional daily working hours, "HH:MM-HH:MM" UTC.
    follow_up_hours: float | str = DEFAULT_FOLLOW_UP_HOURS
    working_hours: str | None = None

    def __post_init__(self) -> None:
        # Callers hold lists (a form's lines, a fixture's literal): the value keeps a tuple.
        object.__setattr__(self, "origins", tuple(self.origins))

    def columns(self) -> dict[str, Any]:
        """Return the fields as Clinic column values (origins a list, as the JSON column holds)."""
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "origins": [*self.origins]}


def check_clinic_fields(given: ClinicFields) -> ClinicFields:
    """Return a clinic's fields cleaned, or raise ServiceError naming the first bad one.

    The one set of rules for creating a clinic (CLI, back office) and for editing it.
    """
    # A command-line argument in no valid encoding arrives with lone surrogates, which no
    # database can store: refuse them (and NULs) before any other rule looks at the text.
    for value in (
        given.name,
        *given.origins,
        given.email,
        given.phone,
        given.booking_url,
        given.privacy_url,
        given.webhook_url,
        given.notify_url,
        given.working_hours,
    ):
        if value is not None and storage_problem(value) is not None:
            raise ServiceError(N_("%(value)r: remove the NUL or broken characters", value=value))
    name = " ".join((given.name or "").split())
    if not name or len(name) > 200:
        raise ServiceError(N_("name: give a name of 1 to 200 characters"))
    origins = _origins(given.origins)
    email = _checked(given.email, check_email, _bad_email)
    phone = _checked(given.phone, check_phone, _bad_phone)
    language = given.language or None
    if language is not None and language not in questionnaire().languages:
        supported = ", ".join(questionnaire().languages)
        raise ServiceError(
            N_(
                "language %(language)r: supported languages are %(supported)s",
                language=given.language,
                supported=supported,
            )
        )
    if given.contact_timing not in CONTACT_TIMINGS:
        raise ServiceError(N_("contact timing: expected 'after' or 'before'"))
    hours, window = check_follow_up(given.follow_up_hours, given.working_hours)
    return replace(
        given,
        name=name,
        origins=origins,
        email=email,
        phone=phone,
        language=language,
        booking_url=check_booking_url(given.booking_url),
        privacy_url=_url("privacy link", given.privacy_url),
        webhook_url=_url("webhook", given.webhook_url),
        notify_url=check_notify_url(given.notify_url),
        booking_inline=_booking_inline(given),
        follow_up_hours=hours,
        working_hours=window,
    )


def _booking_inline(given: ClinicFields) -> bool:
    if given.booking_inline and not (given.booking_url or "").strip():
        raise ServiceError(N_("booking inline: give a booking link to show in the thanks screen"))
    return bool(given.booking_inline)


def check_follow_up(hours: object, working_hours: str | None) -> tuple[float, str | None]:
    """Return a follow-up time in hours and working hours as stored; ServiceError if refused."""
    parsed = parse_hours(hours)
    if not isinstance(parsed, float):
        raise ServiceError(parsed)
    window = parse_window(working_hours)
    if isinstance(window, Message):
        raise ServiceError(window)
    return parsed, str(window) if window is not None else None


def check_notify_url(value: str | None) -> str | None:
    """Return the chat webhook cleaned (None for none); ServiceError when its rules refuse it."""
    value = (value or "").strip() or None
    if value is None:
        return None
    if storage_problem(value) is not None:
        raise ServiceError(N_("%(value)r: remove the NUL or broken characters", value=value))
    allow_private = bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))
    problem = chat.url_problem(value, allow_private=allow_private)
    if problem is not None:
        raise ServiceError(problem)
    return value


def _origins(origins: Iterable[str]) -> tuple[str, ...]:
    clean = []
    for origin in origins:
        if not origin.strip():
            continue
        normalised = check_origin(origin)
        if normalised is None:
            raise ServiceError(
                N_("origin %(origin)r: expected http(s)://host[:port]", origin=origin)
            )
        clean.append(normalised)
    return tuple(dict.fromkeys(clean))


def _bad_email(value: str) -> Message:
    return N_("email %(email)r: not a valid email address", email=value)


def _bad_phone(value: str) -> Message:
    return N_("phone %(phone)r: use digits, spaces and + only", phone=value)


def _checked(
    value: str | None,
    check: Callable[[str], tuple[str | None, Any]],
    message: Callable[[str], Message],
) -> str | None:
    # Empty means none; anything else is what the visitors' own check makes of it, or refused.
    value = (value or "").strip() or None
    if value is None:
        return None
    checked, _ = check(value)
    if checked is None:
        raise ServiceError(message(value))
    return checked


def create_clinic(slug: str, given: ClinicFields, *, actor: str = "system") -> Clinic:
    """Validate and store a new clinic, audited as "clinic.create", in one transaction.

    Raise ServiceError naming the first bad value; nothing is stored then.
    """
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise ServiceError(
            N_(
                "slug %(slug)r: use 1-63 lowercase letters, digits and '-', not at either end",
                slug=slug,
            )
        )
    clean = check_clinic_fields(given)
    if get_clinic(slug) is not None:
        raise ServiceError(N_("a clinic with slug %(slug)r already exists", slug=slug))
    clinic = Clinic(slug=slug, branding={}, settings={}, **clean.columns())
    try:
        with write_transaction() as session:
            session.add(clinic)
            add_audit(session, actor, "clinic.create", {"clinic": slug})
    except IntegrityError:
        raise ServiceError(N_("a clinic with slug %(slug)r already exists", slug=slug)) from None
    return clinic


def embed_snippet(
    clinic_slug: str, options: snippets.EmbedOptions | None = None, *, base: str | None = None
) -> str:
    """Return the HTML that embeds a clinic's quiz (inline unless `options` say otherwise).

    The quiz is loaded from `base`, by default the public URL. The words the host page shows
    are in the clinic's language (or the options' one), and a launcher takes the clinic's
    branded colours.
    """
    options = options or snippets.EmbedOptions()
    clinic = get_clinic(clinic_slug)
    language = options.language or (clinic.staff_language if clinic is not None else "en")
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
    return snippets.render(clinic_slug, base or public_url(), options, texts, colours)


def ensure_demo_clinic() -> Clinic:
    """Create the `demo` clinic used by `make run` and the demo host page, if missing."""
    clinic = get_clinic("demo")
    if clinic is not None:
        return clinic
    return create_clinic(
        "demo",
        ClinicFields(
            name="Demo Aesthetic Clinic",
            origins=(FALLBACK_PUBLIC_URL, "http://localhost:5000"),
            booking_url="https://example.com/book",
            phone="+44 20 7946 0000",
        ),
    )


def clinic_summary(clinic: Clinic) -> str:
    """Return a one-line description of a clinic for `clinic list`."""
    origins = ",".join(clinic.origins or []) or "-"
    language = clinic.language or "-"  # none: the visitor's browser chooses
    return f"{clinic.slug}\t{clinic.name}\t{language}\t{origins}\t{clinic.email or '-'}"
