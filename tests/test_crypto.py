"""Tests for encrypting answers at rest with rotating keys."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.crypto import EncryptionKeyError, Vault, new_key

KEY = new_key()
ANSWERS = {"pregnant": ["no"], "allergy": ["yes"], "note": "Ärger mit Haut"}


def make_vault(*keys: str) -> Vault:
    return Vault(list(keys) or [new_key()])


def test_round_trip_returns_the_same_value():
    vault = make_vault()
    assert vault.decrypt(vault.encrypt(ANSWERS)) == ANSWERS


@settings(max_examples=50, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=5), children, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_round_trip_preserves_any_json_value(value):
    vault = make_vault(KEY)
    assert vault.decrypt(vault.encrypt(value)) == value


def test_ciphertext_does_not_contain_the_plaintext():
    vault = make_vault()
    token = vault.encrypt({"secret": "pregnant-yes-allergy"})
    assert "pregnant" not in token
    assert "secret" not in token
    assert token.isascii()


def test_same_value_encrypts_differently_each_time():
    vault = make_vault()
    assert vault.encrypt(ANSWERS) != vault.encrypt(ANSWERS)


def test_older_key_still_decrypts_after_rotation():
    old, new = new_key(), new_key()
    token = make_vault(old).encrypt(ANSWERS)
    assert make_vault(new, old).decrypt(token) == ANSWERS


def test_encrypt_uses_the_newest_key():
    old, new = new_key(), new_key()
    token = make_vault(new, old).encrypt(ANSWERS)
    assert make_vault(new).decrypt(token) == ANSWERS
    with pytest.raises(ValueError, match="no configured key matches"):
        make_vault(old).decrypt(token)


def test_rotate_re_encrypts_under_the_newest_key():
    old, new = new_key(), new_key()
    token = make_vault(old).encrypt(ANSWERS)
    vault = make_vault(new, old)
    assert vault.is_current(token) is False
    rotated = vault.rotate(token)
    assert vault.is_current(rotated) is True
    assert make_vault(new).decrypt(rotated) == ANSWERS


def test_token_under_the_newest_key_is_current():
    vault = make_vault(new_key(), new_key())
    assert vault.is_current(vault.encrypt(ANSWERS)) is True


def test_wrong_key_fails_with_value_error():
    token = make_vault().encrypt(ANSWERS)
    with pytest.raises(ValueError, match="no configured key matches"):
        make_vault().decrypt(token)


def test_rotating_a_token_no_key_matches_fails_with_value_error():
    token = make_vault().encrypt(ANSWERS)
    with pytest.raises(ValueError, match="cannot rotate: no configured key matches"):
        make_vault().rotate(token)


def test_tampered_token_fails_with_value_error():
    vault = make_vault()
    token = vault.encrypt(ANSWERS)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(ValueError):
        vault.decrypt(tampered)


def test_garbage_token_is_not_current():
    assert make_vault().is_current("not-a-token") is False


def test_malformed_key_names_its_position():
    with pytest.raises(EncryptionKeyError, match="key 2 is not urlsafe base64 of 32 bytes"):
        Vault([new_key(), "not-a-key"])


def test_key_of_the_wrong_length_is_malformed():
    with pytest.raises(EncryptionKeyError, match="key 1"):
        Vault([new_key()[:-4]])


def test_malformed_key_error_is_a_value_error():
    with pytest.raises(ValueError):
        Vault(["short"])


def test_no_keys_is_an_error():
    with pytest.raises(EncryptionKeyError, match="at least one key"):
        Vault([])


def test_surrounding_whitespace_in_a_key_is_ignored():
    key = new_key()
    token = make_vault(key).encrypt(ANSWERS)
    assert make_vault(f"  {key}\n").decrypt(token) == ANSWERS


def test_non_ascii_token_is_not_current_and_fails_with_value_error():
    vault = make_vault()
    assert vault.is_current("tökén") is False
    with pytest.raises(ValueError, match="no configured key matches"):
        vault.decrypt("tökén")
    with pytest.raises(ValueError, match="no configured key matches"):
        vault.rotate("tökén")


# --- the stored formats: AES-256-GCM written, Fernet (older versions) still read ----------


def fernet_token(key: str, value) -> str:
    """A value as older versions stored it: a Fernet token of its compact JSON."""
    from cryptography.fernet import Fernet

    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return Fernet(key.encode()).encrypt(data).decode("ascii")


def test_new_values_are_written_in_version_2():
    raw = base64.urlsafe_b64decode(make_vault().encrypt(ANSWERS))
    # version byte, 4-byte key id, 12-byte nonce, then ciphertext and a 16-byte tag
    assert raw[0] == 2
    assert len(raw) > 1 + 4 + 12 + 16


def test_a_fernet_value_written_before_still_decrypts():
    key = new_key()
    assert make_vault(key).decrypt(fernet_token(key, ANSWERS)) == ANSWERS


def test_a_fernet_value_under_an_older_key_still_decrypts():
    old, new = new_key(), new_key()
    assert make_vault(new, old).decrypt(fernet_token(old, ANSWERS)) == ANSWERS


def test_old_and_new_values_side_by_side_all_decrypt():
    old, new = new_key(), new_key()
    stored = [
        fernet_token(old, {"n": 1}),
        make_vault(old).encrypt({"n": 2}),
        fernet_token(new, {"n": 3}),
        make_vault(new, old).encrypt({"n": 4}),
    ]
    vault = make_vault(new, old)
    assert [vault.decrypt(token)["n"] for token in stored] == [1, 2, 3, 4]


def test_a_fernet_value_under_the_newest_key_is_not_current_and_rotates_to_version_2():
    key = new_key()
    vault = make_vault(key)
    token = fernet_token(key, ANSWERS)
    assert vault.is_current(token) is False
    rotated = vault.rotate(token)
    assert base64.urlsafe_b64decode(rotated)[0] == 2
    assert vault.is_current(rotated) is True
    assert vault.decrypt(rotated) == ANSWERS


def test_rotation_converts_mixed_values_and_the_old_key_can_then_go():
    old, new = new_key(), new_key()
    stored = [fernet_token(old, {"n": 1}), make_vault(old).encrypt({"n": 2})]
    both = make_vault(new, old)
    rotated = [both.rotate(token) for token in stored]
    assert all(both.is_current(token) for token in rotated)
    assert [make_vault(new).decrypt(token)["n"] for token in rotated] == [1, 2]


def test_a_version_2_value_under_the_old_key_is_not_current():
    old, new = new_key(), new_key()
    token = make_vault(old).encrypt(ANSWERS)
    assert make_vault(new, old).is_current(token) is False


def test_a_changed_key_id_fails_authentication():
    old, new = new_key(), new_key()
    vault = make_vault(new, old)
    raw = bytearray(base64.urlsafe_b64decode(make_vault(old).encrypt(ANSWERS)))
    # Point the value at the other configured key: the header is authenticated data.
    raw[1:5] = base64.urlsafe_b64decode(vault.encrypt(ANSWERS))[1:5]
    forged = base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(ValueError, match="no configured key matches"):
        vault.decrypt(forged)


def test_a_truncated_version_2_value_fails_with_value_error():
    vault = make_vault()
    raw = base64.urlsafe_b64decode(vault.encrypt(ANSWERS))
    for cut in (1, 5, 10, 17, 20):
        token = base64.urlsafe_b64encode(raw[:cut]).decode()
        with pytest.raises(ValueError, match="no configured key matches"):
            vault.decrypt(token)
        assert vault.is_current(token) is False


def test_the_key_id_does_not_reveal_the_key():
    key = new_key()
    raw = base64.urlsafe_b64decode(make_vault(key).encrypt(ANSWERS))
    assert raw[1:5] not in base64.urlsafe_b64decode(key)
