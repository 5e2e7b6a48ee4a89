"""Tests for quiz.branding: field checks and WCAG AA contrast of colour pairs."""

from __future__ import annotations

import pytest

from quiz.branding import AA_TEXT, DEFAULTS, check_branding, contrast_ratio


def test_contrast_ratio_of_black_on_white_is_21():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)


def test_contrast_ratio_is_symmetric_and_one_for_equal_colours():
    assert contrast_ratio("#1f5f8b", "#ffffff") == pytest.approx(
        contrast_ratio("#ffffff", "#1f5f8b")
    )
    assert contrast_ratio("#abcdef", "#abcdef") == pytest.approx(1.0)


def test_contrast_ratio_matches_the_published_value_for_grey_777():
    # #777777 on white is the well-known near miss: 4.48:1.
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_defaults_pass_aa():
    assert contrast_ratio(DEFAULTS["primary"], DEFAULTS["on_primary"]) >= AA_TEXT
    assert contrast_ratio(DEFAULTS["text"], DEFAULTS["background"]) >= AA_TEXT


def test_empty_or_missing_branding_is_clean_and_empty():
    assert check_branding(None) == ({}, {})
    assert check_branding({}) == ({}, {})
    assert check_branding({"primary": "", "font": "  ", "radius": None}) == ({}, {})


def test_valid_branding_is_normalised():
    clean, errors = check_branding(
        {
            "primary": "#0B3D91",
            "on_primary": "#FFFFFF",
            "text": "#111111",
            "background": "#fafafa",
            "font": ' "Open  Sans" ,Arial,  sans-serif ',
            "radius": "12px",
            "logo_url": "https://clinic.example/logo.svg",
        }
    )
    assert errors == {}
    assert clean == {
        "primary": "#0b3d91",
        "on_primary": "#ffffff",
        "text": "#111111",
        "background": "#fafafa",
        "font": '"Open Sans", Arial, sans-serif',
        "radius": 12,
        "logo_url": "https://clinic.example/logo.svg",
    }


@pytest.mark.parametrize(
    "value", ["#fff", "1f5f8b", "#1f5f8g", "red", "#1f5f8b;", 123, "#000000\nx"]
)
def test_a_colour_that_is_not_six_hex_digits_is_refused(value):
    clean, errors = check_branding({"text": value})
    assert "text" not in clean
    assert "six hex digits" in errors["text"][0]


def test_primary_that_fails_contrast_with_default_white_text_is_refused_naming_the_ratio():
    clean, errors = check_branding({"primary": "#ffff00"})
    assert clean == {}
    message = errors["primary"][0]
    assert "1.07:1" in message
    assert "4.5:1" in message
    assert "#ffff00" in message and "#ffffff" in message


def test_text_on_background_below_aa_is_refused_and_both_colours_dropped():
    clean, errors = check_branding({"text": "#777777", "background": "#ffffff", "radius": 4})
    assert clean == {"radius": 4}
    assert "4.47:1" in errors["text"][0]  # rounded down, never shown as 4.5


def test_a_pair_that_passes_together_is_accepted_even_when_each_fails_the_default():
    clean, errors = check_branding({"text": "#f5f5f5", "background": "#121212"})
    assert errors == {}
    assert clean == {"text": "#f5f5f5", "background": "#121212"}


def test_a_pair_with_one_invalid_colour_is_dropped_without_a_contrast_message():
    clean, errors = check_branding({"primary": "#000000", "on_primary": "nope"})
    assert clean == {}
    assert list(errors) == ["on_primary"]


@pytest.mark.parametrize(
    "font",
    ["Arial; color: red", "a{}", "Comic_Sans", '"Open Sans', "Arial,", "url(x)", "x" * 201, 5],
)
def test_a_font_stack_with_unsafe_characters_or_shape_is_refused(font):
    clean, errors = check_branding({"font": font})
    assert "font" not in clean
    assert errors["font"]


def test_font_names_in_other_scripts_are_letters_too():
    clean, errors = check_branding({"font": "'Noto Sans JP', Zapfino, Öffentlich-Sans"})
    assert errors == {}
    assert clean["font"] == "'Noto Sans JP', Zapfino, Öffentlich-Sans"


@pytest.mark.parametrize("radius,expected", [(0, 0), (24, 24), ("8", 8), ("16px", 16)])
def test_radius_from_zero_to_24_pixels_is_accepted(radius, expected):
    assert check_branding({"radius": radius}) == ({"radius": expected}, {})


@pytest.mark.parametrize("radius", [-1, 25, "25px", "8em", 1.5, True, "1e2"])
def test_radius_outside_the_range_or_not_whole_pixels_is_refused(radius):
    clean, errors = check_branding({"radius": radius})
    assert clean == {}
    assert "0 to 24" in errors["radius"][0]


@pytest.mark.parametrize(
    "url", ["/static/img/logo.png", "https://cdn.clinic.example/a/logo.svg?v=2"]
)
def test_logo_url_over_https_or_under_static_is_accepted(url):
    assert check_branding({"logo_url": url}) == ({"logo_url": url}, {})


@pytest.mark.parametrize(
    "url",
    [
        "http://clinic.example/logo.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "/static/../quiz.db",
        "//evil.example/logo.png",
        "/uploads/logo.png",
        'https://clinic.example/a").foo{',
        "https://user:pw@clinic.example/logo.png",
        "https://clinic.example/a b.png",
        "https://" + "a" * 500 + ".example/",
    ],
)
def test_logo_url_that_is_not_https_or_static_or_could_break_css_is_refused(url):
    clean, errors = check_branding({"logo_url": url})
    assert clean == {}
    assert errors["logo_url"]


def test_unknown_fields_and_non_objects_are_reported():
    assert check_branding({"colour": "#000000"})[1] == {"colour": ["Unknown branding field."]}
    assert check_branding(["primary"])[1] == {"branding": ["Must be an object."]}
