"""axe-core (WCAG 2.0-2.2 A and AA rules) finds no violation on any quiz or back-office page,
with the default colours and with a dark clinic branding."""

from __future__ import annotations

import pytest

from quiz.runtime import runtime
from tests.browser.axe import Axe
from tests.browser.conftest import A11Y_ADMIN, A11Y_BEFORE, A11Y_BRANDED, HOST_CLINIC
from tests.browser.helpers import CONCERNS, submit, tick_answers
from tests.helpers import answer_everything

# Each form field's border colour and the background behind it (WCAG 1.4.11 wants 3:1).
FIELD_EDGES = """() => [...document.querySelectorAll(["text", "email", "tel", "password", "date",
    "search"].map(t => `main input[type=${t}]`).concat(["main select", "main textarea"]).join())]
  .filter(el => el.getClientRects().length && !el.closest(".hp"))
  .map(el => {
    let back = el.parentElement, colour = "rgba(0, 0, 0, 0)";
    while (back && (colour = getComputedStyle(back).backgroundColor) === "rgba(0, 0, 0, 0)") {
      back = back.parentElement;
    }
    return {what: el.name || el.id, border: getComputedStyle(el).borderTopColor,
      behind: back ? colour : "rgb(255, 255, 255)"};
  })"""


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def weak_field_edges(page, screen: str) -> list[str]:
    """Fields whose border has less than 3:1 contrast with what is behind them."""
    weak = []
    for edge in page.evaluate(FIELD_EDGES):
        light, dark = sorted((_luminance(edge["border"]), _luminance(edge["behind"])))[::-1]
        ratio = (light + 0.05) / (dark + 0.05)
        if ratio < 3:
            weak.append(f"{screen}: field {edge['what']} border {edge} is {ratio:.2f}:1")
    return weak


def walk_steps(page, axe: Axe, answers, prefix: str) -> int:
    """From step 1, check each step (and step 1 with errors) and go on; return the count."""
    axe.check(page, f"{prefix} step 1")
    submit(page, page.locator("button[value=next]"))
    assert page.locator("#error-summary").count() == 1
    axe.check(page, f"{prefix} step 1 with errors")
    for number in range(1, 40):
        if page.locator("input[name=email]").count():
            return number - 1
        if number > 1:
            axe.check(page, f"{prefix} step {number}")
        tick_answers(page, answers)
        submit(page, page.locator("button[value=next]"))
        assert page.locator("#error-summary").count() == 0, page.inner_text("#error-summary")
    pytest.fail("never reached the contact form")


def send_contact(page, axe: Axe, prefix: str) -> None:
    """Check the contact form empty and with errors, then send it and check the thanks page."""
    axe.check(page, f"{prefix} contact form")
    submit(page, page.locator("button[value=send]"))
    assert page.locator("#error-summary").count() == 1
    axe.check(page, f"{prefix} contact form with errors")
    page.locator("input[name=name]").fill("Ada Lovelace")
    page.locator("input[name=email]").fill("ada.lovelace@example.org")
    page.locator("input[name=consent_contact]").check()
    page.locator("input[name=consent_health]").check()
    submit(page, page.locator("button[value=send]"))
    assert page.locator("h1").inner_text() == "Thank you"
    axe.check(page, f"{prefix} thanks")


@pytest.fixture
def answers(quiz_server):
    return answer_everything(runtime(quiz_server.app).questionnaire, concerns=CONCERNS)


def quiz_journey(page, checker, origin: str, answers) -> None:
    """Walk the contact-first clinic from intro to thanks, then open a content page and the
    erasure page, checking each screen on the way."""
    page.goto(f"{origin}/embed/{A11Y_BEFORE}")
    checker.check(page, "intro")
    page.evaluate("window.__sameDocument = true")
    submit(page, page.get_by_role("button", name="Start"))
    steps = walk_steps(page, checker, answers, "default")
    assert steps >= 8, f"the walk reached only {steps} steps"
    # The steps checked were swapped in place (a page load would have lost the mark).
    assert page.evaluate("window.__sameDocument") is True
    send_contact(page, checker, "default")
    # The thanks screen checked offers the clinic's booking page as a button.
    assert page.locator('.next-step a[href="https://clear.example/book"]').count() == 1

    content = page.locator(".content-links a").first.get_attribute("href")
    forget = page.locator("a[href*='/forget/']").get_attribute("href")
    page.goto(origin + content if content.startswith("/") else content)
    checker.check(page, "content page")
    page.goto(origin + forget)
    checker.check(page, "erasure confirmation")
    submit(page, page.get_by_role("button", name="Delete my details"))
    checker.check(page, "erasure done")


