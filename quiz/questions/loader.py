"""Load a questionnaire: read questions.json, decode it, hash its version, then parse it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from quiz.questions.model import Questionnaire, QuestionnaireError
from quiz.questions.parser import Parser


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
    parser = Parser(base_dir)
    result = parser.questionnaire(document, version or _version(source.encode()), source)
    if parser.problems:
        raise QuestionnaireError(parser.problems)
    assert result is not None
    return result


def _version(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()[:12]
