"""The read side: lead lists and details (leads.py), export rows (exporting.py), analytics
(analytics.py), failed deliveries (deliveries.py), offline conversions (conversions.py) and
clinics and accounts (directory.py)."""

from quiz.queries.analytics import FUNNEL, Analytics, analytics
from quiz.queries.conversions import conversions
from quiz.queries.deliveries import failed_deliveries, get_delivery
from quiz.queries.directory import (
    any_clinic_has_origin,
    clinic_choices,
    get_user,
    list_clinics,
    list_tokens,
    list_users,
    outcome_ids,
)
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
    leads_after,
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
    "any_clinic_has_origin",
    "area_label",
    "clinic_choices",
    "conversions",
    "export_ids",
    "export_rows",
    "failed_deliveries",
    "filtered",
    "get_delivery",
    "get_lead",
    "get_user",
    "leads_after",
    "list_clinics",
    "list_leads",
    "list_tokens",
    "list_users",
    "outcome_ids",
    "questionnaire",
    "questionnaire_at",
    "scoped",
    "timeline",
]
