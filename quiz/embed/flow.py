"""The quiz's step flow: which steps apply, where a posted step leads, how far along the
visitor is, and whether the answers are complete.

Pure: plain data in and out (the posted fields as any mapping), no Flask, no WTForms and no
SQLAlchemy, so the rules of moving through the quiz are tested without an app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from quiz.questions import (
    Answers,
    Question,
    Questionnaire,
    Step,
    applicable,
    check_answers,
    longest_path,
)

# Posted answers arrive as fields named q-<question id>.
FIELD_PREFIX = "q"


def applicable_steps(
    questionnaire: Questionnaire, answers: Mapping[str, Iterable[str]]
) -> list[int]:
    """Return the indexes of the steps with at least one question that applies."""
    ids = set(applicable(questionnaire, answers))
    return [i for i, step in enumerate(questionnaire.steps) if ids.intersection(step.question_ids)]


def visible_questions(
    questionnaire: Questionnaire, step: Step, answers: Mapping[str, Iterable[str]]
) -> list[Question]:
    """Return the questions of a step that apply to these answers, in order."""
    ids = set(applicable(questionnaire, answers))
    return [q for q in questionnaire.step_questions(step) if q.id in ids]


def progress(questionnaire: Questionnaire, answers: Answers, index: int) -> tuple[int, int]:
    """Return (this step's number on the visitor's path, steps of the longest path).

    The total is the questionnaire's longest path, never the steps that apply so far: a
    follow-up step appearing then moves the visitor on, never back ("step 1 of 6" must not
    become "step 8 of 8"). The number counts the steps shown before this one, plus one.
    """
    steps = applicable_steps(questionnaire, answers)
    number = len([i for i in steps if i < index]) + 1
    return number, max(longest_path(questionnaire), number)


@dataclass(frozen=True)
class Move:
    """Where the visitor goes after a POST: the answers to carry and the step to show."""

    answers: Answers
    step: int
    finished: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Re-shown because an answer on this step revealed another question on it.
    revealed: bool = False
    changed_step: bool = True


def advance(
    questionnaire: Questionnaire,
    answers: Answers,
    index: int,
    action: str,
    formdata: Mapping | None,
) -> Move:
    """Work out the next screen from the current step, the action and the posted answers."""
    done = len(questionnaire.steps)
    if index >= done:
        return Move(answers, done, finished=True)
    if index < 0:
        steps = applicable_steps(questionnaire, answers)
        return Move(answers, steps[0] if steps else done, finished=not steps)
    step = questionnaire.steps[index]
    raw = _merge(questionnaire, step, answers, formdata)
    if action == "back":
        kept, _ = check_answers(questionnaire, raw, only=())
        earlier = [i for i in applicable_steps(questionnaire, kept) if i < index]
        return Move(kept, earlier[-1] if earlier else index, changed_step=bool(earlier))
    step_ids = list(step.question_ids)
    kept, errors = check_answers(questionnaire, raw, only=step_ids)
    if errors:
        shown = {q.id for q in visible_questions(questionnaire, step, answers)}
        display = {k: v for k, v in errors.items() if k in shown or k not in step_ids}
        return Move(kept, index, errors=display, revealed=not display, changed_step=False)
    if questionnaire.ends_quiz(kept):
        return Move(kept, done, finished=True)
    later = [i for i in applicable_steps(questionnaire, kept) if i > index]
    if later:
        return Move(kept, later[0])
    _, missing = check_answers(questionnaire, kept)
    if missing:
        # An earlier step lost an answer (a changed answer revealed a question): go there.
        first = next(
            i for i, s in enumerate(questionnaire.steps) if set(s.question_ids) & set(missing)
        )
        return Move(kept, first)
    return Move(kept, done, finished=True)


def answers_complete(questionnaire: Questionnaire, answers: Answers) -> bool:
    """Tell whether the answers are a complete valid set (the quiz really was finished)."""
    _, errors = check_answers(questionnaire, answers)
    return not errors and bool(answers)


def _merge(
    questionnaire: Questionnaire, step: Step, answers: Answers, formdata: Mapping | None
) -> dict[str, object]:
    """Replace a step's answers by what was posted for it (a missing field is unanswered)."""
    raw: dict[str, object] = {k: list(v) for k, v in answers.items()}
    for question in questionnaire.step_questions(step):
        raw.pop(question.id, None)
        values = [v for v in _getlist(formdata, _field_name(question.id)) if v]
        if not values:
            continue
        # Two values for a single question reach check_answers as a list, which it refuses.
        raw[question.id] = values[0] if question.type == "single" and len(values) == 1 else values
    return raw


def _field_name(question_id: str) -> str:
    return f"{FIELD_PREFIX}-{question_id}"


def _getlist(formdata: Mapping | None, name: str) -> list[str]:
    if formdata is None:
        return []
    if hasattr(formdata, "getlist"):
        return list(formdata.getlist(name))
    value = formdata.get(name)
    return [] if value is None else [value] if isinstance(value, str) else list(value)
