"""Lost reasons, assignment with clinic scoping, and returning visitors in the back office."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quiz.extensions import db
from quiz.models import Lead, LeadAssignment, LeadStatusChange
from quiz.services import ServiceError, leadwork, privacy
from tests.helpers import names

pytestmark = pytest.mark.usefixtures("admin_config")


def _timeline(client, lead) -> str:
    html = client.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    return html.split('id="timeline"')[1]


# --------------------------------------------------------------------------- lost reasons


def test_lost_needs_a_reason_and_nothing_changes_without_one(admin_client, make_clinic, make_lead):
    lead = make_lead(make_clinic("alpha"))
    url = f"/admin/leads/{lead.public_id}/status"
    missing = admin_client.post(url, data={"status": "lost"})
    assert missing.status_code == 422
    assert "say why the lead was lost" in missing.get_data(as_text=True)
    other = admin_client.post(url, data={"status": "lost", "reason": "other", "reason_text": " "})
    assert other.status_code == 422
    assert "describe the other reason" in other.get_data(as_text=True)
    bogus = admin_client.post(url, data={"status": "lost", "reason": "bored"})
    assert bogus.status_code == 422
    long = admin_client.post(
        url, data={"status": "lost", "reason": "other", "reason_text": "y" * 501}
    )
    assert long.status_code == 422
    assert "y" * 501 in long.get_data(as_text=True)  # what was typed is kept
    db.session.refresh(lead)
    assert lead.status == "new" and lead.lost_reason is None
    assert db.session.query(LeadStatusChange).count() == 0


def test_a_lost_reason_is_on_the_timeline_filterable_and_cleared_when_won_back(
    admin_client, make_clinic, make_lead
):
    clinic = make_clinic("alpha")
    elsewhere = make_lead(clinic, name="Elsa Elsewhere")
    other = make_lead(clinic, name="Otto Other")
    make_lead(clinic, name="Nina New")
    post = admin_client.post
    ok = post(
        f"/admin/leads/{elsewhere.public_id}/status",
        data={"status": "lost", "reason": "booked_elsewhere"},
    )
    assert ok.status_code == 302
    post(
        f"/admin/leads/{other.public_id}/status",
        data={"status": "lost", "reason": "other", "reason_text": "Moved abroad"},
    )
    assert "Status new → lost: Booked elsewhere" in _timeline(admin_client, elsewhere)
    assert "Status new → lost: Moved abroad" in _timeline(admin_client, other)
    listed = admin_client.get("/admin/leads?lost_reason=booked_elsewhere")
    assert names(listed) == {"Elsa Elsewhere"}
    assert names(admin_client.get("/admin/leads?lost_reason=other")) == {"Otto Other"}
    post(f"/admin/leads/{other.public_id}/status", data={"status": "booked"})
    db.session.refresh(other)
    assert (other.status, other.lost_reason, other.lost_note) == ("booked", None, None)
    assert names(admin_client.get("/admin/leads?lost_reason=other")) == set()


def test_lost_reasons_are_counted_in_analytics(admin_client, make_clinic, make_lead):
    clinic = make_clinic("alpha")
    for reason in ("too_expensive", "too_expensive", "no_answer"):
        leadwork.change_status(make_lead(clinic), "lost", None, reason=reason)
    html = admin_client.get("/admin/analytics").get_data(as_text=True)
    section = html.split('id="lost-reasons"')[1].split("</table>")[0]
    assert "<td>Too expensive</td><td>2</td>" in section
    assert "<td>No answer</td><td>1</td>" in section


def test_the_service_refuses_a_lost_status_without_a_reason(make_clinic, make_lead):
    lead = make_lead(make_clinic("alpha"))
    with pytest.raises(ServiceError, match="say why"):
        leadwork.change_status(lead, "lost", None)
    with pytest.raises(ServiceError):
        leadwork.change_status(lead, "lost", None, reason="other", reason_text="a\x00b")
    db.session.refresh(lead)
    assert lead.status == "new"


# --------------------------------------------------------------------------- assignment


@pytest.fixture
def alpha_team(make_clinic, make_lead, make_user):
    """Clinic alpha with two staff, beta with one, and a lead at each clinic."""
    alpha, beta = make_clinic("alpha", name="Alpha"), make_clinic("beta", name="Beta")
    return {
        "alpha": alpha,
        "ann": make_user("ann@alpha.example", role="staff", clinic=alpha),
        "art": make_user("art@alpha.example", role="staff", clinic=alpha),
        "bea": make_user("bea@beta.example", role="staff", clinic=beta),
        "alpha_lead": make_lead(alpha, name="Alice Alpha"),
        "beta_lead": make_lead(beta, name="Bob Beta"),
    }


def test_staff_assign_and_reassign_within_their_clinic_on_the_timeline(alpha_team, sign_in):
    team = alpha_team
    client = sign_in(team["ann"])
    lead = team["alpha_lead"]
    page = client.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    options = page.split('name="assignee"')[1].split("</select>")[0]
    assert "art@alpha.example" in options and "bea@beta.example" not in options
    url = f"/admin/leads/{lead.public_id}/assign"
    assert client.post(url, data={"assignee": str(team["art"].id)}).status_code == 302
    assert client.post(url, data={"assignee": str(team["ann"].id)}).status_code == 302
    db.session.refresh(lead)
    assert lead.assignee_id == team["ann"].id
    timeline = _timeline(client, lead)
    assert "Assigned to art@alpha.example" in timeline
    assert "Assigned to ann@alpha.example" in timeline
    assert client.post(url, data={"assignee": ""}).status_code == 302
    assert "Unassigned" in _timeline(client, lead)
    assert db.session.query(LeadAssignment).count() == 3


def test_nobody_is_given_a_lead_of_another_clinic_or_someone_elses_staff(alpha_team, sign_in):
    team = alpha_team
    client = sign_in(team["ann"])
    own = team["alpha_lead"]
    for bad in (str(team["bea"].id), "abc", "99999", "-1"):
        response = client.post(f"/admin/leads/{own.public_id}/assign", data={"assignee": bad})
        assert response.status_code == 422, bad
        assert "choose a staff member of this lead" in response.get_data(as_text=True)
    other = team["beta_lead"]
    refused = client.post(
        f"/admin/leads/{other.public_id}/assign", data={"assignee": str(team["ann"].id)}
    )
    assert refused.status_code == 404
    db.session.refresh(own)
    db.session.refresh(other)
    assert own.assignee_id is None and other.assignee_id is None
    assert db.session.query(LeadAssignment).count() == 0


def test_assigned_to_me_and_unassigned_filters(alpha_team, sign_in, make_lead):
    team = alpha_team
    mine = make_lead(team["alpha"], name="Mia Mine")
    theirs = make_lead(team["alpha"], name="Tom Theirs")
    leadwork.assign(mine, team["ann"].id, None)
    leadwork.assign(theirs, team["art"].id, None)
    client = sign_in(team["ann"])
    assert names(client.get("/admin/leads?assigned=me")) == {"Mia Mine"}
    assert names(client.get("/admin/leads?assigned=none")) == {"Alice Alpha"}
    assert names(client.get("/admin/leads")) == {"Mia Mine", "Tom Theirs", "Alice Alpha"}
    listed = client.get("/admin/leads?assigned=someone").get_data(as_text=True)
    assert "Ignored the assigned filter" in listed


# --------------------------------------------------------------------------- returning


def test_a_returning_visitor_is_matched_by_email_or_phone_within_90_days(make_clinic, make_lead):
    alpha, beta = make_clinic("alpha"), make_clinic("beta")
    first = make_lead(alpha, email="Returning@Example.com", phone="+49 30 1234567")
    by_email = make_lead(alpha, email="  returning@example.COM ")
    by_phone = make_lead(alpha, email="new@example.com", phone="(0049) 30-123-4567")
    elsewhere = make_lead(beta, email="returning@example.com")
    stranger = make_lead(alpha, email="stranger@example.com", phone="+49 30 7654321")
    assert by_email.returning_of_id == first.id
    # The latest earlier lead is the one linked: the chain leads back to the first.
    assert by_phone.returning_of_id in {first.id, by_email.id}
    assert elsewhere.returning_of_id is None
    assert stranger.returning_of_id is None
    assert first.returning_of_id is None
    # Neither the email nor the phone is in the index in clear.
    raw = {first.email_key, first.phone_key}
    assert all(len(k) == 64 for k in raw) and "returning@example.com" not in raw


def test_an_earlier_lead_older_than_90_days_is_not_matched(make_clinic, make_lead):
    clinic = make_clinic("alpha")
    old = make_lead(clinic, email="back@example.com")
    old.created_at = old.created_at - timedelta(days=91)
    db.session.commit()
    assert make_lead(clinic, email="back@example.com").returning_of_id is None


def test_a_returning_visitor_is_one_row_by_default_and_links_to_the_earlier_lead(
    admin_client, make_clinic, make_lead
):
    clinic = make_clinic("alpha")
    first = make_lead(clinic, name="Rita First", email="rita@example.com")
    again = make_lead(clinic, name="Rita Again", email="RITA@example.com")
    make_lead(clinic, name="Someone Else")
    assert names(admin_client.get("/admin/leads")) == {"Rita Again", "Someone Else"}
    assert names(admin_client.get("/admin/leads?view=all")) == {
        "Rita First",
        "Rita Again",
        "Someone Else",
    }
    # A filter may match the earlier visit and not the later one: filtered, every lead shows.
    assert names(admin_client.get("/admin/leads?q=rita")) == {"Rita First", "Rita Again"}
    page = admin_client.get(f"/admin/leads/{again.public_id}").get_data(as_text=True)
    assert "Returning visitor." in page
    assert f'href="/admin/leads/{first.public_id}"' in page


def test_erasing_a_person_erases_all_their_leads(make_clinic, make_lead):
    clinic = make_clinic("alpha")
    make_lead(clinic, email="gone@example.com")
    again = make_lead(clinic, email="gone@example.com")
    assert again.returning_of_id is not None
    keep = make_lead(clinic, email="stays@example.com")
    assert privacy.erase_person("gone@example.com", actor="test") == 2
    assert [lead.id for lead in db.session.query(Lead)] == [keep.id]


_STORE_LEAD = """
from quiz import create_app, services
from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from quiz.scoring import score
from quiz.validation import Consent, Contact
from tests.helpers import answer_everything

