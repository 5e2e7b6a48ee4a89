"""Pure checks of contact details, consents and attribution shared by the form and the API."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from email_validator import (
    SPECIAL_USE_DOMAIN_NAMES,
    EmailNotValidError,
    ValidatedEmail,
    validate_email,
)

from quiz.limits import MAX_LENGTH
from quiz.messages import N_, Message

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Attribution a lead keeps: the utm_* fields and the page the quiz was embedded on.
SOURCE_FIELDS = (*UTM_FIELDS, "page_url")
# The ad platforms' click ids (Google, Meta, Microsoft, TikTok, LinkedIn): personal data, kept
# only with the visitor's ad-measurement consent, each in its own column.
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "li_fat_id")
# The quiz's query parameter saying the host page has ad-measurement consent.
AD_CONSENT_PARAMETER = "ad_consent"
# Opaque tokens in URL-safe characters: base64url (Google, Meta, TikTok) or hex and UUIDs
# (Microsoft, LinkedIn). Anything else is not an id the platform issued.
_TOKEN_ALPHABET = re.compile(r"^[A-Za-z0-9._-]+$")
_HEX_ALPHABET = re.compile(r"^[A-Za-z0-9-]+$")
CLICK_ID_ALPHABETS = {
    "gclid": _TOKEN_ALPHABET,
    "gbraid": _TOKEN_ALPHABET,
    "wbraid": _TOKEN_ALPHABET,
    "fbclid": _TOKEN_ALPHABET,
    "msclkid": _HEX_ALPHABET,
    "ttclid": _TOKEN_ALPHABET,
    "li_fat_id": _HEX_ALPHABET,
}
CONTACT_TIMES = ("any", "morning", "afternoon", "evening")
_LOCAL_PART_MAX = 64
# A phone number's length once its spaces are tidied.
PHONE_MIN, PHONE_MAX = 6, 25
_PHONE = re.compile(rf"^\+?[0-9 ()./-]{{{PHONE_MIN},{PHONE_MAX}}}$")
# An RFC 2047 encoded word, =?charset?encoding?text?=: mail software decodes it wherever it
# meets one in a header, line breaks included, so it is never part of a contact field.
_ENCODED_WORD = re.compile(r"=\?.*?\?=", re.S)
# Controls (C0, C1 with NEL), format characters (bidi overrides, zero-width spaces, BOM),
# line and paragraph separators, and lone surrogates: they break lines or hide text.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Zero-width non-joiner and joiner are format characters that spell names correctly in
# Persian and Indic scripts (and join emoji), and break no line.
_NAME_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})


def _refused(character: str) -> bool:
    return (
        unicodedata.category(character) in _UNSAFE_CATEGORIES
        and character not in _NAME_FORMAT_CHARACTERS
    )


def storage_problem(value: str) -> Message | None:
    """Return why no database can store this text (a NUL, a lone surrogate), or None."""
    # PostgreSQL refuses NUL in text; a lone surrogate has no UTF-8 form for any database.
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        return N_("Please remove the invisible NUL or broken characters from this text.")
    return None


def text_problem(value: str) -> Message | None:
    """Return why text cannot be contact or attribution (controls, encoded words), or None."""
    if any(_refused(c) for c in value):
        return N_("Please remove line breaks and other invisible control characters.")
    if _ENCODED_WORD.search(value):
        return N_("Please write this as plain text, without =?…?= sequences.")
    return None


def _validated_email(value: Any) -> tuple[ValidatedEmail | None, Message | None]:
    if not isinstance(value, str):
        return None, N_("Must be text.")
    # Before stripping: str.strip() would quietly drop line breaks at either end.
    problem = text_problem(value)
    if problem is not None:
        return None, problem
    value = value.strip()
    if not value:
        return None, N_("Please give an email address.")
    try:
        # Syntax only, as deliverable mail: no quoted local parts, no display names, no
        # domain literals, RFC length limits, IDN and SMTPUTF8 where they are valid. No DNS:
        # a lookup would make a form submission wait on the network.
        validated = validate_email(value.lower(), check_deliverability=False)
    except EmailNotValidError:
        validated = None
    # RFC 5321's 64 characters before the @, which newer email-validator releases check
    # only in their strict mode.
    if validated is None or len(validated.local_part) > _LOCAL_PART_MAX:
        return None, N_("Please give a valid email address, like name@example.com.")
    return validated, None


def check_email(value: Any) -> tuple[str | None, Message | None]:
    """Return one email address as the app stores it (lower-cased), or None and the reason."""
    validated, error = _validated_email(value)
    return (validated.normalized if validated else None), error


def mail_address(value: Any) -> str | None:
    """Return one valid address in the form to give a mail server (IDN domain in ASCII)."""
    validated, _ = _validated_email(value)
    if validated is None:
        return None
    # ascii_email is None when the local part itself needs SMTPUTF8.
    return validated.ascii_email or validated.normalized


def check_phone(value: Any) -> tuple[str | None, Message | None]:
    """Return a phone number with its spaces tidied, or None and the reason it is not one."""
    if not isinstance(value, str):
        return None, N_("Must be text.")
    problem = text_problem(value)
    if problem is not None:
        return None, problem
    value = " ".join(value.split())
    if not _PHONE.match(value):
        return None, N_("Please give a phone number using digits, spaces and + only.")
    return value, None


@dataclass(frozen=True)
class Contact:
    """A visitor's contact details, already checked."""

    name: str
    email: str
    phone: str | None = None
    contact_time: str | None = None


