"""The app's own state beside its config, built once by create_app: `runtime()` returns it."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from flask import Flask, current_app

from quiz.crypto import Vault
from quiz.questions import Questionnaire, load

if TYPE_CHECKING:
    from quiz.models import Clinic

# The one key the runtime is stored under in app.extensions.
EXTENSION = "quiz"
# Attribution in the intro's query varies without bound: past this many renders, start over.
INTRO_CACHE_LIMIT = 1000
# The same for the intro's finished responses (quiz/response_cache.py), each a few KB.
RESPONSE_CACHE_LIMIT = 256

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TimedCache(Generic[K, V]):
    """Values kept with the moment they were stored; each read says how old is too old."""

    def __init__(self, limit: int = 0):
        """Keep at most `limit` values (0: no limit); past it, the cache starts over empty."""
        self._items: dict[K, tuple[float, V]] = {}
        self._limit = limit

    def get(self, key: K, max_age: float | None = None) -> V | None:
        """Return the value stored under `key` less than `max_age` seconds ago (any age: None)."""
        hit = self._items.get(key)
        if hit is None or (max_age is not None and time.monotonic() - hit[0] >= max_age):
            return None
        return hit[1]

    def put(self, key: K, value: V) -> None:
        """Store a value under `key`, stamped now."""
        if self._limit and len(self._items) >= self._limit:
            self._items.clear()
        self._items[key] = (time.monotonic(), value)

    def pop(self, key: K) -> None:
        """Forget the value under `key`, if any."""
        self._items.pop(key, None)

    def clear(self) -> None:
        """Forget every value."""
        self._items.clear()

    def __len__(self) -> int:
        """Return how many values are kept."""
        return len(self._items)


class EventBuffer:
    """Rows waiting to be written together, shared by the threads of one process.

    A row is handed back with the others once `size` rows are kept or the oldest waited
    `seconds`; with `seconds` 0 every row is handed back at once.
    """

    def __init__(self, size: int, seconds: float):
        """Hand rows back in batches of `size`, or after `seconds`."""
        self.size = size
        self.seconds = seconds
        self._rows: list[dict[str, Any]] = []
        self._since = time.monotonic()
        self._lock = threading.Lock()

    @property
    def keeps_rows(self) -> bool:
        """Tell whether rows can wait here (and so must be written when the process exits)."""
        return self.seconds > 0 and self.size > 1

    def add(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """Keep a row; return every kept row when it is time to write them, else []."""
        with self._lock:
            self._rows.append(row)
            if len(self._rows) < self.size and time.monotonic() - self._since < self.seconds:
                return []
            return self._take()

    def drain(self) -> list[dict[str, Any]]:
        """Take every kept row."""
        with self._lock:
            return self._take()

    def _take(self) -> list[dict[str, Any]]:
        rows, self._rows, self._since = self._rows, [], time.monotonic()
        return rows


@dataclass(frozen=True)
class Runtime:
    """What one app holds beside its config: the questionnaire, the vault and its caches.

    The fields are fixed for the app's life (tests swap one with dataclasses.replace and
    install); the caches and the buffer change inside.
    """

    questionnaire: Questionnaire
    vault: Vault
    # A detached copy of each clinic the visitor's path read (services.common.visitor_clinic).
    clinic_cache: TimedCache[str, Clinic]
    # The intro page rendered per clinic, language and attribution (the visitor's path).
    intro_cache: TimedCache[tuple, str]
    # The intro's finished responses, served again below Flask (quiz/response_cache.py).
    response_cache: TimedCache[tuple, Any]
    # Each step question's options drawn once per questionnaire version, language and
    # question (quiz.embed.forms.choice_options): the same for every visitor.
    choice_markup: dict[tuple, tuple]
    # Questionnaire versions known to have their snapshot stored (services.assessments).
    snapshotted_versions: set[str]
    # Funnel events waiting to be written together (services.funnel).
    event_buffer: EventBuffer
    # The content hash of each static file its URL carries (quiz.static_files).
    static_versions: dict[Hashable, str]
    # Each static text file compressed once at full strength, per encoding (quiz.static_files).
    static_compressed: dict[Hashable, bytes]


def build(config: Mapping[str, Any]) -> Runtime:
    """Build the runtime from a loaded config; raise EncryptionKeyError or QuestionnaireError."""
    vault = Vault(config["DATA_ENCRYPTION_KEYS"])
    return Runtime(
        questionnaire=load(config["QUESTIONS_FILE"]),
        vault=vault,
        clinic_cache=TimedCache(),
        intro_cache=TimedCache(limit=INTRO_CACHE_LIMIT),
        response_cache=TimedCache(limit=RESPONSE_CACHE_LIMIT),
        choice_markup={},
        snapshotted_versions=set(),
        event_buffer=EventBuffer(config["EVENT_BUFFER_SIZE"], config["EVENT_BUFFER_SECONDS"]),
        static_versions={},
        static_compressed={},
    )


def install(app: Flask, state: Runtime) -> None:
    """Make `state` the runtime of `app`."""
    app.extensions[EXTENSION] = state


def runtime(app: Flask | None = None) -> Runtime:
    """Return the runtime of `app`, or of the current app."""
    return (app or current_app).extensions[EXTENSION]


def questionnaire() -> Questionnaire:
    """Return the questionnaire loaded at start-up."""
    return runtime().questionnaire


def vault() -> Vault:
    """Return the app's encryption vault."""
    return runtime().vault
