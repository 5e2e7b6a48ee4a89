"""Interface languages: complete catalogues, the locale selection order and translated pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from quiz.extensions import db
from quiz.i18n import SUPPORTED
from quiz.messages import N_
from quiz.models import Clinic, Lead, User
from tests.claims import find_claims
from tests.helpers import STRONG, Visitor, answer_everything

pytestmark = pytest.mark.usefixtures("admin_config")

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "quiz" / "translations"
# The same extraction as `make i18n-extract` (babel.cfg): Python code and Jinja templates.
KEYWORDS = {"_": None, "gettext": None, "_l": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
_HTML_LANG = re.compile(r'<html lang="([a-z]+)"')


def _current_strings() -> dict[str, set[str]]:
    """Every msgid in the code and templates now, with the files it appears in."""
    found: dict[str, set[str]] = {}
    # Babel skips folders starting with "_" inside the ones it walks: name _macros itself.
    for folder in ("quiz", "templates", "templates/_macros"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHODS, keywords=KEYWORDS
        ):
            msgid = _forms(message)[0]
            if msgid:
                found.setdefault(msgid, set()).add(f"{folder}/{filename}")
    return found


def _forms(value) -> tuple[str, ...]:
    """A message's text as a tuple: one form, or the singular and plural forms."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("language", ["de", "es"])
def test_every_interface_string_has_a_finished_translation(language):
    catalogue = _catalogue(language)
    missing = []
    for msgid, _files in sorted(_current_strings().items()):
        message = catalogue.get(msgid)
        if message is None or message.fuzzy or not all(_forms(message.string)):
            missing.append(msgid)
    assert not missing, f"untranslated in {language} (run make i18n-update): {missing}"


@pytest.mark.parametrize("language", ["de", "es"])
def test_translations_keep_every_placeholder_of_the_english(language):
    for message in _catalogue(language):
        if message.id and message.string:
            wanted = sorted(_PLACEHOLDER.findall(_forms(message.id)[-1]))
            for form in _forms(message.string):
                assert sorted(_PLACEHOLDER.findall(form)) == wanted, message.id


