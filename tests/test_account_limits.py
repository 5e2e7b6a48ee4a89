"""The password-link pages are rate-limited like sign-in: 10 posts a minute per address."""

from __future__ import annotations

import pytest

from quiz.extensions import db
from quiz.models import Delivery

pytestmark = pytest.mark.usefixtures("admin_config")


@pytest.fixture
def app_config(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    return app_config


@pytest.mark.parametrize("path", ["/admin/forgot", "/admin/password/new?token=guess"])
def test_the_eleventh_post_in_a_minute_is_refused(app, make_user, path):
    make_user("ops@quiz.example")
    client = app.test_client()
    answers = [
        client.post(path, data={"email": "ops@quiz.example", "new": "x", "confirm": "x"})
        for _ in range(11)
    ]
    assert all(a.status_code != 429 for a in answers[:10])
    assert answers[10].status_code == 429
    # Another address is not held back by this one's attempts.
    other = app.test_client().post(
        path, data={"email": "ops@quiz.example"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert other.status_code != 429
    if path == "/admin/forgot":
        # The first request queued the mail; the rest found it waiting and queued no other.
        assert (
            db.session.execute(db.select(db.func.count()).select_from(Delivery)).scalar_one() == 1
        )
