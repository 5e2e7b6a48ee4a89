"""What the visitor reads on the way: the intro's time, the progress line, the result screen
and the booking offer, through the app as a browser with JavaScript off sees them."""

from __future__ import annotations

import html
import itertools
import re

import pytest

from quiz.extensions import db
from quiz.models import Clinic
from quiz.questions import longest_path, minutes_to_answer
from quiz.services import ServiceError
from tests.helpers import answer_everything


def _progress(text: str) -> tuple[int, int]:
    found = re.search(r'<progress class="progress" value="(\d+)" max="(\d+)"', text)
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize(
    ("language", "words"), [("en", "It takes about"), ("de", "etwa"), ("es", "alrededor de")]
)
def test_the_intro_states_the_time_the_questionnaire_takes(
    visitor, make_clinic, questionnaire, language, words
):
    make_clinic("acme")
    visitor.open("acme", lang=language)
    minutes = minutes_to_answer(questionnaire, language)
    assert re.search(rf"{words} {minutes} \w+\.", visitor.text), visitor.text
    assert "three minutes" not in visitor.text


def test_progress_moves_on_when_follow_up_steps_appear(visitor, make_clinic, questionnaire):
    make_clinic("acme")
    answers = answer_everything(questionnaire, concerns=["cellulite", "hair_thinning"])
    visitor.open("acme")
    visitor.start("acme")
    seen = []
    while visitor.event() in ("start", "step"):
        seen.append(_progress(visitor.text))
        text = re.search(r'class="progress-text"[^>]*>([^<]+)<', visitor.text).group(1)
        assert text == f"Step {seen[-1][0]} of up to {seen[-1][1]}"
        assert visitor.answer("acme", answers).status_code == 200
    numbers = [number for number, _ in seen]
    # A step shown again (an answer revealed one more question on it) keeps its number.
    assert all(later - earlier in (0, 1) for earlier, later in itertools.pairwise(numbers))
    assert numbers[0] == 1 and numbers[-1] == len(set(numbers)) == longest_path(questionnaire)
    assert {total for _, total in seen} == {longest_path(questionnaire)}


# --------------------------------------------------------------------------- result screen


def _at_result(visitor, questionnaire, slug="acme", **chosen) -> str:
    visitor.open(slug)
    visitor.start(slug)
    visitor.finish_steps(slug, answer_everything(questionnaire, **chosen))
    assert visitor.event() == "complete"
    return visitor.text


def _before_form(page: str) -> str:
    return page[: page.index('id="contact"')]


def _outside_details(markup: str) -> str:
    """The markup with every <details> body removed (what shows before a tap), summaries kept."""
    return re.sub(
        r"<details[^>]*>\s*<summary>(.*?)</summary>.*?</details>",
        r"<summary>\1</summary>",
        markup,
        flags=re.S,
    )


