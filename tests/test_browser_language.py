"""A clinic without a language of its own shows the quiz in the visitor's browser's language."""

from __future__ import annotations

import re
import sqlite3

import pytest

from quiz.extensions import db
from quiz.models import Clinic, Lead
from tests.helpers import CONTACT, Visitor, answer_everything, flask_process

_HTML_LANG = re.compile(r'<html lang="([a-z]+)"')


@pytest.fixture
def app_config(app_config):
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


def _lang(response) -> str:
    return _HTML_LANG.search(response.get_data(as_text=True)).group(1)


def _varies(response) -> bool:
    return "accept-language" in {v.lower() for v in response.vary}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("es-ES,es;q=0.9,en;q=0.5", "es"),
        ("de-AT", "de"),
        ("fr-FR,ja;q=0.8,de;q=0.3", "de"),
        ("fr, ja", "en"),
        (None, "en"),
    ],
)
def test_a_clinic_without_a_language_follows_the_browser_then_english(
    client, make_clinic, accept, expected
):
    make_clinic("sinidioma")
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/embed/sinidioma", headers=headers)
    assert response.status_code == 200
    assert _lang(response) == expected
    # A shared cache must not give this page to a browser asking for another language.
    assert _varies(response)


def test_the_intro_cache_keeps_one_render_per_browser_language(client, make_clinic):
    make_clinic("sinidioma")
    spanish = client.get("/embed/sinidioma", headers={"Accept-Language": "es"})
    german = client.get("/embed/sinidioma", headers={"Accept-Language": "de"})
    assert "¿Es la mesoterapia adecuada para usted?" in spanish.get_data(as_text=True)
    assert "Ist Mesotherapie das Richtige für Sie?" in german.get_data(as_text=True)


def test_a_clinic_language_or_lang_wins_over_the_browser_and_does_not_vary(client, make_clinic):
    make_clinic("praxis", language="de")
    make_clinic("sinidioma")
    chosen = client.get("/embed/praxis", headers={"Accept-Language": "es"})
    assert _lang(chosen) == "de" and not _varies(chosen)
    asked = client.get("/embed/sinidioma?lang=es", headers={"Accept-Language": "de"})
    assert _lang(asked) == "es" and not _varies(asked)
    fallback = client.get("/embed/praxis?lang=xx", headers={"Accept-Language": "es"})
    assert _lang(fallback) == "de"


def test_the_language_picked_at_the_intro_stays_for_the_whole_run(app, make_clinic, questionnaire):
    make_clinic("sinidioma")
    visitor = Visitor(app.test_client(use_cookies=False))
    visitor.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    visitor.open("sinidioma")
    # The browser's preference changing halfway (another device, a proxy) changes nothing.
    visitor.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    visitor.start("sinidioma")
    assert _lang(visitor.page) == "es"
    visitor.finish_steps("sinidioma", answer_everything(questionnaire))
    assert _lang(visitor.page) == "es"
    visitor.contact("sinidioma")
    assert visitor.page.status_code == 200
    lead = db.session.execute(db.select(Lead)).scalar_one()
    assert lead.language == "es" and lead.email == CONTACT["email"]


def test_the_api_uses_the_same_picker(client, make_clinic, questionnaire):
    make_clinic("sinidioma")
    make_clinic("praxis", language="de")
    quiz = client.get("/api/v1/quiz?clinic=sinidioma", headers={"Accept-Language": "es"})
    assert quiz.json["language"] == "es" and _varies(quiz)
    assert client.get("/api/v1/quiz?clinic=praxis", headers={"Accept-Language": "es"}).json[
        "language"
    ] == ("de")
    asked = client.get("/api/v1/quiz?clinic=sinidioma&lang=de", headers={"Accept-Language": "es"})
    assert asked.json["language"] == "de"
    answers = answer_everything(questionnaire)
    assessed = client.post(
        "/api/v1/assessments",
        json={"clinic": "sinidioma", "answers": answers},
        headers={"Accept-Language": "de"},
    )
    assert assessed.status_code == 200
    outcome = assessed.json["outcome"]
    assert outcome["title"] == questionnaire.outcome(outcome["id"]).title.get("de")
    assert outcome["title"] != questionnaire.outcome(outcome["id"]).title.get("en")
    assert _varies(assessed)


def test_clinic_create_without_language_stores_none_and_list_says_so(cli):
    result = cli("clinic", "create", "sinidioma", "--name", "Sin Idioma")
    assert result.exit_code == 0, result.output
    clinic = db.session.execute(db.select(Clinic).filter_by(slug="sinidioma")).scalar_one()
    assert clinic.language is None
    listed = cli("clinic", "list")
    assert "sinidioma\tSin Idioma\t-\t" in listed.stdout


def test_the_upgrade_keeps_existing_languages_and_allows_none(tmp_path):
    home = tmp_path / "upgrade"
    home.mkdir()
    assert flask_process(home, "db", "upgrade", "0006_invites_notify").returncode == 0
    with sqlite3.connect(home / "quiz.db") as connection:
        for slug, language in (("old-en", "en"), ("old-de", "de")):
            connection.execute(
                "INSERT INTO clinics (slug, name, origins, language, contact_timing,"
                " webhook_include_answers, branding, settings, created_at)"
                " VALUES (?, ?, '[]', ?, 'after', 0, '{}', '{}', '2026-01-01 00:00:00')",
                (slug, slug, language),
            )
    upgrade = flask_process(home, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(home / "quiz.db") as connection:
        rows = dict(connection.execute("SELECT slug, language FROM clinics"))
        connection.execute("UPDATE clinics SET language = NULL WHERE slug = 'old-en'")
    assert rows == {"old-en": "en", "old-de": "de"}
    downgrade = flask_process(home, "db", "downgrade", "0006_invites_notify")
    assert downgrade.returncode == 0, downgrade.stderr
    with sqlite3.connect(home / "quiz.db") as connection:
        rows = dict(connection.execute("SELECT slug, language FROM clinics"))
    assert rows == {"old-en": "en", "old-de": "de"}
