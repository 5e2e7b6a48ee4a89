"""Build the questionnaire model from a decoded document, section by section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from quiz.questions.model import (
    FLAGS,
    QUESTION_TYPES,
    SUITABILITIES,
    Area,
    ContentItem,
    Option,
    Outcome,
    OutcomeRule,
    Question,
    Questionnaire,
    Step,
    Text,
    localized_file,
)
from quiz.questions.reader import DocumentReader


class Parser(DocumentReader):
    """Walks the document once, collecting every problem with its JSON path."""

    def __init__(self, base_dir: str):
        """Check that content files exist under `base_dir` ("" skips that check)."""
        super().__init__()
        self.base_dir = base_dir
        # Step ids by their index in the document, kept even when a step's title is invalid,
        # so one bad field does not make every question of that step "unknown" too.
        self.step_index: dict[str, int] = {}
        self.used_steps: set[str] = set()
        # The furthest step a question so far was on: no later question may go back before it.
        self.reached_step = 0

    def questionnaire(self, doc: Any, version: str, source: str) -> Questionnaire | None:
        """Return the questionnaire, or None when the document is not even an object."""
        doc = self.obj(
            doc,
            "$",
            {"areas", "steps", "questions", "outcomes", "content"},
            {"languages", "scoring", "consent_version", "$comment"},
        )
        if doc is None:
            return None
        self.read_languages(doc.get("languages", ["en"]))
        good_threshold = self.good_threshold(doc.get("scoring", {}))
        consent_version = doc.get("consent_version", "1")
        if not isinstance(consent_version, str) or not consent_version:
            self.fail("consent_version", "must be a non-empty string")
            consent_version = "1"

        areas = self.areas(doc.get("areas"))
        area_ids = {a.id for a in areas}
        content = self.content(doc.get("content"), area_ids)
        content_ids = {c.id for c in content}
        steps_raw = self.steps(doc.get("steps"))
        questions = self.questions(doc.get("questions"), area_ids, content_ids)
        by_id = {q.id: q for q in questions}
        steps = tuple(
            Step(sid, title, tuple(q.id for q in questions if q.step == sid))
            for sid, title in steps_raw
        )
        for sid, i in self.step_index.items():
            if sid not in self.used_steps:
                self.fail(f"steps[{i}]", f'step "{sid}" has no questions')
        outcomes = self.outcomes(doc.get("outcomes"), area_ids, content_ids, by_id)
        return Questionnaire(
            version=version,
            languages=self.languages,
            areas=areas,
            steps=steps,
            questions=questions,
            outcomes=outcomes,
            content=content,
            good_threshold=good_threshold,
            consent_version=consent_version,
            base_dir=self.base_dir,
            source=source,
            _by_id=by_id,
        )

    def read_languages(self, languages: Any) -> None:
        """Take the document's languages, in which every text must then be given."""
        if (
            not isinstance(languages, list)
            or not languages
            or not all(isinstance(x, str) and re.fullmatch(r"[a-z]{2}", x) for x in languages)
        ):
            self.fail("languages", "must be a non-empty list of two-letter language codes")
        else:
            self.languages = tuple(languages)

    def good_threshold(self, value: Any) -> int:
        """Return the top area's score from which a result is "good" (50 unless given)."""
        scoring = self.obj(value, "scoring", set(), {"good_threshold"}) or {}
        threshold = scoring.get("good_threshold", 50)
        if (
            not isinstance(threshold, int)
            or isinstance(threshold, bool)
            or not 1 <= threshold <= 100
        ):
            self.fail("scoring.good_threshold", "must be a whole number from 1 to 100")
            return 50
        return threshold

    def areas(self, value: Any) -> tuple[Area, ...]:
        """Return the scoring areas."""
        if not isinstance(value, list) or not value:
            self.fail("areas", "must be a non-empty list")
            return ()
        areas, seen = [], set()
        for i, raw in enumerate(value):
            where = f"areas[{i}]"
            item = self.obj(raw, where, {"id", "label"}, set())
            if item is None:
                continue
            # A missing id is noted once, by obj().
            aid = self.unique_id(item["id"], f"{where}.id", seen) if "id" in item else ""
            label = self.text(item.get("label"), f"{where}.label")
            if aid and label:
                areas.append(Area(aid, label))
        return tuple(areas)

    def content(self, value: Any, area_ids: set[str]) -> tuple[ContentItem, ...]:
        """Return the educational pages."""
        if not isinstance(value, list):
            self.fail("content", "must be a list")
            return ()
        items, seen = [], set()
        for i, raw in enumerate(value):
            where = f"content[{i}]"
            item = self.obj(raw, where, {"id", "title", "file", "summary"}, {"areas"})
            if item is None:
                continue
            cid = self.unique_id(item.get("id"), f"{where}.id", seen)
            title = self.text(item.get("title"), f"{where}.title")
            summary = self.text(item.get("summary"), f"{where}.summary")
            file = self.content_file(item.get("file"), f"{where}.file")
            areas = self.known_ids(item.get("areas", []), f"{where}.areas", area_ids, "area")
            if cid and title and summary and file:
                items.append(ContentItem(cid, title, file, summary, areas))
        return tuple(items)

    def content_file(self, file: Any, where: str) -> str:
        """Return a relative path to a Markdown file there in every language, or ""."""
        if not isinstance(file, str) or not re.fullmatch(
            r"(?:[a-z0-9_-]+/)*[a-z0-9_-]+\.md", file or ""
        ):
            self.fail(where, "must be a relative path to a .md file")
            return ""
        if self.base_dir:
            for lang in self.languages:
                path = Path(self.base_dir) / localized_file(file, lang, self.languages[0])
                if not path.is_file():
                    self.fail(where, f"{path.name} does not exist")
        return file

    def steps(self, value: Any) -> list[tuple[str, Text]]:
        """Return each step's id and title; their questions are gathered afterwards."""
        if not isinstance(value, list) or not value:
            self.fail("steps", "must be a non-empty list")
            return []
        steps, seen = [], set()
        for i, raw in enumerate(value):
            where = f"steps[{i}]"
            item = self.obj(raw, where, {"id", "title"}, set())
            if item is None:
                continue
            sid = self.unique_id(item.get("id"), f"{where}.id", seen)
            if sid:
                # A duplicate keeps the index of the first step with its id.
                self.step_index.setdefault(sid, i)
            title = self.text(item.get("title"), f"{where}.title")
            if sid and title:
                steps.append((sid, title))
        return steps

    def questions(
        self, value: Any, area_ids: set[str], content_ids: set[str]
    ) -> tuple[Question, ...]:
        """Return the questions, which are listed in the order of their steps."""
        if not isinstance(value, list) or not value:
            self.fail("questions", "must be a non-empty list")
            return ()
        questions: list[Question] = []
        known: dict[str, Question] = {}
        for i, raw in enumerate(value):
            question = self.question(raw, f"questions[{i}]", known, area_ids, content_ids)
            if question is not None:
                questions.append(question)
                known[question.id] = question
        return tuple(questions)

    def question(
        self,
        raw: Any,
        where: str,
        known: dict[str, Question],
        area_ids: set[str],
        content_ids: set[str],
    ) -> Question | None:
        """Return one question (`known` holds the earlier ones), or None."""
        item = self.obj(
            raw,
            where,
            {"id", "type", "text", "options", "step"},
            {"required", "help", "show_if", "$comment"},
        )
        if item is None:
            return None
        qid = self.ident(item.get("id"), f"{where}.id")
        if qid in known:
            self.fail(f"{where}.id", f'duplicate id "{qid}"')
        qtype = item.get("type")
        if qtype not in QUESTION_TYPES:
            self.fail(f"{where}.type", 'must be "single" or "multiple"')
        step = self.question_step(item.get("step"), f"{where}.step")
        required = self.boolean(item, "required", where, default=True)
        text = self.text(item.get("text"), f"{where}.text")
        help_text = self.text(item["help"], f"{where}.help") if "help" in item else None
        show_if = (
            self.condition(item["show_if"], f"{where}.show_if", known)
            if "show_if" in item
            else None
        )
        options = self.options(item.get("options"), f"{where}.options", area_ids, content_ids)
        if qtype == "single" and any(o.exclusive for o in options):
            self.fail(f"{where}.options", '"exclusive" only makes sense on multiple choice')
        if not (qid and text and options and qtype in QUESTION_TYPES and step):
            return None
        return Question(
            id=qid,
            type=qtype,
            step=step,
            text=text,
            options=options,
            required=required,
            help=help_text,
            show_if=show_if,
        )

    def question_step(self, step: Any, where: str) -> str:
        """Return the id of a question's step, or "" when there is no such step."""
        order = list(self.step_index)
        if step not in order:
            self.fail(where, f'unknown step "{step}"')
            return ""
        self.used_steps.add(step)
        index = order.index(step)
        if index < self.reached_step:
            self.fail(where, "questions must be listed in the order of the steps")
        self.reached_step = max(self.reached_step, index)
        return step

    def options(
        self, value: Any, where: str, area_ids: set[str], content_ids: set[str]
    ) -> tuple[Option, ...]:
        """Return a question's options, or none at all when any of them is wrong."""
        if not isinstance(value, list) or len(value) < 2:
            self.fail(where, "must be a list of at least two options")
            return ()
        seen: set[str] = set()
        options = [
            self.option(raw, f"{where}[{i}]", seen, area_ids, content_ids)
            for i, raw in enumerate(value)
        ]
        return tuple(o for o in options if o is not None) if None not in options else ()

    def option(
        self, raw: Any, at: str, seen: set[str], area_ids: set[str], content_ids: set[str]
    ) -> Option | None:
        """Return one option (`seen` holds the ids before it), or None when it is wrong."""
        item = self.obj(
            raw,
            at,
            {"id", "label"},
            {"scores", "flag", "reason", "content", "ends_quiz", "exclusive"},
        )
        if item is None:
            return None
        oid = self.ident(item.get("id"), f"{at}.id")
        duplicate = bool(oid) and oid in seen
        if duplicate:
            self.fail(f"{at}.id", f'duplicate id "{oid}"')
        seen.add(oid)
        label = self.text(item.get("label"), f"{at}.label")
        scores = self.scores(item.get("scores", {}), f"{at}.scores", area_ids)
        flag = item.get("flag")
        if flag is not None and flag not in FLAGS:
            self.fail(f"{at}.flag", 'must be "stop" or "consult"')
        reason = self.text(item["reason"], f"{at}.reason") if "reason" in item else None
        if flag and reason is None:
            self.fail(f"{at}.reason", "an option with a flag needs a reason the visitor can read")
        content = self.known_ids(
            item.get("content", []), f"{at}.content", content_ids, "content id"
        )
        ends_quiz = self.boolean(item, "ends_quiz", at)
        exclusive = self.boolean(item, "exclusive", at)
        if item.get("ends_quiz") and flag != "stop":
            self.fail(f"{at}.ends_quiz", 'only an option flagged "stop" can end the quiz')
        if duplicate or not (oid and label):
            return None
        return Option(
            id=oid,
            label=label,
            scores=scores,
            flag=flag if flag in FLAGS else None,
            reason=reason,
            content=content,
            ends_quiz=ends_quiz,
            exclusive=exclusive,
        )

    def scores(self, value: Any, where: str, area_ids: set[str]) -> tuple[tuple[str, int], ...]:
        """Return an option's points per area."""
        if not isinstance(value, dict):
            self.fail(where, "must be an object of area: points")
            return ()
        scores = []
        for aid, points in value.items():
            if aid not in area_ids:
                self.fail(f"{where}.{aid}", f'unknown area "{aid}"')
            elif (
                not isinstance(points, int) or isinstance(points, bool) or not -100 <= points <= 100
            ):
                self.fail(f"{where}.{aid}", "must be a whole number from -100 to 100")
            else:
                scores.append((aid, points))
        return tuple(scores)

    def outcomes(
        self,
        value: Any,
        area_ids: set[str],
        content_ids: set[str],
        questions: dict[str, Question],
    ) -> tuple[Outcome, ...]:
        """Return the outcomes; the last one must apply to everyone."""
        if not isinstance(value, list) or not value:
            self.fail("outcomes", "must be a non-empty list")
            return ()
        outcomes, seen = [], set()
        last_rule: OutcomeRule | None = None
        for i, raw in enumerate(value):
            where = f"outcomes[{i}]"
            item = self.obj(
                raw, where, {"id", "title", "text", "when"}, {"content", "suitability", "doctor"}
            )
            if item is None:
                continue
            oid = self.unique_id(item.get("id"), f"{where}.id", seen)
            title = self.text(item.get("title"), f"{where}.title")
            text = self.text(item.get("text"), f"{where}.text")
            rule = self.rule(item.get("when"), f"{where}.when", area_ids, questions)
            if i == len(value) - 1:
                last_rule = rule
            content = self.known_ids(
                item.get("content", []), f"{where}.content", content_ids, "content id"
            )
            suitability = item.get("suitability")
            if suitability is not None and suitability not in SUITABILITIES:
                self.fail(f"{where}.suitability", f"must be one of {', '.join(SUITABILITIES)}")
                suitability = None
            doctor = self.boolean(item, "doctor", where)
            if oid and title and text and rule is not None:
                outcomes.append(Outcome(oid, title, text, rule, content, suitability, doctor))
        if last_rule is not None and last_rule != OutcomeRule():
            self.fail(
                f"outcomes[{len(value) - 1}].when",
                "the last outcome must have no conditions, so every visitor gets one",
            )
        return tuple(outcomes)

    def rule(
        self, value: Any, where: str, area_ids: set[str], questions: dict[str, Question]
    ) -> OutcomeRule | None:
        """Return when an outcome applies, or None."""
        item = self.obj(value, where, set(), {"suitability", "top_area", "answers"})
        if item is None:
            return None
        suitability = item.get("suitability", [])
        if not isinstance(suitability, list) or any(s not in SUITABILITIES for s in suitability):
            self.fail(f"{where}.suitability", f"must be a list of {', '.join(SUITABILITIES)}")
            suitability = []
        top_area = item.get("top_area", [])
        if not isinstance(top_area, list) or any(
            not isinstance(a, str) or a not in area_ids for a in top_area
        ):
            self.fail(f"{where}.top_area", "must be a list of known area ids")
            top_area = []
        answers_raw = item.get("answers", [])
        if not isinstance(answers_raw, list):
            self.fail(f"{where}.answers", "must be a list of conditions")
            answers_raw = []
        answers = []
        for j, raw in enumerate(answers_raw):
            condition = self.condition(raw, f"{where}.answers[{j}]", questions)
            if condition:
                answers.append(condition)
        return OutcomeRule(frozenset(suitability), frozenset(top_area), tuple(answers))
