"""A person's rights over their data (erasure, access) and data at rest (retention, key rotation).

What is encrypted and what is not: a lead's answers, scores, reasons and content list live only
in `Lead.health_data`, encrypted under the newest DATA_ENCRYPTION_KEY. Contact details stay in
clear so staff can search and erase by email; `suitability`, `outcome_id` and `top_area` stay
in clear because the back office filters and counts on them, and on their own they say which
broad result a person got, not what they answered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, update
from sqlalchemy.orm import Session

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import (
    Delivery,
    ExportedLead,
    IdempotencyRecord,
    Lead,
    LeadAssignment,
    LeadNote,
    LeadStatusChange,
    utcnow,
)
from quiz.runtime import questionnaire, vault
from quiz.serialize import iso
from quiz.services.audit import add_audit
from quiz.services.common import ServiceError
from quiz.validation import SOURCE_FIELDS, check_email

PURGE_BATCH = 500
ERASURE_SALT = "erasure"
ERASURE_MAX_AGE = 30 * 24 * 3600
# Rows that point at a lead; deleted explicitly so erasure never depends on the backend
# enforcing ON DELETE CASCADE.
_LEAD_CHILDREN = (
    Delivery,
    LeadNote,
    LeadStatusChange,
    LeadAssignment,
    ExportedLead,
    IdempotencyRecord,
)


class ErasureTokenError(ServiceError):
    """An erasure link that was tampered with or has expired; the message is safe to show."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def clean_email(email: str) -> str:
    """Return the address lower-cased and trimmed; ServiceError when it is not an address."""
    address, _ = check_email(email)
    if address is None:
        raise ServiceError(
            N_("%(email)r is not a valid email address, like name@example.com", email=email)
        )
    return address


def erase_person(email: str, actor: str) -> int:
    """Delete every lead of that address (any clinic, any case) and all that hangs off them.

    One transaction: the leads, their deliveries (sent or pending), notes, status changes,
    export links and idempotency records. The audit entry holds only the count, never the
    address. Return how many leads were deleted.
    """
    address = clean_email(email)
    with write_transaction() as session:
        ids = list(
            session.execute(
                db.select(Lead.id).where(func.lower(Lead.email) == address).order_by(Lead.id)
            ).scalars()
        )
        _delete_leads(session, ids)
        add_audit(session, actor, "erasure", {"count": len(ids)})
    return len(ids)


