"""How the result screen is laid out: the short summary that comes first, the detail behind
it, the next step each suitability gets and the reading shown before "more".

Pure: plain values in and out, so the rules of what a visitor reads first are tested alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

# The summary under the verdict: whole sentences up to about fifty words, so that on a phone
# the verdict, the summary and the way to the clinic fit the first screen.
SUMMARY_WORDS = 55
# Pages listed under "Read next" before the rest go behind "more".
READ_NEXT_SHOWN = 3
# What each suitability is offered next. Booking is for a result that allows going ahead:
# a "consult" result routes to a clinician first, a "not_suitable" one to what to do instead.
NEXT_STEPS = {
    "good": "ask",
    "possible": "ask",
    "consult": "clinician",
    "not_suitable": "instead",
}
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+")
_Item = TypeVar("_Item")


def word_count(text: str) -> int:
    """Return the number of words in a text (runs of letters or digits)."""
    return len(_WORD.findall(text))


def split_summary(text: str, limit: int = SUMMARY_WORDS) -> tuple[str, str]:
    """Return (summary, rest): the leading whole sentences within `limit` words, and the rest.

    The first sentence is always the summary, however long: a text is never cut mid-sentence.
    """
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    taken, words = 0, 0
    for sentence in sentences:
        count = word_count(sentence)
        if taken and words + count > limit:
            break
        taken, words = taken + 1, words + count
    return " ".join(sentences[:taken]), " ".join(sentences[taken:])


def offers_booking(suitability: str) -> bool:
    """Tell whether a result with this suitability is offered the clinic's booking link."""
    return NEXT_STEPS.get(suitability) == "ask"


def first_and_more(
    items: Sequence[_Item], shown: int = READ_NEXT_SHOWN
) -> tuple[list[_Item], list[_Item]]:
    """Split items (most relevant first) into those listed and those behind "more"."""
    return list(items[:shown]), list(items[shown:])


@dataclass(frozen=True)
class ResultLayout:
    """What the result screen shows first and what it keeps one tap away."""

    summary: str
    rest: str
    next_step: str
    booking: bool
    read_next: list
    read_more: list


def layout(outcome_text: str, suitability: str, content: Sequence) -> ResultLayout:
    """Lay out a result: its outcome text split, its next step and its reading list."""
    summary, rest = split_summary(outcome_text)
    read_next, read_more = first_and_more(content)
    return ResultLayout(
        summary=summary,
        rest=rest,
        next_step=NEXT_STEPS.get(suitability, "instead"),
        booking=offers_booking(suitability),
        read_next=read_next,
        read_more=read_more,
    )
