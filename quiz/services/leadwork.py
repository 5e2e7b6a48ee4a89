"""Work on leads: status changes, notes and export records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, insert, literal

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import (
    LEAD_STATUSES,
    ExportedLead,
    ExportRecord,
    Lead,
    LeadNote,
    LeadStatusChange,
    User,
    utcnow,
)
from quiz.services.audit import add_audit
from quiz.services.common import ServiceError

NOTE_LIMIT = 5000


def change_status(lead: Lead, new_status: str, user: User | None) -> bool:
    """Move a lead to `new_status`, recording who and when; return False when unchanged.

    The first move out of "new" stamps `first_contacted_at`, which the time-to-first-contact
    figure in analytics measures.
    """
    if new_status not in LEAD_STATUSES:
        raise ServiceError(
            N_("status: expected one of %(statuses)s", statuses=", ".join(LEAD_STATUSES))
        )
    lead_id = lead.id
    with write_transaction() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise ServiceError(N_("This lead no longer exists."))
        if lead.status == new_status:
            return False
        now = utcnow()
        session.add(
            LeadStatusChange(
                lead_id=lead.id,
                user_id=user.id if user else None,
                old_status=lead.status,
                new_status=new_status,
                created_at=now,
            )
        )
        if lead.status == "new" and lead.first_contacted_at is None:
            lead.first_contacted_at = now
        lead.status = new_status
    return True


def add_note(lead: Lead, body: str, user: User | None) -> LeadNote:
    """Store a note on a lead; raise ServiceError when it is empty or too long."""
    body = (body or "").strip()
    if not body:
        raise ServiceError(N_("note: write something first"))
    if len(body) > NOTE_LIMIT:
        raise ServiceError(N_("note: at most %(limit)d characters", limit=NOTE_LIMIT))
    note = LeadNote(lead_id=lead.id, author_id=user.id if user else None, body=body)
    with write_transaction() as session:
        session.add(note)
    return note


def record_export(
    ids: Select, *, actor: str, user_id: int | None, fmt: str, filters: dict[str, Any]
) -> ExportRecord:
    """Record an export of exactly the leads `ids` selects, with an audit entry.

    `ids` is a SELECT of lead ids; they are copied into exported_leads by one
    INSERT ... SELECT, so the file is written from the recorded set and a lead arriving
    during a long download is neither exported unrecorded nor recorded unexported.
    """
    with write_transaction() as session:
        record = ExportRecord(user_id=user_id, actor=actor, format=fmt, filters=filters)
        session.add(record)
        session.flush()
        subquery = ids.subquery()
        session.execute(
            insert(ExportedLead).from_select(
                ["export_id", "lead_id"],
                db.select(literal(record.id), subquery.c.id),
            )
        )
        count = session.execute(
            db.select(db.func.count()).select_from(ExportedLead).filter_by(export_id=record.id)
        ).scalar_one()
        record.row_count = count
        add_audit(
            session,
            actor,
            "export",
            {"export_id": record.id, "format": fmt, "filters": filters, "rows": count},
        )
    return record


def record_conversions_download(actor: str, platform: str, filters: dict[str, Any], rows: int):
    """Audit who took an offline-conversions file for an ad platform, and which leads' count."""
    with write_transaction() as session:
        add_audit(
            session,
            actor,
            "conversions",
            {"platform": platform, "filters": filters, "rows": rows},
        )
