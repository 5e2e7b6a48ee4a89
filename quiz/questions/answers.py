"""Which questions apply to a visitor's answers, and whether those answers are valid."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from quiz.messages import N_
from quiz.questions.model import Question, Questionnaire

# Answers: the option ids chosen for each question, as checking returns them, scoring takes
# them and a visitor's state token carries them between steps (JSON turns the tuples into
# lists on the way; the token's reader turns them back).
Answers = dict[str, tuple[str, ...]]


def applicable(questionnaire: Questionnaire, answers: Mapping[str, Iterable[str]]) -> list[str]:
    """Return the ids of the questions that apply to these answers, in order."""
    return list(clean_answers(questionnaire, answers)[1])


def clean_answers(
    questionnaire: Questionnaire, answers: Mapping[str, Iterable[str]]
) -> tuple[Answers, list[str]]:
    """Keep only answers to questions that apply; return them and the applicable question ids.

    Questions are walked in order: a question applies when its `show_if` holds for the kept
    answers before it and no earlier answer ended the quiz.
    """
    kept: Answers = {}
    applicable_ids: list[str] = []
    for question in questionnaire.questions:
        if question.show_if and not question.show_if.holds(kept):
            continue
        applicable_ids.append(question.id)
        chosen = tuple(answers.get(question.id, ()))
        if chosen:
            kept[question.id] = chosen
            if questionnaire.ends_quiz({question.id: chosen}):
                break
    return kept, applicable_ids


def check_answers(
    questionnaire: Questionnaire, raw: Mapping[str, Any], *, only: Iterable[str] | None = None
) -> tuple[Answers, dict[str, list[str]]]:
    """Validate raw answers (option id or list of ids per question) against the questionnaire.

    Returns the answers that apply, normalised to tuples, and errors keyed by question id.
    `only` restricts the "required" check to those question ids (one step of the HTML path).
    Unknown questions and options are errors; answers to questions that do not apply are
    ignored, as the API contract says.
    """
    errors: dict[str, list[str]] = {}
    normalised: Answers = {}
    if not isinstance(raw, Mapping):
        # A request body of the wrong shape counts as no answers rather than a server error.
        raw = {}
    for qid, value in raw.items():
        try:
            question = questionnaire.question(qid)
        except KeyError:
            errors.setdefault(str(qid)[:100], []).append(N_("Unknown question."))
            continue
        chosen, problem = _check_choice(questionnaire, question, value)
        if problem is not None:
            errors.setdefault(qid, []).append(problem)
        else:
            normalised[qid] = chosen
    kept, applicable_ids = clean_answers(questionnaire, normalised)
    wanted = set(only) if only is not None else set(applicable_ids)
    for qid in applicable_ids:
        question = questionnaire.question(qid)
        if qid in wanted and question.required and qid not in kept and qid not in errors:
            errors[qid] = [
                N_("Please choose an answer.")
                if question.type == "single"
                else N_("Please choose at least one option.")
            ]
    # Errors on known questions that do not apply are dropped: such answers are ignored.
    known = questionnaire._by_id
    return kept, {k: v for k, v in errors.items() if k in applicable_ids or k not in known}


def _check_choice(
    questionnaire: Questionnaire, question: Question, value: Any
) -> tuple[tuple[str, ...], str | None]:
    """Check one question's raw answer; return its option ids (each once), or a problem."""
    chosen = _as_choices(value)
    if chosen is None:
        return (), (
            N_("Must be an option id.")
            if question.type == "single"
            else N_("Must be a list of option ids.")
        )
    chosen = tuple(dict.fromkeys(chosen))
    if question.type == "single" and len(chosen) > 1:
        return (), N_("Choose only one option.")
    if any(question.option(c) is None for c in chosen):
        return (), N_("Choose one of the options shown.")
    exclusive = [c for c in chosen if question.option(c).exclusive]  # type: ignore[union-attr]
    if exclusive and len(chosen) > 1:
        label = question.option(exclusive[0]).label.get(questionnaire.languages[0])  # type: ignore[union-attr]
        # Translators: %(label)s is an answer such as "None of these".
        return (), N_('"%(label)s" cannot be combined with other options.', label=label)
    return chosen, None


def _as_choices(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,) if value else ()
    # JSON gives lists; answers already checked (a state token's) are tuples.
    if (
        isinstance(value, list | tuple)
        and all(isinstance(v, str) for v in value)
        and len(value) <= 50
    ):
        return tuple(v for v in value if v)
    return None
