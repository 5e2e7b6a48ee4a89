"""The rows of a recorded export, read in batches so memory stays flat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Select

from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import (
    Clinic,
    ExportedLead,
    Lead,
)
from quiz.queries.leads import (
    EXPORT_BATCH,
    UNREADABLE,
    LeadFilters,
    day_start,
    filtered,
    questionnaire_at,
)
from quiz.questions import Questionnaire
from quiz.runtime import vault
from quiz.validation import CLICK_IDS


def export_ids(scope: Scope, filters: LeadFilters, since: date | None = None) -> Select:
    """Return a SELECT of the ids of the leads an export with these filters includes."""
    stmt = filtered(db.select(Lead.id), scope, filters)
    if since is not None:
        stmt = stmt.where(Lead.created_at >= day_start(since))
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
    Lead.ad_consent,
    *(getattr(Lead, key) for key in CLICK_IDS),
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
            "ad_consent": lead.ad_consent,
            **{key: getattr(lead, key) for key in CLICK_IDS},
            "status": lead.status,
        }
