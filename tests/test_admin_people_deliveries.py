"""The back office's data requests (access, erasure) and failed deliveries pages."""

from __future__ import annotations

import json

import pytest

from quiz.extensions import db
from quiz.models import AuditEntry, Delivery, Lead

pytestmark = pytest.mark.usefixtures("admin_config")


def _leads() -> list[Lead]:
    return list(db.session.execute(db.select(Lead)).scalars())


def test_admin_downloads_one_persons_data_as_json(admin_client, make_clinic, make_lead):
    clinic = make_clinic()
    make_lead(clinic, email="ada@example.com", name="Ada Lovelace")
    make_lead(clinic, email="grace@example.com", name="Grace Hopper")
    response = admin_client.post("/admin/people", data={"email": "ADA@example.com", "export": "1"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert "Ada Lovelace" in text and "Grace Hopper" not in text
    assert data  # the person's leads, decrypted


def test_erasure_needs_the_confirmation_box_and_keeps_what_was_typed(
    admin_client, make_clinic, make_lead
):
    make_lead(make_clinic(), email="ada@example.com")
    response = admin_client.post("/admin/people", data={"email": "ada@example.com", "erase": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Tick the box to confirm" in page
    assert 'value="ada@example.com"' in page
    assert len(_leads()) == 1


def test_admin_erases_every_lead_of_an_address_and_the_audit_names_nobody(
    admin_client, make_clinic, make_lead
):
    make_lead(make_clinic(), email="ada@example.com")
    make_lead(make_clinic(), email="ada@example.com")
    make_lead(make_clinic(), email="grace@example.com")
    response = admin_client.post(
        "/admin/people",
        data={"email": "ada@example.com", "erase": "1", "confirm": "y"},
        follow_redirects=True,
    )
    assert "2 leads erased" in response.get_data(as_text=True)
    assert [lead.email for lead in _leads()] == ["grace@example.com"]
    audit = db.session.execute(db.select(AuditEntry).filter_by(action="erasure")).scalars().all()
    assert audit and all("ada" not in json.dumps(entry.detail) for entry in audit)


def test_a_bad_address_is_shown_again_with_a_message(admin_client):
    response = admin_client.post("/admin/people", data={"email": "not-an-address", "export": "1"})
    assert response.status_code == 422
    assert 'value="not-an-address"' in response.get_data(as_text=True)


def test_staff_cannot_reach_data_requests(make_user, sign_in, make_clinic):
    staff = sign_in(make_user("desk@clinic.example", role="staff", clinic=make_clinic().slug))
    assert staff.get("/admin/people").status_code == 404


def _fail(lead, channel="webhook"):
    delivery = db.session.execute(
        db.select(Delivery).filter_by(lead_id=lead.id, channel=channel)
    ).scalar_one()
    delivery.status = "failed"
    delivery.last_error = "HTTP 500 from receiver"
    db.session.commit()
    return delivery


def test_failed_deliveries_are_listed_and_retry_now_makes_them_due(
    admin_client, make_clinic, make_lead
):
    clinic = make_clinic(webhook_url="https://crm.example/hook")
    delivery = _fail(make_lead(clinic, name="Ada Lovelace"))
    page = admin_client.get("/admin/deliveries").get_data(as_text=True)
    assert "Ada Lovelace" in page and "HTTP 500 from receiver" in page
    response = admin_client.post(f"/admin/deliveries/{delivery.id}/retry", follow_redirects=True)
    assert "tried again" in response.get_data(as_text=True)
    db.session.refresh(delivery)
    assert delivery.status == "pending"
    assert "Nothing has failed" in admin_client.get("/admin/deliveries").get_data(as_text=True)


def test_staff_see_and_retry_only_their_clinics_deliveries(
    make_user, sign_in, make_clinic, make_lead
):
    mine = make_clinic(webhook_url="https://crm.example/a")
    other = make_clinic(webhook_url="https://crm.example/b")
    _fail(make_lead(mine, name="Mine Person"))
    theirs = _fail(make_lead(other, name="Other Person"))
    staff = sign_in(make_user("desk@clinic.example", role="staff", clinic=mine.slug))
    page = staff.get("/admin/deliveries").get_data(as_text=True)
    assert "Mine Person" in page and "Other Person" not in page
    assert staff.post(f"/admin/deliveries/{theirs.id}/retry").status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "failed"
