"""The app factory, configuration errors and /healthz."""

import subprocess
import sys
from pathlib import Path

from quiz.extensions import db


def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_unavailable_when_the_database_is_unreachable(app, client, tmp_path):
    db.engine.dispose()
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:////nonexistent-dir/quiz.db"
    # A fresh engine on a path that cannot be opened stands in for a dead server.
    from sqlalchemy import create_engine

    engines = app.extensions["sqlalchemy"]._app_engines[app]
    original = engines[None]
    engines[None] = create_engine("sqlite:////nonexistent-dir/quiz.db")
    try:
        response = client.get("/healthz")
    finally:
        engines[None] = original
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert b"We could not find that page" in response.data
    assert b"Traceback" not in response.data


def test_wrong_method_is_a_friendly_405_that_says_which_methods_are_allowed(client, make_clinic):
    make_clinic("demo")
    response = client.delete("/embed/demo", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert b"That method is not allowed here" in response.data
    # RFC 9110 15.5.6: a 405 names the methods the resource supports.
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_bad_configuration_exits_with_one_line_and_no_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LEAD_RETENTION_DAYS": "soon", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "clinic", "list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert proc.returncode == 1
    assert "LEAD_RETENTION_DAYS: expected a whole number" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_response_refuses_framing_by_default(client):
    response = client.get("/healthz")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
