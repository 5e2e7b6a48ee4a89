"""How long the questionnaire can be: its longest path in steps and the minutes it takes.

Pure, so the intro's "takes about N minutes" and the progress indicator's total follow the
questionnaire file instead of being written by hand.
"""

from __future__ import annotations

import math
import re

from quiz.questions.model import Question, Questionnaire

# Adults read non-fiction silently at about 240 words a minute (Brysbaert 2019); questions
# about one's health are read more carefully.
READING_WORDS_PER_MINUTE = 200
# Finding and tapping the chosen option(s) of one question.
SECONDS_PER_ANSWER = 3
# Pressing Next and the next step arriving.
SECONDS_PER_STEP = 2
_WORD = re.compile(r"\w+")


def reachable_questions(questionnaire: Questionnaire) -> list[Question]:
    """Return the questions that some set of answers shows, in order.

    A question with a `show_if` is reachable when the question it names is reachable and one
    of the options it names exists and does not end the quiz.
    """
    reachable: dict[str, Question] = {}
    for question in questionnaire.questions:
        condition = question.show_if
        if condition is not None:
            parent = reachable.get(condition.question_id)
            if parent is None or not any(
                (option := parent.option(o)) is not None and not option.ends_quiz
                for o in condition.option_ids
            ):
                continue
        reachable[question.id] = question
    return list(reachable.values())


def longest_path(questionnaire: Questionnaire) -> int:
    """Return how many steps the longest path through the questionnaire shows (at least 1).

    Every follow-up step counts, so no answer can make a visitor's path longer: a progress
    total taken from it never has to grow.
    """
    ids = {q.id for q in reachable_questions(questionnaire)}
    return max(1, sum(1 for step in questionnaire.steps if ids.intersection(step.question_ids)))


def minutes_to_answer(questionnaire: Questionnaire, language: str) -> int:
    """Return the whole minutes (at least 1, rounded) the longest path takes in `language`.

    Reading every question, help text and option label of that path, choosing an answer to
    each question and moving on at each step.
    """
    questions = reachable_questions(questionnaire)
    words = 0
    for question in questions:
        texts = [question.text, *(o.label for o in question.options)]
        if question.help is not None:
            texts.append(question.help)
        words += sum(len(_WORD.findall(text.get(language))) for text in texts)
    seconds = (
        words * 60 / READING_WORDS_PER_MINUTE
        + len(questions) * SECONDS_PER_ANSWER
        + longest_path(questionnaire) * SECONDS_PER_STEP
    )
    return max(1, math.floor(seconds / 60 + 0.5))
