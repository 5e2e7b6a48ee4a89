"""Clinic and account administration pages (admins only)."""

from __future__ import annotations

import re

import pytest

from quiz.extensions import db
from quiz.models import AuditEntry, Clinic, User
from quiz.services import get_clinic, lockout
from tests.helpers import STRONG

pytestmark = pytest.mark.usefixtures("admin_config")


CLINIC = {
    "slug": "gamma",
    "name": "Gamma Skin",
    "origins": "https://gamma.example\nhttp://localhost:8000\n",
    "email": "leads@gamma.example",
    "booking_url": "https://gamma.example/book",
    "phone": "+44 20 7946 0002",
    "privacy_url": "https://gamma.example/privacy",
    "language": "en",
    "contact_timing": "before",
    "webhook_url": "https://crm.gamma.example/hook",
}


def test_admins_create_a_clinic_and_see_its_embed_snippet(admin_client):
    response = admin_client.post("/admin/clinics/new", data=CLINIC)
    assert response.status_code == 302
    clinic = get_clinic("gamma")
    assert clinic.origins == ["https://gamma.example", "http://localhost:8000"]
    assert clinic.contact_timing == "before"
    assert clinic.privacy_url == "https://gamma.example/privacy"
    page = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert 'data-clinic="gamma"' in page.replace("&#34;", '"').replace("&quot;", '"')
    assert 'data-copy="snippet"' in page
    listing = admin_client.get("/admin/clinics").get_data(as_text=True)
    assert "Gamma Skin" in listing and "snippet-gamma" in listing


