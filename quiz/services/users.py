"""Back-office accounts: creation, password rules and hashing, sign-in, sessions."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy.exc import IntegrityError

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.messages import N_, Message
from quiz.models import Clinic, User, new_session_nonce, utcnow
from quiz.services import lockout
from quiz.services.audit import add_audit
from quiz.services.common import ServiceError, get_clinic
from quiz.validation import check_email

ROLES = ("admin", "staff")
MIN_LENGTH = 12
MAX_LENGTH = 1024
# The one answer to every failed sign-in, whether the account is unknown, disabled or locked
# or the password wrong, so that it tells nobody which of these it was.
GENERIC_ERROR = N_(
    "That email and password do not match an active account. After %(count)d failed "
    "attempts from one network, sign-in from it pauses for %(minutes)d minutes.",
    count=lockout.LOCK_AFTER,
    minutes=lockout.LOCK_TIME // timedelta(minutes=1),
)

# The most common passwords that also pass the length and mix rules.
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "password12345",
        "password123456",
        "passw0rd1234",
        "p@ssword1234",
        "qwertyuiop12",
        "qwerty123456",
        "qwertyuiop123",
        "123456789abc",
        "abc123456789",
        "iloveyou1234",
        "welcome12345",
        "letmein12345",
        "administrator1",
        "administrator",
        "changeme1234",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "zaq12wsxcde3",
        "football1234",
        "monkey123456",
        "sunshine1234",
        "mesotherapy1",
        "mesotherapy123",
    }
)


def password_problems(password: str, email: str) -> list[str]:
    """Return what makes a password too weak (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(N_("Use at least %(limit)d characters.", limit=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(N_("Use at most %(limit)d characters.", limit=MAX_LENGTH))
    classes = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.digits for c in password),
        any(not c.isascii() or not c.isalnum() for c in password),
    ]
    if password and sum(classes) < 2:
        problems.append(N_("Mix at least two kinds of character (letters, digits, symbols)."))
    local = email.split("@", 1)[0].lower()
    if len(local) >= 3 and local in password.lower():
        problems.append(N_("Do not include your email address in the password."))
    if password.lower() in COMMON_PASSWORDS:
        problems.append(N_("This password is too common; choose another."))
    return problems


def weak_password(problems: list[str]) -> ServiceError:
    """Return the error naming the password rules `problems` lists."""
    # The rules it breaks stay separate Messages, so the back office translates each of them.
    # Translators: the field name, followed by the password rules that were broken.
    return ServiceError(N_("password:"), *problems)


def hasher() -> PasswordHasher:
    """Return the Argon2id hasher; ARGON2_OPTIONS in the config overrides its parameters."""
    return PasswordHasher(**current_app.config.get("ARGON2_OPTIONS", {}))


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return hasher().hash(password)


def normalise_email(email: str) -> str:
    """Return the email as stored (trimmed, lower-cased); ServiceError when it is not one."""
    address, _ = check_email(email)
    if address is None:
        raise ServiceError(N_("email %(email)r: not a valid email address", email=email))
    return address


def check_account(email: str, role: str, clinic: Clinic | str | None) -> tuple[str, Clinic | None]:
    """Return the account's email as stored and its clinic; ServiceError naming a bad one.

    Staff need a clinic, admins must not have one; an address with an account is refused.
    """
    email = normalise_email(email)
    if role not in ROLES:
        raise ServiceError(N_("role %(role)r: expected admin or staff", role=role))
    if isinstance(clinic, str):
        found = get_clinic(clinic)
        if found is None:
            raise ServiceError(N_("clinic %(clinic)r: no such clinic", clinic=clinic))
        clinic = found
    if role == "staff" and clinic is None:
        raise ServiceError(N_("staff accounts need a clinic"))
    if role == "admin" and clinic is not None:
        raise ServiceError(N_("admin accounts see every clinic: give no clinic"))
    if find_user(email) is not None:
        raise ServiceError(account_exists(email))
    return email, clinic


def account_exists(email: str) -> Message:
    """Return the one message for an address that already has an account."""
    return N_("an account for %(email)s already exists", email=email)


def create_user(
    email: str, role: str, password: str, *, clinic: Clinic | str | None = None
) -> User:
    """Validate and store an account with the password given (the command line's way)."""
    email, clinic = check_account(email, role, clinic)
    problems = password_problems(password, email)
    if problems:
        raise weak_password(problems)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        clinic_id=clinic.id if clinic else None,
        active=True,
    )
    try:
        with write_transaction() as session:
            session.add(user)
            add_audit(session, "system", "user.create", {"email": email, "role": role})
    except IntegrityError:
        raise ServiceError(account_exists(email)) from None
    return user


