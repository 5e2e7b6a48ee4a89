"""Request ids, structured log lines, the access line, ProxyFix and the /healthz probe."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re

import pytest
from flask import request

from quiz import create_app, observability
from quiz.config import ConfigError, load_config
from quiz.crypto import new_key
from quiz.extensions import csrf

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def observed_app(app):
    """The test app with logging and request ids set up, and two routes of its own."""
    observability.init_app(app)

    @app.post("/_test/log")
    @csrf.exempt
    def _log_something():
        logging.getLogger("quiz.test").warning("something worth a look")
        return {"ok": True}

    @app.get("/_test/boom")
    def _boom():
        raise RuntimeError("kaboom")

    @app.get("/_test/client")
    def _client():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return app


def json_lines(text: str) -> list[dict]:
    """Parse every line of captured stderr as JSON (each must be one)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def access_lines(text: str) -> list[dict]:
    return [entry for entry in json_lines(text) if entry["logger"] == "quiz.access"]


def test_response_carries_a_generated_request_id(observed_app):
    response = observed_app.test_client().get("/healthz")
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_each_request_gets_its_own_id(observed_app):
    client = observed_app.test_client()
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_sane_incoming_request_id_is_echoed(observed_app):
    response = observed_app.test_client().get("/healthz", headers={"X-Request-ID": "lb-7f3a.01_X"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.01_X"
    assert response.headers.getlist("X-Request-ID") == ["lb-7f3a.01_X"]


@pytest.mark.parametrize(
    "incoming",
    ["a" * 65, "has space", "semi;colon", "<script>", "ünïcode", "new\\nline", '"quoted"'],
)
def test_an_unsafe_incoming_request_id_is_replaced(observed_app, incoming):
    response = observed_app.test_client().get("/healthz", headers={"X-Request-ID": incoming})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_a_64_character_request_id_is_accepted():
    assert observability.request_id_from("a" * 64) == "a" * 64


def test_one_json_access_line_per_request_with_its_fields(observed_app, capsys):
    capsys.readouterr()
    response = observed_app.test_client().get("/healthz", buffered=True)
    lines = access_lines(capsys.readouterr().err)
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert {"time", "message"} <= line.keys()


def test_access_line_records_the_status_of_an_error(observed_app, capsys):
    capsys.readouterr()
    observed_app.test_client().get("/_test/nowhere", buffered=True)
    assert access_lines(capsys.readouterr().err)[0]["status"] == 404


def test_logs_written_during_a_request_carry_its_id(observed_app, capsys):
    capsys.readouterr()
    response = observed_app.test_client().post("/_test/log", json={}, buffered=True)
    entries = json_lines(capsys.readouterr().err)
    warning = next(e for e in entries if e["logger"] == "quiz.test")
    assert warning["message"] == "something worth a look"
    assert warning["level"] == "WARNING"
    assert warning["request_id"] == response.headers["X-Request-ID"]
    assert warning["method"] == "POST"
    assert warning["path"] == "/_test/log"


def test_logs_never_contain_bodies_or_query_strings(observed_app, capsys):
    capsys.readouterr()
    observed_app.test_client().post(
        "/_test/log?email=query.secret%40example.com",
        json={"contact": {"email": "body.secret@example.com", "name": "Grace Hopper"}},
        buffered=True,
    )
    err = capsys.readouterr().err
    assert "secret" not in err
    assert "Grace" not in err
    assert access_lines(err)[0]["path"] == "/_test/log"


def test_an_unhandled_error_is_logged_as_json_with_its_request_id(observed_app, capsys):
    capsys.readouterr()
    response = observed_app.test_client().get(
        "/_test/boom", headers={"Accept": "application/json"}, buffered=True
    )
    assert response.status_code == 500
    entries = json_lines(capsys.readouterr().err)
    error = next(e for e in entries if e["level"] == "ERROR")
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "RuntimeError: kaboom" in error["exception"]
    assert access_lines("\n".join(json.dumps(e) for e in entries))[0]["status"] == 500


def test_text_format_writes_readable_lines_with_request_fields(app_config, request, capsys):
    app_config["LOG_FORMAT"] = "text"
    app = request.getfixturevalue("app")
    observability.init_app(app)
    capsys.readouterr()
    response = app.test_client().get("/healthz", buffered=True)
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "quiz.access" in line)
    assert line.startswith("20")
    assert "INFO quiz.access: GET /healthz 200" in line
    assert f"request_id={response.headers['X-Request-ID']}" in line
    assert "status=200" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_logging_setup_is_not_duplicated_by_several_apps(observed_app, capsys):
    observability.configure_logging("json")
    observability.configure_logging("json")
    capsys.readouterr()
    logging.getLogger("quiz.test").warning("once")
    assert capsys.readouterr().err.count('"once"') == 1


@pytest.fixture
def restore_loggers():
    """Put every logger's disabled flag and the root handlers back after the test."""
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    disabled = {logger: logger.disabled for logger in loggers}
    handlers = list(logging.getLogger().handlers)
    yield
    for logger, flag in disabled.items():
        logger.disabled = flag
    logging.getLogger().handlers[:] = handlers


def test_an_app_built_after_a_logging_file_config_logs_again(app, capsys, restore_loggers):
    observability.init_app(app)
    # What Alembic's env.py does when migrations run in the same process.
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": True})
    assert logging.getLogger("quiz.access").disabled
    observability.configure_logging("json")
    capsys.readouterr()
    app.test_client().get("/healthz", buffered=True)
    assert len(access_lines(capsys.readouterr().err)) == 1


@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_headers_are_trusted_only_when_configured(app_config, tmp_path, proxies):
    app_config["TRUSTED_PROXIES"] = proxies
    application = create_app(app_config, instance_path=str(tmp_path / "instance"))
    observability.init_app(application)

    @application.get("/_test/client")
    def _client():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    body = (
        application.test_client()
        .get(
            "/_test/client",
            headers={
                "X-Forwarded-For": "203.0.113.9",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "quiz.example.com",
            },
        )
        .get_json()
    )
    if proxies:
        assert body == {"addr": "203.0.113.9", "scheme": "https", "host": "quiz.example.com"}
    else:
        assert body == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_only_the_last_trusted_hops_count_with_one_proxy(app_config, tmp_path):
    app_config["TRUSTED_PROXIES"] = 1
    application = create_app(app_config, instance_path=str(tmp_path / "instance"))
    observability.init_app(application)

    @application.get("/_test/client")
    def _client():
        return {"addr": request.remote_addr}

    response = application.test_client().get(
        "/_test/client", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    )
    # The client can prepend anything; only the hop our one proxy added is believed.
    assert response.get_json() == {"addr": "203.0.113.9"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_FORMAT", "xml"),
        ("LOG_LEVEL", "chatty"),
        ("TRUSTED_PROXIES", "-1"),
        ("TRUSTED_PROXIES", "two"),
        ("TRUSTED_PROXIES", "11"),
        ("DELIVERY_LEASE_SECONDS", "2"),
        ("DELIVERY_LEASE_SECONDS", "soon"),
        ("DELIVERY_LEASE_SECONDS", "3601"),
    ],
)
def test_bad_logging_and_proxy_settings_are_refused_by_name(tmp_path, name, value):
    env = {"SECRET_KEY": "k", "DATA_ENCRYPTION_KEY": new_key(), name: value}
    with pytest.raises(ConfigError, match=name):
        load_config(str(tmp_path), env)


