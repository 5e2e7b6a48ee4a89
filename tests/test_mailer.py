"""Mail: the clinic's notice and the visitor's copy, sent to a real SMTP server on loopback."""

from __future__ import annotations

import logging

import pytest

from quiz import delivery, services
from quiz.extensions import db
from quiz.models import Delivery
from quiz.scoring import score
from quiz.validation import Consent, Contact
from tests.helpers import PUBLIC, answer_everything
from tests.servers import SMTPSink, free_port


@pytest.fixture
def app_config(mail_app_config):
    """Mail goes to the loopback SMTP server."""
    return mail_app_config


def _answers_with_content(questionnaire):
    """An answer set whose result has both reasons and pages to read, if one exists."""
    concerns = questionnaire.question("concerns")
    for option in concerns.options:
        answers = answer_everything(questionnaire, concerns=[option.id])
        result = score(questionnaire, answers)
        if result.content and result.reasons:
            return answers, result
    answers = answer_everything(questionnaire)
    return answers, score(questionnaire, answers)


def _lead(clinic, questionnaire, *, wants_copy=False, name="Ada Lovelace", answers=None):
    answers = answers or answer_everything(questionnaire)
    return services.record_assessment(
        clinic,
        score(questionnaire, answers),
        contact=Contact(name, "ada@example.com", "+44 20 7946 0018", "morning"),
        consent=Consent(True, True, False, wants_copy),
        source={},
        language="en",
        submission_id=f"run-{name}-{wants_copy}",
    )


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_clinic_mail_arrives_with_text_html_and_the_back_office_link(
    make_clinic, questionnaire, smtp
):
    clinic = make_clinic(email="desk@clinic.example")
    lead = _lead(clinic, questionnaire)
    counts = delivery.run_once()
    assert counts.sent == 1
    [message] = smtp.messages
    assert message["To"] == "desk@clinic.example"
    assert message["Reply-To"] == "ada@example.com"
    text, html = _parts(message)
    link = f"{PUBLIC}/admin/leads/{lead.public_id}"
    for part in (text, html):
        assert link in part
        assert "Ada Lovelace" in part
        assert "+44 20 7946 0018" in part
        assert "Morning" in part
    area = next(a for a in questionnaire.areas if a.id == lead.top_area) if lead.top_area else None
    if area:
        assert area.label.get("en") in text


def test_clinic_mail_carries_no_health_answers(make_clinic, questionnaire, smtp):
    clinic = make_clinic(email="desk@clinic.example")
    answers, result = _answers_with_content(questionnaire)
    assert result.reasons, "the chosen answers should give reasons to look for"
    _lead(clinic, questionnaire, answers=answers)
    delivery.run_once()
    text, html = _parts(smtp.messages[0])
    for question in questionnaire.questions:
        assert question.text.get("en") not in text
        assert question.text.get("en") not in html
    for reason in result.reasons:
        assert reason.text.get("en") not in text
        assert reason.text.get("en") not in html


def test_clinic_mail_escapes_the_visitors_name_in_html(make_clinic, questionnaire, smtp):
    clinic = make_clinic(email="desk@clinic.example")
    _lead(clinic, questionnaire, name="Ada <b>Lovelace</b>")
    delivery.run_once()
    text, html = _parts(smtp.messages[0])
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html
    assert "<b>Lovelace" not in html
    assert "Ada <b>Lovelace</b>" in text


def test_visitor_copy_is_sent_only_when_asked(make_clinic, questionnaire, smtp):
    clinic = make_clinic(email="desk@clinic.example")
    _lead(clinic, questionnaire, wants_copy=False)
    delivery.run_once()
    assert [m["To"] for m in smtp.messages] == ["desk@clinic.example"]
    channels = db.session.execute(db.select(Delivery.channel)).scalars().all()
    assert channels == ["email"]


def test_visitor_copy_holds_the_outcome_reasons_and_content_links(make_clinic, questionnaire, smtp):
    clinic = make_clinic(email="desk@clinic.example")
    answers, result = _answers_with_content(questionnaire)
    _lead(clinic, questionnaire, wants_copy=True, answers=answers)
    counts = delivery.run_once()
    assert counts.sent == 2
    copy = next(m for m in smtp.messages if m["To"] == "ada@example.com")
    assert copy["Reply-To"] == "desk@clinic.example"
    text, html = _parts(copy)
    assert result.outcome.title.get("en") in text
    assert result.content, "the chosen answers should lead to at least one page"
    for item in result.content:
        assert f"{PUBLIC}/embed/{clinic.slug}/content/{item.id}" in text
        assert f"{PUBLIC}/embed/{clinic.slug}/content/{item.id}" in html
    for reason in result.reasons:
        assert reason.text.get("en") in text


