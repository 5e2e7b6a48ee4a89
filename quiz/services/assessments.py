"""Record assessments: a lead with its funnel events and outbox rows, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from quiz.database import DatabaseUnavailable, write_transaction
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import Clinic, Delivery, Event, Lead, QuestionnaireSnapshot, utcnow
from quiz.questions import Questionnaire
from quiz.runtime import questionnaire, runtime, vault
from quiz.scoring import Result
from quiz.services.common import ServiceError
from quiz.services.copy_limit import copy_allowed
from quiz.services.outbox import announce
from quiz.services.returning import contact_keys, earlier_lead
from quiz.validation import Consent, Contact, attribution

log = logging.getLogger(__name__)


def record_assessment(
    clinic: Clinic,
    result: Result,
    *,
    contact: Contact,
    consent: Consent,
    source: dict[str, str],
    language: str,
    submission_id: str,
    complete_event: bool = False,
    run_id: str | None = None,
) -> Lead:
    """Store a lead with its encrypted health data, its funnel events and its deliveries.

    One transaction: the lead, the snapshot of the questionnaire it answered, the "lead"
    event (and the "complete" event when `complete_event`: services/submissions.py says
    when) and one outbox row per channel. The same `submission_id` twice returns the first
    lead and stores nothing new (double clicks, reloads, retried requests). With a `run_id`,
    a lead of the same person (email or phone) on that run is corrected by this one, and
    only the run's first lead writes funnel events. Raises DatabaseUnavailable, with
    everything rolled back, when the database cannot take it.
    """
    if not result.store_lead:
        raise ServiceError(N_("This result does not allow storing contact details."))
    if not (consent.contact and consent.health_data):
        raise ServiceError(N_("Both consents are needed to store a lead."))
    quiz = questionnaire()
    now = utcnow()
    loaded = _loaded(clinic)
    earlier = _run_leads(clinic, run_id, loaded)
    same = next((lead for lead in earlier if lead.submission_id == submission_id), None)
    if same is not None:
        return same
    row = {
        **_lead_row(quiz, result, contact, consent, language, now),
        **attribution(source, ad_consent=consent.ads),
        **contact_keys(contact.email, contact.phone),
        "clinic_id": clinic.id,
        "submission_id": submission_id,
        "run_id": run_id,
        "corrects_lead_id": corrected_lead_id(earlier, contact),
    }
    # A run is one lead in the funnel: its corrections and a second person on it are leads
    # for the clinic, but counting them would show more leads than completions.
    kinds = () if earlier else ("complete", "lead") if complete_event else ("lead",)
    events = [_event_row(clinic, result, source, kind, now) for kind in kinds]
    channels = list(_channels(clinic, consent, contact))
    try:
        try:
            lead, delivery_ids = _insert(quiz, clinic, row, events, channels)
        except IntegrityError:
            # The same run was stored before (a double click, a reload, a retried request):
            # answer with that lead. The unique constraint decides, so no read comes first.
            existing = find_submission(clinic, submission_id)
            if existing is None:
                raise
            return existing
    except SQLAlchemyError as exc:
        _restore(clinic, loaded)
        log.warning("lead not stored: database unavailable (%s)", exc.__class__.__name__)
        raise DatabaseUnavailable from exc
    # Only after the commit: a worker woken now must find the rows.
    _snapshotted().add(questionnaire().version)
    announce(delivery_ids)
    return lead


def _lead_row(
    quiz: Questionnaire,
    result: Result,
    contact: Contact,
    consent: Consent,
    language: str,
    now: datetime,
) -> dict:
    """The lead's contact details, consents and result; the health data sealed."""
    health = {
        "answers": {k: list(v) for k, v in result.answers.items()},
        "scores": result.scores,
        "reasons": [
            {"text": r.text.get(language), "question": r.question_id, "option": r.option_id}
            for r in result.reasons
        ],
        "content": [c.id for c in result.content],
        "outcome_title": result.outcome.title.get(language),
    }
    return {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "contact_time": contact.contact_time,
        "language": language,
        "consent_contact_at": now,
        "consent_health_at": now,
        "consent_marketing_at": now if consent.marketing else None,
        "consent_version": f"{quiz.consent_version}:{language}",
        "wants_copy": consent.wants_copy,
        "suitability": result.suitability,
        "outcome_id": result.outcome.id,
        "top_area": result.top_area,
        "questionnaire_version": quiz.version,
        "health_data": vault().encrypt(health),
        "created_at": now,
    }


def _event_row(
    clinic: Clinic, result: Result, source: dict[str, str], kind: str, now: datetime
) -> dict:
    return {
        "clinic_id": clinic.id,
        "kind": kind,
        "outcome_id": result.outcome.id,
        "suitability": result.suitability,
        "utm_source": source.get("utm_source"),
        "utm_campaign": source.get("utm_campaign"),
        "created_at": now,
    }