def purge_expired(now: datetime | None = None, actor: str = "system") -> int:
    """Delete leads older than LEAD_RETENTION_DAYS, in batches; return how many.

    Each batch is its own short transaction so a large purge never holds the write lock for
    long; a purge that is interrupted simply leaves the rest for the next run.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["LEAD_RETENTION_DAYS"])
    total = 0
    while True:
        with write_transaction() as session:
            ids = list(
                session.execute(
                    db.select(Lead.id)
                    .where(Lead.created_at < cutoff)
                    .order_by(Lead.id)
                    .limit(PURGE_BATCH)
                ).scalars()
            )
            _delete_leads(session, ids)
        total += len(ids)
        if len(ids) < PURGE_BATCH:
            break
    with write_transaction() as session:
        add_audit(session, actor, "purge", {"count": total, "cutoff": cutoff.isoformat()})
    return total


def person_data(email: str, actor: str = "system") -> dict[str, Any]:
    """Return everything stored about that address (right of access), JSON-serialisable.

    Answers are decrypted and paired with the question and option texts of the current
    questionnaire in the lead's language; an id the questionnaire no longer has is kept with
    no text rather than dropped.
    """
    address = clean_email(email)
    leads = list(
        db.session.execute(
            db.select(Lead).where(func.lower(Lead.email) == address).order_by(Lead.id)
        ).scalars()
    )
    result = {"email": address, "generated_at": utcnow().isoformat(), "leads": []}
    for lead in leads:
        result["leads"].append(_lead_data(lead))
    with write_transaction() as session:
        add_audit(session, actor, "access_export", {"count": len(leads)})
    return result


def rotate_keys(
    batch_size: int = 200, actor: str = "cli", *, max_batches: int | None = None
) -> tuple[int, int]:
    """Re-encrypt every lead's health data under the newest key; return (rotated, already_current).

    Leads are walked in id order, one transaction per batch, and rows already under the newest
    key are skipped, so a run that stops half-way (or `max_batches` reached) resumes where it
    left off when run again. Raises ServiceError when a lead matches no configured key.
    """
    if batch_size < 1:
        raise ServiceError(N_("batch size must be at least 1"))
    keys = vault()
    rotated = current = batches = 0
    last_id = 0
    complete = False
    while max_batches is None or batches < max_batches:
        with write_transaction() as session:
            rows = session.execute(
                db.select(Lead.id, Lead.health_data)
                .where(Lead.id > last_id)
                .order_by(Lead.id)
                .limit(batch_size)
            ).all()
            for lead_id, token in rows:
                if keys.is_current(token):
                    current += 1
                    continue
                try:
                    fresh = keys.rotate(token)
                except ValueError:
                    raise ServiceError(
                        N_(
                            "lead %(lead_id)s cannot be decrypted with any configured key; "
                            "keep the old key after the new one in DATA_ENCRYPTION_KEY",
                            lead_id=lead_id,
                        )
                    ) from None
                session.execute(db.update(Lead).where(Lead.id == lead_id).values(health_data=fresh))
                rotated += 1
        batches += 1
        if len(rows) < batch_size:
            complete = True
            break
        last_id = rows[-1][0]
    with write_transaction() as session:
        add_audit(
            session,
            actor,
            "key_rotation",
            {"rotated": rotated, "already_current": current, "complete": complete},
        )
    return rotated, current


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=ERASURE_SALT)


def erasure_token(lead: Lead) -> str:
    """Return a signed link token that lets the visitor erase their leads at that clinic.

    It carries only the lead's public id: the address never appears in a URL or a log.
    """
    return _serializer().dumps({"lead": lead.public_id})


def erase_by_token(token: str) -> int:
    """Erase the leads of the token's person at the token's clinic; return how many.

    A link whose leads are already gone erases nothing and returns 0. Raises ErasureTokenError
    when the token was tampered with or is older than 30 days.
    """
    try:
        data = _serializer().loads(token, max_age=ERASURE_MAX_AGE)
    except SignatureExpired:
        raise ErasureTokenError(
            N_("This link has expired. Please contact the clinic to have your data deleted."),
            expired=True,
        ) from None
    except BadSignature:
        raise ErasureTokenError(N_("This link could not be verified.")) from None
    public_id = data.get("lead") if isinstance(data, dict) else None
    if not isinstance(public_id, str):
        raise ErasureTokenError(N_("This link could not be verified."))
    with write_transaction() as session:
        lead = session.execute(db.select(Lead).filter_by(public_id=public_id)).scalar_one_or_none()
        ids = []
        if lead is not None:
            ids = list(
                session.execute(
                    db.select(Lead.id)
                    .where(
                        Lead.clinic_id == lead.clinic_id,
                        func.lower(Lead.email) == lead.email.lower(),
                    )
                    .order_by(Lead.id)
                ).scalars()
            )
            _delete_leads(session, ids)
        add_audit(session, "visitor", "erasure", {"count": len(ids), "via": "link"})
    return len(ids)


def _delete_leads(session: Session, ids: list[int]) -> None:
    for start in range(0, len(ids), PURGE_BATCH):
        chunk = ids[start : start + PURGE_BATCH]
        for model in _LEAD_CHILDREN:
            session.execute(delete(model).where(model.lead_id.in_(chunk)))
        # A later visit that stays (matched by phone, say) no longer points at the erased one.
        session.execute(
            update(Lead).where(Lead.returning_of_id.in_(chunk)).values(returning_of_id=None)
        )
        session.execute(delete(Lead).where(Lead.id.in_(chunk)))
    # Bulk deletes bypass the identity map; drop stale Lead objects a caller may still hold.
    session.expire_all()


def _lead_data(lead: Lead) -> dict[str, Any]:
    health = vault().decrypt(lead.health_data)
    changes, notes = _history(lead.id)
    return {
        "id": lead.public_id,
        "clinic": {"slug": lead.clinic.slug, "name": lead.clinic.name},
        "created_at": iso(lead.created_at),
        "language": lead.language,
        "contact": {
            "name": lead.name,
            "email": lead.email,
            "phone": lead.phone,
            "contact_time": lead.contact_time,
        },
        "consents": {
            "contact_at": iso(lead.consent_contact_at),
            "health_data_at": iso(lead.consent_health_at),
            "marketing_at": iso(lead.consent_marketing_at),
            "version": lead.consent_version,
            "wants_copy": lead.wants_copy,
        },
        "questionnaire_version": lead.questionnaire_version,
        "answers": _answers(health.get("answers") or {}, lead.language),
        "scores": health.get("scores", {}),
        "reasons": [r.get("text") for r in health.get("reasons", [])],
        "outcome": {
            "id": lead.outcome_id,
            "title": health.get("outcome_title"),
            "suitability": lead.suitability,
        },
        "top_area": lead.top_area,
        "content": health.get("content", []),
        "source": {field: getattr(lead, field) for field in SOURCE_FIELDS},
        "status": lead.status,
        "status_history": [
            {"from": c.old_status, "to": c.new_status, "at": iso(c.created_at)} for c in changes
        ],
        "notes": [{"at": iso(n.created_at), "text": n.body} for n in notes],
    }


def _answers(answers: dict[str, list[str]], language: str) -> list[dict[str, Any]]:
    """Pair each answer with its question and option texts; unknown ids keep a None text."""
    quiz = questionnaire()
    paired = []
    for question_id, option_ids in answers.items():
        try:
            question = quiz.question(question_id)
        except KeyError:
            question = None
        chosen = []
        for option_id in option_ids:
            option = question.option(option_id) if question else None
            chosen.append(
                {"id": option_id, "label": option.label.get(language) if option else None}
            )
        paired.append(
            {
                "question_id": question_id,
                "question": question.text.get(language) if question else None,
                "answers": chosen,
            }
        )
    return paired


def _history(lead_id: int) -> tuple[list[LeadStatusChange], list[LeadNote]]:
    """Return a lead's status changes and notes, each oldest first."""
    changes = db.session.execute(
        db.select(LeadStatusChange)
        .filter_by(lead_id=lead_id)
        .order_by(LeadStatusChange.created_at, LeadStatusChange.id)
    ).scalars()
    notes = db.session.execute(
        db.select(LeadNote).filter_by(lead_id=lead_id).order_by(LeadNote.created_at, LeadNote.id)
    ).scalars()
    return list(changes), list(notes)
