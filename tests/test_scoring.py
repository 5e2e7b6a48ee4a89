"""Tests for scoring answers into a suitability, an outcome, reasons and content."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.questions import Question, Questionnaire, check_answers, clean_answers, parse
from quiz.scoring import score, stricter

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_document(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@cache
def rich() -> Questionnaire:
    # Parsed without a base directory so the fixture needs no Markdown files beside it.
    return parse(fixture_document("rich"))


def make_rich(**scoring) -> Questionnaire:
    document = fixture_document("rich")
    document["scoring"].update(scoring)
    return parse(document)


HEALTHY = {"pregnant": ["no"], "allergy": ["no"], "conditions": ["none"]}


def answers(**chosen) -> dict[str, list[str]]:
    """Return healthy answers to the health step plus the given ones."""
    result = dict(HEALTHY)
    result.update({k: [v] if isinstance(v, str) else list(v) for k, v in chosen.items()})
    return result


def content_ids(result) -> list[str]:
    return [item.id for item in result.content]


def reason_trail(result) -> list[tuple[str, str, str]]:
    return [(r.kind, r.question_id, r.option_id) for r in result.reasons]


# --------------------------------------------------------------------------- suitability


def test_stop_answer_makes_the_result_not_suitable():
    result = score(
        rich(), answers(conditions=["thinners"], area=["face"], expectations="realistic")
    )
    assert result.suitability == "not_suitable"
    assert result.outcome.id == "stopped"
    assert reason_trail(result) == [("stop", "conditions", "thinners")]


def test_stop_answer_that_does_not_end_the_quiz_still_stores_the_lead():
    result = score(rich(), answers(conditions=["thinners"]))
    assert result.store_lead is True


def test_consult_answer_makes_the_result_consult():
    result = score(rich(), answers(allergy="yes", area=["face"], face_concern="wrinkles"))
    assert result.suitability == "consult"
    assert result.outcome.id == "see-doctor"
    assert result.outcome.doctor is True


def test_stop_wins_over_consult():
    result = score(rich(), answers(allergy="yes", conditions=["thinners", "diabetes"]))
    assert result.suitability == "not_suitable"


def test_consult_wins_over_a_high_score():
    result = score(
        rich(),
        answers(
            area=["face"], face_concern="wrinkles", face_depth="deep", expectations="realistic"
        ),
    )
    assert result.scores["face"] == 75
    assert result.suitability == "consult"


def test_score_at_the_threshold_is_good():
    result = score(rich(), answers(area=["face"], face_concern="wrinkles"))
    assert result.scores["face"] == 60
    assert result.top_area == "face"
    assert result.suitability == "good"
    assert result.outcome.id == "face-good"


def test_score_below_the_threshold_is_possible():
    result = score(make_rich(good_threshold=61), answers(area=["face"], face_concern="wrinkles"))
    assert result.suitability == "possible"
    assert result.outcome.id == "general"


def test_outcome_suitability_never_makes_a_result_less_strict():
    # The fallback outcome says "good", but a possible result stays possible.
    result = score(rich(), answers(area=["body"], body_concern="fat", expectations="realistic"))
    assert result.scores["body"] == 55
    assert result.outcome.id == "general"
    assert result.outcome.suitability == "good"
    assert result.suitability == "possible"


def test_outcome_suitability_can_make_a_result_stricter():
    result = score(rich(), answers(area=["scalp"], scalp_loss="yes", expectations="realistic"))
    assert result.scores["scalp"] == 85
    assert result.top_area == "scalp"
    assert result.outcome.id == "scalp-check"
    assert result.suitability == "consult"


def test_no_positive_score_means_possible_without_a_top_area():
    result = score(rich(), answers(area=["face"], face_concern="dryness", expectations="miracle"))
    assert result.scores == {"face": 0, "body": 0, "scalp": 0}
    assert result.top_area is None
    assert result.suitability == "possible"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("good", None, "good"),
        ("good", "possible", "possible"),
        ("consult", "possible", "consult"),
        ("possible", "not_suitable", "not_suitable"),
        ("not_suitable", "good", "not_suitable"),
    ],
)
def test_stricter_returns_the_stricter_suitability(a, b, expected):
    assert stricter(a, b) == expected


# --------------------------------------------------------------------------- scores


def test_scores_are_clamped_to_0_100_for_every_area():
    result = score(
        rich(),
        answers(
            area=["face", "scalp"], face_concern="wrinkles", face_depth="fine", scalp_loss="no"
        ),
    )
    assert result.scores == {"face": 100, "body": 0, "scalp": 0}


def test_top_area_tie_goes_to_the_first_area_listed():
    result = score(rich(), answers(area=["scalp", "body"]))
    assert result.scores["body"] == result.scores["scalp"] == 30
    assert result.top_area == "body"


# --------------------------------------------------------------------------- ends_quiz


def test_quiz_ending_answer_does_not_store_the_lead_and_ignores_later_answers():
    result = score(
        rich(),
        {
            "pregnant": ["yes"],
            "allergy": ["yes"],
            "area": ["face"],
            "face_concern": ["wrinkles"],
        },
    )
    assert result.store_lead is False
    assert result.answers == {"pregnant": ("yes",)}
    assert result.suitability == "not_suitable"
    assert result.scores == {"face": 0, "body": 0, "scalp": 0}
    assert reason_trail(result) == [("stop", "pregnant", "yes")]


# --------------------------------------------------------------------------- outcomes


def test_first_matching_outcome_wins():
    # Both "cellulite" and "face-good" match; "cellulite" is listed first.
    result = score(
        rich(),
        answers(
            area=["face", "body"],
            face_concern="wrinkles",
            face_depth="fine",
            body_concern="cellulite",
        ),
    )
    assert result.top_area == "face"
    assert result.suitability == "good"
    assert result.outcome.id == "cellulite"


def test_outcome_answer_condition_needs_the_question_to_apply():
    # body_concern is hidden when "body" is not chosen, so its answer cannot match.
    result = score(
        rich(), answers(area=["face"], face_concern="wrinkles", body_concern="cellulite")
    )
    assert result.outcome.id == "face-good"
    assert "body_concern" not in result.answers


# --------------------------------------------------------------------------- content


def test_content_is_deduplicated_outcome_content_first():
    result = score(
        rich(),
        answers(area=["face", "body"], face_concern="wrinkles", body_concern="fat", allergy="yes"),
    )
    assert result.outcome.id == "see-doctor"
    assert content_ids(result) == ["safety", "face-guide", "body-guide"]


def test_hidden_content_is_removed():
    result = score(
        rich(),
        answers(area=["face", "body"], face_concern="wrinkles", body_concern="fat", allergy="yes"),
        hidden_content=["face-guide", "unknown-id"],
    )
    assert content_ids(result) == ["safety", "body-guide"]


def test_content_of_hidden_questions_is_not_offered():
    result = score(rich(), answers(area=["body"], body_concern="fat", face_concern="wrinkles"))
    assert "face-guide" not in content_ids(result)


# --------------------------------------------------------------------------- reasons


def test_reasons_are_ordered_stop_consult_note_and_traceable():
    result = score(
        rich(),
        answers(
            allergy="yes",
            conditions=["diabetes", "thinners"],
            area=["face"],
            face_concern="dryness",
            expectations="miracle",
        ),
    )
    assert reason_trail(result) == [
        ("stop", "conditions", "thinners"),
        ("consult", "allergy", "yes"),
        ("consult", "conditions", "diabetes"),
        ("note", "face_concern", "dryness"),
        ("note", "expectations", "miracle"),
    ]
    questionnaire = rich()
    for reason in result.reasons:
        option = questionnaire.question(reason.question_id).option(reason.option_id)
        assert option.reason == reason.text


def test_answers_without_reasons_give_no_reasons():
    result = score(rich(), answers(area=["face"], face_concern="wrinkles"))
    assert result.reasons == ()


def test_result_to_dict_uses_the_language():
    result = score(rich(), answers(allergy="yes"))
    assert result.to_dict("en") == {
        "outcome": {"id": "see-doctor", "title": "See a doctor", "suitability": "consult"},
        "scores": {"face": 0, "body": 0, "scalp": 0},
        "reasons": ["A doctor should review past allergic reactions."],
    }


def test_unknown_options_and_questions_are_ignored_by_score():
    result = score(rich(), {**answers(area=["face", "neck"]), "ghost": ["x"]})
    assert result.scores["face"] == 30
    assert "ghost" not in result.answers


# --------------------------------------------------------------------------- properties


def choices_for(question: Question) -> st.SearchStrategy[list[str]]:
    """Pick a valid answer to one question, ignoring whether it applies."""
    if question.type == "single":
        picked = st.sampled_from([o.id for o in question.options]).map(lambda oid: [oid])
    else:
        exclusive = [o.id for o in question.options if o.exclusive]
        plain = [o.id for o in question.options if not o.exclusive]
        picked = st.lists(st.sampled_from(plain), min_size=1, unique=True)
        if exclusive:
            picked = picked | st.sampled_from(exclusive).map(lambda oid: [oid])
    if not question.required:
        picked = picked | st.just([])
    return picked


@st.composite
def answer_sets(draw, questionnaire: Questionnaire | None = None) -> dict[str, list[str]]:
    questionnaire = questionnaire or rich()
    return {q.id: draw(choices_for(q)) for q in questionnaire.questions}


def flagged(questionnaire: Questionnaire, kept, flag: str) -> bool:
    return any(
        questionnaire.question(qid).option(oid).flag == flag
        for qid, chosen in kept.items()
        for oid in chosen
    )


@settings(max_examples=200, deadline=None)
@given(raw=answer_sets())
def test_any_valid_answer_set_scores_within_bounds(raw):
    questionnaire = rich()
    kept, errors = check_answers(questionnaire, raw)
    assert errors == {}
    result = score(questionnaire, kept)
    assert set(result.scores) == {a.id for a in questionnaire.areas}
    assert all(0 <= points <= 100 for points in result.scores.values())
    assert result.suitability in ("good", "possible", "consult", "not_suitable")
    assert result.outcome in questionnaire.outcomes
    assert len(content_ids(result)) == len(set(content_ids(result)))
    assert result.answers == kept


@settings(max_examples=200, deadline=None)
@given(raw=answer_sets())
def test_any_applicable_stop_answer_is_not_suitable(raw):
    questionnaire = rich()
    result = score(questionnaire, raw)
    if flagged(questionnaire, result.answers, "stop"):
        assert result.suitability == "not_suitable"
    else:
        assert result.suitability != "not_suitable"


@settings(max_examples=200, deadline=None)
@given(raw=answer_sets())
def test_any_applicable_consult_answer_is_never_good_or_possible(raw):
    questionnaire = rich()
    result = score(questionnaire, raw)
    if flagged(questionnaire, result.answers, "consult"):
        assert result.suitability in ("consult", "not_suitable")


@settings(max_examples=200, deadline=None)
@given(raw=answer_sets(), other=answer_sets())
def test_answers_to_hidden_questions_never_change_the_result(raw, other):
    questionnaire = rich()
    _, shown = clean_answers(questionnaire, raw)
    changed = {qid: raw[qid] if qid in shown else other[qid] for qid in raw}
    assert score(questionnaire, changed) == score(questionnaire, raw)
    assert check_answers(questionnaire, changed) == check_answers(questionnaire, raw)


@settings(max_examples=100, deadline=None)
@given(raw=answer_sets(), hidden=st.lists(st.sampled_from(["safety", "face-guide", "x"])))
def test_hidden_content_is_never_offered(raw, hidden):
    result = score(rich(), raw, hidden_content=hidden)
    assert not set(content_ids(result)) & set(hidden)


def test_a_single_option_id_as_a_string_scores_like_a_one_item_list():
    as_strings = {"pregnant": "no", "allergy": "yes", "area": "face"}
    as_lists = {k: [v] for k, v in as_strings.items()}
    assert score(rich(), as_strings) == score(rich(), as_lists)
    assert score(rich(), as_strings).suitability == "consult"
