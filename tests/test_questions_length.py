"""The questionnaire's longest path and reading time (quiz/questions/length.py), without an app."""

from __future__ import annotations

from quiz.questions import longest_path, minutes_to_answer, parse, reachable_questions
from tests.documents import SHIPPED, make_document, make_option, make_question


def _two_steps(*extra: dict) -> dict:
    """A document with a second step holding only the given (conditional) questions."""
    document = make_document()
    document["steps"] = [*document["steps"], {"id": "more", "title": "More"}]
    document["questions"] = [*document["questions"], *extra]
    return document


def test_a_follow_up_step_counts_in_the_longest_path():
    follow_up = make_question("why", step="more", show_if="goal:glow")
    assert longest_path(parse(_two_steps(follow_up))) == 2
    assert [q.id for q in reachable_questions(parse(_two_steps(follow_up)))] == ["goal", "why"]


def test_a_step_no_answer_can_reach_does_not_count():
    # Its only question follows an answer that ends the quiz: nobody ever sees that step.
    document = _two_steps(make_question("after", step="more", show_if="age:minor"))
    document["questions"].insert(
        0,
        make_question(
            "age",
            options=[
                make_option("adult"),
                make_option("minor", flag="stop", reason="Adults only.", ends_quiz=True),
            ],
        ),
    )
    questionnaire = parse(document)
    assert longest_path(questionnaire) == 1
    assert "after" not in {q.id for q in reachable_questions(questionnaire)}


def test_a_chain_of_follow_ups_is_reachable_through_its_parent():
    chained = [
        make_question("first", step="more", show_if="goal:glow"),
        make_question("second", step="more", show_if="first:a"),
    ]
    assert [q.id for q in reachable_questions(parse(_two_steps(*chained)))][-1] == "second"


def test_minutes_grow_with_the_words_to_read():
    short = parse(make_document())
    long_text = " ".join(["word"] * 400)
    longer = parse(_two_steps(make_question("why", step="more", text=long_text)))
    assert minutes_to_answer(short, "en") == 1
    # 400 words at 200 a minute, two answers and two steps: 2 minutes and 10 seconds.
    assert minutes_to_answer(longer, "en") == 2


def test_the_shipped_questionnaire_states_its_own_time():
    from quiz.questions import load

    questionnaire = load(SHIPPED)
    minutes = {language: minutes_to_answer(questionnaire, language) for language in ("en", "de")}
    assert all(3 <= value <= 10 for value in minutes.values()), minutes
