"""The claims scanner: every text a visitor can read, and the claims the clinic must never make.

The forbidden list follows the advertising and medical guidance behind the questionnaire
(ASA/CAP, FDA/FTC): no fat-melting, liposuction comparisons, cures, permanence, guarantees,
"no risk" wording, "proven" claims, detox talk, promises of youth, diagnostic or pushy
"you are suitable" wording, or brand names of prescription-only and unlicensed products.
The same claims are forbidden in German and Spanish, so each rule also has patterns for the
usual German and Spanish wording, and the scan covers every language of every text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

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
# German and Spanish wording of the same claims. Patterns are kept as narrow as the English ones,
# so honest wording such as a warning sign ("zeitlich begrenzte Angebote") or a medical statement
# ("una infección que necesita tratamiento") is not flagged.
FORBIDDEN_DE: dict[str, str] = {
    "fat melting/dissolving/burning": (
        r"\bfett\w*\s+(weg)?(schmelz|verbrenn|auflös|einschmelz)\w*"
        r"|\b(schmilzt|schmelzen|verbrennt|verbrennen|löst|lösen)\s+(\w+\s+){0,2}fett\w*"
        r"|\bfett(weg|schmelz|verbrenn|auflös)\w*"
    ),
    "liposuction comparison": (
        r"\b(alternative\s+zur|besser\s+als(\s+eine)?|statt(\s+einer)?|sanfte)\s+"
        r"(fettabsaugung|liposuktion)\b|\b(fettabsaugung|liposuktion)\s+ohne\s+(op|operation)\b"
    ),
    "removes/cures a condition": (
        r"\b(entfern|beseitig|heil|kurier)\w*\s+(\w+\s+){0,3}(cellulite|dehnungsstreifen|"
        r"melasma|pigmentflecken|falten|haarausfall|glatze)\b"
        r"|\b(cellulite|dehnungsstreifen|melasma|pigmentflecken|falten|haarausfall)\s+(\w+\s+){0,2}"
        r"(entfernen|entfernt|beseitigen|beseitigt|heilen|heilt)\b"
    ),
    "permanent": r"\bdauerhaft\w*\b(?!\s+(ge)?lösch)|\bpermanente[nrs]?\b",
    "lasting forever": r"\bfür\s+immer\b|\bein\s+leben\s+lang\b|\blebenslang\w*",
    "guaranteed": r"\bgarant(ie|iert)\w*",
    "painless": r"\bschmerz(frei|los)\w*|\bohne\s+schmerzen\b",
    "no side effects": (
        r"\b(ohne|keine|keinerlei)\s+(jegliche\s+)?nebenwirkungen\b|\bnebenwirkungsfrei\w*"
    ),
    "totally safe": (
        r"\b(völlig|absolut|komplett|hundertprozentig|100\s*%)\s+(un)?(sicher|gefährlich)\w*"
        r"|\bsicher\s+und\s+wirksam\b|\bnatürlich\s+und\s+(daher\s+)?sicher\b"
    ),
    "no risk": r"\b(ohne|kein|keinerlei)\s+risik\w*|\brisiko(frei|los)\w*",
    "no downtime": r"\b(keine|ohne)\s+ausfallzeit\w*",
    "proven": (
        r"\b(klinisch|wissenschaftlich|medizinisch|dermatologisch)\s+"
        r"(bewiesen|erwiesen|getestet|bestätigt|geprüft|belegt)\w*"
        r"|\bnachweislich\s+wirksam\w*|\bvon\s+ärzt\w*\s+empfohlen\w*"
    ),
    "detox": (
        r"\bentgift\w*|\b(ent)?schlack\w*|\bgiftstoff\w*\s+(\w+\s+)?(ausleit|ausschwemm|entfern)\w*"
        r"|\b(ausleit|ausschwemm|entfern)\w*\s+(\w+\s+)?giftstoff\w*"
    ),
    "flushing / circulation boost": (
        r"\b(ankurbel|anreg|förder|steiger|verbesser)\w*\s+(\w+\s+)?"
        r"(durchblutung|lymphfluss|lymphabfluss|stoffwechsel)\b"
        r"|\b(durchblutung|lymphfluss|stoffwechsel)\s+(ankurbeln|anregen|fördern|steigern)\b"
    ),
    "spot fat loss / weight loss claim": (
        r"\b(zentimeter|kleidergrößen?)\s+(\w+\s+){0,3}verlieren\b"
        r"|\b(hilft|unterstützt|fördert|beschleunigt)\s+(beim\s+|den\s+)?"
        r"(abnehmen|gewichtsverlust|fettabbau)\b"
    ),
    "collagen / ageing reversal": (
        r"\b(stimulier|anreg|förder|steiger|boost)\w*\s+(\w+\s+){0,2}kollagen\w*"
        r"|\bkollagen(aufbau|bildung|produktion)\s+(\w+\s+)?(an|anregen|fördern)\b"
        r"|\bverjüng\w*|\b(haut)?alterung\s+(\w+\s+)?(umkehr|rückgängig)\w*"
        r"|\bhaare?\s+(\w+\s+)?wachsen\s+(\w+\s+)?nach\b|\bhaarwachstum\s+anreg\w*"
    ),
    "promise of youth": (
        r"\bjünger\s+(aussehen|wirken)|\b(sehen|wirken|fühlen)\s+sie\s+(sich\s+)?"
        r"(\d+\s+jahre\s+)?jünger\b|\b\d+\s+jahre\s+jünger\b|\bjungbrunnen\w*"
        r"|\bjugendlich(e|er|es|en)?\s+(aussehen|ausstrahlung|haut|teint|look)\b"
        r"|\bdie\s+zeit\s+zurück(drehen|gedreht)\b"
    ),
    "miracle / instant": (
        r"\bwunder(mittel|waffe|behandlung|kur|wirkung)\w*|\bmagisch\w*"
        r"|\bsofort(ige|igen)?\s*ergebnis\w*|\bergebnisse\s+über\s+nacht\b"
    ),
    "diagnostic or pushy result": (
        r"\bsie\s+sind\s+(ein\s+|eine\s+)?(geeignet\w*|(ideal|perfekt)\w*\s+kandidat\w*)"
        r"|\bsie\s+brauchen\s+(diese\s+|eine\s+)?(behandlung|mesotherapie|injektionen?)\b"
    ),
    "stop your medicine": (
        r"\bsetzen\s+sie\s+(\w+\s+){0,3}(medikament\w*|tabletten|blutverdünner|aspirin)\b"
        r"[^.]{0,40}?\bab\b"
        r"|\b(medikament\w*|tabletten|blutverdünner|aspirin)\s+(\w+\s+){0,2}absetzen\b"
        r"|\bpausieren\s+sie\s+(ihre\s+|ihren\s+)?(medikament\w*|blutverdünner|aspirin)\b"
    ),
    "urgency": (
        r"\bnur\s+heute\b|\bnur\s+für\s+kurze\s+zeit\b|\bjetzt\s+(buchen|zugreifen)\b"
        r"|\bangebot\s+endet\b"
    ),
}
FORBIDDEN_ES: dict[str, str] = {
    "fat melting/dissolving/burning": (
        r"\b(derrit|disuelv|disolv|quem|fund)\w*\s+(\w+\s+){0,2}grasa\w*"
        r"|\bgrasa\s+(se\s+)?(derrit|disuelv|quem)\w*"
    ),
    "liposuction comparison": (
        r"\balternativa\s+a\s+la\s+liposucción\b|\bmejor\s+que\s+(una\s+|la\s+)?liposucción\b"
        r"|\bliposucción\s+sin\s+cirugía\b"
    ),
    "removes/cures a condition": (
        r"\b(elimin|quit|cur|borr|erradic)\w*\s+(\w+\s+){0,3}(celulitis|estrías|melasma|manchas|"
        r"arrugas|calvicie|caída\s+del\s+cabello)\b"
    ),
    "permanent": r"\bpermanente(s|mente)?\b",
    "lasting forever": r"\bpara\s+siempre\b|\bde\s+por\s+vida\b",
    "guaranteed": r"\bgarant(iza|ía|ia)\w*",
    "painless": r"\bsin\s+dolor\b|\bindolor[oa]s?\b",
    "no side effects": (
        r"\bsin\s+(ningún\s+)?efectos?\s+secundarios?\b|\bningún\s+efecto\s+secundario\b"
    ),
    "totally safe": (
        r"\b(totalmente|completamente|absolutamente|100\s*%)\s+segur[oa]s?\b"
        r"|\bsegur[oa]s?\s+y\s+eficaz\w*|\bnatural\s+y\s+(por\s+tanto\s+)?segur[oa]s?\b"
    ),
    "no risk": r"\bsin\s+(ningún\s+)?riesgos?\b|\blibre\s+de\s+riesgos?\b|\bningún\s+riesgo\b",
    "no downtime": r"\bsin\s+tiempo\s+de\s+(recuperación|inactividad)\b",
    "proven": (
        r"\b(clínica|científica|médica|dermatológica)mente\s+"
        r"(probad|demostrad|testad|comprobad|aprobad)\w*"
        r"|\brecomendad[oa]s?\s+por\s+(los\s+)?médicos\b"
    ),
    "detox": (
        r"\bdesintoxic\w*|\bdetox\w*|\bdepurativ\w*"
        r"|\b(elimin|expuls|arrastr|limpi)\w*\s+(\w+\s+)?toxinas\b"
    ),
    "flushing / circulation boost": (
        r"\b(activ|estimul|mejor|aument|impuls)\w*\s+(la\s+|el\s+|su\s+)?"
        r"(circulación|drenaje\s+linfático|metabolismo)\b"
    ),
    "spot fat loss / weight loss claim": (
        r"\bperder\s+(centímetros|tallas)\b"
        r"|\b(ayuda|favorece|acelera)\s+(a\s+)?(perder\s+peso|la\s+pérdida\s+de\s+(peso|grasa))"
    ),
    "collagen / ageing reversal": (
        r"\b(estimul|aument|potenci|reconstru|regener)\w*\s+(el\s+|su\s+)?(propio\s+)?colágeno\b"
        r"|\brejuvenec\w*|\brev(ierte|ertir)\w*\s+(el\s+)?envejecimiento\b"
        r"|\bhace\s+crecer\s+(de\s+nuevo\s+)?el\s+cabello\b|\brecrec\w*"
    ),
    "promise of youth": (
        r"\b(parecer|verse|sentirse|luzca|luce)\s+(\w+\s+)?(\d+\s+años\s+)?más\s+joven\w*"
        r"|\baspecto\s+(más\s+)?juvenil\b|\bpiel\s+juvenil\b|\bfuente\s+de\s+la\s+juventud\b"
        r"|\b(atrasar|retrasar|detener)\s+el\s+reloj\b"
    ),
    "miracle / instant": (
        r"\bmilagr\w*|\bmágic[oa]s?\b"
        r"|\bresultados\s+(inmediatos|instantáneos|de\s+la\s+noche\s+a\s+la\s+mañana)\b"
    ),
    "diagnostic or pushy result": (
        r"\busted\s+es\s+(un[ao]?\s+)?(candidat[oa]|apt[oa])\b|\bes\s+usted\s+apt[oa]\b"
        r"|\b(candidat[oa])\s+(ideal|perfect[oa])\b"
        r"|\busted\s+necesita\s+(este\s+|un\s+)?(tratamiento|mesoterapia|inyecciones)\b"
    ),
    "stop your medicine": (
        r"\b(deje|dejar|suspend\w*|interrump\w*)\s+(de\s+tomar\s+)?(sus|los|la|el|su)\s+"
        r"(medicamentos?|medicación|pastillas|anticoagulantes?|aspirina)\b"
    ),
    "urgency": (
        r"\bsolo\s+hoy\b|\b(reserve|reserva|reservar)\s+ya\b|\bla\s+oferta\s+(termina|acaba)\b"
        r"|\búltimas\s+plazas\b"
    ),
}


def _combined(*tables: dict[str, str]) -> dict[str, re.Pattern[str]]:
    """Join each rule's patterns from every language into one case-insensitive pattern."""
    joined: dict[str, list[str]] = {}
    for table in tables:
        for name, rx in table.items():
            joined.setdefault(name, []).append(f"(?:{rx})")
    return {name: re.compile("|".join(parts), re.IGNORECASE) for name, parts in joined.items()}


_PATTERNS = _combined(FORBIDDEN, FORBIDDEN_DE, FORBIDDEN_ES)


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
