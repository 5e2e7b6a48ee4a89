"""Funnel, drop-off, outcome mix and attribution figures, counted in SQL."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func

from quiz.auth import Scope
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import (
    Clinic,
    Event,
    Lead,
)
from quiz.queries.leads import SUITABILITY_ORDER, LeadFilters, area_label, day_start, filtered
from quiz.runtime import questionnaire


@dataclass
class Analytics:
    """Every figure on the analytics page for one clinic (or all) and date range."""

    funnel: list[tuple[str, int, float | None]]
    steps: list[tuple[str, int, float | None]]
    suitability: list[tuple[str, int]]
    outcomes: list[tuple[str, int]]
    concerns: list[tuple[str, int]]
    sources: list[tuple[str, int]]
    campaigns: list[tuple[str, int]]
    median_first_contact_hours: float | None
    contacted: int


FUNNEL = (
    ("view", N_("Views")),
    ("start", N_("Starts")),
    ("complete", N_("Completions")),
    ("lead", N_("Leads")),
)


def analytics(scope: Scope, clinic: str | None, date_from: date | None, date_to: date | None):
    """Return funnel, step drop-off, mixes, sources and time to first contact."""

    def events(stmt: Select) -> Select:
        if not scope.everything:
            stmt = stmt.where(Event.clinic_id == scope.clinic_id)
        if clinic and scope.everything:
            stmt = stmt.where(
                Event.clinic_id.in_(db.select(Clinic.id).where(Clinic.slug == clinic))
            )
        if date_from:
            stmt = stmt.where(Event.created_at >= day_start(date_from))
        if date_to:
            stmt = stmt.where(Event.created_at < day_start(date_to + timedelta(days=1)))
        return stmt

    filters = LeadFilters(clinic=clinic, date_from=date_from, date_to=date_to)

    def leads(stmt: Select) -> Select:
        return filtered(stmt, scope, filters)

    kinds = dict(
        db.session.execute(events(db.select(Event.kind, func.count()).group_by(Event.kind))).all()
    )
    funnel = []
    previous = None
    for kind, label in FUNNEL:
        count = kinds.get(kind, 0)
        funnel.append((label, count, _rate(count, previous)))
        previous = count

    step_counts = dict(
        db.session.execute(
            events(
                db.select(Event.step, func.count()).where(Event.kind == "step").group_by(Event.step)
            )
        ).all()
    )
    quiz = questionnaire()
    steps = []
    previous = kinds.get("start", 0) or None
    ordered = [s.id for s in quiz.steps] + sorted(
        k for k in step_counts if k and k not in {s.id for s in quiz.steps}
    )
    titles = {s.id: s.title.get("en") for s in quiz.steps}
    for step_id in ordered:
        count = step_counts.get(step_id, 0)
        steps.append((titles.get(step_id, step_id), count, _rate(count, previous)))
        previous = count

    def grouped(column) -> list[tuple[str, int]]:
        rows = db.session.execute(
            leads(db.select(column, func.count()).group_by(column).order_by(func.count().desc()))
        ).all()
        return [(value or "(none)", count) for value, count in rows]

    concerns = [(area_label(quiz, a) if a != "(none)" else a, n) for a, n in grouped(Lead.top_area)]
    delays = [
        (contacted - created).total_seconds() / 3600
        for created, contacted in db.session.execute(
            leads(db.select(Lead.created_at, Lead.first_contacted_at)).where(
                Lead.first_contacted_at.is_not(None)
            )
        )
    ]
    return Analytics(
        funnel=funnel,
        steps=steps,
        suitability=sorted(
            grouped(Lead.suitability),
            key=lambda r: SUITABILITY_ORDER.index(r[0]) if r[0] in SUITABILITY_ORDER else 99,
        ),
        outcomes=grouped(Lead.outcome_id),
        concerns=concerns,
        sources=grouped(Lead.utm_source),
        campaigns=grouped(Lead.utm_campaign),
        median_first_contact_hours=statistics.median(delays) if delays else None,
        contacted=len(delays),
    )


def _rate(count: int, previous: int | None) -> float | None:
    """Return count as a share of the previous step, or None when there is no base."""
    if not previous:
        return None
    return count / previous
