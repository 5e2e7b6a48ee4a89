"""Lead lists, filters, one lead and its timeline, scoped to what the user may see."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_
from sqlalchemy.orm import aliased

from quiz.auth import Scope
from quiz.extensions import db
from quiz.followup import Window, due_at, parse_window
from quiz.messages import N_
from quiz.models import (
    Clinic,
    ExportedLead,
    ExportRecord,
    Lead,
    LeadAssignment,
    LeadNote,
    LeadStatusChange,
    QuestionnaireSnapshot,
    User,
    utcnow,
)
from quiz.questions import Questionnaire, QuestionnaireError, parse
from quiz.runtime import questionnaire
from quiz.validation import CLICK_IDS

SORTS = ("created", "name", "suitability", "status")
SUITABILITY_ORDER = ("good", "possible", "consult", "not_suitable")
PER_PAGE = 50
_PUBLIC_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COUNT_CAP = 10_000
EXPORT_BATCH = 1000
UNREADABLE = N_("(answers cannot be decrypted with the configured keys)")
UNREADABLE_NOTE = N_("Answers cannot be decrypted with the configured keys.")
# The words for models.LOST_REASONS: the forms, the timeline and analytics use them.
LOST_REASON_LABELS = {
    "no_answer": N_("No answer"),
    "not_suitable": N_("Not suitable"),
    "booked_elsewhere": N_("Booked elsewhere"),
    "too_expensive": N_("Too expensive"),
    "other": N_("Other"),
}


@dataclass(frozen=True)
class LeadFilters:
    """What narrows a list of leads; None means "any"."""

    clinic: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    suitability: str | None = None
    outcome: str | None = None
    status: str | None = None
    utm_source: str | None = None
    utm_campaign: str | None = None
    # "consent", "none" (ad consent given or not) or a click id the lead must have.
    click_id: str | None = None
    q: str | None = None
    lost_reason: str | None = None
    # "me" (with `me`, the signed-in user's id) or "none" (unassigned).
    assigned: str | None = None
    me: int | None = None
    # True: a returning visitor's earlier leads are left out (one row per person) while no
    # other filter narrows the list: a filter could match an earlier visit but not the last.
    latest_only: bool = False
    sort: str = "created"

    def narrows(self) -> bool:
        """Tell whether a filter beyond the clinic picks among the leads."""
        skip = {"clinic", "sort", "me", "latest_only"}
        return any(v not in (None, "") for k, v in asdict(self).items() if k not in skip)

    def describe(self) -> dict[str, str]:
        """Return the filters that are set, as text (for export records)."""
        skip = {"sort", "me", "latest_only"}
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "") and k not in skip}


def day_start(day: date) -> datetime:
    """Return the first instant of a UTC day."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def scoped(stmt: Select, scope: Scope) -> Select:
    """Restrict a statement over leads to the clinics `scope` may see."""
    if scope.everything:
        return stmt
    return stmt.where(Lead.clinic_id == scope.clinic_id)


def _click_filter(value: str):
    """The condition of the ad-click filter: ad consent given or not, or a click id present."""
    if value == "consent":
        return Lead.ad_consent.is_(True)
    if value == "none":
        return Lead.ad_consent.is_(False)
    if value in CLICK_IDS:
        return getattr(Lead, value).is_not(None)
    raise ValueError(f"unknown ad-click filter: {value}")


def filtered(stmt: Select, scope: Scope, filters: LeadFilters) -> Select:
    """Apply the scope and every set filter to a statement over leads."""
    stmt = scoped(stmt, scope)
    # A clinic filter only narrows an admin's view; staff always see their own clinic.
    if filters.clinic and scope.everything:
        stmt = stmt.where(
            Lead.clinic_id.in_(db.select(Clinic.id).where(Clinic.slug == filters.clinic))
        )
    if filters.date_from:
        stmt = stmt.where(Lead.created_at >= day_start(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Lead.created_at < day_start(filters.date_to + timedelta(days=1)))
    for column, value in (
        (Lead.suitability, filters.suitability),
        (Lead.outcome_id, filters.outcome),
        (Lead.status, filters.status),
        (Lead.utm_source, filters.utm_source),
        (Lead.utm_campaign, filters.utm_campaign),
        (Lead.lost_reason, filters.lost_reason),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.click_id:
        stmt = stmt.where(_click_filter(filters.click_id))
    if filters.assigned == "me":
        stmt = stmt.where(Lead.assignee_id == filters.me)
    elif filters.assigned == "none":
        stmt = stmt.where(Lead.assignee_id.is_(None))
    if filters.latest_only and not filters.narrows():
        later = aliased(Lead)
        stmt = stmt.where(~db.select(later.id).where(later.returning_of_id == Lead.id).exists())
    if filters.q:
        # Escape LIKE wildcards so a search for "50%" finds "50%", not everything.
        escaped = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Lead.name).like(pattern, escape="\\"),
                Lead.email.like(pattern, escape="\\"),
                Lead.phone.like(pattern, escape="\\"),
            )
        )
    return stmt


