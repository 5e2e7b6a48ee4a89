"""The read side: lead lists and filters, lead detail and timeline, export rows, analytics."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, case, func, or_

from quiz.auth import Scope
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import (
    Clinic,
    Event,
    ExportedLead,
    ExportRecord,
    Lead,
    LeadNote,
    LeadStatusChange,
    QuestionnaireSnapshot,
    User,
)
from quiz.questions import Questionnaire, QuestionnaireError, parse
from quiz.services.common import questionnaire, vault

SORTS = ("created", "name", "suitability", "status")
SUITABILITY_ORDER = ("good", "possible", "consult", "not_suitable")
PER_PAGE = 50
COUNT_CAP = 10_000
EXPORT_BATCH = 1000
UNREADABLE = N_("(answers cannot be decrypted with the configured keys)")
UNREADABLE_NOTE = N_("Answers cannot be decrypted with the configured keys.")


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
    q: str | None = None
    sort: str = "created"

    def describe(self) -> dict[str, str]:
        """Return the filters that are set, as text (for export records)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "") and k != "sort"}


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def scoped(stmt: Select, scope: Scope) -> Select:
    """Restrict a statement over leads to the clinics `scope` may see."""
    if scope.everything:
        return stmt
    return stmt.where(Lead.clinic_id == scope.clinic_id)


def filtered(stmt: Select, scope: Scope, filters: LeadFilters) -> Select:
    """Apply the scope and every set filter to a statement over leads."""
    stmt = scoped(stmt, scope)
    # A clinic filter only narrows an admin's view; staff always see their own clinic.
    if filters.clinic and scope.everything:
        stmt = stmt.where(
            Lead.clinic_id.in_(db.select(Clinic.id).where(Clinic.slug == filters.clinic))
        )
    if filters.date_from:
        stmt = stmt.where(Lead.created_at >= _start(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Lead.created_at < _start(filters.date_to + timedelta(days=1)))
    for column, value in (
        (Lead.suitability, filters.suitability),
        (Lead.outcome_id, filters.outcome),
        (Lead.status, filters.status),
        (Lead.utm_source, filters.utm_source),
        (Lead.utm_campaign, filters.utm_campaign),
    ):
        if value:
            stmt = stmt.where(column == value)
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
            Clinic.name.label("clinic_name"),
        ).join(Clinic, Clinic.id == Lead.clinic_id),
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
    )


def get_lead(scope: Scope, public_id: str) -> Lead | None:
    """Return the lead with that public id if `scope` may see it, else None."""
    if not public_id or len(public_id) > 36:
        return None
    return db.session.execute(
        scoped(db.select(Lead).where(Lead.public_id == public_id), scope)
    ).scalar_one_or_none()


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
    kind: str  # "created", "status", "note", "export"
    who: str
    text: str


def timeline(lead: Lead) -> list[TimelineEntry]:
    """Return the lead's history, oldest first: creation, status changes, notes, exports."""
    entries = [TimelineEntry(lead.created_at, "created", "visitor", N_("Lead received"))]
    for change, email in db.session.execute(
        db.select(LeadStatusChange, User.email)
        .outerjoin(User, User.id == LeadStatusChange.user_id)
        .where(LeadStatusChange.lead_id == lead.id)
    ):
        entries.append(
            TimelineEntry(
                change.created_at,
                "status",
                email or "system",
                N_("Status %(old)s → %(new)s", old=change.old_status, new=change.new_status),
            )
        )
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
    return sorted(entries, key=lambda e: e.at)


def export_ids(scope: Scope, filters: LeadFilters, since: date | None = None) -> Select:
    """Return a SELECT of the ids of the leads an export with these filters includes."""
    stmt = filtered(db.select(Lead.id), scope, filters)
    if since is not None:
        stmt = stmt.where(Lead.created_at >= _start(since))
    return stmt


_EXPORT_COLUMNS = (
    Lead.public_id,
    Lead.created_at,
    Lead.name,
    Lead.email,
    Lead.phone,
    Lead.contact_time,
    Lead.language,
    Lead.suitability,
    Lead.outcome_id,
    Lead.top_area,
    Lead.questionnaire_version,
    Lead.health_data,
    Lead.consent_health_at,
    Lead.consent_version,
    Lead.consent_contact_at,
    Lead.consent_marketing_at,
    Lead.utm_source,
    Lead.utm_medium,
    Lead.utm_campaign,
    Lead.utm_term,
    Lead.utm_content,
    Lead.page_url,
    Lead.status,
)


