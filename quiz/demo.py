"""The demo host page at /: a clinic-like site that embeds the demo clinic's quiz."""

from flask import Blueprint

bp = Blueprint("demo", __name__)
