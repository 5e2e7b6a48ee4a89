"""The questionnaire: its model (model.py); loading (loader.py), which reads the file and
parses it (parser.py) value by value (reader.py), reporting every problem with its JSON path;
the checking of a visitor's answers (answers.py); and how long it can take (length.py).
Pure: no Flask, no SQLAlchemy."""

from quiz.questions.answers import Answers, applicable, check_answers, clean_answers
from quiz.questions.length import longest_path, minutes_to_answer, reachable_questions
from quiz.questions.loader import load, parse
from quiz.questions.model import (
    FLAGS,
    QUESTION_TYPES,
    SUITABILITIES,
    Area,
    Condition,
    ContentItem,
    Option,
    Outcome,
    OutcomeRule,
    Question,
    Questionnaire,
    QuestionnaireError,
    Step,
    Text,
    localized_file,
)

__all__ = [
    "FLAGS",
    "QUESTION_TYPES",
    "SUITABILITIES",
    "Answers",
    "Area",
    "Condition",
    "ContentItem",
    "Option",
    "Outcome",
    "OutcomeRule",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "Step",
    "Text",
    "applicable",
    "check_answers",
    "clean_answers",
    "load",
    "localized_file",
    "longest_path",
    "minutes_to_answer",
    "parse",
    "reachable_questions",
]
