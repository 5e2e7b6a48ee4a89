"""The step flow, without an app: steps that apply, moves between steps, progress."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from quiz.embed import flow
from quiz.questions import Answers, Questionnaire, load, longest_path
from tests.helpers import answer_everything

SHIPPED = Path(__file__).resolve().parent.parent / "questions.json"


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    """The shipped questionnaire, loaded as the app loads it but with no app around it."""
    return load(SHIPPED)


def _index(questionnaire, step_id: str) -> int:
    return next(i for i, s in enumerate(questionnaire.steps) if s.id == step_id)


def _checked(answers: dict) -> Answers:
    """Answers as the flow carries them: option ids in tuples."""
    return {qid: tuple(values) for qid, values in answers.items()}


def _post(questionnaire, step_index: int, answers: dict) -> MultiDict:
    step = questionnaire.steps[step_index]
    return MultiDict([(f"q-{qid}", v) for qid in step.question_ids for v in answers.get(qid, [])])


def test_start_goes_to_the_first_step(questionnaire):
    move = flow.advance(questionnaire, {}, -1, "start", None)
    assert (move.step, move.finished) == (0, False)


def test_walking_every_step_with_complete_answers_finishes(questionnaire):
    answers = answer_everything(questionnaire, concerns=["cellulite", "hair_thinning"])
    carried, index, seen = {}, 0, []
    while True:
        seen.append(questionnaire.steps[index].id)
        move = flow.advance(
            questionnaire, carried, index, "next", _post(questionnaire, index, answers)
        )
        assert not move.errors
        carried, index = move.answers, move.step
        if move.finished:
            break
    assert carried == _checked(answers)
    assert len(seen) == len(flow.applicable_steps(questionnaire, answers))


def test_steps_whose_questions_do_not_apply_are_not_counted(questionnaire):
    narrow = answer_everything(questionnaire, concerns=["not_sure"])
    wide = answer_everything(questionnaire, concerns=["cellulite", "pigmentation", "hair_thinning"])
    assert len(flow.applicable_steps(questionnaire, narrow)) < len(
        flow.applicable_steps(questionnaire, wide)
    )
    number, total = flow.progress(questionnaire, narrow, _index(questionnaire, "skin_type"))
    assert number == len(flow.applicable_steps(questionnaire, narrow))
    assert total == longest_path(questionnaire) > number


def _walk_progress(questionnaire, answers) -> list[tuple[int, int]]:
    """Walk the steps as a visitor does, answer by answer, and note each step's progress."""
    carried, index, seen = {}, -1, []
    move = flow.advance(questionnaire, carried, index, "start", None)
    while not move.finished:
        carried, index = move.answers, move.step
        seen.append(flow.progress(questionnaire, carried, index))
        move = flow.advance(
            questionnaire, carried, index, "next", _post(questionnaire, index, answers)
        )
        assert not move.errors
    return seen


@pytest.mark.parametrize(
    "concerns",
    [
        ["not_sure"],
        ["cellulite"],
        ["hair_thinning"],
        ["cellulite", "hair_thinning", "pigmentation"],
    ],
)
def test_progress_never_goes_back_when_follow_up_steps_appear(questionnaire, concerns):
    seen = _walk_progress(questionnaire, answer_everything(questionnaire, concerns=concerns))
    numbers = [number for number, _ in seen]
    assert numbers == list(range(1, len(seen) + 1))
    fractions = [number / total for number, total in seen]
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert {total for _, total in seen} == {longest_path(questionnaire)}


def test_the_longest_path_takes_every_follow_up_step(questionnaire):
    every = answer_everything(
        questionnaire, concerns=["cellulite", "hair_thinning", "pigmentation", "fine_lines"]
    )
    assert len(_walk_progress(questionnaire, every)) == longest_path(questionnaire)
    assert longest_path(questionnaire) == len(questionnaire.steps)


def test_missing_answer_keeps_the_step_and_names_the_question(questionnaire):
    index = _index(questionnaire, "right_now")
    first, second = questionnaire.steps[index].question_ids[:2]
    answers = answer_everything(questionnaire)
    posted = MultiDict([(f"q-{first}", answers[first][0])])
    move = flow.advance(questionnaire, {}, index, "next", posted)
    assert move.step == index and not move.finished
    assert set(move.errors) == {second}
    assert move.answers[first] == tuple(answers[first])


def test_back_goes_to_the_previous_applicable_step_keeping_answers(questionnaire):
    answers = answer_everything(questionnaire)
    index = _index(questionnaire, "right_now")
    move = flow.advance(questionnaire, answers, index, "back", _post(questionnaire, index, answers))
    assert move.step == _index(questionnaire, "goals")
    assert move.answers == _checked(answers)


def test_back_on_the_first_step_stays_there(questionnaire):
    move = flow.advance(questionnaire, {}, 0, "back", MultiDict())
    assert move.step == 0 and not move.finished


def test_an_answer_that_ends_the_quiz_finishes_at_once(questionnaire):
    move = flow.advance(questionnaire, {}, 0, "next", MultiDict([("q-age", "under_18")]))
    assert move.finished
    assert questionnaire.ends_quiz(move.answers)


def test_a_question_revealed_on_the_same_step_is_asked_without_an_error(questionnaire):
    step = next(
        s
        for s in questionnaire.steps
        if any(
            q.show_if and q.show_if.question_id in s.question_ids
            for q in questionnaire.step_questions(s)
        )
    )
    index = questionnaire.steps.index(step)
    dependent = next(
        q
        for q in questionnaire.step_questions(step)
        if q.show_if and q.show_if.question_id in step.question_ids
    )
    trigger = dependent.show_if.question_id
    chosen = sorted(dependent.show_if.option_ids)[0]
    wanted = {trigger: [chosen]}
    outer = questionnaire.question(trigger).show_if
    if outer:  # the trigger itself must apply too
        wanted[outer.question_id] = [sorted(outer.option_ids)[0]]
    earlier = answer_everything(questionnaire, **wanted)
    before = {
        k: v
        for k, v in earlier.items()
        if questionnaire.steps.index(next(s for s in questionnaire.steps if k in s.question_ids))
        < index
    }
    posted = MultiDict(
        [
            (f"q-{qid}", v)
            for qid in step.question_ids
            if qid != dependent.id
            for v in earlier.get(qid, [])
        ]
    )
    move = flow.advance(questionnaire, before, index, "next", posted)
    assert move.step == index and move.revealed and not move.errors


def test_complete_answers_are_recognised_and_partial_ones_are_not(questionnaire):
    answers = answer_everything(questionnaire)
    assert flow.answers_complete(questionnaire, answers)
    partial = {qid: chosen for qid, chosen in answers.items() if qid != "age"}
    assert not flow.answers_complete(questionnaire, partial)
    assert not flow.answers_complete(questionnaire, {})