app = create_app()
with app.app_context():
    clinic = services.create_clinic("alpha", services.ClinicFields("Alpha"))
    quiz = runtime(app).questionnaire
    lead = services.record_assessment(
        clinic,
        score(quiz, answer_everything(quiz)),
        contact=Contact("Sam Stored", "Stored@Example.com", "+44 20 7946 0101"),
        consent=Consent(True, True, False),
        source={},
        language="en",
        submission_id="stored-1",
    )
    services.leadwork.add_note(lead, "Called once", None)
    print(lead.email_key, lead.phone_key)
"""


def test_the_migration_keeps_every_row_and_indexes_the_leads_already_stored(tmp_path):
    import sqlite3

    from tests.helpers import flask_process, python_process

    # A folder of its own: the test app's database is in tmp_path itself.
    tmp_path = tmp_path / "migrated"
    tmp_path.mkdir()

    assert flask_process(tmp_path, "db", "upgrade").returncode == 0
    stored = python_process(tmp_path, "-c", _STORE_LEAD)
    assert stored.returncode == 0, stored.stderr
    expected = tuple(stored.stdout.split()[-2:])
    assert all(len(key) == 64 for key in expected)
    for args in (("db", "downgrade", "0006_invites_notify"), ("db", "upgrade")):
        proc = flask_process(tmp_path, *args)
        assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(tmp_path / "quiz.db") as conn:
        assert conn.execute("SELECT email_key, phone_key FROM leads").fetchall() == [expected]
        # Nothing that hangs off a lead is lost on the way down and up again.
        assert conn.execute("SELECT body FROM lead_notes").fetchall() == [("Called once",)]
