"""Typed SQLAlchemy models; no behaviour beyond what the columns mean."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz.extensions import db
from quiz.limits import MAX_LENGTH

# JSONB on PostgreSQL, plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite, naive values read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


LEAD_STATUSES = ("new", "contacted", "booked", "won", "lost")
# Why a lead was lost; "other" comes with a text of its own.
LOST_REASONS = ("no_answer", "not_suitable", "booked_elsewhere", "too_expensive", "other")
DEFAULT_FOLLOW_UP_HOURS = 24.0
CONTACT_TIMINGS = ("after", "before")


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """Return a random UUID as text (public ids, event ids)."""
    return str(uuid.uuid4())


def new_session_nonce() -> str:
    """Return a fresh random value for User.session_nonce."""
    return secrets.token_urlsafe(16)


class Clinic(db.Model):
    """A clinic embedding the quiz: its origins, contacts, voice and branding."""

    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    origins: Mapped[list[str]] = mapped_column(JSONType, default=list)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    booking_url: Mapped[str | None] = mapped_column(String(MAX_LENGTH["booking_url"]))
    # Show the booking page in a frame on the thanks screen instead of a button to it.
    booking_inline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    privacy_url: Mapped[str | None] = mapped_column(String(500))
    # None: each visitor sees the quiz in their browser's language (quiz.i18n.pick_language).
    language: Mapped[str | None] = mapped_column(String(8))
    contact_timing: Mapped[str] = mapped_column(String(10), default="after")
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    webhook_include_answers: Mapped[bool] = mapped_column(Boolean, default=False)
    # A chat webhook (Slack-compatible or a Microsoft Teams workflow) told of each new lead.
    notify_url: Mapped[str | None] = mapped_column(String(500))
    # Offline conversions: the name the ad platforms know them by, and an optional value.
    conversion_name: Mapped[str | None] = mapped_column(String(MAX_LENGTH["conversion_name"]))
    conversion_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    conversion_currency: Mapped[str | None] = mapped_column(String(3))
    # How long a new lead may wait for a first contact, counted in working hours when set
    # ("HH:MM-HH:MM", UTC, every day).
    follow_up_hours: Mapped[float] = mapped_column(
        Float, default=DEFAULT_FOLLOW_UP_HOURS, server_default="24"
    )
    working_hours: Mapped[str | None] = mapped_column(String(11))
    # Branding (colours, font stack, radius, logo) and voice (intro/thanks text, hidden content).
    branding: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def staff_language(self) -> str:
        """The language of what the app tells the clinic (mail, chat): its own, else English."""
        return self.language or "en"


class Lead(db.Model):
    """A visitor who consented to be contacted; health data is encrypted in `health_data`."""

    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("clinic_id", "submission_id", name="uq_leads_submission"),
        Index("ix_leads_clinic_created", "clinic_id", "created_at"),
        Index("ix_leads_created", "created_at"),
        Index("ix_leads_clinic_run", "clinic_id", "run_id"),
        Index("ix_leads_clinic_email_key", "clinic_id", "email_key"),
        Index("ix_leads_clinic_phone_key", "clinic_id", "phone_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What was sent: the same run, contact and answers sent again find the first lead.
    submission_id: Mapped[str] = mapped_column(String(64))
    # The visitor's quiz run (its state token's run id); None for leads sent through the API.
    run_id: Mapped[str | None] = mapped_column(String(32))
    # The earlier lead of the same person on the same run that this one corrects.
    corrects_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL")
    )

    name: Mapped[str] = mapped_column(String(MAX_LENGTH["name"]))
    email: Mapped[str] = mapped_column(String(MAX_LENGTH["email"]), index=True)
    phone: Mapped[str | None] = mapped_column(String(MAX_LENGTH["phone"]))
    contact_time: Mapped[str | None] = mapped_column(String(MAX_LENGTH["contact_time"]))
    language: Mapped[str] = mapped_column(String(8))

    consent_contact_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_health_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_marketing_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str] = mapped_column(String(64))
    wants_copy: Mapped[bool] = mapped_column(Boolean, default=False)

    # Kept in clear for lists, filters and analytics; the detail stays encrypted.
    suitability: Mapped[str] = mapped_column(String(20), index=True)
    outcome_id: Mapped[str] = mapped_column(String(63), index=True)
    top_area: Mapped[str | None] = mapped_column(String(63))
    questionnaire_version: Mapped[str] = mapped_column(String(64))
    health_data: Mapped[str] = mapped_column(Text)

    utm_source: Mapped[str | None] = mapped_column(String(MAX_LENGTH["utm_source"]), index=True)
    utm_medium: Mapped[str | None] = mapped_column(String(MAX_LENGTH["utm_medium"]))
    utm_campaign: Mapped[str | None] = mapped_column(String(MAX_LENGTH["utm_campaign"]), index=True)
    utm_term: Mapped[str | None] = mapped_column(String(MAX_LENGTH["utm_term"]))
    utm_content: Mapped[str | None] = mapped_column(String(MAX_LENGTH["utm_content"]))
    page_url: Mapped[str | None] = mapped_column(String(MAX_LENGTH["page_url"]))
    # Ad click ids, only with the visitor's ad-measurement consent (quiz.validation.attribution).
    ad_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    gclid: Mapped[str | None] = mapped_column(String(MAX_LENGTH["gclid"]))
    gbraid: Mapped[str | None] = mapped_column(String(MAX_LENGTH["gbraid"]))
    wbraid: Mapped[str | None] = mapped_column(String(MAX_LENGTH["wbraid"]))
    fbclid: Mapped[str | None] = mapped_column(String(MAX_LENGTH["fbclid"]))
    msclkid: Mapped[str | None] = mapped_column(String(MAX_LENGTH["msclkid"]))
    ttclid: Mapped[str | None] = mapped_column(String(MAX_LENGTH["ttclid"]))
    li_fat_id: Mapped[str | None] = mapped_column(String(MAX_LENGTH["li_fat_id"]))

    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while the status is "lost" (one of LOST_REASONS; "other" with its text).
    lost_reason: Mapped[str | None] = mapped_column(String(20), index=True)
    lost_note: Mapped[str | None] = mapped_column(String(500))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Keyed blind indexes (HMAC-SHA256) of the normalised email and phone: a returning visitor
    # is found without comparing contact details in clear.
    email_key: Mapped[str | None] = mapped_column(String(64))
    phone_key: Mapped[str | None] = mapped_column(String(64))
    # The earlier lead of the same person at the same clinic (within 90 days), if any.
    returning_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    # The last day (UTC) a reminder digest named this lead: never twice in one day.
    reminded_on: Mapped[date | None] = mapped_column(Date)

    clinic: Mapped[Clinic] = relationship()
    assignee: Mapped[User | None] = relationship(viewonly=True)


class QuestionnaireSnapshot(db.Model):
    """The questionnaire as it was at a version, so old leads show the questions they saw."""

    __tablename__ = "questionnaire_snapshots"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Event(db.Model):
    """A funnel event (view, start, step, complete, lead); never personal data."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_clinic_kind_created", "clinic_id", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(63))
    outcome_id: Mapped[str | None] = mapped_column(String(63))
    suitability: Mapped[str | None] = mapped_column(String(20))
    utm_source: Mapped[str | None] = mapped_column(String(MAX_LENGTH["utm_source"]))
    utm_campaign: Mapped[str | None] = mapped_column(String(MAX_LENGTH["utm_campaign"]))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyRecord(db.Model):
    """The first answer to an API request sent with an Idempotency-Key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("clinic_id", "key", name="uq_idempotency_clinic_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_LENGTH["idempotency_key"]))
    # SHA-256 of the request the key was first sent with (body and bearer token): the answer
    # is replayed only to that request. None for keys stored before requests were bound.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(db.Model):
    """A back-office account: `admin` sees every clinic, `staff` only its own."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None until the invited person chooses a password from the link mailed to them.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Part of every session id of this account: a new value ends all its sessions at once.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    role: Mapped[str] = mapped_column(String(10))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    clinic: Mapped[Clinic | None] = relationship()


