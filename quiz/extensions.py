"""Unbound Flask extensions, bound to the app in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from quiz import ratelimit_storage  # noqa: F401  (registers the quiz+sqlite storage)


class Base(DeclarativeBase):
    """Declarative base for every model."""


# Objects stay loaded after a commit: views read the clinic they wrote an event for, and
# reloading it would cost a query per attribute set.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
# Counters go where RATELIMIT_STORAGE_URI says (quiz/config.py): Redis, or without it the
# quiz+sqlite file storage, which importing ratelimit_storage registers with `limits`.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
