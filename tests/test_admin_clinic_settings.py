"""A clinic's branding, voice and webhook secret, edited in the back office and by command."""

from __future__ import annotations

import html
import math
import re

import pytest

from quiz.branding import contrast_ratio
from quiz.extensions import db
from quiz.models import AuditEntry, Clinic
from quiz.runtime import runtime
from tests.helpers import Visitor, answer_everything

pytestmark = pytest.mark.usefixtures("admin_config")


BASE = {
    "name": "Gamma Skin",
    "origins": "https://gamma.example",
    "language": "en",
    "contact_timing": "after",
}
BRANDING = {
    "brand_primary": "#5B2A86",
    "brand_on_primary": "#ffffff",
    "brand_text": "#222222",
    "brand_background": "#fffdf8",
    "brand_font": '"Open Sans",  Arial, sans-serif',
    "brand_radius": "12px",
}
# A browser sends every text field, empty or not (a field left out keeps its stored value).
CLEARED = {
    **{f"brand_{key}": "" for key in ("primary", "on_primary", "text", "background")},
    **{f"brand_{key}": "" for key in ("font", "radius", "logo_url")},
    "intro": "",
    "thanks": "",
}
_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


@pytest.fixture
def app_config(app_config):
    """No minimum fill time: a test client reaches the thank-you page faster than a person."""
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


@pytest.fixture
def gamma(make_clinic):
    """The clinic these tests edit."""
    return make_clinic("gamma", name="Gamma Skin", origins=["https://gamma.example"])


def stored(slug: str = "gamma") -> Clinic:
    """Read the clinic again from the database, not from the session's cache."""
    db.session.expire_all()
    return db.session.execute(db.select(Clinic).filter_by(slug=slug)).scalar_one()


def audit(action: str) -> list[AuditEntry]:
    query = db.select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


def img_src(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return next(part for part in csp.split(";") if part.strip().startswith("img-src")).strip()


# ------------------------------------------------------------------------------ branding


def test_branding_saved_from_the_form_is_kept_clean_and_served_in_the_theme(admin_client, gamma):
    response = admin_client.post("/admin/clinics/gamma", data={**BASE, **BRANDING})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored().branding == {
        "primary": "#5b2a86",
        "on_primary": "#ffffff",
        "text": "#222222",
        "background": "#fffdf8",
        "font": '"Open Sans", Arial, sans-serif',
        "radius": 12,
    }
    css = admin_client.get("/theme/gamma.css").get_data(as_text=True)
    assert "--brand: #5b2a86;" in css
    assert "--bg: #fffdf8;" in css
    assert "--radius: 12px;" in css
    # The embed page links the stylesheet, and the form shows what is stored.
    assert "/theme/gamma.css?v=" in admin_client.get("/embed/gamma").get_data(as_text=True)
    form = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert 'value="#5b2a86"' in form and 'value="12"' in form


def test_clearing_the_branding_fields_goes_back_to_the_quiz_defaults(admin_client, make_clinic):
    make_clinic("gamma", name="Gamma Skin", branding={"primary": "#5b2a86"})
    assert admin_client.post("/admin/clinics/gamma", data={**BASE, **CLEARED}).status_code == 302
    assert stored().branding == {}
    assert admin_client.get("/theme/gamma.css").get_data(as_text=True) == ":root {}\n"


def test_a_contrast_failure_names_the_ratio_beside_the_field_and_saves_nothing(admin_client, gamma):
    data = {**BASE, **BRANDING, "name": "Renamed", "brand_primary": "#ffff00"}
    response = admin_client.post("/admin/clinics/gamma", data=data)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    ratio = math.floor(contrast_ratio("#ffff00", "#ffffff") * 100) / 100
    assert f"contrast ratio of {ratio:.2f}:1" in page
    assert 'id="brand_primary-error"' in page  # beside the primary colour, not at the top
    assert 'value="#ffff00"' in page and 'value="Renamed"' in page  # what was typed is kept
    clinic = stored()
    assert clinic.branding in ({}, None)
    assert clinic.name == "Gamma Skin"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("brand_text", "red", "six hex digits"),
        ("brand_radius", "40", "from 0 to 24"),
        ("brand_font", "Arial; background: url(x)", "font names separated by commas"),
        ("brand_logo_url", "http://cdn.example/logo.png", "https://"),
    ],
)
def test_each_bad_branding_value_is_refused_beside_its_field(
    admin_client, gamma, field, value, message
):
    response = admin_client.post("/admin/clinics/gamma", data={**BASE, field: value})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f'id="{field}-error"' in page
    assert message in page
    assert stored().branding in ({}, None)