def _insert(
    quiz: Questionnaire, clinic: Clinic, row: dict, events: list[dict], channels: list[str]
) -> tuple[Lead, list[int]]:
    """Write the lead, its events and its deliveries in one transaction."""
    # Core statements rather than the unit of work: this is the busiest write of the app, and
    # plain INSERTs cost about a third less CPU than the session's flush of the same rows.
    with write_transaction() as session:
        _snapshot(session, quiz)
        row = {**row, "returning_of_id": earlier_lead(session, clinic.id, row, row["created_at"])}
        stored = session.execute(_INSERT_LEAD, row).one()
        if events:
            session.execute(_INSERT_EVENT, events)
        delivery_ids = []
        if channels:
            delivery_ids = session.scalars(
                _INSERT_DELIVERY,
                [
                    {"lead_id": stored.id, "clinic_id": clinic.id, "channel": channel}
                    for channel in channels
                ],
            ).all()
        lead = _persistent(session, Lead(**stored._mapping))
    return lead, list(delivery_ids)


def _loaded(clinic: Clinic) -> dict:
    """The clinic's column values as loaded (no query: they are in memory already).

    Empty for a clinic in no session (the visitor's path reads a shared cached copy), which
    a rollback leaves as it is.
    """
    if inspect(clinic).detached:
        return {}
    return {attr.key: getattr(clinic, attr.key) for attr in inspect(Clinic).column_attrs}


def _restore(clinic: Clinic, loaded: dict) -> None:
    # A rollback expires the clinic, and reading it again would need the database that just
    # failed: put back what was loaded, so the caller can still show the clinic's page.
    for key, value in loaded.items():
        set_committed_value(clinic, key, value)


# Every column comes back, defaults included, so the returned Lead needs no second read.
_INSERT_LEAD = insert(Lead.__table__).returning(*Lead.__table__.c)
# With RETURNING, SQLAlchemy sends several rows as one multi-row INSERT (one round trip on
# PostgreSQL) rather than as an executemany.
_INSERT_EVENT = insert(Event.__table__).returning(Event.__table__.c.id)
_INSERT_DELIVERY = insert(Delivery.__table__).returning(Delivery.__table__.c.id)


def _persistent(session, lead: Lead) -> Lead:
    """Put a Lead built from its stored row into the session, as if it had been loaded."""
    make_transient_to_detached(lead)
    session.add(lead)
    return lead


def _run_leads(clinic: Clinic, run_id: str | None, loaded: dict) -> list[Lead]:
    """The leads already stored for this quiz run, oldest first (none without a run).

    Raises DatabaseUnavailable, the clinic as loaded put back, when the read fails.
    """
    if run_id is None:
        return []
    try:
        return list(
            db.session.execute(
                db.select(Lead).filter_by(clinic_id=clinic.id, run_id=run_id).order_by(Lead.id)
            ).scalars()
        )
    except SQLAlchemyError as exc:
        _restore(clinic, loaded)
        log.warning("lead not stored: database unavailable (%s)", exc.__class__.__name__)
        raise DatabaseUnavailable from exc


def corrected_lead_id(earlier: Iterable[Lead], contact: Contact) -> int | None:
    """Return the id of the newest earlier lead of the same person (email or phone), or None.

    A different person on the same run (a shared device) corrects nobody: theirs is a lead
    of its own.
    """
    phone = _digits(contact.phone)
    for lead in reversed(list(earlier)):
        if lead.email.lower() == contact.email.lower() or (phone and _digits(lead.phone) == phone):
            return lead.id
    return None


def _digits(phone: str | None) -> str:
    return "".join(c for c in phone or "" if c in "0123456789")


def find_submission(clinic: Clinic, submission_id: str) -> Lead | None:
    """Return the lead already stored for this quiz run, if any."""
    return db.session.execute(
        db.select(Lead).filter_by(clinic_id=clinic.id, submission_id=submission_id)
    ).scalar_one_or_none()


def _channels(clinic: Clinic, consent: Consent, contact: Contact) -> Iterable[str]:
    if clinic.email:
        yield "email"
    if clinic.webhook_url:
        yield "webhook"
    if clinic.notify_url:
        yield "chat"
    # Past the address's daily limit the lead is still stored and sent to the clinic; only
    # the copy is left out.
    if consent.wants_copy and copy_allowed(contact.email):
        yield "visitor_email"


def _snapshot(session, quiz: Questionnaire) -> None:
    if quiz.version in _snapshotted():
        return
    if session.get(QuestionnaireSnapshot, quiz.version) is None:
        # The text loaded at start-up, which the version is the hash of: the file may have
        # been edited since, and this app still asks the questions it loaded.
        document = quiz.source
        # Two workers storing their first lead at once both find no snapshot: the second
        # insert must not fail the visitor's lead.
        postgres = session.get_bind().dialect.name == "postgresql"
        insert = postgresql_insert if postgres else sqlite_insert
        session.execute(
            insert(QuestionnaireSnapshot)
            .values(version=quiz.version, document=document, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["version"])
        )


def _snapshotted() -> set[str]:
    """Versions this app has seen stored: skips a read on every lead after the first."""
    return runtime().snapshotted_versions


def read_health_data(lead: Lead) -> dict:
    """Decrypt a lead's health data (answers, scores, reasons, content)."""
    return vault().decrypt(lead.health_data)
