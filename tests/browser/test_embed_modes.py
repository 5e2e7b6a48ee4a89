"""embed.js's modes on a clinic's site in Chromium (third-party cookies blocked): the inline
widget moves nothing before the visitor starts."""

from __future__ import annotations

import pytest

from quiz.snippets import RESERVED_HEIGHT
from tests.browser.test_embedding import assert_height_fits, quiz_frame, submit

TITLE = "Is mesotherapy right for you?"
POPUP = "dialog.quiz-popup"
# Where focus is on the host page, told apart without reading any text.
FOCUS = """() => {
  const a = document.activeElement, d = document.querySelector('dialog.quiz-popup[open]');
  return {tag: a ? a.tagName.toLowerCase() : null, id: a ? a.id : null,
          cls: a ? String(a.className) : null, inDialog: !!d && d.contains(a)};
}"""


def quiz_requests(watched, quiz_server) -> list[str]:
    """The paths of every request the page made to the quiz's origin, in order."""
    prefix = quiz_server.origin
    return [url[len(prefix) :].split("?")[0] for url in watched.requests if url.startswith(prefix)]


def settle(page, ms: int = 400) -> None:
    """Let timers, messages and a couple of frames run."""
    page.wait_for_timeout(ms)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def popup_frame(page):
    """The quiz's Frame inside the open popup, once its first page has loaded."""
    page.wait_for_selector(f"{POPUP}[open] iframe")
    frame = page.locator(f"{POPUP} iframe").element_handle().content_frame()
    frame.wait_for_load_state("load")
    frame.wait_for_selector("#step-heading")
    return frame


def send_lead(frame, answers: dict[str, list[str]], name: str, email: str) -> None:
    """Start, answer every step and send the contact form, inside the given quiz frame."""
    submit(frame, frame.get_by_role("button", name="Start"))
    for _ in range(40):
        if frame.locator("input[name=email]").count():
            break
        for qid, values in answers.items():
            for value in values:
                box = frame.locator(
                    f'input[name="{qid}"][value="{value}"], input[name="q-{qid}"][value="{value}"]'
                )
                if box.count():
                    box.check()
        submit(frame, frame.locator("button[value=next]"))
    else:
        pytest.fail("never reached the contact form")
    frame.fill("input[name=name]", name)
    frame.fill("input[name=email]", email)
    frame.check("input[name=consent_contact]")
    frame.check("input[name=consent_health]")
    submit(frame, frame.locator("button[value=send]"))
    assert frame.evaluate("document.body.dataset.quizEvent") == "lead"


# Inline: no layout shift before the visitor starts, auto-height after.


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_inline_widget_moves_nothing_on_the_page_before_the_visitor_starts(
    browser_page, host_server, width, height
):
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{host_server}/inline.html")
    frame = quiz_frame(page)
    frame.wait_for_selector("#step-heading")
    settle(page, 600)
    shifts = page.evaluate("window.shifts")
    assert sum(s["value"] for s in shifts if not s["input"]) == 0, shifts
    # The frame holds the space the snippet reserved, whatever its first screen measures.
    assert page.locator("#slot iframe").bounding_box()["height"] == RESERVED_HEIGHT
    # Once started, it follows its content again on every step.
    submit(frame, frame.get_by_role("button", name="Start"))
    assert_height_fits(page, frame)
    assert page.evaluate("window.pageErrors") == [] and browser_page.errors == []


def test_the_snippets_wrapper_holds_the_space_until_the_frame_takes_it(browser_page, host_server):
    page = browser_page.page
    # No script from the quiz: the wrapper alone must already be as tall as the frame will be.
    page.route("**/static/embed.js", lambda route: route.abort())
    page.goto(f"{host_server}/inline.html")
    slot = page.locator("[data-quiz-slot]")
    assert slot.bounding_box()["height"] == RESERVED_HEIGHT
    page.unroute("**/static/embed.js")
    page.goto(f"{host_server}/inline.html")
    quiz_frame(page)
    # With the frame in place the wrapper lets go, so a shorter step can shrink the widget.
    assert slot.evaluate("e => e.style.minHeight") == ""
