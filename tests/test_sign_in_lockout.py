"""Sign-in reveals nothing about accounts, and its lock cannot be turned against their owners."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from quiz.extensions import db
from quiz.models import SignInLock, User, utcnow
from quiz.services import lockout
from quiz.services import users as user_service
from tests.helpers import STRONG

pytestmark = pytest.mark.usefixtures("admin_config")


OWNER_IP = "198.51.100.7"
ATTACKER_IP = "203.0.113.9"
WRONG = "Wrong-password-1"


def post_login(client, email, password, address):
    return client.post(
        "/admin/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def error_of(response) -> str:
    """Return the sign-in page's error paragraph, the only thing that differs between answers."""
    found = re.search(r'<p class="error-summary" role="alert">(.*?)</p>', response.get_data(True))
    assert found, response.get_data(as_text=True)
    return found.group(1)


def lock_out(client, email, address):
    """Fail LOCK_AFTER times from one address; return the answers."""
    return [post_login(client, email, WRONG, address) for _ in range(lockout.LOCK_AFTER)]


@pytest.fixture
def verified(monkeypatch):
    """Record every hash argon2 verifies, still verifying it for real."""
    calls: list[str] = []
    real = PasswordHasher.verify

    def spy(self, hash, password):
        calls.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return calls


def test_unknown_wrong_and_locked_get_one_and_the_same_answer(app, make_user):
    make_user("ops@clinic.example")
    client = app.test_client()
    answers = {
        "unknown": post_login(client, "nobody@clinic.example", WRONG, OWNER_IP),
        "wrong": post_login(client, "ops@clinic.example", WRONG, OWNER_IP),
    }
    locking = lock_out(client, "ops@clinic.example", ATTACKER_IP)
    answers["the failure that locks"] = locking[-1]
    answers["locked, wrong password"] = post_login(client, "ops@clinic.example", WRONG, ATTACKER_IP)
    answers["locked, right password"] = post_login(
        client, "ops@clinic.example", STRONG, ATTACKER_IP
    )
    user_service.set_active(db.session.get(User, 1), False, actor="test")
    answers["disabled"] = post_login(client, "ops@clinic.example", STRONG, OWNER_IP)
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 401)
    errors = {name: error_of(r) for name, r in answers.items()}
    assert set(errors.values()) == {error_of(answers["unknown"])}, errors
    assert "locked" not in errors["unknown"]


def test_every_answer_costs_one_argon2_verification(app, make_user, verified):
    user = make_user("ops@clinic.example")
    client = app.test_client()
    dummy = user_service._dummy_hash()

    def hashes_verified(*args):
        verified.clear()
        post_login(client, *args)
        return list(verified)

    assert hashes_verified("nobody@clinic.example", WRONG, OWNER_IP) == [dummy]
    assert hashes_verified("ops@clinic.example", WRONG, OWNER_IP) == [user.password_hash]
    lock_out(client, "ops@clinic.example", ATTACKER_IP)
    # Locked: the same work as for an unknown address, on the dummy hash, never the real one.
    assert hashes_verified("ops@clinic.example", WRONG, ATTACKER_IP) == [dummy]
    assert hashes_verified("ops@clinic.example", STRONG, ATTACKER_IP) == [dummy]
    assert hashes_verified("ops@clinic.example", STRONG, OWNER_IP) == [user.password_hash]


def test_the_dummy_hash_costs_what_a_real_one_does(app, make_user):
    user = make_user("ops@clinic.example")
    params = user.password_hash.split("$")[3]
    assert user_service._dummy_hash().split("$")[3] == params


def test_the_dummy_password_never_signs_anyone_in(app, make_user, verified):
    # Whatever the dummy hash was made from, knowing it opens no account.
    make_user("ops@clinic.example")
    client = app.test_client()
    lock_out(client, "ops@clinic.example", ATTACKER_IP)
    for password in (user_service._DUMMY_PASSWORD, STRONG):
        assert post_login(client, "ops@clinic.example", password, ATTACKER_IP).status_code == 401
    unknown = post_login(client, "nobody@clinic.example", user_service._DUMMY_PASSWORD, OWNER_IP)
    assert unknown.status_code == 401


def test_an_attackers_failures_do_not_lock_out_the_owner_elsewhere(app, make_user):
    make_user("ops@clinic.example")
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(3 * lockout.LOCK_AFTER):
        assert post_login(attacker, "ops@clinic.example", WRONG, ATTACKER_IP).status_code == 401
    # The attacker's own network is locked, even with the right password ...
    assert post_login(attacker, "ops@clinic.example", STRONG, ATTACKER_IP).status_code == 401
    # ... while the owner, on another network, signs in at once.
    response = post_login(owner, "ops@clinic.example", STRONG, OWNER_IP)
    assert response.status_code == 302
    assert owner.get("/admin/leads").status_code == 200


