"""Chat notifications: Slack-compatible and Teams messages to a loopback receiver that checks
each format and that no personal or health data is in it; retries, the SSRF guard, the test
button and the settings."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest

from quiz import chat, delivery
from quiz.extensions import db
from quiz.models import AuditEntry, Clinic, Delivery
from quiz.services import ServiceError
from quiz.services.clinic_admin import set_notify_url
from tests.helpers import PUBLIC, answer_everything

pytestmark = pytest.mark.usefixtures("admin_config")


TEAMS_HOST = "prod-42.westeurope.logic.azure.com"
CONTACT = {
    "name": "Zenobia Quist",
    "email": "zenobia.quist@example.org",
    "phone": "+44 20 7946 0999",
}


@pytest.fixture
def app_config(app_config):
    app_config.update(
        WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=1.0, REDIS_URL=None, PUBLIC_URL=PUBLIC
    )
    return app_config


@pytest.fixture
def teams_dns(monkeypatch, receiver):
    """Resolve a Teams workflow host name to the loopback receiver (only that name)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == TEAMS_HOST:
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("quiz.webhooks.socket.getaddrinfo", fake)
    return f"http://{TEAMS_HOST}:{receiver.port}/workflows/abc/triggers/manual/paths/invoke?sig=x"


# --------------------------------------------------------------------------- the formats


def check_slack(body: dict) -> tuple[str, str]:
    """The Slack incoming-webhook format: one `text` string. Return its line and its link."""
    assert set(body) == {"text"}, body
    assert isinstance(body["text"], str) and body["text"]
    line, link = body["text"].split("\n")
    return line, link


def check_teams(body: dict) -> tuple[str, str]:
    """Microsoft's format for Teams workflows: a message with one Adaptive Card attachment."""
    assert set(body) == {"type", "attachments"} and body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert set(attachment) <= {"contentType", "contentUrl", "content"}
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    [block] = card["body"]
    assert block["type"] == "TextBlock" and block["wrap"] is True
    [action] = card["actions"]
    assert action["type"] == "Action.OpenUrl" and action["title"]
    assert set(card) == {"$schema", "type", "version", "body", "actions"}
    return block["text"], action["url"]


def assert_nothing_personal(raw: bytes, lead, questionnaire) -> None:
    """Neither contact details nor anything derived from the answers is in the body."""
    text = raw.decode("utf-8").lower()
    for value in (lead.name, lead.email, lead.phone, "zenobia", "quist", "7946"):
        assert value.lower() not in text
    area = next(a for a in questionnaire.areas if a.id == lead.top_area) if lead.top_area else None
    outcome = questionnaire.outcome(lead.outcome_id)
    derived = [lead.suitability, lead.outcome_id, outcome.title.get("en")]
    derived += [area.id, area.label.get("en")] if area else []
    for value in derived:
        assert value.lower() not in text, value


def lead_with_chat(make_clinic, make_lead, questionnaire, url, **clinic_kw):
    clinic = make_clinic(name="Alpha & Beta <Skin>", notify_url=url, **clinic_kw)
    lead = make_lead(
        clinic,
        answers=answer_everything(questionnaire),
        name=CONTACT["name"],
        email=CONTACT["email"],
        phone=CONTACT["phone"],
    )
    return clinic, lead


def test_a_new_lead_is_announced_in_slack_format_without_personal_data(
    make_clinic, make_lead, questionnaire, receiver
):
    _, lead = lead_with_chat(make_clinic, make_lead, questionnaire, receiver.url("/slack"))
    assert delivery.run_once().sent == 1
    [hit] = receiver.hits
    assert hit.path == "/slack" and hit.headers["Content-Type"] == "application/json"
    line, link = check_slack(json.loads(hit.body))
    assert line == "New enquiry for Alpha &amp; Beta &lt;Skin&gt; from the skin assessment."
    assert link == f"{PUBLIC}/admin/leads/{lead.public_id}"
    assert_nothing_personal(hit.body, lead, questionnaire)
    assert "webhook-signature" not in {k.lower() for k in hit.headers}


