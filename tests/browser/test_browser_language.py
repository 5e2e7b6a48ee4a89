"""The quiz in its iframe speaks the visitor's browser language (Chromium started with a German
or Spanish locale) when the clinic has chosen none; a clinic's own language stays, and the
snippet's data-lang and an address's ?lang= still win, also on the steps swapped in place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quiz.runtime import runtime
from tests.browser.conftest import HOST_CLINIC
from tests.browser.helpers import quiz_frame, wait_heading

SPANISH_CLINIC = "lang-es"
INTRO = {
    "en": "Is mesotherapy right for you?",
    "de": "Ist Mesotherapie das Richtige für Sie?",
    "es": "¿Es la mesoterapia adecuada para usted?",
}


@pytest.fixture(scope="module")
def spanish_clinic(quiz_server, host_origin) -> str:
    """A clinic that chose Spanish for its quiz."""
    from quiz import services

    with quiz_server.app.app_context():
        if services.get_clinic(SPANISH_CLINIC) is None:
            services.create_clinic(
                SPANISH_CLINIC,
                services.ClinicFields("Clínica Sol", origins=[host_origin], language="es"),
            )
    return SPANISH_CLINIC


@pytest.fixture
def browser_in(a11y_browser) -> Iterator:
    """Open contexts whose browser language is the locale asked for; close them after."""
    contexts = []

    def open_context(locale: str):
        contexts.append(a11y_browser.new_context(locale=locale))
        return contexts[-1]

    yield open_context
    for context in contexts:
        context.close()


def clinic_page(page, host: str, quiz: str, slug: str, lang: str | None) -> None:
    """Open a page of the clinic's site (served from loopback, as the site's other pages) and
    add the snippet embedding `slug`'s quiz, with data-lang when given."""
    # A page of the site without a widget; its text does not matter.
    page.goto(f"{host}/no-widget-here", wait_until="load")
    page.evaluate(
        """([src, slug, lang]) => {
          const slot = document.createElement("div");
          slot.id = "slot";
          const script = document.createElement("script");
          script.src = src;
          script.dataset.clinic = slug;
          if (lang) script.dataset.lang = lang;
          slot.appendChild(script);
          document.body.appendChild(slot);
        }""",
        [f"{quiz}/static/embed.js", slug, lang],
    )


def assert_speaks(frame, language: str, first_step: str) -> None:
    """The frame's intro is in `language`, and so is step 1 once Start swaps it in."""
    assert frame.evaluate("document.documentElement.lang") == language
    assert frame.locator("h1").inner_text() == INTRO[language]
    frame.evaluate("window.__sameDocument = true")
    frame.locator("button[value=start]").click()
    wait_heading(frame, first_step)
    assert frame.evaluate("document.documentElement.lang") == language
    assert frame.evaluate("window.__sameDocument") is True, "step 1 was a page load"


@pytest.mark.parametrize(
    ("locale", "clinic", "data_lang", "expected"),
    [
        # No language of the clinic's own: the browser's, then English.
        ("de-DE", HOST_CLINIC, None, "de"),
        ("es-ES", HOST_CLINIC, None, "es"),
        ("fr-FR", HOST_CLINIC, None, "en"),
        # The clinic's language stays, whatever the browser asks for.
        ("de-DE", SPANISH_CLINIC, None, "es"),
        # The snippet's data-lang wins over both.
        ("de-DE", HOST_CLINIC, "es", "es"),
        ("de-DE", SPANISH_CLINIC, "de", "de"),
    ],
)
def test_the_frame_speaks_the_browsers_language_unless_the_clinic_or_snippet_chose(
    browser_in, host_server, quiz_server, spanish_clinic, locale, clinic, data_lang, expected
):
    page = browser_in(locale).new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.headers.get("accept-language", "")))
    clinic_page(page, host_server, quiz_server.origin, clinic, data_lang)
    frame = quiz_frame(page)
    # The browser really asks for its locale's language, in the frame too.
    assert frame.evaluate("navigator.language") == locale
    assert requests and all(header.startswith(locale) for header in requests), requests
    first_step = runtime(quiz_server.app).questionnaire.steps[0].title.get(expected)
    assert_speaks(frame, expected, first_step)


@pytest.mark.parametrize(
    ("clinic", "lang"), [(HOST_CLINIC, "es"), (SPANISH_CLINIC, "en"), (SPANISH_CLINIC, "de")]
)
def test_an_address_with_lang_wins_over_the_browser_and_the_clinic(
    browser_in, quiz_server, spanish_clinic, clinic, lang
):
    page = browser_in("de-DE").new_page()
    page.goto(f"{quiz_server.origin}/embed/{clinic}?lang={lang}", wait_until="load")
    first_step = runtime(quiz_server.app).questionnaire.steps[0].title.get(lang)
    assert_speaks(page.main_frame, lang, first_step)
