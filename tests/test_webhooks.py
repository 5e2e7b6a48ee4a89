"""Webhooks: Standard Webhooks signatures, the payload, and the guarded POST on loopback."""

from __future__ import annotations

import base64
import ipaddress
import json
from datetime import timedelta

import pytest

from quiz import delivery, webhooks
from quiz.extensions import db
from quiz.models import Clinic, Delivery, utcnow
from quiz.services import outbox
from quiz.services.clinic_admin import rotate_webhook_secret
from tests.helpers import answer_everything

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def app_config(app_config):
    app_config.update(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=0.3, REDIS_URL=None)
    return app_config


def _webhook_delivery(make_clinic, make_lead, url, **clinic_kw):
    clinic = make_clinic(webhook_url=url, **clinic_kw)
    lead = make_lead(clinic)
    row = db.session.execute(db.select(Delivery).filter_by(lead_id=lead.id)).scalar_one()
    return clinic, lead, row


# --------------------------------------------------------------------------- signing


def test_signature_verifies_and_rejects_changed_body_or_wrong_secret():
    body = b'{"id":"evt_1"}'
    headers = webhooks.signed_headers(SECRET, "evt_1", body, timestamp=1_700_000_000)
    assert webhooks.verify(SECRET, headers, body, now=1_700_000_010)
    assert not webhooks.verify(SECRET, headers, body + b" ", now=1_700_000_010)
    assert not webhooks.verify(outbox.generate_secret(), headers, body, now=1_700_000_010)


def test_signature_matches_the_standard_webhooks_construction():
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(b"k" * 32, b"msg_2.1700000000." + body, hashlib.sha256).digest()
    assert webhooks.sign(SECRET, "msg_2", 1_700_000_000, body) == (
        "v1," + base64.b64encode(expected).decode()
    )


def test_verify_rejects_stale_timestamps_and_missing_headers():
    body = b"{}"
    headers = webhooks.signed_headers(SECRET, "evt_1", body, timestamp=1_700_000_000)
    assert not webhooks.verify(SECRET, headers, body, now=1_700_000_000 + 301)
    assert not webhooks.verify(SECRET, {}, body)
    assert not webhooks.verify(SECRET, {**headers, "webhook-timestamp": "soon"}, body)


def test_verify_accepts_any_of_several_signatures_during_rotation():
    body = b"{}"
    headers = webhooks.signed_headers(SECRET, "evt_1", body, timestamp=1_700_000_000)
    other = webhooks.sign(outbox.generate_secret(), "evt_1", 1_700_000_000, body)
    headers["webhook-signature"] = f"{other} {headers['webhook-signature']}"
    assert webhooks.verify(SECRET, headers, body, now=1_700_000_000)


def test_generated_secrets_are_whsec_and_32_random_bytes():
    first, second = outbox.generate_secret(), outbox.generate_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second


def test_rotate_secret_stores_a_new_secret(make_clinic):
    clinic = make_clinic(webhook_url="https://crm.example/hook", webhook_secret=SECRET)
    new = rotate_webhook_secret(clinic.slug, actor="cli")
    assert new != SECRET
    assert db.session.get(Clinic, clinic.id).webhook_secret == new


# --------------------------------------------------------------------------- payload


def test_payload_carries_the_lead_without_answers_by_default(make_clinic, make_lead):
    clinic, lead, row = _webhook_delivery(
        make_clinic, make_lead, "https://crm.example/hook", webhook_secret=SECRET
    )
    health = {"scores": {"body": 40}, "answers": {"pregnancy": ["no"]}}
    payload = webhooks.build_payload(row, lead, clinic, health)
    assert payload["id"] == row.event_id
    assert payload["type"] == "lead.created"
    data = payload["data"]["lead"]
    assert data["id"] == lead.public_id
    assert data["clinic"] == clinic.slug
    assert data["email"] == lead.email
    assert data["scores"] == {"body": 40}
    assert data["consents"]["version"] == lead.consent_version
    assert data["consents"]["marketing_at"] is None
    assert "answers" not in data


