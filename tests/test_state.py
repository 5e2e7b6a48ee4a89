"""The visitor's state token: sealed, padding-free, expiring, and tokens of the format before."""

from __future__ import annotations

import base64
import time
import zlib
from dataclasses import asdict

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from quiz.state import QuizState, StateError, StateSigner

SECRET = "s" * 40
STATE = QuizState(
    clinic="acme",
    language="de",
    run_id="run-1",
    answers={"areas": ("thighs", "buttocks"), "medicines": ("none",)},
    step=3,
    source={"utm_source": "news", "page_url": "https://acme.example/?a=1&b=2"},
    started=1_765_000_000,
    revealed=True,
)


@pytest.fixture
def signer():
    return StateSigner(SECRET, 3600)


def test_a_token_opens_to_the_same_state(signer):
    assert signer.loads(signer.dumps(STATE), "acme") == STATE


def test_a_token_is_url_safe_without_padding_and_hides_the_answers(signer):
    token = signer.dumps(STATE)
    # Every character needs no percent-encoding in a query string.
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert b"thighs" not in base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


@pytest.mark.parametrize("cut", [1, 2, 3, 10])
def test_a_damaged_token_is_refused(signer, cut):
    token = signer.dumps(STATE)
    with pytest.raises(StateError) as refused:
        signer.loads(token[:-cut], "acme")
    assert not refused.value.expired
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    with pytest.raises(StateError):
        signer.loads(flipped, "acme")


@pytest.mark.parametrize("token", ["", "Zoë", "a.b.c", "gAAAAA", "=" * 8])
def test_nonsense_is_refused_as_unverifiable(signer, token):
    with pytest.raises(StateError) as refused:
        signer.loads(token, "acme")
    assert not refused.value.expired


def test_another_secret_or_clinic_is_refused(signer):
    with pytest.raises(StateError):
        StateSigner("t" * 40, 3600).loads(signer.dumps(STATE), "acme")
    with pytest.raises(StateError, match="another clinic"):
        signer.loads(signer.dumps(STATE), "other")


def test_an_old_token_says_it_expired(signer):
    old = signer.dumps(STATE, issued_at=int(time.time()) - 3601)
    with pytest.raises(StateError) as refused:
        signer.loads(old, "acme")
    assert refused.value.expired
    assert signer.loads(signer.dumps(STATE, issued_at=int(time.time()) - 3500), "acme") == STATE


def _legacy_hidden_field(state: QuizState, issued_ago: int = 0) -> str:
    # What StateSigner.dumps wrote before: JSON signed by itsdangerous, with its time.
    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - issued_ago

    serializer = URLSafeTimedSerializer(SECRET, salt="quiz-state", signer=Backdated)
    return serializer.dumps(asdict(state))


def _legacy_address(state: QuizState) -> str:
    # What StateSigner.seal wrote before: the signed token, compressed, in a padded Fernet.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"quiz-state-url")
    fernet = Fernet(base64.urlsafe_b64encode(key.derive(SECRET.encode())))
    return fernet.encrypt(zlib.compress(_legacy_hidden_field(state).encode())).decode("ascii")


def test_pages_open_before_an_upgrade_carry_on(signer):
    # A hidden field and an address issued by the version before.
    assert signer.loads(_legacy_hidden_field(STATE), "acme") == STATE
    assert signer.loads(_legacy_address(STATE), "acme") == STATE


def test_an_old_format_token_past_its_age_says_it_expired(signer):
    with pytest.raises(StateError) as refused:
        signer.loads(_legacy_hidden_field(STATE, issued_ago=3700), "acme")
    assert refused.value.expired
