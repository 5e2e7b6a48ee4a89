"""PURE: check a clinic's branding values and the WCAG AA contrast of its colour pairs."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from quiz.messages import N_

# The quiz's own colours (assets/quiz.css); a clinic that sets one side of a pair is
# checked against the default on the other side, because that is what visitors will see.
DEFAULTS = {
    "primary": "#1f5f8b",
    "on_primary": "#ffffff",
    "text": "#1d2329",
    "background": "#ffffff",
}
FIELDS = ("primary", "on_primary", "text", "background", "font", "radius", "logo_url")
LABELS = {
    "primary": N_("Primary colour"),
    "on_primary": N_("Text on primary colour"),
    "text": N_("Text colour"),
    "background": N_("Background colour"),
    "font": N_("Font stack"),
    "radius": N_("Corner radius"),
    "logo_url": N_("Logo URL"),
}
# (field the error is reported on, foreground, background)
PAIRS = (("primary", "on_primary", "primary"), ("text", "text", "background"))
AA_TEXT = 4.5
MAX_RADIUS = 24

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# One family: quoted whole, or bare words of letters, digits, spaces and hyphens.
_WORDS = r"[^\W_](?:[^\W_]|[ -])*"
_FAMILY = re.compile(rf"\"{_WORDS}\"|'{_WORDS}'|{_WORDS}")
_RADIUS = re.compile(r"(\d{1,3})(?:px)?")
# Anything that could end a CSS url("...") or smuggle another declaration.
_URL_UNSAFE = re.compile(r"[\s\"'()\\<>;{}]")


def contrast_ratio(a: str, b: str) -> float:
    """Return the WCAG 2 contrast ratio (1 to 21) of two #rrggbb colours."""
    la, lb = _luminance(a), _luminance(b)
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def check_branding(raw: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate branding values; return (clean values, {field: [message]}).

    Empty values mean "use the quiz's default" and are left out of the clean dict. A field
    with an error is left out too, and so are both colours of a pair that fails contrast,
    so the clean dict is always safe to render.
    """
    if raw is None:
        return {}, {}
    if not isinstance(raw, Mapping):
        return {}, {"branding": ["Must be an object."]}
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(raw) - set(FIELDS), key=str):
        errors[str(key)[:100]] = [N_("Unknown branding field.")]
    for key in FIELDS:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        checked, message = _CHECKS[key](value)
        if message:
            errors[key] = [message]
        else:
            clean[key] = checked
    for field, fg_key, bg_key in PAIRS:
        if fg_key not in clean and bg_key not in clean:
            continue
        if fg_key in errors or bg_key in errors:
            clean.pop(fg_key, None)
            clean.pop(bg_key, None)
            continue
        fg = clean.get(fg_key, DEFAULTS[fg_key])
        bg = clean.get(bg_key, DEFAULTS[bg_key])
        ratio = contrast_ratio(fg, bg)
        if ratio < AA_TEXT:
            # Round down so a 4.49:1 pair never reads as "4.5:1" in the message.
            shown = math.floor(ratio * 100) / 100
            errors.setdefault(field, []).append(
                N_(
                    "%(fg)s on %(bg)s has a contrast ratio of %(ratio)s:1; text needs at least "
                    "%(minimum)s:1 (WCAG AA). Choose a darker or lighter colour.",
                    fg=fg,
                    bg=bg,
                    ratio=f"{shown:.2f}",
                    minimum=f"{AA_TEXT}",
                )
            )
            clean.pop(fg_key, None)
            clean.pop(bg_key, None)
    return clean, errors


def _colour(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, str) and _COLOUR.fullmatch(value.strip()):
        return value.strip().lower(), None
    return None, N_("Use a colour written as # and six hex digits, like #1f5f8b.")


def _font(value: Any) -> tuple[str | None, str | None]:
    message = N_(
        "Use font names separated by commas, with only letters, digits, spaces, hyphens "
        'and quotes around a whole name, like "Open Sans", Arial, sans-serif.'
    )
    if not isinstance(value, str):
        return None, message
    if len(value) > 200:
        return None, N_("Must be at most %(limit)d characters.", limit=200)
    families = [part.strip() for part in value.split(",")]
    if not all(_FAMILY.fullmatch(family) for family in families):
        return None, message
    return ", ".join(" ".join(family.split()) for family in families), None


def _radius(value: Any) -> tuple[int | None, str | None]:
    message = N_("Use a whole number of pixels from 0 to %(max)d.", max=MAX_RADIUS)
    if isinstance(value, bool):
        return None, message
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and (match := _RADIUS.fullmatch(value.strip())):
        number = int(match.group(1))
    else:
        return None, message
    if not 0 <= number <= MAX_RADIUS:
        return None, message
    return number, None


def _logo_url(value: Any) -> tuple[str | None, str | None]:
    message = N_("Use an https:// address, or a path under /static/, without spaces or quotes.")
    if not isinstance(value, str):
        return None, message
    value = value.strip()
    if len(value) > 500:
        return None, N_("Must be at most %(limit)d characters.", limit=500)
    if _URL_UNSAFE.search(value) or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None, message
    if value.startswith("/static/"):
        if ".." in value.split("?")[0].split("/") or "//" in value:
            return None, message
        return value, None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None, message
    return value, None


_CHECKS = {
    "primary": _colour,
    "on_primary": _colour,
    "text": _colour,
    "background": _colour,
    "font": _font,
    "radius": _radius,
    "logo_url": _logo_url,
}
