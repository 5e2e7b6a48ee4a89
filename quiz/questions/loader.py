"""Read questions.json and validate it, reporting every problem with its JSON path."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

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

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_SHOW_IF = re.compile(r"^\s*([a-z0-9_-]+)\s*:\s*([a-z0-9_|-]+)\s*$")


def load(path: str | Path) -> Questionnaire:
    """Read and validate a questionnaire file; raise QuestionnaireError listing every problem."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireError([f"{path}: cannot read ({exc.strerror})"]) from None
    try:
        source = raw_bytes.decode("utf-8")
        document = json.loads(source)
    except UnicodeDecodeError:
        raise QuestionnaireError([f"{path}: not UTF-8 text"]) from None
    except json.JSONDecodeError as exc:
        raise QuestionnaireError(
            [f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from None
    return parse(document, version=_version(raw_bytes), base_dir=str(path.parent), source=source)


def parse(
    document: Any, *, version: str = "", base_dir: str = "", source: str = ""
) -> Questionnaire:
    """Validate a decoded questionnaire document and build the frozen model.

    `source` is the text the document was decoded from and `version` its hash; without them
    the document's canonical JSON stands in for the text, and its hash for the version.
    """
    source = source or json.dumps(document, sort_keys=True, ensure_ascii=False)
    parser = _Parser(base_dir)
    result = parser.questionnaire(document, version or _version(source.encode()), source)
    if parser.problems:
        raise QuestionnaireError(parser.problems)
    assert result is not None
    return result


def _version(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()[:12]


class _Parser:
    """Walks the document once, collecting every problem with its JSON path."""

    def __init__(self, base_dir: str):
        self.base_dir = base_dir
        self.problems: list[str] = []
        self.languages: tuple[str, ...] = ("en",)
        # Step ids by their index in the document, kept even when a step's title is invalid,
        # so one bad field does not make every question of that step "unknown" too.
        self.step_index: dict[str, int] = {}
        self.used_steps: set[str] = set()

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def obj(self, value: Any, where: str, required: set[str], optional: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.fail(where, "must be an object")
            return None
        for key in sorted(required - value.keys()):
            self.fail(where, f'missing "{key}"')
        for key in sorted(value.keys() - required - optional):
            self.fail(f"{where}.{key}", "unknown field")
        return value

    def ident(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            self.fail(where, "must be an id of lowercase letters, digits, '_' or '-'")
            return ""
        return value

    def text(self, value: Any, where: str) -> Text | None:
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
        if not isinstance(value, list):
            self.fail(where, "must be a list of ids")
            return ()
        return tuple(self.ident(item, f"{where}[{i}]") for i, item in enumerate(value))

    def condition(self, value: Any, where: str, known: dict[str, Question]) -> Condition | None:
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

    # -- sections

    def questionnaire(self, doc: Any, version: str, source: str) -> Questionnaire | None:
        doc = self.obj(
            doc,
            "$",
            {"areas", "steps", "questions", "outcomes", "content"},
            {"languages", "scoring", "consent_version", "$comment"},
        )
        if doc is None:
            return None
        languages = doc.get("languages", ["en"])
        if (
            not isinstance(languages, list)
            or not languages
            or not all(isinstance(x, str) and re.fullmatch(r"[a-z]{2}", x) for x in languages)
        ):
            self.fail("languages", "must be a non-empty list of two-letter language codes")
        else:
            self.languages = tuple(languages)

        scoring = self.obj(doc.get("scoring", {}), "scoring", set(), {"good_threshold"}) or {}
        good_threshold = scoring.get("good_threshold", 50)
        if (
            not isinstance(good_threshold, int)
            or isinstance(good_threshold, bool)
            or not 1 <= good_threshold <= 100
        ):
            self.fail("scoring.good_threshold", "must be a whole number from 1 to 100")
            good_threshold = 50
        consent_version = doc.get("consent_version", "1")
        if not isinstance(consent_version, str) or not consent_version:
            self.fail("consent_version", "must be a non-empty string")
            consent_version = "1"

        areas = self.areas(doc.get("areas"))
        area_ids = {a.id for a in areas}
        content = self.content(doc.get("content"), area_ids)
        content_ids = {c.id for c in content}
        steps_raw = self.steps(doc.get("steps"))
        questions = self.questions(doc.get("questions"), steps_raw, area_ids, content_ids)
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

    def areas(self, value: Any) -> tuple[Area, ...]:
        if not isinstance(value, list) or not value:
            self.fail("areas", "must be a non-empty list")
            return ()
        areas, seen = [], set()
        for i, raw in enumerate(value):
            where = f"areas[{i}]"
            item = self.obj(raw, where, {"id", "label"}, set())
            if item is None:
                continue
            aid = self.ident(item["id"], f"{where}.id") if "id" in item else ""
            if aid and aid in seen:
                self.fail(f"{where}.id", f'duplicate id "{aid}"')
            seen.add(aid)
            label = self.text(item.get("label"), f"{where}.label")
            if aid and label:
                areas.append(Area(aid, label))
        return tuple(areas)

    def content(self, value: Any, area_ids: set[str]) -> tuple[ContentItem, ...]:
        if not isinstance(value, list):
            self.fail("content", "must be a list")
            return ()
        items, seen = [], set()
        for i, raw in enumerate(value):
            where = f"content[{i}]"
            item = self.obj(raw, where, {"id", "title", "file", "summary"}, {"areas"})
            if item is None:
                continue
            cid = self.ident(item.get("id"), f"{where}.id")
            if cid and cid in seen:
                self.fail(f"{where}.id", f'duplicate id "{cid}"')
            seen.add(cid)
            title = self.text(item.get("title"), f"{where}.title")
            summary = self.text(item.get("summary"), f"{where}.summary")
            file = item.get("file")
            if not isinstance(file, str) or not re.fullmatch(
                r"(?:[a-z0-9_-]+/)*[a-z0-9_-]+\.md", file or ""
            ):
                self.fail(f"{where}.file", "must be a relative path to a .md file")
                file = ""
            elif self.base_dir:
                for lang in self.languages:
                    path = Path(self.base_dir) / localized_file(file, lang, self.languages[0])
                    if not path.is_file():
                        self.fail(f"{where}.file", f"{path.name} does not exist")
            areas = self.id_list(item.get("areas", []), f"{where}.areas")
            for j, aid in enumerate(areas):
                if aid and aid not in area_ids:
                    self.fail(f"{where}.areas[{j}]", f'unknown area "{aid}"')
            if cid and title and summary and file:
                items.append(ContentItem(cid, title, file, summary, areas))
        return tuple(items)

    def steps(self, value: Any) -> list[tuple[str, Text]]:
        if not isinstance(value, list) or not value:
            self.fail("steps", "must be a non-empty list")
            return []
        steps, seen = [], set()
        for i, raw in enumerate(value):
            where = f"steps[{i}]"
            item = self.obj(raw, where, {"id", "title"}, set())
            if item is None:
                continue
            sid = self.ident(item.get("id"), f"{where}.id")
            if sid and sid in seen:
                self.fail(f"{where}.id", f'duplicate id "{sid}"')
            elif sid:
                self.step_index[sid] = i
            seen.add(sid)
            title = self.text(item.get("title"), f"{where}.title")
            if sid and title:
                steps.append((sid, title))
        return steps

    def questions(
        self,
        value: Any,
        steps: list[tuple[str, Text]],
        area_ids: set[str],
        content_ids: set[str],
    ) -> tuple[Question, ...]:
        if not isinstance(value, list) or not value:
            self.fail("questions", "must be a non-empty list")
            return ()
        step_order = list(self.step_index)
        questions: list[Question] = []
        known: dict[str, Question] = {}
        last_step_index = 0
        for i, raw in enumerate(value):
            where = f"questions[{i}]"
            item = self.obj(
                raw,
                where,
                {"id", "type", "text", "options", "step"},
                {"required", "help", "show_if", "$comment"},
            )
            if item is None:
                continue
            qid = self.ident(item.get("id"), f"{where}.id")
            if qid in known:
                self.fail(f"{where}.id", f'duplicate id "{qid}"')
            qtype = item.get("type")
            if qtype not in QUESTION_TYPES:
                self.fail(f"{where}.type", 'must be "single" or "multiple"')
            step = item.get("step")
            if step not in step_order:
                self.fail(f"{where}.step", f'unknown step "{step}"')
            else:
                self.used_steps.add(step)
                index = step_order.index(step)
                if index < last_step_index:
                    self.fail(f"{where}.step", "questions must be listed in the order of the steps")
                last_step_index = max(last_step_index, index)
            required = item.get("required", True)
            if not isinstance(required, bool):
                self.fail(f"{where}.required", "must be true or false")
                required = True
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
            if not (qid and text and options and qtype in QUESTION_TYPES and step in step_order):
                continue
            question = Question(
                id=qid,
                type=qtype,
                step=step,
                text=text,
                options=options,
                required=required,
                help=help_text,
                show_if=show_if,
            )
            questions.append(question)
            known[qid] = question
        return tuple(questions)

    def options(
        self, value: Any, where: str, area_ids: set[str], content_ids: set[str]
    ) -> tuple[Option, ...]:
        if not isinstance(value, list) or len(value) < 2:
            self.fail(where, "must be a list of at least two options")
            return ()
        options, seen, ok = [], set(), True
        for i, raw in enumerate(value):
            at = f"{where}[{i}]"
            item = self.obj(
                raw,
                at,
                {"id", "label"},
                {"scores", "flag", "reason", "content", "ends_quiz", "exclusive"},
            )
            if item is None:
                ok = False
                continue
            oid = self.ident(item.get("id"), f"{at}.id")
            if oid and oid in seen:
                self.fail(f"{at}.id", f'duplicate id "{oid}"')
                ok = False
            seen.add(oid)
            label = self.text(item.get("label"), f"{at}.label")
            scores = self.scores(item.get("scores", {}), f"{at}.scores", area_ids)
            flag = item.get("flag")
            if flag is not None and flag not in FLAGS:
                self.fail(f"{at}.flag", 'must be "stop" or "consult"')
            reason = self.text(item["reason"], f"{at}.reason") if "reason" in item else None
            if flag and reason is None:
                self.fail(
                    f"{at}.reason", "an option with a flag needs a reason the visitor can read"
                )
            content = self.id_list(item.get("content", []), f"{at}.content")
            for j, cid in enumerate(content):
                if cid and cid not in content_ids:
                    self.fail(f"{at}.content[{j}]", f'unknown content id "{cid}"')
            flags = {}
            for key in ("ends_quiz", "exclusive"):
                flags[key] = item.get(key, False)
                if not isinstance(flags[key], bool):
                    self.fail(f"{at}.{key}", "must be true or false")
            if flags["ends_quiz"] and flag != "stop":
                self.fail(f"{at}.ends_quiz", 'only an option flagged "stop" can end the quiz')
            if not (oid and label):
                ok = False
                continue
            options.append(
                Option(
                    id=oid,
                    label=label,
                    scores=scores,
                    flag=flag if flag in FLAGS else None,
                    reason=reason,
                    content=content,
                    ends_quiz=flags["ends_quiz"] is True,
                    exclusive=flags["exclusive"] is True,
                )
            )
        return tuple(options) if ok else ()

    def scores(self, value: Any, where: str, area_ids: set[str]) -> tuple[tuple[str, int], ...]:
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
            oid = self.ident(item.get("id"), f"{where}.id")
            if oid and oid in seen:
                self.fail(f"{where}.id", f'duplicate id "{oid}"')
            seen.add(oid)
            title = self.text(item.get("title"), f"{where}.title")
            text = self.text(item.get("text"), f"{where}.text")
            rule = self.rule(item.get("when"), f"{where}.when", area_ids, questions)
            if i == len(value) - 1:
                last_rule = rule
            content = self.id_list(item.get("content", []), f"{where}.content")
            for j, cid in enumerate(content):
                if cid and cid not in content_ids:
                    self.fail(f"{where}.content[{j}]", f'unknown content id "{cid}"')
            suitability = item.get("suitability")
            if suitability is not None and suitability not in SUITABILITIES:
                self.fail(f"{where}.suitability", f"must be one of {', '.join(SUITABILITIES)}")
                suitability = None
            doctor = item.get("doctor", False)
            if not isinstance(doctor, bool):
                self.fail(f"{where}.doctor", "must be true or false")
            if oid and title and text and rule is not None:
                outcomes.append(
                    Outcome(oid, title, text, rule, content, suitability, doctor is True)
                )
        if last_rule is not None and last_rule != OutcomeRule():
            self.fail(
                f"outcomes[{len(value) - 1}].when",
                "the last outcome must have no conditions, so every visitor gets one",
            )
        return tuple(outcomes)

    def rule(
        self, value: Any, where: str, area_ids: set[str], questions: dict[str, Question]
    ) -> OutcomeRule | None:
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


def _nonblank(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def localized_file(file: str, language: str, default_language: str) -> str:
    """Return the path of a content file in a language (`x.md` → `x.de.md`)."""
    if language == default_language:
        return file
    return file[: -len(".md")] + f".{language}.md"
