"""Clinics, outcomes and accounts as the back office lists them."""

from __future__ import annotations

from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import (
    Clinic,
    User,
)
from quiz.services.common import questionnaire


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
