"""The visitor's HTML path under /embed, driven by a client that keeps no cookies."""

from __future__ import annotations

import html
import re
import time
from dataclasses import replace

import pytest
from sqlalchemy import text

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from quiz.state import StateSigner
from tests.helpers import CONTACT, Visitor, answer_everything, event_kinds


@pytest.fixture
def app_config(app_config):
    """No minimum fill time by default: a test client is faster than any person."""
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


def leads() -> list[Lead]:
    return list(db.session.execute(db.select(Lead)).scalars())


def test_whole_path_without_cookies_stores_one_lead_with_utm_from_the_intro(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", name="Acme Skin", booking_url="https://acme.example/book")
    answers = answer_everything(questionnaire, concerns=["cellulite"])
    visitor.open(
        "acme",
        utm_source="newsletter",
        utm_campaign="spring",
        page_url="https://acme.example/treatments#top",
    )
    assert visitor.page.status_code == 200
    assert "Acme Skin" in visitor.text
    visitor.start("acme")
    assert "Step 1 of" in visitor.text
    visitor.finish_steps("acme", answers)

    assert visitor.event() == "complete"
    assert "not medical advice or a diagnosis" in visitor.text
    result_title = questionnaire.outcome("body_cellulite").title.get("en")
    assert html.escape(result_title) in visitor.text
    assert 'name="email"' in visitor.text
    assert visitor.page.headers["Cache-Control"] == "no-store"

    response = visitor.contact("acme")
    assert response.status_code == 200
    assert visitor.event() == "lead"
    assert 'href="https://acme.example/book" target="_top" rel="noopener"' in visitor.text

    [lead] = leads()
    assert (lead.name, lead.email, lead.contact_time) == (
        "Ada Lovelace",
        "ada@example.com",
        "morning",
    )
    assert (lead.utm_source, lead.utm_campaign) == ("newsletter", "spring")
    assert lead.page_url == "https://acme.example/treatments"
    assert lead.outcome_id == "body_cellulite"
    kinds = event_kinds()
    assert kinds[:3] == ["view", "start", "step"]
    assert kinds.count("complete") == 1 and kinds.count("lead") == 1
    assert kinds.count("step") == len(questionnaire.steps) - 1  # hair and pigment skipped
    assert not any("Set-Cookie" in r.headers for r in visitor.responses)


def test_each_step_is_a_labelled_fieldset_with_progress_and_layout_hooks(visitor, make_clinic):
    make_clinic("acme", origins=["https://acme.example", "http://localhost:8000"])
    visitor.open("acme")
    assert 'data-quiz-event="view"' in visitor.text
    visitor.start("acme")
    page = visitor.text
    assert '<html lang="en">' in page
    assert 'data-quiz-step="1"' in page and re.search(r'data-quiz-steps="\d+"', page)
    assert 'data-parent-origins="https://acme.example http://localhost:8000"' in page
    assert '<h1 id="step-heading" tabindex="-1">' in page
    assert "<fieldset" in page and "<legend>" in page
    assert re.search(r'<input aria-describedby="q-age-help" id="q-age-0"', page)
    assert '<label for="q-age-0">' in page
    assert "js/widget.js" in page and "style=" not in page and "<script>" not in page


def test_back_keeps_earlier_answers(visitor, make_clinic, questionnaire):
    make_clinic("acme")
    answers = answer_everything(questionnaire, concerns=["dryness", "fine_lines"], goal="subtle")
    visitor.open("acme")
    visitor.start("acme")
    visitor.answer("acme", answers)  # about you
    visitor.answer("acme", answers)  # goals
    assert "Step 3 of" in visitor.text
    visitor.answer("acme", {}, action="back")
    assert "Step 2 of" in visitor.text
    assert re.search(
        r'checked id="q-concerns-\d+" name="q-concerns" type="checkbox" value="dryness"',
        visitor.text,
    )
    assert re.search(
        r'checked id="q-goal-\d+" name="q-goal" type="radio" value="subtle"', visitor.text
    )
    visitor.answer("acme", {}, action="back")
    assert re.search(r'checked id="q-age-0"', visitor.text)


def test_missing_answer_reshows_the_step_with_the_message_and_keeps_the_others(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    answers = answer_everything(questionnaire)
    visitor.open("acme")
    visitor.start("acme")
    visitor.answer("acme", answers)
    visitor.answer("acme", answers)
    step_fields = visitor.fields()
    assert len(step_fields) >= 2
    kept, missing = step_fields[0], step_fields[1]
    response = visitor.answer("acme", {kept: answers[kept]})
    assert response.status_code == 422
    page = visitor.text
    assert 'id="error-summary" class="error-summary" role="alert"' in page
    assert f'href="#q-{missing}-0"' in page
    assert f'id="q-{missing}-error"' in page
    assert re.search(rf'aria-describedby="[^"]*q-{missing}-error"', page)
    value = answers[kept][0]
    assert re.search(rf'checked id="q-{kept}-\d+" name="q-{kept}" type="\w+" value="{value}"', page)
    assert leads() == []


def test_steps_whose_questions_do_not_apply_are_skipped(visitor, make_clinic, questionnaire):
    make_clinic("acme")
    answers = answer_everything(questionnaire, concerns=["not_sure"])
    visitor.open("acme")
    visitor.start("acme")
    headings = visitor.finish_steps("acme", answers)
    skipped = [
        s.title.get("en")
        for s in questionnaire.steps
        if not any(qid in answers for qid in s.question_ids)
    ]
    assert skipped, "this answer set should leave some steps out"
    assert not set(skipped) & set(headings)
    assert len(headings) == len(questionnaire.steps) - len(skipped)
    assert visitor.event() == "complete"


def test_under_18_ends_early_with_no_contact_form_and_nothing_stored(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    visitor.open("acme")
    visitor.start("acme")
    visitor.answer("acme", {"age": ["under_18"]})
    assert visitor.event() == "complete"
    assert 'class="result result-not_suitable"' in visitor.text
    assert html.escape(questionnaire.outcome("under_18").title.get("en")) in visitor.text
    assert 'name="email"' not in visitor.text
    assert "not medical advice or a diagnosis" in visitor.text
    assert leads() == []


def test_contact_details_posted_after_under_18_are_never_stored(app, visitor, make_clinic):
    make_clinic("acme")
    visitor.open("acme")
    visitor.start("acme")
    signer = StateSigner(app.secret_key, app.config["QUIZ_TOKEN_MAX_AGE"])
    step_token = visitor.token()
    visitor.post("/embed/acme/step", {"q-age": "under_18", "action": "next", **CONTACT})
    assert 'name="email"' not in visitor.text
    # Even a genuine token of the finished under-18 run cannot store contact details.
    state = signer.loads(step_token, "acme")
    done = signer.dumps(replace(state, answers={"age": ["under_18"]}, step=99, started=0))
    response = visitor.client.post("/embed/acme/contact", data={"state": done, **CONTACT})
    assert response.status_code == 200
    assert 'name="email"' not in response.get_data(as_text=True)
    assert leads() == []


def test_contact_form_comes_before_the_result_when_the_clinic_asks(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", contact_timing="before")
    answers = answer_everything(questionnaire, concerns=["cellulite"])
    visitor.open("acme")
    visitor.start("acme")
    visitor.finish_steps("acme", answers)
    title = html.escape(questionnaire.outcome("body_cellulite").title.get("en"))
    assert 'name="email"' in visitor.text
    assert title not in visitor.text
    visitor.contact("acme")
    assert visitor.event() == "lead"
    assert title in visitor.text and "not medical advice" in visitor.text
    assert len(leads()) == 1


def _skip_button(page: str) -> str | None:
    found = re.search(r'<button[^>]*name="action"[^>]*value="skip"[^>]*>([^<]*)</button>', page)
    return found.group(1) if found else None


def test_result_without_details_is_offered_when_the_contact_form_comes_first(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", contact_timing="before")
    visitor.open("acme")
    visitor.start("acme")
    visitor.finish_steps("acme", answer_everything(questionnaire))
    assert _skip_button(visitor.text) == "Show my result without sending details"
    # Shown again with what to fix, the form still offers it.
    assert visitor.contact("acme", consent_health=None).status_code == 422
    assert _skip_button(visitor.text) == "Show my result without sending details"
    visitor.contact("acme", action="skip")
    assert visitor.event() == "complete"
    assert 'name="email"' not in visitor.text
    assert leads() == []


def test_the_contact_form_under_the_result_has_no_skip_button(visitor, make_clinic, questionnaire):
    make_clinic("acme")
    _at_result(visitor, questionnaire)
    assert 'name="email"' in visitor.text
    assert _skip_button(visitor.text) is None


def _at_result(visitor, questionnaire, slug="acme", **chosen):
    visitor.open(slug)
    visitor.start(slug)
    visitor.finish_steps(slug, answer_everything(questionnaire, **chosen))
    assert visitor.event() == "complete"


def test_refusing_health_consent_stores_nothing_and_keeps_what_was_typed(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", privacy_url="https://acme.example/privacy")
    _at_result(visitor, questionnaire)
    assert 'href="https://acme.example/privacy"' in visitor.text
    assert "checked" not in re.search(r'<input[^>]*name="consent_health"[^>]*>', visitor.text)[0]
    response = visitor.contact("acme", consent_health=None)
    assert response.status_code == 422
    page = visitor.text
    assert "We can only keep your answers if you agree" in page
    assert 'href="#consent_health"' in page
    assert 'value="Ada Lovelace"' in page and 'value="ada@example.com"' in page
    assert re.search(r'checked id="consent_contact"|id="consent_contact"[^>]*checked', page)
    assert "not medical advice" in page  # the visitor keeps the result
    assert leads() == []


def test_invalid_contact_details_are_shown_beside_the_fields(visitor, make_clinic, questionnaire):
    make_clinic("acme")
    _at_result(visitor, questionnaire)
    visitor.contact("acme", name="", email="not-an-email", phone="call me", contact_time="noon")
    page = visitor.text
    for field in ("name", "email", "phone", "contact_time"):
        assert f'id="{field}-error"' in page
    assert 'value="not-an-email"' in page
    assert leads() == []


def test_submitting_the_same_run_twice_makes_one_lead(visitor, make_clinic, questionnaire):
    make_clinic("acme")
    _at_result(visitor, questionnaire)
    token = visitor.token()
    first = visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT})
    second = visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT})
    assert first.status_code == second.status_code == 200
    assert len(leads()) == 1
    assert event_kinds().count("lead") == 1


def test_filled_honeypot_looks_successful_and_stores_nothing(visitor, make_clinic, questionnaire):
    make_clinic("acme")
    _at_result(visitor, questionnaire)
    assert re.search(r'<div class="hp" aria-hidden="true">', visitor.text)
    honeypot = re.search(r'<input[^>]*name="website"[^>]*>', visitor.text)[0]
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot
    response = visitor.contact("acme", website="http://spam.example")
    assert response.status_code == 200 and visitor.event() == "lead"
    assert "Thank you" in visitor.text
    assert leads() == []


def test_submission_sooner_than_the_minimum_fill_time_looks_successful_and_stores_nothing(
    app, visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    app.config["QUIZ_MIN_FILL_SECONDS"] = 3600
    _at_result(visitor, questionnaire)
    visitor.contact("acme")
    assert visitor.event() == "lead" and "Thank you" in visitor.text
    assert leads() == []


def test_submission_after_the_minimum_fill_time_is_stored(app, visitor, make_clinic, questionnaire):
    make_clinic("acme")
    app.config["QUIZ_MIN_FILL_SECONDS"] = 3
    _at_result(visitor, questionnaire)
    signer = StateSigner(app.secret_key, app.config["QUIZ_TOKEN_MAX_AGE"])
    state = signer.loads(visitor.token(), "acme")
    started_earlier = signer.dumps(replace(state, started=int(time.time()) - 60))
    response = visitor.client.post(
        "/embed/acme/contact", data={"state": started_earlier, **CONTACT}
    )
    assert response.status_code == 200
    assert len(leads()) == 1


def test_tampered_token_gets_a_friendly_start_again_page(visitor, make_clinic):
    make_clinic("acme")
    visitor.open("acme")
    token = visitor.token()
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    response = visitor.client.post("/embed/acme/step", data={"state": flipped, "action": "start"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please start again" in page and 'href="/embed/acme"' in page
    assert "Traceback" not in page
    missing = visitor.client.post("/embed/acme/contact", data=CONTACT)
    assert missing.status_code == 400
    assert leads() == []


def test_token_for_another_clinic_is_refused(visitor, make_clinic):
    make_clinic("acme")
    make_clinic("other")
    visitor.open("acme")
    response = visitor.client.post("/embed/other/step", data={"state": visitor.token()})
    assert response.status_code == 400


def test_expired_token_says_so_and_offers_a_restart(app, visitor, make_clinic):
    make_clinic("acme")
    visitor.open("acme")
    max_age = app.config["QUIZ_TOKEN_MAX_AGE"]
    state = StateSigner(app.secret_key, max_age).loads(visitor.token(), "acme")
    old = StateSigner(app.secret_key, max_age).dumps(
        state, issued_at=int(time.time()) - max_age - 60
    )
    response = visitor.client.post("/embed/acme/step", data={"state": old, "action": "start"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "expired" in page and "Please start again" in page and 'href="/embed/acme"' in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_post_from_another_site_is_refused(visitor, make_clinic, questionnaire, headers):
    make_clinic("acme")
    _at_result(visitor, questionnaire)
    response = visitor.post("/embed/acme/contact", CONTACT, headers=headers)
    assert response.status_code == 403
    assert leads() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Origin": "http://localhost"},
    ],
)
def test_post_from_the_quiz_itself_is_accepted(visitor, make_clinic, headers):
    make_clinic("acme")
    visitor.open("acme")
    response = visitor.post("/embed/acme/step", {"action": "start"}, headers=headers)
    assert response.status_code == 200


def test_unknown_clinic_is_a_404_page(visitor):
    assert visitor.client.get("/embed/nobody").status_code == 404
    response = visitor.client.post("/embed/nobody/step", data={"state": "x"})
    assert response.status_code == 404
    assert visitor.client.get("/embed/nobody/content/what-is-mesotherapy").status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_unknown_option_is_shown_again_with_an_error_and_nothing_stored(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    visitor.open("acme")
    visitor.start("acme")
    response = visitor.answer("acme", {"age": "over_9000"})
    assert response.status_code == 422
    assert "Choose one of the options shown." in visitor.text
    assert 'href="#q-age-0"' in visitor.text
    assert "Step 1 of" in visitor.text
    assert leads() == []


def test_two_answers_to_a_single_question_are_refused(visitor, make_clinic):
    make_clinic("acme")
    visitor.open("acme")
    visitor.start("acme")
    visitor.answer("acme", {"age": ["adult", "under_18"]})
    assert visitor.page.status_code == 422
    assert "Choose only one option." in visitor.text


def test_script_in_a_name_is_escaped_wherever_it_is_shown(visitor, make_clinic, questionnaire):
    make_clinic("acme", name="Acme <b>Clinic</b>")
    _at_result(visitor, questionnaire)
    visitor.contact("acme", name="<script>alert(1)</script>", consent_health=None)
    page = visitor.text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Clinic</b>" not in page and "Acme &lt;b&gt;Clinic&lt;/b&gt;" in page


def test_clinic_texts_are_escaped_and_override_the_defaults(visitor, make_clinic, questionnaire):
    make_clinic(
        "acme",
        settings={"intro": "Hello <img src=x onerror=alert(1)>", "thanks": "Speak soon <i>x</i>"},
    )
    visitor.open("acme")
    assert "Hello &lt;img src=x onerror=alert(1)&gt;" in visitor.text
    visitor.start("acme")
    visitor.finish_steps("acme", answer_everything(questionnaire))
    visitor.contact("acme")
    assert "Speak soon &lt;i&gt;x&lt;/i&gt;" in visitor.text
    assert "will be in touch" not in visitor.text


def test_thanks_page_offers_the_phone_when_there_is_no_booking_link(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", phone="+44 20 7946 0000")
    _at_result(visitor, questionnaire)
    visitor.contact("acme")
    assert 'href="tel:+442079460000"' in visitor.text


def test_frame_ancestors_lists_the_clinics_origins(visitor, make_clinic):
    make_clinic("acme", origins=["https://acme.example", "https://www.acme.example"])
    response = visitor.open("acme")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://acme.example https://www.acme.example" in csp
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_intro_takes_language_and_drops_bad_attribution(visitor, make_clinic):
    make_clinic("acme")
    visitor.open(
        "acme", lang="xx", utm_source="ok", page_url="javascript:alert(1)", utm_term="a\x01"
    )
    signer_state = visitor.token()
    assert '<html lang="en">' in visitor.text
    from flask import current_app

    state = StateSigner(current_app.secret_key, 60).loads(signer_state, "acme")
    assert state.source == {"utm_source": "ok"}


def test_intro_drops_a_page_url_that_cannot_be_parsed(visitor, make_clinic):
    make_clinic("acme")
    response = visitor.open("acme", utm_source="ok", page_url="http://[x")
    assert response.status_code == 200
    from flask import current_app

    state = StateSigner(current_app.secret_key, 60).loads(visitor.token(), "acme")
    assert state.source == {"utm_source": "ok"}


def test_contact_post_is_rate_limited(app_config, request):
    app_config["RATELIMIT_ENABLED"] = True
    app = request.getfixturevalue("app")  # built only now, with the limit switched on
    visitor = Visitor(app.test_client(use_cookies=False))
    request.getfixturevalue("make_clinic")("acme")
    _at_result(visitor, runtime(app).questionnaire)
    token = visitor.token()
    statuses = [
        visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT}).status_code
        for _ in range(21)
    ]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    last = visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT})
    assert "Too many requests" in last.get_data(as_text=True)
    assert len(leads()) == 1


def test_thanks_page_link_lets_the_visitor_delete_what_they_sent(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    make_clinic("other")
    _at_result(visitor, questionnaire)
    visitor.contact("acme")
    assert len(leads()) == 1
    link = html.unescape(re.search(r'href="(/embed/acme/forget/[^"]+)"', visitor.text).group(1))
    confirm = visitor.client.get(link)
    assert confirm.status_code == 200
    assert len(leads()) == 1  # a GET (a link preview, a mail scanner) never erases
    erased = visitor.client.post(link.split("?")[0])
    assert erased.status_code == 200
    assert "have been deleted" in erased.get_data(as_text=True)
    assert leads() == []
    again = visitor.client.post(link.split("?")[0])
    assert "nothing left to delete" in again.get_data(as_text=True)


def test_tampered_erasure_link_is_refused_with_a_message(visitor, make_clinic):
    make_clinic("acme")
    response = visitor.client.post("/embed/acme/forget/not-a-real-token")
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_failed_save_keeps_everything_typed_and_a_retry_stores_the_lead(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    _at_result(visitor, questionnaire)
    # The leads table going away stands in for a database that refuses the write.
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE leads RENAME TO leads_away"))
    try:
        response = visitor.contact("acme")
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE leads_away RENAME TO leads"))
    assert response.status_code == 503
    page = visitor.text
    assert "We could not save your details just now" in page
    assert 'value="Ada Lovelace"' in page and 'value="ada@example.com"' in page
    assert "Traceback" not in page
    visitor.contact("acme")
    assert visitor.page.status_code == 200
    assert [lead.email for lead in leads()] == ["ada@example.com"]
