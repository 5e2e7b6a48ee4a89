"""Funnel, drop-off, outcome mix and attribution figures, counted in SQL."""

from __future__ import annotations

import statistics
from collections.abc import Callable
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
from quiz.questions import Questionnaire
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


def analytics(
    scope: Scope, clinic: str | None, date_from: date | None, date_to: date | None
) -> Analytics:
    """Return funnel, step drop-off, mixes, sources and time to first contact."""
    events = _events_filter(scope, clinic, date_from, date_to)
    filters = LeadFilters(clinic=clinic, date_from=date_from, date_to=date_to)

    def grouped(column) -> list[tuple[str, int]]:
        stmt = db.select(column, func.count()).group_by(column).order_by(func.count().desc())
        rows = db.session.execute(filtered(stmt, scope, filters)).all()
        return [(value or "(none)", count) for value, count in rows]

    kinds = dict(
        db.session.execute(events(db.select(Event.kind, func.count()).group_by(Event.kind))).all()
    )
    step_counts = dict(
        db.session.execute(
            events(
                db.select(Event.step, func.count()).where(Event.kind == "step").group_by(Event.step)
            )
        ).all()
    )
    quiz = questionnaire()
    delays = [
        (contacted - created).total_seconds() / 3600
        for created, contacted in db.session.execute(
            filtered(db.select(Lead.created_at, Lead.first_contacted_at), scope, filters).where(
                Lead.first_contacted_at.is_not(None)
            )
        )
    ]
    return Analytics(
        funnel=_funnel(kinds),
        steps=_steps(quiz, step_counts, kinds.get("start", 0)),
        suitability=sorted(
            grouped(Lead.suitability),
            key=lambda r: SUITABILITY_ORDER.index(r[0]) if r[0] in SUITABILITY_ORDER else 99,
        ),
        outcomes=grouped(Lead.outcome_id),
        concerns=[
            (area_label(quiz, a) if a != "(none)" else a, n) for a, n in grouped(Lead.top_area)
        ],
        sources=grouped(Lead.utm_source),
        campaigns=grouped(Lead.utm_campaign),
        median_first_contact_hours=statistics.median(delays) if delays else None,
        contacted=len(delays),
    )


def _events_filter(
    scope: Scope, clinic: str | None, date_from: date | None, date_to: date | None
) -> Callable[[Select], Select]:
    """Return what narrows a statement over events to the scope, clinic and dates."""

    def events(stmt: Select) -> Select:
        if not scope.everything:
            stmt = stmt.where(Event.clinic_id == scope.clinic_id)
        # A clinic filter only narrows an admin's view, as for leads.
        if clinic and scope.everything:
            stmt = stmt.where(
                Event.clinic_id.in_(db.select(Clinic.id).where(Clinic.slug == clinic))
            )
        if date_from:
            stmt = stmt.where(Event.created_at >= day_start(date_from))
        if date_to:
            stmt = stmt.where(Event.created_at < day_start(date_to + timedelta(days=1)))
        return stmt

    return events


def _funnel(kinds: dict[str, int]) -> list[tuple[str, int, float | None]]:
    """Return each funnel stage's count and its share of the stage before.

    A stage counts the runs that reached it or a later one, so it is never below the next.
    """
    # Every lead completed the quiz and every completion started it, but their events reach
    # the table at different times: a lead's with the lead, a "complete" a lead may follow at
    # once, views, starts and other completions from each worker's buffer seconds later (or
    # never, when a worker dies); a range can also end between a run's completion and its
    # lead, and an API assessment has no view or start. Each later count is a floor.
    counts = [kinds.get(kind, 0) for kind, _ in FUNNEL]
    for n in reversed(range(len(counts) - 1)):
        counts[n] = max(counts[n], counts[n + 1])
    funnel = []
    previous = None
    for (_, label), count in zip(FUNNEL, counts, strict=True):
        funnel.append((label, count, _rate(count, previous)))
        previous = count
    return funnel


def _steps(
    quiz: Questionnaire, step_counts: dict[str | None, int], starts: int
) -> list[tuple[str, int, float | None]]:
    """Return each step's title, how many reached it, and its share of the step before."""
    known = {s.id for s in quiz.steps}
    # Steps a later questionnaire dropped still have events: shown by id, after the others.
    ordered = [s.id for s in quiz.steps] + sorted(k for k in step_counts if k and k not in known)
    titles = {s.id: s.title.get("en") for s in quiz.steps}
    steps = []
    previous = starts or None
    for step_id in ordered:
        count = step_counts.get(step_id, 0)
        steps.append((titles.get(step_id, step_id), count, _rate(count, previous)))
        previous = count
    return steps


def _rate(count: int, previous: int | None) -> float | None:
    """Return count as a share of the previous step, or None when there is no base."""
    if not previous:
        return None
    return count / previous
