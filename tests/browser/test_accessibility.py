"""axe-core (WCAG 2.0-2.2 A and AA rules) finds no violation on any quiz or back-office page,
with the default colours and with a dark clinic branding."""

from __future__ import annotations

import pytest

from tests.browser.conftest import A11Y_ADMIN, A11Y_BEFORE, A11Y_BRANDED
from tests.conftest import answer_everything

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Concerns that make every follow-up question apply, so the walk reaches every step.
CONCERNS = ["cellulite", "hair_thinning", "pigmentation", "fine_lines"]

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v =>
    `${v.id} (${v.impact}): ${v.help}\\n      ` +
    v.nodes.map(n => n.target.join(" ")).join("\\n      "));
}"""


class Axe:
    """Runs axe on screen after screen and keeps every violation under the screen's name."""

    def __init__(self, path: str):
        self.path = path
        self.found: dict[str, list[str]] = {}
        self.screens: list[str] = []

    def check(self, page, screen: str) -> None:
        page.add_script_tag(path=self.path)
        self.screens.append(screen)
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
        if violations:
            self.found[screen] = violations

    def assert_clean(self) -> None:
        report = "\n".join(
            f"{screen}:\n    " + "\n    ".join(items) for screen, items in self.found.items()
        )
        assert not self.found, f"axe found violations:\n{report}"


def go(page, button) -> None:
    """Press a submit button and wait for the next page."""
    with page.expect_navigation(wait_until="load"):
        button.click()


def tick_answers(page, answers: dict[str, list[str]]) -> None:
    """Tick every answer of `answers` that is on this step."""
    for qid, values in answers.items():
        for value in values:
            box = page.locator(
                f'input[name="{qid}"][value="{value}"], input[name="q-{qid}"][value="{value}"]'
            )
            if box.count():
                box.check()


def walk_steps(page, axe: Axe, answers, prefix: str) -> int:
    """From step 1, check each step (and step 1 with errors) and go on; return the count."""
    axe.check(page, f"{prefix} step 1")
    go(page, page.locator("button[value=next]"))
    assert page.locator("#error-summary").count() == 1
    axe.check(page, f"{prefix} step 1 with errors")
    for number in range(1, 40):
        if page.locator("input[name=email]").count():
            return number - 1
        if number > 1:
            axe.check(page, f"{prefix} step {number}")
        tick_answers(page, answers)
        go(page, page.locator("button[value=next]"))
        assert page.locator("#error-summary").count() == 0, page.inner_text("#error-summary")
    pytest.fail("never reached the contact form")


def send_contact(page, axe: Axe, prefix: str) -> None:
    """Check the contact form empty and with errors, then send it and check the thanks page."""
    axe.check(page, f"{prefix} contact form")
    go(page, page.locator("button[value=send]"))
    assert page.locator("#error-summary").count() == 1
    axe.check(page, f"{prefix} contact form with errors")
    page.locator("input[name=name]").fill("Ada Lovelace")
    page.locator("input[name=email]").fill("ada.lovelace@example.org")
    page.locator("input[name=consent_contact]").check()
    page.locator("input[name=consent_health]").check()
    go(page, page.locator("button[value=send]"))
    assert page.locator("h1").inner_text() == "Thank you"
    axe.check(page, f"{prefix} thanks")


@pytest.fixture
def answers(quiz_server):
    return answer_everything(quiz_server.app.extensions["questionnaire"], concerns=CONCERNS)


def test_every_quiz_screen_passes_axe_with_the_default_colours(
    a11y_context, quiz_server, axe_path, answers
):
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    base = f"{quiz_server.origin}/embed/{A11Y_BEFORE}"
    page.goto(base)
    axe.check(page, "intro")
    go(page, page.get_by_role("button", name="Start"))
    steps = walk_steps(page, axe, answers, "default")
    assert steps >= 8, f"the walk reached only {steps} steps"
    send_contact(page, axe, "default")

    content = page.locator(".content-links a").first.get_attribute("href")
    forget = page.locator("a[href*='/forget/']").get_attribute("href")
    page.goto(quiz_server.origin + content if content.startswith("/") else content)
    axe.check(page, "content page")
    page.goto(quiz_server.origin + forget)
    axe.check(page, "erasure confirmation")
    go(page, page.get_by_role("button", name="Delete my details"))
    axe.check(page, "erasure done")

    page.goto(base)
    go(page, page.get_by_role("button", name="Start"))
    page.locator("input[name=state]").evaluate("el => { el.value = el.value + 'x'; }")
    go(page, page.locator("button[value=next]"))
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
    go(page, start)
    walk_steps(page, axe, answers, "branded")
    assert page.locator("#result-heading").count() == 1
    axe.check(page, "branded result")
    send_contact(page, axe, "branded result and")
    axe.assert_clean()


def test_every_back_office_page_passes_axe(a11y_context, quiz_server, axe_path):
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    admin = f"{quiz_server.origin}/admin"
    page.goto(f"{admin}/login")
    axe.check(page, "sign in")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill("Wrong-password-1")
    go(page, page.get_by_role("button", name="Sign in"))
    axe.check(page, "sign in refused")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill(A11Y_ADMIN[1])
    go(page, page.get_by_role("button", name="Sign in"))
    assert page.url.startswith(f"{admin}/leads"), page.url

    axe.check(page, "leads list")
    page.goto(f"{admin}/leads?date_from=yesterday")
    axe.check(page, "leads list with a bad filter")
    page.goto(f"{admin}/leads")
    go(page, page.locator("table.leads a").first)
    axe.check(page, "lead detail")
    for path, screen in [
        ("/analytics", "analytics"),
        ("/clinics", "clinics list"),
        (f"/clinics/{A11Y_BEFORE}", "clinic edit"),
        ("/clinics/new", "new clinic"),
        ("/users", "users"),
        ("/password", "change password"),
    ]:
        response = page.goto(admin + path)
        assert response.status == 200, path
        axe.check(page, screen)
    go(page, page.locator("main form [type=submit]").last)
    axe.check(page, "change password with errors")
    page.goto(f"{admin}/clinics/new")
    go(page, page.locator("main form [type=submit]").last)
    axe.check(page, "new clinic with errors")
    axe.assert_clean()
