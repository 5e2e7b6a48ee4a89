"""Each answered step is a 303 to an address that shows it, so the back button never resubmits."""

from __future__ import annotations

import base64
import html
import json
import random
import re
import string
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from quiz import observability
from quiz.embed import views
from quiz.state import StateSigner
from tests.helpers import Visitor, answer_everything, event_kinds

_HEADING = re.compile(r'id="step-heading"[^>]*>([^<]+)<')


@pytest.fixture
def app_config(app_config):
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


def _post(visitor: Visitor, data: dict, slug: str = "acme"):
    """POST a step without following the redirect, as the browser's first request is."""
    return visitor.client.post(f"/embed/{slug}/step", data={"state": visitor.token(), **data})


def _sealed(address: str) -> str:
    return parse_qs(urlsplit(address).query)["state"][0]


def _heading(response) -> str:
    return html.unescape(_HEADING.search(response.get_data(as_text=True)).group(1))


def test_a_step_answers_with_a_303_to_an_address_that_shows_the_next_step(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    visitor.open("acme")
    moved = _post(visitor, {"action": "start"})
    assert moved.status_code == 303
    assert moved.headers["Cache-Control"] == "no-store"
    address = urlsplit(moved.headers["Location"])
    assert address.path == "/embed/acme/step"
    assert list(parse_qs(address.query)) == ["state"]
    shown = visitor.client.get(moved.headers["Location"])
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert _heading(shown) == questionnaire.steps[0].title.get("en")
    # The page at the address carries a working token: the quiz goes on from it.
    visitor._keep(shown)
    answers = answer_everything(questionnaire)
    after = visitor.answer("acme", answers)
    assert after.status_code == 200
    assert _heading(after) == questionnaire.steps[1].title.get("en")


def test_the_address_hides_the_answers_and_going_back_and_forth_counts_nothing(
    app, visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    answers = answer_everything(questionnaire, concerns=["cellulite"])
    visitor.open("acme")
    visitor.start("acme")
    signer = StateSigner(app.secret_key, app.config["QUIZ_TOKEN_MAX_AGE"])
    addresses = [visitor.page.request.url]
    while "concerns" not in signer.loads(_sealed(addresses[-1]), "acme").answers:
        visitor.answer("acme", answers)
        addresses.append(visitor.page.request.url)
        assert len(addresses) < 10
    query = _sealed(addresses[-1])
    # Sealed, not only signed: no base64 reading of the address shows the answer or the run.
    for text in (query, base64.urlsafe_b64decode(query + "==").decode("latin-1")):
        assert "cellulite" not in text and "concerns" not in text
    assert signer.loads(query, "acme").answers["concerns"] == ("cellulite",)
    counted = event_kinds()
    for address in [*addresses, *reversed(addresses)]:
        assert visitor.client.get(address).status_code == 200
    assert event_kinds() == counted


def test_a_question_revealed_on_the_step_is_announced_at_its_address(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    step = next(
        s
        for s in questionnaire.steps
        if any(
            q.show_if and q.show_if.question_id in s.question_ids
            for q in questionnaire.step_questions(s)
        )
    )
    dependent = next(
        q
        for q in questionnaire.step_questions(step)
        if q.show_if and q.show_if.question_id in step.question_ids
    )
    trigger = dependent.show_if.question_id
    wanted = {trigger: [sorted(dependent.show_if.option_ids)[0]]}
    outer = questionnaire.question(trigger).show_if
    if outer:
        wanted[outer.question_id] = [sorted(outer.option_ids)[0]]
    answers = answer_everything(questionnaire, **wanted)
    visitor.open("acme")
    visitor.start("acme")
    while _heading(visitor.page) != step.title.get("en"):
        visitor.answer("acme", answers)
    posted = MultiDict(
        [("state", visitor.token()), ("action", "next")]
        + [
            (f"q-{qid}", v)
            for qid in step.question_ids
            if qid != dependent.id
            for v in answers.get(qid, [])
        ]
    )
    moved = visitor.client.post("/embed/acme/step", data=posted)
    assert moved.status_code == 303
    shown = visitor.client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "there is one more question on this page" in shown
    assert f'name="q-{dependent.id}"' in shown
    # What was chosen on the step stays chosen at the address.
    assert re.search(rf"<input checked[^>]*value=\"{wanted[trigger][0]}\"", shown)


def test_a_missing_answer_is_shown_in_place_with_422_and_no_redirect(visitor, make_clinic):
    make_clinic("acme")
    visitor.open("acme")
    visitor.start("acme")
    response = _post(visitor, {"action": "next"})
    assert response.status_code == 422
    assert "Location" not in response.headers
    assert 'id="error-summary"' in response.get_data(as_text=True)


def test_a_state_too_long_for_an_address_is_answered_in_place(
    visitor, make_clinic, questionnaire, monkeypatch
):
    make_clinic("acme")
    visitor.open("acme")
    monkeypatch.setattr(views, "MAX_SEALED_LENGTH", 10)
    response = _post(visitor, {"action": "start"})
    assert response.status_code == 200
    assert _heading(response) == questionnaire.steps[0].title.get("en")
    visitor._keep(response)
    assert visitor.event() == "start"


def test_a_longest_attribution_still_fits_in_the_address(visitor, make_clinic):
    make_clinic("acme")
    # Text that does not compress: the worst case for the sealed token's length.
    noise = random.Random(0)

    def text(n: int) -> str:
        return "".join(noise.choice(string.ascii_letters + string.digits) for _ in range(n))

    query = {f"utm_{k}": text(200) for k in ("source", "medium", "campaign", "term", "content")}
    visitor.open("acme", page_url="https://acme.example/" + text(975), **query)
    moved = _post(visitor, {"action": "start"})
    assert moved.status_code == 303
    # gunicorn refuses request lines over 4,094 bytes: "GET ", the address, " HTTP/1.1".
    assert len(f"GET {moved.headers['Location']} HTTP/1.1") < 4094


def test_a_forged_expired_or_foreign_address_offers_a_restart(app, visitor, make_clinic):
    make_clinic("acme")
    make_clinic("other")
    visitor.open("acme")
    location = _post(visitor, {"action": "start"}).headers["Location"]
    sealed = _sealed(location)
    for bad in (sealed[:-2] + "xx", sealed + ".x", "", "é"):
        response = visitor.client.get("/embed/acme/step", query_string={"state": bad})
        assert response.status_code == 400, bad
        assert "Please start again" in response.get_data(as_text=True)
    foreign = visitor.client.get("/embed/other/step", query_string={"state": sealed})
    assert foreign.status_code == 400
    app.config["QUIZ_TOKEN_MAX_AGE"] = -1
    expired = visitor.client.get(location)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_the_finished_quiz_shows_its_result_at_an_address_counted_once(
    visitor, make_clinic, questionnaire
):
    make_clinic("acme")
    answers = answer_everything(questionnaire)
    visitor.open("acme")
    visitor.start("acme")
    visitor.finish_steps("acme", answers)
    assert visitor.event() == "complete"
    assert urlsplit(visitor.page.request.url).path == "/embed/acme/step"
    again = visitor.client.get(visitor.page.request.url)
    assert again.status_code == 200 and 'name="email"' in again.get_data(as_text=True)
    assert event_kinds().count("complete") == 1


def test_the_state_in_a_step_address_is_never_logged(app, visitor, make_clinic, capsys):
    observability.init_app(app)
    make_clinic("acme")
    visitor.open("acme")
    location = _post(visitor, {"action": "start"}).headers["Location"]
    capsys.readouterr()
    visitor.client.get(location, buffered=True)
    err = capsys.readouterr().err
    sealed = _sealed(location)
    assert sealed not in err and "state=" not in err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert [e["path"] for e in lines if e["logger"] == "quiz.access"] == ["/embed/acme/step"]
