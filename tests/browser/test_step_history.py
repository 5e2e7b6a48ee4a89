"""The browser's back and forward buttons move between quiz steps and never resubmit a form:
in place with JavaScript (history.pushState), and as plain pages without it (303 to a GET)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from quiz.runtime import runtime
from tests.browser.conftest import HOST_CLINIC
from tests.browser.helpers import (
    FRAME,
    address,
    answer_step,
    assert_height_fits,
    quiz_frame,
    wait_heading,
    wait_in_frame,
)
from tests.helpers import answer_everything

# Set on the frame's window: a step swapped in place keeps it, a page load loses it.
MARK = "window.__sameDocument"


@pytest.fixture
def answers(quiz_server) -> dict[str, list[str]]:
    return answer_everything(runtime(quiz_server.app).questionnaire)


@pytest.fixture
def titles(quiz_server) -> list[str]:
    return [s.title.get("en") for s in runtime(quiz_server.app).questionnaire.steps]


@pytest.fixture
def context(a11y_browser) -> Iterator:
    # Reduced motion, as in every engine: a click never lands on a host page still scrolling.
    context = a11y_browser.new_context(
        viewport={"width": 390, "height": 844}, reduced_motion="reduce"
    )
    yield context
    context.close()


@pytest.fixture
def no_js_context(a11y_browser) -> Iterator:
    context = a11y_browser.new_context(java_script_enabled=False)
    yield context
    context.close()


def tick(frame, answers: dict[str, list[str]]) -> None:
    """Choose this step's answers by clicking them, as a visitor does."""
    for qid, values in answers.items():
        for value in values:
            option = frame.locator(f'input[name="q-{qid}"][value="{value}"]')
            if option.count() and not option.is_checked():
                option.check()


def heading(frame) -> str:
    return frame.locator("#step-heading").inner_text()


def focused_id(frame) -> str:
    return frame.evaluate("document.activeElement && document.activeElement.id")


def step_address(frame) -> bool:
    parts = urlsplit(address(frame))
    return parts.path == f"/embed/{HOST_CLINIC}/step" and parts.query.startswith("state=")


def back(page) -> None:
    """The browser's back button: one step back in the tab's history, frames included (the
    host page itself does not navigate, which Page.go_back would wait for)."""
    page.evaluate("history.back()")


def forward(page) -> None:
    page.evaluate("history.forward()")


def test_steps_change_in_place_and_back_and_forward_move_between_them(
    context, host_server, answers, titles
):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    loads: list[str] = []
    page.on("load", lambda p: loads.append("page"))
    page.goto(f"{host_server}/host.html", wait_until="load")
    frame = quiz_frame(page)
    frame.evaluate(f"{MARK} = true")
    intro_url = address(frame)

    frame.get_by_role("button", name="Start").click()
    wait_heading(frame, titles[0])
    assert step_address(frame), address(frame)
    first_url = address(frame)
    assert focused_id(frame) == "step-heading"

    # A missing answer is shown in place too, focused on the summary, at the same address.
    frame.locator("button[value=next]").click()
    frame.wait_for_selector("#error-summary")
    assert address(frame) == first_url
    assert focused_id(frame) == "error-summary"

    tick(frame, answers)
    frame.locator("button[value=next]").click()
    wait_heading(frame, titles[1])
    second_url = address(frame)
    assert step_address(frame) and second_url != first_url
    assert focused_id(frame) == "step-heading"
    assert frame.evaluate(MARK) is True, "a step reloaded the frame"

    tick(frame, answers)
    frame.locator("button[value=next]").click()
    wait_in_frame(
        frame, "t => document.getElementById('step-heading').textContent.trim() !== t", titles[1]
    )
    third_title, third_url = heading(frame), address(frame)

    back(page)
    wait_heading(frame, titles[1])
    assert address(frame) == second_url
    assert focused_id(frame) == "step-heading"
    # What was chosen there is still chosen, as a browser's back button restores a form.
    chosen = [
        frame.locator(f'input[name="q-{qid}"][value="{value}"]')
        for qid, values in answers.items()
        for value in values
    ]
    chosen = [option for option in chosen if option.count()]
    assert chosen and all(option.is_checked() for option in chosen)
    back(page)
    # Step 1 showed what to fix when it was left: it comes back afresh, without the errors.
    wait_heading(frame, titles[0])
    assert address(frame) == first_url
    assert frame.locator("#error-summary").count() == 0
    assert focused_id(frame) == "step-heading"
    forward(page)
    wait_heading(frame, titles[1])
    forward(page)
    wait_heading(frame, third_title)
    assert address(frame) == third_url
    # Back three times, each once the last has landed, as a person does: three calls in a
    # row, under load, once left the frame short of the intro (the traversals are queued
    # asynchronously, and a call made while another is pending need not count from it).
    back(page)
    wait_heading(frame, titles[1])
    back(page)
    wait_heading(frame, titles[0])
    back(page)
    wait_in_frame(frame, "url => location.href === url", intro_url)
    frame.get_by_role("button", name="Start").wait_for()
    forward(page)
    wait_heading(frame, titles[0])
    # Every move was in place: one document, no resubmission, no error, and the host page
    # was never reloaded.
    assert frame.evaluate(MARK) is True
    assert dialogs == [] and errors == [] and loads == ["page"]

    events = page.evaluate("window.quizEvents")
    # Step numbers only, as for full page loads: start and step 1 for each time step 1 came
    # from the intro.
    assert [e["type"] for e in events][:3] == ["quiz:start", "quiz:step", "quiz:step"]
    for event in events:
        assert set(event["detail"]) == {"clinic", "step", "steps"}, event


