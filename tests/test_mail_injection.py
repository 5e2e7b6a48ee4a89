"""Visitor text never becomes a mail header or a recipient, checked on the wire through a real
SMTP server on loopback, through the API and the HTML form, with the delivery worker sending."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from email.message import EmailMessage

import pytest
from sqlalchemy import func

from quiz import delivery, mailer, services
from quiz.extensions import db
from quiz.mail_texts import phrases
from quiz.models import Delivery, Lead
from quiz.scoring import score
from quiz.validation import Consent, Contact
from tests.acme_mail import DESK, SENDER, post_assessment, send_form
from tests.helpers import answer_everything

# Decoded by older Python email packages (before the CVE-2024-6923 fix) into CR/LF on the wire:
# a forged Reply-To and a body of the sender's choosing.
ENCODED_WORD_NAME = (
    "=?utf-8?q?Eve=0D=0AReply-To:_attacker@evil.example=0D=0A=0D=0AURGENT:_call_now?="
)
# Every header the app writes on a lead's mail, each exactly once.
APP_HEADERS = Counter(
    ["From", "To", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version", "Content-Type"]
)


@pytest.fixture
def app_config(mail_app_config):
    """Mail goes to the loopback SMTP server; no minimum fill time for a test client."""
    return {**mail_app_config, "MAIL_DEFAULT_SENDER": SENDER, "QUIZ_MIN_FILL_SECONDS": 0}


@pytest.fixture
def clinic(make_clinic):
    return make_clinic("acme", name="Acme Skin", email=DESK)


def wire_headers(raw: bytes) -> list[tuple[str, str]]:
    """The header block of a message as received, unfolded, as (name, value) pairs in order."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    lines: list[str] = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line
        else:
            lines.append(line)
    pairs = []
    for line in lines:
        name, _, value = line.partition(":")
        pairs.append((name, " ".join(value.split())))
    return pairs


def assert_only_app_headers(raw: bytes, *, to: str, reply_to: str, subject: str) -> None:
    """The mail has exactly the headers the app wrote, with the values it wrote."""
    headers = wire_headers(raw)
    assert Counter(name for name, _ in headers) == APP_HEADERS, headers
    values = dict(headers)
    assert values["From"] == SENDER
    assert values["To"] == to
    assert values["Reply-To"] == reply_to
    assert values["Subject"] == subject
    assert values["Content-Type"].startswith("multipart/alternative;")
    # Nothing after the headers but the app's MIME body: no injected text before it.
    body = raw.split(b"\r\n\r\n", 1)[1]
    boundary = re.search(r'boundary="([^"]+)"', values["Content-Type"])[1]
    assert body.lstrip(b"\r\n").startswith(f"--{boundary}\r\n".encode())


def assert_nothing_forged(raw: bytes) -> None:
    assert not re.search(rb"^(Reply-To|Bcc|Cc):.*evil", raw, re.M | re.I), raw[:1500]
    assert not re.search(rb"^URGENT", raw, re.M), raw[:1500]


def count_leads() -> int:
    db.session.rollback()
    return db.session.execute(db.select(func.count()).select_from(Lead)).scalar_one()


def clinic_subject() -> str:
    return phrases("en")["clinic_subject"].format(clinic="Acme Skin", name="")


def visitor_subject() -> str:
    return phrases("en")["visitor_subject"].format(clinic="Acme Skin", name="")


# --------------------------------------------------------------------------- refused at the door


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ENCODED_WORD_NAME),
        ("name", "Eve\r\nBcc: attacker@evil.example"),
        ("name", "Eve\u2028Bcc: attacker@evil.example"),
        ("email", "=?utf-8?q?eve=0D=0ABcc:_x?=@visitor.example"),
        ("email", "first,second@visitor.example"),
        ("email", "first;second@visitor.example"),
    ],
    ids=["encoded-word", "crlf", "line-separator", "encoded-address", "comma", "semicolon"],
)
def test_the_api_refuses_header_tricks_and_nothing_is_mailed(
    client, clinic, questionnaire, smtp, field, value
):
    contact = {"name": "Eve", "email": "eve@visitor.example", field: value}
    response = post_assessment(client, questionnaire, contact, copy=True)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [f"contact.{field}"]
    assert count_leads() == 0
    assert delivery.run_once().sent == 0
    assert smtp.raw == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ENCODED_WORD_NAME),
        ("email", "first,second@visitor.example"),
    ],
    ids=["encoded-word", "comma"],
)
def test_the_form_refuses_header_tricks_beside_the_field_and_nothing_is_mailed(
    app, clinic, questionnaire, smtp, field, value
):
    response, visitor = send_form(app, questionnaire, send_copy="y", **{field: value})
    assert response.status_code == 422
    assert f'id="{field}-error"' in visitor.text
    assert count_leads() == 0
    assert delivery.run_once().sent == 0
    assert smtp.raw == []


# --------------------------------------------------------------------------- what arrives


def _two_mails(smtp, visitor_address: str) -> tuple[bytes, bytes]:
    assert len(smtp.raw) == 2
    by_recipient = {
        tuple(rcpt): raw for (_, rcpt), raw in zip(smtp.envelopes, smtp.raw, strict=True)
    }
    assert set(by_recipient) == {(DESK,), (visitor_address,)}
    assert all(mail_from == SENDER for mail_from, _ in smtp.envelopes)
    return by_recipient[(DESK,)], by_recipient[(visitor_address,)]


