"""The embed snippets: one per mode, in the clinic's language and colours, from `clinic create`
and the back office's generator, which names bad choices and keeps valid defaults."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from quiz import services, snippets
from quiz.snippets import RESERVED_HEIGHT, EmbedOptions, SnippetTexts, check_options, render

pytestmark = pytest.mark.usefixtures("admin_config")


ROOT = Path(__file__).resolve().parent.parent
TEXTS = SnippetTexts(title="Title", label="Label", close="Close", link="Take it")
LANGUAGES = ("en", "de", "es")


class Tags(HTMLParser):
    """Every start tag of a fragment with its attributes, in order."""

    def __init__(self, fragment: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def first(self, tag: str) -> dict[str, str | None]:
        return next(attrs for name, attrs in self.tags if name == tag)


def script_of(snippet: str) -> dict[str, str | None]:
    return Tags(snippet).first("script")


# The pure part: options in, HTML out.


def test_inline_snippet_reserves_the_first_screen_in_a_wrapper_and_on_the_script():
    snippet = render("acme", "https://quiz.example/", EmbedOptions(), TEXTS)
    tags = Tags(snippet)
    wrapper = tags.first("div")
    assert "data-quiz-slot" in wrapper
    assert wrapper["style"] == f"min-height:{RESERVED_HEIGHT}px"
    script = tags.first("script")
    assert script["src"] == "https://quiz.example/static/embed.js"
    assert script["data-clinic"] == "acme"
    assert script["data-height"] == str(RESERVED_HEIGHT)
    assert "data-mode" not in script and "async" in script
    assert tags.first("a")["href"] == "https://quiz.example/embed/acme"
    assert snippet.index("<noscript>") < snippet.index("</div>")


def test_the_reserved_height_follows_the_option_in_both_places():
    snippet = render("acme", "https://q.example", EmbedOptions(height=900), TEXTS)
    assert script_of(snippet)["data-height"] == "900"
    assert Tags(snippet).first("div")["style"] == "min-height:900px"


def test_popup_snippet_carries_its_triggers_and_a_link_that_opens_it():
    options = EmbedOptions(mode="popup", open_after=20, open_on_exit=True, show_once=True)
    snippet = render("acme", "https://q.example", options, TEXTS)
    script = script_of(snippet)
    assert script["data-mode"] == "popup"
    assert script["data-open-after"] == "20"
    assert script["data-open-on"] == "exit"
    assert "data-show-once" in script
    assert script["data-title"] == "Title" and script["data-close-label"] == "Close"
    assert "data-height" not in script and "data-label" not in script
    link = Tags(snippet).first("a")
    assert link["data-quiz-open"] == "acme" and link["href"] == "https://q.example/embed/acme"
    assert "<div" not in snippet  # a closed popup takes no room on the page


def test_button_snippet_carries_label_corner_and_branded_colours():
    options = EmbedOptions(mode="button", label="Am I suitable?", position="left")
    script = script_of(render("acme", "https://q.example", options, TEXTS, ("#5a2d82", "#ffffff")))
    assert script["data-mode"] == "button"
    assert script["data-label"] == "Am I suitable?"
    assert script["data-position"] == "left"
    assert (script["data-color"], script["data-text-color"]) == ("#5a2d82", "#ffffff")
    defaults = script_of(render("acme", "https://q.example", EmbedOptions(mode="button"), TEXTS))
    assert defaults["data-label"] == "Label"
    assert not {"data-position", "data-color", "data-text-color"} & set(defaults)


def test_attribute_values_are_escaped():
    options = EmbedOptions(mode="button", label='"><script>x</script>')
    snippet = render("acme", "https://q.example", options, TEXTS)
    assert "<script>x" not in snippet
    assert script_of(snippet)["data-label"] == '"><script>x</script>'


def test_check_options_reads_the_generators_fields():
    options, errors = check_options(
        {
            "mode": "button",
            "height": "700",
            "label": "  Free   check  ",
            "position": "left",
            "open_after": "0",
            "open_on_exit": "1",
            "show_once": "on",
            "language": "de",
        },
        LANGUAGES,
    )
    assert errors == {}
    assert options == EmbedOptions(
        mode="button",
        height=700,
        label="Free check",
        position="left",
        open_after=0,
        open_on_exit=True,
        show_once=True,
        language="de",
    )
    assert check_options({}, LANGUAGES) == (EmbedOptions(), {})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mode", "slider"),
        ("height", "50"),
        ("height", "5001"),
        ("height", "12px"),
        ("height", "٣٠٠"),  # digits, but not ASCII ones
        ("open_after", "-1"),
        ("open_after", "3601"),
        ("position", "top"),
        ("language", "fr"),
        ("label", "x" * 61),
        ("label", "Free\u202echeck"),
    ],
)
def test_a_bad_choice_is_named_and_keeps_its_default(field, value):
    options, errors = check_options({field: value}, LANGUAGES)
    assert list(errors) == [field] and errors[field][0]
    assert options == EmbedOptions()


def test_embed_js_and_the_snippet_agree_on_the_reserved_height():
    source = (ROOT / "assets" / "embed.js").read_text()
    assert re.search(rf"\bRESERVED = {RESERVED_HEIGHT};", source)


# Through the app: the clinic's language and branding, `clinic create`, the back office.


def test_the_snippets_words_are_in_the_clinics_language(app, make_clinic):
    make_clinic("acme", language="de")
    script = script_of(
        services.embed_snippet("acme", EmbedOptions("button"), base="https://q.example")
    )
    assert script["data-title"] == "Ist Mesotherapie das Richtige für Sie?"
    assert script["data-label"] != "Free skin assessment"
    assert script["data-close-label"] == "Schließen"
    # The options can ask for another language: the quiz's and the words both follow.
    spanish = EmbedOptions("popup", language="es")
    script = script_of(services.embed_snippet("acme", spanish, base="https://q.example"))
    assert script["data-lang"] == "es" and script["data-close-label"] == "Cerrar"


def test_a_launcher_takes_the_clinics_checked_colours(app, make_clinic):
    make_clinic("plain")
    make_clinic("violet", branding={"primary": "#5a2d82"})
    make_clinic("faint", branding={"primary": "#eeeeee", "on_primary": "#ffffff"})
    button = EmbedOptions("button")
    violet = script_of(services.embed_snippet("violet", button, base="https://q.example"))
    assert (violet["data-color"], violet["data-text-color"]) == ("#5a2d82", "#ffffff")
    for slug in ("plain", "faint"):  # none set, or a pair below AA contrast: the quiz's own
        assert "data-color" not in script_of(services.embed_snippet(slug, button, base="https://q"))


def test_clinic_create_prints_the_inline_snippet_with_its_reserved_height(app):
    result = app.test_cli_runner().invoke(
        args=["clinic", "create", "acme", "--name", "Acme", "--language", "es"]
    )
    assert result.exit_code == 0, result.output
    assert "<div data-quiz-slot" in result.stdout
    script = script_of(result.stdout)
    assert script["data-height"] == str(RESERVED_HEIGHT)
    assert script["data-title"] == "¿Es la mesoterapia adecuada para usted?"


def test_the_generator_shows_each_modes_code(admin_client, make_clinic):
    make_clinic("acme", origins=["https://acme.example"])
    for mode in snippets.MODES:
        page = admin_client.get(f"/admin/clinics/acme?mode={mode}&open_after=15&show_once=1")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        code = html.unescape(re.search(r'id="snippet">(.*?)</textarea>', text, re.S).group(1))
        script = script_of(code)
        assert script["data-clinic"] == "acme"
        assert script.get("data-mode", "inline") == mode
        assert (script.get("data-open-after") == "15") == (mode != "inline")
        # The preview runs the same options on a sample page, from this page's own origin.
        preview = html.unescape(re.search(r'srcdoc="(.*?)"', text, re.S).group(1))
        assert script_of(preview)["src"] == "http://localhost/static/embed.js"
        assert script_of(preview).get("data-mode", "inline") == mode
        assert f'value="{mode}" checked' in text


def test_the_generator_names_a_bad_choice_and_shows_valid_code(admin_client, make_clinic):
    make_clinic("acme")
    page = admin_client.get("/admin/clinics/acme?mode=inline&height=abc")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="embed-height-error"' in text and "from 100 to 5000" in text
    assert 'aria-invalid="true"' in text
    code = html.unescape(re.search(r'id="snippet">(.*?)</textarea>', text, re.S).group(1))
    assert script_of(code)["data-height"] == str(RESERVED_HEIGHT)
