"""Reminder digests: each clinic's leads still new past its follow-up time, mailed once a day.

A digest names no visitor: it holds how many leads wait and links to each in the back
office. A lead goes to its assignee when it has one, else to every active staff member of
its clinic (or, with none, to the clinic's address); `reminded_on` keeps a lead out of a
second digest on the same day (UTC), even when several workers run at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.models import Clinic, Delivery, Lead, User
from quiz.queries import lead_due_at
from quiz.services.outbox import announce


@dataclass(frozen=True)
class Reminded:
    """What one reminder run queued: digests (outbox rows) and the leads they name."""

    digests: int
    leads: int

    def __str__(self) -> str:
        """Say what was queued, for the command line and the worker's log."""
        return f"{self.digests} reminder digests queued for {self.leads} overdue leads"


def remind(now: datetime) -> Reminded:
    """Queue one digest per recipient of the leads overdue at `now` not yet reminded today."""
    ids: list[int] = []
    leads = 0
    clinics = list(db.session.execute(db.select(Clinic).order_by(Clinic.id)).scalars())
    for clinic in clinics:
        queued, count = _remind_clinic(clinic, now)
        ids += queued
        leads += count
    # Only after the commits: a worker woken now must find the rows.
    announce(ids)
    return Reminded(len(ids), leads)


def _overdue(clinic: Clinic, now: datetime) -> list[int]:
    """Return the ids of a clinic's leads still new past their follow-up time, not reminded."""
    # No deadline comes sooner than follow_up_hours after the lead: SQL narrows by that, and
    # working hours (which only push deadlines later) are applied to what it finds.
    rows = db.session.execute(
        db.select(Lead.id, Lead.created_at).where(
            Lead.clinic_id == clinic.id,
            Lead.status == "new",
            Lead.created_at <= now - timedelta(hours=clinic.follow_up_hours),
            or_(Lead.reminded_on.is_(None), Lead.reminded_on < now.date()),
        )
    ).all()
    return [
        row.id
        for row in rows
        if lead_due_at(row.created_at, clinic.follow_up_hours, clinic.working_hours) <= now
    ]


def _remind_clinic(clinic: Clinic, now: datetime) -> tuple[list[int], int]:
    """Claim a clinic's overdue leads for today and queue their digests; return the rows."""
    candidates = _overdue(clinic, now)
    if not candidates:
        return [], 0
    today = now.date()
    with write_transaction() as session:
        # The claim decides: a lead another worker reminded meanwhile is not returned here.
        claimed = session.execute(
            update(Lead)
            .where(
                Lead.id.in_(candidates),
                or_(Lead.reminded_on.is_(None), Lead.reminded_on < today),
            )
            .values(reminded_on=today)
            .returning(Lead.public_id, Lead.assignee_id)
            .execution_options(synchronize_session=False)
        ).all()
        staff = [
            user.id
            for user in session.execute(
                db.select(User).where(
                    User.clinic_id == clinic.id,
                    User.role == "staff",
                    User.active.is_(True),
                    User.password_hash.is_not(None),
                )
            ).scalars()
        ]
        by_recipient: dict[int | None, list[str]] = {}
        for public_id, assignee_id in claimed:
            for recipient in [assignee_id] if assignee_id in staff else staff or [None]:
                by_recipient.setdefault(recipient, []).append(public_id)
        if None in by_recipient and not clinic.email:
            # Nobody to tell: no staff and no address. The leads still show as overdue.
            del by_recipient[None]
        rows = [
            Delivery(
                event_type="lead.reminder",
                channel="reminder",
                clinic_id=clinic.id,
                user_id=user_id,
                payload={"leads": sorted(public_ids)},
            )
            for user_id, public_ids in by_recipient.items()
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    return ids, len(claimed)
