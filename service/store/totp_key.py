"""The key that keeps second-factor secrets (REKAP_TOTP_KEY): AES-256-GCM, bound to the token.

A TOTP secret cannot be hashed (the server computes codes from it), so it is stored sealed:
AES-256-GCM under a 32-byte key kept in a file outside the store, with the token id as
associated data, so a sealed secret copied onto another token's row does not open. A database
dump alone gives no second factor.

The key file holds the base64 of 32 random bytes (`openssl rand -base64 32`); a development
key is created on first use, as the audit key is. The processes that issue tokens (`rekap
token create`) and those that check them (the API's workers) need the same file.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from service.keyfile import create_private_file

KEY_BYTES = 32
NONCE_BYTES = 12
VERSION = "v1"
CONTEXT = b"rekap second factor v1\x00"


class SecretUnreadable(Exception):
    """A sealed secret that this key cannot open, or a key file that cannot be used."""


class TotpKey:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def load(cls, path: Path) -> TotpKey:
        """The key in `path`; SecretUnreadable if it is missing or not a key."""
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise SecretUnreadable(f"REKAP_TOTP_KEY: cannot read {path}: {exc.strerror}") from None
        return cls(_parse(text, path))

    @classmethod
    def load_or_create(cls, path: Path) -> TotpKey:
        """The key in `path`, or a new development key written there (mode 0600)."""
        fresh = base64.b64encode(os.urandom(KEY_BYTES)) + b"\n"
        return cls(_parse(create_private_file(Path(path), fresh), path))

    def seal(self, secret: str, token_id: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode("ascii"), _bound_to(token_id))
        return f"{VERSION}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open(self, sealed: str, token_id: str) -> str:
        version, _, body = sealed.partition(":")
        try:
            if version != VERSION:
                raise ValueError(version)
            raw = base64.b64decode(body, validate=True)
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(token_id))
            return plain.decode("ascii")
        except (ValueError, binascii.Error, InvalidTag):
            raise SecretUnreadable(
                f"the second factor of token {token_id} does not open with REKAP_TOTP_KEY "
                "(another key, or a secret that belongs to another token)"
            ) from None


def _bound_to(token_id: str) -> bytes:
    return CONTEXT + token_id.encode("utf-8")


def _parse(text: bytes, path: Path) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != KEY_BYTES:
        raise SecretUnreadable(
            f"REKAP_TOTP_KEY: {path} must hold the base64 of {KEY_BYTES} random bytes "
            "(openssl rand -base64 32)"
        )
    return key
