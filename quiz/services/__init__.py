"""The write side, one module per responsibility; the names views and commands use."""

from quiz.database import DatabaseUnavailable
from quiz.services.assessments import find_submission, read_health_data, record_assessment
from quiz.services.clinics import (
    ClinicFields,
    clinic_summary,
    create_clinic,
    embed_snippet,
    ensure_demo_clinic,
)
from quiz.services.common import ServiceError, get_clinic, hidden_content, visitor_clinic
from quiz.services.funnel import EVENT_KINDS, flush_events, record_event, replay_event

__all__ = [
    "EVENT_KINDS",
    "ClinicFields",
    "DatabaseUnavailable",
    "ServiceError",
    "clinic_summary",
    "create_clinic",
    "embed_snippet",
    "ensure_demo_clinic",
    "find_submission",
    "flush_events",
    "get_clinic",
    "hidden_content",
    "read_health_data",
    "record_assessment",
    "record_event",
    "replay_event",
    "visitor_clinic",
]