def test_logging_and_proxy_settings_default_to_json_info_and_no_proxy(tmp_path):
    config = load_config(str(tmp_path), {"SECRET_KEY": "k", "DATA_ENCRYPTION_KEY": new_key()})
    assert (config["LOG_FORMAT"], config["LOG_LEVEL"], config["TRUSTED_PROXIES"]) == (
        "json",
        "INFO",
        0,
    )


def test_postgresql_urls_get_a_short_connect_timeout(tmp_path):
    env = {
        "SECRET_KEY": "k",
        "DATA_ENCRYPTION_KEY": new_key(),
        "DATABASE_URL": "postgresql://postgres@db.internal/quiz",
    }
    options = load_config(str(tmp_path), env)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"connect_timeout": 2}
    assert options["pool_pre_ping"] is True


def test_an_sqlite_without_returning_is_refused_at_start_with_its_version(tmp_path, monkeypatch):
    monkeypatch.setattr("quiz.config.sqlite3.sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr("quiz.config.sqlite3.sqlite_version", "3.31.1")
    env = {"SECRET_KEY": "k", "DATA_ENCRYPTION_KEY": new_key()}
    with pytest.raises(ConfigError, match=r"DATABASE_URL: .*SQLite is 3\.31\.1.*3\.35 or newer"):
        load_config(str(tmp_path), env)
    # PostgreSQL does not depend on the SQLite the Python was built with.
    env["DATABASE_URL"] = "postgresql://postgres@db.internal/quiz"
    assert load_config(str(tmp_path), env)["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def _app_for(database_url: str, tmp_path, monkeypatch):
    """An app built from the environment alone, as gunicorn would build it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new_key())
    return create_app(instance_path=str(tmp_path / "instance"))


def test_healthz_is_ok_when_the_database_answers(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_json_when_sqlite_cannot_be_opened(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a folder should be")
    application = _app_for(f"sqlite:///{blocker / 'quiz.db'}", tmp_path, monkeypatch)
    response = application.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL unset")
def test_healthz_is_503_json_when_postgresql_is_unreachable(tmp_path, monkeypatch):
    application = _app_for("postgresql://postgres@127.0.0.1:1/test", tmp_path, monkeypatch)
    client = application.test_client()
    for _ in range(2):  # the pool must not keep a broken state between probes
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable"}


def test_logs_outside_a_real_request_carry_no_request_fields(observed_app, capsys):
    capsys.readouterr()
    # CLI commands and workers build URLs in a test_request_context; that is no request.
    with observed_app.test_request_context("/"):
        logging.getLogger("quiz.test").warning("from a worker")
    entry = next(e for e in json_lines(capsys.readouterr().err) if e["logger"] == "quiz.test")
    assert entry["message"] == "from a worker"
    assert not {"request_id", "method", "path"} & entry.keys()


def test_the_development_servers_request_lines_carry_no_query_string(observed_app, capsys):
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    observability.configure_logging("json")
    server = make_server("127.0.0.1", 0, observed_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        capsys.readouterr()
        url = f"http://127.0.0.1:{server.port}/healthz?state=sealed.secret&utm_source=x"
        with urllib.request.urlopen(url) as response:  # nosec B310
            assert response.status == 200
    finally:
        server.shutdown()
        thread.join()
    err = capsys.readouterr().err
    lines = [e for e in json_lines(err) if e["logger"] == "werkzeug"]
    assert lines and "GET /healthz HTTP/1.1" in lines[0]["message"]
    assert "secret" not in err and "utm_source" not in err