def test_a_bad_clinic_is_refused_with_the_reason_and_the_input_kept(admin_client):
    response = admin_client.post(
        "/admin/clinics/new", data={**CLINIC, "origins": "gamma.example/path"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "expected http(s)://host[:port]" in html
    assert "Gamma Skin" in html  # what they typed is kept
    assert db.session.execute(db.select(Clinic)).first() is None


def test_admins_edit_a_clinic_with_the_same_rules(admin_client, make_clinic):
    make_clinic("gamma", name="Old Name")
    ok = admin_client.post("/admin/clinics/gamma", data={**CLINIC, "name": "New Name"})
    assert ok.status_code == 302
    clinic = get_clinic("gamma")
    db.session.refresh(clinic)
    assert clinic.name == "New Name"
    assert clinic.webhook_url == "https://crm.gamma.example/hook"
    for field, value, message in [
        ("email", "not-an-email", "not a valid email"),
        ("webhook_url", "ftp://crm.example", "expected an http(s) URL"),
        ("language", "xx", "Not a valid choice"),
        ("name", "", "This field is required"),
        ("phone", "call me", "digits, spaces"),
    ]:
        bad = admin_client.post("/admin/clinics/gamma", data={**CLINIC, field: value})
        assert bad.status_code == 422, field
        assert message in bad.get_data(as_text=True), field
    db.session.refresh(clinic)
    assert clinic.name == "New Name"


def test_an_unknown_clinic_page_is_a_404(admin_client):
    assert admin_client.get("/admin/clinics/nowhere").status_code == 404


def test_admins_invite_staff_accounts_for_a_clinic(admin_client, make_clinic):
    make_clinic("alpha", name="Alpha")
    response = admin_client.post(
        "/admin/users", data={"email": "new@alpha.example", "role": "staff", "clinic": "alpha"}
    )
    assert response.status_code == 302
    user = db.session.execute(db.select(User).filter_by(email="new@alpha.example")).scalar_one()
    assert user.role == "staff" and user.clinic.slug == "alpha"
    assert user.password_hash is None  # chosen by its owner, from the mailed link
    assert "new@alpha.example" in admin_client.get("/admin/users").get_data(as_text=True)


def test_bad_accounts_are_refused_with_the_reason(admin_client):
    response = admin_client.post(
        "/admin/users",
        data={"email": "new@alpha.example", "role": "staff", "clinic": "", "password": STRONG},
    )
    assert response.status_code == 422
    assert "staff accounts need a clinic" in response.get_data(as_text=True)
    assert 'value="new@alpha.example"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one() == 1


def test_admins_disable_and_enable_accounts_but_not_their_own(admin_client, make_user, app):
    other = make_user("other@clinic.example")
    admin_client.post(f"/admin/users/{other.id}/active")
    db.session.refresh(other)
    assert other.active is False
    assert (
        app.test_client()
        .post("/admin/login", data={"email": other.email, "password": STRONG})
        .status_code
        == 401
    )
    admin_client.post(f"/admin/users/{other.id}/active")
    db.session.refresh(other)
    assert other.active is True
    me = db.session.execute(db.select(User).filter_by(email="admin@clinic.example")).scalar_one()
    response = admin_client.post(f"/admin/users/{me.id}/active", follow_redirects=True)
    assert "cannot disable your own account" in response.get_data(as_text=True)
    db.session.refresh(me)
    assert me.active is True


def fail_to_sign_in(app, email, address, times):
    client = app.test_client()
    for _ in range(times):
        client.post(
            "/admin/login",
            data={"email": email, "password": "Wrong-password-1"},
            environ_base={"REMOTE_ADDR": address},
        )


def test_the_users_page_shows_from_how_many_networks_an_account_is_locked_out(
    admin_client, make_user, app
):
    make_user("other@clinic.example")
    for address in ("203.0.113.1", "203.0.113.2"):
        fail_to_sign_in(app, "other@clinic.example", address, lockout.LOCK_AFTER)
    fail_to_sign_in(app, "admin@clinic.example", "203.0.113.1", lockout.LOCK_AFTER - 1)
    page = admin_client.get("/admin/users").get_data(as_text=True)
    row = next(r for r in page.split("<tr>") if "<td>other@clinic.example</td>" in r)
    assert "(locked out from 2 networks until" in row
    assert page.count("locked out from") == 1  # four failures lock nobody out


def test_admins_reset_a_password_which_also_lifts_a_lock(admin_client, make_user, app):
    other = make_user("other@clinic.example")
    fail_to_sign_in(app, other.email, "127.0.0.1", lockout.LOCK_AFTER)
    locked = app.test_client().post("/admin/login", data={"email": other.email, "password": STRONG})
    assert locked.status_code == 401
    weak = admin_client.post(
        f"/admin/users/{other.id}/password", data={"password": "short"}, follow_redirects=True
    )
    assert "at least 12" in weak.get_data(as_text=True)
    admin_client.post(f"/admin/users/{other.id}/password", data={"password": "Fresh-start-2026"})
    response = app.test_client().post(
        "/admin/login", data={"email": other.email, "password": "Fresh-start-2026"}
    )
    assert response.status_code == 302


def test_an_unknown_account_is_a_404(admin_client):
    assert admin_client.post("/admin/users/999/active").status_code == 404
    assert (
        admin_client.post("/admin/users/999/password", data={"password": STRONG}).status_code == 404
    )


def audit_entries() -> list[tuple[str, str, dict]]:
    """The audit entries about clinics, as (actor, action, detail), oldest first."""
    rows = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars()
    return [(e.actor, e.action, e.detail) for e in rows if e.action.startswith("clinic.")]


def test_creating_a_clinic_is_one_audited_step_with_every_field(admin_client):
    assert admin_client.post("/admin/clinics/new", data=CLINIC).status_code == 302
    clinic = get_clinic("gamma")
    assert (clinic.privacy_url, clinic.webhook_url) == (
        "https://gamma.example/privacy",
        "https://crm.gamma.example/hook",
    )
    assert audit_entries() == [("admin@clinic.example", "clinic.create", {"clinic": "gamma"})]


def test_a_refused_clinic_leaves_no_audit_entry(admin_client):
    bad = {**CLINIC, "privacy_url": "ftp://gamma.example/privacy"}
    response = admin_client.post("/admin/clinics/new", data=bad)
    assert response.status_code == 422
    assert "privacy link" in response.get_data(as_text=True)
    assert get_clinic("gamma") is None
    assert audit_entries() == []


def test_the_cli_creates_a_clinic_with_the_same_audit_entry(app):
    result = app.test_cli_runner().invoke(
        args=["clinic", "create", "delta", "--name", "Delta", "--origin", "https://delta.example"]
    )
    assert result.exit_code == 0, result.output
    assert get_clinic("delta").origins == ["https://delta.example"]
    assert audit_entries() == [("cli", "clinic.create", {"clinic": "delta"})]


def test_admins_set_an_inline_booking_page_and_http_is_refused(admin_client, make_clinic):
    make_clinic("gamma")
    refused = admin_client.post(
        "/admin/clinics/gamma", data={**CLINIC, "booking_url": "http://gamma.example/book"}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "expected an https URL of at most 500 characters" in page
    assert 'value="http://gamma.example/book"' in page  # what they typed is kept
    db.session.expire_all()
    assert get_clinic("gamma").booking_url is None
    saved = admin_client.post("/admin/clinics/gamma", data={**CLINIC, "booking_inline": "y"})
    assert saved.status_code == 302
    db.session.expire_all()
    clinic = get_clinic("gamma")
    assert (clinic.booking_url, clinic.booking_inline) == ("https://gamma.example/book", True)
    page = admin_client.get("/admin/clinics/gamma").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*name="booking_inline"|name="booking_inline"[^>]*checked', page
    )
