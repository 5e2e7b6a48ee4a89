"""Static files: content-hashed URLs, far-future caching, and compression of text responses."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_compress import Compress

from quiz.runtime import runtime

# The host-page script's URL is pasted into clinics' sites, so it never changes; browsers
# re-check it every few minutes instead of keeping it for a year.
STABLE_FILES = frozenset({"embed.js"})
STABLE_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
VERSION_ARG = "v"


def file_version(app: Flask, filename: str) -> str | None:
    """Return the first 8 hex digits of the file's SHA-256, or None when there is no such file.

    Computed once per file and kept; in debug mode a changed file gets a new version.
    """
    folder = app.static_folder
    if not folder:
        return None
    path = Path(folder) / filename
    try:
        resolved = path.resolve(strict=True)
        stat = resolved.stat()
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(Path(folder).resolve()) or not resolved.is_file():
        return None
    cache = runtime(app).static_versions
    key = (filename, stat.st_mtime_ns, stat.st_size) if app.debug else filename
    version = cache.get(key)
    if version is None:
        version = hashlib.sha256(resolved.read_bytes()).hexdigest()[:8]
        cache[key] = version
    return version


def _add_version(endpoint: str, values: dict) -> None:
    """Put ?v=<content hash> on static URLs, except those that must stay stable."""
    if endpoint != "static" or VERSION_ARG in values:
        return
    filename = values.get("filename")
    if not filename or filename in STABLE_FILES:
        return
    version = file_version(current_app, filename)
    if version:
        values[VERSION_ARG] = version


def _cache_headers(response: Response) -> Response:
    """Cache a static file for a year when its URL names its current content, briefly if stable."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    if filename in STABLE_FILES:
        response.headers["Cache-Control"] = STABLE_CACHE
    elif request.args.get(VERSION_ARG) and request.args.get(VERSION_ARG) == file_version(
        current_app, filename
    ):
        response.headers["Cache-Control"] = IMMUTABLE_CACHE
    # Otherwise (no version, or an old one) Flask's default applies: revalidate every time,
    # so an outdated URL is never pinned to new content for a year.
    return response


def init_app(app: Flask) -> None:
    """Version static URLs, set their cache headers and compress text responses (the
    COMPRESS_* settings are in quiz.config)."""
    if "static_files" in app.extensions:
        return
    app.extensions["static_files"] = True
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)
    Compress().init_app(app)
    # Registered after Compress, so it runs before it (Flask runs these hooks in reverse).
    app.after_request(_close_stream_on_close)


def _close_stream_on_close(response: Response) -> Response:
    """Make closing the response close a streamed body's source (an open static file).

    Flask-Compress swaps a streamed body for its own generator; without this the file it
    read from would be closed only when the garbage collector gets to it.
    """
    if response.is_streamed and hasattr(response.response, "close"):
        response.call_on_close(response.response.close)
    return response
