"""Back-office sign-in: the login manager, the signed-in account, roles and clinic scoping."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, Request, abort, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, current_user
from itsdangerous import URLSafeTimedSerializer

from quiz.extensions import db
from quiz.models import User

login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "basic"


class Account:
    """The signed-in user as Flask-Login sees it, wrapping the stored User."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User):
        self.user = user

    @property
    def is_active(self) -> bool:
        """Tell whether the account may sign in."""
        return bool(self.user.active)

    def get_id(self) -> str:
        """Return the session id: the user id and the account's current session nonce.

        Signing out, a new password and disabling the account give it a new nonce, which
        ends every session that carries the old one, copied cookies included.
        """
        return f"{self.user.id}:{self.user.session_nonce}"


@login_manager.user_loader
def _load(session_id: str) -> Account | None:
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(nonce.encode(), user.session_nonce.encode()):
        return None
    return Account(user)


# Paths that never use the back office's session (the quiz in its frame, the public API).
_SESSIONLESS = ("/embed/", "/api/")


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure whenever the request came over HTTPS."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_cookie_secure(self, app: Flask) -> bool:
        # Behind a TLS proxy, ProxyFix (TRUSTED_PROXIES) makes request.is_secure true.
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The signed-in session, or none at all on the visitor's paths without its cookie.

        The quiz and the public API never use the back office's session: for them Flask's
        null session (readable, empty, never saved) spares building a session and the
        save at the end of every quiz step. Someone signed in who opens the quiz in the
        same browser still sends the cookie, and gets their session as anywhere else.
        """
        if request.path.startswith(_SESSIONLESS) and not request.cookies.get(
            self.get_cookie_name(app)
        ):
            return None
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, built once per set of keys rather than once per request.

        Flask builds it for every request, with a cookie or without (a quiz step has none),
        and building one dumps a test value through the JSON serializer: a twentieth of a
        step POST. It holds no state of its own between uses.
        """
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


def init_app(app: Flask) -> None:
    """Bind the login manager and the back office's session cookie policy.

    The cookie is HttpOnly and SameSite=Lax always, and Secure on every HTTPS request (or
    always, with SESSION_COOKIE_SECURE), so a local install over plain http still signs in.
    """
    if getattr(app, "login_manager", None) is login_manager:
        return
    login_manager.init_app(app)
    app.session_interface = _SessionInterface()
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"


def signed_in_user() -> User | None:
    """Return the signed-in User, or None."""
    if not current_user.is_authenticated:
        return None
    return current_user.user


@dataclass(frozen=True)
class Scope:
    """Which clinics' leads a query may touch: every clinic, or exactly one."""

    everything: bool
    clinic_id: int | None = None


def scope_of(user: User | None) -> Scope:
    """Return what `user` may see: admins everything, staff their clinic, others nothing."""
    if user is not None and user.role == "admin":
        return Scope(everything=True)
    # A staff account without a clinic matches no lead (clinic_id IS NULL never holds).
    return Scope(everything=False, clinic_id=user.clinic_id if user else None)


def admin_required(view):
    """Refuse a view to anyone but admins (404, so staff do not learn what exists)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user = signed_in_user()
        if user is None or user.role != "admin":
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a relative path on this host, else None (no open redirect)."""
    if not target or len(target) > 2000:
        return None
    # Browsers treat backslashes as slashes, so "/\\evil.example" would leave the site.
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def client_address() -> str | None:
    """Return the client's address for audit entries."""
    return request.remote_addr
