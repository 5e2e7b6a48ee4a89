"""Interface languages: Flask-Babel set-up, the locale selector and message translation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from babel import Locale, numbers
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import (
    Babel,
    format_datetime,
    format_decimal,
    get_locale,
    gettext,
    refresh,
)
from sqlalchemy.exc import SQLAlchemyError

from quiz.messages import Message

SUPPORTED = ("en", "de", "es")


def init_app(app: Flask) -> None:
    """Install Flask-Babel with the locale selector and the template helpers (idempotent;
    the BABEL_* settings are in quiz.config)."""
    if "babel" in app.extensions:
        return
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        current_language=current_language,
        format_decimal=format_decimal,
    )
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["tr"] = translate_marked
    app.before_request(_forget_locale)
    app.after_request(_vary_by_browser_language)


def _forget_locale() -> None:
    # The locale lives on `g`, which an app context shared by several requests (tests, CLI)
    # would carry over: every request chooses its own.
    g.pop("locale", None)
    g.pop("language_from_browser", None)
    refresh()


def _vary_by_browser_language(response: Response) -> Response:
    # A page chosen by Accept-Language must not be served from a cache to another browser.
    if g.get("language_from_browser"):
        response.vary.add("Accept-Language")
    return response


def select_locale() -> str:
    """Pick the interface language of this request.

    A view that knows the visitor's language (the quiz state, the clinic) sets it with
    use_language() and wins. Otherwise: a supported `?lang=`; on /embed and /api the clinic's
    language; then the browser's Accept-Language; then English.
    """
    chosen = g.get("locale")
    if chosen:
        return chosen
    requested = request.args.get("lang")
    if requested in SUPPORTED:
        return requested
    if request.path.startswith(("/embed/", "/api/")):
        language = _clinic_language()
        if language:
            return language
    return browser_language(SUPPORTED)


def _default_language() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _clinic_language() -> str | None:
    from quiz import services
    from quiz.extensions import db

    slug = (request.view_args or {}).get("clinic") or request.args.get("clinic")
    if not isinstance(slug, str) or not slug:
        return None
    try:
        clinic = services.visitor_clinic(slug)
    except SQLAlchemyError:
        # The selector also runs for the "database unavailable" page: fall back, never fail.
        db.session.rollback()
        return None
    language = clinic.language if clinic is not None else None
    return language if language in SUPPORTED else None


def pick_language(offered: Sequence[str], requested: object, fallback: str | None) -> str:
    """Return the language a quiz is shown in, for the visitor's pages and the API alike.

    `requested` (a ?lang=, data-lang or the API's "language", which may be of any JSON type)
    when the questionnaire offers it, else `fallback` (the clinic's language) when offered,
    else the offered language the browser's Accept-Language prefers, else English (or the
    questionnaire's first language).
    """
    if isinstance(requested, str) and requested in offered:
        return requested
    if fallback in offered:
        return fallback
    return browser_language(offered)


def browser_language(offered: Sequence[str]) -> str:
    """Return the offered language this request's Accept-Language prefers, else English (or
    the first offered); mark the response as varying by that header."""
    configured = _default_language()
    default = configured if configured in offered else offered[0]
    if not has_request_context():
        return default
    g.language_from_browser = True
    # best_match also takes "de" for a browser asking only for "de-AT".
    return request.accept_languages.best_match(offered, default)


def use_language(language: str) -> None:
    """Make `language` this request's interface language (when supported)."""
    if language in SUPPORTED:
        g.locale = language
        # Flask-Babel caches the locale per request: forget one picked before this point.
        refresh()


def current_language() -> str:
    """Return the language code of this request's interface (for <html lang>)."""
    locale = get_locale()
    return locale.language if locale is not None else _default_language()


def when(value) -> str:
    """Format a stored (UTC) date and time the way the interface language writes it."""
    return format_datetime(value, "short") if value is not None else "—"


def percent(rate: float | None) -> str:
    """Format a rate (0.5 → 50 %) the way the interface language writes it, to 0.1 %."""
    if rate is None:
        return "—"
    locale = get_locale() or Locale.parse(_default_language())
    # The locale's own pattern (spacing, sign position) with one decimal: "#,##0 %" → "#,##0.0 %".
    pattern = re.sub(r"0(?=[^0#,.]*$)", "0.0", locale.percent_formats[None].pattern, count=1)
    return numbers.format_percent(rate, pattern, locale=locale)


def translate(message: str) -> str:
    """Translate a message from a pure module (a Message keeps its id and values)."""
    if isinstance(message, Message):
        # Values that are messages themselves (a field's label) are translated too.
        params = {
            k: translate(v) if isinstance(v, Message) else v for k, v in message.params.items()
        }
        return gettext(message.msgid, **params)
    return gettext(message)


def translate_marked(value):
    """Translate a message marked with N_; leave any other value (a note, a name) as it is."""
    return translate(value) if isinstance(value, Message) else value


def translate_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Translate every message of an errors mapping, keeping its keys."""
    return {key: [translate(m) for m in messages] for key, messages in errors.items()}
