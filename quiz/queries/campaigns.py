"""Campaign figures for the analytics page: leads over time, and each source, medium and
campaign's leads and how far they got (contacted, booked, won), counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from quiz.auth import Scope
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import Lead, LeadStatusChange, UTCDateTime
from quiz.queries.leads import LeadFilters, filtered

# A range of up to this many days is drawn per day, a longer one per week (Monday to Sunday).
DAILY_LIMIT = 62
# How far a lead got, in order; "lost" ends a lead wherever it was and so adds no step.
PROGRESS = ("contacted", "booked", "won")
# An empty utm_* field; shown translated, a visitor-sent value never is.
NONE_LABEL = N_("(none)")
# The plot area of the leads-over-time chart, in SVG units; the template adds the axes.
CHART_WIDTH, CHART_HEIGHT = 600, 160


@dataclass(frozen=True)
class Bucket:
    """One day or week of the leads-over-time chart: its first and last day and its leads."""

    first: date
    last: date
    leads: int


@dataclass(frozen=True)
class LeadsOverTime:
    """Leads over the selected range, per day or per week."""

    unit: str  # "day" or "week"
    buckets: list[Bucket]

    @property
    def total(self) -> int:
        """Return the leads in the whole range."""
        return sum(b.leads for b in self.buckets)

    @property
    def peak(self) -> int:
        """Return the most leads in one bucket (0 when there are none)."""
        return max((b.leads for b in self.buckets), default=0)

    def bars(self) -> list[Bar]:
        """Return the chart's columns, one per bucket, scaled so the peak fills CHART_HEIGHT."""
        if not self.buckets:
            return []
        width = CHART_WIDTH / len(self.buckets)
        gap = min(2.0, width / 4)
        bars = []
        for n, b in enumerate(self.buckets):
            height = CHART_HEIGHT * b.leads / self.peak if self.peak else 0.0
            bars.append(
                Bar(
                    round(n * width + gap / 2, 1),
                    round(CHART_HEIGHT - height, 1),
                    round(width - gap, 1),
                    round(height, 1),
                    b,
                )
            )
        return bars


@dataclass(frozen=True)
class Bar:
    """One column of the leads-over-time chart in SVG units (y grows downwards)."""

    x: float
    y: float
    width: float
    height: float
    bucket: Bucket


@dataclass(frozen=True)
class CampaignRow:
    """One source, medium and campaign: its leads and how many reached each later status."""

    source: str
    medium: str
    campaign: str
    leads: int
    contacted: int
    booked: int
    won: int

    @property
    def booked_rate(self) -> float | None:
        """Return the share of leads that were booked (or won), None without leads."""
        return self.booked / self.leads if self.leads else None


class utc_day(FunctionElement):
    """The UTC calendar day of a timestamp, as ISO text ("2026-03-10") on every database."""

    type = String()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_sqlite(element, compiler, **kw):
    # SQLite stores the UTC value as text ("2026-03-10 12:00:00.000000").
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw):
    # timestamptz is read in the session's time zone; the day must be UTC's.
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def leads_over_time(
    scope: Scope,
    clinic: str | None,
    date_from: date | None,
    date_to: date | None,
    *,
    today: date | None = None,
) -> LeadsOverTime:
    """Return the leads per day (a range of up to DAILY_LIMIT days) or per week.

    The range is the one selected, kept within the clinic's first lead and `today` (UTC):
    years before anyone took the quiz would only add empty weeks.
    """
    earliest, latest = db.session.execute(
        filtered(
            db.select(
                func.min(Lead.created_at, type_=UTCDateTime()),
                func.max(Lead.created_at, type_=UTCDateTime()),
            ),
            scope,
            LeadFilters(clinic=clinic),
        )
    ).one()
    if earliest is None:
        return LeadsOverTime("day", [])
    start = max(date_from or earliest.date(), earliest.date())
    end = min(date_to or date.max, max(today or datetime.now(UTC).date(), latest.date()))
    if start > end:
        return LeadsOverTime("day", [])
    day = utc_day(Lead.created_at)
    filters = LeadFilters(clinic=clinic, date_from=start, date_to=end)
    rows = db.session.execute(
        filtered(db.select(day, func.count()).group_by(day), scope, filters)
    ).all()
    return bucket({date.fromisoformat(str(value)): count for value, count in rows}, start, end)


def bucket(per_day: dict[date, int], start: date, end: date) -> LeadsOverTime:
    """Return the counts from `start` to `end` per day, or per week for a longer range.

    Every day or week of the range is there, with 0 where nothing happened; the first and
    last week are cut to the range, so no bucket holds days outside it.
    """
    days = (end - start).days + 1
    if days <= DAILY_LIMIT:
        return LeadsOverTime(
            "day",
            [
                Bucket(d, d, per_day.get(d, 0))
                for d in (start + timedelta(days=n) for n in range(days))
            ],
        )
    buckets = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=6 - first.weekday()), end)
        count = sum(
            per_day.get(first + timedelta(days=n), 0) for n in range((last - first).days + 1)
        )
        buckets.append(Bucket(first, last, count))
        first = last + timedelta(days=1)
    return LeadsOverTime("week", buckets)


def _rank(status: ColumnElement) -> ColumnElement:
    """How far a status is along PROGRESS: 0 for new or lost, 1 contacted … 3 won."""
    return case(*((status == s, n) for n, s in enumerate(PROGRESS, start=1)), else_=0)


def _label(column: ColumnElement) -> ColumnElement:
    # NULL and "" are one group, shown as "(none)".
    return func.coalesce(column, "")


def campaign_figures(
    scope: Scope, clinic: str | None, date_from: date | None, date_to: date | None
) -> list[CampaignRow]:
    """Return each source, medium and campaign's leads (most first) and how many of them
    ever reached contacted, booked or won (a later status counts for the earlier ones).

    A lead's furthest status is the furthest of its status history and its current status,
    so a lead booked and later lost still counts as booked.
    """
    history = (
        db.select(
            LeadStatusChange.lead_id.label("lead_id"),
            func.max(_rank(LeadStatusChange.new_status)).label("reached"),
        )
        .group_by(LeadStatusChange.lead_id)
        .subquery()
    )
    current, past = _rank(Lead.status), func.coalesce(history.c.reached, 0)
    reached = case((current > past, current), else_=past)
    labels = [_label(Lead.utm_source), _label(Lead.utm_medium), _label(Lead.utm_campaign)]
    counts = [func.sum(case((reached >= n, 1), else_=0)) for n in range(1, len(PROGRESS) + 1)]
    stmt = (
        db.select(*labels, func.count(), *counts)
        .select_from(Lead)
        .outerjoin(history, history.c.lead_id == Lead.id)
        .group_by(*labels)
        .order_by(func.count().desc(), *labels)
    )
    rows = db.session.execute(
        filtered(stmt, scope, LeadFilters(clinic=clinic, date_from=date_from, date_to=date_to))
    ).all()
    return [
        CampaignRow(
            source or NONE_LABEL,
            medium or NONE_LABEL,
            campaign or NONE_LABEL,
            leads,
            int(contacted or 0),
            int(booked or 0),
            int(won or 0),
        )
        for source, medium, campaign, leads, contacted, booked, won in rows
    ]
