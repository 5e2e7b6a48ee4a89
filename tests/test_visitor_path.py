"""What the visitor reads on the way: the intro's time, the progress line, the result screen
and the booking offer, through the app as a browser with JavaScript off sees them."""

from __future__ import annotations

import itertools
import re

import pytest

from quiz.questions import longest_path, minutes_to_answer
from tests.conftest import answer_everything
from tests.test_embed import Visitor


@pytest.fixture
def visitor(app):
    """A cookie-less client that posts each page's state token back."""
    return Visitor(app.test_client(use_cookies=False))


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
