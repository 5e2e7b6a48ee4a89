"""The quiz embedded on a clinic's site with one script tag, in Chromium with third-party
cookies blocked: it finishes, sizes itself, reports events, and leaks nothing."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from tests.browser.conftest import HOST_CLINIC, launch, watch
from tests.browser.helpers import (
    EMAIL,
    NAME,
    assert_height_fits,
    assert_height_reserved,
    check_host_events,
    finish_quiz,
    origin_of,
    quiz_frame,
    submit,
    wait_in_frame,
)
from tests.helpers import answer_everything


@pytest.fixture(scope="module")
def finished(blocking_context, quiz_server, host_server):
    """Complete the quiz once on the clinic's page (cookies blocked); keep what happened."""
    app = quiz_server.app
    answers = answer_everything(runtime(app).questionnaire)
    page = blocking_context.new_page()
    watched = watch(page)
    responses: list = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"{host_server}/host.html?utm_source=news&utm_campaign=spring#top")
    frame = quiz_frame(page)
    assert_height_reserved(page)
    finish_quiz(page, frame, answers)
    page.wait_for_function("window.quizEvents.some(e => e.type === 'quiz:lead')")
    result = {
        "watched": watched,
        "events": page.evaluate("window.quizEvents"),
        "data_layer": page.evaluate("window.dataLayer"),
        "frame_url": frame.url,
        "iframe_src": page.locator("#slot iframe").get_attribute("src"),
        "cookies": blocking_context.cookies(),
        "set_cookie_headers": [
            r.url for r in responses if r.all_headers().get("set-cookie") is not None
        ],
        "answers": answers,
    }
    page.close()
    return result


def test_quiz_finishes_cross_site_with_third_party_cookies_blocked_and_keeps_utm(
    finished, quiz_server, host_server
):
    with quiz_server.app.app_context():
        lead = db.session.execute(select(Lead).filter_by(email=EMAIL)).scalar_one()
        assert lead.utm_source == "news"
        assert lead.utm_campaign == "spring"
        assert lead.page_url == f"{host_server}/host.html?utm_source=news&utm_campaign=spring"
        db.session.remove()


def test_iframe_src_forwards_utm_and_page_url_without_the_fragment(finished, host_server):
    src = finished["iframe_src"]
    assert src.startswith(f"http://localhost:{urlsplit(src).port}/embed/{HOST_CLINIC}?")
    assert "utm_source=news" in src and "utm_campaign=spring" in src
    assert "page_url=" in src and "%23top" not in src and "#top" not in src


def test_host_receives_each_event_once_per_page_with_no_personal_or_health_data(finished):
    check_host_events(finished["events"], HOST_CLINIC, EMAIL, NAME)


def test_data_layer_gets_the_same_events_without_personal_data_or_answers(finished):
    pushed = finished["data_layer"]
    names = [p["event"] for p in pushed]
    assert names[0] == "quiz_start"
    assert names.count("quiz_complete") == 1
    assert names[-1] == "quiz_lead"
    assert names.count("quiz_step") == len(
        [e for e in finished["events"] if e["type"] == "quiz:step"]
    )
    allowed = {"event", "quiz_clinic", "quiz_step", "quiz_steps"}
    assert all(set(p) == allowed for p in pushed)
    text = json.dumps(pushed)
    assert EMAIL not in text and NAME not in text
    for qid in finished["answers"]:
        assert qid not in text


def test_no_page_errors_and_no_cookies_from_the_quiz(finished, quiz_server):
    assert finished["watched"].errors == []
    assert finished["cookies"] == []
    assert finished["set_cookie_headers"] == []
    # The back office (signed in by other browser tests on this server) may set its session.
    visitor_path = [c for c in quiz_server.set_cookie_responses if not c.startswith("/admin")]
    assert [c for c in visitor_path if "/_probe/" not in c] == []


def test_every_request_goes_to_the_host_or_the_quiz(finished, quiz_server, host_server):
    origins = {origin_of(url) for url in finished["watched"].requests}
    assert origins <= {host_server, quiz_server.origin}, origins


def test_third_party_cookie_probe_tells_blocked_from_allowed(
    playwright_instance, chromium_path, host_server, tmp_path, blocking_context
):
    # The harness must be able to tell: the same cross-site cookie comes back only when allowed.
    seen = {}
    allowing = launch(
        playwright_instance, chromium_path, tmp_path / "allow", block_third_party=False
    )
    try:
        for label, context in (("allow", allowing), ("block", blocking_context)):
            page = context.new_page()
            page.goto(f"{host_server}/probe.html")
            probe = page.frame_locator("#probe").locator("#result")
            probe.wait_for()
            seen[label] = probe.inner_text()
            page.close()
    finally:
        allowing.close()
    assert seen == {"allow": "yes", "block": "no"}


