"""Follow-up times and reminder digests: `leads remind --now`, the worker, settings, overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quiz import delivery
from quiz.extensions import db
from quiz.followup import Window, due_at, parse_hours, parse_window
from quiz.models import Clinic, Delivery, Lead
from quiz.services import leadwork

pytestmark = pytest.mark.usefixtures("admin_config")


PUBLIC = "https://quiz.example"
# 08:00 UTC on a Monday: a day later is still the same UTC day for an hour or two.
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def app_config(mail_app_config):
    """Mail to the loopback SMTP server, links on the public URL."""
    return mail_app_config


def at(lead: Lead, when: datetime) -> Lead:
    """Make a lead look as if it came at `when`."""
    db.session.get(Lead, lead.id).created_at = when
    db.session.commit()
    return lead


@pytest.fixture
def alpha(make_clinic, make_lead, make_user):
    """Clinic alpha (24 h) with staff ann and art, an unassigned lead and one given to art."""
    clinic = make_clinic("alpha", name="Alpha Skin", email="desk@alpha.example")
    ann = make_user("ann@alpha.example", role="staff", clinic=clinic)
    art = make_user("art@alpha.example", role="staff", clinic=clinic)
    free = at(make_lead(clinic, name="Una Free", email="una@example.com", phone="+4930111222"), T0)
    given = at(make_lead(clinic, name="Gus Given", email="gus@example.com"), T0)
    leadwork.assign(given, art.id, None)
    return {"clinic": clinic, "ann": ann, "art": art, "free": free, "given": given}


def digests(smtp, start: int = 0) -> dict[str, str]:
    """The text of each reminder mail received (from message `start` on), by recipient."""
    found = {}
    for message in smtp.messages[start:]:
        if "waiting for a first contact" in message["Subject"]:
            assert message["To"] not in found, "two digests to one person in one run"
            found[message["To"]] = message.get_body(preferencelist=("plain",)).get_content()
    return found


def remind(cli, smtp, now: datetime) -> dict[str, str]:
    """Run `leads remind --now`, send the outbox, and return the new digests by recipient."""
    before = len(smtp.messages)
    result = cli("leads", "remind", "--now", now.isoformat())
    assert result.exit_code == 0, result.output
    # The outbox runs on the real clock: the digests were queued just now.
    delivery.run_once()
    return digests(smtp, before)


def test_reminders_go_once_a_day_to_the_assignee_or_the_staff_across_day_boundaries(
    cli, smtp, alpha
):
    free, given = alpha["free"].public_id, alpha["given"].public_id
    assert remind(cli, smtp, T0 + timedelta(hours=23)) == {}  # not yet overdue
    first = remind(cli, smtp, T0 + timedelta(hours=25))  # Tuesday 09:00
    assert set(first) == {"ann@alpha.example", "art@alpha.example"}
    assert f"{PUBLIC}/admin/leads/{free}" in first["ann@alpha.example"]
    assert given not in first["ann@alpha.example"]  # art's lead goes to art only
    assert free in first["art@alpha.example"] and given in first["art@alpha.example"]
    # Later the same UTC day: nothing is named twice.
    assert remind(cli, smtp, T0 + timedelta(hours=26)) == {}
    assert remind(cli, smtp, T0 + timedelta(hours=39, minutes=59)) == {}  # Tuesday 23:59
    # Past midnight it is a new day: still waiting, so named again, once.
    leadwork.change_status(db.session.get(Lead, alpha["given"].id), "contacted", None)
    second = remind(cli, smtp, T0 + timedelta(hours=40, minutes=1))  # Wednesday 00:01
    assert set(second) == {"ann@alpha.example", "art@alpha.example"}
    assert given not in second["art@alpha.example"]  # contacted meanwhile
    assert remind(cli, smtp, T0 + timedelta(hours=41)) == {}


def test_a_digest_holds_no_name_contact_detail_or_anything_from_the_answers(cli, smtp, alpha):
    remind(cli, smtp, T0 + timedelta(hours=25))
    lead = db.session.get(Lead, alpha["free"].id)
    # Only the digests: the clinic's own new-lead mails (sent too) hold the contact details.
    mails = [m.decode("utf-8", "replace").lower() for m in smtp.raw]
    reminders = [m for m in mails if "waiting for a first contact" in m]
    assert len(reminders) == 2
    raw = "\n".join(reminders)
    for private in (
        "una free",
        "una@example.com",
        "gus@example.com",
        "4930111222",
        lead.suitability,
        lead.outcome_id,
        (lead.top_area or "no-top-area"),
    ):
        assert private.lower() not in raw, private


def test_without_staff_the_digest_goes_to_the_clinics_address(cli, smtp, make_clinic, make_lead):
    clinic = make_clinic("solo", name="Solo", email="front@solo.example")
    lead = at(make_lead(clinic), T0)
    found = remind(cli, smtp, T0 + timedelta(hours=30))
    assert list(found) == ["front@solo.example"]
    assert lead.public_id in found["front@solo.example"]


def test_a_lead_erased_before_its_digest_went_out_is_left_out(cli, smtp, alpha):
    from quiz.services import privacy

    assert cli("leads", "remind", "--now", (T0 + timedelta(hours=25)).isoformat()).exit_code == 0
    privacy.erase_person("una@example.com", actor="test")
    delivery.run_once()
    found = digests(smtp)
    assert list(found) == ["art@alpha.example"]
    assert alpha["free"].public_id not in found["art@alpha.example"]


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00", "", "2026-03-02T25:00Z"])
def test_a_now_that_is_not_iso_8601_is_refused_in_one_line(cli, alpha, bad):
    result = cli("leads", "remind", "--now", bad)
    assert result.exit_code == 2
    assert "ISO 8601" in result.output and "Traceback" not in result.output
    assert db.session.query(Delivery).filter_by(channel="reminder").count() == 0
    assert db.session.query(Lead).filter(Lead.reminded_on.is_not(None)).count() == 0


def test_the_worker_reminds_once_an_hour(app, alpha, smtp):
    now = T0 + timedelta(hours=25)
    first = delivery.remind_if_due(None, now=now)
    assert first == now
    assert delivery.remind_if_due(first, now=now + timedelta(minutes=59)) == first
    assert delivery.remind_if_due(first, now=now + timedelta(hours=1)) == now + timedelta(hours=1)
    assert db.session.query(Delivery).filter_by(channel="reminder").count() == 2


# --------------------------------------------------------------------------- deadlines


def test_working_hours_count_only_time_inside_them():
    window = Window(9 * 60, 17 * 60)
    evening = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    assert due_at(evening, 2, window) == datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
    night = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert due_at(night, 8, window) == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)
    assert due_at(night, 16, window) == datetime(2026, 3, 4, 17, 0, tzinfo=UTC)
    assert due_at(night, 17, window) == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert due_at(evening, 24) == evening + timedelta(hours=24)


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "nan", "inf", "721", ""])
def test_a_follow_up_time_must_be_a_positive_number_of_hours(bad):
    assert not isinstance(parse_hours(bad), float)


@pytest.mark.parametrize("bad", ["9-17", "18:00-09:00", "09:00-09:00", "24:00-25:00", "9:00-17"])
def test_working_hours_must_read_like_09_00_18_00(bad):
    assert not isinstance(parse_window(bad), Window | None)


def test_clinic_update_sets_the_follow_up_time_and_refuses_bad_values(cli, make_clinic):
    make_clinic("alpha")
    ok = cli("clinic", "update", "alpha", "--follow-up", "4", "--working-hours", "09:00-18:00")
    assert ok.exit_code == 0, ok.output
    assert "4 hours, working hours 09:00-18:00 UTC" in ok.output
    for args in (
        ("--follow-up", "0"),
        ("--follow-up", "soon"),
        ("--working-hours", "nine to five"),
        ("--follow-up", "2", "--notify", "http://10.0.0.1/hook"),
    ):
        result = cli("clinic", "update", "alpha", *args)
        assert result.exit_code in (1, 2), args
        assert len(result.output.strip().splitlines()) <= 2 and "Traceback" not in result.output
    db.session.expire_all()
    clinic = db.session.query(Clinic).filter_by(slug="alpha").one()
    assert (clinic.follow_up_hours, clinic.working_hours, clinic.notify_url) == (
        4.0,
        "09:00-18:00",
        None,
    )
    off = cli("clinic", "update", "alpha", "--working-hours", "")
    assert off.exit_code == 0 and "working hours" not in off.output
    assert cli("clinic", "update", "alpha").exit_code == 2


def test_the_clinic_page_sets_the_follow_up_time_and_keeps_a_bad_value(admin_client, make_clinic):
    make_clinic("gamma", name="Gamma", origins=["https://gamma.example"])
    base = {"name": "Gamma", "origins": "https://gamma.example", "language": "en"}
    base["contact_timing"] = "after"
    bad = admin_client.post("/admin/clinics/gamma", data={**base, "follow_up_hours": "-2"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "a positive number of hours" in page and 'value="-2"' in page
    window = admin_client.post(
        "/admin/clinics/gamma", data={**base, "follow_up_hours": "2", "working_hours": "late"}
    )
    assert window.status_code == 422
    db.session.expire_all()
    clinic = db.session.query(Clinic).filter_by(slug="gamma").one()
    assert (clinic.follow_up_hours, clinic.working_hours) == (24.0, None)
    good = admin_client.post(
        "/admin/clinics/gamma",
        data={**base, "follow_up_hours": "1.5", "working_hours": "08:30-17:00"},
    )
    assert good.status_code == 302
    db.session.expire_all()
    clinic = db.session.query(Clinic).filter_by(slug="gamma").one()
    assert (clinic.follow_up_hours, clinic.working_hours) == (1.5, "08:30-17:00")
    page = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert 'value="1.5"' in page
    # A form that leaves the field out (as other features' tests post it) keeps the value.
    assert admin_client.post("/admin/clinics/gamma", data=base).status_code == 302
    db.session.expire_all()
    assert db.session.query(Clinic).filter_by(slug="gamma").one().follow_up_hours == 1.5


def test_the_leads_list_marks_overdue_leads(admin_client, make_clinic, make_lead):
    clinic = make_clinic("alpha")
    now = datetime.now(UTC)
    late = at(make_lead(clinic, name="Lena Late"), now - timedelta(hours=30))
    at(make_lead(clinic, name="Fred Fresh"), now - timedelta(hours=2))
    html = admin_client.get("/admin/leads").get_data(as_text=True)
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in html.split("<tr")[2:]}
    assert "Overdue" in rows["Lena Late"] and "Overdue" not in rows["Fred Fresh"]
    leadwork.add_note(late, "Left a voicemail", None)  # a first note is a first contact
    leadwork.change_status(late, "contacted", None)
    assert "Overdue" not in admin_client.get("/admin/leads").get_data(as_text=True)


# --------------------------------------------------------------------------- analytics


def test_analytics_shows_median_90th_percentile_and_share_in_time(
    admin_client, make_clinic, make_lead
):
    clinic = make_clinic("alpha", name="Alpha Skin")
    now = datetime.now(UTC)
    start = now - timedelta(days=5)
    for hours in (1, 2, 3, 4, 30):
        lead = at(make_lead(clinic), start)
        stored = db.session.get(Lead, lead.id)
        stored.first_contacted_at = start + timedelta(hours=hours)
        db.session.commit()
    at(make_lead(clinic), start)  # never contacted, long overdue: due but not in time
    at(make_lead(clinic), now)  # not due yet: not counted
    html = admin_client.get("/admin/analytics").get_data(as_text=True)
    row = html.split('id="follow-up-table"')[1].split("Alpha Skin")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    # follow-up time, contacted, median, 90th percentile (inclusive: 4 + 0.6 * 26), in time
    assert cells[:4] == ["24 hours", "5", "3.0 hours", "19.6 hours"]
    assert "66.7" in cells[4] and "4 of 6" in cells[4]
    assert "first status change away from new, or its first note" in html


def test_staff_see_only_their_own_clinics_follow_up_figures(
    make_clinic, make_lead, make_user, sign_in
):
    alpha, beta = make_clinic("alpha", name="Alpha Skin"), make_clinic("beta", name="Beta Skin")
    for clinic in (alpha, beta):
        leadwork.change_status(make_lead(clinic), "lost", None, reason="too_expensive")
    client = sign_in(make_user("desk@alpha.example", role="staff", clinic=alpha))
    html = client.get("/admin/analytics").get_data(as_text=True)
    table = html.split('id="follow-up-table"')[1].split("</table>")[0]
    assert "Alpha Skin" in table and "Beta Skin" not in table
    lost = html.split('id="lost-reasons"')[1].split("</table>")[0]
    assert "<td>Too expensive</td><td>1</td>" in lost
