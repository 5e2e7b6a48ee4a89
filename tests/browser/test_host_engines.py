"""What embed.js does in a clinic's page, checked in Chromium, Firefox and WebKit alike:
where the iframe goes, that it fits each step, the utm_* hand-over, the quiz:* events, two
widgets on one page, and that messages from other windows change nothing."""

from __future__ import annotations

import contextlib
import time

import pytest
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from quiz.snippets import RESERVED_HEIGHT
from tests.browser.conftest import HOST_CLINIC, SECOND_CLINIC
from tests.browser.engines import HostBrowser, WaitTimeout, wait_until
from tests.browser.helpers import FRAME, answer_step, check_host_events, click_contact
from tests.helpers import answer_everything

NAME = "Katherine Johnson"
UTM = {"utm_source": "news", "utm_medium": "email", "utm_campaign": "spring"}

# The root element's own box is the content's height; scrollHeight above clientHeight means
# the frame scrolls inside (scrollHeight alone never drops below the frame's height).
MEASURE_INSIDE = """var r = document.documentElement;
return {content: r.getBoundingClientRect().height, scroll: r.scrollHeight,
        client: r.clientHeight};"""
MEASURE_OUTSIDE = "return document.querySelector(arguments[0]).getBoundingClientRect().height;"


def measure(browser: HostBrowser, css: str) -> dict:
    """The iframe's height in the host page and its document's heights inside."""
    outer = browser.run_js(MEASURE_OUTSIDE, css)
    with browser.frame(css):
        inner = browser.run_js(MEASURE_INSIDE)
    return {"outer": outer, **inner}


def fits(m: dict) -> bool:
    """As tall as its content (within rounding), and no scroll bar inside."""
    return abs(m["outer"] - m["content"]) <= 2 and m["scroll"] <= m["client"] + 1


def settled(browser: HostBrowser, css: str = FRAME, timeout: float = 10) -> dict:
    """The heights once they fit (messages are asynchronous), or as they are at the deadline."""
    try:
        return wait_until(
            lambda: (m := measure(browser, css)) and fits(m) and m,
            timeout=timeout,
            message=f"{css} to fit its content",
            transient=browser.transient,
        )
    except WaitTimeout:
        return measure(browser, css)


def reserved(browser: HostBrowser, css: str = FRAME) -> float:
    """The iframe's height before the visitor starts, once its first page has reported its
    own: embed.js holds the reserved height then, so that nothing on the page moves."""
    with browser.frame(css):
        browser.wait_for("document.readyState === 'complete'")
    time.sleep(0.3)  # time for the height messages to arrive, and be held
    return browser.run_js(MEASURE_OUTSIDE, css)


def email_for(browser: HostBrowser) -> str:
    return f"visitor.{browser.name}@example.org"


@pytest.fixture(scope="module")
def journey(engine_browser, quiz_server, host_server) -> dict:
    """Finish the quiz once per engine on the clinic's page, sending a lead; keep what
    happened: placement, heights after each page, focus, events and errors."""
    browser = engine_browser
    answers = answer_everything(runtime(quiz_server.app).questionnaire)
    query = "&".join(f"{k}={v}" for k, v in UTM.items())
    page_url = f"{host_server}/host.html?{query}"
    browser.open(f"{page_url}#top")
    browser.wait_for(f"document.querySelector('{FRAME}') !== null")
    placed = browser.run_js(
        "var s = document.querySelector('#slot script[data-clinic]');"
        "var box = s.nextElementSibling;"
        "return {box: box && box.className, child: box && box.firstElementChild.tagName,"
        " frames: document.querySelectorAll('iframe').length,"
        " src: document.querySelector(arguments[0]).src};",
        FRAME,
    )
    heights: list[tuple[str, dict]] = []

    def record(label: str) -> None:
        # Once a page has not fitted, the test fails anyway: measure the rest without waiting.
        patience = 10 if all(fits(m) for _, m in heights) else 0
        heights.append((label, settled(browser, timeout=patience)))

    intro = reserved(browser)

    with browser.frame(FRAME):
        browser.submit("button[value=start]")
    record("first step")

    # An empty submit shows the error summary, focused and sized like any page.
    with browser.frame(FRAME):
        browser.submit("button[value=next]")
        error_focus = browser.focused()
    record("error summary")

    for number in range(40):
        with browser.frame(FRAME):
            if browser.run_js("return !!document.querySelector('input[name=email]');"):
                break
            answer_step(browser, answers)
            browser.submit("button[value=next]")
            assert browser.run_js("return !document.getElementById('error-summary');")
        record(f"page {number + 2}")
    else:
        pytest.fail("never reached the contact form")

    with browser.frame(FRAME):
        thanks = click_contact(browser, NAME, email_for(browser))
    record("thanks")
    with contextlib.suppress(WaitTimeout):  # without it, the events test says what is missing
        browser.wait_for("window.quizEvents.some(function (e) { return e.type === 'quiz:lead'; })")
    return {
        "page_url": page_url,
        "placed": placed,
        "intro": intro,
        "heights": heights,
        "error_focus": error_focus,
        "thanks": thanks,
        "events": browser.run_js("return window.quizEvents;"),
        "errors": browser.run_js("return window.pageErrors;"),
    }


