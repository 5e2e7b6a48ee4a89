"""The back office under /admin: leads, exports, analytics, clinics and users."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