def test_payload_includes_answers_when_the_clinic_opted_in(make_clinic, make_lead, questionnaire):
    clinic, lead, row = _webhook_delivery(
        make_clinic, make_lead, "https://crm.example/hook", webhook_secret=SECRET
    )
    clinic.webhook_include_answers = True
    db.session.commit()
    from quiz.services import read_health_data

    payload = webhooks.build_payload(row, lead, clinic, read_health_data(lead))
    assert payload["data"]["lead"]["answers"] == answer_everything(questionnaire)


# --------------------------------------------------------------------------- HTTP


def test_post_returns_the_status_of_a_2xx_answer(receiver):
    status = webhooks.post(
        receiver.url(), b"{}", {"webhook-id": "e1"}, allow_private=True, timeout=1
    )
    assert status == 204
    assert receiver.hits[0].body == b"{}"


def test_post_keeps_the_host_name_in_the_host_header(receiver):
    webhooks.post(
        f"http://localhost:{receiver.port}/hook", b"{}", {}, allow_private=True, timeout=1
    )
    assert receiver.hits[0].headers["Host"] == f"localhost:{receiver.port}"


def test_a_redirect_is_a_failure_and_is_not_followed(receiver):
    receiver.behaviour.redirect_to = receiver.url("/elsewhere")
    with pytest.raises(webhooks.WebhookError, match="redirects are not followed"):
        webhooks.post(receiver.url(), b"{}", {}, allow_private=True, timeout=1)
    assert [h.path for h in receiver.hits] == ["/hook"]


def test_a_server_error_is_a_failure(receiver):
    receiver.behaviour.fail_first = 1
    with pytest.raises(webhooks.WebhookError, match="HTTP 500"):
        webhooks.post(receiver.url(), b"{}", {}, allow_private=True, timeout=1)


def test_a_receiver_that_hangs_past_the_timeout_is_a_failure(receiver):
    receiver.behaviour.hang_seconds = 5
    with pytest.raises(webhooks.WebhookError, match="no answer"):
        webhooks.post(receiver.url(), b"{}", {}, allow_private=True, timeout=0.2)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",  # plain http
        "https://127.0.0.1:{port}/hook",  # loopback
        "https://10.1.2.3/hook",  # private
        "https://169.254.169.254/latest",  # link-local (cloud metadata)
        "https://[::1]:{port}/hook",  # IPv6 loopback
        "https://224.0.0.1/hook",  # multicast
        "https://[::ffff:127.0.0.1]/hook",  # loopback behind an IPv4-mapped address
        "ftp://example.com/hook",
    ],
)
def test_private_or_plain_http_targets_are_refused_in_production(receiver, url):
    with pytest.raises(webhooks.WebhookError):
        webhooks.post(url.format(port=receiver.port), b"{}", {}, allow_private=False, timeout=1)
    assert receiver.hits == []


# IPv6 forms that carry an IPv4 address inside are judged by that IPv4 address.
HIDDEN_IPV4 = [
    ("::127.0.0.1", False),  # IPv4-compatible (RFC 4291, deprecated) loopback
    ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
    ("::ffff:0:7f00:1", False),  # IPv4-translated (RFC 2765) loopback
    ("64:ff9b::7f00:1", False),  # NAT64 well-known prefix (RFC 6052) to loopback
    ("64:ff9b::a00:1", False),  # NAT64 to 10.0.0.1
    ("64:ff9b:1::7f00:1", False),  # NAT64 local-use prefix (RFC 8215) to loopback
    ("64:ff9b:1::808:808", False),  # local-use prefix: never globally reachable
    ("2002:7f00:1::", False),  # 6to4 (RFC 3056) of 127.0.0.1
    ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
    ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254 (cloud metadata)
    ("::a9fe:a9fe", False),  # IPv4-compatible cloud metadata
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ("::1", False),
    ("::", False),
    ("fe80::1", False),
    ("fd00::1", False),
    ("ff0e::1", False),  # global-scope multicast
    ("127.0.0.1", False),
    ("100.64.0.1", False),  # shared address space (carrier-grade NAT)
    # Public controls: the same forms around a public IPv4 address, and plain public ones.
    ("::ffff:8.8.8.8", True),
    ("::8.8.8.8", True),
    ("::ffff:0:808:808", True),
    ("64:ff9b::808:808", True),
    ("2002:808:808::", True),
    ("2001:4860:4860::8888", True),
    ("8.8.8.8", True),
]


