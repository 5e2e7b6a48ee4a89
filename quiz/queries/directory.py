"""Clinics, outcomes, accounts and API tokens as the back office, the CLI and the API see them."""

from __future__ import annotations

from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import (
    AccountToken,
    ApiToken,
    Clinic,
    Delivery,
    SignInLock,
    User,
    utcnow,
)
from quiz.runtime import questionnaire


def clinic_choices(scope: Scope) -> list[tuple[str, str]]:
    """Return (slug, name) of the clinics `scope` may see, by name."""
    stmt = db.select(Clinic.slug, Clinic.name).order_by(Clinic.name, Clinic.slug)
    if not scope.everything:
        stmt = stmt.where(Clinic.id == scope.clinic_id)
    return [(slug, name) for slug, name in db.session.execute(stmt)]


def clinic_staff(clinic_id: int) -> list[tuple[int, str]]:
    """Return (id, email) of the active staff accounts of a clinic, by email: who may be
    given its leads."""
    stmt = (
        db.select(User.id, User.email)
        .where(User.clinic_id == clinic_id, User.role == "staff", User.active.is_(True))
        .order_by(User.email)
    )
    return [(user_id, email) for user_id, email in db.session.execute(stmt)]


def outcome_ids() -> list[str]:
    """Return the outcome ids of the current questionnaire."""
    return [o.id for o in questionnaire().outcomes]


def list_clinics(*, by: str = "name") -> list[Clinic]:
    """Return every clinic, by name (the back office) or by slug (`clinic list`)."""
    order = {"name": Clinic.name, "slug": Clinic.slug}[by]
    return list(db.session.execute(db.select(Clinic).order_by(order)).scalars())


def any_clinic_has_origin(origin: str) -> bool:
    """Tell whether `origin` is one of the sites any clinic lets embed its quiz."""
    # Origins are a JSON list per clinic, which SQLite and PostgreSQL query differently: the
    # lists are read and searched here (one row per clinic, a short list each).
    return any(
        origin in (origins or [])
        for origins in db.session.execute(db.select(Clinic.origins)).scalars()
    )


def list_tokens(clinic: Clinic) -> list[ApiToken]:
    """Return the clinic's API tokens, oldest first (hashes only, never secrets)."""
    stmt = db.select(ApiToken).where(ApiToken.clinic_id == clinic.id).order_by(ApiToken.id)
    return list(db.session.execute(stmt).scalars())


def get_user(user_id: int) -> User | None:
    """Return the account with that id, or None."""
    return db.session.get(User, user_id)


def list_users() -> list[tuple]:
    """Return every account, by email, with its clinic's name, sign-in locks and links.

    Each row is (user, clinic name, locked networks, locked until, link until, mail waiting):
    how many networks are locked out of the account now and until when the last lock lasts
    (both None when there is none), until when its open invitation or reset link works
    (None when it has none), and whether a mail with a new link is still to be sent.
    """
    now = utcnow()
    locks = (
        db.select(
            SignInLock.email,
            db.func.count().label("networks"),
            db.func.max(SignInLock.locked_until).label("until"),
        )
        .where(SignInLock.locked_until > now)
        .group_by(SignInLock.email)
        .subquery()
    )
    links = (
        db.select(AccountToken.user_id, db.func.max(AccountToken.expires_at).label("until"))
        .where(
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
            AccountToken.expires_at > now,
        )
        .group_by(AccountToken.user_id)
        .subquery()
    )
    waiting = (
        db.select(Delivery.id)
        .where(
            Delivery.user_id == User.id,
            Delivery.channel.in_(("invite", "reset")),
            Delivery.status == "pending",
        )
        .exists()
    )
    return [
        tuple(row)
        for row in db.session.execute(
            db.select(User, Clinic.name, locks.c.networks, locks.c.until, links.c.until, waiting)
            .outerjoin(Clinic, Clinic.id == User.clinic_id)
            .outerjoin(locks, locks.c.email == User.email)
            .outerjoin(links, links.c.user_id == User.id)
            .order_by(User.email)
        )
    ]
