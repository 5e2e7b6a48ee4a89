"""Back-office sign-in: credentials, lockout, sessions, CSRF, redirects and passwords."""

from __future__ import annotations

import pytest

from quiz.extensions import db
from quiz.models import AuditEntry, User
from quiz.services import ServiceError
from quiz.services import users as user_service
from tests.helpers import FAST_ARGON2, STRONG

pytestmark = pytest.mark.usefixtures("admin_config")


def post_login(client, email, password, **extra):
    return client.post("/admin/login", data={"email": email, "password": password, **extra})


def audit(action):
    return list(db.session.execute(db.select(AuditEntry).filter_by(action=action)).scalars())


def test_admin_pages_redirect_to_sign_in_when_signed_out(client):
    response = client.get("/admin/leads?status=new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")
    assert "status%3Dnew" in response.headers["Location"]


def test_good_credentials_sign_in_and_open_the_leads(app, make_user):
    make_user("ops@clinic.example")
    client = app.test_client()
    response = post_login(client, "OPS@clinic.example ", STRONG)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/leads"
    assert client.get("/admin/leads").status_code == 200
    entry = audit("login")[0]
    assert entry.actor == "ops@clinic.example"
    assert STRONG not in str(entry.detail)
    assert db.session.get(User, 1).last_login_at is not None


