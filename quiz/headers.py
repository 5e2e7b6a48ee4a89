"""Security headers on every response; embed pages set their own frame-ancestors."""

from __future__ import annotations

from flask import Flask, Response, g, request

# Views that may be framed put their allowed ancestors in g.frame_ancestors.
_BASE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    """Register the hooks that reset and then apply the header policy of each request."""
    app.before_request(_reset)
    app.after_request(_set_headers)


def _reset() -> None:
    # g belongs to the app context, which can outlive one request (a CLI or test context
    # wrapping several): a page's framing or caching choice must never leak into the next.
    g.pop("frame_ancestors", None)
    g.pop("no_store", None)


def _set_headers(response: Response) -> Response:
    ancestors = g.get("frame_ancestors")
    if ancestors:
        response.headers["Content-Security-Policy"] = (
            f"{_BASE_CSP}; frame-ancestors {' '.join(ancestors)}"
        )
    else:
        response.headers["Content-Security-Policy"] = f"{_BASE_CSP}; frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Permissions-Policy"] = (
        "geolocation=(), camera=(), microphone=(), payment=(), usb=(), interest-cohort=()"
    )
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if g.get("no_store"):
        response.headers["Cache-Control"] = "no-store"
    return response
