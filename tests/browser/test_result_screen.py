"""The result screen on a phone, the progress line, and the booking offer, in Chromium.

At 390 x 844 the verdict, the summary and the way to the clinic are on the first screen and
at most 300 words come before the contact form; the progress never goes back; the thanks
screen frames a clinic's booking page with that one origin allowed, and nothing else.
"""

from __future__ import annotations

import pytest

from quiz.runtime import runtime
from tests.browser.axe import Axe
from tests.browser.conftest import HOST_CLINIC
from tests.browser.helpers import submit, tick_answers
from tests.helpers import answer_everything

PHONE = {"width": 390, "height": 844}
BOOKED = "booked"
BOOKING_URL = "https://booking.invalid/booked/consultation"
# Words a reader sees before the contact form: closed disclosures show their summary only.
WORDS_BEFORE_FORM = """() => {
  const range = document.createRange();
  range.setStartBefore(document.querySelector("main"));
  range.setEndBefore(document.querySelector("#contact"));
  const box = document.createElement("div");
  box.appendChild(range.cloneContents());
  box.querySelectorAll("details:not([open]) > :not(summary), .visually-hidden, .hp")
    .forEach(el => el.remove());
  return (box.textContent.match(/[\\p{L}\\p{N}]+/gu) || []).length;
}"""


@pytest.fixture(scope="module")
def booked(quiz_server, host_origin) -> str:
    """A clinic that frames its booking page on the thanks screen."""
    from quiz import services

    with quiz_server.app.app_context():
        if services.get_clinic(BOOKED) is None:
            services.create_clinic(
                BOOKED,
                services.ClinicFields(
                    "Booked Clinic",
                    origins=[host_origin],
                    booking_url=BOOKING_URL,
                    booking_inline=True,
                ),
            )
    return BOOKED


@pytest.fixture
def phone(a11y_browser):
    """A fresh phone-sized context, with the page's own CSP in force."""
    # Reduced motion: a link within the page scrolls at once, so where it lands is measured.
    context = a11y_browser.new_context(viewport=PHONE, reduced_motion="reduce")
    yield context
    context.close()


def _answers(quiz_server, **chosen) -> dict[str, list[str]]:
    return answer_everything(runtime(quiz_server.app).questionnaire, **chosen)


def walk_to_result(page, answers) -> list[tuple[int, int]]:
    """From the intro to the result; return each step's (progress value, max)."""
    submit(page, page.get_by_role("button", name="Start"))
    progress = []
    while page.locator("button[value=next]").count():
        bar = page.locator("progress.progress")
        progress.append((int(bar.get_attribute("value")), int(bar.get_attribute("max"))))
        tick_answers(page, answers)
        submit(page, page.locator("button[value=next]"))
        assert page.locator("#error-summary").count() == 0
    return progress


