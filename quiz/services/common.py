"""What every service needs: the domain error, the vault, the questionnaire, clinic lookup."""

from __future__ import annotations

import re

from flask import current_app

from quiz.crypto import Vault
from quiz.extensions import db
from quiz.models import Clinic
from quiz.questions import Questionnaire

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class ServiceError(ValueError):
    """A domain rule the request broke; the message is safe to show."""


def vault() -> Vault:
    """Return the app's encryption vault."""
    return current_app.extensions["vault"]


def questionnaire() -> Questionnaire:
    """Return the questionnaire loaded at start-up."""
    return current_app.extensions["questionnaire"]


def get_clinic(slug: str) -> Clinic | None:
    """Return the clinic with that slug, or None."""
    if not SLUG.match(slug or ""):
        return None
    return db.session.execute(db.select(Clinic).filter_by(slug=slug)).scalar_one_or_none()


def hidden_content(clinic: Clinic) -> list[str]:
    """Return the content ids this clinic chose not to show."""
    hidden = (clinic.settings or {}).get("hidden_content", [])
    return [h for h in hidden if isinstance(h, str)]
