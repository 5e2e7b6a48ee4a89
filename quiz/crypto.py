"""Encrypt and decrypt health answers at rest with rotating Fernet keys."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionKeyError(ValueError):
    """A configured encryption key that is not a valid Fernet key."""


class Vault:
    """Encrypts JSON values under the newest key and decrypts under any configured key."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise EncryptionKeyError("DATA_ENCRYPTION_KEY: at least one key is needed")
        fernets = []
        for i, key in enumerate(keys):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError):
                raise EncryptionKeyError(
                    f"DATA_ENCRYPTION_KEY: key {i + 1} is not urlsafe base64 of 32 bytes"
                ) from None
        self._multi = MultiFernet(fernets)
        self._newest = fernets[0]

    def encrypt(self, value: Any) -> str:
        """Encrypt a JSON-serialisable value under the newest key."""
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        return self._newest.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> Any:
        """Decrypt a value encrypted under any configured key."""
        try:
            return json.loads(self._multi.decrypt(token.encode("ascii")))
        except (InvalidToken, UnicodeEncodeError):
            raise ValueError("cannot decrypt: no configured key matches") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise ValueError("cannot rotate: no configured key matches") from None

    def is_current(self, token: str) -> bool:
        """Tell whether a token is already encrypted under the newest key."""
        try:
            self._newest.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True


def new_key() -> str:
    """Return a fresh Fernet key."""
    return Fernet.generate_key().decode("ascii")