def test_without_mail_server_mails_are_logged_and_count_as_sent(
    app, make_clinic, questionnaire, caplog
):
    app.config["MAIL_SERVER"] = None
    clinic = make_clinic(email="desk@clinic.example")
    lead = _lead(clinic, questionnaire)
    with caplog.at_level(logging.INFO, logger="quiz.mail"):
        counts = delivery.run_once()
    assert counts.sent == 1
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "quiz.mail")
    assert "To: desk@clinic.example" in logged
    assert lead.public_id in logged
    assert db.session.execute(db.select(Delivery.status)).scalar_one() == "sent"


def test_an_unreachable_mail_server_leaves_the_mail_to_retry(app, make_clinic, questionnaire):
    app.config["MAIL_PORT"] = free_port()
    clinic = make_clinic(email="desk@clinic.example")
    _lead(clinic, questionnaire)
    counts = delivery.run_once()
    assert counts.retrying == 1
    row = db.session.execute(db.select(Delivery)).scalar_one()
    assert row.status == "pending"
    assert "mail server 127.0.0.1" in row.last_error


def test_clinic_mail_is_failed_when_the_clinic_removed_its_address(make_clinic, questionnaire):
    clinic = make_clinic(email="desk@clinic.example")
    _lead(clinic, questionnaire)
    clinic.email = None
    db.session.commit()
    counts = delivery.run_once()
    assert counts.failed == 1
    row = db.session.execute(db.select(Delivery)).scalar_one()
    assert (row.status, row.last_error) == ("failed", "the clinic has no email address any more")


def test_mails_follow_the_leads_language(make_clinic, questionnaire, smtp):
    language = next((lang for lang in questionnaire.languages if lang != "en"), None)
    if language is None:
        pytest.skip("the questionnaire offers only one language")
    from quiz.mail_texts import phrases

    clinic = make_clinic(email="desk@clinic.example")
    _, result = _answers_with_content(questionnaire)
    services.record_assessment(
        clinic,
        result,
        contact=Contact("Ada Lovelace", "ada@example.com"),
        consent=Consent(True, True, False, True),
        source={},
        language=language,
        submission_id="run-translated",
    )
    assert delivery.run_once().sent == 2
    t = phrases(language)
    notice = next(m for m in smtp.messages if m["To"] == "desk@clinic.example")
    copy = next(m for m in smtp.messages if m["To"] == "ada@example.com")
    assert t["clinic_intro"] in _parts(notice)[0]
    text, html = _parts(copy)
    assert result.content
    assert t["read_next"] in text
    assert result.outcome.title.get(language) in text
    assert f"?lang={language}" in html
    for item in result.content:
        assert item.title.get(language) in text


def test_every_language_has_every_mail_phrase(questionnaire):
    from quiz.mail_texts import PHRASES

    for language in questionnaire.languages:
        assert set(PHRASES.get(language, {})) == set(PHRASES["en"]), language


def test_mail_logs_in_when_a_username_is_configured(app, make_clinic, questionnaire):
    sink = SMTPSink(login=("quiz", "s3cret")).start()
    try:
        app.config.update(MAIL_PORT=sink.port, MAIL_USERNAME="quiz", MAIL_PASSWORD="s3cret")
        clinic = make_clinic(email="desk@clinic.example")
        _lead(clinic, questionnaire)
        assert delivery.run_once().sent == 1
        assert sink.logins == ["quiz"]
        assert len(sink.messages) == 1
    finally:
        sink.stop()


def test_a_wrong_mail_password_leaves_the_mail_to_retry(app, make_clinic, questionnaire):
    sink = SMTPSink(login=("quiz", "s3cret")).start()
    try:
        app.config.update(MAIL_PORT=sink.port, MAIL_USERNAME="quiz", MAIL_PASSWORD="wrong")
        clinic = make_clinic(email="desk@clinic.example")
        _lead(clinic, questionnaire)
        assert delivery.run_once().retrying == 1
        assert sink.messages == []
        row = db.session.execute(db.select(Delivery)).scalar_one()
        assert "SMTPAuthenticationError" in row.last_error
    finally:
        sink.stop()
