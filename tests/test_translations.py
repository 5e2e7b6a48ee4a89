"""Check the questionnaire and its pages are complete in every language it offers."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from quiz.questions import load, localized_file

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "questions.json"
LANGUAGES = ("en", "de", "es")

# Fields of questions.json whose values a visitor reads.
TEXT_FIELDS = {"label", "text", "help", "reason", "title", "summary"}
# The sources heading of a page in each language.
SOURCES_HEADING = {"en": "Sources", "de": "Quellen", "es": "Fuentes"}
# Translations that may rightly equal the English text (names, shared medical terms).
SAME_AS_ENGLISH_ALLOWED: set[str] = set()
# Texts this long are sentences: an identical one is a forgotten translation, not a shared word.
MIN_SENTENCE = 25


def _document() -> dict:
    return json.loads(QUESTIONS.read_text(encoding="utf-8"))


def _texts(value, where: str = "$") -> Iterator[tuple[str, object]]:
    """Yield (JSON path, value) for every visitor-facing text field in the document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TEXT_FIELDS and not isinstance(item, list):
                yield f"{where}.{key}", item
            else:
                yield from _texts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _texts(item, f"{where}[{i}]")


def test_questionnaire_offers_english_german_and_spanish():
    assert load(QUESTIONS).languages == LANGUAGES


def test_every_text_has_every_language():
    texts = list(_texts(_document()))
    assert len(texts) > 200, "the walk must reach every question, option, outcome and page"
    for where, value in texts:
        assert isinstance(value, dict), f"{where} is not translated"
        assert set(value) == set(LANGUAGES), f"{where} has {sorted(value)}"
        for language, text in value.items():
            assert isinstance(text, str) and text.strip(), f"{where}.{language} is empty"


def test_no_translation_is_left_in_english():
    forgotten = [
        f"{where}.{language}: {value['en']!r}"
        for where, value in _texts(_document())
        for language in LANGUAGES[1:]
        if len(value["en"]) > MIN_SENTENCE
        and value[language] == value["en"]
        and value["en"] not in SAME_AS_ENGLISH_ALLOWED
    ]
    assert not forgotten, "Untranslated texts:\n" + "\n".join(forgotten)


def test_reasons_keep_their_medical_advice_in_every_language():
    """A reason that sends the visitor to a doctor, or asks them to keep their medicines, does so
    in every language: translation must not soften a stop or a caution."""
    doctor = {
        "de": re.compile(r"ärztin|arzt|apotheke", re.IGNORECASE),
        "es": re.compile(r"médico|dermatólogo|farmacéutico", re.IGNORECASE),
    }
    medicines = {
        "de": "nehmen Sie Ihre Medikamente weiter wie verordnet ein",
        "es": "Siga tomando sus medicamentos tal como se los han recetado",
    }
    questionnaire = load(QUESTIONS)
    checked = 0
    for question in questionnaire.questions:
        for option in question.options:
            if option.reason is None:
                continue
            english = option.reason.get("en")
            for language in LANGUAGES[1:]:
                text = option.reason.get(language)
                if re.search(r"\b(GP|doctor|dermatologist|pharmacist)\b", english):
                    assert doctor[language].search(text), f"{option.id} ({language}): {text}"
                    checked += 1
                if "keep taking your medicines as prescribed" in english:
                    assert medicines[language] in text, f"{option.id} ({language}): {text}"
                    checked += 1
    assert checked >= 10


# --------------------------------------------------------------------------- the check command


def _copy_questionnaire(tmp_path: Path, document: dict) -> Path:
    """Write a questionnaire beside a copy of the shipped pages, as `questions check` expects."""
    shutil.copytree(ROOT / "quiz" / "content", tmp_path / "quiz" / "content")
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_questions_check_accepts_the_shipped_translations(app, tmp_path):
    path = _copy_questionnaire(tmp_path, _document())
    result = app.test_cli_runner().invoke(args=["questions", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "questions.json: OK" in result.output


def test_questions_check_names_the_path_of_a_missing_translation(app, tmp_path):
    document = _document()
    question = next(q for q in document["questions"] if q["id"] == "concerns")
    del question["options"][1]["label"]["es"]
    del document["outcomes"][0]["text"]["de"]
    path = _copy_questionnaire(tmp_path, document)
    result = app.test_cli_runner().invoke(args=["questions", "check", str(path)])
    assert result.exit_code == 1
    index = document["questions"].index(question)
    assert f"questions[{index}].options[1].label.es: missing translation" in result.output
    assert "outcomes[0].text.de: missing translation" in result.output


def test_questions_check_names_a_missing_translated_page(app, tmp_path):
    path = _copy_questionnaire(tmp_path, _document())
    (tmp_path / "quiz" / "content" / "stretch-marks.de.md").unlink()
    result = app.test_cli_runner().invoke(args=["questions", "check", str(path)])
    assert result.exit_code == 1
    assert "stretch-marks.de.md does not exist" in result.output


# --------------------------------------------------------------------------- content pages


def _pages() -> list[tuple[str, Path, Path]]:
    """Return (language, English page, translated page) for every translated page."""
    questionnaire = load(QUESTIONS)
    base = Path(questionnaire.base_dir)
    return [
        (language, base / item.file, base / localized_file(item.file, language, "en"))
        for item in questionnaire.content
        for language in questionnaire.languages[1:]
    ]


def _sources(text: str, heading: str) -> list[str]:
    section = re.search(rf"^## {heading}\s*$(.*)", text, re.MULTILINE | re.DOTALL)
    assert section, f"no '## {heading}' section"
    return [line for line in section.group(1).splitlines() if line.startswith("- ")]


@pytest.mark.parametrize(
    ("language", "english", "page"), _pages(), ids=lambda v: getattr(v, "name", v)
)
def test_translated_page_has_the_same_shape_as_the_english_one(language, english, page):
    assert page.is_file(), f"{page.name} is missing"
    original = english.read_text(encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert len(re.findall(r"^## ", text, re.MULTILINE)) == len(
        re.findall(r"^## ", original, re.MULTILINE)
    ), f"{page.name}: different number of sections"
    assert len(_sources(text, SOURCES_HEADING[language])) == len(_sources(original, "Sources"))
    review = re.search(r"^Last reviewed: (\S+)$", original, re.MULTILINE)
    assert review and review.group(1) in text, f"{page.name}: review date differs"


@pytest.mark.parametrize(
    ("language", "english", "page"), _pages(), ids=lambda v: getattr(v, "name", v)
)
def test_translated_page_body_is_not_left_in_english(language, english, page):
    """Source titles stay in their own language; everything above them must be translated."""
    original = english.read_text(encoding="utf-8")
    body = page.read_text(encoding="utf-8").split(f"## {SOURCES_HEADING[language]}")[0]
    english_lines = {line.strip() for line in original.splitlines()}
    left = [
        line
        for line in body.splitlines()
        if len(line.strip()) > MIN_SENTENCE and line.strip() in english_lines
    ]
    assert not left, f"{page.name} has English lines: {left}"