def test_addresses_of_one_ipv6_network_share_a_lock(app, make_user):
    # A /64 is one subscriber's: hopping between its addresses must not buy more guesses.
    make_user("ops@clinic.example")
    client = app.test_client()
    for n in range(1, lockout.LOCK_AFTER + 1):
        post_login(client, "ops@clinic.example", WRONG, f"2001:db8:1:2::{n:x}")
    assert post_login(client, "ops@clinic.example", STRONG, "2001:db8:1:2::99").status_code == 401
    assert post_login(client, "ops@clinic.example", STRONG, "2001:db8:1:3::1").status_code == 302


def test_the_lock_holds_for_its_time_then_lifts(app, make_user):
    make_user("ops@clinic.example")
    client = app.test_client()
    lock_out(client, "ops@clinic.example", OWNER_IP)
    lock = db.session.execute(db.select(SignInLock)).scalar_one()
    assert lock.locked_until > utcnow() + timedelta(minutes=14)
    assert post_login(client, "ops@clinic.example", STRONG, OWNER_IP).status_code == 401
    lock.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert post_login(client, "ops@clinic.example", STRONG, OWNER_IP).status_code == 302


def test_failures_outside_the_window_do_not_bring_a_lock_closer(app, make_user):
    make_user("ops@clinic.example")
    client = app.test_client()
    for _ in range(lockout.LOCK_AFTER - 1):
        post_login(client, "ops@clinic.example", WRONG, OWNER_IP)
    lock = db.session.execute(db.select(SignInLock)).scalar_one()
    lock.window_started_at = utcnow() - lockout.LOCK_WINDOW - timedelta(seconds=1)
    db.session.commit()
    post_login(client, "ops@clinic.example", WRONG, OWNER_IP)
    assert post_login(client, "ops@clinic.example", STRONG, OWNER_IP).status_code == 302


def test_a_successful_sign_in_forgets_that_networks_failures(app, make_user):
    make_user("ops@clinic.example")
    client = app.test_client()
    for _ in range(lockout.LOCK_AFTER - 1):
        post_login(client, "ops@clinic.example", WRONG, OWNER_IP)
    assert post_login(client, "ops@clinic.example", STRONG, OWNER_IP).status_code == 302
    assert db.session.execute(db.select(SignInLock)).scalars().all() == []
    post_login(client, "ops@clinic.example", WRONG, OWNER_IP)
    assert post_login(client, "ops@clinic.example", STRONG, OWNER_IP).status_code == 302


def test_a_new_password_lifts_every_lock_of_the_account(app, make_user):
    user = make_user("ops@clinic.example")
    client = app.test_client()
    lock_out(client, "ops@clinic.example", OWNER_IP)
    lock_out(client, "nobody@clinic.example", OWNER_IP)
    user_service.set_password(user, "Fresh-start-2026", actor="test")
    assert post_login(client, "ops@clinic.example", "Fresh-start-2026", OWNER_IP).status_code == 302
    remaining = db.session.execute(db.select(SignInLock.email)).scalars().all()
    assert remaining == ["nobody@clinic.example"]


def test_stale_failure_records_are_cleared_away(app, make_user):
    client = app.test_client()
    post_login(client, "gone@clinic.example", WRONG, ATTACKER_IP)
    stale = db.session.execute(db.select(SignInLock)).scalar_one()
    stale.window_started_at = utcnow() - lockout.LOCK_WINDOW - timedelta(minutes=1)
    db.session.commit()
    post_login(client, "other@clinic.example", WRONG, ATTACKER_IP)
    emails = db.session.execute(db.select(SignInLock.email)).scalars().all()
    assert emails == ["other@clinic.example"]


def test_concurrent_failures_of_one_pair_are_all_counted(app):
    # Several workers failing at once for the same email and network: none is lost, and
    # the unique pair never surfaces as an error (the second insert counts on the first).
    threads = lockout.LOCK_AFTER - 1
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def fail():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                result = user_service.authenticate("ops@clinic.example", WRONG, ATTACKER_IP)
                assert result.user is None
                db.session.remove()
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    workers = [threading.Thread(target=fail) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    db.session.expire_all()
    lock = db.session.execute(db.select(SignInLock)).scalar_one()
    assert lock.failures == threads
    assert lock.locked_until is None