class _Wording:
    """Question texts, option labels and area labels of one questionnaire in one language."""

    def __init__(self, quiz: Questionnaire, language: str):
        self.order = [q.id for q in quiz.questions]
        self.texts = {q.id: q.text.get(language) for q in quiz.questions}
        self.labels = {
            q.id: {o.id: o.label.get(language) for o in q.options} for q in quiz.questions
        }
        self.areas = {a.id: a.label.get(language) for a in quiz.areas}

    def answers(self, answers: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
        """Return (question text, answer labels) pairs in questionnaire order."""
        pairs = [
            (self.texts[qid], [self.labels[qid].get(o, o) for o in answers[qid]])
            for qid in self.order
            if qid in answers
        ]
        pairs.extend((qid, list(v)) for qid, v in answers.items() if qid not in self.texts)
        return pairs


def export_rows(export_id: int) -> Iterator[dict[str, Any]]:
    """Yield one plain row per lead recorded in an export, oldest first, in batches.

    Plain columns, not Lead objects: nothing accumulates in the session, so memory stays
    flat however many leads the export holds.
    """
    from quiz.exports import format_answers

    stmt = (
        db.select(*_EXPORT_COLUMNS, Clinic.name.label("clinic_name"))
        .join(ExportedLead, ExportedLead.lead_id == Lead.id)
        .join(Clinic, Clinic.id == Lead.clinic_id)
        .where(ExportedLead.export_id == export_id)
        .order_by(Lead.created_at, Lead.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    versions: dict[str, Questionnaire] = {}
    wordings: dict[tuple[str, str], _Wording] = {}
    box = vault()
    for lead in db.session.execute(stmt):
        key = (lead.questionnaire_version, lead.language)
        wording = wordings.get(key)
        if wording is None:
            quiz = questionnaire_at(lead.questionnaire_version, versions)
            wording = wordings[key] = _Wording(quiz, lead.language)
        try:
            answers_text = format_answers(wording.answers(box.decrypt(lead.health_data)["answers"]))
        except (ValueError, KeyError, TypeError):
            # A lead encrypted under a key no longer configured still exports its contact row.
            answers_text = UNREADABLE
        yield {
            "lead_id": lead.public_id,
            "created_at": lead.created_at,
            "clinic": lead.clinic_name,
            "name": lead.name,
            "email": lead.email,
            "phone": lead.phone,
            "contact_time": lead.contact_time,
            "language": lead.language,
            "suitability": lead.suitability,
            "outcome": lead.outcome_id,
            "top_concern": wording.areas.get(lead.top_area, lead.top_area),
            "answers": answers_text,
            "health_consent": lead.consent_health_at is not None,
            "health_consent_at": lead.consent_health_at,
            "consent_version": lead.consent_version,
            "contact_consent_at": lead.consent_contact_at,
            "marketing_consent": lead.consent_marketing_at is not None,
            "marketing_consent_at": lead.consent_marketing_at,
            "utm_source": lead.utm_source,
            "utm_medium": lead.utm_medium,
            "utm_campaign": lead.utm_campaign,
            "utm_term": lead.utm_term,
            "utm_content": lead.utm_content,
            "page_url": lead.page_url,
            "status": lead.status,
        }


# --------------------------------------------------------------------------- analytics


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
            stmt = stmt.where(Event.created_at >= _start(date_from))
        if date_to:
            stmt = stmt.where(Event.created_at < _start(date_to + timedelta(days=1)))
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


def clinic_choices(scope: Scope) -> list[tuple[str, str]]:
    """Return (slug, name) of the clinics `scope` may see, by name."""
    stmt = db.select(Clinic.slug, Clinic.name).order_by(Clinic.name, Clinic.slug)
    if not scope.everything:
        stmt = stmt.where(Clinic.id == scope.clinic_id)
    return [(slug, name) for slug, name in db.session.execute(stmt)]


def outcome_ids() -> list[str]:
    """Return the outcome ids of the current questionnaire."""
    return [o.id for o in questionnaire().outcomes]


def list_clinics() -> list[Clinic]:
    """Return every clinic, by name."""
    return list(db.session.execute(db.select(Clinic).order_by(Clinic.name)).scalars())


def list_users() -> list[tuple[User, str | None]]:
    """Return every account with its clinic's name, by email."""
    return list(
        db.session.execute(
            db.select(User, Clinic.name)
            .outerjoin(Clinic, Clinic.id == User.clinic_id)
            .order_by(User.email)
        ).all()
    )
