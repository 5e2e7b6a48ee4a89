"""What every service needs: the domain error and the clinic lookups."""

from __future__ import annotations

import logging
import re

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import make_transient_to_detached

from quiz.extensions import db
from quiz.models import Clinic
from quiz.runtime import runtime

log = logging.getLogger(__name__)
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class ServiceError(ValueError):
    """A domain rule the request broke; the message is safe to show."""

    def __init__(self, message: str, *details: str):
        """Keep the message and any details (Messages marked with N_) to translate for display.

        str(exc) is the English text, message and details joined by spaces (what the CLI prints).
        """
        super().__init__(" ".join([message, *details]))
        self.message = message
        self.details = details


def get_clinic(slug: str) -> Clinic | None:
    """Return the clinic with that slug, or None."""
    if not SLUG.match(slug or ""):
        return None
    return db.session.execute(db.select(Clinic).filter_by(slug=slug)).scalar_one_or_none()


def visitor_clinic(slug: str) -> Clinic | None:
    """Return a clinic for the visitor's path and the public API, cached for a few seconds.

    Every quiz page needs its clinic; a per-process copy saves that query and keeps the
    quiz answering while the database is briefly unreachable (an expired copy is used then,
    so a visitor's contact form can come back with everything typed rather than an error).
    Back-office code, which edits clinics, uses get_clinic. The copy is shared by every
    request of the process: read it, never change it or hang it on a new row.
    """
    ttl = current_app.config["CLINIC_CACHE_SECONDS"]
    if ttl <= 0 or not SLUG.match(slug or ""):
        return get_clinic(slug)
    cache = runtime().clinic_cache
    copy = cache.get(slug, max_age=ttl)
    if copy is None:
        try:
            clinic = get_clinic(slug)
        except SQLAlchemyError:
            db.session.rollback()
            copy = cache.get(slug)
            if copy is None:
                raise
            log.warning("database unavailable: serving clinic %s from its cached copy", slug)
        else:
            if clinic is None:
                cache.pop(slug)
                return None
            cache.put(slug, _detached_copy(clinic))
            return clinic
    # The shared copy itself, in no session: every column is loaded and the visitor's path
    # only reads it (writes name the clinic by id), so a request needs no unit of work for
    # it. Merging it into each request's session cost a step POST a sixth of its time.
    return copy


def _detached_copy(clinic: Clinic) -> Clinic:
    """A copy of the clinic that belongs to no session; each request merges it into its own."""
    columns = {c.key: getattr(clinic, c.key) for c in inspect(Clinic).column_attrs}
    copy = Clinic(**columns)
    make_transient_to_detached(copy)
    return copy


def hidden_content(clinic: Clinic) -> list[str]:
    """Return the content ids this clinic chose not to show."""
    hidden = (clinic.settings or {}).get("hidden_content", [])
    return [h for h in hidden if isinstance(h, str)]
