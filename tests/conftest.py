"""Shared fixtures: an app per database backend, factories, a cookie-less visitor, signed-in
back-office clients and loopback SMTP and HTTP servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from quiz import create_app, services
from quiz.crypto import new_key
from quiz.extensions import db
from quiz.questions import Questionnaire
from quiz.runtime import runtime
from tests.helpers import FAST_ARGON2, PUBLIC, STRONG, Visitor, answer_everything
from tests.servers import Receiver, SMTPSink

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_report_header(config):
    """Say which backends and services the run uses, and which it skips."""
    lines = [f"databases: {', '.join(_BACKENDS)}"]
    if not POSTGRES_URL:
        lines.append("TEST_DATABASE_URL unset: PostgreSQL runs skipped (SQLite only)")
    if not os.environ.get("REDIS_URL"):
        lines.append("REDIS_URL unset: Redis-backed tests skipped")
    return lines


@pytest.fixture(scope="session")
def _postgres_schema():
    """Create the schema once on the test PostgreSQL database."""
    if not POSTGRES_URL:
        yield None
        return
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    from quiz import models  # noqa: F401  (registers the tables)

    db.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=_BACKENDS)
def database_url(request, tmp_path) -> str:
    """The database URL of this test's backend."""
    if request.param == "postgresql":
        request.getfixturevalue("_postgres_schema")
        return POSTGRES_URL  # type: ignore[return-value]
    return f"sqlite:///{tmp_path / 'quiz.db'}"


@pytest.fixture
def app_config(request, database_url) -> dict:
    """Config overrides for the test app; tests may change them before `app` is built."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATA_ENCRYPTION_KEYS": [new_key()],
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Redis-backed paths opt in per test (see test_delivery's Redis test).
        "REDIS_URL": None,
        "SERVER_NAME": None,
        # Tests change clinics between requests; the cache has tests of its own.
        "CLINIC_CACHE_SECONDS": 0,
        "EVENT_BUFFER_SECONDS": 0,
    }
    if request.node.get_closest_marker("batched_events"):
        # As in production, with a minute and a size far beyond what a test sends.
        config.update(EVENT_BUFFER_SECONDS=60, EVENT_BUFFER_SIZE=1000)
    return config


@pytest.fixture
def cli(app):
    """Run a `flask` command in the test app: `cli("leads", "export", input=None)`."""
    runner = app.test_cli_runner()

    def run(*args, input=None):
        result = runner.invoke(args=list(args), input=input)
        # Click's `stdout` turns CRLF into LF: the file as written is in the bytes.
        result.written = result.stdout_bytes.decode("utf-8")
        return result

    return run


@pytest.fixture
def mail_app_config(app_config, smtp) -> dict:
    """`app_config` with mail sent to the loopback SMTP server and links on a public URL."""
    app_config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER="quiz@quiz.example",
        PUBLIC_URL=PUBLIC,
    )
    return app_config


@pytest.fixture
def app(request, app_config, tmp_path, monkeypatch):
    """A fresh app with an empty schema, on this test's backend."""
    for name in ("DATABASE_URL", "SECRET_KEY", "DATA_ENCRYPTION_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    application = create_app(app_config, instance_path=str(tmp_path / "instance"))
    with application.app_context():
        if db.engine.dialect.name == "sqlite":
            db.create_all()
        yield application
        if request.node.get_closest_marker("batched_events"):
            # Write what the test left buffered while its database is still there.
            services.flush_events(application)
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                tables = ", ".join(t.name for t in db.metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def questionnaire(app) -> Questionnaire:
    """The questionnaire the app loaded."""
    return runtime(app).questionnaire


@pytest.fixture
def make_clinic(app):
    """Factory: a stored clinic; keyword arguments override the defaults."""
    from quiz import services

    counter = iter(range(1, 10_000))

    def make(slug: str | None = None, **overrides):
        settings = overrides.pop("settings", None)
        branding = overrides.pop("branding", None)
        extra = {k: overrides.pop(k) for k in ("webhook_secret",) if k in overrides}
        clinic = services.create_clinic(
            slug or f"clinic-{next(counter)}",
            services.ClinicFields(overrides.pop("name", "Test Clinic"), **overrides),
        )
        if settings is not None or branding is not None or extra:
            clinic.settings = settings or {}
            clinic.branding = branding or {}
            for key, value in extra.items():
                setattr(clinic, key, value)
            db.session.commit()
        return clinic

    return make


@pytest.fixture
def visitor(app):
    """A cookie-less client that follows the quiz the way a browser with JS off does."""
    return Visitor(app.test_client(use_cookies=False))


@pytest.fixture
def admin_config(app):
    """Cheap hashing and no CSRF tokens to post; the CSRF tests switch it back on.

    Back-office modules use it with `pytestmark = pytest.mark.usefixtures("admin_config")`.
    pytest-flask builds `app` before any other fixture runs, so this sets the built app's
    config (both settings are read per request).
    """
    app.config["ARGON2_OPTIONS"] = FAST_ARGON2
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def make_user(app):
    """Factory: a stored account (admin by default; staff need a clinic)."""
    from quiz.services import users

    counter = iter(range(1, 10_000))

    def make(email=None, *, role="admin", clinic=None, password=STRONG):
        return users.create_user(
            email or f"user{next(counter)}@clinic.example", role, password, clinic=clinic
        )

    return make


@pytest.fixture
def sign_in(app):
    """Sign a new test client in as `user`; return the client."""

    def login(user, password=STRONG):
        client = app.test_client()
        response = client.post("/admin/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login


@pytest.fixture
def admin_client(make_user, sign_in):
    """A client signed in as an administrator."""
    return sign_in(make_user("admin@clinic.example"))


@pytest.fixture
def make_lead(app, questionnaire):
    """Factory: a stored lead for a clinic, through the same service the quiz uses."""
    from quiz import services
    from quiz.scoring import score
    from quiz.validation import Consent, Contact

    counter = iter(range(1, 1_000_000))

    def make(clinic, *, answers=None, name="Ada Lovelace", email=None, source=None, **kw):
        n = next(counter)
        result = score(questionnaire, answers or answer_everything(questionnaire))
        return services.record_assessment(
            clinic,
            result,
            contact=Contact(name, email or f"visitor{n}@example.com", kw.get("phone")),
            consent=Consent(True, True, kw.get("marketing", False)),
            source=source or {},
            language=kw.get("language", "en"),
            submission_id=kw.get("submission_id", f"run-{n}"),
        )

    return make


@pytest.fixture
def receiver():
    """An HTTP receiver on loopback that records what webhooks send it."""
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    """A real SMTP server on loopback that keeps what it receives, raw bytes included."""
    sink = SMTPSink().start()
    yield sink
    sink.stop()