def test_the_iframe_follows_the_height_of_each_step_swapped_in(context, host_server, answers):
    page = context.new_page()
    page.goto(f"{host_server}/host.html", wait_until="load")
    frame = quiz_frame(page)
    frame.evaluate(f"{MARK} = true")
    frame.get_by_role("button", name="Start").click()
    frame.wait_for_selector("button[value=next]")
    assert_height_fits(page, frame)
    for _ in range(30):
        if not frame.locator("button[value=next]").count():
            break
        before = frame.locator("#step-heading").inner_text()
        tick(frame, answers)
        frame.locator("button[value=next]").click()
        wait_in_frame(
            frame,
            "t => { const h = document.getElementById('step-heading');"
            " return h && h.textContent.trim() !== t; }",
            before,
        )
        assert_height_fits(page, frame)
    # The result, swapped in like the steps, with its contact form.
    assert frame.locator('input[name="email"]').count() == 1
    assert frame.evaluate(MARK) is True
    assert [e["type"] for e in page.evaluate("window.quizEvents")][-1] == "quiz:complete"


def test_without_javascript_back_and_forward_reload_steps_without_resubmitting(
    no_js_context, quiz_server, answers, titles
):
    page = no_js_context.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{quiz_server.origin}/embed/{HOST_CLINIC}", wait_until="load")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Start").click()
    assert step_address(page.main_frame)
    assert heading(page) == titles[0]
    tick(page.main_frame, answers)
    with page.expect_navigation(wait_until="load"):
        page.locator("button[value=next]").click()
    assert heading(page) == titles[1]
    assert len(posts) == 2

    page.go_back(wait_until="load")
    # The step itself, from its address: not "Confirm form resubmission" (ERR_CACHE_MISS).
    assert heading(page) == titles[0]
    # The answers given on it are still chosen.
    for qid, values in answers.items():
        for value in values:
            option = page.locator(f'input[name="q-{qid}"][value="{value}"]')
            if option.count():
                assert option.is_checked(), (qid, value)
    page.go_forward(wait_until="load")
    assert heading(page) == titles[1]
    page.reload(wait_until="load")
    assert heading(page) == titles[1]
    assert len(posts) == 2, "going back, forward or reloading sent a form again"


HEADING_IS = (
    "document.getElementById('step-heading')"
    " && document.getElementById('step-heading').textContent.trim() === arguments[0]"
)


def test_back_and_forward_move_between_steps_in_place_in_every_engine(
    host_browser, host_server, answers, titles
):
    browser = host_browser
    browser.open(f"{host_server}/host.html")
    with browser.frame(FRAME):
        browser.run_js(f"{MARK} = true;")
        browser.submit("button[value=start]")
        browser.wait_for(HEADING_IS, 10, titles[0])
        first = browser.run_js("return location.href;")
        answer_step(browser, answers)
        browser.submit("button[value=next]")
        browser.wait_for(HEADING_IS, 10, titles[1])
        second = browser.run_js("return location.href;")
        assert first != second and "/step?state=" in second
    browser.run_js("history.back();")
    with browser.frame(FRAME):
        browser.wait_for(HEADING_IS, 10, titles[0])
        assert browser.run_js("return location.href;") == first
    browser.run_js("history.forward();")
    with browser.frame(FRAME):
        browser.wait_for(HEADING_IS, 10, titles[1])
        assert browser.run_js("return location.href;") == second
        # One document all along: every step, back and forward were swapped in place.
        assert browser.run_js(f"return {MARK};") is True
