"""embed.js's modes on a clinic's site in Chromium (third-party cookies blocked): the inline
widget moves nothing before the visitor starts, and the popup and the launcher load nothing
from the quiz until opened, behave as a modal dialog, remember show-once on the host only and
send leads with the host page's campaign."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from quiz.snippets import RESERVED_HEIGHT
from tests.browser.conftest import (
    BRANDED_CLINIC,
    BRANDED_COLOURS,
    HOST_CLINIC,
    SECOND_CLINIC,
    watch,
)
from tests.browser.helpers import (
    answer_to_contact,
    assert_height_fits,
    quiz_frame,
    send_contact,
    submit,
)
from tests.helpers import answer_everything

TITLE = "Is mesotherapy right for you?"
POPUP = "dialog.quiz-popup"
# Where focus is on the host page, told apart without reading any text.
FOCUS = """() => {
  const a = document.activeElement, d = document.querySelector('dialog.quiz-popup[open]');
  return {tag: a ? a.tagName.toLowerCase() : null, id: a ? a.id : null,
          cls: a ? String(a.className) : null, inDialog: !!d && d.contains(a)};
}"""


def press(page, key: str) -> dict:
    """Press a key and return where focus lands on the host page. Focus crossing into the
    quiz's frame (another process) passes through body for a moment: that is not a landing."""
    page.keyboard.press(key)
    focus = page.evaluate(FOCUS)
    for _ in range(20):
        if focus["tag"] != "body":
            break
        page.wait_for_timeout(50)
        focus = page.evaluate(FOCUS)
    return focus


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
    answer_to_contact(frame, answers)
    send_contact(frame, name, email)


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


# Popup: nothing loaded until it opens; a modal dialog in every respect.


@pytest.fixture
def popup_page(browser_page, host_server):
    """/popup.html loaded, the popup still closed."""
    browser_page.page.goto(f"{host_server}/popup.html")
    settle(browser_page.page)
    return browser_page


def wait_closed(page) -> None:
    """Wait until the popup has closed and its close event has run (it is queued as a task)."""
    page.wait_for_selector(f"{POPUP}:not([open])", state="attached")
    page.wait_for_function("document.documentElement.style.overflow === ''")


def open_popup(page) -> None:
    """Click the page's opener and wait until the dialog is open and done moving in."""
    page.click("#opener")
    page.wait_for_selector(f"{POPUP}[open]")
    page.wait_for_function(
        "() => document.querySelector('dialog.quiz-popup').getAnimations()"
        ".every(a => a.playState === 'finished')"
    )


def test_a_closed_popup_loads_nothing_from_the_quiz_but_embed_js(popup_page, quiz_server):
    page = popup_page.page
    assert quiz_requests(popup_page, quiz_server) == ["/static/embed.js"]
    assert page.locator("iframe").count() == 0
    open_popup(page)
    popup_frame(page)
    requested = quiz_requests(popup_page, quiz_server)
    assert requested[:3] == ["/static/embed.js", "/static/js/popup.js", f"/embed/{HOST_CLINIC}"]
    assert popup_page.errors == []


def test_the_popup_is_a_modal_dialog_labelled_by_the_quizs_title(popup_page):
    page = popup_page.page
    open_popup(page)
    dialog = page.locator(POPUP)
    assert dialog.get_attribute("role") == "dialog"
    assert dialog.get_attribute("aria-modal") == "true"
    label = page.locator(f"#{dialog.get_attribute('aria-labelledby')}")
    assert label.text_content() == TITLE
    assert page.locator(f"{POPUP} iframe").get_attribute("title") == TITLE
    assert page.evaluate("document.querySelector('dialog.quiz-popup').matches(':modal')")
    # Focus moves into it, onto a visible close button with a name.
    focus = page.evaluate(FOCUS)
    assert focus["inDialog"] and focus["cls"] == "quiz-popup-close"
    close = page.get_by_role("button", name="Close")
    assert close.is_visible()
    box = close.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    # The page behind cannot be reached by pointer or scrolled.
    assert page.evaluate("document.documentElement.style.overflow") == "hidden"