def test_a_teams_workflow_gets_an_adaptive_card_without_personal_data(
    make_clinic, make_lead, questionnaire, receiver, teams_dns
):
    _, lead = lead_with_chat(make_clinic, make_lead, questionnaire, teams_dns)
    assert delivery.run_once().sent == 1
    [hit] = receiver.hits
    assert hit.path.startswith("/workflows/abc/")
    line, link = check_teams(json.loads(hit.body))
    assert line == "New enquiry for Alpha & Beta <Skin> from the skin assessment."
    assert link == f"{PUBLIC}/admin/leads/{lead.public_id}"
    assert_nothing_personal(hit.body, lead, questionnaire)


def test_the_message_is_in_the_clinics_language(make_clinic, make_lead, receiver):
    clinic = make_clinic(name="Praxis Nord", language="de", notify_url=receiver.url())
    make_lead(clinic)
    delivery.run_once()
    line, _ = check_slack(json.loads(receiver.hits[0].body))
    assert line == "Neue Anfrage für Praxis Nord aus der Hautanalyse."


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://prod-01.westus.logic.azure.com:443/workflows/x", "teams"),
        ("https://x.environment.api.powerplatform.com/powerautomate/y", "teams"),
        ("https://webhook.office.com/webhookb2/z", "teams"),
        ("https://contoso.webhook.office.com/webhookb2/z", "teams"),
        ("https://hooks.slack.com/services/T/B/X", "slack"),
        ("https://chat.googleapis.com/v1/spaces/x/messages?key=k", "slack"),
        ("https://mattermost.example/hooks/abc", "slack"),
        ("https://logic.azure.com.evil.example/x", "slack"),
        ("https://evil-logic.azure.com.example/x", "slack"),
    ],
)
def test_the_format_follows_the_url(url, expected):
    assert chat.chat_format(url) == expected


def test_a_failing_chat_is_retried_like_a_webhook(make_clinic, make_lead, receiver):
    receiver.behaviour.fail_first = 1
    make_lead(make_clinic(notify_url=receiver.url()))
    assert delivery.run_once().retrying == 1
    row = db.session.execute(db.select(Delivery).filter_by(channel="chat")).scalar_one()
    assert row.last_error == "HTTP 500 from 127.0.0.1"
    assert delivery.run_once(now=row.next_attempt_at + timedelta(seconds=1)).sent == 1
    assert len(receiver.hits) == 2
    db.session.refresh(row)
    assert row.status == "sent"


def test_a_chat_url_resolving_to_a_private_address_is_refused_when_sent(
    app, make_clinic, make_lead, receiver
):
    make_lead(make_clinic(notify_url=receiver.url()))
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    assert delivery.run_once().retrying == 1
    row = db.session.execute(db.select(Delivery).filter_by(channel="chat")).scalar_one()
    assert "must use https" in row.last_error
    assert receiver.hits == []


# --------------------------------------------------------------------------- setting it


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example/x", "expected an https URL"),
        ("ftp://hooks.example/x", "expected an https URL"),
        ("https://10.1.2.3/hook", "private or loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "private or loopback"),
        ("https://localhost/hook", "private or loopback"),
        ("https://user:secret@hooks.example/x", "user name or password"),
        ("https://hooks.example:99999/x", "not a valid URL"),
        ("https://hooks.example/" + "x" * 500, "at most 500"),
    ],
)
def test_clinic_create_refuses_a_bad_chat_url_and_stores_nothing(app, url, message):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    result = app.test_cli_runner().invoke(
        args=["clinic", "create", "alpha", "--name", "Alpha", "--notify", url]
    )
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert db.session.execute(db.select(Clinic)).first() is None


