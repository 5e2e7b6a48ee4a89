"""Scan every text a visitor can read for claims the clinic must never make.

The forbidden list follows the advertising and medical guidance behind the questionnaire
(ASA/CAP, FDA/FTC): no fat-melting, liposuction comparisons, cures, permanence, guarantees,
"no risk" wording, "proven" claims, detox talk, promises of youth, diagnostic or pushy
"you are suitable" wording, or brand names of prescription-only and unlicensed products.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from quiz.questions import load

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "questions.json"
CONTENT_DIR = ROOT / "quiz" / "content"
TEMPLATES_DIR = ROOT / "templates"

FORBIDDEN: dict[str, str] = {
    "fat melting/dissolving/burning": (
        r"\b(melt|dissolv|burn|blast|zap)\w*\s+(away\s+)?(the\s+)?(stubborn\s+)?fat\b"
        r"|\bfat[\s-]*(melt|dissolv|burn|blast|zap)\w*"
    ),
    "liposuction comparison": (
        r"\b(alternative\s+to|better\s+than|instead\s+of|safer\s+than|non[\s-]*surgical|"
        r"injectable|liquid)\s+lipo(suction|sculpt\w*)?\b"
    ),
    "removes/cures a condition": (
        r"\b(remov|cur|eliminat|eras|banish|abolish|eradicat)(e|es|ed|ing)?\b[^.]{0,40}?"
        r"\b(cellulite|stretch\s+marks?|striae|melasma|pigmentation|dark\s+spots|wrinkles|"
        r"fine\s+lines|hair\s+loss|baldness|fat)\b"
        r"|\bget(s|ting)?\s+rid\s+of\b"
    ),
    "permanent": r"\bpermanent(ly)?\b(?!\s+delet)",
    "lasting forever": r"\b(forever|for\s+life|lifelong\s+results|never\s+come\s+back)\b",
    "guaranteed": r"\bguarantee(s|d)?\b",
    "painless": r"\b(painless|pain[\s-]*free|no\s+pain)\b",
    "no side effects": (
        r"\b(no|zero|without(\s+any)?)\s+side[\s-]*effects?\b|side[\s-]*effect[\s-]*free"
    ),
    "totally safe": (
        r"\b(totally|completely|perfectly|100\s*%|absolutely|entirely)\s+safe\b"
        r"|\bsafe\s+and\s+effective\b|\bnatural(,)?\s+(and|so)\s+safe\b"
    ),
    "no risk": r"\b(no|zero|without(\s+any)?)\s+risks?\b|\brisk[\s-]*free\b",
    "no downtime": r"\bno\s+downtime\b",
    "proven": (
        r"\b(clinically|scientifically|medically|dermatologically)[\s-]+(proven|tested|approved)\b"
        r"|\bproven\s+to\b|\bdoctor[\s-]+recommended\b"
    ),
    "detox": (
        r"\bdetox\w*|\b(remov|flush|eliminat|clear|draw|purg)\w*\s+(out\s+)?(the\s+)?toxins\b"
        r"|\btoxin[\s-]*free\b"
    ),
    "flushing / circulation boost": (
        r"\bflush\w*\s+(out\s+)?(the\s+)?(fat|toxins|cellulite)\b"
        r"|\bboost\w*\s+(your\s+)?(circulation|lymph\w*|metabolism)\b"
    ),
    "spot fat loss / weight loss claim": (
        r"\blose\s+(inches|centimetres|cm|dress\s+sizes?\s+from)\b|\binch(es)?[\s-]+loss\b"
        r"|\b(aids?|helps?|promotes?|speeds?\s+up)\s+(you\s+)?(weight|fat)\s+loss\b"
    ),
    "collagen / ageing reversal": (
        r"\b(stimulat|boost|increas|rebuild)\w*\s+(your\s+)?(own\s+)?collagen\b"
        r"|\brevers\w*\s+(the\s+)?(signs\s+of\s+)?(ag(e|ing|eing))\b"
        r"|\brejuvenates\b|\bregrow(s|th|ing)?\b"
    ),
    "promise of youth": (
        r"\b(look|looking|feel|feeling)\s+(\d+\s+years\s+)?younger\b|\byouthful\b"
        r"|\bfountain\s+of\s+youth\b|\bturn\s+back\s+the\s+clock\b|\bageless\b"
    ),
    "miracle / instant": r"\b(miracle|magic|instant\s+results?|overnight\s+results?)\b",
    "diagnostic or pushy result": (
        r"\byou\s+are\s+(a\s+)?(suitable|(good|ideal|perfect)\s+candidate|candidate)\b"
        r"|\byou\s+need\s+(this\s+)?(treatment|mesotherapy|injections?)\b"
        r"|\byou\s+qualify\b"
    ),
    "stop your medicine": (
        r"\b(stop|stopping|pause|skip|come\s+off)\s+(taking\s+)?(your|any|the)\s+"
        r"(medicines?|medications?|tablets|blood\s+thinners?|aspirin)\b"
    ),
    "urgency": r"\b(offer\s+ends|limited[\s-]+time|book\s+now|act\s+now|today\s+only)\b",
    "brand name": (
        r"\b(botox|kybella|belkyra|lipostabil|lipo\s*lab|aqualyx|kabelline|lipodissolve|"
        r"lemon\s+bottle|propecia|avodart|cyklokapron|dysport|azzalure|bocouture)\b"
    ),
}
_PATTERNS = {name: re.compile(rx, re.IGNORECASE) for name, rx in FORBIDDEN.items()}


def find_claims(text: str) -> list[tuple[str, str]]:
    """Return (rule name, matched phrase) for every forbidden claim in a text."""
    hits = []
    for name, pattern in _PATTERNS.items():
        for match in pattern.finditer(text):
            hits.append((name, match.group(0)))
    return hits


def _json_strings(value, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _json_strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_strings(item, f"{where}[{i}]")


def visitor_texts(root: Path = ROOT) -> Iterator[tuple[str, str]]:
    """Yield (where, text) for every shipped visitor-facing text, in every language."""
    document = json.loads((root / "questions.json").read_text(encoding="utf-8"))
    for where, text in _json_strings(document, "$"):
        yield f"questions.json {where}", text
    for path in sorted((root / "quiz" / "content").glob("*.md")):
        yield str(path.relative_to(root)), path.read_text(encoding="utf-8")
    templates = root / "templates"
    if templates.is_dir():
        for path in sorted(templates.rglob("*.html")):
            yield str(path.relative_to(root)), path.read_text(encoding="utf-8")


def scan(root: Path = ROOT) -> list[str]:
    """Return one line per forbidden claim found, naming the file and the phrase."""
    return [
        f"{where}: {rule}: {phrase!r}"
        for where, text in visitor_texts(root)
        for rule, phrase in find_claims(text)
    ]


def test_no_forbidden_claims_in_visitor_texts():
    problems = scan()
    assert not problems, "Forbidden claims found:\n" + "\n".join(problems)


def test_scan_covers_questions_content_and_every_language():
    texts = list(visitor_texts())
    sources = {where.split(" ")[0] for where, _ in texts}
    assert "questions.json" in sources
    assert len([s for s in sources if s.endswith(".md")]) >= 10
    questionnaire = load(QUESTIONS)
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
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "result.html").write_text("<p>Totally safe!</p>", "utf-8")
    document = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    document["outcomes"][-1]["text"] = {"en": "Fine.", "de": "Garantiert clinically proven."}
    (tmp_path / "questions.json").write_text(json.dumps(document), encoding="utf-8")
    problems = scan(tmp_path)
    assert "quiz/content/planted.md: permanent: 'permanent'" in problems
    assert "templates/result.html: totally safe: 'Totally safe'" in problems
    assert any(p.startswith("questions.json $.outcomes[") and "proven" in p for p in problems)


def test_honest_wording_is_not_flagged():
    honest = (
        "Results fade over time. Effects wear off. You may be a candidate to discuss cellulite"
        " with a qualified practitioner. Please keep taking your medicines as prescribed."
        " We permanently delete your answers after 30 days."
    )
    assert find_claims(honest) == []


# --------------------------------------------------------------------------- content pages

_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>|<!--")


def _content_files() -> list[Path]:
    questionnaire = load(QUESTIONS)
    return [Path(questionnaire.base_dir) / item.file for item in questionnaire.content]


def test_at_least_ten_content_pages_and_all_listed():
    listed = {p.resolve() for p in _content_files()}
    assert len(listed) >= 10
    on_disk = {p.resolve() for p in CONTENT_DIR.glob("*.md")}
    assert on_disk == listed, "every page on disk is listed in questions.json and vice versa"


@pytest.mark.parametrize("path", _content_files(), ids=lambda p: p.name)
def test_content_page_shape(path: Path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines and lines[0].startswith("# "), f"{path.name}: first line must be '# Title'"
    assert re.search(r"^Last reviewed: \d{4}-\d{2}-\d{2}$", text, re.MULTILINE), (
        f"{path.name}: needs a 'Last reviewed: YYYY-MM-DD' line"
    )
    sources = re.search(r"^## Sources\s*$(.*)", text, re.MULTILINE | re.DOTALL)
    assert sources, f"{path.name}: needs a '## Sources' section"
    items = [line for line in sources.group(1).splitlines() if line.startswith("- ")]
    assert items, f"{path.name}: the Sources section lists no sources"
    assert text.index("Last reviewed:") < sources.start(), f"{path.name}: review date first"
    tag = _HTML_TAG.search(text)
    assert tag is None, f"{path.name}: raw HTML is not allowed: {tag.group(0)!r}"


def test_html_detector_works():
    assert _HTML_TAG.search("Hello <script>alert(1)</script>")
    assert _HTML_TAG.search("a <br/> b")
    assert _HTML_TAG.search("<!-- hidden -->")
    assert not _HTML_TAG.search("Fewer than 1 in 20 (<5%) and more than 3 > 2")


def test_page_title_matches_its_listing():
    questionnaire = load(QUESTIONS)
    for item in questionnaire.content:
        first = (Path(questionnaire.base_dir) / item.file).read_text(encoding="utf-8")
        assert first.splitlines()[0] == f"# {item.title.get('en')}", item.id
