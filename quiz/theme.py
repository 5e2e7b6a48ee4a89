"""Per-clinic branding served as a stylesheet of CSS custom properties."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, abort, request, url_for

from quiz.branding import DEFAULTS, check_branding
from quiz.models import Clinic
from quiz.services import get_clinic

bp = Blueprint("theme", __name__)

# Bump when the stylesheet's shape changes, so cached copies under old ?v= values expire.
_SHAPE = "1"
_LONG_CACHE = "public, max-age=31536000, immutable"
# An unversioned or stale URL may be cached briefly only: branding edits show within minutes.
_SHORT_CACHE = "public, max-age=300"
_PROPERTIES = (
    ("primary", "--brand"),
    ("on_primary", "--brand-text"),
    ("text", "--text"),
    ("background", "--bg"),
    ("font", "--font"),
)


def theme_version(clinic: Clinic) -> str:
    """Return a short hash of the clinic's checked branding, for the stylesheet's ?v=."""
    clean, _ = check_branding(clinic.branding or {})
    canonical = json.dumps([_SHAPE, clean], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def theme_url(clinic: Clinic) -> str:
    """Return the clinic's stylesheet URL with its version, safe to cache for a year."""
    return url_for("theme.stylesheet", clinic=clinic.slug, v=theme_version(clinic))


def theme_css(branding: dict) -> str:
    """Return the :root rule for a branding dict; values are re-checked, bad ones left out."""
    # Stored branding may predate today's rules or have been edited by hand: check again.
    clean, _ = check_branding(branding or {})
    lines = [f"  {prop}: {clean[key]};" for key, prop in _PROPERTIES if key in clean]
    if "text" in clean or "background" in clean:
        # The default muted grey was only checked against the default background; use the
        # text colour, whose contrast with this background was checked.
        lines.append(f"  --muted: {clean.get('text', DEFAULTS['text'])};")
    if "radius" in clean:
        lines.append(f"  --radius: {clean['radius']}px;")
    if "logo_url" in clean:
        lines.append(f'  --logo: url("{clean["logo_url"]}");')
    return ":root {\n" + "\n".join(lines) + "\n}\n" if lines else ":root {}\n"


@bp.get("/theme/<clinic>.css")
def stylesheet(clinic: str):
    """Serve a clinic's branding as CSS custom properties."""
    found = get_clinic(clinic)
    if found is None:
        abort(404)
    version = theme_version(found)
    response = Response(theme_css(found.branding or {}), mimetype="text/css")
    response.headers["Cache-Control"] = (
        _LONG_CACHE if request.args.get("v") == version else _SHORT_CACHE
    )
    response.set_etag(version)
    return response.make_conditional(request)
