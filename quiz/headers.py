"""Security headers on every response; embed pages set their own frame-ancestors."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from quiz.branding import check_branding

# Views that may be framed put their allowed ancestors in g.frame_ancestors; a framed page
# showing a clinic's logo from another host adds that host to img-src (g.img_sources), and
# one framing the clinic's booking page adds its origin to frame-src (g.frame_sources).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{images}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'{frames}"
)
_BASE_CSP = _CSP.format(images="", frames="")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_View = TypeVar("_View", bound=Callable)


def init_app(app: Flask) -> None:
    """Register the hooks that reset and then apply the header policy of each request."""
    app.before_request(_reset)
    app.after_request(_set_headers)
    app.add_template_global(clinic_logo)


def no_store(view: _View) -> _View:
    """Send the response of this view (or of every request a before_request hook runs for)
    with `Cache-Control: no-store`: it carries personal data or a secret.

    Set before the view runs, so an error page the view ends in is not cached either.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.no_store = True
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def clinic_logo(clinic) -> str:
    """Return the clinic's checked logo URL ("" when none) and allow its host in this page's CSP.

    Templates call it where they draw the logo, so only pages that show it widen img-src.
    """
    clean, _ = check_branding(getattr(clinic, "branding", None) or {})
    url = clean.get("logo_url", "")
    if not url.startswith("https://"):
        return url  # "" or a path under /static/, which 'self' already allows
    origin = _https_origin(url)
    if origin is None:
        return ""  # a host CSP cannot name safely would be blocked anyway
    g.img_sources = [*g.get("img_sources", []), origin]
    return url


def allow_frame(url: str) -> bool:
    """Allow this page to frame an https URL's origin (frame-src); False when CSP cannot name
    its host safely, and the page should link to it instead."""
    origin = _https_origin(url) if url.startswith("https://") else None
    if origin is None:
        return False
    g.frame_sources = [*g.get("frame_sources", []), origin]
    return True


def _https_origin(url: str) -> str | None:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if not _HOST.fullmatch(host):
        return None
    return f"https://{host}" + (f":{port}" if port else "")


def _reset() -> None:
    # g belongs to the app context, which can outlive one request (a CLI or test context
    # wrapping several): a page's framing or caching choice must never leak into the next.
    g.pop("frame_ancestors", None)
    g.pop("no_store", None)
    g.pop("img_sources", None)
    g.pop("frame_sources", None)


def _set_headers(response: Response) -> Response:
    ancestors = g.get("frame_ancestors")
    if ancestors:
        images = "".join(f" {source}" for source in dict.fromkeys(g.get("img_sources", ())))
        framed = list(dict.fromkeys(g.get("frame_sources", ())))
        frames = f"; frame-src {' '.join(framed)}" if framed else ""
        csp = _CSP.format(images=images, frames=frames)
        response.headers["Content-Security-Policy"] = (
            f"{csp}; frame-ancestors {' '.join(ancestors)}"
        )
    else:
        response.headers["Content-Security-Policy"] = f"{_BASE_CSP}; frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    # interest-cohort (FLoC) is gone from browsers, which report it as an unknown feature.
    response.headers["Permissions-Policy"] = (
        "geolocation=(), camera=(), microphone=(), payment=(), usb=()"
    )
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if g.get("no_store"):
        response.headers["Cache-Control"] = "no-store"
    return response
