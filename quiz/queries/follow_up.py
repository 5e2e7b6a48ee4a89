"""How fast each clinic follows its leads up, and why leads were lost (the analytics page).

First contact is the first status change away from "new" or the first note, whichever came
first (`Lead.first_contacted_at`, stamped by services.leadwork).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func

from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import Clinic, Lead, utcnow
from quiz.queries.leads import LOST_REASON_LABELS, LeadFilters, filtered, lead_due_at


@dataclass(frozen=True)
class ClinicSpeed:
    """One clinic's time to first contact (hours) and share of leads contacted in time."""

    clinic: str
    follow_up_hours: float
    contacted: int
    median_hours: float | None
    p90_hours: float | None
    # Leads whose follow-up time has passed or who were contacted: the share's base.
    due: int
    in_time: int

    @property
    def share_in_time(self) -> float | None:
        """Return the share of due leads contacted before their follow-up time ran out."""
        return self.in_time / self.due if self.due else None


def percentile(values: list[float], share: float) -> float:
    """Return the `share` percentile of values (linear between closest ranks)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


def follow_up_speed(
    scope: Scope,
    clinic: str | None,
    date_from: date | None,
    date_to: date | None,
    now: datetime | None = None,
) -> list[ClinicSpeed]:
    """Return each clinic's follow-up figures for the leads created in the range, by name."""
    now = now or utcnow()
    filters = LeadFilters(clinic=clinic, date_from=date_from, date_to=date_to)
    stmt = filtered(
        db.select(
            Clinic.name,
            Clinic.follow_up_hours,
            Clinic.working_hours,
            Lead.created_at,
            Lead.first_contacted_at,
        ).join(Clinic, Clinic.id == Lead.clinic_id),
        scope,
        filters,
    ).order_by(Clinic.name, Clinic.id)
    per_clinic: dict[str, list] = {}
    for row in db.session.execute(stmt):
        per_clinic.setdefault(row.name, []).append(row)
    return [_speed(name, rows, now) for name, rows in per_clinic.items()]


def _speed(name: str, rows: list, now: datetime) -> ClinicSpeed:
    delays, due, in_time = [], 0, 0
    for row in rows:
        deadline = lead_due_at(row.created_at, row.follow_up_hours, row.working_hours)
        if row.first_contacted_at is not None:
            delays.append((row.first_contacted_at - row.created_at).total_seconds() / 3600)
            due += 1
            in_time += row.first_contacted_at <= deadline
        elif deadline <= now:
            due += 1
    return ClinicSpeed(
        clinic=name,
        follow_up_hours=rows[0].follow_up_hours,
        contacted=len(delays),
        median_hours=statistics.median(delays) if delays else None,
        p90_hours=percentile(delays, 0.9) if delays else None,
        due=due,
        in_time=in_time,
    )


def lost_reasons(
    scope: Scope, clinic: str | None, date_from: date | None, date_to: date | None
) -> list[tuple[str, int]]:
    """Return (reason label, count) of the lost leads created in the range, most first."""
    filters = LeadFilters(clinic=clinic, date_from=date_from, date_to=date_to, status="lost")
    stmt = filtered(
        db.select(Lead.lost_reason, func.count())
        .group_by(Lead.lost_reason)
        .order_by(func.count().desc(), Lead.lost_reason),
        scope,
        filters,
    )
    # Leads lost before a reason was asked for have none.
    return [
        (LOST_REASON_LABELS.get(reason or "", "(none)"), count)
        for reason, count in db.session.execute(stmt)
    ]
