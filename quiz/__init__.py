"""The quiz application: create_app() wires config, runtime state, extensions, blueprints, CLI."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from quiz import runtime
from quiz.config import ROOT, ConfigError, load_config
from quiz.crypto import EncryptionKeyError
from quiz.questions import QuestionnaireError


def create_app(overrides: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the app; a bad setting or questionnaire exits with one line per problem."""
    app = Flask(
        __name__,
        instance_path=instance_path or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    try:
        app.config.from_mapping(load_config(app.instance_path))
        app.config.from_mapping(overrides or {})
        runtime.install(app, runtime.build(app.config))
    except (ConfigError, EncryptionKeyError) as exc:
        _exit(f"configuration error: {exc}")
    except QuestionnaireError as exc:
        _exit(*(f"{Path(app.config['QUESTIONS_FILE']).name}: {p}" for p in exc.problems))

    from quiz import i18n, observability, response_cache
    from quiz.services import funnel

    # Inside the access log's middleware, so a page answered from a copy is logged too.
    response_cache.init_app(app)
    observability.init_app(app)
    i18n.init_app(app)
    _init_extensions(app)
    funnel.init_app(app)
    _register_blueprints(app)

    from quiz import body_limit, errors, headers, static_files

    body_limit.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    static_files.init_app(app)

    from quiz.commands import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from quiz.database import configure_engine
    from quiz.extensions import csrf, db, limiter, migrate

    db.init_app(app)

    @app.teardown_appcontext
    def _end_session(_exc):
        # A connection the database killed after the request's last query makes the final
        # rollback raise; the visitor already has their answer, so never turn it into a 500.
        try:
            db.session.remove()
        except SQLAlchemyError:
            app.logger.warning("database connection lost while ending a request")

    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    from quiz import auth

    auth.init_app(app)
    with app.app_context():
        configure_engine(db.engine)


def _register_blueprints(app: Flask) -> None:
    from quiz.admin import bp as admin_bp
    from quiz.api import bp as api_bp
    from quiz.demo import bp as demo_bp
    from quiz.embed import bp as embed_bp
    from quiz.theme import bp as theme_bp

    for blueprint in (embed_bp, theme_bp, api_bp, admin_bp, demo_bp):
        app.register_blueprint(blueprint)


def _exit(*lines: str) -> None:
    for line in lines:
        print(line, file=sys.stderr)
    raise SystemExit(1)
