"""Reading single values of a questionnaire document, noting each problem with its JSON path."""

from __future__ import annotations

import re
from typing import Any

from quiz.questions.model import Condition, Question, Text

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_SHOW_IF = re.compile(r"^\s*([a-z0-9_-]+)\s*:\s*([a-z0-9_|-]+)\s*$")


class DocumentReader:
    """Checks one value at a time; a wrong value is noted in `problems` and read as empty.

    Reading goes on past a problem, so one run reports every problem of the document.
    """

    def __init__(self) -> None:
        """Start with no problems, reading texts in English until the languages are known."""
        self.problems: list[str] = []
        self.languages: tuple[str, ...] = ("en",)

    def fail(self, where: str, message: str) -> None:
        """Note a problem at a JSON path (`questions[3].options[1].id`)."""
        self.problems.append(f"{where}: {message}")

    def obj(self, value: Any, where: str, required: set[str], optional: set[str]) -> dict | None:
        """Return an object with these keys (missing and unknown keys are noted), or None."""
        if not isinstance(value, dict):
            self.fail(where, "must be an object")
            return None
        for key in sorted(required - value.keys()):
            self.fail(where, f'missing "{key}"')
        for key in sorted(value.keys() - required - optional):
            self.fail(f"{where}.{key}", "unknown field")
        return value

    def ident(self, value: Any, where: str) -> str:
        """Return an id of lowercase letters, digits, '_' or '-', or ""."""
        if not isinstance(value, str) or not _ID.match(value):
            self.fail(where, "must be an id of lowercase letters, digits, '_' or '-'")
            return ""
        return value

    def unique_id(self, value: Any, where: str, seen: set[str]) -> str:
        """Return an id as `ident` does, noting one already in `seen`; `seen` then holds it."""
        found = self.ident(value, where)
        if found and found in seen:
            self.fail(where, f'duplicate id "{found}"')
        seen.add(found)
        return found

    def boolean(self, item: dict, key: str, where: str, default: bool = False) -> bool:
        """Return `item[key]`, true or false; `default` when it is absent or (noted) not one."""
        value = item.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{where}.{key}", "must be true or false")
            return default
        return value

    def text(self, value: Any, where: str) -> Text | None:
        """Return a text in every language (a plain string for one language), or None."""
        if isinstance(value, str):
            if not value.strip():
                self.fail(where, "must not be empty")
                return None
            if len(self.languages) > 1:
                self.fail(where, f"needs a text for each language: {', '.join(self.languages)}")
                return None
            return Text(((self.languages[0], value),))
        if isinstance(value, dict):
            missing = [lang for lang in self.languages if not _nonblank(value.get(lang))]
            extra = [lang for lang in value if lang not in self.languages]
            for lang in missing:
                self.fail(f"{where}.{lang}", "missing translation")
            for lang in extra:
                self.fail(f"{where}.{lang}", 'language not listed in "languages"')
            if missing or extra:
                return None
            return Text(tuple((lang, value[lang]) for lang in self.languages))
        self.fail(where, "must be a string or an object of translations")
        return None

    def id_list(self, value: Any, where: str) -> tuple[str, ...]:
        """Return a list of ids ("" in place of each bad one)."""
        if not isinstance(value, list):
            self.fail(where, "must be a list of ids")
            return ()
        return tuple(self.ident(item, f"{where}[{i}]") for i, item in enumerate(value))

    def known_ids(self, value: Any, where: str, known: set[str], kind: str) -> tuple[str, ...]:
        """Return a list of ids, noting each one that is not among `known` (`unknown {kind}`)."""
        ids = self.id_list(value, where)
        for i, item in enumerate(ids):
            if item and item not in known:
                self.fail(f"{where}[{i}]", f'unknown {kind} "{item}"')
        return ids

    def condition(self, value: Any, where: str, known: dict[str, Question]) -> Condition | None:
        """Return a `question_id:option_id|option_id` condition on an earlier question, or None."""
        match = _SHOW_IF.match(value) if isinstance(value, str) else None
        if not match:
            self.fail(where, 'must look like "question_id:option_id|option_id"')
            return None
        qid, opts = match.group(1), match.group(2).split("|")
        question = known.get(qid)
        if question is None:
            self.fail(where, f'refers to "{qid}", which is not an earlier question')
            return None
        for opt in opts:
            if question.option(opt) is None:
                self.fail(where, f'"{qid}" has no option "{opt}"')
        return Condition(qid, frozenset(opts), value.strip())


def _nonblank(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