def test_the_result_leads_with_verdict_summary_side_effects_and_the_way_to_the_clinic(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", name="Acme Skin")
    page = _at_result(visitor, questionnaire, concerns=["fine_lines"])
    first = _outside_details(_before_form(page))
    outcome = questionnaire.outcome("face_skin_quality").text.get("en")
    summary = re.search(r'<p class="outcome-summary">([^<]+)</p>', first).group(1)
    assert outcome.startswith(html.unescape(summary)) and len(summary) < len(outcome)
    assert "Mesotherapy may be worth discussing with a practitioner" in first
    side_effects = re.search(r'<p class="side-effects">(.*?)</p>', first, re.S).group(1)
    assert "infection, lumps and marks that last" in side_effects
    assert "/embed/acme/content/side-effects-aftercare" in side_effects
    assert re.search(r'<a class="button primary" href="#contact">Ask Acme Skin', first)
    assert 'role="note"' in first and "not medical advice or a diagnosis" in first
    # The rest is in the page, one tap away, and nothing is dropped from the outcome text.
    rest = _before_form(page)
    assert html.escape(outcome[len(html.unescape(summary)) :].strip(), quote=False) in rest
    for heading in ("Why we say this", "What to expect if you go ahead", "Read next"):
        assert f"<summary>{heading}</summary>" in first
    assert "so choose a qualified practitioner who checks your health first" in rest
    assert "so choose a qualified practitioner" not in first


def test_read_next_lists_three_pages_and_keeps_the_rest_behind_more(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    page = _at_result(visitor, questionnaire, concerns=["cellulite", "pigmentation"])
    reading = page[page.index("<summary>Read next</summary>") :]
    reading = reading[: reading.index('<p class="disclaimer"')]
    outer, _, more = reading.partition('<details class="more">')
    assert outer.count("<li>") == 3
    assert re.search(r"<summary>\d+ more pages?</summary>", more)
    assert more.count("<li>") >= 1


def test_a_consult_result_routes_to_a_clinician_and_offers_no_booking(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", name="Acme Skin", booking_url="https://acme.example/book")
    page = _at_result(visitor, questionnaire, medicines=["blood_thinner"])
    assert 'class="result result-consult"' in page
    step = re.search(r'<p class="next-step">(.*?)</p>', page, re.S).group(1)
    assert "conversation with a clinician" in step and 'href="#contact"' in step
    assert "acme.example/book" not in page
    assert "Book a consultation" not in page


def test_a_not_suitable_result_says_what_to_do_instead_without_a_push(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", name="Acme Skin", booking_url="https://acme.example/book")
    page = _at_result(visitor, questionnaire, skin_now=["infection"])
    assert 'class="result result-not_suitable"' in page
    summary = re.search(r'<p class="outcome-summary">([^<]+)</p>', page).group(1)
    assert "pharmacist or GP" in summary
    step = re.search(r'<p class="next-step">(.*?)</p>', page, re.S).group(1)
    assert "What to do instead" in step and "button" not in step
    assert "acme.example/book" not in page


def test_a_good_result_offers_the_https_booking_link_beside_the_contact_button(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", name="Acme Skin", booking_url="https://acme.example/book")
    page = _at_result(visitor, questionnaire, concerns=["fine_lines"])
    step = re.search(r'<p class="next-step">(.*?)</p>', page, re.S).group(1)
    assert 'href="#contact"' in step
    assert 'href="https://acme.example/book" target="_top" rel="noopener"' in step


# --------------------------------------------------------------------------- booking


def test_the_thanks_screen_frames_the_booking_page_when_the_clinic_chooses_it(
    visitor, make_clinic, questionnaire
):
    make_clinic(
        "acme",
        name="Acme Skin",
        booking_url="https://cal.example:8443/acme/consultation?x=1",
        booking_inline=True,
        origins=["https://acme.example"],
    )
    _at_result(visitor, questionnaire, concerns=["fine_lines"])
    result_csp = visitor.page.headers["Content-Security-Policy"]
    assert "frame-src" not in result_csp
    visitor.contact("acme")
    assert visitor.event() == "lead"
    frame = re.search(r'<iframe class="booking-frame" src="([^"]+)" title="([^"]+)"', visitor.text)
    assert html.unescape(frame.group(1)) == "https://cal.example:8443/acme/consultation?x=1"
    assert frame.group(2) == "Booking page of Acme Skin"
    csp = visitor.page.headers["Content-Security-Policy"]
    assert "; frame-src https://cal.example:8443;" in csp
    assert csp.endswith("frame-ancestors 'self' https://acme.example")


def test_a_consult_result_gets_no_booking_frame_on_the_thanks_screen(
    visitor, make_clinic, questionnaire
):
    make_clinic(
        "acme",
        booking_url="https://cal.example/acme",
        booking_inline=True,
        phone="+44 20 7946 0000",
    )
    _at_result(visitor, questionnaire, medicines=["blood_thinner"])
    visitor.contact("acme")
    assert visitor.event() == "lead"
    assert "<iframe" not in visitor.text and "cal.example" not in visitor.text
    assert "frame-src" not in visitor.page.headers["Content-Security-Policy"]
    assert 'href="tel:+442079460000"' in visitor.text


def test_a_booking_button_needs_no_frame_in_the_policy(visitor, make_clinic, questionnaire):
    make_clinic("acme", booking_url="https://cal.example/acme")
    _at_result(visitor, questionnaire, concerns=["fine_lines"])
    visitor.contact("acme")
    assert 'href="https://cal.example/acme" target="_top"' in visitor.text
    assert "<iframe" not in visitor.text
    assert "frame-src" not in visitor.page.headers["Content-Security-Policy"]


def test_a_clinic_without_booking_or_phone_offers_the_contact_form_only(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme", name="Acme Skin")
    page = _at_result(visitor, questionnaire, concerns=["fine_lines"])
    step = re.search(r'<p class="next-step">(.*?)</p>', page, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', step) == ["#contact"]
    visitor.contact("acme")
    assert 'class="next-step"' not in visitor.text and "<iframe" not in visitor.text


def test_an_old_plain_http_booking_link_is_never_offered(visitor, make_clinic, questionnaire):
    clinic = make_clinic("acme", phone="+44 20 7946 0000")
    clinic.booking_url = "http://acme.example/book"  # stored before links had to be https
    db.session.commit()
    page = _at_result(visitor, questionnaire, concerns=["fine_lines"])
    assert "acme.example/book" not in page
    visitor.contact("acme")
    assert "acme.example/book" not in visitor.text
    assert 'href="tel:+442079460000"' in visitor.text


@pytest.mark.parametrize(
    "url",
    [
        "http://cal.example/acme",
        "ftp://cal.example/acme",
        "https://",
        "https://cal example/acme",
        "https://cal.example/a b",
        "https://cal.example:99999/",
        "javascript:alert(1)",
        "https://cal.example/" + "a" * 500,
    ],
)
def test_a_booking_link_must_be_https_and_fit_the_limit(app, url):
    from quiz.services.clinics import check_booking_url

    with pytest.raises(ServiceError, match="expected an https URL of at most 500 characters"):
        check_booking_url(url)


def test_clinic_create_and_update_set_the_booking(app):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "clinic",
            "create",
            "alpha",
            "--name",
            "Alpha",
            "--booking-url",
            "https://cal.example/alpha",
            "--booking-inline",
        ]
    )
    assert created.exit_code == 0, created.output
    assert _booking() == ("https://cal.example/alpha", True)
    button = runner.invoke(args=["clinic", "update", "alpha", "--booking-button"])
    assert button.exit_code == 0 and "shown as a button" in button.output
    assert _booking() == ("https://cal.example/alpha", False)
    bad = runner.invoke(
        args=[
            "clinic",
            "update",
            "alpha",
            "--booking-url",
            "http://cal.example/x",
            "--notify",
            "https://hooks.slack.com/services/T0/B0/abc",
        ]
    )
    assert bad.exit_code == 1 and "expected an https URL" in bad.output
    assert "Traceback" not in bad.output
    assert _booking() == ("https://cal.example/alpha", False)
    assert db.session.execute(db.select(Clinic.notify_url)).scalar_one() is None
    removed = runner.invoke(args=["clinic", "update", "alpha", "--booking-url", ""])
    assert removed.exit_code == 0 and "no booking link" in removed.output
    assert _booking() == (None, False)
    framed = runner.invoke(args=["clinic", "update", "alpha", "--booking-inline"])
    assert framed.exit_code == 1 and "give a booking link" in framed.output
    nothing = runner.invoke(args=["clinic", "update", "alpha"])
    assert nothing.exit_code == 2 and "--booking-url" in nothing.output


def test_clinic_create_refuses_an_inline_booking_without_a_link(app):
    result = app.test_cli_runner().invoke(
        args=["clinic", "create", "alpha", "--name", "Alpha", "--booking-inline"]
    )
    assert result.exit_code == 1 and "give a booking link" in result.output
    assert db.session.execute(db.select(Clinic)).first() is None


def _booking() -> tuple[str | None, bool]:
    db.session.expire_all()
    row = db.session.execute(db.select(Clinic.booking_url, Clinic.booking_inline)).one()
    return row.booking_url, row.booking_inline


def test_the_booking_migration_keeps_existing_clinics_as_buttons_and_goes_back(tmp_path):
    import sqlite3

    from tests.helpers import flask_process

    home = tmp_path / "upgrade"
    home.mkdir()
    assert flask_process(home, "db", "upgrade", "0006_invites_notify").returncode == 0
    with sqlite3.connect(home / "quiz.db") as connection:
        connection.execute(
            "INSERT INTO clinics (slug, name, origins, language, contact_timing,"
            " webhook_include_answers, branding, settings, booking_url, created_at) VALUES"
            " ('old', 'Old', '[]', 'en', 'after', 0, '{}', '{}', 'https://cal.example/old',"
            " '2026-01-01 00:00:00')"
        )
    upgrade = flask_process(home, "db", "upgrade", "0007_clinic_booking")
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(home / "quiz.db") as connection:
        row = connection.execute("SELECT booking_url, booking_inline FROM clinics").fetchone()
    assert row == ("https://cal.example/old", 0)
    down = flask_process(home, "db", "downgrade", "0006_invites_notify")
    assert down.returncode == 0, down.stderr
    with sqlite3.connect(home / "quiz.db") as connection:
        columns = [c[1] for c in connection.execute("PRAGMA table_info(clinics)")]
    assert "booking_inline" not in columns and "booking_url" in columns
