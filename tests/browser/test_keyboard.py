"""The quiz can be finished with the keyboard alone: every stop shows its focus, focus moves to
the new step's heading or to the error summary, and choosing an answer never submits."""

from __future__ import annotations

import re

import pytest

from quiz.runtime import runtime
from tests.browser.conftest import A11Y_ADMIN, A11Y_BEFORE, HOST_CLINIC
from tests.browser.helpers import CONCERNS
from tests.helpers import answer_everything

# What has focus, and whether it is drawn: an outline or a box-shadow ring.
FOCUSED = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "", name: el.name || "",
    value: el.value || "", checked: !!el.checked, text: (el.innerText || "").trim(),
    visible: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0)
      || s.boxShadow !== "none"};
}"""
MAX_TABS = 80


class Keyboard:
    """Drives one page or frame with key presses only, counting navigations."""

    def __init__(self, page, frame=None):
        self.page = page
        self.frame = frame or page.main_frame
        self.navigations = 0
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame) -> None:
        if frame == self.frame:
            self.navigations += 1

    def focused(self) -> dict:
        return self.frame.evaluate(FOCUSED)

    def press(self, key: str) -> dict:
        """Press a key that must not leave the page; return what has focus, which must show."""
        before = self.navigations
        self.page.keyboard.press(key)
        now = self.focused()
        assert self.navigations == before, f"{key} on {now} submitted the page"
        assert now["visible"], f"focus is not visible on {now} after {key}"
        return now

    def tab_to(self, match, key: str = "Tab") -> dict:
        """Press Tab (or Shift+Tab) until the focused element matches; return it."""
        for _ in range(MAX_TABS):
            now = self.press(key)
            if match(now):
                return now
        pytest.fail(f"{key} never reached the element wanted")

    def activate(self, key: str = "Enter") -> None:
        """Press a key that submits, and wait for the next page."""
        with self.frame.expect_navigation(wait_until="load"):
            self.page.keyboard.press(key)

    def follow_link(self) -> None:
        """Press Enter on an in-page link and wait for its same-document navigation.

        The navigation's event arrives asynchronously: not waited for here, it can land during
        the next key press and be counted as a submission.
        """
        with self.page.expect_event("framenavigated", lambda frame: frame == self.frame):
            self.page.keyboard.press("Enter")

    def heading(self) -> str:
        return self.frame.locator("h1").inner_text()


def is_button(value: str):
    return lambda el: el["tag"] == "button" and el["value"] == value


def answer_step(keys: Keyboard, answers: dict[str, list[str]]) -> None:
    """Answer this step's questions with Tab, Space and arrow keys, then stop on Next."""
    while True:
        now = keys.press("Tab")
        if is_button("next")(now):
            return
        qid = now["name"].removeprefix("q-")
        wanted = answers.get(qid, [])
        if now["type"] == "checkbox" and now["value"] in wanted and not now["checked"]:
            now = keys.press("Space")
            assert now["checked"], f"Space did not tick {now}"
        elif now["type"] == "radio" and wanted:
            # Tab enters a radio group on its first option; arrows move and select.
            names = keys.frame.locator(f'input[type=radio][name="{now["name"]}"]')
            values = [names.nth(i).get_attribute("value") for i in range(names.count())]
            steps = values.index(wanted[0]) - values.index(now["value"])
            for _ in range(steps):
                now = keys.press("ArrowDown")
            if not now["checked"]:
                now = keys.press("Space")
            assert now["checked"] and now["value"] == wanted[0], now


def assert_step_page(keys: Keyboard, number: int) -> int:
    """Focus is on the step's heading and the progress says 'Step N of up to M'; return M."""
    assert keys.focused()["id"] == "step-heading", keys.focused()
    progress = keys.frame.locator(".progress-text").inner_text()
    found = re.fullmatch(rf"Step {number} of up to (\d+)", progress.strip())
    assert found, progress
    return int(found.group(1))


def type_into(keys: Keyboard, name: str, text: str) -> None:
    keys.tab_to(lambda el: el["name"] == name)
    keys.page.keyboard.type(text)


@pytest.fixture
def keyboard_context(a11y_browser, a11y_setup):
    """A fresh context that keeps the page's CSP (nothing is injected here)."""
    context = a11y_browser.new_context(viewport={"width": 1000, "height": 700})
    yield context
    context.close()


