"""The back office under /admin: leads, exports, analytics, clinics and users."""

from flask import Blueprint, g, redirect, request, url_for

from quiz import auth
from quiz.headers import no_store
from quiz.i18n import translate
from quiz.services import ServiceError

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Pages reachable without an account; everything else needs a signed-in user.
PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.forgot", "admin.choose_password"})


@bp.record_once
def _bind_auth(state) -> None:
    # Binding here keeps /admin working even where create_app does not call auth.init_app.
    auth.init_app(state.app)


@bp.app_template_filter("label")
def _label(code: str | None) -> str:
    from quiz.admin.forms import label_of

    return label_of(code)


@bp.app_template_global("lost_reason_label")
def _lost_reason_label(code: str | None) -> str:
    from quiz.queries import LOST_REASON_LABELS

    return translate(LOST_REASON_LABELS[code]) if code in LOST_REASON_LABELS else code or ""


def error_text(exc: ServiceError) -> str:
    """Return a service's error in the interface language (str(exc) stays the English)."""
    return " ".join(translate(part) for part in (exc.message, *exc.details))


# Back-office pages carry personal and health data: never cached, never framed.
@bp.before_request
@no_store
def _require_sign_in():
    # g lives as long as the app context, which can span several requests (an app context
    # pushed around them, as tests do): load the signed-in user afresh for every request.
    g.pop("_login_user", None)
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if auth.signed_in_user() is None:
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    return None


from quiz.admin import (  # noqa: E402, F401
    account,
    analytics,
    clinics,
    deliveries,
    leads,
    people,
    users,
)
