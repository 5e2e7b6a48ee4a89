"""The leads an ad platform may learn converted: ad consent, its click id, and the time the
status history first reached the conversion status."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func

from quiz.auth import Scope
from quiz.conversions import CLICK_ID_OF, CONVERSION_STATUSES, DEFAULT_NAME, Conversion
from quiz.extensions import db
from quiz.models import Clinic, Lead, LeadStatusChange
from quiz.queries.leads import day_start, scoped


def conversions(
    scope: Scope,
    platform: str,
    *,
    status: str = "booked",
    clinic: str | None = None,
    since: date | None = None,
) -> list[Conversion]:
    """Return the conversions to send `platform`, oldest first.

    Only leads with ad consent and the platform's click id; the time is the first change
    to `status` (or a later step of the funnel: booked counts a lead won straight away),
    on or after `since` (UTC).
    """
    click = getattr(Lead, CLICK_ID_OF[platform])
    reached = (
        db.select(
            LeadStatusChange.lead_id.label("lead_id"),
            func.min(LeadStatusChange.created_at).label("at"),
        )
        .where(LeadStatusChange.new_status.in_(CONVERSION_STATUSES[status]))
        .group_by(LeadStatusChange.lead_id)
        .subquery()
    )
    stmt = scoped(
        db.select(
            Lead.public_id,
            Lead.created_at,
            click.label("click_id"),
            Lead.email,
            Lead.phone,
            reached.c.at,
            Clinic.conversion_name,
            Clinic.conversion_value,
            Clinic.conversion_currency,
        )
        .join(reached, reached.c.lead_id == Lead.id)
        .join(Clinic, Clinic.id == Lead.clinic_id)
        .where(Lead.ad_consent.is_(True), click.is_not(None)),
        scope,
    )
    if clinic is not None:
        stmt = stmt.where(Clinic.slug == clinic)
    if since is not None:
        stmt = stmt.where(reached.c.at >= day_start(since))
    rows = db.session.execute(stmt.order_by(reached.c.at, Lead.id)).all()
    return [
        Conversion(
            lead_id=row.public_id,
            converted_at=row.at,
            clicked_at=row.created_at,
            click_id=row.click_id,
            email=row.email,
            phone=row.phone,
            name=row.conversion_name or DEFAULT_NAME,
            value=row.conversion_value,
            currency=row.conversion_currency,
        )
        for row in rows
    ]