def check_contact(raw: Any) -> tuple[Contact | None, dict[str, list[str]]]:
    """Validate {"name", "email", "phone"?, "contact_time"?}; return the contact or errors."""
    if not isinstance(raw, dict):
        return None, {"contact": [N_("Must be an object with name and email.")]}
    errors: dict[str, list[str]] = {}
    unknown = set(raw) - {"name", "email", "phone", "contact_time"}
    for key in sorted(unknown):
        errors[f"contact.{key}"[:100]] = [N_("Unknown field.")]

    def text(key: str, limit: int) -> str | None:
        value = raw.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            errors[f"contact.{key}"] = [N_("Must be text.")]
            return None
        # Before tidying spaces: str.split() would quietly turn line breaks into spaces.
        problem = text_problem(value)
        if problem is not None:
            errors[f"contact.{key}"] = [problem]
            return None
        value = " ".join(value.split())
        if not value:
            # Only spaces: as good as not given (a name of "   " would be stored as "").
            return None
        if len(value) > limit:
            errors[f"contact.{key}"] = [N_("Must be at most %(limit)d characters.", limit=limit)]
            return None
        return value

    name = text("name", MAX_LENGTH["name"])
    email = text("email", MAX_LENGTH["email"])
    phone = text("phone", MAX_LENGTH["phone"])
    contact_time = text("contact_time", MAX_LENGTH["contact_time"])
    if name is None and "contact.name" not in errors:
        errors["contact.name"] = [N_("Please tell us your name.")]
    if email is None and "contact.email" not in errors:
        errors["contact.email"] = [N_("Please give an email address.")]
    elif email is not None:
        email, problem = check_email(email)
        if problem is not None:
            errors["contact.email"] = [problem]
    if phone is not None:
        phone, problem = check_phone(phone)
        if problem is not None:
            errors["contact.phone"] = [problem]
    if contact_time is not None and contact_time not in CONTACT_TIMES:
        errors["contact.contact_time"] = [
            N_("Must be one of: %(choices)s.", choices=", ".join(CONTACT_TIMES))
        ]
    if errors:
        return None, errors
    assert name is not None and email is not None
    return Contact(name, email, phone, contact_time), {}


@dataclass(frozen=True)
class Consent:
    """Which consents the visitor gave."""

    contact: bool
    health_data: bool
    marketing: bool = False
    wants_copy: bool = False
    # Ad measurement: click ids are kept only with it.
    ads: bool = False


