"""Idempotent API requests: the first answer to a clinic's Idempotency-Key, kept sealed and
replayed, and the lead's submission id that a key stands for."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.exc import IntegrityError

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.models import Clinic, IdempotencyRecord
from quiz.runtime import vault


def submission_id(key: str | None) -> str:
    """Return the submission id of the lead an API request stores: one per key, else new."""
    # The lead's own duplicate guard (unique per clinic) makes concurrent requests with the
    # same key store one lead; hashed because the column holds 64 characters.
    if key is None:
        return f"api:{uuid.uuid4().hex}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"api:{digest[:60]}"


def replay(clinic: Clinic, key: str) -> tuple[int, dict] | None:
    """Return the status and body first given for this clinic and key, or None."""
    record = db.session.execute(
        db.select(IdempotencyRecord).filter_by(clinic_id=clinic.id, key=key)
    ).scalar_one_or_none()
    if record is None:
        return None
    try:
        return record.status_code, vault().decrypt(record.body["sealed"])
    except (KeyError, TypeError, ValueError):
        # Sealed under a key no longer configured: score again; the lead's own duplicate
        # guard still keeps it to one lead.
        return None


def remember(
    clinic: Clinic, key: str, status: int, body: dict, lead_id: int | None
) -> tuple[int, dict]:
    """Keep the answer for this clinic and key; return the answer every sender of it gets.

    When a concurrent request with the same key was remembered first, that answer wins.
    """
    try:
        with write_transaction() as session:
            session.add(
                IdempotencyRecord(
                    clinic_id=clinic.id,
                    key=key,
                    status_code=status,
                    # Scores and reasons are health data: sealed like the lead's own copy.
                    body={"sealed": vault().encrypt(body)},
                    lead_id=lead_id,
                )
            )
    except IntegrityError:
        answer = replay(clinic, key)
        return answer if answer is not None else (status, body)
    return status, body