def test_clinic_create_and_update_set_the_chat_url(app):
    runner = app.test_cli_runner()
    url = "https://hooks.slack.com/services/T0/B0/abc"
    created = runner.invoke(args=["clinic", "create", "alpha", "--name", "Alpha", "--notify", url])
    assert created.exit_code == 0, created.output
    assert db.session.execute(db.select(Clinic.notify_url)).scalar_one() == url
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    bad = runner.invoke(args=["clinic", "update", "alpha", "--notify", "http://hooks.example/"])
    assert bad.exit_code == 1 and "https" in bad.output
    db.session.expire_all()
    assert db.session.execute(db.select(Clinic.notify_url)).scalar_one() == url
    off = runner.invoke(args=["clinic", "update", "alpha", "--notify", ""])
    assert off.exit_code == 0 and "no chat webhook" in off.output
    db.session.expire_all()
    assert db.session.execute(db.select(Clinic.notify_url)).scalar_one() is None
    missing = runner.invoke(args=["clinic", "update", "nowhere", "--notify", url])
    assert missing.exit_code == 1 and "no clinic 'nowhere'" in missing.output


def test_set_notify_url_refuses_a_nul(make_clinic):
    make_clinic("alpha")
    with pytest.raises(ServiceError, match="NUL"):
        set_notify_url("alpha", "https://hooks.example/\x00", actor="test")


def clinic_form(clinic, **changes) -> dict:
    return {
        "name": clinic.name,
        "language": clinic.language,
        "contact_timing": clinic.contact_timing,
        "origins": "\n".join(clinic.origins),
        **changes,
    }


def test_the_settings_page_saves_the_chat_url_and_refuses_a_bad_one(app, admin_client, make_clinic):
    clinic = make_clinic("alpha", name="Alpha")
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    bad = admin_client.post(
        "/admin/clinics/alpha", data=clinic_form(clinic, notify_url="https://192.168.1.5/x")
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "a private or loopback address is not allowed" in html
    assert 'value="https://192.168.1.5/x"' in html  # what they typed is kept
    db.session.expire_all()
    assert db.session.get(Clinic, clinic.id).notify_url is None
    url = "https://hooks.slack.com/services/T0/B0/abc"
    assert (
        admin_client.post(
            "/admin/clinics/alpha", data=clinic_form(clinic, notify_url=url)
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Clinic, clinic.id).notify_url == url
    assert "Send a test message" in admin_client.get("/admin/clinics/alpha").get_data(as_text=True)


def test_the_test_button_sends_a_real_message_and_shows_the_result(
    admin_client, make_clinic, receiver
):
    make_clinic("alpha", name="Alpha", notify_url=receiver.url("/chat"))
    page = admin_client.post("/admin/clinics/alpha/notify-test", follow_redirects=True)
    assert "Test message sent" in page.get_data(as_text=True)
    [hit] = receiver.hits
    line, link = check_slack(json.loads(hit.body))
    assert "Alpha" in line and link == f"{PUBLIC}/admin/leads?clinic=alpha"
    receiver.behaviour.status = 500
    failed = admin_client.post("/admin/clinics/alpha/notify-test", follow_redirects=True)
    assert "The test message was not delivered: HTTP 500 from 127.0.0.1" in failed.get_data(
        as_text=True
    )
    tests = db.session.execute(
        db.select(AuditEntry.detail).filter_by(action="clinic.notify_test")
    ).scalars()
    assert [d["sent"] for d in tests] == [True, False]


def test_the_test_button_in_teams_format(admin_client, make_clinic, receiver, teams_dns):
    make_clinic("alpha", name="Alpha", notify_url=teams_dns)
    admin_client.post("/admin/clinics/alpha/notify-test")
    line, link = check_teams(json.loads(receiver.hits[0].body))
    assert line.startswith("Test message") and link == f"{PUBLIC}/admin/leads?clinic=alpha"


def test_the_test_button_without_a_chat_url_says_so(admin_client, make_clinic, receiver):
    make_clinic("alpha", name="Alpha")
    page = admin_client.post("/admin/clinics/alpha/notify-test", follow_redirects=True)
    assert "no chat webhook: save one first" in page.get_data(as_text=True)
    assert receiver.hits == []


def test_staff_cannot_send_test_messages(app, make_clinic, make_user, sign_in, receiver):
    clinic = make_clinic("alpha", notify_url=receiver.url())
    staff = sign_in(make_user("desk@alpha.example", role="staff", clinic=clinic))
    assert staff.post("/admin/clinics/alpha/notify-test").status_code == 404
    assert receiver.hits == []
