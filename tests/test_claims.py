"""No text a visitor can read makes a claim the clinic must never make (the rules are in
tests/claims.py), the scanner can fail, and every content page is listed and reachable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quiz.questions import load, localized_file
from tests.claims import CONTENT_DIR, QUESTIONS, find_claims, scan, visitor_texts


def test_no_forbidden_claims_in_visitor_texts():
    problems = scan()
    assert not problems, "Forbidden claims found:\n" + "\n".join(problems)


def test_scan_covers_questions_content_and_every_language():
    texts = list(visitor_texts())
    sources = {where.split(" ")[0] for where, _ in texts}
    assert "questions.json" in sources
    assert len([s for s in sources if s.endswith(".md")]) >= 10
    questionnaire = load(QUESTIONS)
    for item in questionnaire.content:
        for language in questionnaire.languages:
            page = localized_file(item.file, language, questionnaire.languages[0])
            assert page in sources, f"{page} is not scanned"
    scanned = {text for _, text in texts}
    for question in questionnaire.questions:
        for value in question.text.all():
            assert value in scanned
        for option in question.options:
            for value in option.label.all() + (option.reason.all() if option.reason else []):
                assert value in scanned


@pytest.mark.parametrize(
    ("planted", "rule"),
    [
        ("Our injections melt away stubborn fat in weeks.", "fat melting/dissolving/burning"),
        ("Try our fat-dissolving jabs!", "fat melting/dissolving/burning"),
        ("The safe alternative to liposuction.", "liposuction comparison"),
        ("Mesotherapy removes cellulite.", "removes/cures a condition"),
        ("It cures hair loss.", "removes/cures a condition"),
        ("Enjoy permanent results.", "permanent"),
        ("Results guaranteed.", "guaranteed"),
        ("A quick and painless treatment.", "painless"),
        ("There are no side effects.", "no side effects"),
        ("Totally safe for everyone.", "totally safe"),
        ("Clinically proven formula.", "proven"),
        ("Scientifically proven to work.", "proven"),
        ("Detox your skin.", "detox"),
        ("It removes toxins from the body.", "detox"),
        ("Look 10 years younger.", "promise of youth"),
        ("Great news: you are suitable!", "diagnostic or pushy result"),
        ("You need mesotherapy.", "diagnostic or pushy result"),
        ("Stop taking your blood thinner a week before.", "stop your medicine"),
        ("Ask about Botox too.", "brand name"),
        ("Ergebnisse garantiert!", "guaranteed"),
        ("Dauerhafte Ergebnisse nach nur einer Sitzung.", "permanent"),
        ("Permanente Ergebnisse.", "permanent"),
        ("Eine schmerzfreie Behandlung.", "painless"),
        ("Ganz ohne Nebenwirkungen.", "no side effects"),
        ("Klinisch bewiesene Formel.", "proven"),
        ("Wissenschaftlich erwiesen.", "proven"),
        ("Die Mesotherapie entgiftet Ihre Haut.", "detox"),
        ("Injektionen, die das Fett schmelzen.", "fat melting/dissolving/burning"),
        ("Fettweg-Spritze für den Bauch.", "fat melting/dissolving/burning"),
        ("Wir können Ihre Cellulite entfernen.", "removes/cures a condition"),
        ("Die sanfte Alternative zur Fettabsaugung.", "liposuction comparison"),
        ("Völlig sicher für alle.", "totally safe"),
        ("Sie sind ein idealer Kandidat!", "diagnostic or pushy result"),
        ("Setzen Sie Ihren Blutverdünner eine Woche vorher ab.", "stop your medicine"),
        ("Sehen Sie 10 Jahre jünger aus.", "promise of youth"),
        ("Resultados garantizados.", "guaranteed"),
        ("Un tratamiento sin dolor.", "painless"),
        ("Sin efectos secundarios.", "no side effects"),
        ("Fórmula clínicamente probada.", "proven"),
        ("La mesoterapia desintoxica la piel.", "detox"),
        ("Derrite la grasa localizada.", "fat melting/dissolving/burning"),
        ("Elimina la celulitis en pocas sesiones.", "removes/cures a condition"),
        ("Resultados permanentes.", "permanent"),
        ("Adiós a las estrías para siempre.", "lasting forever"),
        ("Totalmente seguro.", "totally safe"),
        ("La alternativa a la liposucción.", "liposuction comparison"),
        ("Usted es candidata ideal.", "diagnostic or pushy result"),
        ("Deje de tomar su anticoagulante antes de venir.", "stop your medicine"),
        ("Estimula el colágeno y rejuvenece la piel.", "collagen / ageing reversal"),
    ],
)
def test_scanner_catches_planted_claims(planted, rule):
    assert rule in {name for name, _ in find_claims(planted)}


def test_scanner_fails_on_a_planted_claim_in_a_file(tmp_path):
    """Prove the whole scan can fail: plant claims in a copy of the shipped texts and rescan."""
    content = tmp_path / "quiz" / "content"
    content.mkdir(parents=True)
    for path in CONTENT_DIR.glob("*.md"):
        (content / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "questions.json").write_text(QUESTIONS.read_text(encoding="utf-8"), "utf-8")
    assert scan(tmp_path) == [], "the unmodified copy must scan clean"
    (content / "planted.md").write_text(
        "# Planted\n\nOur treatment gives permanent results.\n", encoding="utf-8"
    )
    (content / "planted.de.md").write_text("# Gepflanzt\n\nGanz schmerzfrei.\n", "utf-8")
    (content / "planted.es.md").write_text("# Plantado\n\nDerrite la grasa.\n", "utf-8")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "result.html").write_text("<p>Totally safe!</p>", "utf-8")
    document = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    document["outcomes"][-1]["text"] = {"en": "Fine.", "de": "Garantiert clinically proven."}
    document["outcomes"][0]["title"] = {
        "en": "Fine.",
        "de": "Gut.",
        "es": "Sin efectos secundarios.",
    }
    (tmp_path / "questions.json").write_text(json.dumps(document), encoding="utf-8")
    problems = scan(tmp_path)
    assert "quiz/content/planted.md: permanent: 'permanent'" in problems
    assert "templates/result.html: totally safe: 'Totally safe'" in problems
    assert any(p.startswith("questions.json $.outcomes[") and "proven" in p for p in problems)
    assert "quiz/content/planted.de.md: painless: 'schmerzfrei'" in problems
    assert (
        "quiz/content/planted.es.md: fat melting/dissolving/burning: 'Derrite la grasa'" in problems
    )
    assert (
        "questions.json $.outcomes[0].title.es: no side effects: 'Sin efectos secundarios'"
        in problems
    )


def test_honest_wording_is_not_flagged():
    honest = (
        "Results fade over time. Effects wear off. You may be a candidate to discuss cellulite"
        " with a qualified practitioner. Please keep taking your medicines as prescribed."
        " We permanently delete your answers after 30 days."
    )
    assert find_claims(honest) == []


@pytest.mark.parametrize(
    "honest",
    [
        "Die Wirkung lässt mit der Zeit nach. Bitte nehmen Sie Ihre Medikamente weiter ein.",
        "Warnzeichen: zeitlich begrenzte Angebote oder Druck, sich sofort zu entscheiden.",
        "Abnehmen oder eine Kleidergröße weniger tragen",
        "Jugendliche unter 18 bekommen keine kosmetischen Injektionen.",
        "Ihre Daten werden nach 30 Tagen dauerhaft gelöscht.",
        "Lassen Sie Ihre Haut zuerst heilen. Keine Injektion ist gut belegt.",
        "Los resultados se van perdiendo. Siga tomando sus medicamentos.",
        "Señales de alarma: ofertas por tiempo limitado o presión para decidir.",
        "Puede ser señal de una infección que necesita tratamiento.",
        "Este tratamiento no es adecuado para usted en este momento.",
    ],
)
def test_honest_german_and_spanish_wording_is_not_flagged(honest):
    assert find_claims(honest) == []


# --------------------------------------------------------------------------- content pages

_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>|<!--")


# How each language marks the review date and the sources section of a page.
PAGE_MARKERS = {
    "en": ("Last reviewed", "Sources"),
    "de": ("Zuletzt geprüft", "Quellen"),
    "es": ("Última revisión", "Fuentes"),
}


def _content_files() -> list[tuple[str, Path]]:
    """Return (language, path) for every content page in every language of the questionnaire."""
    questionnaire = load(QUESTIONS)
    default = questionnaire.languages[0]
    return [
        (language, Path(questionnaire.base_dir) / localized_file(item.file, language, default))
        for item in questionnaire.content
        for language in questionnaire.languages
    ]


def test_at_least_ten_content_pages_and_all_listed():
    listed = {p.resolve() for _, p in _content_files()}
    assert len(listed) >= 10 * len(load(QUESTIONS).languages)
    on_disk = {p.resolve() for p in CONTENT_DIR.glob("*.md")}
    assert on_disk == listed, "every page on disk is listed in questions.json and vice versa"


@pytest.mark.parametrize(
    ("language", "path"), _content_files(), ids=lambda v: getattr(v, "name", v)
)
def test_content_page_shape(language: str, path: Path):
    reviewed, sources_heading = PAGE_MARKERS[language]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines and lines[0].startswith("# "), f"{path.name}: first line must be '# Title'"
    assert re.search(rf"^{reviewed}: \d{{4}}-\d{{2}}-\d{{2}}$", text, re.MULTILINE), (
        f"{path.name}: needs a '{reviewed}: YYYY-MM-DD' line"
    )
    sources = re.search(rf"^## {sources_heading}\s*$(.*)", text, re.MULTILINE | re.DOTALL)
    assert sources, f"{path.name}: needs a '## {sources_heading}' section"
    items = [line for line in sources.group(1).splitlines() if line.startswith("- ")]
    assert items, f"{path.name}: the {sources_heading} section lists no sources"
    assert text.index(f"{reviewed}:") < sources.start(), f"{path.name}: review date first"
    tag = _HTML_TAG.search(text)
    assert tag is None, f"{path.name}: raw HTML is not allowed: {tag.group(0)!r}"


def test_html_detector_works():
    assert _HTML_TAG.search("Hello <script>alert(1)</script>")
    assert _HTML_TAG.search("a <br/> b")
    assert _HTML_TAG.search("<!-- hidden -->")
    assert not _HTML_TAG.search("Fewer than 1 in 20 (<5%) and more than 3 > 2")


def test_page_title_matches_its_listing_in_every_language():
    questionnaire = load(QUESTIONS)
    default = questionnaire.languages[0]
    for item in questionnaire.content:
        for language in questionnaire.languages:
            path = Path(questionnaire.base_dir) / localized_file(item.file, language, default)
            first = path.read_text(encoding="utf-8").splitlines()[0]
            assert first == f"# {item.title.get(language)}", f"{item.id} ({language})"
