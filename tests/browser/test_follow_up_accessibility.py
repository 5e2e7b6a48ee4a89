"""axe-core finds no violation on the back office's follow-up screens: overdue and returning
leads in the list, assignment and lost reasons on a lead, follow-up figures and settings."""

from __future__ import annotations

from datetime import timedelta

from quiz.runtime import runtime
from tests.browser.axe import Axe
from tests.browser.conftest import A11Y_ADMIN, A11Y_BEFORE
from tests.browser.helpers import submit
from tests.helpers import answer_everything

STAFF = ("a11y-desk@clinic.example", "Accessible-desk-2024")


def _follow_up_leads(app) -> str:
    """Store an overdue lead and its returning visit, a lost lead and a staff account;
    return the returning lead's public id."""
    from quiz import services
    from quiz.database import write_transaction
    from quiz.models import Lead, utcnow
    from quiz.scoring import score
    from quiz.services import leadwork
    from quiz.services.users import create_user
    from quiz.validation import Consent, Contact

    with app.app_context():
        clinic = services.get_clinic(A11Y_BEFORE)
        quiz = runtime(app).questionnaire
        result = score(quiz, answer_everything(quiz, concerns=["cellulite"]))

        def store(name: str, email: str, run: str):
            return services.record_assessment(
                clinic,
                result,
                contact=Contact(name, email, None),
                consent=Consent(True, True, False),
                source={},
                language="en",
                submission_id=run,
            )

        first = store("Olga Overdue", "olga@example.org", "a11y-follow-1")
        with write_transaction() as session:
            session.get(Lead, first.id).created_at = utcnow() - timedelta(hours=30)
        again = store("Olga Again", "OLGA@example.org", "a11y-follow-2")
        lost = store("Luis Lost", "luis@example.org", "a11y-follow-3")
        leadwork.change_status(lost, "lost", None, reason="other", reason_text="Moved away")
        desk = create_user(STAFF[0], "staff", STAFF[1], clinic=clinic)
        leadwork.assign(again, desk.id, None)
        return again.public_id


def test_the_follow_up_screens_pass_axe(a11y_context, quiz_server, axe_path):
    returning = _follow_up_leads(quiz_server.app)
    page = a11y_context.new_page()
    axe = Axe(axe_path)
    admin = f"{quiz_server.origin}/admin"
    page.goto(f"{admin}/login")
    page.locator("input[name=email]").fill(A11Y_ADMIN[0])
    page.locator("input[name=password]").fill(A11Y_ADMIN[1])
    submit(page, page.get_by_role("button", name="Sign in"))
    page.goto(f"{admin}/leads?view=all")
    assert page.locator(".pill.overdue").count() >= 1
    assert page.locator(".pill.returning").count() >= 1
    axe.check(page, "leads list with overdue and returning leads")
    page.goto(f"{admin}/leads?assigned=none&lost_reason=other")
    axe.check(page, "leads list filtered by assignment and lost reason")
    page.goto(f"{admin}/leads/{returning}")
    assert page.locator("#returning").count() == 1
    axe.check(page, "returning lead with its assignee")
    page.locator("select[name=status]").select_option("lost")
    submit(page, page.locator("#status-submit"))
    assert "say why the lead was lost" in page.content()
    axe.check(page, "lost without a reason")
    page.goto(f"{admin}/analytics")
    assert page.locator("#follow-up-table").count() == 1
    axe.check(page, "analytics with follow-up speed and lost reasons")
    page.goto(f"{admin}/clinics/{A11Y_BEFORE}")
    page.locator("input[name=follow_up_hours]").fill("soon")
    submit(page, page.locator("main form [type=submit]").first)
    assert "a positive number of hours" in page.content()
    axe.check(page, "clinic settings with a bad follow-up time")
    axe.assert_clean()
