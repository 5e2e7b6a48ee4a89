"""Error pages (HTML or JSON by what the client accepts) and the /healthz probe."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from quiz.database import DatabaseUnavailable
from quiz.extensions import db

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("This request is not allowed."),
    404: _l("We could not find that page."),
    405: _l("That method is not allowed here."),
    413: _l("The request is too large."),
    422: _l("Some answers need another look."),
    429: _l("Too many requests. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Please try again."),
    503: _l("The service is briefly unavailable. Please try again in a moment."),
}


@bp.get("/healthz")
def healthz():
    """Report whether the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


def wants_json() -> bool:
    """Tell whether the client asked for JSON (the API, or an Accept header)."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(code: int, message: str | None = None):
    """Return an error page or JSON body for a status code."""
    # str(): the messages are lazy translations, which JSON cannot encode as they are.
    message = str(message or MESSAGES.get(code) or _l("Error."))
    if request.path.startswith("/api/"):
        # The API has one error shape everywhere (CONTRACT.md).
        return jsonify(errors={"request": [message]}), code
    if wants_json():
        return jsonify(error=message), code
    return render_template("errors/error.html", code=code, message=message), code


# Headers of an HTTP exception's own response that the client needs whatever body replaces
# it: Allow on a 405 (RFC 9110), Retry-After on a 429 or 503, WWW-Authenticate on a 401.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def exception_headers(exc: HTTPException) -> dict[str, str]:
    """Return the headers of `exc`'s own response that must survive a custom error body."""
    headers = exc.get_response(request.environ).headers
    return {name: headers[name] for name in _KEPT_HEADERS if name in headers}


def init_app(app: Flask) -> None:
    """Register /healthz and the error handlers."""
    app.register_blueprint(bp)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        body, status = error_response(code, MESSAGES.get(code) or exc.description)
        return body, status, exception_headers(exc)

    @app.errorhandler(DatabaseUnavailable)
    def _database_unavailable(_exc: DatabaseUnavailable):
        # A service could not store what it was asked to; it rolled back and logged why, and
        # the objects it restored stay readable (another rollback here would expire them).
        return error_response(503)

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc: SQLAlchemyError):
        # The database is unreachable or refused the write: a friendly "try again", never a trace.
        log.error("database error: %s", exc.__class__.__name__)
        db.session.rollback()
        return error_response(503)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(InternalServerError.code)