@pytest.mark.parametrize("language", ["de", "es"])
def test_compiled_catalogue_matches_its_po_file(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with open(folder / "messages.mo", "rb") as fh:
        compiled = {_forms(m.id): _forms(m.string) for m in read_mo(fh) if m.id}
    source = {
        _forms(m.id): _forms(m.string)
        for m in _catalogue(language)
        if m.id and m.string and not m.fuzzy
    }
    assert compiled == source, "the .mo is stale: run make i18n-compile"


@pytest.mark.parametrize("language", ["de", "es"])
def test_translations_make_no_forbidden_claim(language):
    hits = [
        (m.id, find_claims(form)) for m in _catalogue(language) if m.id for form in _forms(m.string)
    ]
    assert [hit for hit in hits if hit[1]] == []


def test_a_marked_message_reads_as_english_and_translates_with_its_values(app):
    message = N_("Must be at most %(limit)d characters.", limit=200)
    assert message == "Must be at most 200 characters."
    from quiz.i18n import translate

    with app.app_context(), app.test_request_context("/?lang=de"):
        assert translate(message) == "Darf höchstens 200 Zeichen lang sein."
        assert translate("Unknown field.") == "Unbekanntes Feld."
    with app.app_context(), app.test_request_context("/?lang=fr"):
        assert translate(message) == "Must be at most 200 characters."


# --------------------------------------------------------------------------- selection order


def _lang(response) -> str:
    return _HTML_LANG.search(response.get_data(as_text=True)).group(1)


def test_lang_parameter_beats_the_clinic_language_on_the_quiz(client, make_clinic):
    make_clinic("clinica", language="es")
    response = client.get("/embed/clinica?lang=de", headers={"Accept-Language": "en"})
    assert _lang(response) == "de"
    assert "Ist Mesotherapie das Richtige für Sie?" in response.get_data(as_text=True)


def test_clinic_language_beats_the_browser_on_the_quiz(client, make_clinic):
    make_clinic("clinica", language="es")
    response = client.get("/embed/clinica", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert _lang(response) == "es"
    assert "¿Es la mesoterapia adecuada para usted?" in response.get_data(as_text=True)


def test_unsupported_lang_parameter_falls_back_to_the_clinic_language(client, make_clinic):
    make_clinic("praxis", language="de")
    assert _lang(client.get("/embed/praxis?lang=xx")) == "de"


def test_browser_language_chooses_the_back_office_language(client):
    german = client.get("/admin/login", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    assert _lang(german) == "de"
    assert _lang(client.get("/admin/login", headers={"Accept-Language": "fr, ja"})) == "en"
    assert _lang(client.get("/admin/login?lang=de", headers={"Accept-Language": "en"})) == "de"


def test_error_pages_follow_the_browser_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    assert _lang(response) == "es"
    assert "No hemos encontrado esa página." in response.get_data(as_text=True)


def test_unknown_clinic_page_follows_the_lang_parameter(client):
    response = client.get("/embed/nobody?lang=de")
    assert response.status_code == 404
    assert "Diese Seite haben wir nicht gefunden." in response.get_data(as_text=True)


def test_english_stays_the_default(client, make_clinic):
    make_clinic("acme")
    response = client.get("/embed/acme")
    assert _lang(response) == "en"
    assert "Is mesotherapy right for you?" in response.get_data(as_text=True)
    assert set(SUPPORTED) == {"en", "de", "es"}


# --------------------------------------------------------------------------- a whole visit


@pytest.fixture
def app_config(app_config):
    """No minimum fill time: a test client is faster than any person."""
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


@pytest.fixture
def visitor(app):
    """A cookie-less client whose browser asks for English, to show it is not what decides."""
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    return Visitor(client)


def _required_single(questionnaire, step_index: int) -> str:
    step = questionnaire.steps[step_index]
    return next(
        q.id for q in questionnaire.step_questions(step) if q.required and q.type == "single"
    )


def test_spanish_clinic_visitor_sees_spanish_from_intro_to_thanks(
    visitor, make_clinic, questionnaire
):
    make_clinic("clinica", name="Clínica Sol", language="es", phone="+34 600 000 000")
    answers = answer_everything(questionnaire)

    visitor.open("clinica")
    assert _lang(visitor.page) == "es" and "Empezar" in visitor.text

    visitor.start("clinica")
    assert _lang(visitor.page) == "es"
    assert re.search(r"Paso 1 de hasta \d+", visitor.text) and "Siguiente" in visitor.text

    # A missing answer: the step comes back with Spanish messages and summary.
    first = [qid for qid in visitor.fields() if qid != _required_single(questionnaire, 0)]
    response = visitor.answer("clinica", {qid: answers[qid] for qid in first})
    assert response.status_code == 422
    assert "Revise sus respuestas" in visitor.text
    assert "Elija una respuesta." in visitor.text and "Error:" in visitor.text

    visitor.finish_steps("clinica", answers)
    assert visitor.event() == "complete"
    assert "Su resultado" in visitor.text and "Enviar mis datos" in visitor.text
    assert "no un consejo médico ni un diagnóstico" in visitor.text
    assert "Acepto que Clínica Sol me contacte" in visitor.text

    response = visitor.contact("clinica", email="not-an-email", consent_health=None)
    assert response.status_code == 422
    assert "Indique una dirección de correo electrónico válida" in visitor.text
    assert "Solo podemos guardar sus respuestas si acepta que las tratemos." in visitor.text

    response = visitor.contact("clinica")
    assert response.status_code == 200
    assert "Gracias" in visitor.text and "Clínica Sol ha recibido sus datos" in visitor.text
    assert "También puede llamar a Clínica Sol al" in visitor.text
    assert 'href="tel:+34600000000"' in visitor.text  # the link survives the translation
    [lead] = db.session.execute(db.select(Lead)).scalars()
    assert lead.language == "es"


def test_language_chosen_on_the_intro_is_kept_on_every_later_page(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", language="en")
    visitor.open("acme", lang="de")
    visitor.start("acme")
    assert _lang(visitor.page) == "de" and "Schritt 1 von" in visitor.text
    visitor.finish_steps("acme", answer_everything(questionnaire))
    assert _lang(visitor.page) == "de" and "Ihr Ergebnis" in visitor.text
    visitor.contact("acme")
    assert "Vielen Dank" in visitor.text
    [lead] = db.session.execute(db.select(Lead)).scalars()
    assert lead.language == "de"


def test_restart_page_speaks_the_clinic_language(visitor, make_clinic):
    make_clinic("praxis", language="de")
    visitor.open("praxis")
    response = visitor.client.post("/embed/praxis/step", data={"state": "tampered"})
    assert response.status_code == 400
    assert "Bitte beginnen Sie von vorn" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- back office


@pytest.fixture
def german_admin(make_user, sign_in):
    """An administrator whose browser prefers German."""
    client = sign_in(make_user("admin@clinic.example"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9,en;q=0.4"
    return client


def test_back_office_in_german_writes_dates_and_counts_the_german_way(
    german_admin, make_clinic, make_lead
):
    lead = make_lead(make_clinic("praxis", name="Praxis Nord"), name="Erika Muster")
    lead.created_at = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    db.session.commit()
    page = german_admin.get("/admin/leads")
    html = page.get_data(as_text=True)
    assert _lang(page) == "de"
    assert "<h1>Anfragen</h1>" in html and "1 Anfrage" in html
    assert ">04.03.26, 05:06</time>" in html
    assert "Sortieren nach" in html  # a form label from Python code
    detail = german_admin.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    assert "Eingegangen" in detail and "04.03.26, 05:06 UTC" in detail

    german_admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = german_admin.get("/admin/leads").get_data(as_text=True)
    assert "<h1>Leads</h1>" in html and re.search(r"\b1 lead\b", html)
    assert ">3/4/26, 5:06\u202fAM</time>" in html  # CLDR puts a narrow space before AM


def test_back_office_percentages_follow_the_language(german_admin, make_clinic):
    from quiz import services

    clinic = make_clinic("praxis")
    for kind in ("view", "view", "start"):
        services.record_event(clinic, kind, source={})
    german = german_admin.get("/admin/analytics").get_data(as_text=True)
    assert "<h1>Auswertung</h1>" in german and "50,0\xa0%" in german
    german_admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = german_admin.get("/admin/analytics").get_data(as_text=True)
    assert "50.0%" in english and "50,0\xa0%" not in english


def test_back_office_messages_follow_the_language(german_admin):
    german_admin.post("/admin/logout")
    page = german_admin.get("/admin/login").get_data(as_text=True)
    assert "Sie sind abgemeldet." in page and "Passwort" in page
    response = german_admin.post("/admin/login", data={"email": "", "password": ""})
    assert "Geben Sie Ihre E-Mail-Adresse und Ihr Passwort ein." in response.get_data(as_text=True)


def test_german_back_office_gives_the_password_rules_in_german(german_admin):
    response = german_admin.post(
        "/admin/password", data={"current": STRONG, "new": "short", "confirm": "short"}
    )
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert (
        "Passwort: Verwenden Sie mindestens 12 Zeichen. "
        "Kombinieren Sie mindestens zwei Arten von Zeichen" in html
    )
    assert "Use at least" not in html


def test_german_back_office_refuses_an_invitation_in_german_and_keeps_the_input(german_admin):
    response = german_admin.post(
        "/admin/users", data={"email": "neu@praxis.example", "role": "staff", "clinic": ""}
    )
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Konten für Mitarbeitende brauchen eine Praxis" in html
    assert "staff accounts need a clinic" not in html
    assert 'value="neu@praxis.example"' in html  # what they typed is kept
    assert db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one() == 1


def test_german_back_office_names_a_bad_clinic_setting_in_german(german_admin, make_clinic):
    make_clinic("praxis", name="Praxis Nord", origins=["https://praxis.example"])
    form = {"slug": "praxis", "name": "Praxis Nord", "language": "de", "contact_timing": "after"}
    response = german_admin.post(
        "/admin/clinics/praxis", data={**form, "origins": "praxis.example/pfad"}
    )
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Website 'praxis.example/pfad': erwartet wird http(s)://host[:port]" in html
    assert "expected http(s)" not in html

    # A voice text's problem comes back beside its field, also in German.
    response = german_admin.post(
        "/admin/clinics/praxis",
        data={**form, "origins": "https://praxis.example", "intro": "x" * 1001},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Darf höchstens 1000 Zeichen lang sein (dieser Text hat 1001)." in html
    clinic = db.session.execute(db.select(Clinic).filter_by(slug="praxis")).scalar_one()
    db.session.refresh(clinic)
    assert clinic.origins == ["https://praxis.example"]  # nothing was saved
    assert "intro" not in (clinic.settings or {})


def test_a_refused_sign_in_is_explained_in_the_browsers_language(app, client):
    response = client.post(
        "/admin/login",
        data={"email": "nobody@clinic.example", "password": "wrong-password-123"},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    assert response.status_code == 401
    page = unescape(response.get_data(as_text=True))
    assert "passen zu keinem aktiven Konto" in page
    assert "do not match an active account" not in page


def test_a_low_contrast_branding_error_is_translated(app):
    from quiz.branding import check_branding
    from quiz.i18n import translate, use_language

    _, errors = check_branding({"primary": "#ffff00", "on_primary": "#ffffff"})
    message = errors["primary"][0]
    assert message.startswith("#ffffff on #ffff00 has a contrast ratio of")
    with app.test_request_context("/"):
        use_language("es")
        assert translate(message).startswith(
            "#ffffff sobre #ffff00 tiene una relación de contraste"
        )
