"""The pull API's read side: bearer-token clinic, paging arguments, cursor and lead JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from quiz import queries, services
from quiz.api import ApiError
from quiz.models import Clinic, Lead
from quiz.serialize import lead_record
from quiz.services import tokens

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_ARGS = {"since", "cursor", "limit"}


def clinic_for(authorization: str | None) -> Clinic:
    """Return the clinic of an `Authorization: Bearer` header; ApiError 401 otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            {"authorization": ["Send an API token as Authorization: Bearer TOKEN."]},
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    clinic = tokens.authenticate(token.strip())
    if clinic is None:
        raise ApiError(
            401,
            {"authorization": ["This API token is not valid or has been revoked."]},
            {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    return clinic


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-leads-cursor")


def encode_cursor(clinic: Clinic, lead: Lead) -> str:
    """Return an opaque cursor pointing just after `lead` in (created_at, id) order."""
    return _serializer().dumps([clinic.id, lead.created_at.isoformat(), lead.id])


def _decode_cursor(clinic: Clinic, cursor: str) -> tuple[datetime, int]:
    invalid = ApiError(422, {"cursor": ["Use the next_cursor of a previous page unchanged."]})
    try:
        clinic_id, created_at, lead_id = _serializer().loads(cursor)
        when = datetime.fromisoformat(created_at)
    except (BadSignature, ValueError, TypeError):
        raise invalid from None
    if clinic_id != clinic.id or not isinstance(lead_id, int) or when.tzinfo is None:
        raise invalid
    return when, lead_id


def _parse_since(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(
            422, {"since": ["Must be an ISO 8601 date or time, like 2026-01-31T09:00:00Z."]}
        ) from None
    # A time without an offset is read as UTC, the zone every stored time is in.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _parse_limit(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(422, {"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
    return int(value)


def leads_page(clinic: Clinic, args) -> dict:
    """Return one page of the clinic's leads, oldest first, as the pull API's body."""
    errors = {key[:100]: ["Unknown parameter."] for key in sorted(set(args) - _ARGS)}
    if errors:
        raise ApiError(422, errors)
    page, more = queries.leads_after(
        clinic,
        limit=_parse_limit(args["limit"]) if "limit" in args else DEFAULT_LIMIT,
        since=_parse_since(args["since"]) if "since" in args else None,
        after=_decode_cursor(clinic, args["cursor"]) if "cursor" in args else None,
    )
    return {
        "leads": [lead_json(lead) for lead in page],
        "next_cursor": encode_cursor(clinic, page[-1]) if more else None,
    }


def lead_json(lead: Lead) -> dict:
    """Return a lead as the pull API shows it: contact, consents, result, attribution; no
    answers."""
    return lead_record(lead, services.read_health_data(lead))
