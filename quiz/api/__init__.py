"""The JSON API under /api/v1: one error shape, CORS for clinics' sites, the routes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from quiz import queries
from quiz.errors import MESSAGES, exception_headers
from quiz.extensions import csrf
from quiz.i18n import translate_errors
from quiz.models import Clinic
from quiz.validation import check_origin

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token- or payload-authenticated JSON: no cookie session to forge requests for.
csrf.exempt(bp)

# Endpoints a browser on a clinic's site may call directly (the rest are server to server).
CORS_ENDPOINTS = {"api.quiz", "api.assessments"}
# Preflight endpoints and the method each one lets a browser send.
PREFLIGHTS = {"api.quiz_preflight": "GET", "api.assessments_preflight": "POST"}
CORS_ALLOW_HEADERS = "Content-Type, Idempotency-Key"
# Which field an error without one of its own is reported on.
_ERROR_FIELD = {400: "body", 413: "body", 401: "authorization"}


class ApiError(Exception):
    """An answer other than success: a status and `{"errors": {field: [message, ...]}}`."""

    def __init__(self, status: int, errors: dict[str, list[str]], headers: dict | None = None):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors
        self.headers = headers or {}


def error_body(status: int, message: str | None = None) -> dict:
    """Return the error body for a status with a single message."""
    field = _ERROR_FIELD.get(status, "request")
    return {"errors": {field: [message or MESSAGES.get(status, "Error.")]}}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    # Messages from the pure checkers come in English; say them in the request's language.
    return jsonify(errors=translate_errors(exc.errors)), exc.status, exc.headers


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    message = MESSAGES.get(status) or exc.description
    if status == 413:
        message = "The request body is too large: send at most 64 KiB."
    return jsonify(error_body(status, message)), status, exception_headers(exc)


def use_clinic(clinic: Clinic) -> None:
    """Remember the clinic a request is about, for the CORS decision."""
    # Kept on the request, not on g: g belongs to the app context, which can outlive a request.
    request.environ["quiz.api_clinic"] = clinic


def _origin_allowed(origin: str) -> bool:
    clinic = request.environ.get("quiz.api_clinic")
    if clinic is not None:
        return origin in (clinic.origins or [])
    # Before the clinic is known (a preflight, an unreadable body) any clinic's site may ask,
    # so that its script can read the error; the real answer still checks the clinic's list.
    return queries.any_clinic_has_origin(origin)


@bp.after_request
def _cors(response: Response) -> Response:
    if request.endpoint not in CORS_ENDPOINTS and request.endpoint not in PREFLIGHTS:
        return response
    response.vary.add("Origin")
    raw = request.headers.get("Origin")
    origin = check_origin(raw) if raw else None
    if origin and raw == origin and _origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        if request.endpoint in PREFLIGHTS:
            response.headers["Access-Control-Allow-Methods"] = PREFLIGHTS[request.endpoint]
            response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response


from quiz.api import views  # noqa: E402, F401  (registers the routes on bp)