def _order(sort: str):
    if sort == "name":
        return (func.lower(Lead.name).asc(), Lead.id.desc())
    if sort == "suitability":
        rank = case({s: i for i, s in enumerate(SUITABILITY_ORDER)}, value=Lead.suitability)
        return (rank.asc(), Lead.created_at.desc(), Lead.id.desc())
    if sort == "status":
        return (Lead.status.asc(), Lead.created_at.desc(), Lead.id.desc())
    return (Lead.created_at.desc(), Lead.id.desc())


@dataclass
class LeadPage:
    """One page of a lead list, with a count capped at COUNT_CAP."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    capped: bool
    has_next: bool = field(default=False)
    # Public ids of the leads on this page still "new" past their clinic's follow-up time.
    overdue: set[str] = field(default_factory=set)

    @property
    def has_prev(self) -> bool:
        """Tell whether an earlier page exists."""
        return self.page > 1


def list_leads(
    scope: Scope, filters: LeadFilters, *, page: int = 1, per_page: int = PER_PAGE
) -> LeadPage:
    """Return one page of leads (newest first unless sorted otherwise) with its clinic name."""
    page = max(1, page)
    stmt = filtered(
        db.select(
            Lead.public_id,
            Lead.created_at,
            Lead.name,
            Lead.email,
            Lead.phone,
            Lead.suitability,
            Lead.outcome_id,
            Lead.top_area,
            Lead.status,
            Lead.utm_source,
            Lead.utm_campaign,
            Lead.language,
            Lead.lost_reason,
            Lead.returning_of_id,
            User.email.label("assignee_email"),
            Clinic.name.label("clinic_name"),
            Clinic.follow_up_hours,
            Clinic.working_hours,
        )
        .join(Clinic, Clinic.id == Lead.clinic_id)
        .outerjoin(User, User.id == Lead.assignee_id),
        scope,
        filters,
    )
    rows = db.session.execute(
        stmt.order_by(*_order(filters.sort)).limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    # Counting every match is slow on large tables: count at most COUNT_CAP + 1 of them.
    capped_ids = filtered(db.select(Lead.id), scope, filters).limit(COUNT_CAP + 1).subquery()
    total = db.session.execute(db.select(func.count()).select_from(capped_ids)).scalar_one()
    return LeadPage(
        items=rows[:per_page],
        page=page,
        per_page=per_page,
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        has_next=len(rows) > per_page,
        overdue=overdue_ids(rows[:per_page], utcnow()),
    )


def lead_due_at(created_at: datetime, follow_up_hours: float, working_hours: str | None):
    """Return when a lead must have had its first contact, by its clinic's settings."""
    window = parse_window(working_hours)
    # A value stored before it was checked counts as "no working hours", never as an error.
    return due_at(created_at, follow_up_hours, window if isinstance(window, Window) else None)


def overdue_ids(rows, now: datetime) -> set[str]:
    """Return the public ids of the rows still "new" after their follow-up time."""
    return {
        row.public_id
        for row in rows
        if row.status == "new"
        and lead_due_at(row.created_at, row.follow_up_hours, row.working_hours) <= now
    }


def get_lead(scope: Scope, public_id: str) -> Lead | None:
    """Return the lead with that public id if `scope` may see it, else None."""
    # Only the shape new_uuid gives: anything else names no lead, and a NUL in it would
    # make PostgreSQL refuse the query rather than find nothing.
    if not _PUBLIC_ID.fullmatch(public_id or ""):
        return None
    return db.session.execute(
        scoped(db.select(Lead).where(Lead.public_id == public_id), scope)
    ).scalar_one_or_none()


def earlier_visit(lead: Lead) -> tuple[str, datetime] | None:
    """Return the public id and time of a returning visitor's earlier lead, if any."""
    if lead.returning_of_id is None:
        return None
    row = db.session.execute(
        db.select(Lead.public_id, Lead.created_at).where(
            Lead.id == lead.returning_of_id, Lead.clinic_id == lead.clinic_id
        )
    ).first()
    return (row.public_id, row.created_at) if row else None


def leads_after(
    clinic: Clinic,
    *,
    limit: int,
    since: datetime | None = None,
    after: tuple[datetime, int] | None = None,
) -> tuple[list[Lead], bool]:
    """Return up to `limit` of a clinic's leads in (created_at, id) order, and whether more follow.

    `since` keeps leads created at or after it; `after` (a created_at and an id, from the last
    lead of a previous page) keeps those strictly after it, so paging never skips or repeats.
    """
    stmt = db.select(Lead).where(Lead.clinic_id == clinic.id)
    if since is not None:
        stmt = stmt.where(Lead.created_at >= since)
    if after is not None:
        when, lead_id = after
        stmt = stmt.where(
            or_(Lead.created_at > when, and_(Lead.created_at == when, Lead.id > lead_id))
        )
    # One row more than asked says whether there is a next page without counting.
    rows = list(
        db.session.execute(stmt.order_by(Lead.created_at, Lead.id).limit(limit + 1)).scalars()
    )
    return rows[:limit], len(rows) > limit


