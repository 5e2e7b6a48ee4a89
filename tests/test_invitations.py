"""Accounts by invitation and password resets: links mailed to a real SMTP server on loopback,
followed by a browser-like client of the back office; 72 hours, once, stored hashed."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import inspect, text

from quiz import delivery, observability
from quiz.extensions import db
from quiz.models import AccountToken, AuditEntry, Delivery, User
from quiz.services import ServiceError, accounts
from quiz.services import users as user_service
from tests.helpers import PUBLIC, STRONG

pytestmark = pytest.mark.usefixtures("admin_config")


NEW_PASSWORD = "Quiet-lantern-73"
LINK = re.compile(re.escape(PUBLIC) + r"/admin/password/new\?token=[A-Za-z0-9_-]+")


@pytest.fixture
def app_config(mail_app_config):
    """Links go out by mail to the loopback SMTP server."""
    return mail_app_config


def mailed_links(smtp, to: str) -> list[str]:
    """The password links in every mail to `to`, in the order they came, from the text part."""
    links = []
    for message in smtp.messages:
        if message["To"] == to:
            body = message.get_body(preferencelist=("plain",)).get_content()
            links += LINK.findall(body)
    return links


def path_of(link: str) -> str:
    """The link as the test client asks for it: path and query, on this app."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def choose(client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(path_of(link), data={"new": password, "confirm": confirm or password})


def signs_in(app, email: str, password: str = NEW_PASSWORD) -> bool:
    response = app.test_client().post("/admin/login", data={"email": email, "password": password})
    return response.status_code == 302


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


# --------------------------------------------------------------------------- invitations


def test_an_invitation_from_the_users_page_is_mailed_and_its_link_sets_the_password(
    app, admin_client, make_clinic, smtp
):
    make_clinic("alpha", name="Alpha Skin")
    response = admin_client.post(
        "/admin/users", data={"email": "Desk@Alpha.example", "role": "staff", "clinic": "alpha"}
    )
    assert response.status_code == 302
    assert "Invitation mailed to desk@alpha.example" in admin_client.get("/admin/users").get_data(
        as_text=True
    )
    [message] = [m for m in smtp.messages if m["To"] == "desk@alpha.example"]
    assert smtp.envelopes[-1][1] == ["desk@alpha.example"]
    assert message["Subject"] == "Your invitation to the skin assessment back office"
    text_part = message.get_body(preferencelist=("plain",)).get_content()
    assert "Alpha Skin" in text_part and "72 hours" in text_part
    [link] = mailed_links(smtp, "desk@alpha.example")
    assert not signs_in(app, "desk@alpha.example", "")  # no password before the link

    browser = app.test_client()  # the invited person's own browser: back-office cookies only
    page = browser.get(path_of(link))
    assert page.status_code == 200
    assert "desk@alpha.example" in page.get_data(as_text=True)
    done = choose(browser, link)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/login")
    assert "Your password is set" in browser.get("/admin/login").get_data(as_text=True)
    assert signs_in(app, "desk@alpha.example")
    assert (
        browser.post("/admin/login", data={"email": "desk@alpha.example", "password": NEW_PASSWORD})
        .headers["Location"]
        .endswith("/admin/leads")
    )


def test_opening_a_link_uses_nothing_but_posting_it_uses_it_once(app, cli, smtp):
    assert cli("user", "invite", "ops@quiz.example", "--role", "admin").exit_code == 0
    [link] = mailed_links(smtp, "ops@quiz.example")
    browser = app.test_client()
    for _ in range(3):  # a mail scanner opening the link first spends nothing
        assert browser.get(path_of(link)).status_code == 200
    assert choose(browser, link).status_code == 302
    again = app.test_client()
    assert again.get(path_of(link)).status_code == 410
    reused = choose(again, link, "Another-river-88")
    assert reused.status_code == 410
    assert "expired or was already used" in reused.get_data(as_text=True)
    assert signs_in(app, "ops@quiz.example") and not signs_in(
        app, "ops@quiz.example", "Another-river-88"
    )