@pytest.mark.parametrize(("address", "public"), HIDDEN_IPV4)
def test_an_address_is_public_only_when_every_ipv4_inside_it_is(address, public):
    assert webhooks.is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "address",
    ["::127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "64:ff9b:1::7f00:1", "2002:7f00:1::",
     "2002:a00:1::"],
)  # fmt: skip
def test_ipv6_forms_of_private_ipv4_are_refused_before_connecting(receiver, address):
    url = f"https://[{address}]:{receiver.port}/hook"
    with pytest.raises(webhooks.WebhookError, match="non-public address"):
        webhooks.post(url, b"{}", {}, allow_private=False, timeout=1)
    assert receiver.hits == []


def test_plain_http_is_refused_to_non_loopback_even_when_private_is_allowed():
    with pytest.raises(webhooks.WebhookError, match="only allowed to loopback"):
        webhooks.post("http://10.1.2.3/hook", b"{}", {}, allow_private=True, timeout=1)


# --------------------------------------------------------------------------- through the worker


def test_worker_sends_a_signed_webhook_that_verifies(make_clinic, make_lead, receiver):
    clinic, lead, row = _webhook_delivery(make_clinic, make_lead, receiver.url())
    counts = delivery.run_once()
    assert (counts.sent, counts.retrying, counts.failed) == (1, 0, 0)
    secret = db.session.get(Clinic, clinic.id).webhook_secret
    assert secret.startswith("whsec_")  # generated on first delivery
    hit = receiver.hits[0]
    assert webhooks.verify(secret, hit.headers, hit.body)
    body = json.loads(hit.body)
    assert body["id"] == row.event_id == hit.headers["webhook-id"]
    assert body["data"]["lead"]["id"] == lead.public_id
    assert db.session.get(Delivery, row.id).status == "sent"


def test_retries_of_a_webhook_keep_one_event_id(make_clinic, make_lead, receiver):
    _, _, row = _webhook_delivery(make_clinic, make_lead, receiver.url(), webhook_secret=SECRET)
    receiver.behaviour.fail_first = 2
    now = utcnow()
    for _ in range(3):
        delivery.run_once(now)
        now = db.session.get(Delivery, row.id).next_attempt_at + timedelta(seconds=1)
        db.session.rollback()
    stored = db.session.get(Delivery, row.id)
    assert stored.status == "sent"
    assert stored.attempts == 3
    assert receiver.hits_per_event() == {row.event_id: 3}
    assert all(webhooks.verify(SECRET, h.headers, h.body) for h in receiver.hits)


def test_a_redirecting_receiver_leaves_the_delivery_to_retry(make_clinic, make_lead, receiver):
    _, _, row = _webhook_delivery(make_clinic, make_lead, receiver.url(), webhook_secret=SECRET)
    receiver.behaviour.redirect_to = "https://elsewhere.example/"
    counts = delivery.run_once()
    assert counts.retrying == 1
    stored = db.session.get(Delivery, row.id)
    assert stored.status == "pending"
    assert "redirect" in stored.last_error


def test_worker_refuses_plain_http_to_loopback_unless_private_is_allowed(
    app, make_clinic, make_lead, receiver
):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    _, _, row = _webhook_delivery(make_clinic, make_lead, receiver.url(), webhook_secret=SECRET)
    counts = delivery.run_once()
    assert counts.retrying == 1
    assert "https" in db.session.get(Delivery, row.id).last_error
    assert receiver.hits == []