def test_wrong_password_and_unknown_account_get_the_same_generic_error(app, make_user):
    make_user("ops@clinic.example")
    client = app.test_client()
    wrong = post_login(client, "ops@clinic.example", "Wrong-password-1")
    unknown = post_login(client, "nobody@clinic.example", "Wrong-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert user_service.GENERIC_ERROR in wrong.get_data(as_text=True)
    assert user_service.GENERIC_ERROR in unknown.get_data(as_text=True)
    assert client.get("/admin/leads").status_code == 302
    failures = audit("login.failed")
    assert {f.actor for f in failures} == {"ops@clinic.example", "nobody@clinic.example"}
    assert all("Wrong-password-1" not in str(f.detail) for f in failures)


def test_empty_form_asks_for_email_and_password(client):
    response = client.post("/admin/login", data={})
    assert response.status_code == 401
    assert "Enter your email and password." in response.get_data(as_text=True)


def test_a_nul_in_the_sign_in_address_is_refused_without_asking_the_database(client):
    # PostgreSQL refuses a NUL even in a query's parameter; the form stops it first.
    response = client.post("/admin/login", data={"email": "a\x00@clinic.example", "password": "x"})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Please remove the invisible NUL or broken characters from this text." in page


def test_a_disabled_account_cannot_sign_in(app, make_user):
    user = make_user("ops@clinic.example")
    user_service.set_active(user, False, actor="test")
    response = post_login(app.test_client(), "ops@clinic.example", STRONG)
    assert response.status_code == 401
    assert user_service.GENERIC_ERROR in response.get_data(as_text=True)


def test_disabling_an_account_ends_its_open_sessions(make_user, sign_in):
    user = make_user("ops@clinic.example")
    client = sign_in(user)
    user_service.set_active(user, False, actor="test")
    assert client.get("/admin/leads").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/admin",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "leads",
        "/admin\r\nLocation: https://evil.example",
    ],
)
def test_sign_in_never_redirects_off_site(app, make_user, target):
    make_user("ops@clinic.example")
    response = post_login(app.test_client(), "ops@clinic.example", STRONG, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/leads"


def test_sign_in_returns_to_a_same_site_next_path(app, make_user):
    make_user("ops@clinic.example")
    response = post_login(
        app.test_client(), "ops@clinic.example", STRONG, next="/admin/leads?status=new"
    )
    assert response.headers["Location"] == "/admin/leads?status=new"


def test_sign_in_form_carries_next_from_the_query_string(client):
    page = client.get("/admin/login?next=/admin/analytics").get_data(as_text=True)
    assert 'value="/admin/analytics"' in page


def test_sign_in_rotates_the_session(app, make_user):
    make_user("ops@clinic.example")
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    post_login(client, "ops@clinic.example", STRONG)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_session_cookie_is_httponly_and_samesite_lax(app, make_user):
    make_user("ops@clinic.example")
    response = post_login(app.test_client(), "ops@clinic.example", STRONG)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_over_https_and_not_over_plain_http(app, make_user):
    make_user("ops@clinic.example")
    over_https = app.test_client().post(
        "/admin/login",
        data={"email": "ops@clinic.example", "password": STRONG},
        base_url="https://quiz.example",
    )
    assert "Secure" in over_https.headers["Set-Cookie"]
    over_http = post_login(app.test_client(), "ops@clinic.example", STRONG)
    assert "Secure" not in over_http.headers["Set-Cookie"]


def test_sign_out_ends_the_session(admin_client):
    assert admin_client.get("/admin/leads").status_code == 200
    response = admin_client.post("/admin/logout")
    assert response.status_code == 302
    assert admin_client.get("/admin/leads").status_code == 302


def test_admin_pages_are_not_cached_and_not_frameable(admin_client, client):
    for response in (admin_client.get("/admin/leads"), client.get("/admin/login")):
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


def test_posts_without_a_csrf_token_are_refused(app, make_user, sign_in, make_clinic, make_lead):
    lead = make_lead(make_clinic("alpha"))
    client = sign_in(make_user("ops@clinic.example"))
    app.config["WTF_CSRF_ENABLED"] = True
    for path, data in [
        ("/admin/login", {"email": "ops@clinic.example", "password": STRONG}),
        (f"/admin/leads/{lead.public_id}/status", {"status": "won"}),
        (f"/admin/leads/{lead.public_id}/notes", {"body": "forged"}),
        ("/admin/leads/export", {"format": "csv"}),
        ("/admin/logout", {}),
    ]:
        assert client.post(path, data=data).status_code == 400, path
    db.session.refresh(lead)
    assert lead.status == "new"


def test_posts_with_the_page_csrf_token_are_accepted(app, make_user):
    make_user("ops@clinic.example")
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = post_login(client, "ops@clinic.example", STRONG, csrf_token=token)
    assert response.status_code == 302


def test_sign_in_is_rate_limited_per_address(app, make_user):
    app.config["RATELIMIT_ENABLED"] = True
    from quiz.extensions import limiter

    limiter.init_app(app)
    client = app.test_client()
    codes = [post_login(client, f"n{i}@clinic.example", "x").status_code for i in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short-1", "at least 12"),
        ("alllowercaseletters", "two kinds"),
        ("Opsmanager-2026", "email address"),
        ("password1234", "too common"),
        ("Password1234", "too common"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, problem):
    problems = user_service.password_problems(password, "opsmanager@clinic.example")
    assert any(problem in p for p in problems), problems


def test_a_strong_password_passes():
    assert user_service.password_problems("Blue-tables-migrate-7", "ops@clinic.example") == []


def test_passwords_are_hashed_with_argon2id_at_owasp_strength_or_more(app, make_user):
    app.config.pop("ARGON2_OPTIONS")
    user = make_user("ops@clinic.example")
    assert user.password_hash.startswith("$argon2id$v=19$m=")
    params = dict(p.split("=") for p in user.password_hash.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2


def test_sign_in_rehashes_a_password_stored_with_old_parameters(app, make_user):
    user = make_user("ops@clinic.example")
    old = user.password_hash
    app.config["ARGON2_OPTIONS"] = {**FAST_ARGON2, "time_cost": 2}
    post_login(app.test_client(), "ops@clinic.example", STRONG)
    db.session.expire_all()
    new = db.session.get(User, user.id).password_hash
    assert new != old and "t=2" in new


def test_changing_ones_password_needs_the_current_one_and_a_strong_new_one(make_user, sign_in):
    user = make_user("ops@clinic.example")
    client = sign_in(user)
    new = "Another-strong-99"
    wrong = client.post(
        "/admin/password", data={"current": "Nope-nope-123", "new": new, "confirm": new}
    )
    assert wrong.status_code == 422
    assert "not your current password" in wrong.get_data(as_text=True)
    weak = client.post(
        "/admin/password", data={"current": STRONG, "new": "short", "confirm": "short"}
    )
    assert weak.status_code == 422
    assert "at least 12" in weak.get_data(as_text=True)
    ok = client.post("/admin/password", data={"current": STRONG, "new": new, "confirm": new})
    assert ok.status_code == 302
    assert client.get("/admin/leads").status_code == 200  # still signed in
    client.post("/admin/logout")
    assert post_login(client, "ops@clinic.example", new).status_code == 302


def test_a_password_change_signs_out_other_sessions(make_user, sign_in):
    user = make_user("ops@clinic.example")
    other = sign_in(user)
    user_service.set_password(user, "Another-strong-99", actor="test")
    assert other.get("/admin/leads").status_code == 302


def test_create_user_refuses_bad_input(app, make_clinic):
    clinic = make_clinic("alpha")
    cases = [
        (("not-an-email", "admin", STRONG), {}, "not a valid email"),
        (("a@clinic.example", "owner", STRONG), {}, "expected admin or staff"),
        (("a@clinic.example", "staff", STRONG), {}, "need a clinic"),
        (("a@clinic.example", "admin", STRONG), {"clinic": clinic}, "give no clinic"),
        (("a@clinic.example", "staff", STRONG), {"clinic": "nope"}, "no such clinic"),
        (("a@clinic.example", "admin", "short"), {}, "at least 12"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(ServiceError, match=message):
            user_service.create_user(*args, **kwargs)
    user_service.create_user("a@clinic.example", "admin", STRONG)
    with pytest.raises(ServiceError, match="already exists"):
        user_service.create_user("A@clinic.example", "admin", STRONG)