def bottom(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["y"] + box["height"]


@pytest.mark.parametrize(
    ("chosen", "suitability"),
    [
        ({"concerns": ["fine_lines"]}, "good"),
        ({"concerns": ["cellulite", "pigmentation"], "medicines": ["blood_thinner"]}, "consult"),
        ({"skin_now": ["infection"]}, "not_suitable"),
    ],
)
def test_on_a_phone_the_first_screen_holds_verdict_summary_and_the_way_to_the_clinic(
    phone, quiz_server, chosen, suitability
):
    page = phone.new_page()
    page.goto(f"{quiz_server.origin}/embed/{HOST_CLINIC}")
    walk_to_result(page, _answers(quiz_server, **chosen))
    assert page.locator(f".result-{suitability}").count() == 1
    assert page.evaluate("window.scrollY") == 0
    for selector in (".suitability", ".outcome-summary", ".side-effects", ".next-step a"):
        assert bottom(page, selector) <= PHONE["height"], selector
    assert page.locator(".disclaimer").is_visible()
    assert page.evaluate(WORDS_BEFORE_FORM) <= 300
    if suitability != "good":
        return
    # The detail is one tap away, without any script of ours needed.
    reasons = page.locator("details.more").first
    assert not reasons.locator("p").first.is_visible()
    reasons.locator("summary").click()
    assert reasons.locator("p").first.is_visible()
    # The button goes straight to the contact form.
    page.locator(".next-step a.button").click()
    # A function, not an expression: Playwright would poll an expression with eval, which
    # the quiz's Content-Security-Policy refuses.
    page.wait_for_function("() => location.hash === '#contact'")
    heading = page.locator("#contact-heading").bounding_box()
    assert 0 <= heading["y"] < PHONE["height"]


def test_inside_a_clinics_page_the_button_brings_the_contact_form_into_view(
    phone, host_server, quiz_server
):
    page = phone.new_page()
    page.goto(f"{host_server}/host.html")
    page.wait_for_selector("#slot iframe")
    frame = page.locator("#slot iframe").element_handle().content_frame()
    frame.wait_for_load_state("load")
    # Each step is swapped in place: submit() waits for it (its history entry), where a
    # fixed pause could tick the step being left while the next one is still on its way.
    submit(frame, frame.get_by_role("button", name="Start"))
    answers = _answers(quiz_server, concerns=["fine_lines"])
    while not frame.locator(".next-step a.button").count():
        tick_answers(frame, answers)
        submit(frame, frame.locator("button[value=next]"))
    frame.locator(".next-step a.button").click()
    page.wait_for_function(
        "() => { const f = document.querySelector('#slot iframe');"
        " return f && window.scrollY > 0; }"
    )
    heading = frame.locator("#contact-heading").bounding_box()
    assert 0 <= heading["y"] < PHONE["height"], heading


def test_progress_never_goes_back_as_follow_up_steps_appear(phone, quiz_server):
    page = phone.new_page()
    page.goto(f"{quiz_server.origin}/embed/{HOST_CLINIC}")
    progress = walk_to_result(
        page, _answers(quiz_server, concerns=["cellulite", "hair_thinning", "pigmentation"])
    )
    fractions = [value / total for value, total in progress]
    assert fractions == sorted(fractions), progress
    assert len({total for _, total in progress}) == 1, progress
    assert progress[0][0] == 1 and progress[-1][0] == progress[-1][1]


def test_the_thanks_screen_frames_the_booking_page_and_nothing_else(
    a11y_browser, quiz_server, booked
):
    context = a11y_browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{quiz_server.origin}/embed/{booked}")
    walk_to_result(page, _answers(quiz_server, concerns=["fine_lines"]))
    booking = page.locator(".next-step a.button.secondary")
    assert booking.get_attribute("href") == BOOKING_URL
    assert booking.get_attribute("target") == "_top"
    page.locator("input[name=name]").fill("Ada Lovelace")
    page.locator("input[name=email]").fill("ada.lovelace@example.org")
    page.locator("input[name=consent_contact]").check()
    page.locator("input[name=consent_health]").check()
    with page.expect_response(lambda r: r.url.endswith("/contact")) as sent:
        submit(page, page.locator("button[value=send]"))
    policy = sent.value.headers["content-security-policy"]
    assert "frame-src https://booking.invalid;" in policy
    frame = page.locator("iframe.booking-frame")
    assert frame.get_attribute("src") == BOOKING_URL
    assert frame.get_attribute("title") == "Booking page of Booked Clinic"
    # The frame's navigation, and so the policy's check, starts while the page is parsed.
    assert not _refused_frames(console), console
    # Any other page in a frame is refused by the same policy.
    with page.expect_console_message(lambda m: bool(_refused_frames([m.text]))):
        page.evaluate(
            """() => { const f = document.createElement("iframe");
              f.src = "https://elsewhere.invalid/"; document.body.appendChild(f); }"""
        )
    refused = _refused_frames(console)
    assert len(refused) == 1 and "https://elsewhere.invalid/" in refused[0], console
    context.close()


def _refused_frames(console: list[str]) -> list[str]:
    """Chromium's console lines for frames the page's CSP blocked."""
    return [line for line in console if "Content Security Policy" in line and "frame" in line]


def test_the_new_screens_pass_axe(a11y_context, quiz_server, axe_path, booked):
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    page.goto(f"{quiz_server.origin}/embed/{booked}")
    walk_to_result(page, _answers(quiz_server, concerns=["cellulite", "pigmentation"]))
    axe.check(page, "result, details closed")
    for summary in page.locator("details > summary").all():
        summary.click()
    axe.check(page, "result, every detail open")
    page.locator("input[name=name]").fill("Ada Lovelace")
    page.locator("input[name=email]").fill("ada.lovelace@example.org")
    page.locator("input[name=consent_contact]").check()
    page.locator("input[name=consent_health]").check()
    submit(page, page.locator("button[value=send]"))
    assert page.locator("iframe.booking-frame").count() == 1
    axe.check(page, "thanks with the booking page framed")
    for chosen, screen in (
        ({"medicines": ["blood_thinner"]}, "consult result"),
        ({"skin_now": ["infection"]}, "not-suitable result"),
    ):
        page.goto(f"{quiz_server.origin}/embed/{booked}")
        walk_to_result(page, _answers(quiz_server, **chosen))
        axe.check(page, screen)
    axe.assert_clean()


def test_without_javascript_the_details_open_and_the_button_reaches_the_form(
    a11y_browser, quiz_server
):
    context = a11y_browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{quiz_server.origin}/embed/{HOST_CLINIC}")
    walk_to_result(page, _answers(quiz_server, concerns=["fine_lines"]))
    expect = page.locator("details.expect")
    assert not expect.locator("p").first.is_visible()
    expect.locator("summary").click()
    assert expect.locator("p").first.is_visible()
    page.locator(".next-step a.button.primary").click()
    assert page.evaluate("location.hash") == "#contact"
    heading = page.locator("#contact-heading").bounding_box()
    assert 0 <= heading["y"] < PHONE["height"]
    context.close()
