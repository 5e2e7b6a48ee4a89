"""The visitor's "email me a copy": a daily limit per recipient, and a subject without the
visitor's name, checked on the wire through a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
import os
import uuid

import pytest
import redis

from quiz import delivery
from quiz.extensions import db
from quiz.mail_texts import phrases
from quiz.models import Delivery, Lead
from tests.acme_mail import DESK, SENDER, post_assessment, send_form

REDIS_URL = os.environ.get("REDIS_URL")
NAME = "Zoë Visitor-Name"


@pytest.fixture(params=["memory", "redis"])
def app_config(request, app_config, smtp):
    """Limits on, in the process's memory or in the Redis every server shares."""
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("REDIS_URL unset: no Redis to share counters in")
        prefix = f"test-{uuid.uuid4().hex}"
        request.addfinalizer(lambda: _forget(prefix))
        app_config.update(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    app_config.update(
        RATELIMIT_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER=SENDER,
        PUBLIC_URL="https://quiz.example",
        QUIZ_MIN_FILL_SECONDS=0,
        VISITOR_COPY_LIMIT="3 per day",
    )
    return app_config


def _forget(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


@pytest.fixture
def clinic(make_clinic):
    return make_clinic("acme", name="Acme Skin", email=DESK)


def copies_to(smtp) -> dict[str, int]:
    """How many messages each visitor address received (the clinic's desk left out)."""
    counts: dict[str, int] = {}
    for _, recipients in smtp.envelopes:
        for address in recipients:
            if address != DESK:
                counts[address] = counts.get(address, 0) + 1
    return counts


def test_a_fourth_copy_to_one_address_in_a_day_is_not_sent(client, clinic, questionnaire, smtp):
    # The same address written three ways is one recipient.
    for address in (
        "zoe@visitor.example",
        "Zoe@visitor.example",
        "ZOE@Visitor.example",
        "zoe@visitor.example",
    ):
        response = post_assessment(
            client, questionnaire, {"name": NAME, "email": address}, copy=True
        )
        assert response.status_code == 201, response.get_json()
    other = post_assessment(
        client, questionnaire, {"name": NAME, "email": "other@visitor.example"}, copy=True
    )
    assert other.status_code == 201
    assert delivery.run_once().sent == 5 + 4
    assert copies_to(smtp) == {"zoe@visitor.example": 3, "other@visitor.example": 1}
    # Every lead is still stored and reaches the clinic.
    assert db.session.execute(db.select(db.func.count(Lead.id))).scalar_one() == 5
    desk = [r for _, r in smtp.envelopes if r == [DESK]]
    assert len(desk) == 5
    kinds = db.session.execute(db.select(Delivery.channel)).scalars().all()
    assert kinds.count("visitor_email") == 4


def test_the_form_path_counts_against_the_same_limit(app, client, clinic, questionnaire, smtp):
    for _ in range(3):
        post_assessment(
            client, questionnaire, {"name": NAME, "email": "zoe@visitor.example"}, copy=True
        )
    response, _ = send_form(
        app, questionnaire, name=NAME, email="zoe@visitor.example", send_copy="y"
    )
    assert response.status_code == 200
    delivery.run_once()
    assert copies_to(smtp) == {"zoe@visitor.example": 3}


def test_the_copy_subject_names_the_clinic_never_the_visitor(client, clinic, questionnaire, smtp):
    post_assessment(
        client, questionnaire, {"name": NAME, "email": "zoe@visitor.example"}, copy=True
    )
    delivery.run_once()
    (copy,) = [raw for (_, r), raw in zip(smtp.envelopes, smtp.raw, strict=True) if r != [DESK]]
    message = email.message_from_bytes(copy, policy=email.policy.default)
    subject = str(message["Subject"])
    assert subject == phrases("en")["visitor_subject"].format(clinic="Acme Skin", name="")
    assert "Zo" not in subject and "Visitor-Name" not in subject
