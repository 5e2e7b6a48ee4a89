"""Links to choose a password: invitations and resets, mailed through the outbox.

A link is `secrets.token_urlsafe` in the mail and only its SHA-256 in the database. It is
made by the delivery worker at the moment it mails it (so no usable link is ever stored),
works once, for LINK_LIFETIME, and a new link for the same account revokes the earlier ones.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import AccountToken, Clinic, Delivery, User, new_session_nonce, utcnow
from quiz.services import lockout
from quiz.services.audit import add_audit
from quiz.services.common import ServiceError
from quiz.services.outbox import announce
from quiz.services.users import (
    account_exists,
    check_account,
    hash_password,
    password_problems,
    weak_password,
)

LINK_LIFETIME = timedelta(hours=72)
LINK_HOURS = LINK_LIFETIME // timedelta(hours=1)
CHANNELS = ("invite", "reset")
# One answer for a link that is unknown, expired, used or revoked: the person can only ask
# for a new one, whichever it was.
DEAD_LINK = N_(
    "This link has expired or was already used. Ask for a new one: an administrator can "
    "send a new invitation, and “Forgot your password?” on the sign-in page mails a new link."
)


class LinkNotNeeded(ServiceError):
    """An account mail that must not go out any more (account gone, disabled or set up)."""


@dataclass(frozen=True)
class Link:
    """A link just made for an account: the token for the mail and where it goes."""

    email: str
    purpose: str
    token: str
    language: str
    clinic_name: str | None


def token_hash(token: str) -> str:
    """Return the SHA-256 (hex) of a link's token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_user(
    email: str, role: str, *, clinic: Clinic | str | None = None, actor: str
) -> tuple[User, int]:
    """Store an account without a password and queue the mail inviting its owner.

    Return the account and the id of its delivery; ServiceError (nothing stored) when the
    address is bad, already has an account, or the role and clinic do not fit.
    """
    email, clinic = check_account(email, role, clinic)
    user = User(email=email, role=role, clinic_id=clinic.id if clinic else None, active=True)
    try:
        with write_transaction() as session:
            session.add(user)
            session.flush()
            delivery_id = _queue(session, user, "invite")
            add_audit(session, actor, "user.invite", {"email": email, "role": role})
    except IntegrityError:
        raise ServiceError(account_exists(email)) from None
    announce([delivery_id])
    return user, delivery_id


def resend_invite(user: User, *, actor: str) -> int:
    """Send a new invitation to an account that has no password yet; revoke the earlier one."""
    user_id = user.id
    with write_transaction() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise ServiceError(N_("this account is disabled: enable it first"))
        if user.password_hash is not None:
            raise ServiceError(N_("this account already has a password"))
        _close_links(session, user.id, utcnow())
        delivery_id = _queue(session, user, "invite")
        add_audit(session, actor, "user.invite_resend", {"email": user.email})
    announce([delivery_id])
    return delivery_id


def revoke_invite(user: User, *, actor: str) -> None:
    """Make an account's open links unusable and stop its unsent ones; ServiceError if none."""
    user_id = user.id
    with write_transaction() as session:
        user = session.get(User, user_id)
        if not _close_links(session, user_id, utcnow()):
            raise ServiceError(N_("this account has no open invitation"))
        add_audit(session, actor, "user.invite_revoke", {"email": user.email})


def request_reset(email: str, address: str | None) -> None:
    """Queue a reset link for an active account with that address; for any other, nothing.

    The caller answers the same either way, and both ways cost one small write transaction
    (the audit entry), so neither the answer nor its time tells whether an account exists.
    """
    typed = (email or "").strip().lower()[:254]
    delivery_id = None
    with write_transaction() as session:
        user = session.execute(db.select(User).filter_by(email=typed)).scalar_one_or_none()
        # A reset already waiting to be mailed makes the link asked for: no second mail.
        if user is not None and user.active and not _waiting(session, user.id, "reset"):
            delivery_id = _queue(session, user, "reset")
        add_audit(session, typed or "-", "password.reset_request", {"address": address})
    if delivery_id is not None:
        announce([delivery_id])


