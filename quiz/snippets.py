"""PURE: the HTML a clinic pastes into its site to embed the quiz, in each of embed.js's modes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

from quiz.messages import N_
from quiz.validation import text_problem

MODES = ("inline", "popup", "button")
POSITIONS = ("right", "left")
# The inline widget's first screen is at most this tall from 320 to 1280 px wide in every
# language; the snippet reserves it so that nothing on the clinic's page moves while the quiz
# loads. embed.js has the same default for snippets that do not say (assets/embed.js).
RESERVED_HEIGHT = 620
HEIGHT_RANGE = (100, 5000)
MAX_OPEN_AFTER = 3600
MAX_LABEL = 60


@dataclass(frozen=True)
class EmbedOptions:
    """How the quiz is embedded. Options that do not apply to the mode are left out of it."""

    mode: str = "inline"
    height: int = RESERVED_HEIGHT  # inline: the space held before the visitor starts
    label: str = ""  # button: "" is the translated default
    position: str = "right"  # button: which bottom corner
    open_after: int | None = None  # popup and button: seconds before it opens by itself
    open_on_exit: bool = False  # popup and button: open when the pointer leaves the window
    show_once: bool = False  # popup and button: a self-opening popup opens once per site
    language: str = ""  # "" is the clinic's language


@dataclass(frozen=True)
class SnippetTexts:
    """The words the host page shows, already in the snippet's language."""

    title: str
    label: str
    close: str
    link: str


def check_options(
    raw: Mapping[str, str], languages: Iterable[str]
) -> tuple[EmbedOptions, dict[str, list[str]]]:
    """Read the snippet generator's fields; return (options, {field: [message]}).

    A bad field keeps its default in the options, so the snippet shown is always valid.
    """
    errors: dict[str, list[str]] = {}
    values: dict = {}

    def choice(name: str, allowed: Iterable[str], message: str) -> None:
        value = (raw.get(name) or "").strip()
        if value and value not in allowed:
            errors[name] = [message]
        elif value:
            values[name] = value

    def whole(name: str, low: int, high: int, message: str) -> int | None:
        value = (raw.get(name) or "").strip()
        if not value:
            return None
        if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
            errors[name] = [message]
            return None
        return int(value)

    choice("mode", MODES, N_("Choose inline, popup or button."))
    choice("position", POSITIONS, N_("Choose right or left."))
    choice("language", tuple(languages), N_("Choose one of the quiz's languages."))
    height = whole(
        "height",
        *HEIGHT_RANGE,
        N_(
            "Give a height from %(low)d to %(high)d pixels.",
            low=HEIGHT_RANGE[0],
            high=HEIGHT_RANGE[1],
        ),
    )
    if height is not None:
        values["height"] = height
    open_after = whole(
        "open_after",
        0,
        MAX_OPEN_AFTER,
        N_("Give a number of seconds from 0 to %(high)d.", high=MAX_OPEN_AFTER),
    )
    if open_after is not None:
        values["open_after"] = open_after
    label = " ".join((raw.get("label") or "").split())
    if len(label) > MAX_LABEL:
        errors["label"] = [N_("Use at most %(count)d characters.", count=MAX_LABEL)]
    elif label and text_problem(label):
        errors["label"] = [text_problem(label)]
    elif label:
        values["label"] = label
    values["open_on_exit"] = _ticked(raw.get("open_on_exit"))
    values["show_once"] = _ticked(raw.get("show_once"))
    return EmbedOptions(**values), errors


def _ticked(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "on", "true", "yes"}


def render(
    slug: str,
    base: str,
    options: EmbedOptions,
    texts: SnippetTexts,
    colours: tuple[str, str] | None = None,
) -> str:
    """Return the snippet: the script tag, and what the page shows without JavaScript.

    `colours` is the launcher's (background, text) pair from the clinic's branding, already
    checked for contrast; without it embed.js uses the quiz's own colours.
    """
    base = base.rstrip("/")
    quiz = f"{base}/embed/{slug}"
    attributes = [("src", f"{base}/static/embed.js"), ("data-clinic", slug)]
    if options.language:
        attributes.append(("data-lang", options.language))
    if options.mode != "inline":
        attributes.append(("data-mode", options.mode))
    else:
        attributes.append(("data-height", str(options.height)))
    attributes.append(("data-title", texts.title))
    if options.mode != "inline":
        if options.mode == "button":
            attributes.append(("data-label", options.label or texts.label))
            if options.position != "right":
                attributes.append(("data-position", options.position))
            if colours:
                attributes += [("data-color", colours[0]), ("data-text-color", colours[1])]
        attributes.append(("data-close-label", texts.close))
        if options.open_after is not None:
            attributes.append(("data-open-after", str(options.open_after)))
        if options.open_on_exit:
            attributes.append(("data-open-on", "exit"))
        if options.show_once:
            attributes.append(("data-show-once", ""))
    tag = "<script " + " ".join(_attribute(k, v) for k, v in attributes) + " async></script>"
    if options.mode == "inline":
        # The wrapper holds the first screen's height until embed.js puts the frame in it.
        return (
            f'<div data-quiz-slot style="min-height:{options.height}px">{tag}\n'
            f"<noscript>{_link(quiz, texts.link)}</noscript></div>"
        )
    if options.mode == "popup":
        # A link for the clinic to place where it likes: it opens the popup, or the quiz's
        # own page without JavaScript.
        return f"{tag}\n{_link(quiz, texts.link, opens=slug)}"
    return f"{tag}\n<noscript>{_link(quiz, texts.link)}</noscript>"


def _link(href: str, text: str, opens: str = "") -> str:
    opener = f" {_attribute('data-quiz-open', opens)}" if opens else ""
    return f'<a href="{escape(href)}" target="_blank" rel="noopener"{opener}>{escape(text)}</a>'


def _attribute(name: str, value: str) -> str:
    return name if value == "" else f'{name}="{escape(value, quote=True)}"'
