"""The read side: lead lists and details (leads.py), export rows (exporting.py), analytics
(analytics.py) and the back office's lists of clinics and accounts (directory.py)."""

from quiz.queries.analytics import FUNNEL, Analytics, analytics
from quiz.queries.directory import clinic_choices, list_clinics, list_users, outcome_ids
from quiz.queries.exporting import export_ids, export_rows
from quiz.queries.leads import (
    COUNT_CAP,
    EXPORT_BATCH,
    PER_PAGE,
    SORTS,
    SUITABILITY_ORDER,
    UNREADABLE,
    UNREADABLE_NOTE,
    LeadFilters,
    LeadPage,
    TimelineEntry,
    answered,
    area_label,
    filtered,
    get_lead,
    list_leads,
    questionnaire,
    questionnaire_at,
    scoped,
    timeline,
)

__all__ = [
    "COUNT_CAP",
    "EXPORT_BATCH",
    "FUNNEL",
    "PER_PAGE",
    "SORTS",
    "SUITABILITY_ORDER",
    "UNREADABLE",
    "UNREADABLE_NOTE",
    "Analytics",
    "LeadFilters",
    "LeadPage",
    "TimelineEntry",
    "analytics",
    "answered",
    "area_label",
    "clinic_choices",
    "export_ids",
    "export_rows",
    "filtered",
    "get_lead",
    "list_clinics",
    "list_leads",
    "list_users",
    "outcome_ids",
    "questionnaire",
    "questionnaire_at",
    "scoped",
    "timeline",
]