def find_user(email: str) -> User | None:
    """Return the account with that email, or None."""
    email = (email or "").strip().lower()
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or the message to show."""

    user: User | None
    error: str | None = None


def authenticate(email: str, password: str, address: str | None) -> SignIn:
    """Check credentials; repeated failures lock out that email from that network only.

    Unknown, disabled and locked accounts and wrong passwords get the same message and the
    same work (one Argon2 verification), so the form reveals nothing about an account.
    """
    email = (email or "").strip().lower()[:254]
    password = (password or "")[:MAX_LENGTH]
    network = lockout.network_of(address)
    now = utcnow()
    with write_transaction() as session:
        user = session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        locked = lockout.is_locked(session, email, network, now)
        # An invited account that has not chosen its password yet cannot sign in either.
        may_pass = (
            user is not None and user.active and user.password_hash is not None and not locked
        )
        # Only an account that may sign in has its own hash checked; the dummy costs the same.
        checked = _verify(user.password_hash if may_pass else _dummy_hash(), password)
        if not (may_pass and checked):
            action = "login.locked" if locked else "login.failed"
            add_audit(session, email or "-", action, {"address": address})
            if not locked and lockout.record_failure(session, email, network, now):
                add_audit(session, email or "-", "login.lockout", {"address": address})
            return SignIn(None, GENERIC_ERROR)
        if hasher().check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        lockout.forget(session, email, network)
        user.last_login_at = now
        add_audit(session, email, "login", {"address": address})
    return SignIn(user)


def sign_out(user: User) -> None:
    """End every session of the account on the server, copied session cookies included."""
    user_id = user.id
    with write_transaction() as session:
        user = session.get(User, user_id)
        user.session_nonce = new_session_nonce()
        add_audit(session, user.email, "logout", {})


def change_password(user: User, current: str, new: str) -> None:
    """Change a user's own password after checking the current one."""
    if not _verify(user.password_hash or _dummy_hash(), current or ""):
        raise ServiceError(N_("current password: that is not your current password"))
    set_password(user, new, actor=user.email)


def set_password(user: User, new: str, *, actor: str) -> None:
    """Set a new password, ending the account's sessions and lifting its lock.

    Raise ServiceError when the password is weak.
    """
    problems = password_problems(new or "", user.email)
    if problems:
        raise weak_password(problems)
    user_id = user.id
    new_hash = hash_password(new)
    with write_transaction() as session:
        user = session.get(User, user_id)
        user.password_hash = new_hash
        # Whoever knew the old password may hold a session: end them all.
        user.session_nonce = new_session_nonce()
        lockout.forget(session, user.email)
        add_audit(session, actor, "user.password", {"email": user.email})


def set_active(user: User, active: bool, *, actor: str) -> None:
    """Enable or disable an account; disabling ends its sessions, and it cannot sign in."""
    user_id = user.id
    with write_transaction() as session:
        user = session.get(User, user_id)
        user.active = active
        if not active:
            # So that enabling it again does not bring back the sessions open before.
            user.session_nonce = new_session_nonce()
        add_audit(
            session, actor, "user.enable" if active else "user.disable", {"email": user.email}
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# Random per process: the dummy hash matches no password anyone could know.
_DUMMY_PASSWORD = secrets.token_urlsafe(32)
_dummy: dict[str, str] = {}


def _dummy_hash() -> str:
    # Hashed once per parameter set, so an unknown account costs as much as a wrong password.
    key = repr(sorted(current_app.config.get("ARGON2_OPTIONS", {}).items()))
    if key not in _dummy:
        _dummy[key] = hash_password(_DUMMY_PASSWORD)
    return _dummy[key]
