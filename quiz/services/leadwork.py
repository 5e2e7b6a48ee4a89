"""Work on leads: status changes (with why a lead was lost), notes, assignment, exports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, insert, literal

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import (
    LEAD_STATUSES,
    LOST_REASONS,
    ExportedLead,
    ExportRecord,
    Lead,
    LeadAssignment,
    LeadNote,
    LeadStatusChange,
    User,
    utcnow,
)
from quiz.services.audit import add_audit
from quiz.services.common import ServiceError
from quiz.validation import storage_problem

NOTE_LIMIT = 5000
LOST_NOTE_LIMIT = 500


def lost_reason(reason: str | None, text: str | None) -> tuple[str, str | None]:
    """Check why a lead is lost: one of LOST_REASONS, with a text for "other"; ServiceError."""
    reason = (reason or "").strip()
    if reason not in LOST_REASONS:
        raise ServiceError(N_("reason: say why the lead was lost"))
    text = (text or "").strip() or None
    if reason != "other":
        return reason, None
    if text is None:
        raise ServiceError(N_("reason: describe the other reason"))
    if len(text) > LOST_NOTE_LIMIT:
        raise ServiceError(N_("reason: at most %(limit)d characters", limit=LOST_NOTE_LIMIT))
    problem = storage_problem(text)
    if problem is not None:
        raise ServiceError(problem)
    return reason, text


def change_status(
    lead: Lead,
    new_status: str,
    user: User | None,
    *,
    reason: str | None = None,
    reason_text: str | None = None,
) -> bool:
    """Move a lead to `new_status`, recording who and when; return False when unchanged.

    Moving to "lost" needs a reason (see lost_reason), kept on the lead while it stays lost.
    The first move out of "new" stamps `first_contacted_at`, which the time-to-first-contact
    figure in analytics measures.
    """
    if new_status not in LEAD_STATUSES:
        raise ServiceError(
            N_("status: expected one of %(statuses)s", statuses=", ".join(LEAD_STATUSES))
        )
    why, why_text = lost_reason(reason, reason_text) if new_status == "lost" else (None, None)
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
                reason=why,
                reason_text=why_text,
                created_at=now,
            )
        )
        if lead.status == "new" and lead.first_contacted_at is None:
            lead.first_contacted_at = now
        lead.status = new_status
        lead.lost_reason, lead.lost_note = why, why_text
    return True


def add_note(lead: Lead, body: str, user: User | None) -> LeadNote:
    """Store a note on a lead; raise ServiceError when it is empty or too long.

    A lead's first note counts as its first contact when no status change came before.
    """
    body = (body or "").strip()
    if not body:
        raise ServiceError(N_("note: write something first"))
    if len(body) > NOTE_LIMIT:
        raise ServiceError(N_("note: at most %(limit)d characters", limit=NOTE_LIMIT))
    lead_id = lead.id
    with write_transaction() as session:
        note = LeadNote(lead_id=lead_id, author_id=user.id if user else None, body=body)
        session.add(note)
        session.flush()
        stored = session.get(Lead, lead_id)
        if stored is not None and stored.first_contacted_at is None:
            stored.first_contacted_at = note.created_at
    return note


def assign(lead: Lead, assignee_id: int | None, user: User | None) -> bool:
    """Give a lead to an active account of its clinic (None: to nobody); False when unchanged.

    Only a staff member of the lead's own clinic can be given it, so one clinic's people
    never see another's leads; the change goes on the lead's timeline.
    """
    lead_id = lead.id
    with write_transaction() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise ServiceError(N_("This lead no longer exists."))
        if assignee_id is not None:
            assignee = session.get(User, assignee_id)
            if (
                assignee is None
                or not assignee.active
                or assignee.role != "staff"
                or assignee.clinic_id != lead.clinic_id
            ):
                raise ServiceError(N_("assignee: choose a staff member of this lead's clinic"))
        if lead.assignee_id == assignee_id:
            return False
        session.add(
            LeadAssignment(
                lead_id=lead.id,
                user_id=user.id if user else None,
                assignee_id=assignee_id,
                created_at=utcnow(),
            )
        )
        lead.assignee_id = assignee_id
    return True


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
