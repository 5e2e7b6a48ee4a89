"""The visitor's progress through the quiz, carried in a signed hidden field instead of a cookie."""

from __future__ import annotations

import base64
import secrets
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from quiz.questions import Answers


class StateError(ValueError):
    """A state token that was tampered with, expired or does not belong to this clinic."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class QuizState:
    """Where a visitor is: answers so far, the step shown, attribution and language."""

    clinic: str
    language: str
    run_id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    # Each step's answers, checked when it was sent.
    answers: Answers = field(default_factory=dict)
    step: int = 0
    source: dict[str, str] = field(default_factory=dict)
    # When the visitor started (epoch seconds): the contact form's minimum fill time.
    started: int = field(default_factory=lambda: int(time.time()))
    # The step is shown again because an answer on it revealed another question: the page
    # says so, also when it is rendered from a sealed token in its address.
    revealed: bool = False

    def with_answers(self, answers: Answers, step: int) -> QuizState:
        """Return a copy with these answers and step (a new screen: nothing revealed yet)."""
        return replace(self, answers=answers, step=step, revealed=False)


class StateSigner:
    """Signs and checks QuizState tokens with the app's secret key."""

    def __init__(self, secret_key: str, max_age: int):
        self._serializer = URLSafeTimedSerializer(secret_key, salt="quiz-state")
        self._max_age = max_age
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"quiz-state-url")
        self._fernet = Fernet(base64.urlsafe_b64encode(key.derive(secret_key.encode())))

    def dumps(self, state: QuizState) -> str:
        """Return a signed, timestamped token for the state."""
        return self._serializer.dumps(asdict(state))

    def loads(self, token: str, clinic: str) -> QuizState:
        """Check a token and return its state; raise StateError when it can't be trusted."""
        try:
            data: Any = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired:
            raise StateError("This quiz page has expired.", expired=True) from None
        except BadSignature:
            raise StateError("This quiz page could not be verified.") from None
        try:
            state = QuizState(
                clinic=str(data["clinic"]),
                language=str(data["language"]),
                run_id=str(data["run_id"]),
                answers={str(k): tuple(str(x) for x in v) for k, v in data["answers"].items()},
                step=int(data["step"]),
                source={str(k): str(v) for k, v in data["source"].items()},
                started=int(data["started"]),
                # Tokens issued before the field existed have none.
                revealed=bool(data.get("revealed", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise StateError("This quiz page could not be verified.") from None
        if state.clinic != clinic:
            raise StateError("This quiz page belongs to another clinic.")
        return state

    def seal(self, state: QuizState) -> str:
        """Return the state's token encrypted as well as signed, for a page's address.

        A hidden field's token is only signed; an address is kept in the browser's history,
        where the answers it carries must not be readable.
        """
        return self._fernet.encrypt(zlib.compress(self.dumps(state).encode())).decode("ascii")

    def unseal(self, sealed: str, clinic: str) -> QuizState:
        """Open a sealed token and return its state; raise StateError as loads() does."""
        try:
            token = zlib.decompress(self._fernet.decrypt(sealed)).decode("ascii")
        except (InvalidToken, ValueError, zlib.error):
            # ValueError: text that is not ASCII, or a token that is not one of ours.
            raise StateError("This quiz page could not be verified.") from None
        return self.loads(token, clinic)
