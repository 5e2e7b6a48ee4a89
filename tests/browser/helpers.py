"""Host-page helpers the browser tests share: finding the quiz's frame, its height, and
walking the quiz inside it (Playwright frames, or a WebDriver `HostBrowser`)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from quiz.snippets import RESERVED_HEIGHT
from tests.browser.engines import HostBrowser

# scrollHeight never drops below the window's height, so an iframe that is too tall would
# still match it; the root element's own box is the content's height.
MEASURE = """() => ({scroll: document.documentElement.scrollHeight,
  content: document.documentElement.getBoundingClientRect().height})"""


# The only keys a host-page event carries: the clinic and step numbers, nothing derived from
# the answers (no suitability, outcome, area or answer).
HOST_EVENT_KEYS = {"clinic", "step", "steps"}

# Concerns that make every follow-up question apply, so the walk reaches every step.
CONCERNS = ["cellulite", "hair_thinning", "pigmentation", "fine_lines"]

# The visitor who finishes the quiz in the embedding tests.
NAME = "Grace Hopper"
EMAIL = "grace.hopper@example.org"

# Where embed.js puts the quiz on the test clinic's pages.
FRAME = "#slot iframe"


def check_host_events(events: list[dict], clinic: str, *absent: str) -> None:
    """Assert that the host page got each quiz event once (steps in order, never repeated),
    bubbling from the slot, with the clinic and step numbers only and none of `absent`."""
    types = [e["type"] for e in events]
    assert types.count("quiz:start") == 1
    assert types.count("quiz:complete") == 1
    assert types.count("quiz:lead") == 1
    assert types.count("quiz:step") >= 2
    assert all(e["bubbles"] and e["slot"] == "slot" for e in events)
    for event in events:
        assert set(event["detail"]) == HOST_EVENT_KEYS
        assert event["detail"]["clinic"] == clinic
    steps = [e["detail"]["step"] for e in events if e["type"] == "quiz:step"]
    assert steps == sorted(set(steps)), "the error state must not repeat a step event"
    text = json.dumps(events)
    assert not [value for value in absent if value in text]


def wait_in_frame(frame, expression: str, arg=None) -> None:
    """Wait until `expression`, a function of `arg`, is true in the frame, checked on a timer.

    A function, because Playwright polls a bare expression with eval, which the quiz's
    Content-Security-Policy refuses; on a timer, because by default Playwright checks on each
    animation frame and Chromium runs none in a cross-origin frame off screen, so the check
    would run once and never again.
    """
    frame.wait_for_function(expression, arg=arg, polling=50)


def wait_heading(frame, title: str) -> None:
    """Wait until the frame shows the step headed `title` (swapped in place or loaded)."""
    wait_in_frame(
        frame,
        "t => { const h = document.getElementById('step-heading');"
        " return h !== null && h.textContent.trim() === t; }",
        title,
    )


def address(frame) -> str:
    """The frame document's own address. Playwright's `frame.url` follows navigation events,
    which arrive after the document has changed (a history.pushState included)."""
    return frame.evaluate("location.href")


def origin_of(url: str) -> str:
    """The scheme and host of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def quiz_frame(page, selector: str = "#slot iframe"):
    """The quiz iframe's Frame, once embed.js has inserted it and its first page has loaded."""
    page.wait_for_selector(selector, state="attached")
    frame = page.locator(selector).element_handle().content_frame()
    frame.wait_for_load_state("load")
    return frame


def settled_heights(page, frame, selector: str = "#slot iframe") -> tuple[float, dict]:
    """Poll until the iframe's height matches its document (messages are asynchronous)."""
    outer, inner = 0.0, {}
    for _ in range(100):
        inner = frame.evaluate(MEASURE)
        outer = page.locator(selector).bounding_box()["height"]
        if abs(outer - inner["scroll"]) <= 2 and abs(outer - inner["content"]) <= 2:
            break
        page.wait_for_timeout(50)
    return outer, inner


