"""The quiz's public origin, the one base of every absolute link: snippets, mails, API links."""

from __future__ import annotations

from flask import current_app, has_request_context, request

# Where `make run` serves the app: the best guess for a command or the delivery worker, which
# have no request to learn the origin from, when PUBLIC_URL is unset.
FALLBACK_PUBLIC_URL = "http://127.0.0.1:5000"


def public_url() -> str:
    """Return PUBLIC_URL, else the origin this request reached, else FALLBACK_PUBLIC_URL."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        # The address the browser used is one it can reach, which is what a link needs.
        return request.host_url.rstrip("/")
    return FALLBACK_PUBLIC_URL
