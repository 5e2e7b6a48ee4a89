"""The analytics page's leads-over-time chart and campaign table in Chromium: axe finds no
violation, per day and per week, and the chart draws under the back office's own CSP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from quiz.runtime import runtime
from tests.browser.axe import Axe
from tests.browser.conftest import A11Y_ADMIN
from tests.browser.helpers import submit
from tests.helpers import answer_everything

CLINIC = "a11y-campaigns"
FIRST_DAY = date(2026, 2, 2)
CAMPAIGNS = [("google", "cpc", "spring"), ("facebook", "paid_social", "spring"), (None, None, None)]
PATHS = [[], ["contacted"], ["contacted", "booked"], ["booked", "won"], ["lost"]]


@pytest.fixture(scope="module")
def campaign_leads(a11y_setup):
    """A clinic with 24 leads over 12 days, three campaigns and several status paths."""
    from quiz import services
    from quiz.database import write_transaction
    from quiz.models import Lead
    from quiz.scoring import score
    from quiz.services import leadwork
    from quiz.validation import Consent, Contact

    app = a11y_setup.app
    with app.app_context():
        if services.get_clinic(CLINIC) is not None:
            return CLINIC
        clinic = services.create_clinic(CLINIC, services.ClinicFields("Campaign Clinic"))
        questionnaire = runtime(app).questionnaire
        result = score(questionnaire, answer_everything(questionnaire))
        for n in range(24):
            values = CAMPAIGNS[n % len(CAMPAIGNS)]
            source = {
                key: value
                for key, value in zip(
                    ("utm_source", "utm_medium", "utm_campaign"), values, strict=True
                )
                if value
            }
            lead = services.record_assessment(
                clinic,
                result,
                contact=Contact(f"Visitor {n}", f"visitor{n}@example.org", None),
                consent=Consent(True, True, False),
                source=source,
                language="en",
                submission_id=f"campaign-a11y-{n}",
            )
            for status in PATHS[n % len(PATHS)]:
                leadwork.change_status(
                    lead, status, None, reason="no_answer" if status == "lost" else None
                )
            with write_transaction() as session:
                day = FIRST_DAY + timedelta(days=n % 12)
                session.get(Lead, lead.id).created_at = datetime(
                    day.year, day.month, day.day, 10, tzinfo=UTC
                )
    return CLINIC


def signed_in(context, origin: str):
    page = context.new_page()
    page.goto(f"{origin}/admin/login")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill(A11Y_ADMIN[1])
    submit(page, page.get_by_role("button", name="Sign in"))
    return page


def test_the_campaign_figures_pass_axe_per_day_and_per_week(
    a11y_context, quiz_server, axe_path, campaign_leads
):
    page = signed_in(a11y_context, quiz_server.origin)
    axe = Axe(axe_path)
    daily = f"clinic={CLINIC}&date_from={FIRST_DAY}&date_to={FIRST_DAY + timedelta(days=13)}"
    page.goto(f"{quiz_server.origin}/admin/analytics?{daily}")
    assert page.locator("#leads-over-time rect").count() == 14
    axe.check(page, "analytics per day")
    page.locator("details.chart-data summary").click()
    assert page.locator("#over-time-table tbody tr").count() == 14
    axe.check(page, "analytics per day, table open")
    weekly = f"clinic={CLINIC}&date_from={FIRST_DAY}&date_to={FIRST_DAY + timedelta(days=70)}"
    page.goto(f"{quiz_server.origin}/admin/analytics?{weekly}")
    assert page.locator("#leads-over-time rect").count() == 11
    axe.check(page, "analytics per week")
    page.goto(f"{quiz_server.origin}/admin/analytics?clinic={CLINIC}&date_from=2030-01-01")
    axe.check(page, "analytics with no lead in the range")
    axe.assert_clean()


def test_the_chart_draws_under_the_back_offices_csp(a11y_browser, quiz_server, campaign_leads):
    # No bypass_csp here: the page must need nothing its Content-Security-Policy refuses.
    context = a11y_browser.new_context(viewport={"width": 1000, "height": 700})
    try:
        page = signed_in(context, quiz_server.origin)
        refused = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else 0)
        query = f"clinic={CLINIC}&date_from={FIRST_DAY}&date_to={FIRST_DAY + timedelta(days=11)}"
        response = page.goto(f"{quiz_server.origin}/admin/analytics?{query}")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        bars = page.locator("#leads-over-time rect")
        assert bars.count() == 12
        # Two leads a day: every column is as tall as the peak, in the stylesheet's colour.
        heights = {round(bars.nth(n).bounding_box()["height"]) for n in range(12)}
        assert len(heights) == 1 and heights.pop() > 50
        fill = bars.first.evaluate("el => getComputedStyle(el).fill")
        assert fill == "rgb(36, 87, 166)", fill
        row = page.locator("#campaigns-table tbody tr").filter(has_text="google")
        assert row.locator("td").all_inner_texts()[:7] == [
            "google",
            "cpc",
            "spring",
            "8",
            "5",
            "3",
            "2",
        ]
        assert refused == []
    finally:
        context.close()
