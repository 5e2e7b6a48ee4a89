"""Tests for quiz.theme: the per-clinic stylesheet of CSS custom properties."""

from __future__ import annotations

from quiz.extensions import db
from quiz.theme import theme_css, theme_url, theme_version


def test_stylesheet_serves_the_clinic_branding_as_custom_properties(client, make_clinic):
    make_clinic(
        "bright",
        branding={"primary": "#0b3d91", "font": '"Open Sans", sans-serif', "radius": 12},
    )
    response = client.get("/theme/bright.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "--brand: #0b3d91;" in css
    assert '--font: "Open Sans", sans-serif;' in css
    assert "--radius: 12px;" in css
    assert "--bg" not in css  # unset values fall back to quiz.css


def test_stylesheet_of_a_clinic_without_branding_is_an_empty_root_rule(client, make_clinic):
    make_clinic("plain")
    assert client.get("/theme/plain.css").get_data(as_text=True) == ":root {}\n"


def test_unknown_clinic_stylesheet_is_404(client):
    assert client.get("/theme/nobody.css").status_code == 404
    assert client.get("/theme/Not_A_Slug.css").status_code == 404


def test_stored_values_that_fail_the_checks_are_left_out_of_the_stylesheet(client, make_clinic):
    # Branding written around the form (by hand, or before a rule existed) is checked again.
    make_clinic(
        "tampered",
        branding={
            "primary": "#ffff00",
            "text": "red;} body{display:none",
            "font": "x;}*{color:red",
            "logo_url": 'https://x.example/a");}',
            "radius": 4,
        },
    )
    css = client.get("/theme/tampered.css").get_data(as_text=True)
    assert css == ":root {\n  --radius: 4px;\n}\n"


def test_versioned_url_is_cached_for_a_year_and_unversioned_briefly(app, client, make_clinic):
    clinic = make_clinic("cache", branding={"primary": "#0b3d91"})
    with app.test_request_context():
        url = theme_url(clinic)
    assert url == f"/theme/cache.css?v={theme_version(clinic)}"
    long = client.get(url)
    assert "immutable" in long.headers["Cache-Control"]
    assert "max-age=31536000" in long.headers["Cache-Control"]
    short = client.get("/theme/cache.css?v=stale")
    assert short.headers["Cache-Control"] == "public, max-age=300"


def test_version_changes_when_branding_changes_and_not_otherwise(make_clinic):
    clinic = make_clinic("versions", branding={"primary": "#0b3d91"})
    first = theme_version(clinic)
    clinic.name = "Renamed"
    assert theme_version(clinic) == first
    clinic.branding = {"primary": "#000000"}
    db.session.commit()
    assert theme_version(clinic) != first


def test_etag_lets_a_browser_revalidate_without_a_body(client, make_clinic):
    make_clinic("etag", branding={"radius": 2})
    first = client.get("/theme/etag.css")
    again = client.get("/theme/etag.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_muted_text_follows_the_checked_text_colour_on_a_dark_background():
    css = theme_css({"text": "#f5f5f5", "background": "#121212"})
    assert "--text: #f5f5f5;" in css
    assert "--bg: #121212;" in css
    assert "--muted: #f5f5f5;" in css


def test_logo_is_exposed_as_a_css_url():
    assert '--logo: url("/static/img/logo.png");' in theme_css({"logo_url": "/static/img/logo.png"})
