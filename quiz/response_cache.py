"""The intro page's finished response served again for a few seconds, below every Flask hook.

Every visit of every clinic's site loads the intro, and it is the same for everyone (the
Start button gives each visitor their own run). Rendering it is cheap once cached
(embed.views keeps its render), but a Flask request around it is not: the request context,
the session and login hooks, the header policy and compression cost several times the page.
So the view marks its response as reusable with `reuse_response`, and this WSGI middleware
keeps the finished response (status, headers with the CSP, the compressed body) per worker
and hands it to an identical request for up to CLINIC_CACHE_SECONDS, the age a clinic's
settings may already have on the visitor's path. What a visit must still do each time (its
funnel event) the view passes as `replay`, run for every request served from the copy.

Only a GET of /embed/<clinic> without cookies is looked up; the key holds everything the
page or its headers depend on (query, scheme and host, Accept-Encoding, Accept-Language).
Only a 200 that sets no cookie and allows caching is kept. The access log line and the
request id are still per request: the middleware sits inside observability's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, request

from quiz.runtime import runtime

_REPLAY = "quiz.response_cache.replay"
_INTRO = re.compile(r"/embed/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Set by the server for each response, never replayed from a copy.
_PER_RESPONSE = {"date"}


@dataclass(frozen=True)
class Stored:
    """One finished response and what to run again for each request it answers."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    replay: Callable[[], None]


def reuse_response(replay: Callable[[], None]) -> None:
    """Let this request's response answer identical requests for a few seconds.

    `replay` runs, in an app context, for each request answered from the copy: the work a
    visit must do even when its page is not rendered again.
    """
    request.environ[_REPLAY] = replay


def _key(environ) -> tuple | None:
    if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_COOKIE"):
        return None
    path = environ.get("PATH_INFO", "")
    if not _INTRO.fullmatch(path):
        return None
    return (
        path,
        environ.get("QUERY_STRING", ""),
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("HTTP_ACCEPT_ENCODING", ""),
        environ.get("HTTP_ACCEPT_LANGUAGE", ""),
    )


def _reusable(status: str, headers: list[tuple[str, str]]) -> bool:
    if not status.startswith("200 "):
        return False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie" or (lowered == "cache-control" and "no-store" in value):
            return False
    return True


class ResponseCache:
    """WSGI middleware answering a marked page's identical requests from its stored response."""

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        """Answer from a fresh stored copy, or run the app and keep a reusable response."""
        ttl = self.app.config["CLINIC_CACHE_SECONDS"]
        key = _key(environ) if ttl > 0 else None
        if key is None:
            return self.wsgi_app(environ, start_response)
        cache = runtime(self.app).response_cache
        hit = cache.get(key, max_age=ttl)
        if hit is not None:
            with self.app.app_context():
                hit.replay()
            start_response(hit.status, list(hit.headers))
            return [hit.body]
        seen: dict = {}

        def _start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        iterable = self.wsgi_app(environ, _start_response)
        replay = environ.get(_REPLAY)
        if replay is None or not _reusable(seen.get("status", ""), seen.get("headers", [])):
            return iterable
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        headers = [(k, v) for k, v in seen["headers"] if k.lower() not in _PER_RESPONSE]
        cache.put(key, Stored(seen["status"], headers, body, replay))
        return [body]


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable; call before observability wraps it in the access log."""
    app.wsgi_app = ResponseCache(app.wsgi_app, app)
