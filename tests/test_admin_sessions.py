"""Back-office sessions end on the server: sign-out, disabling and a new password kill copies."""

from __future__ import annotations

import sqlite3

import flask
import pytest

from quiz.services import users as user_service
from tests.helpers import STRONG, flask_process

pytestmark = pytest.mark.usefixtures("admin_config")


def copied_cookie(client) -> str:
    """Return the value of the client's session cookie, as someone copying it would."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie: str):
    """Open the leads with nothing but a copied session cookie, from a fresh client."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/admin/leads")


def refused(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_a_copied_cookie_is_refused_after_signing_out(app, make_user, sign_in):
    client = sign_in(make_user("ops@clinic.example"))
    cookie = copied_cookie(client)
    assert replay(app, cookie).status_code == 200  # the copy works while the session lives
    assert client.post("/admin/logout").status_code == 302
    assert refused(replay(app, cookie))


def test_signing_out_ends_every_session_of_the_account(make_user, sign_in):
    user = make_user("ops@clinic.example")
    laptop, phone = sign_in(user), sign_in(user)
    laptop.post("/admin/logout")
    assert refused(phone.get("/admin/leads"))


def test_signing_in_again_after_signing_out_works_and_old_copies_stay_dead(app, make_user, sign_in):
    user = make_user("ops@clinic.example")
    client = sign_in(user)
    cookie = copied_cookie(client)
    client.post("/admin/logout")
    again = sign_in(user)
    assert again.get("/admin/leads").status_code == 200
    assert refused(replay(app, cookie))


def test_a_copied_cookie_is_refused_after_the_account_is_disabled_and_enabled_again(
    app, make_user, sign_in
):
    user = make_user("ops@clinic.example")
    cookie = copied_cookie(sign_in(user))
    user_service.set_active(user, False, actor="test")
    assert refused(replay(app, cookie))
    # Enabling the account again must not bring the old sessions back to life.
    user_service.set_active(user, True, actor="test")
    assert refused(replay(app, cookie))


def test_a_copied_cookie_is_refused_after_a_password_change_but_the_changer_stays_in(
    app, make_user, sign_in
):
    user = make_user("ops@clinic.example")
    client = sign_in(user)
    cookie = copied_cookie(client)
    new = "Another-strong-99"
    response = client.post("/admin/password", data={"current": STRONG, "new": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/admin/leads").status_code == 200
    assert refused(replay(app, cookie))


def test_a_session_id_without_the_current_nonce_is_refused(app, make_user, sign_in):
    user = make_user("ops@clinic.example")
    sign_in(user)
    forged = app.test_client()
    for session_id in (str(user.id), f"{user.id}:", f"{user.id}:guess", "x:y"):
        with forged.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        assert refused(forged.get("/admin/leads")), session_id


def test_the_upgrade_gives_each_existing_account_a_nonce_of_its_own(tmp_path):
    # Not tmp_path/quiz.db: the app fixture has already built the current schema there.
    home = tmp_path / "upgrade"
    home.mkdir()
    database = home / "quiz.db"
    assert flask_process(home, "db", "upgrade", "0001_initial").returncode == 0
    with sqlite3.connect(database) as connection:
        for email in ("a@clinic.example", "b@clinic.example"):
            connection.execute(
                "INSERT INTO users (email, password_hash, role, active, failed_logins, created_at)"
                " VALUES (?, 'x', 'admin', 1, 0, '2026-01-01 00:00:00')",
                (email,),
            )
    upgrade = flask_process(home, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(database) as connection:
        nonces = [row[0] for row in connection.execute("SELECT session_nonce FROM users")]
    assert len(nonces) == 2 and all(len(n) >= 16 for n in nonces)
    assert nonces[0] != nonces[1]


def test_a_new_secret_key_ends_sessions_unless_the_old_one_is_a_fallback(app, make_user, sign_in):
    # The session interface keeps one cookie serializer per set of keys: a key change must
    # still reach the cookies.
    cookie = copied_cookie(sign_in(make_user("ops@clinic.example")))
    old = app.secret_key
    app.secret_key = "rotated-" + old
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert replay(app, cookie).status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert refused(replay(app, cookie))
    app.secret_key = old
    assert replay(app, cookie).status_code == 200


def test_the_visitor_paths_open_no_session_and_leave_a_signed_in_one_alone(
    app, client, make_user, make_clinic, sign_in
):
    make_clinic("acme")
    interface = app.session_interface
    for path in ("/embed/acme", "/api/v1/quiz"):
        with app.test_request_context(path):
            assert interface.open_session(app, flask.request) is None
    with app.test_request_context("/admin/login"):
        assert interface.open_session(app, flask.request) is not None
    visitor = client.get("/embed/acme")
    assert visitor.status_code == 200 and "Set-Cookie" not in visitor.headers
    staff = sign_in(make_user("ops@clinic.example"))
    cookie = copied_cookie(staff)
    assert staff.get("/embed/acme").status_code == 200
    assert copied_cookie(staff) == cookie
    assert staff.get("/admin/leads").status_code == 200
