"""Checkpoints (c2sp.org/tlog-checkpoint): the log's signed tree head as a signed note.

The text of a rekap checkpoint is exactly::

    <origin>
    <size>
    <root>
    time <timestamp>

- ``<origin>``: the log's identity, ``REKAP_LOG_ORIGIN`` (a schema-less URL, no spaces, no
  ``+``); it is also the name of the log's key;
- ``<size>``: the number of leaves in decimal, no leading zeros;
- ``<root>``: the RFC 6962 root of the tree of that size, standard base64 of the 32 bytes;
- ``time <timestamp>``: an extension line, the UTC time of signing as in the JSON tree head
  (``2026-11-22T18:00:00Z``). Witnesses vouch for the first three lines only.

The log signs the text with an Ed25519 note signature (type 0x01) under the key name
``<origin>``; its verifier key is ``<origin>+<key hash>+<base64(0x01 || public key)>``. The
same 64 signature bytes are the ``signature`` of the (deprecated) JSON tree head, which now
carries ``origin`` too: one signature, two renderings.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.audit.merkle import HASH_SIZE
from service.audit.note import (
    ED25519,
    Note,
    NoteError,
    NoteSignature,
    Verifier,
    check_text,
    valid_key_name,
)

TIME_PREFIX = "time "
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,18}")


class CheckpointError(ValueError):
    """Text that is not a well-formed checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "".join(f"{line}\n" for line in lines)

    @property
    def timestamp(self) -> str | None:
        """rekap's signing time, from the ``time`` extension line, if there is one."""
        for line in self.extensions:
            if line.startswith(TIME_PREFIX):
                return line[len(TIME_PREFIX) :]
        return None

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """A checkpoint from its note text (strict: every rule of the spec is checked)."""
        try:
            check_text(text)
        except NoteError as exc:
            raise CheckpointError(str(exc)) from exc
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("a checkpoint has an origin, a size and a root hash line")
        origin, size, root, *extensions = lines
        if not origin:
            raise CheckpointError("the checkpoint origin is empty")
        if not _SIZE_RE.fullmatch(size) or int(size) >= 2**63:
            raise CheckpointError(f"checkpoint size {size[:30]!r} is not a decimal tree size")
        try:
            root_bytes = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise CheckpointError("the checkpoint root hash is not base64") from exc
        if len(root_bytes) != HASH_SIZE or base64.b64encode(root_bytes).decode() != root:
            raise CheckpointError(f"the checkpoint root hash must be {HASH_SIZE} bytes of base64")
        if any(not line for line in extensions):
            raise CheckpointError("checkpoint extension lines must not be empty")
        return cls(origin, int(size), root_bytes, tuple(extensions))


def check_origin(origin: object) -> str:
    """``origin`` if it can name a log (and so its key); CheckpointError otherwise."""
    if not isinstance(origin, str) or not valid_key_name(origin):
        raise CheckpointError(
            f"log origin {origin!r} must be non-empty, without spaces, '+' or control characters"
        )
    return origin


def checkpoint_text(origin: str, size: int, root_hex: str, timestamp: str) -> str:
    """The text the log signs for a tree head (see the module docstring)."""
    check_origin(origin)
    root = bytes.fromhex(root_hex)
    return Checkpoint(origin, size, root, (f"{TIME_PREFIX}{timestamp}",)).text()


def log_verifier(origin: str, public_key: Ed25519PublicKey | bytes) -> Verifier:
    """The note verifier of the log key for ``origin`` (signature type 0x01)."""
    if isinstance(public_key, Ed25519PublicKey):
        public_key = public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    return Verifier.of(check_origin(origin), ED25519, public_key)


def signed_note(text: str, verifier: Verifier, signature: bytes) -> Note:
    """The checkpoint note of ``text`` with the log's raw 64-byte signature."""
    return Note(text, (NoteSignature(verifier.name, verifier.key_hash, signature),))


def read_checkpoint(note: Note) -> Checkpoint:
    return Checkpoint.parse(note.text)
