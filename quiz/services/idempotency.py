"""Idempotent API requests: the first answer to a clinic's Idempotency-Key, kept sealed and
replayed only to the same request, and the lead's submission id that a key stands for."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy.exc import IntegrityError

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.models import Clinic, IdempotencyRecord
from quiz.runtime import vault


class KeyReused(Exception):
    """An Idempotency-Key sent again with another body or another bearer token."""


def fingerprint(raw: bytes, authorization: str | None) -> str:
    """Return the SHA-256 that binds a key to its request: the body's bytes and the token.

    The body is hashed as received, byte for byte; a bearer token, where one is sent, is
    bound by its own SHA-256, so the record holds no secret.
    """
    digest = hashlib.sha256(b"body:" + hashlib.sha256(raw).digest())
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        secret = token.strip().encode("utf-8", "surrogatepass")
        digest.update(b"bearer:" + hashlib.sha256(secret).digest())
    return digest.hexdigest()


def submission_id(key: str | None) -> str:
    """Return the submission id of the lead an API request stores: one per key, else new."""
    # The lead's own duplicate guard (unique per clinic) makes concurrent requests with the
    # same key store one lead; hashed because the column holds 64 characters.
    if key is None:
        return f"api:{uuid.uuid4().hex}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"api:{digest[:60]}"


def replay(clinic: Clinic, key: str, request_hash: str) -> tuple[int, dict] | None:
    """Return the status and body first given for this clinic and key, or None.

    Raises KeyReused when the key was first sent with another request (another body or
    token), or before requests were bound to their key: its answer is never shown then.
    """
    record = db.session.execute(
        db.select(IdempotencyRecord).filter_by(clinic_id=clinic.id, key=key)
    ).scalar_one_or_none()
    if record is None:
        return None
    if record.request_hash is None or not hmac.compare_digest(record.request_hash, request_hash):
        raise KeyReused
    try:
        return record.status_code, vault().decrypt(record.body["sealed"])
    except (KeyError, TypeError, ValueError):
        # Sealed under a key no longer configured: score again; the lead's own duplicate
        # guard still keeps it to one lead.
        return None


def remember(
    clinic: Clinic,
    key: str,
    request_hash: str,
    answer: tuple[int, dict],
    lead_id: int | None,
) -> tuple[int, dict]:
    """Keep the answer for this clinic, key and request; return what every sender gets.

    When a concurrent request with the same key was remembered first, that answer wins, or
    KeyReused is raised when that request was another one.
    """
    status, body = answer
    try:
        with write_transaction() as session:
            session.add(
                IdempotencyRecord(
                    clinic_id=clinic.id,
                    key=key,
                    request_hash=request_hash,
                    status_code=status,
                    # Scores and reasons are health data: sealed like the lead's own copy.
                    body={"sealed": vault().encrypt(body)},
                    lead_id=lead_id,
                )
            )
    except IntegrityError:
        first = replay(clinic, key, request_hash)
        return first if first is not None else (status, body)
    return status, body
