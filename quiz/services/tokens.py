"""API tokens for the pull API: create (shown once), authenticate and revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import ApiToken, Clinic, utcnow
from quiz.services.common import ServiceError

# A recognisable prefix lets secret scanners (and people) tell what a leaked string is.
TOKEN_PREFIX = "mq_"  # noqa: S105 (a public prefix, not a secret) # nosec B105
# Writing last_used_at on every request would turn each read into a write; once a minute is
# precise enough to tell whether a token is still in use.
_TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(clinic: Clinic) -> str:
    """Store a new token for the clinic and return its secret; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction() as session:
        session.add(ApiToken(clinic_id=clinic.id, token_hash=_hash(token)))
    return token


def authenticate(token: str | None) -> Clinic | None:
    """Return the clinic of a valid, unrevoked token, or None.

    The secret is compared through its SHA-256 in an indexed lookup, so the time taken does
    not depend on how much of a guess matches a real token.
    """
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    record = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=_hash(token))
    ).scalar_one_or_none()
    if record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at >= _TOUCH_EVERY:
        token_id = record.id
        with write_transaction() as session:
            fresh = session.get(ApiToken, token_id)
            if fresh is not None:
                fresh.last_used_at = now
        record = db.session.get(ApiToken, token_id)
        if record is None or record.revoked_at is not None:
            return None
    return record.clinic


def revoke(token_id: int, clinic: Clinic | None = None) -> ApiToken:
    """Revoke a token by its id (within `clinic` when given); revoking twice is harmless."""
    with write_transaction() as session:
        record = session.get(ApiToken, token_id)
        if record is None or (clinic is not None and record.clinic_id != clinic.id):
            raise ServiceError(N_("no API token with id %(token_id)s", token_id=token_id))
        if record.revoked_at is None:
            record.revoked_at = utcnow()
    return record
