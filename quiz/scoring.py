"""Score a visitor's answers: area scores, suitability, outcome, reasons and content."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from quiz.questions import Answers, ContentItem, Outcome, Questionnaire, Text, clean_answers

# Stricter suitabilities come later: a result can only ever be made stricter.
_SEVERITY = {"good": 0, "possible": 1, "consult": 2, "not_suitable": 3}
_REASON_ORDER = {"stop": 0, "consult": 1, "note": 2}


@dataclass(frozen=True)
class Reason:
    """A sentence explaining the result, traceable to the answer that caused it."""

    kind: str  # "stop", "consult" or "note"
    text: Text
    question_id: str
    option_id: str


@dataclass(frozen=True)
class Result:
    """Everything the visitor is told, and what a lead stores."""

    suitability: str
    outcome: Outcome
    scores: dict[str, int]
    top_area: str | None
    reasons: tuple[Reason, ...]
    content: tuple[ContentItem, ...]
    answers: Answers
    store_lead: bool

    def to_dict(self, language: str) -> dict:
        """Return the JSON-ready form used by the API and stored (encrypted) with a lead."""
        return {
            "outcome": {
                "id": self.outcome.id,
                "title": self.outcome.title.get(language),
                "suitability": self.suitability,
            },
            "scores": dict(self.scores),
            "reasons": [r.text.get(language) for r in self.reasons],
        }


def stricter(a: str, b: str | None) -> str:
    """Return the stricter of two suitabilities."""
    if b is None:
        return a
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def score(
    questionnaire: Questionnaire,
    answers: Mapping[str, Iterable[str]],
    *,
    hidden_content: Iterable[str] = (),
) -> Result:
    """Score answers that `check_answers` accepted; answers to hidden questions are ignored."""
    kept, _ = clean_answers(
        questionnaire,
        {k: (v,) if isinstance(v, str) else tuple(v) for k, v in answers.items()},
    )
    scores, reasons, flags, option_content = _tally(questionnaire, kept)
    top_area = _top_area(questionnaire, scores)
    suitability = _suitability(questionnaire, scores, top_area, flags)
    outcome = _choose_outcome(questionnaire, suitability, top_area, kept)
    reasons.sort(key=lambda r: _REASON_ORDER[r.kind])
    return Result(
        suitability=stricter(suitability, outcome.suitability),
        outcome=outcome,
        scores=scores,
        top_area=top_area,
        reasons=tuple(reasons),
        content=_content(questionnaire, [*outcome.content, *option_content], hidden_content),
        answers=kept,
        store_lead=not questionnaire.ends_quiz(kept),
    )


def _tally(
    questionnaire: Questionnaire, kept: Answers
) -> tuple[dict[str, int], list[Reason], set[str], list[str]]:
    """Add up the chosen options: each area's score (0-100), reasons, flags, content ids."""
    totals = {area.id: 0 for area in questionnaire.areas}
    reasons: list[Reason] = []
    flags: set[str] = set()
    option_content: list[str] = []
    for question in questionnaire.questions:
        for option_id in kept.get(question.id, ()):
            option = question.option(option_id)
            if option is None:
                continue
            for area, points in option.scores:
                totals[area] += points
            if option.flag:
                flags.add(option.flag)
            if option.reason:
                reasons.append(Reason(option.flag or "note", option.reason, question.id, option.id))
            option_content.extend(option.content)
    scores = {area: max(0, min(100, points)) for area, points in totals.items()}
    return scores, reasons, flags, option_content


def _suitability(
    questionnaire: Questionnaire, scores: dict[str, int], top_area: str | None, flags: set[str]
) -> str:
    """The suitability the flags and scores give, before the outcome may make it stricter."""
    if "stop" in flags:
        return "not_suitable"
    if "consult" in flags:
        return "consult"
    if top_area is not None and scores[top_area] >= questionnaire.good_threshold:
        return "good"
    return "possible"


def _content(
    questionnaire: Questionnaire, content_ids: Iterable[str], hidden_content: Iterable[str]
) -> tuple[ContentItem, ...]:
    """The content items named, each once and in order, leaving out the hidden ones."""
    hidden = set(hidden_content)
    return tuple(
        item
        for cid in dict.fromkeys(content_ids)
        if cid not in hidden and (item := questionnaire.content_item(cid)) is not None
    )


def _top_area(questionnaire: Questionnaire, scores: dict[str, int]) -> str | None:
    best = max(scores.values(), default=0)
    if best <= 0:
        return None
    return next(area.id for area in questionnaire.areas if scores[area.id] == best)


def _choose_outcome(
    questionnaire: Questionnaire, suitability: str, top_area: str | None, answers: Answers
) -> Outcome:
    for outcome in questionnaire.outcomes:
        rule = outcome.when
        if rule.suitability and suitability not in rule.suitability:
            continue
        if rule.top_area and top_area not in rule.top_area:
            continue
        if not all(condition.holds(answers) for condition in rule.answers):
            continue
        return outcome
    # The loader guarantees an unconditional last outcome, so this is unreachable.
    raise AssertionError("questionnaire has no fallback outcome")
