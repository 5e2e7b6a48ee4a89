"""Returning visitors: the blind index of a lead's contact details and its earlier lead."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, bindparam, select, union_all
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
    # One equality lookup per key, on its own index; the window and the latest are picked
    # here. With the time range or its order in the query, SQLite walks the clinic's
    # (clinic_id, created_at) index instead, reading every lead of the last 90 days while
    # the new lead holds the write lock.
    wanted = tuple(name for name in _LOOKUPS if keys.get(name))
    if not wanted:
        return None
    params = {"clinic_id": clinic_id, **{name: keys[name] for name in wanted}}
    statement = _LOOKUPS[wanted[0]] if len(wanted) == 1 else _EITHER
    # On the session's connection, past the ORM's statement handling: plain rows are wanted.
    rows = session.connection().execute(statement, params).all()
    since = now - timedelta(days=RETURNING_DAYS)
    recent = [(created, lead_id) for lead_id, created in rows if created >= since]
    return max(recent)[1] if recent else None


def _lookup(column) -> Select:
    return select(Lead.id, Lead.created_at).where(
        Lead.clinic_id == bindparam("clinic_id"), column == bindparam(column.key)
    )


# Built once: every lead runs one of these, and building the statement was a tenth of it.
_LOOKUPS = {"email_key": _lookup(Lead.email_key), "phone_key": _lookup(Lead.phone_key)}
_EITHER = union_all(*_LOOKUPS.values())