def test_the_quiz_can_be_finished_from_intro_to_thanks_with_the_keyboard_alone(
    keyboard_context, quiz_server
):
    answers = answer_everything(runtime(quiz_server.app).questionnaire, concerns=CONCERNS)
    page = keyboard_context.new_page()
    page.goto(f"{quiz_server.origin}/embed/{A11Y_BEFORE}")
    keys = Keyboard(page)
    # Kept by every step swapped in place, lost by a page load.
    page.evaluate("window.__sameDocument = true")

    keys.tab_to(lambda el: el["tag"] == "button" and el["text"] == "Start")
    keys.activate("Enter")
    total = assert_step_page(keys, 1)

    # An empty step: focus goes to the error summary, whose links lead to the questions.
    keys.tab_to(is_button("next"))
    keys.activate("Enter")
    assert keys.focused()["id"] == "error-summary"
    link = keys.press("Tab")
    assert link["tag"] == "a"
    target = keys.frame.evaluate("document.activeElement.getAttribute('href')")
    keys.follow_link()
    assert keys.frame.evaluate("location.hash") == target
    # The link put focus in the first question; Shift+Tab returns to the link, above it.
    assert keys.press("Shift+Tab")["tag"] == "a"

    number, pages = 1, 0
    while not keys.frame.locator("input[name=email]").count():
        pages += 1
        assert pages < 40, "never reached the contact form"
        heading = keys.heading()
        answer_step(keys, answers)
        # Choosing answers changed nothing until Next is pressed: no auto-advance.
        assert keys.heading() == heading
        keys.activate("Enter")
        assert keys.frame.locator("#error-summary").count() == 0, keys.heading()
        if keys.frame.locator("input[name=email]").count():
            break
        # The total is the longest path, whichever later steps apply; an answer can also
        # reveal one more question on the same step, which says so.
        if keys.frame.locator(".notice[role=status]").count():
            assert assert_step_page(keys, number) == total
        else:
            number += 1
            assert assert_step_page(keys, number) == total
        assert number <= total
    assert number == total, f"answered {number} of {total} steps"
    # Every step, the one with errors and the contact form came in place, not as page loads.
    assert page.evaluate("window.__sameDocument") is True

    # The contact form: an empty send puts focus on the error summary.
    keys.tab_to(is_button("send"))
    keys.activate("Enter")
    assert keys.focused()["id"] == "error-summary"
    type_into(keys, "name", "Ada Lovelace")
    type_into(keys, "email", "ada.keyboard@example.org")
    # Shift+Tab goes back: the name field is just before the email field.
    assert keys.press("Shift+Tab")["name"] == "name"
    for consent in ("consent_contact", "consent_health"):
        keys.tab_to(lambda el, consent=consent: el["name"] == consent)
        assert keys.press("Space")["checked"]
    keys.tab_to(is_button("send"))
    keys.activate("Enter")
    assert keys.heading() == "Thank you"


def test_focus_moves_to_the_heading_and_error_summary_inside_the_iframe(
    keyboard_context, host_server
):
    page = keyboard_context.new_page()
    page.goto(f"{host_server}/host.html")
    page.wait_for_selector("#slot iframe", state="attached")
    frame = page.locator("#slot iframe").element_handle().content_frame()
    frame.wait_for_load_state("load")
    assert HOST_CLINIC in frame.url
    keys = Keyboard(page, frame)

    # Tab from the clinic's page into the frame reaches the Start button.
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if frame.evaluate("document.hasFocus()") and keys.focused()["text"] == "Start":
            break
    else:
        pytest.fail("Tab never reached the quiz's Start button")
    assert keys.focused()["visible"]
    keys.activate("Enter")
    assert_step_page(keys, 1)

    keys.tab_to(is_button("next"))
    keys.activate("Enter")
    assert keys.focused()["id"] == "error-summary"
    assert keys.frame.locator(".progress-text").inner_text().startswith("Step 1 of ")


def test_back_office_signs_in_and_skips_to_content_with_the_keyboard(keyboard_context, quiz_server):
    page = keyboard_context.new_page()
    page.goto(f"{quiz_server.origin}/admin/login")
    keys = Keyboard(page)
    type_into(keys, "email", A11Y_ADMIN[0])
    type_into(keys, "password", A11Y_ADMIN[1])
    keys.tab_to(lambda el: el["tag"] in ("button", "input") and el["type"] == "submit")
    keys.activate("Enter")
    assert page.url.startswith(f"{quiz_server.origin}/admin/leads"), page.url

    # The first Tab shows the skip link; following it puts the next Tab inside <main>.
    skip = keys.press("Tab")
    assert skip["tag"] == "a" and skip["text"] == "Skip to content"
    keys.follow_link()
    assert page.url.endswith("#main"), page.url
    now = keys.press("Tab")
    inside = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside, f"Tab after the skip link went to {now}"