@pytest.mark.parametrize("field", ["name", "intro", "thanks", "booking_url"])
def test_a_nul_in_a_clinic_field_is_refused_beside_it_and_saves_nothing(admin_client, gamma, field):
    value = "https://gamma.example/\x00" if field == "booking_url" else "Gamma\x00 Skin"
    response = admin_client.post("/admin/clinics/gamma", data={**BASE, field: value})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f'id="{field}-error"' in page
    assert "Please remove the invisible NUL or broken characters from this text." in page
    clinic = stored()
    assert clinic.name == "Gamma Skin" and "\x00" not in str(clinic.settings)


# ------------------------------------------------------------------------------ logo


def test_the_logo_shows_in_the_quiz_header_and_only_its_pages_allow_its_host(
    admin_client, gamma, make_clinic
):
    make_clinic("other", name="Other Clinic")
    logo = "https://cdn.gamma.example/brand/logo.png"
    data = {**BASE, "brand_logo_url": logo}
    assert admin_client.post("/admin/clinics/gamma", data=data).status_code == 302
    page = admin_client.get("/embed/gamma")
    assert f'<img class="clinic-logo" src="{logo}" alt="Gamma Skin">' in page.get_data(as_text=True)
    assert img_src(page) == "img-src 'self' data: https://cdn.gamma.example"
    # Content pages share the layout, so they show it too.
    content_id = runtime(admin_client.application).questionnaire.content[0].id
    assert "https://cdn.gamma.example" in img_src(
        admin_client.get(f"/embed/gamma/content/{content_id}")
    )
    other = admin_client.get("/embed/other")
    assert "clinic-logo" not in other.get_data(as_text=True)
    assert img_src(other) == "img-src 'self' data:"
    assert img_src(admin_client.get("/admin/clinics/gamma")) == "img-src 'self' data:"


def test_a_logo_under_static_needs_no_wider_image_policy(admin_client, gamma):
    data = {**BASE, "brand_logo_url": "/static/logos/gamma.png"}
    assert admin_client.post("/admin/clinics/gamma", data=data).status_code == 302
    page = admin_client.get("/embed/gamma")
    assert 'src="/static/logos/gamma.png" alt="Gamma Skin"' in page.get_data(as_text=True)
    assert img_src(page) == "img-src 'self' data:"


def test_a_stored_logo_that_no_longer_passes_the_checks_is_not_drawn(app, make_clinic):
    make_clinic("gamma", name="Gamma Skin", branding={"logo_url": "javascript:alert(1)"})
    page = app.test_client().get("/embed/gamma")
    assert "clinic-logo" not in page.get_data(as_text=True)
    assert img_src(page) == "img-src 'self' data:"


# ------------------------------------------------------------------------------ voice


def _voice(questionnaire, hidden: list[str]) -> dict:
    return {
        **BASE,
        "intro": "Welcome to Gamma.\r\nThree minutes, no obligation.",
        "thanks": "Thank you! Our nurse Maria will call you.",
        "hidden_content": hidden,
    }


def test_voice_settings_change_the_intro_and_thanks_and_hide_content(
    admin_client, gamma, questionnaire
):
    answers = answer_everything(questionnaire)
    api = admin_client.post("/api/v1/assessments", json={"clinic": "gamma", "answers": answers})
    offered = [item["id"] for item in api.get_json()["content"]]
    assert offered, "the default answers lead to some content"
    hidden = offered[0]
    response = admin_client.post("/admin/clinics/gamma", data=_voice(questionnaire, [hidden]))
    assert response.status_code == 302, response.get_data(as_text=True)
    settings = stored().settings
    assert settings["intro"] == "Welcome to Gamma.\nThree minutes, no obligation."
    assert settings["hidden_content"] == [hidden]
    form = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert re.search(
        rf'value="{re.escape(hidden)}"[^>]* checked|checked[^>]*value="{hidden}"', form
    )

    visitor = Visitor(admin_client.application.test_client(use_cookies=False))
    visitor.open("gamma")
    assert "Welcome to Gamma." in visitor.text
    assert admin_client.get(f"/embed/gamma/content/{hidden}").status_code == 404
    visitor.start("gamma")
    visitor.finish_steps("gamma", answers)
    assert visitor.event() == "complete"
    assert f"/content/{hidden}" not in visitor.text
    after = admin_client.post("/api/v1/assessments", json={"clinic": "gamma", "answers": answers})
    assert hidden not in [item["id"] for item in after.get_json()["content"]]
    visitor.contact("gamma")
    assert visitor.event() == "lead", visitor.text[-2000:]
    assert "Our nurse Maria will call you." in html.unescape(visitor.text)


