"""Leads as JSON: the one representation the pull API and webhooks share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from quiz.models import Lead
from quiz.validation import CLICK_IDS, UTM_FIELDS


def iso(value: datetime | None) -> str | None:
    """Return an aware datetime as ISO 8601 in UTC with a Z (2026-01-31T09:15:00Z), or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def lead_record(lead: Lead, health: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a lead's contact, consents, result and attribution; never its answers."""
    return {
        "id": lead.public_id,
        "created_at": iso(lead.created_at),
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "contact_time": lead.contact_time,
        "language": lead.language,
        "consents": {
            "contact_at": iso(lead.consent_contact_at),
            "health_data_at": iso(lead.consent_health_at),
            "marketing_at": iso(lead.consent_marketing_at),
            "version": lead.consent_version,
        },
        "suitability": lead.suitability,
        "outcome": lead.outcome_id,
        "top_area": lead.top_area,
        "scores": dict((health or {}).get("scores", {})),
        **{field: getattr(lead, field) for field in UTM_FIELDS},
        "page_url": lead.page_url,
        # Click ids are only ever stored with ad consent; None for every id without it.
        "ad_consent": lead.ad_consent,
        **{field: getattr(lead, field) for field in CLICK_IDS},
        "status": lead.status,
    }
