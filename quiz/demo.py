"""The demo host page at /: a clinic-like site that embeds the demo clinic's quiz."""

from __future__ import annotations

from flask import Blueprint, render_template

from quiz.services import get_clinic
from quiz.urls import public_url

bp = Blueprint("demo", __name__)

DEMO_SLUG = "demo"


@bp.get("/")
def index():
    """Show a sample clinic page with the demo quiz embedded, or how to create the demo clinic."""
    clinic = get_clinic(DEMO_SLUG)
    if clinic is None:
        return render_template("demo/missing.html", slug=DEMO_SLUG)
    # The snippet shown is the one this page runs, so copying it gives the same result.
    script_src = f"{public_url()}/static/embed.js"
    return render_template("demo/index.html", clinic=clinic, script_src=script_src)