class AccountToken(db.Model):
    """A link to choose a password (an invitation or a reset); only its SHA-256 is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "invite" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInLock(db.Model):
    """Recent failed sign-ins for one email from one network, and the lock they led to.

    Kept for any email typed, account or not, so that the lock reveals no account.
    """

    __tablename__ = "sign_in_locks"
    __table_args__ = (UniqueConstraint("email", "network", name="uq_sign_in_locks_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # An IPv4 address or an IPv6 /64 (quiz.services.lockout.network_of).
    network: Mapped[str] = mapped_column(String(50))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LeadNote(db.Model):
    """A note staff wrote on a lead."""

    __tablename__ = "lead_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


class LeadStatusChange(db.Model):
    """A change of a lead's status, for its timeline."""

    __tablename__ = "lead_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    old_status: Mapped[str] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    # For a move to "lost": one of LOST_REASONS, and the text given with "other".
    reason: Mapped[str | None] = mapped_column(String(20))
    reason_text: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()


class LeadAssignment(db.Model):
    """A lead given to a staff member (or taken back), for its timeline."""

    __tablename__ = "lead_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    # Who assigned, and to whom (None: unassigned).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExportRecord(db.Model):
    """Who exported which leads, when, in which format, with which filters."""

    __tablename__ = "export_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExportedLead(db.Model):
    """That a lead was included in an export (for the lead's timeline)."""

    __tablename__ = "exported_leads"

    export_id: Mapped[int] = mapped_column(
        ForeignKey("export_records.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Delivery(db.Model):
    """An outbox row: one event to send over one channel, retried until sent or failed.

    A lead's event (mail, webhook, chat) has a lead and its clinic; an account's mail (an
    invitation or a password reset) has a user, and the user's clinic if it has one.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    event_type: Mapped[str] = mapped_column(String(40), default="lead.created")
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # "email", "webhook", "chat", "visitor_email"; "invite", "reset" (account mails);
    # "reminder" (a digest of overdue leads, to a user or the clinic's address)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A reminder digest's leads (their public ids): no name, contact or answer.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    lead: Mapped[Lead | None] = relationship()
    user: Mapped[User | None] = relationship()


class ApiToken(db.Model):
    """A clinic's bearer token for the pull API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    clinic: Mapped[Clinic] = relationship()


class AuditEntry(db.Model):
    """A security-relevant action: sign-ins, exports, erasures, key rotations."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