def test_tab_cycles_inside_the_popup_both_ways(popup_page):
    page = popup_page.page
    open_popup(page)
    frame = popup_frame(page)
    seen = []
    for _ in range(30):
        focus = press(page, "Tab")
        assert focus["inDialog"], f"focus left the dialog after {seen}: {focus}"
        seen.append(focus["tag"])
        if focus["cls"] == "quiz-popup-close":
            break
    else:
        pytest.fail(f"Tab never came back to the close button: {seen}")
    assert "iframe" in seen, seen
    # Backwards from the close button: into the quiz, whose last control comes next.
    assert press(page, "Shift+Tab")["tag"] == "iframe"
    assert press(page, "Shift+Tab")["inDialog"]
    last = frame.evaluate("document.activeElement && document.activeElement.tagName")
    assert last in {"BUTTON", "A", "INPUT"}, last


def test_escape_closes_the_popup_and_focus_returns_to_the_opener(popup_page):
    page = popup_page.page
    open_popup(page)
    page.keyboard.press("Escape")
    wait_closed(page)
    assert page.evaluate(FOCUS)["id"] == "opener"
    assert page.evaluate("document.documentElement.style.overflow") == ""


def test_escape_inside_the_quiz_closes_the_popup_too(popup_page):
    page = popup_page.page
    open_popup(page)
    frame = popup_frame(page)
    # Starting moves focus to the first step's heading, inside the quiz's frame.
    submit(frame, frame.get_by_role("button", name="Start"))
    assert frame.evaluate("document.activeElement.id") == "step-heading"
    page.keyboard.press("Escape")
    wait_closed(page)
    assert page.evaluate(FOCUS)["id"] == "opener"
    # Opened again, the visitor is where they left off.
    open_popup(page)
    assert frame.evaluate("document.body.dataset.quizEvent") in {"start", "step"}


def test_close_button_and_backdrop_close_the_popup(popup_page):
    page = popup_page.page
    open_popup(page)
    page.get_by_role("button", name="Close").click()
    wait_closed(page)
    assert page.evaluate(FOCUS)["id"] == "opener"
    open_popup(page)
    page.mouse.click(5, 5)  # the backdrop, outside the dialog's box
    wait_closed(page)
    assert page.evaluate(FOCUS)["id"] == "opener"
    # A click inside the dialog's own box does not close it.
    open_popup(page)
    box = page.locator(".quiz-popup-bar").bounding_box()
    page.mouse.click(box["x"] + 10, box["y"] + box["height"] / 2)
    settle(page, 100)
    assert page.locator(f"{POPUP}[open]").count() == 1


def test_the_page_behind_the_popup_does_not_scroll(popup_page):
    page = popup_page.page
    page.evaluate("window.scrollTo(0, 300)")
    settle(page, 100)
    page.evaluate("document.getElementById('opener').click()")
    page.wait_for_selector(f"{POPUP}[open]")
    assert page.evaluate("window.scrollY") == 300
    page.mouse.move(10, 350)  # over the backdrop
    page.mouse.wheel(0, 800)
    settle(page, 300)
    assert page.evaluate("window.scrollY") == 300


def test_the_popup_fills_a_narrow_phone_and_moves_only_without_reduced_motion(popup_page):
    page = popup_page.page
    page.emulate_media(reduced_motion="no-preference")
    page.set_viewport_size({"width": 390, "height": 844})
    open_popup(page)
    assert page.locator(POPUP).bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    motion = "getComputedStyle(document.querySelector('dialog.quiz-popup')).animationName"
    assert page.evaluate(motion) == "quiz-popup-in"
    page.keyboard.press("Escape")
    page.emulate_media(reduced_motion="reduce")
    open_popup(page)
    assert page.evaluate(motion) == "none"
    page.set_viewport_size({"width": 1280, "height": 800})
    box = page.locator(POPUP).bounding_box()
    assert box["width"] <= 720 and box["x"] > 0


def test_popup_events_carry_the_clinic_and_step_numbers_only(popup_page):
    page = popup_page.page
    open_popup(page)
    frame = popup_frame(page)
    submit(frame, frame.get_by_role("button", name="Start"))
    page.wait_for_function("window.quizEvents.length >= 2")
    events = page.evaluate("window.quizEvents")
    assert [e["type"] for e in events] == ["quiz:start", "quiz:step"]
    for event in events:
        assert event["bubbles"] and event["from"] == HOST_CLINIC
        assert set(event["detail"]) == {"clinic", "step", "steps"}
        assert event["detail"]["clinic"] == HOST_CLINIC
    assert [p["event"] for p in page.evaluate("window.dataLayer")] == ["quiz_start", "quiz_step"]


