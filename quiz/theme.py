"""Per-clinic branding served as a stylesheet of CSS custom properties."""

from flask import Blueprint

bp = Blueprint("theme", __name__)
