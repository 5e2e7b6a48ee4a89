"""The visitor's path under /embed: intro, steps, result, contact, thanks; no cookies."""

from flask import Blueprint

bp = Blueprint("embed", __name__, url_prefix="/embed")