def test_every_quiz_screen_passes_axe_with_the_default_colours(
    a11y_context, quiz_server, axe_path, answers
):
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    quiz_journey(page, axe, quiz_server.origin, answers)

    page.goto(f"{quiz_server.origin}/embed/{A11Y_BEFORE}")
    submit(page, page.get_by_role("button", name="Start"))
    page.locator("input[name=state]").evaluate("el => { el.value = el.value + 'x'; }")
    submit(page, page.locator("button[value=next]"))
    assert page.locator("a", has_text="Start the quiz again").count() == 1
    axe.check(page, "restart (tampered token)")

    response = page.goto(f"{quiz_server.origin}/embed/no-such-clinic")
    assert response.status == 404
    axe.check(page, "404")
    axe.assert_clean()


def test_every_quiz_screen_passes_axe_with_a_dark_branding(
    a11y_context, quiz_server, axe_path, answers
):
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    page.goto(f"{quiz_server.origin}/embed/{A11Y_BRANDED}")
    # The theme really applies: buttons take the clinic's primary colour.
    start = page.get_by_role("button", name="Start")
    assert start.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(90, 45, 130)"
    axe.check(page, "branded intro")
    submit(page, start)
    walk_steps(page, axe, answers, "branded")
    assert page.locator("#result-heading").count() == 1
    axe.check(page, "branded result")
    send_contact(page, axe, "branded result and")
    axe.assert_clean()


def test_the_embedded_quiz_and_its_iframe_pass_axe_on_a_clinics_page_and_the_demo(
    a11y_context, host_server, quiz_server, axe_path
):
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    page.goto(f"{host_server}/host.html")
    page.wait_for_selector("#slot iframe", state="attached")
    iframe = page.locator("#slot iframe")
    assert iframe.get_attribute("title"), "the quiz's iframe has no title"
    frame = iframe.element_handle().content_frame()
    frame.wait_for_load_state("load")
    assert f"/embed/{HOST_CLINIC}" in frame.url
    axe.check(page, "clinic page around the iframe")
    axe.check(frame, "intro in the iframe")
    submit(frame, frame.get_by_role("button", name="Start"))
    axe.check(frame, "step 1 in the iframe")
    submit(frame, frame.locator("button[value=next]"))
    assert frame.locator("#error-summary").count() == 1
    axe.check(frame, "step 1 with errors in the iframe")

    # The demo clinic's website, served by the quiz itself at /.
    page.goto(f"{quiz_server.origin}/")
    page.wait_for_selector(".quiz-slot iframe", state="attached")
    frame = page.locator(".quiz-slot iframe").element_handle().content_frame()
    frame.wait_for_load_state("load")
    axe.check(page, "demo page")
    axe.check(frame, "intro in the demo page's iframe")
    axe.assert_clean()


def test_every_back_office_page_passes_axe(a11y_context, quiz_server, axe_path):
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    admin = f"{quiz_server.origin}/admin"
    page.goto(f"{admin}/login")
    axe.check(page, "sign in")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill("Wrong-password-1")
    submit(page, page.get_by_role("button", name="Sign in"))
    axe.check(page, "sign in refused")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill(A11Y_ADMIN[1])
    submit(page, page.get_by_role("button", name="Sign in"))
    assert page.url.startswith(f"{admin}/leads"), page.url

    axe.check(page, "leads list")
    page.goto(f"{admin}/leads?date_from=yesterday")
    axe.check(page, "leads list with a bad filter")
    page.goto(f"{admin}/leads")
    submit(page, page.locator("table.leads a").first)
    axe.check(page, "lead detail")
    for path, screen in [
        ("/analytics", "analytics"),
        ("/clinics", "clinics list"),
        (f"/clinics/{A11Y_BEFORE}", "clinic edit"),
        ("/clinics/new", "new clinic"),
        ("/users", "users"),
        ("/deliveries", "failed deliveries"),
        ("/people", "data requests"),
        ("/password", "change password"),
    ]:
        response = page.goto(admin + path)
        assert response.status == 200, path
        axe.check(page, screen)
    submit(page, page.locator("main form [type=submit]").last)
    axe.check(page, "change password with errors")
    page.goto(f"{admin}/clinics/new")
    submit(page, page.locator("main form [type=submit]").last)
    axe.check(page, "new clinic with errors")
    axe.assert_clean()