def test_a_weak_or_mismatched_password_keeps_the_link_and_changes_nothing(app, cli, smtp):
    cli("user", "invite", "ops@quiz.example", "--role", "admin")
    [link] = mailed_links(smtp, "ops@quiz.example")
    browser = app.test_client()
    weak = choose(browser, link, "short")
    assert weak.status_code == 422 and "at least 12" in weak.get_data(as_text=True)
    differ = choose(browser, link, NEW_PASSWORD, "Different-one-99")
    assert differ.status_code == 422 and "The two differ." in differ.get_data(as_text=True)
    user = db.session.execute(db.select(User)).scalar_one()
    assert user.password_hash is None
    assert choose(browser, link).status_code == 302  # still usable


def test_the_link_is_stored_only_as_its_sha256(app, cli, smtp):
    cli("user", "invite", "ops@quiz.example", "--role", "admin")
    [link] = mailed_links(smtp, "ops@quiz.example")
    token = link.rsplit("=", 1)[1]
    row = db.session.execute(db.select(AccountToken)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 40  # token_urlsafe(32)
    for table in inspect(db.engine).get_table_names():
        for values in db.session.execute(text(f"SELECT * FROM {table}")):
            assert not any(token in str(v) for v in values), table


def test_a_link_works_for_72_hours_and_no_longer(app, cli, smtp):
    cli("user", "invite", "ops@quiz.example", "--role", "admin")
    [link] = mailed_links(smtp, "ops@quiz.example")
    token = link.rsplit("=", 1)[1]
    row = db.session.execute(db.select(AccountToken)).scalar_one()
    assert row.expires_at - row.created_at == timedelta(hours=72)
    late = row.created_at + timedelta(hours=72, seconds=1)
    assert accounts.open_link(token, late) is None
    with pytest.raises(ServiceError, match="expired or was already used"):
        accounts.use_link(token, NEW_PASSWORD, late)
    assert db.session.execute(db.select(User)).scalar_one().password_hash is None
    in_time = row.created_at + timedelta(hours=71, minutes=59)
    accounts.use_link(token, NEW_PASSWORD, in_time)
    assert signs_in(app, "ops@quiz.example")


def test_sending_the_invitation_again_revokes_the_first_link(app, admin_client, smtp):
    admin_client.post("/admin/users", data={"email": "new@quiz.example", "role": "admin"})
    user = user_service.find_user("new@quiz.example")
    assert admin_client.post(f"/admin/users/{user.id}/invite").status_code == 302
    first, second = mailed_links(smtp, "new@quiz.example")
    assert app.test_client().get(path_of(first)).status_code == 410
    assert choose(app.test_client(), second).status_code == 302
    # Set up: a further invitation is refused with the reason, and nothing is mailed.
    page = admin_client.post(f"/admin/users/{user.id}/invite", follow_redirects=True)
    assert "already has a password" in page.get_data(as_text=True)
    assert len(mailed_links(smtp, "new@quiz.example")) == 2


def test_an_admin_revokes_an_open_invitation(app, admin_client, smtp):
    admin_client.post("/admin/users", data={"email": "new@quiz.example", "role": "admin"})
    user = user_service.find_user("new@quiz.example")
    assert "Revoke the link" in admin_client.get("/admin/users").get_data(as_text=True)
    page = admin_client.post(f"/admin/users/{user.id}/invite/revoke", follow_redirects=True)
    assert "no longer works" in page.get_data(as_text=True)
    [link] = mailed_links(smtp, "new@quiz.example")
    assert choose(app.test_client(), link).status_code == 410
    again = admin_client.post(f"/admin/users/{user.id}/invite/revoke", follow_redirects=True)
    assert "no open invitation" in again.get_data(as_text=True)
    actions = [e.action for e in db.session.execute(db.select(AuditEntry)).scalars()]
    assert "user.invite" in actions and "user.invite_revoke" in actions


def test_a_disabled_account_cannot_use_its_link(app, admin_client, smtp):
    admin_client.post("/admin/users", data={"email": "new@quiz.example", "role": "admin"})
    user = user_service.find_user("new@quiz.example")
    admin_client.post(f"/admin/users/{user.id}/active")
    [link] = mailed_links(smtp, "new@quiz.example")
    assert choose(app.test_client(), link).status_code == 410
    assert user_service.find_user("new@quiz.example").password_hash is None


def test_an_invitation_for_an_existing_account_is_refused_and_changes_nothing(
    admin_client, cli, smtp
):
    response = admin_client.post(
        "/admin/users", data={"email": "ADMIN@clinic.example", "role": "admin"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "an account for admin@clinic.example already exists" in html
    assert 'value="ADMIN@clinic.example"' in html  # what they typed is kept
    result = cli("user", "invite", "admin@clinic.example", "--role", "admin")
    assert result.exit_code == 1 and "already exists" in result.output
    assert "Traceback" not in result.output
    assert count(User) == 1 and count(Delivery) == 0 and smtp.messages == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-address", "--role", "admin"], "not a valid email address"),
        (["a@quiz.example", "--role", "staff"], "staff accounts need --clinic"),
        (["a@quiz.example", "--role", "staff", "--clinic", "nowhere"], "no such clinic"),
        (["a@quiz.example", "--role", "boss"], "'boss' is not one of"),
    ],
)
def test_user_invite_refuses_bad_input_in_one_line(cli, smtp, args, message):
    result = cli("user", "invite", *args)
    assert result.exit_code in (1, 2) and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert count(User) == 0 and smtp.messages == []


def test_an_invitation_mail_that_fails_is_retried_by_the_worker(app, cli, smtp):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    result = cli("user", "invite", "ops@quiz.example", "--role", "admin")
    assert result.exit_code == 0 and "not sent yet" in result.output
    app.config["MAIL_PORT"] = smtp.port
    row = db.session.execute(db.select(Delivery)).scalar_one()
    counts = delivery.run_once(now=row.next_attempt_at + timedelta(seconds=1))
    assert counts.sent == 1
    [link] = mailed_links(smtp, "ops@quiz.example")
    assert choose(app.test_client(), link).status_code == 302


# --------------------------------------------------------------------------- resets


def ask_reset(app, email: str):
    return app.test_client().post("/admin/forgot", data={"email": email})


def test_forgot_password_mails_a_reset_link_that_ends_old_sessions(app, make_user, sign_in, smtp):
    user = make_user("ops@quiz.example")
    old_session = sign_in(user)
    assert "Forgot your password?" in app.test_client().get("/admin/login").get_data(as_text=True)
    assert ask_reset(app, "OPS@quiz.example ").status_code == 200
    delivery.run_once()
    [message] = smtp.messages
    assert message["Subject"] == "Reset your password for the skin assessment back office"
    [link] = mailed_links(smtp, "ops@quiz.example")
    assert choose(app.test_client(), link).status_code == 302
    assert old_session.get("/admin/leads").status_code == 302  # signed out everywhere
    assert signs_in(app, "ops@quiz.example") and not signs_in(app, "ops@quiz.example", STRONG)


def test_forgot_password_answers_the_same_for_an_unknown_address_and_mails_nothing(
    app, make_user, smtp
):
    make_user("ops@quiz.example")
    make_user("gone@quiz.example")
    user_service.set_active(user_service.find_user("gone@quiz.example"), False, actor="test")
    pages = {}
    for email in ("ops@quiz.example", "nobody@quiz.example", "gone@quiz.example"):
        response = ask_reset(app, email)
        assert response.status_code == 200
        pages[email] = response.get_data(as_text=True).replace(email, "EMAIL")
    assert len(set(pages.values())) == 1
    assert "If EMAIL belongs to an active account" in pages["ops@quiz.example"]
    delivery.run_once()
    assert [m["To"] for m in smtp.messages] == ["ops@quiz.example"]


def test_a_second_reset_revokes_the_first_link(app, make_user, smtp):
    make_user("ops@quiz.example")
    ask_reset(app, "ops@quiz.example")
    delivery.run_once()
    ask_reset(app, "ops@quiz.example")
    delivery.run_once()
    first, second = mailed_links(smtp, "ops@quiz.example")
    assert choose(app.test_client(), first).status_code == 410
    assert choose(app.test_client(), second).status_code == 302


def test_repeated_reset_requests_before_the_worker_runs_make_one_mail(app, make_user, smtp):
    make_user("ops@quiz.example")
    for _ in range(3):
        ask_reset(app, "ops@quiz.example")
    delivery.run_once()
    assert len(mailed_links(smtp, "ops@quiz.example")) == 1


def test_a_bad_reset_address_is_named_and_kept(app, smtp):
    response = app.test_client().post("/admin/forgot", data={"email": ""})
    assert response.status_code == 422
    assert count(Delivery) == 0


def test_every_new_page_answers_signed_out(app, cli, smtp):
    client = app.test_client()
    assert client.get("/admin/forgot").status_code == 200
    assert client.get("/admin/password/new?token=not-a-token").status_code == 410
    assert client.get("/admin/password/new").status_code == 410


# --------------------------------------------------------------------------- own password


def test_a_signed_in_user_changes_their_password_with_the_current_one(app, make_user, sign_in):
    client = sign_in(make_user("ops@quiz.example"))
    wrong = client.post(
        "/admin/password",
        data={"current": "Not-my-password-1", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    ok = client.post(
        "/admin/password", data={"current": STRONG, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert ok.status_code == 302
    assert signs_in(app, "ops@quiz.example")


def test_an_invitation_that_gave_up_shows_under_deliveries_and_can_be_retried(
    app, admin_client, smtp
):
    app.config["MAIL_PORT"] = 1
    admin_client.post("/admin/users", data={"email": "new@quiz.example", "role": "admin"})
    row = db.session.execute(db.select(Delivery)).scalar_one()
    delivery.run_once(now=row.created_at + timedelta(hours=25))
    db.session.refresh(row)
    assert row.status == "failed"
    page = admin_client.get("/admin/deliveries").get_data(as_text=True)
    assert "Account new@quiz.example" in page and "invite" in page
    app.config["MAIL_PORT"] = smtp.port
    admin_client.post(f"/admin/deliveries/{row.id}/retry")
    delivery.run_once()
    [link] = mailed_links(smtp, "new@quiz.example")
    assert choose(app.test_client(), link).status_code == 302


def test_the_token_stays_out_of_the_access_log(app, cli, smtp, capsys):
    observability.init_app(app)  # as create_app does: one JSON access line per request
    cli("user", "invite", "ops@quiz.example", "--role", "admin")
    [link] = mailed_links(smtp, "ops@quiz.example")
    token = link.rsplit("=", 1)[1]
    capsys.readouterr()
    browser = app.test_client()
    # Buffered: the access line is written when the response is closed.
    browser.get(path_of(link), buffered=True)
    form = {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert browser.post(path_of(link), data=form, buffered=True).status_code == 302
    err = capsys.readouterr().err
    paths = [e["path"] for e in map(json.loads, err.splitlines()) if e["logger"] == "quiz.access"]
    assert paths == ["/admin/password/new"] * 2
    assert token not in err


def test_an_invitation_still_to_be_mailed_can_be_revoked_and_is_then_never_sent(
    app, admin_client, smtp
):
    app.config["MAIL_PORT"] = 1
    admin_client.post("/admin/users", data={"email": "new@quiz.example", "role": "admin"})
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "the mail with the link is waiting to be sent" in page
    user = user_service.find_user("new@quiz.example")
    admin_client.post(f"/admin/users/{user.id}/invite/revoke")
    assert count(Delivery) == 0
    app.config["MAIL_PORT"] = smtp.port
    delivery.run_once(now=delivery.utcnow() + timedelta(hours=1))
    assert smtp.messages == []
    assert "no working link" in admin_client.get("/admin/users").get_data(as_text=True)