def test_voice_saving_keeps_settings_of_other_features(admin_client, make_clinic, questionnaire):
    make_clinic("gamma", name="Gamma Skin", settings={"intro": "Old", "other_feature": 3})
    assert admin_client.post("/admin/clinics/gamma", data={**BASE, **CLEARED}).status_code == 302
    assert stored().settings == {"other_feature": 3, "hidden_content": []}
    assert "Is mesotherapy right for you?" in admin_client.get("/embed/gamma").get_data(
        as_text=True
    )


def test_too_long_a_voice_text_is_refused_with_the_count_and_kept(admin_client, gamma):
    long_text = "x" * 1001
    data = {**BASE, "intro": "Short and fine.", "thanks": long_text}
    response = admin_client.post("/admin/clinics/gamma", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="thanks-error"' in page and "at most 1000 characters (this is 1001)" in page
    assert long_text in page and "Short and fine." in page
    assert not (stored().settings or {}).get("intro")


def test_unknown_content_ids_are_refused(admin_client, gamma):
    data = {**BASE, "hidden_content": ["no-such-page"]}
    response = admin_client.post("/admin/clinics/gamma", data=data)
    assert response.status_code == 422
    assert not (stored().settings or {}).get("hidden_content")


def test_saving_the_edit_page_unchanged_keeps_every_setting(admin_client, make_clinic):
    make_clinic(
        "gamma",
        name="Gamma Skin",
        origins=["https://gamma.example", "http://localhost:8000"],
        branding={"primary": "#5b2a86", "radius": 4},
        settings={"intro": "Hello.", "hidden_content": []},
    )
    page = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    fields = _form_values(page)
    assert fields["origins"] == "https://gamma.example\nhttp://localhost:8000"
    assert admin_client.post("/admin/clinics/gamma", data=fields).status_code == 302
    clinic = stored()
    assert clinic.origins == ["https://gamma.example", "http://localhost:8000"]
    assert clinic.branding == {"primary": "#5b2a86", "radius": 4}
    assert clinic.settings["intro"] == "Hello."


def _form_values(page: str) -> dict[str, str]:
    """The clinic form's text inputs, selects and textareas as a browser would post them."""
    start = page.rindex("<form", 0, page.index('name="name"'))
    form = page[start : page.index("</form>", start)]
    values = {
        m["name"]: html.unescape(m["value"])
        for m in re.finditer(
            r'<input[^>]*name="(?P<name>[^"]+)"[^>]*value="(?P<value>[^"]*)"', form
        )
        if 'type="checkbox"' not in m.group(0) and 'type="submit"' not in m.group(0)
    }
    for m in re.finditer(
        r'<textarea[^>]*name="(?P<name>[^"]+)"[^>]*>(?P<text>.*?)</textarea>', form, re.S
    ):
        values[m["name"]] = html.unescape(m["text"]).removeprefix("\r\n")
    for m in re.finditer(
        r'<select[^>]*name="(?P<name>[^"]+)"[^>]*>(?P<body>.*?)</select>', form, re.S
    ):
        chosen = re.search(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', m["body"]
        )
        values[m["name"]] = next(v for v in chosen.groups() if v is not None)
    return values


def test_the_new_clinic_form_leaves_branding_and_voice_for_the_edit_page(admin_client):
    page = admin_client.get("/admin/clinics/new").get_data(as_text=True)
    assert 'name="brand_primary"' not in page and 'name="intro"' not in page
    assert "signing secret" not in page


# ------------------------------------------------------------------------------ webhooks


def test_including_answers_in_webhooks_is_a_checkbox_explained_as_health_data(admin_client, gamma):
    page = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert "Include the answers in webhooks" in page and "health data" in page
    data = {**BASE, "webhook_include_answers": "y"}
    assert admin_client.post("/admin/clinics/gamma", data=data).status_code == 302
    assert stored().webhook_include_answers is True
    assert admin_client.post("/admin/clinics/gamma", data=BASE).status_code == 302
    assert stored().webhook_include_answers is False


def test_a_new_signing_secret_is_shown_once_stored_and_audited(admin_client, gamma):
    before = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert "No signing secret yet" in before
    response = admin_client.post("/admin/clinics/gamma/webhook-secret")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    shown = _SECRET.findall(page)
    assert len(set(shown)) == 1
    assert stored().webhook_secret == shown[0]
    assert "webhook-signature" in page and "HMAC-SHA256" in page
    after = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert "A signing secret is set" in after
    assert shown[0] not in after and not _SECRET.search(after)
    entries = audit("webhook_secret_rotated")
    assert [(e.actor, e.detail) for e in entries] == [("admin@clinic.example", {"clinic": "gamma"})]

    again = admin_client.post("/admin/clinics/gamma/webhook-secret").get_data(as_text=True)
    assert _SECRET.search(again).group(0) not in (shown[0], None)
    assert stored().webhook_secret == _SECRET.search(again).group(0)
    assert len(audit("webhook_secret_rotated")) == 2


def test_staff_cannot_reach_the_clinic_settings_or_rotate_the_secret(
    make_user, sign_in, make_clinic
):
    clinic = make_clinic("gamma", name="Gamma Skin", webhook_secret="whsec_old")
    staff = sign_in(make_user("staff@clinic.example", role="staff", clinic="gamma"))
    assert staff.get("/admin/clinics/gamma").status_code == 404
    assert staff.post("/admin/clinics/gamma/webhook-secret").status_code == 404
    assert stored(clinic.slug).webhook_secret == "whsec_old"
    assert audit("webhook_secret_rotated") == []


def test_rotating_without_the_form_token_is_refused(app, admin_client, make_clinic):
    make_clinic("gamma", name="Gamma Skin", webhook_secret="whsec_old")
    app.config["WTF_CSRF_ENABLED"] = True
    assert admin_client.post("/admin/clinics/gamma/webhook-secret").status_code == 400
    assert stored().webhook_secret == "whsec_old"
    assert audit("webhook_secret_rotated") == []


def test_rotating_the_secret_of_an_unknown_clinic_is_a_404(admin_client):
    assert admin_client.post("/admin/clinics/nowhere/webhook-secret").status_code == 404


def test_the_cli_prints_a_new_secret_once_and_audits_it(app, make_clinic):
    make_clinic("gamma", name="Gamma Skin", webhook_secret="whsec_old")
    result = app.test_cli_runner().invoke(args=["clinic", "webhook-secret", "gamma"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert _SECRET.fullmatch(secret)
    assert stored().webhook_secret == secret
    assert [(e.actor, e.detail) for e in audit("webhook_secret_rotated")] == [
        ("cli", {"clinic": "gamma"})
    ]


def test_the_cli_refuses_an_unknown_clinic_in_one_line(app):
    result = app.test_cli_runner().invoke(args=["clinic", "webhook-secret", "nowhere"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no clinic 'nowhere'"
    assert audit("webhook_secret_rotated") == []


def test_the_settings_page_offers_the_visitors_browser_and_saves_it_as_none(
    admin_client, make_clinic
):
    make_clinic("gamma", name="Gamma Skin", origins=["https://gamma.example"], language="de")
    page = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert re.search(r'<option value="">Visitor&#39;s browser</option>', page)
    data = {**BASE, "language": ""}
    assert admin_client.post("/admin/clinics/gamma", data=data).status_code == 302
    assert stored().language is None
    page = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert re.search(r'<option selected value="">Visitor&#39;s browser</option>', page)
    # The embed code generator names what "the clinic's language" now means.
    assert "The clinic's language (Visitor's browser)" in page
    assert admin_client.post("/admin/clinics/gamma", data={**BASE, "language": "es"}).status_code
    assert stored().language == "es"
