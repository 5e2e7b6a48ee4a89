"""The questionnaire as frozen dataclasses: questions, options, outcomes, content, texts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

SUITABILITIES = ("good", "possible", "consult", "not_suitable")
FLAGS = ("stop", "consult")
QUESTION_TYPES = ("single", "multiple")


class QuestionnaireError(ValueError):
    """A questionnaire that breaks the schema; `problems` holds one line per error."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Text:
    """A piece of visitor-facing text in every language the questionnaire supports."""

    values: tuple[tuple[str, str], ...]

    def get(self, language: str) -> str:
        """Return the text in `language`, falling back to the first language."""
        for lang, value in self.values:
            if lang == language:
                return value
        return self.values[0][1]

    def all(self) -> list[str]:
        """Return every translation (used by the claims scan)."""
        return [value for _, value in self.values]


@dataclass(frozen=True)
class Condition:
    """`question:option|option`: true when that question applies and has one of those options."""

    question_id: str
    option_ids: frozenset[str]
    source: str

    def holds(self, answers: Mapping[str, tuple[str, ...]]) -> bool:
        """Tell whether the answers satisfy this condition."""
        return bool(self.option_ids.intersection(answers.get(self.question_id, ())))


@dataclass(frozen=True)
class Option:
    """One choice of a question, with what choosing it means for the result."""

    id: str
    label: Text
    scores: tuple[tuple[str, int], ...] = ()
    flag: str | None = None
    reason: Text | None = None
    content: tuple[str, ...] = ()
    ends_quiz: bool = False
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    """A single- or multiple-choice question, shown only when its `show_if` holds."""

    id: str
    type: str
    step: str
    text: Text
    options: tuple[Option, ...]
    required: bool = True
    help: Text | None = None
    show_if: Condition | None = None

    def option(self, option_id: str) -> Option | None:
        """Return the option with that id, or None."""
        return self._options_by_id.get(option_id)

    @cached_property
    def _options_by_id(self) -> dict[str, Option]:
        # Scoring and checking look options up for every answer of every request.
        return {o.id: o for o in self.options}


@dataclass(frozen=True)
class Step:
    """A screen of the quiz grouping a few related questions."""

    id: str
    title: Text
    question_ids: tuple[str, ...]


@dataclass(frozen=True)
class Area:
    """A scoring area (body, face, scalp, pigmentation…)."""

    id: str
    label: Text


@dataclass(frozen=True)
class OutcomeRule:
    """When an outcome applies; every condition given must hold."""

    suitability: frozenset[str] = frozenset()
    top_area: frozenset[str] = frozenset()
    answers: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A result the visitor can get: a title, an explanation and what to read next."""

    id: str
    title: Text
    text: Text
    when: OutcomeRule
    content: tuple[str, ...] = ()
    suitability: str | None = None
    doctor: bool = False


@dataclass(frozen=True)
class ContentItem:
    """An educational page, kept as Markdown beside questions.json."""

    id: str
    title: Text
    file: str
    summary: Text
    areas: tuple[str, ...] = ()


def localized_file(file: str, language: str, default_language: str) -> str:
    """Return the path of a content file in a language (`x.md` → `x.de.md`)."""
    if language == default_language:
        return file
    return file[: -len(".md")] + f".{language}.md"


@dataclass(frozen=True)
class Questionnaire:
    """The whole questionnaire: questions in steps, scoring areas, outcomes and content."""

    version: str
    languages: tuple[str, ...]
    areas: tuple[Area, ...]
    steps: tuple[Step, ...]
    questions: tuple[Question, ...]
    outcomes: tuple[Outcome, ...]
    content: tuple[ContentItem, ...]
    good_threshold: int
    consent_version: str
    base_dir: str = ""
    # The text whose hash is `version`: what a lead's snapshot stores, whatever the file says now.
    source: str = field(default="", compare=False, repr=False)
    _by_id: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def question(self, question_id: str) -> Question:
        """Return the question with that id (KeyError when unknown)."""
        return self._by_id[question_id]

    def content_item(self, content_id: str) -> ContentItem | None:
        """Return the content item with that id, or None."""
        return next((c for c in self.content if c.id == content_id), None)

    def outcome(self, outcome_id: str) -> Outcome | None:
        """Return the outcome with that id, or None."""
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    def step_questions(self, step: Step) -> list[Question]:
        """Return the questions of a step, in order."""
        return [self._by_id[qid] for qid in step.question_ids]

    def ends_quiz(self, answers: Mapping[str, Iterable[str]]) -> bool:
        """Tell whether one of these answers ends the quiz (an option such as "under 18").

        The one place this rule is decided: the answer checker stops at such an answer, the
        step flow finishes there and scoring stores no lead. Unknown ids are not an ending.
        """
        for question_id, chosen in answers.items():
            question = self._by_id.get(question_id)
            if question is None:
                continue
            if any((option := question.option(c)) is not None and option.ends_quiz for c in chosen):
                return True
        return False