def test_iframe_follows_the_script_tag_and_fits_every_step_once_started(journey, quiz_server):
    placed = journey["placed"]
    assert journey["intro"] == RESERVED_HEIGHT
    assert placed["box"] == "quiz-embed" and placed["child"] == "IFRAME"
    assert placed["frames"] == 1
    assert placed["src"].startswith(f"{quiz_server.origin}/embed/{HOST_CLINIC}?")
    unfit = [(label, m) for label, m in journey["heights"] if not fits(m)]
    assert unfit == [], f"iframe height does not match its content: {unfit}"
    # The pages differ in length, so the iframe really followed them.
    assert len({round(m["outer"]) for _, m in journey["heights"]}) > 1
    assert journey["error_focus"]["id"] == "error-summary"
    assert journey["errors"] == []


def test_lead_sent_from_the_frame_keeps_the_host_pages_utm(journey, engine_browser, quiz_server):
    src = journey["placed"]["src"]
    assert all(f"{k}={v}" in src for k, v in UTM.items()), src
    assert "page_url=" in src and "%23top" not in src
    assert journey["thanks"] == "lead"
    with quiz_server.app.app_context():
        lead = db.session.execute(
            select(Lead).filter_by(email=email_for(engine_browser))
        ).scalar_one()
        stored = {k: getattr(lead, k) for k in UTM}
        page_url = lead.page_url
        db.session.remove()
    assert stored == UTM
    assert page_url == journey["page_url"]


def test_quiz_events_bubble_with_the_clinic_and_step_numbers(journey):
    events = journey["events"]
    check_host_events(events, HOST_CLINIC, NAME, "@example.org")
    start = next(e["detail"] for e in events if e["type"] == "quiz:start")
    assert start["step"] == 1
    steps = [e["detail"] for e in events if e["type"] == "quiz:step"]
    assert all(isinstance(d["steps"], int) and 1 <= d["step"] <= d["steps"] for d in steps)


def test_two_widgets_on_one_page_work_independently(host_browser, host_server):
    browser = host_browser
    browser.open(f"{host_server}/two.html")
    browser.wait_for("document.querySelectorAll('iframe').length === 2")
    placed = browser.run_js(
        "var b = document.querySelector('#slot-b script').nextElementSibling;"
        "return {a: document.querySelector('#slot-a > .quiz-embed > iframe').src,"
        " b: b.className === 'quiz-embed' ? b.firstElementChild.src : null};"
    )
    assert f"/embed/{HOST_CLINIC}?" in placed["a"]  # rendered into its data-target
    assert f"/embed/{SECOND_CLINIC}?" in placed["b"] and "lang=en" in placed["b"]
    assert reserved(browser, "#slot-a iframe") == RESERVED_HEIGHT
    assert reserved(browser, "#slot-b iframe") == RESERVED_HEIGHT

    # Tab passes over a frame whose page has not loaded yet (Firefox leaves focus on the
    # body then): both pages first.
    for css in ("#slot-a iframe", "#slot-b iframe"):
        with browser.frame(css):
            pass
    # Start the first quiz from the keyboard: Tab from the page into it, press Enter. (A
    # script's focus() would not do: WebKit ignores it in a cross-origin frame not focused.)
    browser.press("Tab")
    assert browser.focused()["tag"] == "iframe"
    assert browser.run_js("return document.activeElement.closest('#slot-a') !== null;")
    with browser.frame("#slot-a iframe"):
        assert browser.focused()["value"] == "start"
        with browser.navigation():
            browser.press("Enter")
        # The new step's heading takes focus, inside the same iframe.
        assert browser.focused()["id"] == "step-heading"
    browser.wait_for("window.quizEvents.length >= 2")
    assert fits(settled(browser, "#slot-a iframe"))
    events = browser.run_js("return window.quizEvents;")
    assert {e["slot"] for e in events} == {"slot-a"}
    assert {e["detail"]["clinic"] for e in events} == {HOST_CLINIC}
    with browser.frame("#slot-b iframe"):
        assert browser.run_js("return document.body.dataset.quizEvent;") == "view"
    assert browser.run_js(MEASURE_OUTSIDE, "#slot-b iframe") == RESERVED_HEIGHT
    assert browser.run_js("return window.pageErrors;") == []


def test_messages_from_other_windows_are_ignored(host_browser, host_server):
    browser = host_browser
    browser.open(f"{host_server}/spoof.html")
    # The spoofer is on the quiz's origin but is not the quiz's iframe.
    with browser.frame("#spoof"):
        browser.wait_for("document.title === 'sent'")
    browser.wait_for("window.spoofMessages >= 2")
    # Started, the widget follows its frame's heights: the spoofer sends its own once more.
    with browser.frame(FRAME):
        browser.submit("button[value=start]")
    browser.wait_for("window.quizEvents.length === 2")  # the real start and step
    browser.run_js("window.quizEvents = [];")
    with browser.frame("#spoof"):
        browser.run_js("document.title = 'reloading'; location.reload();")
    with browser.frame("#spoof"):
        browser.wait_for("document.title === 'sent'")
    browser.wait_for("window.spoofMessages >= 4")
    before = settled(browser)
    assert fits(before) and before["outer"] < 5000
    # The page's own window is no quiz either; a last message marks that all were handled.
    browser.run_js(
        "window.addEventListener('message', function (e) {"
        " if (e.data === 'handled') window.handled = true; });"
        "window.postMessage({type: 'quiz:height', h: 4321}, '*');"
        "window.postMessage({type: 'quiz:page', event: 'start', step: 1, steps: 5}, '*');"
        "window.postMessage({type: 'quiz:height', h: 'tall'}, '*');"
        "window.postMessage('quiz:height', '*');"
        "window.postMessage('handled', '*');"
    )
    browser.wait_for("window.handled === true")
    assert browser.run_js(MEASURE_OUTSIDE, FRAME) == before["outer"]
    assert browser.run_js("return window.quizEvents;") == []
    assert browser.run_js("return window.pageErrors;") == []
