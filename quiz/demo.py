"""The demo host page at /: a clinic-like site that embeds the demo clinic's quiz."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from quiz.services import get_clinic

bp = Blueprint("demo", __name__)

DEMO_SLUG = "demo"


@bp.get("/")
def index():
    """Show a sample clinic page with the demo quiz embedded, or how to create the demo clinic."""
    clinic = get_clinic(DEMO_SLUG)
    if clinic is None:
        return render_template("demo/missing.html", slug=DEMO_SLUG)
    # The snippet shown is the one this page runs, so copying it gives the same result.
    base = current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
    return render_template("demo/index.html", clinic=clinic, script_src=f"{base}/static/embed.js")
