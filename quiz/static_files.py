"""Static files: content-hashed URLs, far-future caching, and compression of text responses."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

from quiz.runtime import runtime

# The host-page script's URL is pasted into clinics' sites, so it never changes; browsers
# re-check it every few minutes instead of keeping it for a year.
STABLE_FILES = frozenset({"embed.js"})
STABLE_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
VERSION_ARG = "v"
# A static file is the same bytes for every visitor, so it is compressed once at the
# strongest setting and kept; Flask-Compress would compress each response at its fast level
# (a quarter larger for the quiz's stylesheet), which suits pages made per request.
PRECOMPRESSORS = {
    "br": lambda data: brotli.compress(data, quality=11),
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
}


def file_version(app: Flask, filename: str) -> str | None:
    """Return the first 8 hex digits of the file's SHA-256, or None when there is no such file.

    Computed once per file and kept; in debug mode a changed file gets a new version.
    """
    folder = app.static_folder
    if not folder:
        return None
    cache = runtime(app).static_versions
    if not app.debug and filename in cache:
        # Every page asks for a few of these: resolving the path each time was a twentieth
        # of a step page.
        return cache[filename]
    path = Path(folder) / filename
    try:
        resolved = path.resolve(strict=True)
        stat = resolved.stat()
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(Path(folder).resolve()) or not resolved.is_file():
        return None
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
    """Cache a static file for a year when its URL names its current content, briefly if
    stable; leave out the headers a static file gains from send_file that no client uses."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    # send_file's own Date repeats the one every WSGI server writes (two Date fields are
    # invalid), and its Content-Disposition names a download a subresource never is: both
    # only weigh on the visitor's first screen.
    response.headers.pop("Date", None)
    response.headers.pop("Content-Disposition", None)
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
    # Registered after Compress, so they run before it (Flask runs these hooks in reverse):
    # a precompressed file already has its Content-Encoding, which Compress leaves alone.
    app.after_request(_close_stream_on_close)
    app.after_request(_precompressed)


def _precompressed(response: Response) -> Response:
    """Send a static text file's kept compressed copy when the client takes Brotli or gzip."""
    if (
        request.endpoint != "static"
        or response.status_code != 200
        or "Content-Encoding" in response.headers
        or response.mimetype not in current_app.config["COMPRESS_MIMETYPES"]
    ):
        return response
    encoding = request.accept_encodings.best_match(tuple(PRECOMPRESSORS))
    filename = (request.view_args or {}).get("filename", "")
    data = compressed_file(current_app, filename, encoding) if encoding else None
    if data is None:
        return response
    etag, weak = response.get_etag()
    response.close()  # the file send_file opened
    response.direct_passthrough = False
    response.set_data(data)
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    # As Flask-Compress marks its own: the same file's ETag, per encoding.
    if etag and not weak:
        response.set_etag(f"{etag}:{encoding}")
    return response.make_conditional(request)


def compressed_file(app: Flask, filename: str, encoding: str) -> bytes | None:
    """Return the static file compressed with this encoding, made once per file version;
    None when there is no such file or it is too small to be worth compressing."""
    path = safe_join(app.static_folder or "", filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (filename, encoding, stat.st_mtime_ns, stat.st_size)
    cache = runtime(app).static_compressed
    data = cache.get(key)
    if data is None:
        raw = Path(path).read_bytes()
        # b"": kept too, so a small file is not read again on every request.
        small = len(raw) < app.config["COMPRESS_MIN_SIZE"]
        data = cache[key] = b"" if small else PRECOMPRESSORS[encoding](raw)
    return data or None


def _close_stream_on_close(response: Response) -> Response:
    """Make closing the response close a streamed body's source (an open static file).

    Flask-Compress swaps a streamed body for its own generator; without this the file it
    read from would be closed only when the garbage collector gets to it.
    """
    if response.is_streamed and hasattr(response.response, "close"):
        response.call_on_close(response.response.close)
    return response
