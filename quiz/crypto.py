"""Encrypt and decrypt health answers at rest with rotating keys (AES-256-GCM, Fernet read)."""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Stored values come in two formats, told apart by their first byte once base64-decoded:
# - 0x80: a Fernet token (AES-128-CBC with HMAC-SHA256), what older versions wrote; read only.
# - 0x02: version 2, written now: 0x02, a 4-byte key id, a 12-byte random nonce, then the
#   AES-256-GCM ciphertext with its tag. The version byte and key id are authenticated as
#   associated data. AES-GCM decrypts about ten times faster than Fernet, which is what a full
#   export of many leads spends its time on.
_VERSION = b"\x02"
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_HEADER_BYTES = 1 + _KEY_ID_BYTES


class EncryptionKeyError(ValueError):
    """A configured encryption key that is not a valid Fernet key."""


def _derive(secret: bytes, purpose: bytes, length: int) -> bytes:
    """Derive `length` bytes for one `purpose` from a configured key's 32 bytes (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(secret)


class _Key:
    """One configured key: its Fernet form (old values) and its derived AES-256-GCM key."""

    def __init__(self, key: str):
        self.fernet = Fernet(key)
        # The configured keys stay Fernet keys (32 random bytes, urlsafe base64), so existing
        # deployments keep their DATA_ENCRYPTION_KEY; the AES key and its public id are
        # derived from them for separate purposes, so the id reveals nothing of the key.
        secret = base64.urlsafe_b64decode(key)
        self.aead = AESGCM(_derive(secret, b"mesoquiz health data aes-256-gcm", 32))
        self.key_id = _derive(secret, b"mesoquiz health data key id", _KEY_ID_BYTES)


class Vault:
    """Encrypts JSON values under the newest key and decrypts under any configured key."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise EncryptionKeyError("DATA_ENCRYPTION_KEY: at least one key is needed")
        self._keys: list[_Key] = []
        for i, key in enumerate(keys):
            try:
                self._keys.append(_Key(key.strip().encode()))
            except (ValueError, TypeError, binascii.Error):
                raise EncryptionKeyError(
                    f"DATA_ENCRYPTION_KEY: key {i + 1} is not urlsafe base64 of 32 bytes"
                ) from None
        self._newest = self._keys[0]
        self._multi = MultiFernet([k.fernet for k in self._keys])
        self._by_id: dict[bytes, list[_Key]] = {}
        for key in self._keys:
            self._by_id.setdefault(key.key_id, []).append(key)

    def encrypt(self, value: Any) -> str:
        """Encrypt a JSON-serialisable value under the newest key (AES-256-GCM)."""
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        return self._seal(data)

    def decrypt(self, token: str) -> Any:
        """Decrypt a value encrypted under any configured key, in either stored format."""
        data = self._open(token)
        if data is None:
            raise ValueError("cannot decrypt: no configured key matches")
        # Decoded first: given bytes, json.loads detects their encoding before parsing,
        # which adds up over the 100,000 values of a full export. encrypt() writes UTF-8.
        return json.loads(data.decode("utf-8"))

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key, in the current format."""
        data = self._open(token)
        if data is None:
            raise ValueError("cannot rotate: no configured key matches")
        return self._seal(data)

    def is_current(self, token: str) -> bool:
        """Tell whether a token is in the current format under the newest key."""
        raw = _decode(token)
        if raw is None or raw[:1] != _VERSION:
            return False
        if raw[1:_HEADER_BYTES] != self._newest.key_id:
            return False
        return _open_v2(self._newest, raw) is not None

    def _seal(self, data: bytes) -> str:
        header = _VERSION + self._newest.key_id
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._newest.aead.encrypt(nonce, data, header)
        return base64.urlsafe_b64encode(header + nonce + sealed).decode("ascii")

    def _open(self, token: str) -> bytes | None:
        """Return the plaintext bytes of a token of either format, or None if no key opens it."""
        raw = _decode(token)
        if raw is None:
            return None
        if raw[:1] == _VERSION:
            for key in self._by_id.get(raw[1:_HEADER_BYTES], ()):
                data = _open_v2(key, raw)
                if data is not None:
                    return data
            return None
        try:
            return self._multi.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return None


def _decode(token: str) -> bytes | None:
    """Return a token's bytes, or None when it is not urlsafe base64 text."""
    try:
        return base64.urlsafe_b64decode(token.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None


def _open_v2(key: _Key, raw: bytes) -> bytes | None:
    """Decrypt a version 2 value under one key; None when it fails authentication."""
    nonce = raw[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
    if len(nonce) != _NONCE_BYTES:
        return None
    try:
        return key.aead.decrypt(nonce, raw[_HEADER_BYTES + _NONCE_BYTES :], raw[:_HEADER_BYTES])
    except InvalidTag:
        return None


def new_key() -> str:
    """Return a fresh key (32 random bytes, urlsafe base64, as Fernet keys are written)."""
    return Fernet.generate_key().decode("ascii")