def test_the_password_link_pages_and_chat_settings_pass_axe(a11y_context, quiz_server, axe_path):
    from quiz.services import accounts
    from quiz.services.clinic_admin import set_notify_url

    app = quiz_server.app
    with app.app_context():
        # A real invitation and the link the delivery worker would mail with it.
        _, delivery_id = accounts.invite_user("a11y-invited@clinic.example", "admin", actor="test")
        token = accounts.issue_link(delivery_id).token
        set_notify_url(A11Y_BRANDED, "https://chat.invalid/hooks/a11y", actor="test")
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    admin = f"{quiz_server.origin}/admin"
    page.goto(f"{admin}/forgot")
    axe.check(page, "forgot password")
    submit(page, page.locator("main form [type=submit]"))
    axe.check(page, "forgot password with errors")
    page.locator("input[name=email]").fill("someone@clinic.example")
    submit(page, page.locator("main form [type=submit]"))
    axe.check(page, "reset link asked for")
    page.goto(f"{admin}/password/new?token={token}")
    axe.check(page, "choose a password")
    page.locator("input[name=new]").fill("Accessible-choice-77")
    page.locator("input[name=confirm]").fill("Something-else-77")
    submit(page, page.locator("main form [type=submit]"))
    axe.check(page, "choose a password with errors")
    page.locator("input[name=new]").fill("Accessible-choice-77")
    page.locator("input[name=confirm]").fill("Accessible-choice-77")
    submit(page, page.locator("main form [type=submit]"))
    assert page.url.startswith(f"{admin}/login"), page.url
    axe.check(page, "sign in after choosing a password")
    assert page.goto(f"{admin}/password/new?token={token}").status == 410
    axe.check(page, "used password link")

    page.goto(f"{admin}/login")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill(A11Y_ADMIN[1])
    submit(page, page.get_by_role("button", name="Sign in"))
    page.goto(f"{admin}/users")
    axe.check(page, "users with an invited account")
    page.goto(f"{admin}/clinics/{A11Y_BRANDED}")
    axe.check(page, "clinic with a chat webhook")
    submit(page, page.get_by_role("button", name="Send a test message"))
    assert "not delivered" in page.locator(".flashes").inner_text()
    axe.check(page, "chat test message result")
    axe.assert_clean()


def test_back_office_form_fields_have_edges_of_at_least_3_to_1(a11y_context, quiz_server):
    page = a11y_context.new_page()
    page.goto(f"{quiz_server.origin}/admin/login")
    weak = weak_field_edges(page, "sign in")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill(A11Y_ADMIN[1])
    submit(page, page.get_by_role("button", name="Sign in"))
    for path in ["/leads", f"/clinics/{A11Y_BEFORE}", "/users", "/password"]:
        page.goto(f"{quiz_server.origin}/admin{path}")
        weak += weak_field_edges(page, path)
    page.goto(f"{quiz_server.origin}/admin/leads")
    assert page.evaluate(FIELD_EDGES), "no field measured on the leads filters"
    assert not weak, "\n".join(weak)


# Controls people press: inputs, buttons and button-styled links (inline text links are
# exempt from the target size rule, and axe's target-size rule checks their spacing).
TARGETS = """() => [...document.querySelectorAll(
    "main input:not([type=hidden]), main button, main select, main textarea, main a.button")]
  .filter(el => !el.closest(".hp") && el.getClientRects().length)
  .map(el => { const r = el.getBoundingClientRect();
    return {what: el.outerHTML.slice(0, 80), width: r.width, height: r.height}; })"""
# Durations of every transition and animation on the page, in seconds.
MOTION = """() => [...document.querySelectorAll("*")].flatMap(el => {
  const s = getComputedStyle(el);
  return [s.transitionDuration, s.animationDuration].flatMap(v => v.split(","))
    .map(v => ({what: el.tagName + "." + el.className,
      seconds: v.trim().endsWith("ms") ? parseFloat(v) / 1000 : parseFloat(v)}));
})"""


class Layout:
    """At 320 CSS px wide with reduced motion: no sideways scrolling, targets of at least
    24x24 px, field edges of 3:1, and no motion longer than 0.01 s, screen after screen."""

    def __init__(self):
        self.problems: list[str] = []
        self.screens: list[str] = []
        self.measured = 0

    def check(self, page, screen: str) -> None:
        self.screens.append(screen)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if widths[0] > widths[1]:
            self.problems.append(f"{screen}: scrolls sideways ({widths[0]} > {widths[1]} px)")
        targets = page.evaluate(TARGETS)
        self.measured += len(targets)
        for target in targets:
            if target["width"] < 24 or target["height"] < 24:
                self.problems.append(f"{screen}: {target} is smaller than 24x24 px")
        self.problems += weak_field_edges(page, screen)
        for motion in page.evaluate(MOTION):
            if motion["seconds"] > 0.01:
                self.problems.append(f"{screen}: {motion} moves with reduced motion asked")


def test_quiz_reflows_at_320_px_keeps_24_px_targets_and_respects_reduced_motion(
    a11y_browser, a11y_setup, quiz_server, answers
):
    # 320 CSS px is what a 1280 px wide window shows at 400% zoom, or 640 px at 200%.
    context = a11y_browser.new_context(
        viewport={"width": 320, "height": 640}, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        layout = Layout()
        quiz_journey(page, layout, quiz_server.origin, answers)
        assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
    finally:
        context.close()
    assert len(layout.screens) > 12 and layout.measured > 50
    assert not layout.problems, "\n".join(layout.problems)
