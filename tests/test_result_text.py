"""What the result screen shows first (quiz/embed/result_text.py), without an app."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.embed import result_text
from quiz.questions import load

SHIPPED = load(Path(__file__).resolve().parent.parent / "questions.json")


def test_the_summary_is_whole_sentences_within_the_limit():
    text = "One two three. Four five six seven. Eight nine."
    assert result_text.split_summary(text, limit=7) == (
        "One two three. Four five six seven.",
        "Eight nine.",
    )
    assert result_text.split_summary(text, limit=100) == (text, "")


def test_a_long_first_sentence_is_kept_whole():
    text = "This first sentence has far more words than the limit allows. Next."
    assert result_text.split_summary(text, limit=3) == (
        "This first sentence has far more words than the limit allows.",
        "Next.",
    )


def test_summary_and_rest_together_keep_every_word():
    for outcome in SHIPPED.outcomes:
        for language in SHIPPED.languages:
            text = outcome.text.get(language)
            summary, rest = result_text.split_summary(text)
            assert f"{summary} {rest}".split() == text.split(), (outcome.id, language)


@pytest.mark.parametrize("language", SHIPPED.languages)
def test_every_shipped_summary_is_about_fifty_words(language):
    for outcome in SHIPPED.outcomes:
        summary, _ = result_text.split_summary(outcome.text.get(language))
        assert 5 <= result_text.word_count(summary) <= result_text.SUMMARY_WORDS, outcome.id


def test_each_result_that_stops_short_of_treatment_keeps_its_advice_in_the_summary():
    # What to do instead is the summary's job for the results that do not go ahead.
    advice = {
        "doctor_skin_change": "GP",
        "doctor_hair": "GP",
        "doctor_lump": "GP",
        "heal_first": "pharmacist or GP",
        "weight_loss_redirect": "GP",
        "pregnancy_defer": "wait",
        "consult_first": "clinician",
    }
    for outcome_id, words in advice.items():
        summary, _ = result_text.split_summary(SHIPPED.outcome(outcome_id).text.get("en"))
        assert words in summary, outcome_id


def test_booking_is_offered_only_to_results_that_allow_going_ahead():
    assert result_text.offers_booking("good") and result_text.offers_booking("possible")
    assert not result_text.offers_booking("consult")
    assert not result_text.offers_booking("not_suitable")
    assert not result_text.offers_booking("unknown")


def test_three_pages_are_listed_and_the_rest_wait_behind_more():
    assert result_text.first_and_more("abcde") == (["a", "b", "c"], ["d", "e"])
    assert result_text.first_and_more("ab") == (["a", "b"], [])


def test_the_layout_names_the_next_step_by_suitability():
    steps = {s: result_text.layout("A. B.", s, ()).next_step for s in result_text.NEXT_STEPS}
    assert steps == {
        "good": "ask",
        "possible": "ask",
        "consult": "clinician",
        "not_suitable": "instead",
    }