# Self-opening popups, show-once and a lead with the host's campaign.


def test_a_lead_sent_from_the_popup_is_stored_with_the_host_pages_utm_tags(
    browser_page, blocking_context, quiz_server, host_server
):
    page = browser_page.page
    email = "popup.visitor@example.org"
    query = "utm_source=newsletter&utm_campaign=popup-spring"
    page.goto(f"{host_server}/timed.html?{query}")
    # data-open-after="0": it opens by itself, once the page has run embed.js.
    frame = popup_frame(page)
    answers = answer_everything(runtime(quiz_server.app).questionnaire)
    send_lead(frame, answers, "Ada Popup", email)
    page.wait_for_function("window.quizEvents.some(e => e.type === 'quiz:lead')")
    # A lead counts as seen at once, before the visitor closes anything.
    assert page.evaluate("localStorage.getItem('quiz-seen:alpha')") == "1"
    with quiz_server.app.app_context():
        lead = db.session.execute(select(Lead).filter_by(email=email)).scalar_one()
        assert (lead.utm_source, lead.utm_campaign) == ("newsletter", "popup-spring")
        assert lead.page_url == f"{host_server}/timed.html?{query}"
        db.session.remove()
    # Nothing answer-derived reached the host page, and the quiz stored nothing anywhere.
    pushed = json.dumps(page.evaluate("window.dataLayer"))
    assert email not in pushed and "suitab" not in pushed
    assert blocking_context.cookies() == []
    assert page.evaluate("Object.keys(localStorage)") == ["quiz-seen:alpha"]

    # The site remembers: the next page view does not open it again.
    page.reload()
    settle(page, 800)
    assert page.locator(POPUP).count() == 0
    assert page.evaluate("localStorage.getItem('quiz-seen:alpha')") == "1"
    page.evaluate("localStorage.clear()")


def test_a_popup_opening_on_exit_intent_opens_once_per_site(browser_page, host_server, quiz_server):
    page = browser_page.page
    page.goto(f"{host_server}/leaving.html")
    settle(page)
    page.mouse.move(500, 300)
    settle(page, 100)
    assert page.locator(POPUP).count() == 0
    # The pointer leaves through the top of the window.
    page.mouse.move(500, 0)
    page.mouse.move(500, -20)
    page.wait_for_selector(f"{POPUP}[open]")
    page.keyboard.press("Escape")
    wait_closed(page)
    assert page.evaluate("localStorage.getItem('quiz-seen:alpha')") == "1"
    page.reload()
    settle(page)
    page.mouse.move(500, 300)
    page.mouse.move(500, 0)
    page.mouse.move(500, -20)
    settle(page, 500)
    assert page.locator(POPUP).count() == 0
    assert quiz_requests(browser_page, quiz_server).count("/static/js/popup.js") == 1
    page.evaluate("localStorage.clear()")


# The floating launcher.


def test_the_launcher_is_branded_keyboard_reachable_and_opens_the_popup(
    browser_page, host_server, quiz_server
):
    page = browser_page.page
    page.goto(f"{host_server}/button.html")
    launcher = page.locator("button.quiz-launcher")
    launcher.wait_for()
    assert launcher.inner_text() == "Free skin assessment"
    colours = launcher.evaluate(
        "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]"
    )
    assert colours == ["rgb(90, 45, 130)", "rgb(255, 255, 255)"], BRANDED_COLOURS
    box = launcher.bounding_box()
    assert abs(1000 - (box["x"] + box["width"]) - 20) <= 1  # the bottom right corner
    assert abs(700 - (box["y"] + box["height"]) - 20) <= 1
    assert box["height"] < 80 and box["width"] < 400
    settle(page)
    assert quiz_requests(browser_page, quiz_server) == ["/static/embed.js"]
    # Tab reaches it (after the page's own button), Enter opens the popup.
    page.focus("#before")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS)["cls"] == "quiz-launcher"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{POPUP}[open]")
    assert page.locator(POPUP).get_attribute("data-quiz-clinic") == BRANDED_CLINIC
    page.keyboard.press("Escape")
    wait_closed(page)
    assert page.evaluate(FOCUS)["cls"] == "quiz-launcher"
    assert browser_page.errors == []


