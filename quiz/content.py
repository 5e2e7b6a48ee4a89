"""Educational pages: the questionnaire's Markdown files rendered to safe HTML, cached per file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

from quiz.questions import ContentItem, Questionnaire, localized_file

_SAFE_SCHEMES = {"http", "https", "mailto", ""}


def _safe_link(url: str) -> bool:
    """Allow web, mail and relative links only: no javascript:, data:, file: or the like."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in _SAFE_SCHEMES


def _open_links_outside(self, tokens, idx, options, env):
    token = tokens[idx]
    href = token.attrGet("href") or ""
    if urlsplit(href).scheme in {"http", "https"}:
        # Outside links leave the iframe in a new tab and get no handle on this page.
        token.attrSet("target", "_blank")
        token.attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    # Raw HTML in a content file is shown as text, never as markup.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _open_links_outside)
    return md


_MD = _parser()


def render_markdown(text: str) -> Markup:
    """Render Markdown to HTML with raw HTML escaped and unsafe links left as text."""
    return Markup(_MD.render(text))  # noqa: S704 (markdown-it escapes; html is off) # nosec B704


@lru_cache(maxsize=256)
def _render_file(path: str) -> Markup:
    return render_markdown(Path(path).read_text(encoding="utf-8"))


def content_path(questionnaire: Questionnaire, item: ContentItem, language: str) -> Path:
    """Return the file of an item in a language, or the default language's when missing."""
    base = Path(questionnaire.base_dir)
    default = questionnaire.languages[0]
    localized = base / localized_file(item.file, language, default)
    return localized if localized.is_file() else base / item.file


def render_item(questionnaire: Questionnaire, item: ContentItem, language: str) -> Markup:
    """Return an item's page as safe HTML, read once per file and language, then cached."""
    return _render_file(str(content_path(questionnaire, item, language)))


def clear_cache() -> None:
    """Forget every rendered page (tests, or after editing content without a restart)."""
    _render_file.cache_clear()