def assert_height_reserved(page, selector: str = "#slot iframe") -> None:
    """Before the visitor starts, the frame keeps the height reserved for it, whatever its
    first screen measures: growing or shrinking then would move the clinic's page."""
    page.wait_for_timeout(200)  # time for the frame's height messages to arrive, and be held
    assert page.locator(selector).bounding_box()["height"] == RESERVED_HEIGHT


def assert_height_fits(page, frame, selector: str = "#slot iframe") -> None:
    """The iframe is as tall as its document, within rounding."""
    outer, inner = settled_heights(page, frame, selector)
    assert abs(outer - inner["scroll"]) <= 2, f"iframe is {outer}px for a {inner}px document"
    assert abs(outer - inner["content"]) <= 2, f"iframe is {outer}px for {inner}px of content"


def submit(frame, button) -> None:
    """Click a submit button in the frame and wait for the next page to load."""
    with frame.expect_navigation(wait_until="load"):
        button.click()


def tick_answers(frame, answers: dict[str, list[str]]) -> None:
    """Tick each chosen option the frame's page shows."""
    for qid, values in answers.items():
        for value in values:
            # Fields may be named by question id, with or without the form's prefix.
            box = frame.locator(
                f'input[name="{qid}"][value="{value}"], input[name="q-{qid}"][value="{value}"]'
            )
            if box.count():
                box.check()


def answer_to_contact(frame, answers: dict[str, list[str]], after_each=None) -> None:
    """Answer step after step until the contact form shows; `after_each(frame)` runs after
    every page that follows."""
    for _ in range(40):
        if frame.locator("input[name=email]").count():
            return
        tick_answers(frame, answers)
        submit(frame, frame.locator("button[value=next]"))
        if after_each:
            after_each(frame)
    pytest.fail("never reached the contact form")


def send_contact(frame, name: str, email: str) -> None:
    """Fill the contact form, tick both consents, send it and check the thanks page came."""
    frame.fill("input[name=name]", name)
    frame.fill("input[name=email]", email)
    frame.check("input[name=consent_contact]")
    frame.check("input[name=consent_health]")
    submit(frame, frame.locator("button[value=send]"))
    assert frame.evaluate("document.body.dataset.quizEvent") == "lead"


def answer_step(browser: HostBrowser, answers: dict[str, list[str]]) -> None:
    """Tick, with real clicks, each chosen option this step shows and is not ticked yet."""
    selectors = [
        f'input[name="{prefix}{qid}"][value="{value}"]'
        for qid, values in answers.items()
        for value in values
        for prefix in ("", "q-")
    ]
    todo = browser.run_js(
        "return arguments[0].filter(function (s) {"
        " var e = document.querySelector(s); return e && !e.checked; });",
        selectors,
    )
    for selector in todo:
        browser.click(selector)


def click_contact(browser: HostBrowser, name: str, email: str) -> str:
    """In the quiz's frame: fill the contact form with real clicks, send it, and return the
    page event the next page reports."""
    browser.fill("input[name=name]", name)
    browser.fill("input[name=email]", email)
    browser.click("input[name=consent_contact]")
    browser.click("input[name=consent_health]")
    browser.submit("button[value=send]")
    return browser.run_js("return document.body.dataset.quizEvent;")


def finish_quiz(page, frame, answers: dict[str, list[str]], email: str = EMAIL) -> None:
    """Start, answer every step (after one empty submit), and send the contact form."""
    submit(frame, frame.get_by_role("button", name="Start"))
    assert_height_fits(page, frame)

    # An empty first step shows the error state, sized and focused like any page.
    submit(frame, frame.locator("button[value=next]"))
    assert frame.locator("#error-summary").count() == 1
    assert frame.evaluate("document.activeElement.id") == "error-summary"
    assert_height_fits(page, frame)

    def without_errors_and_fitting(frame) -> None:
        assert frame.locator("#error-summary").count() == 0, frame.inner_text("#error-summary")
        assert_height_fits(page, frame)

    answer_to_contact(frame, answers, without_errors_and_fitting)
    send_contact(frame, NAME, email)
    assert_height_fits(page, frame)