def check_consent(raw: Any) -> tuple[Consent | None, dict[str, list[str]]]:
    """Validate the consent object: contact and health_data must both be true to store a lead."""
    if not isinstance(raw, dict):
        return None, {"consent": [N_("Must be an object with contact and health_data.")]}
    errors: dict[str, list[str]] = {}
    allowed = {"contact", "health_data", "marketing", "copy", "ads"}
    for key in sorted(set(raw) - allowed):
        errors[f"consent.{key}"[:100]] = [N_("Unknown field.")]
    for key in allowed:
        if key in raw and not isinstance(raw[key], bool):
            errors[f"consent.{key}"] = [N_("Must be true or false.")]
    if errors:
        return None, errors
    if raw.get("contact") is not True:
        errors["consent.contact"] = [N_("We can only contact you if you agree to be contacted.")]
    if raw.get("health_data") is not True:
        errors["consent.health_data"] = [
            N_("We can only keep your answers if you agree to us processing them.")
        ]
    if errors:
        return None, errors
    return (
        Consent(
            True,
            True,
            raw.get("marketing") is True,
            raw.get("copy") is True,
            ads=raw.get("ads") is True,
        ),
        {},
    )


def check_click_id(key: str, value: str) -> str | None:
    """Return a click id when it fits its platform's length and alphabet, else None.

    A bad id is dropped whole, never truncated: a shortened id matches no click.
    """
    value = value.strip()
    if not value or len(value) > MAX_LENGTH[key]:
        return None
    return value if CLICK_ID_ALPHABETS[key].match(value) else None


def strip_click_ids(url: str) -> str:
    """Return a URL without its click-id query parameters, the rest of it as it was."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        pair
        for pair in parts.query.split("&")
        if unquote_plus(pair.split("=", 1)[0]) not in CLICK_IDS
    ]
    return parts._replace(query="&".join(kept)).geturl()


def attribution(source: dict[str, str], *, ad_consent: bool) -> dict[str, Any]:
    """Return the attribution columns a lead stores from a checked source.

    The one place of the consent rule: without ad-measurement consent no click id is kept
    and the page URL loses its click-id parameters.
    """
    row: dict[str, Any] = {key: source.get(key) for key in UTM_FIELDS}
    page_url = source.get("page_url")
    row["page_url"] = page_url if page_url is None or ad_consent else strip_click_ids(page_url)
    for key in CLICK_IDS:
        row[key] = source.get(key) if ad_consent else None
    row["ad_consent"] = ad_consent
    return row


def check_source(raw: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Validate attribution: the five utm_* fields, the host page URL and the click ids.

    A click id that is not one (too long, a character no platform uses) is left out without
    an error, so the lead it comes with is still stored.
    """
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        return {}, {"source": [N_("Must be an object.")]}
    errors: dict[str, list[str]] = {}
    source: dict[str, str] = {}
    for key, value in raw.items():
        if key not in SOURCE_FIELDS and key not in CLICK_IDS:
            errors[f"source.{key}"[:100]] = [N_("Unknown field.")]
        elif value is None or value == "":
            continue
        elif not isinstance(value, str):
            errors[f"source.{key}"] = [N_("Must be text.")]
        elif (problem := text_problem(value)) is not None:
            # The contact fields' rule: a lone surrogate cannot even be stored as UTF-8.
            errors[f"source.{key}"] = [problem]
        elif key == "page_url":
            cleaned = clean_page_url(value)
            if cleaned is None:
                errors["source.page_url"] = [
                    N_(
                        "Must be an http(s) URL of at most %(limit)d characters.",
                        limit=MAX_LENGTH["page_url"],
                    )
                ]
            else:
                source[key] = cleaned
        elif key in CLICK_IDS:
            if (click_id := check_click_id(key, value)) is not None:
                source[key] = click_id
        elif len(value) > (limit := MAX_LENGTH[key]):
            errors[f"source.{key}"] = [N_("Must be at most %(limit)d characters.", limit=limit)]
        else:
            source[key] = value.strip()
    return source, errors


