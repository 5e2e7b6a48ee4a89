"""What the quiz's pages expose to the script that talks to the host page: progress only.

widget.js posts the body's data attributes to the clinic's page, where every tag can read
them, so no page may put anything derived from the answers there.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import Visitor, answer_everything, forbidden_values

STATIC = Path(__file__).resolve().parents[1] / "static"
BODY_ATTRIBUTES = {
    "class",
    "data-quiz-event",
    "data-quiz-step",
    "data-quiz-steps",
    "data-parent-origins",
}
# The answers that reach each suitability, and an under-18 answer that ends the quiz.
PATHS = {
    "good": {"concerns": ["fine_lines", "dryness"], "face_detail": ["dry_dull"]},
    "not_suitable": {"pregnancy": ["pregnant"]},
    "consult": {"allergies": ["local_anaesthetic"]},
    "under_18": {"age": ["under_18"]},
}


@pytest.fixture
def app_config(app_config):
    """No minimum fill time: a test client is faster than any person."""
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


class _Body(HTMLParser):
    """Collects the attributes of a document's <body> tag."""

    def __init__(self):
        super().__init__()
        self.attributes: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.attributes is None:
            self.attributes = {name: value or "" for name, value in attrs}


def body_attributes(page: str) -> dict[str, str]:
    """The <body> tag's attributes of a rendered page."""
    parser = _Body()
    parser.feed(page)
    assert parser.attributes is not None, "no <body> tag"
    return parser.attributes


def visit_every_page(visitor: Visitor, slug: str, answers: dict) -> list[str]:
    """Walk the intro, an empty step, every step, the result or contact page, the thanks page
    and the reading the result links to; return every page's HTML."""
    visitor.open(slug)
    visitor.start(slug)
    visitor.answer(slug, {})  # the error state of the first step
    visitor.finish_steps(slug, answers)
    pages = [response.get_data(as_text=True) for response in visitor.responses]
    if 'name="email"' in visitor.text:
        visitor.contact(slug)
        pages.append(visitor.text)
    linked = rf'href="(/embed/{slug}/(?:content|forget)/[^"]+)"'
    for link in sorted(set(re.findall(linked, "".join(pages)))):
        response = visitor.client.get(html.unescape(link))
        assert response.status_code == 200, link
        pages.append(response.get_data(as_text=True))
    return pages


@pytest.mark.parametrize("timing", ["after", "before"])
@pytest.mark.parametrize("path", PATHS)
def test_no_page_puts_anything_answer_derived_on_its_body(
    app, make_clinic, questionnaire, path, timing
):
    make_clinic("acme", origins=["https://acme.example"], contact_timing=timing)
    visitor = Visitor(app.test_client(use_cookies=False))
    pages = visit_every_page(visitor, "acme", answer_everything(questionnaire, **PATHS[path]))
    events = {body_attributes(page)["data-quiz-event"] for page in pages}
    assert {"view", "complete" if timing == "after" else "step"} <= events
    if path != "under_18":
        # "" is a reading or the erasure page, linked from the result or the thanks page.
        assert {"lead", ""} <= events, "the run must reach the thanks page and its links"
    forbidden = forbidden_values(questionnaire)
    for page in pages:
        attributes = body_attributes(page)
        assert set(attributes) <= BODY_ATTRIBUTES, attributes
        for value in attributes.values():
            words = set(re.split(r"[^a-z0-9_]+", value.lower()))
            assert not words & forbidden, attributes


@pytest.mark.parametrize("script", ["embed.js", "js/popup.js", "js/widget.js"])
def test_scripts_talking_to_the_host_never_mention_a_result(script):
    # A guard against the result creeping back into a message; the browser tests check
    # what the host page really receives.
    source = (STATIC / script).read_text().lower()
    assert "suitab" not in source
    assert "outcome" not in source
