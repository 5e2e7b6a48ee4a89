"""The questionnaire: its model (model.py), loading and validation (loader.py), and the
checking of a visitor's answers (answers.py). Pure: no Flask, no SQLAlchemy."""

from quiz.questions.answers import Answers, applicable, check_answers, clean_answers
from quiz.questions.loader import load, localized_file, parse
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
    "parse",
]