def test_several_widgets_on_one_page_keep_to_themselves(browser_page, host_server, quiz_server):
    page = browser_page.page
    page.goto(f"{host_server}/several.html")
    inline = quiz_frame(page)
    settle(page)
    # The inline widget loaded; the popup and the launcher loaded nothing yet.
    assert quiz_requests(browser_page, quiz_server).count("/static/js/popup.js") == 0
    launcher = page.locator("button.quiz-launcher").bounding_box()
    assert abs(launcher["x"] - 20) <= 1  # data-position="left"
    submit(inline, inline.get_by_role("button", name="Start"))
    page.wait_for_function("window.quizEvents.length >= 2")
    open_popup(page)
    second = popup_frame(page)
    assert f"/embed/{SECOND_CLINIC}?" in page.locator(f"{POPUP} iframe").get_attribute("src")
    submit(second, second.get_by_role("button", name="Start"))
    page.wait_for_function("window.quizEvents.length >= 4")
    events = page.evaluate("window.quizEvents")
    sources = {(e["from"], e["detail"]["clinic"]) for e in events}
    assert sources == {("quiz-embed", HOST_CLINIC), (SECOND_CLINIC, SECOND_CLINIC)}, events
    assert browser_page.errors == [] and page.evaluate("window.pageErrors") == []


def test_axe_finds_nothing_wrong_with_the_launcher_and_the_open_popup(
    browser_page, host_server, axe_path
):
    from tests.browser.axe import Axe

    axe = Axe(axe_path)
    page = browser_page.page
    page.goto(f"{host_server}/button.html")
    page.locator("button.quiz-launcher").wait_for()
    axe.check(page, "host page with the launcher")
    page.click("button.quiz-launcher")
    popup_frame(page)
    axe.check(page, "host page with the popup open")
    axe.assert_clean()


# The back office's generator: each mode's code, with a live preview on a sample page.


def test_the_back_office_generator_previews_each_mode_live(a11y_browser, a11y_setup):
    from tests.browser.conftest import A11Y_ADMIN

    origin = a11y_setup.origin
    # A context of its own: the back office's session cookie must not reach other tests.
    context = a11y_browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    watched = watch(page)
    page.goto(f"{origin}/admin/login")
    page.fill("input[name=email]", A11Y_ADMIN[0])
    page.fill("input[name=password]", A11Y_ADMIN[1])
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(f"{origin}/admin/clinics/{HOST_CLINIC}")
    code = page.locator("#snippet")
    assert "data-quiz-slot" in code.input_value()
    assert f'data-height="{RESERVED_HEIGHT}"' in code.input_value()
    # The preview is a sample clinic page running that code: the inline quiz is in it.
    preview = page.frame_locator("iframe.embed-preview")
    quiz = preview.frame_locator(".quiz-embed iframe")
    quiz.locator("#step-heading").wait_for()
    assert preview.locator(".quiz-embed iframe").evaluate("f => f.offsetHeight") == RESERVED_HEIGHT

    # Choosing the button mode updates the code and the preview without a reload.
    page.get_by_label("As a floating button that opens the popup").check()
    expect(page.locator("#snippet")).to_have_value(re.compile('data-mode="button"'))
    assert "mode=button" in page.url
    preview = page.frame_locator("iframe.embed-preview")
    page.locator("iframe.embed-preview").scroll_into_view_if_needed()
    preview.locator("button.quiz-launcher").click()
    preview.locator("dialog.quiz-popup[open]").wait_for()
    preview.frame_locator("dialog.quiz-popup iframe").locator("#step-heading").wait_for()

    # A bad value is named, and the code keeps a valid default meanwhile.
    page.get_by_label("In the page, where the code is pasted").check()
    page.fill("#embed-height", "50")
    page.wait_for_selector("#embed-output .error-summary")
    assert "from 100 to 5000" in page.inner_text("#embed-output .error-summary")
    assert f'data-height="{RESERVED_HEIGHT}"' in page.locator("#snippet").input_value()
    assert watched.errors == []
    # The back office's policy refuses inline styles, and the sample page inherits it: only
    # the wrapper's reserved height (a style attribute) is refused, nothing the code runs.
    refused = [line for line in watched.console if "Content Security Policy" in line]
    assert all(line.startswith("Applying inline style") for line in refused), refused
    context.close()
