"""The quiz's public origin: PUBLIC_URL, else the request's, else where `make run` serves."""

from __future__ import annotations

import contextvars

from quiz.services import users
from quiz.urls import FALLBACK_PUBLIC_URL, public_url
from tests.helpers import FAST_ARGON2, STRONG


def outside_any_request(app, work):
    """Run `work` as a command or the delivery worker would: an app context, no request.

    pytest-flask pushes a request context around every test; a fresh context has none.
    """

    def run():
        with app.app_context():
            return work()

    return contextvars.Context().run(run)


def test_without_public_url_a_request_gives_its_own_origin(app):
    with app.test_request_context("/admin/clinics", base_url="https://clinic-quiz.example:8443"):
        assert public_url() == "https://clinic-quiz.example:8443"


def test_without_a_request_or_public_url_the_development_address_is_used(app):
    assert outside_any_request(app, public_url) == FALLBACK_PUBLIC_URL == "http://127.0.0.1:5000"


def test_public_url_wins_in_a_request_and_outside_one(app):
    app.config["PUBLIC_URL"] = "https://quiz.example.org/"
    assert outside_any_request(app, public_url) == "https://quiz.example.org"
    with app.test_request_context("/", base_url="http://10.0.0.5"):
        assert public_url() == "https://quiz.example.org"


def create_omega(app) -> str:
    runner = app.test_cli_runner()
    result = outside_any_request(
        app, lambda: runner.invoke(args=["clinic", "create", "omega", "--name", "Omega"])
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_cli_snippet_is_on_public_url(app):
    app.config["PUBLIC_URL"] = "https://quiz.example.org"
    output = create_omega(app)
    assert '<script src="https://quiz.example.org/static/embed.js" data-clinic="omega"' in output


def test_the_cli_snippet_without_public_url_points_at_the_development_server(app):
    assert 'src="http://127.0.0.1:5000/static/embed.js"' in create_omega(app)


def test_the_back_office_snippet_is_on_the_origin_the_admin_used(app, make_clinic):
    app.config.update(ARGON2_OPTIONS=FAST_ARGON2, WTF_CSRF_ENABLED=False)
    make_clinic("omega")
    users.create_user("admin@clinic.example", "admin", STRONG)
    client = app.test_client()
    base = "https://office.example:8443"
    login = {"email": "admin@clinic.example", "password": STRONG}
    assert client.post("/admin/login", data=login, base_url=base).status_code == 302
    page = client.get("/admin/clinics/omega", base_url=base).get_data(as_text=True)
    assert "https://office.example:8443/static/embed.js" in page
