"""Shared back-office fixtures: accounts, signed-in clients (no tests of its own)."""

from __future__ import annotations

import pytest

from tests.conftest import answer_everything

STRONG = "Correct-horse-42"

# Cheap Argon2 parameters keep the suite fast; one test checks the production defaults.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture(autouse=True)
def _admin_test_config(app):
    """Cheap hashing and no CSRF tokens to post; the CSRF tests switch it back on.

    pytest-flask builds `app` before any other fixture runs, so this sets the built app's
    config (both settings are read per request).
    """
    app.config["ARGON2_OPTIONS"] = FAST_ARGON2
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def make_user(app):
    """Factory: a stored account (admin by default; staff need a clinic)."""
    from quiz.services import users

    counter = iter(range(1, 10_000))

    def make(email=None, *, role="admin", clinic=None, password=STRONG):
        return users.create_user(
            email or f"user{next(counter)}@clinic.example", role, password, clinic=clinic
        )

    return make


@pytest.fixture
def sign_in(app):
    """Sign a new test client in as `user`; return the client."""

    def login(user, password=STRONG):
        client = app.test_client()
        response = client.post("/admin/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login


@pytest.fixture
def admin_client(make_user, sign_in):
    """A client signed in as an administrator."""
    return sign_in(make_user("admin@clinic.example"))


__all__ = [
    "FAST_ARGON2",
    "STRONG",
    "_admin_test_config",
    "admin_client",
    "answer_everything",
    "make_user",
    "sign_in",
]
