"""The rows of a recorded export, read in batches so memory stays flat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import DateTime, Select, type_coerce

from quiz.auth import Scope
from quiz.exports import answer_text, join_answers
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


def _raw_time(column):
    # The stored value as the driver gives it (naive UTC from SQLite, aware from PostgreSQL):
    # exports.cell_text renders either as UTC, and skipping UTCDateTime's conversion on
    # four times a lead saves about a seventh of a full export's time.
    return type_coerce(column, DateTime(timezone=True)).label(column.key)


_EXPORT_COLUMNS = (
    Lead.public_id,
    _raw_time(Lead.created_at),
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
    _raw_time(Lead.consent_health_at),
    Lead.consent_version,
    _raw_time(Lead.consent_contact_at),
    _raw_time(Lead.consent_marketing_at),
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
        # One question's answers, rendered, by (question, chosen options): visitors choose
        # alike, so a full export renders each choice once rather than once a lead.
        self._rendered: dict[tuple[str, tuple[str, ...]], str] = {}

    def answers_text(self, answers: dict[str, list[str]]) -> str:
        """The answers cell: each question's answer labels, in questionnaire order."""
        rendered = self._rendered
        texts = [
            rendered.get((qid, tuple(chosen))) or self._render(qid, chosen)
            for qid in self.order
            if (chosen := answers.get(qid)) is not None
        ]
        # Answers to questions the questionnaire no longer has keep their ids.
        texts.extend(answer_text(qid, v) for qid, v in answers.items() if qid not in self.texts)
        return join_answers(texts)

    def _render(self, qid: str, chosen: list[str]) -> str:
        labels = self.labels[qid]
        text = answer_text(self.texts[qid], [labels.get(o, o) for o in chosen])
        self._rendered[(qid, tuple(chosen))] = text
        return text


def export_rows(export_id: int) -> Iterator[dict[str, Any]]:
    """Yield one plain row per lead recorded in an export, oldest first, in batches.

    Plain columns, not Lead objects: nothing accumulates in the session, so memory stays
    flat however many leads the export holds.
    """
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
    # Rows unpacked by position: attribute access on each Row costs more than the rest of
    # the loop over a full export.
    for (
        public_id,
        created_at,
        name,
        email,
        phone,
        contact_time,
        language,
        suitability,
        outcome_id,
        top_area,
        questionnaire_version,
        health_data,
        consent_health_at,
        consent_version,
        consent_contact_at,
        consent_marketing_at,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        page_url,
        ad_consent,
        *click_ids,
        status,
        clinic_name,
    ) in db.session.connection().execute(stmt):
        key = (questionnaire_version, language)
        wording = wordings.get(key)
        if wording is None:
            quiz = questionnaire_at(questionnaire_version, versions)
            wording = wordings[key] = _Wording(quiz, language)
        try:
            answers_text = wording.answers_text(box.decrypt(health_data)["answers"])
        except (ValueError, KeyError, TypeError):
            # A lead encrypted under a key no longer configured still exports its contact row.
            answers_text = UNREADABLE
        yield {
            "lead_id": public_id,
            "created_at": created_at,
            "clinic": clinic_name,
            "name": name,
            "email": email,
            "phone": phone,
            "contact_time": contact_time,
            "language": language,
            "suitability": suitability,
            "outcome": outcome_id,
            "top_concern": wording.areas.get(top_area, top_area),
            "answers": answers_text,
            "health_consent": consent_health_at is not None,
            "health_consent_at": consent_health_at,
            "consent_version": consent_version,
            "contact_consent_at": consent_contact_at,
            "marketing_consent": consent_marketing_at is not None,
            "marketing_consent_at": consent_marketing_at,
            "utm_source": utm_source,
            "utm_medium": utm_medium,
            "utm_campaign": utm_campaign,
            "utm_term": utm_term,
            "utm_content": utm_content,
            "page_url": page_url,
            "ad_consent": ad_consent,
            **dict(zip(CLICK_IDS, click_ids, strict=True)),
            "status": status,
        }
