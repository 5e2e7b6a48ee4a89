"""Offline conversions: the Google Ads, Microsoft Ads and Meta files field by field, the leads
they hold (ad consent, click id, status history), the commands, the back-office download,
the clinic's settings, and that nothing in them is derived from the answers."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quiz import delivery
from quiz.auth import Scope
from quiz.conversions import (
    Conversion,
    check_conversion_settings,
    click_csv,
    fbc,
    meta_event,
    meta_lines,
    normalised_phone,
)
from quiz.extensions import db
from quiz.models import AuditEntry, Clinic, Lead, LeadStatusChange
from quiz.queries import conversions
from quiz.services import leadwork
from tests.helpers import answer_everything

pytestmark = pytest.mark.usefixtures("admin_config")


# sha256 of "ada.lovelace@example.com" and of "442079460001", from `sha256sum`.
EMAIL_SHA256 = "e814ff3dc480a94c7ce9334062ec4733c75a002f4bcec0197f62ffea64059e2f"
PHONE_SHA256 = "5b1134f60fb03fb0922d0bdde149f980070d003048fb362933a3b536eb49fbae"
BOOKED = datetime(2026, 3, 4, 15, 6, 7, tzinfo=UTC)
CLICKED = datetime(2026, 3, 1, 9, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture
def app_config(app_config):
    # The chat webhook goes to the loopback receiver, over plain HTTP.
    return {**app_config, "WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_TIMEOUT": 1.0}


def item(**overrides) -> Conversion:
    values = {
        "lead_id": "5f0c4c52-9c1b-4d51-a0a3-6c2c1d6f7a10",
        "converted_at": BOOKED,
        "clicked_at": CLICKED,
        "click_id": "Cj0KCQiA_click-1",
        "email": " Ada.Lovelace@Example.COM ",
        "phone": "+44 (0)20 7946 0001",
    }
    return Conversion(**{**values, **overrides})


def csv_lines(text: str) -> list[str]:
    assert text.endswith("\r\n")
    return text.split("\r\n")[:-1]


# --------------------------------------------------------------------------- the formats


def test_google_file_is_the_click_conversion_import_template():
    text = click_csv(
        "google", [item(value=Decimal("120"), currency="EUR"), item(click_id="second", name="X")]
    )
    lines = csv_lines(text)
    assert lines[0] == "Parameters:TimeZone=+0000"
    assert lines[1] == (
        "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency"
    )
    assert lines[2] == "Cj0KCQiA_click-1,Consultation booked,2026-03-04 15:06:07,120.00,EUR"
    assert lines[3] == "second,X,2026-03-04 15:06:07,,"
    assert len(lines) == 4


def test_times_are_written_in_utc_whatever_zone_they_come_in():
    berlin = BOOKED.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    [_, _, row] = csv_lines(click_csv("google", [item(converted_at=berlin)]))
    assert row.split(",")[2] == "2026-03-04 15:06:07"


def test_microsoft_file_has_the_same_shape_with_the_microsoft_click_id():
    lines = csv_lines(click_csv("microsoft", [item(click_id="3c4f1b2a9d8e4f6a")]))
    assert lines[0] == "Parameters:TimeZone=+0000"
    assert lines[1] == (
        "Microsoft Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency"
    )
    assert lines[2] == "3c4f1b2a9d8e4f6a,Consultation booked,2026-03-04 15:06:07,,"


@pytest.mark.parametrize("platform", ["google", "microsoft"])
def test_a_file_with_nothing_to_send_is_its_header_lines(platform):
    lines = csv_lines(click_csv(platform, []))
    assert len(lines) == 2 and lines[0] == "Parameters:TimeZone=+0000"
    assert next(csv.reader(io.StringIO(lines[1])))[1:] == [
        "Conversion Name",
        "Conversion Time",
        "Conversion Value",
        "Conversion Currency",
    ]
    assert meta_lines([]) == ""


def test_a_conversion_name_with_a_comma_is_quoted_as_csv_does():
    [_, _, row] = csv_lines(click_csv("google", [item(name="Booked, first visit")]))
    assert row == 'Cj0KCQiA_click-1,"Booked, first visit",2026-03-04 15:06:07,,'


def test_meta_event_field_by_field_with_hashes_of_the_normalised_email_and_phone():
    event = meta_event(item(click_id="IwAR2fb", value=Decimal("99.50"), currency="EUR"))
    assert event == {
        "event_name": "Consultation booked",
        "event_time": 1772636767,
        "event_id": "5f0c4c52-9c1b-4d51-a0a3-6c2c1d6f7a10",
        "action_source": "system_generated",
        "user_data": {
            "em": [EMAIL_SHA256],
            "ph": [PHONE_SHA256],
            "fbc": "fb.1.1772355600250.IwAR2fb",
        },
        "custom_data": {"value": 99.5, "currency": "EUR"},
    }
    assert event["event_time"] == int(BOOKED.timestamp())


def test_meta_lines_are_one_json_object_a_line():
    text = meta_lines([item(click_id="a"), item(click_id="b", lead_id="other")])
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 3
    assert [json.loads(line)["event_id"] for line in lines[:2]] == [item().lead_id, "other"]


def test_meta_leaves_out_a_phone_without_country_code_and_a_value_without_currency():
    event = meta_event(item(phone="020 7946 0001", value=Decimal("10")))
    assert set(event["user_data"]) == {"em", "fbc"} and "custom_data" not in event
    assert "ph" not in meta_event(item(phone=None))["user_data"]


@pytest.mark.parametrize(
    ("phone", "normalised"),
    [
        ("+44 (0)20 7946 0001", "442079460001"),
        ("+49 151 1234-5678", "4915112345678"),
        ("0049 151 12345678", "4915112345678"),
        ("+1 (415) 555-0100", "14155550100"),
        ("0151 12345678", None),
        ("", None),
    ],
)
def test_phones_are_digits_with_the_country_code(phone, normalised):
    assert normalised_phone(phone) == normalised


def test_fbc_uses_the_click_time_in_milliseconds():
    assert fbc(datetime(2026, 1, 1, tzinfo=UTC), "abc") == "fb.1.1767225600000.abc"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (("=HYPERLINK(1)", "", ""), "conversion_name"),
        (("x" * 101, "", ""), "conversion_name"),
        (("Booked\n", "", ""), "conversion_name"),
        (("", "ten", "EUR"), "conversion_value"),
        (("", "-1", "EUR"), "conversion_value"),
        (("", "1.005", "EUR"), "conversion_value"),
        (("", "NaN", "EUR"), "conversion_value"),
        (("", "1e10", "EUR"), "conversion_value"),
        (("", "10", "EURO"), "conversion_currency"),
        (("", "10", ""), "conversion_currency"),
    ],
)
def test_bad_conversion_settings_name_their_field(given, field):
    _, errors = check_conversion_settings(*given)
    assert list(errors) == [field]


def test_good_conversion_settings_are_tidied():
    assert check_conversion_settings(" First visit ", "120.5", "eur") == (
        ("First visit", Decimal("120.5"), "EUR"),
        {},
    )
    assert check_conversion_settings("", "", "") == ((None, None, None), {})


# --------------------------------------------------------------------------- which leads


def lead_with(make_lead, clinic, *, consent=True, status_at=None, status="booked", **ids):
    lead = make_lead(clinic, phone="+44 20 7946 0001")
    lead.ad_consent = consent
    for key, value in ids.items():
        setattr(lead, key, value)
    db.session.commit()
    if status_at is not None:
        leadwork.change_status(lead, status, None)
        change = db.session.execute(
            db.select(LeadStatusChange).where(LeadStatusChange.lead_id == lead.id)
        ).scalar_one()
        change.created_at = status_at
        db.session.commit()
    return db.session.get(Lead, lead.id)


def test_only_consented_leads_with_the_click_id_that_reached_the_status_appear(
    make_clinic, make_lead
):
    clinic = make_clinic("acme")
    good = lead_with(make_lead, clinic, status_at=BOOKED, gclid="g1", fbclid="f1")
    lead_with(make_lead, clinic, consent=False, status_at=BOOKED, gclid="g2")
    lead_with(make_lead, clinic, status_at=None, gclid="g3")
    lead_with(make_lead, clinic, status_at=BOOKED, fbclid="f4")
    lead_with(make_lead, clinic, status_at=BOOKED, status="contacted", gclid="g5")
    everything = Scope(everything=True)
    [google] = conversions(everything, "google")
    assert (google.lead_id, google.click_id, google.converted_at) == (good.public_id, "g1", BOOKED)
    assert google.clicked_at == good.created_at
    assert [c.click_id for c in conversions(everything, "meta")] == ["f1", "f4"]
    assert conversions(everything, "microsoft") == []


def test_the_time_is_the_first_time_the_status_was_reached(make_clinic, make_lead):
    clinic = make_clinic("acme")
    lead = lead_with(make_lead, clinic, status_at=BOOKED, gclid="g1")
    leadwork.change_status(lead, "won", None)
    won = db.session.execute(
        db.select(LeadStatusChange).where(LeadStatusChange.new_status == "won")
    ).scalar_one()
    won.created_at = BOOKED + timedelta(days=3)
    db.session.commit()
    everything = Scope(everything=True)
    assert [c.converted_at for c in conversions(everything, "google")] == [BOOKED]
    assert [c.converted_at for c in conversions(everything, "google", status="won")] == [
        BOOKED + timedelta(days=3)
    ]
    # Won straight from new still counts as booked, at the time it was won.
    straight = lead_with(make_lead, clinic, status_at=BOOKED, status="won", gclid="g2")
    booked = conversions(everything, "google")
    assert {c.lead_id for c in booked} == {lead.public_id, straight.public_id}


def test_since_clinic_and_scope_narrow_the_conversions(make_clinic, make_lead):
    acme, other = make_clinic("acme"), make_clinic("other")
    lead_with(make_lead, acme, status_at=BOOKED, gclid="early")
    lead_with(make_lead, acme, status_at=BOOKED + timedelta(days=1), gclid="late")
    lead_with(make_lead, other, status_at=BOOKED, gclid="elsewhere")
    everything = Scope(everything=True)
    since = (BOOKED + timedelta(days=1)).date()
    assert [c.click_id for c in conversions(everything, "google", since=since)] == ["late"]
    assert [c.click_id for c in conversions(everything, "google", clinic="other")] == ["elsewhere"]
    staff = Scope(everything=False, clinic_id=acme.id)
    assert [c.click_id for c in conversions(staff, "google")] == ["early", "late"]


def test_the_clinics_name_value_and_currency_are_used(make_clinic, make_lead):
    clinic = make_clinic("acme")
    clinic.conversion_name, clinic.conversion_value = "First visit", Decimal("80.00")
    clinic.conversion_currency = "GBP"
    db.session.commit()
    lead_with(make_lead, clinic, status_at=BOOKED, gclid="g1")
    [one] = conversions(Scope(everything=True), "google")
    assert (one.name, one.value, one.currency) == ("First visit", Decimal("80.00"), "GBP")


# --------------------------------------------------------------------------- the commands


def test_leads_conversions_writes_each_platform_to_standard_output(cli, make_clinic, make_lead):
    clinic = make_clinic("acme")
    lead_with(make_lead, clinic, status_at=BOOKED, gclid="g1", msclkid="m1", fbclid="f1")
    google = cli("leads", "conversions", "--platform", "google", "--output", "-")
    assert google.exit_code == 0, google.output
    assert csv_lines(google.written)[2] == "g1,Consultation booked,2026-03-04 15:06:07,,"
    assert "1 conversions written." in google.stderr
    microsoft = cli("leads", "conversions", "--platform", "microsoft", "--output", "-")
    assert csv_lines(microsoft.written)[2].startswith("m1,")
    meta = cli("leads", "conversions", "--platform", "meta", "--output", "-")
    assert json.loads(meta.written)["user_data"]["fbc"].endswith(".f1")
    audit = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "conversions")
    ).scalars()
    assert [a.detail["platform"] for a in audit] == ["google", "microsoft", "meta"]


def test_leads_conversions_writes_a_file_and_filters(cli, make_clinic, make_lead, tmp_path):
    acme, other = make_clinic("acme"), make_clinic("other")
    lead_with(make_lead, acme, status_at=BOOKED, status="won", gclid="g1")
    lead_with(make_lead, other, status_at=BOOKED, gclid="g2")
    target = tmp_path / "google.csv"
    result = cli(
        "leads", "conversions", "--platform", "google", "--clinic", "acme",
        "--status", "won", "--since", "2026-03-04", "--output", str(target),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = csv_lines(target.read_bytes().decode("utf-8"))
    assert [line.split(",")[0] for line in lines[2:]] == ["g1"]
    empty = cli("leads", "conversions", "--platform", "google", "--since", "2026-03-05",
                "--output", "-")  # fmt: skip
    assert len(csv_lines(empty.written)) == 2


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--platform", "tiktok"], "--platform"),
        (["--platform", "google", "--since", "yesterday"], "--since"),
        (["--platform", "google", "--status", "lost"], "--status"),
        (["--platform", "google", "--clinic", "nope"], "--clinic"),
        (["--platform", "google", "--output", "/no/such/folder/x.csv"], "--output"),
    ],
)
def test_bad_input_to_leads_conversions_is_one_line_and_exit_2(cli, make_clinic, args, mentions):
    make_clinic("acme")
    if "--output" not in args:
        args = [*args, "--output", "-"]
    result = cli("leads", "conversions", *args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and mentions in lines[0] and "Traceback" not in result.output


def test_clinic_conversion_sets_and_keeps_the_settings(cli, make_clinic):
    make_clinic("acme")
    result = cli("clinic", "conversion", "acme", "--name", "First visit", "--value", "120",
                 "--currency", "eur")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "'First visit', 120.00 EUR" in result.output
    cli("clinic", "conversion", "acme", "--name", "")
    db.session.expire_all()
    clinic = db.session.execute(db.select(Clinic)).scalar_one()
    assert (clinic.conversion_name, clinic.conversion_value, clinic.conversion_currency) == (
        None,
        Decimal("120.00"),
        "EUR",
    )


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["acme", "--value", "lots", "--currency", "EUR"], "--value"),
        (["acme", "--value", "10"], "--currency"),
        (["acme", "--name", "=cmd"], "--name"),
        (["nope", "--name", "x"], "SLUG"),
    ],
)
def test_bad_clinic_conversion_input_is_one_line_and_exit_2(cli, make_clinic, args, mentions):
    make_clinic("acme")
    result = cli("clinic", "conversion", *args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and mentions in lines[0]
    assert db.session.execute(db.select(Clinic.conversion_value)).scalar_one() is None


# --------------------------------------------------------------------------- back office


def test_the_leads_page_downloads_the_conversions(admin_client, make_clinic, make_lead):
    clinic = make_clinic("acme")
    lead_with(make_lead, clinic, status_at=BOOKED, gclid="g1", fbclid="f1")
    page = admin_client.get("/admin/leads").get_data(as_text=True)
    assert "Download conversions" in page and 'name="conversions-platform"' in page
    response = admin_client.post(
        "/admin/leads/conversions",
        data={"conversions-platform": "google", "conversions-status": "booked"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="conversions-google-'
    )
    assert csv_lines(response.get_data(as_text=True))[2].startswith("g1,")
    meta = admin_client.post(
        "/admin/leads/conversions",
        data={"conversions-platform": "meta", "conversions-since": "2026-03-05"},
    )
    assert meta.mimetype == "application/x-ndjson" and meta.get_data() == b""


def test_a_bad_download_choice_is_reported_and_nothing_is_sent(admin_client, make_clinic):
    make_clinic("acme")
    response = admin_client.post(
        "/admin/leads/conversions", data={"conversions-platform": "tiktok"}
    )
    assert response.status_code == 302
    page = admin_client.get("/admin/leads").get_data(as_text=True)
    assert "Ad platform: Not a valid choice" in page


def test_staff_download_only_their_clinics_conversions(make_clinic, make_lead, make_user, sign_in):
    acme, other = make_clinic("acme"), make_clinic("other")
    lead_with(make_lead, acme, status_at=BOOKED, gclid="mine")
    lead_with(make_lead, other, status_at=BOOKED, gclid="theirs")
    client = sign_in(make_user("staff@acme.example", role="staff", clinic=acme))
    response = client.post("/admin/leads/conversions", data={"conversions-platform": "google"})
    assert [line.split(",")[0] for line in csv_lines(response.get_data(as_text=True))[2:]] == [
        "mine"
    ]


def test_the_clinic_page_saves_the_conversion_settings(admin_client, make_clinic):
    make_clinic("acme", name="Acme")
    page = admin_client.get("/admin/clinics/acme")
    form = {
        "name": "Acme",
        "language": "en",
        "contact_timing": "after",
        "conversion_name": "First visit",
        "conversion_value": "99.5",
        "conversion_currency": "chf",
    }
    assert page.status_code == 200
    saved = admin_client.post("/admin/clinics/acme", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    clinic = db.session.execute(db.select(Clinic)).scalar_one()
    db.session.refresh(clinic)
    assert (clinic.conversion_name, clinic.conversion_value, clinic.conversion_currency) == (
        "First visit",
        Decimal("99.50"),
        "CHF",
    )
    bad = admin_client.post("/admin/clinics/acme", data={**form, "conversion_value": "lots"})
    assert bad.status_code == 422
    assert "Please give an amount like 120 or 99.50." in bad.get_data(as_text=True)


# --------------------------------------------------------------------------- no health data


def test_no_conversion_file_or_chat_message_holds_anything_derived_from_the_answers(
    client, cli, make_clinic, questionnaire, receiver, caplog
):
    caplog.set_level(logging.DEBUG)
    make_clinic("acme", notify_url=receiver.url("/chat"))
    answers = answer_everything(questionnaire, concerns=["cellulite"])
    body = {
        "clinic": "acme",
        "answers": answers,
        "contact": {"name": "Grace Hopper", "email": "grace@example.com", "phone": "+1 555 0100"},
        "consent": {"contact": True, "health_data": True, "ads": True},
        "source": {"gclid": "g1", "msclkid": "m1", "fbclid": "f1"},
    }
    response = client.post("/api/v1/assessments", json=body)
    assert response.status_code == 201
    lead = db.session.execute(db.select(Lead)).scalar_one()
    leadwork.change_status(lead, "booked", None)
    delivery.run_once()
    sent = [cli("leads", "conversions", "--platform", p, "--output", "-").written
            for p in ("google", "microsoft", "meta")]  # fmt: skip
    assert all(len(text.splitlines()) in (1, 3) for text in sent)
    sent.extend(hit.body.decode() for hit in receiver.hits if hit.path == "/chat")
    assert len(sent) == 4
    # And every log line of the run.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "(chat) sent" in logged
    sent.append(logged)
    result = response.get_json()
    derived = {
        "Grace",
        "Hopper",
        lead.suitability,
        lead.outcome_id,
        lead.top_area,
        result["outcome"]["title"],
        *result["scores"],
        *(option for chosen in answers.values() for option in chosen),
    }
    for text in sent:
        lowered = text.lower()
        for word in derived:
            assert f'"{word}"'.lower() not in lowered and f",{word},".lower() not in lowered, (
                word,
                text,
            )
        assert "grace" not in lowered and "cellulite" not in lowered