def issue_link(delivery_id: int) -> Link:
    """Make the link an account mail carries, revoking the account's earlier links.

    Called by the delivery worker just before it sends the mail; LinkNotNeeded when the
    delivery was stopped or the account no longer needs it.
    """
    now = utcnow()
    with write_transaction() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            raise LinkNotNeeded(N_("the mail was stopped"))
        user = session.get(User, delivery.user_id) if delivery.user_id else None
        if user is None or not user.active:
            raise LinkNotNeeded(N_("the account was deleted or disabled"))
        if delivery.channel == "invite" and user.password_hash is not None:
            raise LinkNotNeeded(N_("the account already has a password"))
        _revoke_tokens(session, user.id, now)
        token = secrets.token_urlsafe(32)
        session.add(
            AccountToken(
                user_id=user.id,
                purpose=delivery.channel,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
        clinic = session.get(Clinic, user.clinic_id) if user.clinic_id else None
        return Link(
            email=user.email,
            purpose=delivery.channel,
            token=token,
            language=clinic.staff_language if clinic else "en",
            clinic_name=clinic.name if clinic else None,
        )


def withdraw_link(token: str) -> None:
    """Revoke a link whose mail could not be sent (the retry mails a new one)."""
    with write_transaction() as session:
        row = session.execute(
            db.select(AccountToken).filter_by(token_hash=token_hash(token))
        ).scalar_one_or_none()
        if row is not None and row.revoked_at is None and row.used_at is None:
            row.revoked_at = utcnow()


def open_link(token: str, now: datetime | None = None) -> AccountToken | None:
    """Return the link's stored row if it can still be used, else None."""
    if not token or len(token) > 200:
        return None
    row = db.session.execute(
        db.select(AccountToken).filter_by(token_hash=token_hash(token))
    ).scalar_one_or_none()
    if row is None or not _usable(row, now or utcnow()):
        return None
    user = db.session.get(User, row.user_id)
    return row if user is not None and user.active else None


def account_email(link: AccountToken) -> str:
    """Return the address of the account a link belongs to."""
    return db.session.get(User, link.user_id).email


def use_link(token: str, password: str, now: datetime | None = None) -> User:
    """Set the account's password from a link, once; end its sessions and lift its locks.

    ServiceError when the link is dead (DEAD_LINK) or the password is weak; nothing changes.
    """
    now = now or utcnow()
    link = open_link(token, now)
    if link is None:
        raise ServiceError(DEAD_LINK)
    email = account_email(link)
    problems = password_problems(password or "", email)
    if problems:
        raise weak_password(problems)
    # Hashed before the write transaction: Argon2 takes a while, the write lock should not.
    new_hash = hash_password(password)
    with write_transaction() as session:
        query = db.select(AccountToken).filter_by(id=link.id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = session.execute(query).scalar_one_or_none()
        user = session.get(User, link.user_id)
        # Checked again under the write lock: two tabs posting one link set one password.
        if row is None or not _usable(row, now) or user is None or not user.active:
            raise ServiceError(DEAD_LINK)
        row.used_at = now
        _revoke_tokens(session, user.id, now)
        user.password_hash = new_hash
        # Whoever knew the old password may hold a session: end them all.
        user.session_nonce = new_session_nonce()
        lockout.forget(session, user.email)
        add_audit(session, user.email, "user.password_link", {"purpose": row.purpose})
    return user


def _usable(row: AccountToken, now: datetime) -> bool:
    return row.used_at is None and row.revoked_at is None and now < row.expires_at


def _queue(session, user: User, channel: str) -> int:
    delivery = Delivery(
        channel=channel,
        event_type=f"account.{channel}",
        user_id=user.id,
        clinic_id=user.clinic_id,
    )
    session.add(delivery)
    session.flush()
    return delivery.id


def _waiting(session, user_id: int, channel: str) -> bool:
    return (
        session.scalar(
            db.select(Delivery.id)
            .where(
                Delivery.user_id == user_id,
                Delivery.channel == channel,
                Delivery.status == "pending",
            )
            .limit(1)
        )
        is not None
    )


def _revoke_tokens(session, user_id: int, now: datetime) -> int:
    open_rows = session.scalars(
        db.select(AccountToken).where(
            AccountToken.user_id == user_id,
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
            AccountToken.expires_at > now,
        )
    ).all()
    for row in open_rows:
        row.revoked_at = now
    return len(open_rows)


def _close_links(session, user_id: int, now: datetime) -> int:
    """Revoke the account's open links and stop its unsent account mails; return how many."""
    unsent = session.scalars(
        db.select(Delivery).where(
            Delivery.user_id == user_id,
            Delivery.channel.in_(CHANNELS),
            Delivery.status == "pending",
        )
    ).all()
    # Deleted, not failed: a failed one could be retried and mail a link nobody wants.
    for delivery in unsent:
        session.delete(delivery)
    return _revoke_tokens(session, user_id, now) + len(unsent)
