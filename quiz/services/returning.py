"""Returning visitors: the blind index of a lead's contact details and its earlier lead."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_
from sqlalchemy.orm import Session

from quiz.followup import RETURNING_DAYS, blind_index, index_key, normal_email, normal_phone
from quiz.models import Lead


def contact_keys(email: str | None, phone: str | None) -> dict[str, str | None]:
    """Return a lead's `email_key` and `phone_key`: keyed HMACs, so nothing is kept in clear.

    The key is derived from SECRET_KEY: a new SECRET_KEY starts the matching afresh.
    """
    key = index_key(current_app.config["SECRET_KEY"])
    return {
        "email_key": blind_index(key, "email", normal_email(email)),
        "phone_key": blind_index(key, "phone", normal_phone(phone)),
    }


def earlier_lead(
    session: Session, clinic_id: int, keys: dict[str, str | None], now: datetime
) -> int | None:
    """Return the id of the same person's latest lead at this clinic in the last 90 days."""
    matches = [
        column == keys[name]
        for name, column in (("email_key", Lead.email_key), ("phone_key", Lead.phone_key))
        if keys.get(name)
    ]
    if not matches:
        return None
    return session.execute(
        Lead.__table__.select()
        .with_only_columns(Lead.id)
        .where(
            Lead.clinic_id == clinic_id,
            Lead.created_at >= now - timedelta(days=RETURNING_DAYS),
            or_(*matches),
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(1)
    ).scalar_one_or_none()