def questionnaire_at(version: str, cache: dict[str, Questionnaire] | None = None) -> Questionnaire:
    """Return the questionnaire as it was at `version`, or the current one when unknown."""
    current = questionnaire()
    if version == current.version:
        return current
    if cache is not None and version in cache:
        return cache[version]
    found = current
    snapshot = db.session.get(QuestionnaireSnapshot, version)
    if snapshot is not None:
        try:
            found = parse(json.loads(snapshot.document), version=version, base_dir=current.base_dir)
        except (QuestionnaireError, ValueError):
            found = current
    if cache is not None:
        cache[version] = found
    return found


def area_label(quiz: Questionnaire, area_id: str | None, language: str = "en") -> str:
    """Return an area's label, or its id when the questionnaire no longer has it."""
    if not area_id:
        return ""
    for area in quiz.areas:
        if area.id == area_id:
            return area.label.get(language)
    return area_id


def answered(quiz: Questionnaire, answers: dict[str, list[str]], language: str = "en"):
    """Return (question text, [answer labels]) for each answer, in questionnaire order."""
    known = {q.id for q in quiz.questions}
    pairs = []
    for question in quiz.questions:
        if question.id in answers:
            labels = []
            for option_id in answers[question.id]:
                option = question.option(option_id)
                labels.append(option.label.get(language) if option else option_id)
            pairs.append((question.text.get(language), labels))
    # Answers to questions the questionnaire no longer has are still shown, by id.
    pairs.extend((qid, list(v)) for qid, v in answers.items() if qid not in known)
    return pairs


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a lead."""

    at: datetime
    kind: str  # "created", "status", "assignment", "note", "export", "correction"
    who: str
    text: str
    # The public id of another lead the entry names (a correction), for a link to it.
    link: str | None = None


def _status_text(change: LeadStatusChange) -> str:
    """Return a status change as the timeline says it, with why a lead was lost."""
    old, new = change.old_status, change.new_status
    if change.reason == "other" and change.reason_text:
        return N_("Status %(old)s → %(new)s: %(text)s", old=old, new=new, text=change.reason_text)
    if change.reason in LOST_REASON_LABELS:
        reason = LOST_REASON_LABELS[change.reason]
        return N_("Status %(old)s → %(new)s: %(reason)s", old=old, new=new, reason=reason)
    return N_("Status %(old)s → %(new)s", old=old, new=new)


def timeline(lead: Lead) -> list[TimelineEntry]:
    """Return the lead's history, oldest first: creation, status changes, assignments, notes,
    exports."""
    entries = [TimelineEntry(lead.created_at, "created", "visitor", N_("Lead received"))]
    for change, email in db.session.execute(
        db.select(LeadStatusChange, User.email)
        .outerjoin(User, User.id == LeadStatusChange.user_id)
        .where(LeadStatusChange.lead_id == lead.id)
    ):
        entries.append(
            TimelineEntry(change.created_at, "status", email or "system", _status_text(change))
        )
    assignee = aliased(User)
    for change, email, to in db.session.execute(
        db.select(LeadAssignment, User.email, assignee.email)
        .outerjoin(User, User.id == LeadAssignment.user_id)
        .outerjoin(assignee, assignee.id == LeadAssignment.assignee_id)
        .where(LeadAssignment.lead_id == lead.id)
    ):
        text = N_("Assigned to %(who)s", who=to) if to else N_("Unassigned")
        entries.append(TimelineEntry(change.created_at, "assignment", email or "system", text))
    for note, email in db.session.execute(
        db.select(LeadNote, User.email)
        .outerjoin(User, User.id == LeadNote.author_id)
        .where(LeadNote.lead_id == lead.id)
    ):
        entries.append(TimelineEntry(note.created_at, "note", email or "unknown", note.body))
    for record in db.session.execute(
        db.select(ExportRecord)
        .join(ExportedLead, ExportedLead.export_id == ExportRecord.id)
        .where(ExportedLead.lead_id == lead.id)
    ).scalars():
        entries.append(
            TimelineEntry(
                record.created_at,
                "export",
                record.actor,
                N_(
                    "Included in a %(format)s export of %(count)d leads",
                    format=record.format.upper(),
                    count=record.row_count,
                ),
            )
        )
    entries.extend(_corrections(lead))
    return sorted(entries, key=lambda e: e.at)


def _corrections(lead: Lead) -> list[TimelineEntry]:
    """The lead this one corrects, and the leads that correct it: both ends of the link."""
    entries = []
    if lead.corrects_lead_id is not None:
        earlier = db.session.get(Lead, lead.corrects_lead_id)
        if earlier is not None:
            entries.append(
                TimelineEntry(
                    lead.created_at,
                    "correction",
                    "visitor",
                    N_("Corrects lead #%(id)d", id=earlier.id),
                    earlier.public_id,
                )
            )
    for later in db.session.execute(
        db.select(Lead).where(Lead.corrects_lead_id == lead.id).order_by(Lead.id)
    ).scalars():
        entries.append(
            TimelineEntry(
                later.created_at,
                "correction",
                "visitor",
                N_("Corrected by lead #%(id)d", id=later.id),
                later.public_id,
            )
        )
    return entries