def test_a_site_not_in_the_clinics_origins_cannot_frame_the_quiz(browser_page, host_server):
    page = browser_page.page
    page.goto(f"{host_server}/foreign.html")
    page.wait_for_selector("#slot iframe", state="attached")
    frame = page.locator("#slot iframe").element_handle().content_frame()
    for _ in range(100):
        if frame.url.startswith("chrome-error://") or any(
            "frame-ancestors" in line for line in browser_page.console
        ):
            break
        page.wait_for_timeout(50)
    assert frame.url.startswith("chrome-error://") or any(
        "frame-ancestors" in line for line in browser_page.console
    )
    assert frame.locator("#step-heading").count() == 0


def test_two_widgets_on_one_page_work_independently(browser_page, host_server):
    page = browser_page.page
    page.goto(f"{host_server}/two.html")
    assert page.locator("iframe").count() == 2
    first = quiz_frame(page, "#slot-a iframe")
    second = quiz_frame(page, "#slot-b iframe")
    assert "/embed/alpha?" in page.locator("#slot-a iframe").get_attribute("src")
    assert "/embed/beta?" in page.locator("#slot-b iframe").get_attribute("src")
    assert "lang=en" in page.locator("#slot-b iframe").get_attribute("src")
    assert_height_reserved(page, "#slot-b iframe")
    second_height = page.locator("#slot-b iframe").bounding_box()["height"]

    submit(first, first.get_by_role("button", name="Start"))
    assert_height_fits(page, first, "#slot-a iframe")
    page.wait_for_function("window.quizEvents.length >= 2")
    events = page.evaluate("window.quizEvents")
    assert {e["slot"] for e in events} == {"slot-a"}
    assert {e["detail"]["clinic"] for e in events} == {"alpha"}
    assert second.evaluate("document.body.dataset.quizEvent") == "view"
    assert page.locator("#slot-b iframe").bounding_box()["height"] == second_height
    assert browser_page.errors == []


def test_a_frame_laid_out_without_width_keeps_its_reserved_height(browser_page, host_server):
    """A frame measured in a viewport 0 px wide (text wrapped a word to a line, thousands of
    pixels tall) must not report that height: below the window an unstarted frame may grow,
    and never shrinks back. Under load a frame's first layout can come before the host has
    given it a width, which once left the second of two widgets 8479 px tall."""
    page = browser_page.page
    page.goto(f"{host_server}/unsized.html")
    frame = quiz_frame(page)
    wait_in_frame(frame, "() => document.readyState === 'complete'")
    page.wait_for_timeout(200)  # time for any height message to arrive
    assert frame.evaluate("innerWidth") == 0
    page.evaluate("document.getElementById('slot').style.width = 'auto'")
    # Off screen and cross-origin, the frame runs no animation frames once it has a width.
    wait_in_frame(frame, "() => innerWidth > 0")
    assert_height_reserved(page)
    assert browser_page.errors == []


def test_messages_from_other_windows_are_ignored(browser_page, host_server):
    page = browser_page.page
    page.goto(f"{host_server}/spoof.html")
    frame = quiz_frame(page)
    # Started, the widget follows its frame's heights: the spoofer sends its own once more.
    submit(frame, frame.get_by_role("button", name="Start"))
    page.wait_for_function("window.quizEvents.length === 2")  # the real start and step
    page.evaluate("window.quizEvents = []")
    spoof = page.locator("#spoof").element_handle().content_frame()
    with spoof.expect_navigation(wait_until="load"):
        spoof.evaluate("location.reload()")
    assert spoof.title() == "sent"
    assert_height_fits(page, frame)
    height = page.locator("#slot iframe").bounding_box()["height"]
    assert height < 5000
    # A message with no sender check would also have been re-emitted as an event.
    page.evaluate("window.postMessage({type: 'quiz:height', h: 'tall'}, '*')")
    page.evaluate("window.postMessage('quiz:height', '*')")
    page.wait_for_timeout(100)
    assert page.locator("#slot iframe").bounding_box()["height"] == height
    assert page.evaluate("window.quizEvents") == []
    assert browser_page.errors == []


def test_host_scrolls_back_to_the_widget_top_after_a_step_when_it_is_off_screen(
    browser_page, host_server
):
    page = browser_page.page
    page.emulate_media(reduced_motion="reduce")  # reduced motion: the jump is instant
    page.goto(f"{host_server}/host.html")
    frame = quiz_frame(page)
    submit(frame, frame.get_by_role("button", name="Start"))
    assert_height_fits(page, frame)
    top = "document.querySelector('#slot iframe').getBoundingClientRect().top"
    # The visitor scrolled down the page: the widget's top is above the viewport.
    page.evaluate(f"window.scrollBy(0, {top} + 150)")
    assert page.evaluate(top) < 0
    with frame.expect_navigation(wait_until="load"):
        frame.evaluate("document.querySelector('button[value=next]').click()")
    page.wait_for_function(f"{top} >= -1 && {top} < window.innerHeight")
    assert abs(page.evaluate(top)) <= 1
    assert browser_page.errors == []