def clean_page_url(value: str) -> str | None:
    """Return an http(s) URL without its fragment, or None when it is not one."""
    if len(value) > MAX_LENGTH["page_url"]:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        # An unbalanced or non-address [...] host ("http://[x"): not a URL a page can have.
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return parts._replace(fragment="").geturl()


# --------------------------------------------------------------------------- as patterns
# The rules above as JSON Schema patterns (ECMA-262, read alike by Python's re), for the
# API's OpenAPI document: what matches them, the checks accept. Lone surrogates are left
# out, as a JSON Schema string is made of Unicode scalar values.

# Unicode puts its controls, format characters and line or paragraph separators in the
# first two planes and in plane 14 (tags); a test scans every plane in case that changes.
_PLANES_WITH_CONTROLS = (range(0x20000), range(0xE0000, 0xF0000))


def _character_class(predicate) -> str:
    """Return the characters for which `predicate` holds as a regex class body, in ranges."""
    ranges: list[list[int]] = []
    for plane in _PLANES_WITH_CONTROLS:
        for code in plane:
            if 0xD800 <= code <= 0xDFFF or not predicate(chr(code)):
                continue
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])

    def spelled(code: int) -> str:
        # \uXXXX in the first plane; beyond it the character itself, as ECMA-262 and
        # Python's re spell astral escapes differently.
        return f"\\u{code:04x}" if code < 0x10000 else chr(code)

    return "".join(
        spelled(low) if low == high else f"{spelled(low)}-{spelled(high)}" for low, high in ranges
    )


_REFUSED_CLASS = _character_class(_refused)
# What str.split() takes for a space that text_problem lets through (NBSP, em space, …).
_SPACE_CLASS = _character_class(lambda c: c.isspace() and not _refused(c))
# Text with no character text_problem refuses; encoded words are refused by ENCODED_WORD.
PLAIN_TEXT_PATTERN = f"^[^{_REFUSED_CLASS}]*$"
# The same with at least one character that is not a space: a name that tidies to nothing
# is no name.
NON_BLANK_TEXT_PATTERN = (
    f"^[^{_REFUSED_CLASS}]*[^{_REFUSED_CLASS}{_SPACE_CLASS}][^{_REFUSED_CLASS}]*$"
)
# Matched anywhere, it refuses the text (the pattern language has no "does not contain").
ENCODED_WORD_PATTERN = _ENCODED_WORD.pattern
# A phone number as check_phone keeps it: no space at either end or twice in a row, and
# PHONE_MIN to PHONE_MAX characters after the optional +.
PHONE_PATTERN = rf"^\+?(?=[0-9 ()./-]{{{PHONE_MIN},{PHONE_MAX}}}$)[0-9()./-]+(?: [0-9()./-]+)*$"
# Common addresses check_email accepts: a dot-free local part of at most 64 characters
# and a domain of letters, digits and inner hyphens with an alphabetic top level.
EMAIL_PATTERN = (
    rf"^[A-Za-z0-9_+-]{{1,{_LOCAL_PART_MAX}}}@"
    # No label with hyphens third and fourth (RFC 5890 reserves those, "xn--" for
    # Punycode, which a pattern cannot check): email-validator refuses "ab--c".
    r"(?:(?![A-Za-z0-9-]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# Matched, it refuses an address: the special-use domains email-validator refuses
# (localhost, test, invalid, …), in either case.
SPECIAL_USE_DOMAIN_PATTERN = "[@.](?:{})$".format(
    "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in name)
        for name in SPECIAL_USE_DOMAIN_NAMES
    )
)


def click_id_pattern(key: str) -> str:
    """Return the alphabet of a click id as a JSON Schema pattern."""
    return CLICK_ID_ALPHABETS[key].pattern


# An http(s) URL with a host (no brackets: urlsplit refuses most bracketed hosts).
PAGE_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\[\]{_REFUSED_CLASS}]+(?:[/?#][^{_REFUSED_CLASS}]*)?$"
)


def check_origin(value: str) -> str | None:
    """Return a normalised `scheme://host[:port]` origin, or None when it is not one."""
    parts = urlsplit(value.strip())
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