def test_a_lead_from_the_api_arrives_with_exactly_the_headers_the_app_wrote(
    client, clinic, questionnaire, smtp
):
    contact = {"name": "Zoë O'Brien-Núñez", "email": "Zoe@Visitor.example"}
    response = post_assessment(client, questionnaire, contact, copy=True)
    assert response.status_code == 201, response.get_json()
    assert delivery.run_once().sent == 2
    notice, copy = _two_mails(smtp, "zoe@visitor.example")
    assert_only_app_headers(
        notice, to=DESK, reply_to="zoe@visitor.example", subject=clinic_subject()
    )
    assert_only_app_headers(
        copy, to="zoe@visitor.example", reply_to=DESK, subject=visitor_subject()
    )


def test_a_lead_from_the_form_arrives_with_exactly_the_headers_the_app_wrote(
    app, clinic, questionnaire, smtp
):
    contact = {"name": "Zoë Núñez", "email": "zoe@visitor.example", "send_copy": "y"}
    response, _ = send_form(app, questionnaire, **contact)
    assert response.status_code == 200
    assert delivery.run_once().sent == 2
    notice, copy = _two_mails(smtp, "zoe@visitor.example")
    assert_only_app_headers(
        notice, to=DESK, reply_to="zoe@visitor.example", subject=clinic_subject()
    )
    assert_only_app_headers(
        copy, to="zoe@visitor.example", reply_to=DESK, subject=visitor_subject()
    )


_RUNS = itertools.count(1)


def _stored(clinic, questionnaire, name: str, email: str, *, copy: bool = False) -> Lead:
    """A lead stored without the contact check, as leads stored before it was tightened."""
    return services.record_assessment(
        clinic,
        score(questionnaire, answer_everything(questionnaire)),
        contact=Contact(name, email),
        consent=Consent(True, True, False, copy),
        source={},
        language="en",
        submission_id=f"stored-{next(_RUNS)}",
    )


def test_a_stored_encoded_word_name_reaches_the_clinic_as_text_not_headers(
    clinic, questionnaire, smtp
):
    _stored(clinic, questionnaire, ENCODED_WORD_NAME, "eve@visitor.example", copy=True)
    assert delivery.run_once().sent == 2
    notice, copy = _two_mails(smtp, "eve@visitor.example")
    assert_only_app_headers(
        notice, to=DESK, reply_to="eve@visitor.example", subject=clinic_subject()
    )
    assert_only_app_headers(
        copy, to="eve@visitor.example", reply_to=DESK, subject=visitor_subject()
    )
    for raw in (notice, copy):
        assert_nothing_forged(raw)
    received = next(m for m in smtp.messages if m["To"] == DESK)
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert f"Name: {ENCODED_WORD_NAME}" in text


def test_a_stored_address_with_a_comma_never_reaches_two_recipients(clinic, questionnaire, smtp):
    _stored(clinic, questionnaire, "Eve", "first,second@visitor.example", copy=True)
    counts = delivery.run_once()
    assert (counts.sent, counts.failed) == (1, 1)
    # The clinic still hears of the lead; without a valid address there is no Reply-To.
    assert smtp.envelopes == [(SENDER, [DESK])]
    headers = wire_headers(smtp.raw[0])
    assert Counter(name for name, _ in headers) == APP_HEADERS - Counter(["Reply-To"])
    failed = db.session.execute(db.select(Delivery).filter_by(channel="visitor_email")).scalar_one()
    assert failed.status == "failed"
    assert "not one valid email address" in failed.last_error
    assert "first" not in failed.last_error


def test_a_clinic_name_with_an_encoded_word_stops_its_mails_instead_of_forging_headers(
    make_clinic, questionnaire, smtp
):
    odd = make_clinic("odd", name="=?utf-8?q?Acme=0D=0ABcc:_eve@evil.example?=", email=DESK)
    _stored(odd, questionnaire, "Ada", "ada@visitor.example", copy=True)
    counts = delivery.run_once()
    assert (counts.sent, counts.failed) == (0, 2)
    assert smtp.raw == []
    errors = db.session.execute(db.select(Delivery.last_error)).scalars().all()
    assert errors == ["the subject would hold a control character or an encoded word"] * 2


def test_an_international_domain_is_sent_in_its_ascii_form(client, clinic, questionnaire, smtp):
    contact = {"name": "Zoë", "email": "zoe@Bücher.example"}
    response = post_assessment(client, questionnaire, contact, copy=True)
    assert response.status_code == 201, response.get_json()
    assert db.session.execute(db.select(Lead.email)).scalar_one() == "zoe@bücher.example"
    assert delivery.run_once().sent == 2
    _two_mails(smtp, "zoe@xn--bcher-kva.example")


# --------------------------------------------------------------------------- the sender


def _message(**headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    for name, value in headers.items():
        message[name] = value
    message["Subject"] = "test"
    message.set_content("test")
    return message


@pytest.mark.parametrize(
    "headers",
    [
        {"To": "one@visitor.example, two@visitor.example"},
        {"To": "one@visitor.example", "Cc": "two@visitor.example"},
        {"To": "one@visitor.example", "Bcc": "two@visitor.example"},
        {"To": "first,second@visitor.example"},
        {},
    ],
    ids=["two-in-to", "cc", "bcc", "comma", "none"],
)
def test_send_hands_over_exactly_one_recipient_or_nothing(app, smtp, headers):
    with pytest.raises(mailer.MailError):
        mailer.send(_message(**headers))
    assert smtp.raw == []


def test_send_gives_the_server_the_one_recipient_of_the_to_header(app, smtp):
    mailer.send(_message(To="one@visitor.example"))
    assert smtp.envelopes == [(SENDER, ["one@visitor.example"])]
