"""Editing a clinic from the back office, with the same rules as creating one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select

from quiz import chat, webhooks
from quiz.branding import check_branding
from quiz.conversions import check_conversion_settings
from quiz.database import write_transaction
from quiz.messages import N_
from quiz.models import Clinic
from quiz.runtime import questionnaire
from quiz.services.audit import add_audit
from quiz.services.clinics import (
    ClinicFields,
    check_booking_url,
    check_clinic_fields,
    check_follow_up,
    check_notify_url,
)
from quiz.services.common import ServiceError
from quiz.services.outbox import generate_secret
from quiz.urls import public_url

MAX_VOICE_TEXT = 1000


class SettingsError(ServiceError):
    """Problems with a clinic's branding or voice, by field; nothing was saved."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in errors.items()))
        self.errors = errors


def check_voice(
    intro: str | None, thanks: str | None, hidden_content: Iterable[str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check a clinic's intro and thank-you texts and hidden content ids; return (clean, errors).

    Empty texts are left out of the clean dict: the quiz then shows its own wording.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in (("intro", intro), ("thanks", thanks)):
        # Browsers post \r\n; count and store what the visitor will see.
        text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            continue
        if len(text) > MAX_VOICE_TEXT:
            errors[key] = [
                N_(
                    "Must be at most %(limit)d characters (this is %(length)d).",
                    limit=MAX_VOICE_TEXT,
                    length=len(text),
                )
            ]
        elif any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
            errors[key] = [N_("Use plain text only.")]
        else:
            clean[key] = text
    known = [item.id for item in questionnaire().content]
    chosen = set(hidden_content)
    unknown = sorted(chosen - set(known))
    if unknown:
        errors["hidden_content"] = [
            N_("Unknown content item: %(items)s.", items=", ".join(unknown)[:200])
        ]
    else:
        clean["hidden_content"] = [cid for cid in known if cid in chosen]
    return clean, errors


def update_clinic(
    clinic: Clinic,
    given: ClinicFields,
    *,
    actor: str,
    webhook_include_answers: bool | None = None,
    branding: Mapping[str, Any] | None = None,
    voice: Mapping[str, Any] | None = None,
    conversion: Mapping[str, str | None] | None = None,
) -> Clinic:
    """Validate and save a clinic's editable settings; raise ServiceError naming a bad value.

    `given` replaces the clinic's fields. `webhook_include_answers`, `branding` (the fields
    of quiz.branding) and `voice` (intro, thanks, hidden_content) replace what is stored
    when given and are left alone when None; so does `conversion` (name, value, currency of
    its offline conversions). The problems of branding, voice and conversion come together,
    field by field, in a SettingsError.
    """
    values = check_clinic_fields(given).columns()
    if webhook_include_answers is not None:
        values["webhook_include_answers"] = bool(webhook_include_answers)
    field_errors: dict[str, list[str]] = {}
    if branding is not None:
        values["branding"], branding_errors = check_branding(branding)
        field_errors.update(branding_errors)
    clean_voice = None
    if voice is not None:
        clean_voice, voice_errors = check_voice(
            voice.get("intro"), voice.get("thanks"), voice.get("hidden_content") or ()
        )
        field_errors.update(voice_errors)
    if conversion is not None:
        checked, conversion_errors = check_conversion_settings(
            conversion.get("name"), conversion.get("value"), conversion.get("currency")
        )
        values.update(zip(_CONVERSION_COLUMNS, checked, strict=True))
        field_errors.update(conversion_errors)
    if field_errors:
        raise SettingsError(field_errors)
    clinic_id = clinic.id
    with write_transaction() as session:
        stored = session.get(Clinic, clinic_id)
        if stored is None:
            raise ServiceError(N_("This clinic no longer exists."))
        for key, value in values.items():
            setattr(stored, key, value)
        if clean_voice is not None:
            # Other settings keys belong to other features: replace only the voice's own.
            settings = {k: v for k, v in (stored.settings or {}).items() if k not in _VOICE_KEYS}
            stored.settings = {**settings, **clean_voice}
        add_audit(session, actor, "clinic.update", {"clinic": stored.slug})
    return stored


_VOICE_KEYS = ("intro", "thanks", "hidden_content")
_CONVERSION_COLUMNS = ("conversion_name", "conversion_value", "conversion_currency")


def set_conversion(
    clinic: Clinic, *, name: str | None, value: str | None, currency: str | None, actor: str
) -> Clinic:
    """Save the name, value and currency of a clinic's offline conversions (empty: the
    default name, no value); raise SettingsError, with nothing saved, naming a bad one."""
    checked, errors = check_conversion_settings(name, value, currency)
    if errors:
        raise SettingsError(errors)
    with write_transaction() as session:
        stored = session.get(Clinic, clinic.id)
        if stored is None:
            raise ServiceError(N_("This clinic no longer exists."))
        for column, stored_value in zip(_CONVERSION_COLUMNS, checked, strict=True):
            setattr(stored, column, stored_value)
        add_audit(session, actor, "clinic.conversion", {"clinic": stored.slug})
    return stored


def rotate_webhook_secret(slug: str, *, actor: str) -> str:
    """Give the clinic a new webhook signing secret, audit it, and return it (shown once).

    The old secret stops working at once: deliveries from now on are signed with the new one.
    """
    secret = generate_secret()
    with write_transaction() as session:
        stored = session.execute(select(Clinic).filter_by(slug=slug)).scalar_one_or_none()
        if stored is None:
            raise ServiceError(N_("no clinic %(slug)r", slug=slug))
        stored.webhook_secret = secret
        add_audit(session, actor, "webhook_secret_rotated", {"clinic": stored.slug})
    return secret


def set_notify_url(slug: str, url: str | None, *, actor: str) -> Clinic:
    """Set (or, given nothing, remove) a clinic's chat webhook; ServiceError when refused."""
    clean = check_notify_url(url)
    with write_transaction() as session:
        stored = session.execute(select(Clinic).filter_by(slug=slug)).scalar_one_or_none()
        if stored is None:
            raise ServiceError(N_("no clinic %(slug)r", slug=slug))
        stored.notify_url = clean
        add_audit(session, actor, "clinic.notify", {"clinic": stored.slug, "set": bool(clean)})
    return stored


def set_booking(slug: str, url: str | None, inline: bool | None, *, actor: str) -> Clinic:
    """Set a clinic's booking link ('' removes it) and whether the thanks screen frames it;
    None leaves either as it is. ServiceError when refused; nothing changes then."""
    with write_transaction() as session:
        stored = session.execute(select(Clinic).filter_by(slug=slug)).scalar_one_or_none()
        if stored is None:
            raise ServiceError(N_("no clinic %(slug)r", slug=slug))
        booking_url = check_booking_url(stored.booking_url if url is None else url)
        wanted = stored.booking_inline if inline is None else inline
        if wanted and booking_url is None:
            if inline:
                raise ServiceError(
                    N_("booking inline: give a booking link to show in the thanks screen")
                )
            wanted = False  # the link was removed: nothing is left to frame
        stored.booking_url, stored.booking_inline = booking_url, wanted
        add_audit(session, actor, "clinic.booking", {"clinic": stored.slug, "inline": wanted})
    return stored


def set_follow_up(
    slug: str, hours: object | None, working_hours: str | None, *, actor: str
) -> Clinic:
    """Set a clinic's follow-up time and/or working hours ("" removes them); None keeps it.

    Both are checked before anything is stored: a bad value changes nothing.
    """
    with write_transaction() as session:
        stored = session.execute(select(Clinic).filter_by(slug=slug)).scalar_one_or_none()
        if stored is None:
            raise ServiceError(N_("no clinic %(slug)r", slug=slug))
        clean_hours, clean_window = check_follow_up(
            stored.follow_up_hours if hours is None else hours,
            stored.working_hours if working_hours is None else working_hours,
        )
        stored.follow_up_hours, stored.working_hours = clean_hours, clean_window
        add_audit(
            session,
            actor,
            "clinic.follow_up",
            {"clinic": stored.slug, "hours": clean_hours, "working_hours": clean_window},
        )
    return stored


def send_test_chat(clinic: Clinic, *, actor: str) -> str | None:
    """Send a test message to the clinic's chat webhook now; return the error, None if sent.

    The same message format, guard and timeout as a lead's chat delivery, but no retry: the
    person who pressed the button sees the result at once.
    """
    url = clinic.notify_url
    if not url:
        raise ServiceError(N_("this clinic has no chat webhook: save one first"))
    text = chat.test_text(clinic.name, clinic.staff_language)
    body = webhooks.encode(
        chat.message(url, text, f"{public_url()}/admin/leads?clinic={clinic.slug}")
    )
    config = current_app.config
    error = None
    try:
        webhooks.post(
            url,
            body,
            {"Content-Type": "application/json"},
            allow_private=bool(config["WEBHOOK_ALLOW_PRIVATE"]),
            timeout=float(config["WEBHOOK_TIMEOUT"]),
        )
    except webhooks.WebhookError as exc:
        error = str(exc)
    with write_transaction() as session:
        add_audit(session, actor, "clinic.notify_test", {"clinic": clinic.slug, "sent": not error})
    return error
