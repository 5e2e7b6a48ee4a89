"""MAX_CONTENT_LENGTH for bodies of unknown length (chunked): buffered, then judged by size."""

from __future__ import annotations

import io

from flask import Flask


class BoundedBody:
    """WSGI middleware that gives a body sent without Content-Length a length of its own.

    Werkzeug checks MAX_CONTENT_LENGTH against the Content-Length header, and for a chunked
    body (which the server terminates, `wsgi.input_terminated`) it stops reading at the
    limit without noticing that more follows: the first 64 KiB of a larger body are parsed
    as if they were all of it. Reading at most one byte past the limit here and handing on
    what was read with its length sends every body through Werkzeug's Content-Length check,
    so an oversized chunked body gets the same 413 as an oversized declared one.
    """

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        """Buffer a terminated body of unknown length (up to the limit plus one byte)."""
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if (
            limit is not None
            and not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
        ):
            body = read_at_most(environ["wsgi.input"], limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            # A true length: the request has at least this many bytes. Over the limit it is
            # limit + 1, which Werkzeug refuses with 413 before anything parses the body.
            environ["CONTENT_LENGTH"] = str(len(body))
            # The server has already undone the chunking (a hop-by-hop matter); left in place,
            # the header would make Werkzeug ignore the length and read nothing.
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            del environ["wsgi.input_terminated"]
        return self.wsgi_app(environ, start_response)


def read_at_most(stream, size: int) -> bytes:
    """Read from `stream` until it ends or `size` bytes have been read."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        data = stream.read(remaining)
        if not data:
            break
        parts.append(data)
        remaining -= len(data)
    return b"".join(parts)


def init_app(app: Flask) -> None:
    """Wrap the app so that chunked bodies meet MAX_CONTENT_LENGTH like any other."""
    app.wsgi_app = BoundedBody(app.wsgi_app, app)
