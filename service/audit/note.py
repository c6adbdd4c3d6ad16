"""Signed notes (c2sp.org/signed-note): a text, a blank line, and signature lines.

A note is ``text`` (UTF-8, ending in a newline, no control characters but newlines), an empty
line, and one or more lines ``— <key name> <base64(4-byte key hash || signature)>``. A key is
named by its name and its key hash, ``SHA-256(name || 0x0A || type || public key)[:4]``; its
verifier key (vkey) is ``<name>+<hex key hash>+<base64(type || public key)>``.

Two signature types are spoken here, both Ed25519 (RFC 8032):

- ``0x01``, plain note signatures over the text: the log's signature of its checkpoints;
- ``0x04``, timestamped cosignatures (c2sp.org/tlog-cosignature): ``u64 time || signature``
  over ``cosignature/v1\\ntime <time>\\n`` followed by the text: the witnesses'.

Signatures by keys a verifier does not know are kept but never trusted; a signature by a known
key that does not verify makes the whole note invalid, as the spec asks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_TYPES = {ED25519: "Ed25519", COSIGNATURE_V1: "Ed25519 cosignature/v1"}
MAX_SIGNATURES = (
    100  # the spec asks verifiers to accept at least 16; Go's note package stops at 100
)
MAX_NOTE_BYTES = 1 << 20
DASH = "\u2014 "
SKEY_PREFIX = "PRIVATE+KEY+"


class NoteError(ValueError):
    """A note, a key or a signature line that cannot be what it claims to be."""


def valid_key_name(name: object) -> bool:
    """Non-empty, no Unicode space, no ``+``, no control character (signed-note)."""
    return (
        isinstance(name, str)
        and bool(name)
        and "+" not in name
        and not any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    )


def key_hash(name: str, signature_type: int, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_text(text: str) -> None:
    """Raise NoteError unless ``text`` can be the text of a note."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text) or "\x7f" in text:
        raise NoteError("note text must not contain control characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("note text must be valid UTF-8") from exc


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_hash: int
    signature: bytes  # what follows the 4-byte key hash

    def line(self) -> str:
        packed = struct.pack(">I", self.key_hash) + self.signature
        return f"{DASH}{self.name} {base64.b64encode(packed).decode('ascii')}\n"

    @classmethod
    def parse_line(cls, line: str) -> NoteSignature:
        if not line.startswith(DASH):
            raise NoteError("a signature line must start with an em dash and a space")
        name, space, encoded = line[len(DASH) :].partition(" ")
        if not space or not valid_key_name(name) or " " in encoded:
            raise NoteError(f"malformed signature line {line[:80]!r}")
        try:
            packed = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"signature of {name} is not base64") from exc
        if len(packed) < 5:
            raise NoteError(f"signature of {name} is too short")
        return cls(name, struct.unpack(">I", packed[:4])[0], packed[4:])


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    def with_signatures(self, extra: Iterable[NoteSignature]) -> Note:
        merged = list(self.signatures)
        merged += [s for s in extra if s not in merged]
        return Note(self.text, tuple(merged))


def parse_note(data: bytes | str) -> Note:
    """The text and signature lines of a note, checked for form (no signature is verified)."""
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            raise NoteError(f"a note is at most {MAX_NOTE_BYTES} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("a note must be valid UTF-8") from exc
    if len(data) > MAX_NOTE_BYTES:
        raise NoteError(f"a note is at most {MAX_NOTE_BYTES} bytes")
    if any(ord(c) < 0x20 and c != "\n" for c in data) or "\x7f" in data:
        raise NoteError("a note must not contain control characters other than newline")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in data):
        raise NoteError("a note must be valid UTF-8")
    split = data.rfind("\n\n")
    if split < 0 or not data.endswith("\n"):
        raise NoteError("a note is a text, an empty line and signature lines ending in newline")
    text, block = data[: split + 1], data[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise NoteError("a note needs at least one signature line")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note has at most {MAX_SIGNATURES} signatures")
    return Note(text, tuple(NoteSignature.parse_line(line) for line in lines))


@dataclass(frozen=True)
class Verifier:
    """A public key a reader trusts, with its name and signature type."""

    name: str
    key_hash: int
    signature_type: int
    public_key: bytes

    @classmethod
    def of(cls, name: str, signature_type: int, public_key: bytes) -> Verifier:
        if not valid_key_name(name):
            raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
        if signature_type not in SIGNATURE_TYPES:
            raise NoteError(f"signature type {signature_type:#04x} is not supported")
        if len(public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        return cls(name, key_hash(name, signature_type, public_key), signature_type, public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise NoteError("a verifier key is <name>+<8 hex digits>+<base64 key>")
        name, hash_hex, encoded = parts
        try:
            declared = int(hash_hex, 16)
            material = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise NoteError("a verifier key has a hex key hash and a base64 key") from exc
        if hash_hex != hash_hex.lower() or not material:
            raise NoteError("a verifier key has a lowercase hex key hash and a key")
        verifier = cls.of(name, material[0], material[1:])
        if verifier.key_hash != declared:
            raise NoteError(f"verifier key hash {hash_hex} does not match its name and key")
        return verifier

    def vkey(self) -> str:
        material = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_hash:08x}+{material}"

    def matches(self, signature: NoteSignature) -> bool:
        return signature.name == self.name and signature.key_hash == self.key_hash

    def verify(self, text: str, signature: NoteSignature) -> bool:
        if not self.matches(signature):
            return False
        message, raw = text.encode(), signature.signature
        if self.signature_type == COSIGNATURE_V1:
            if len(raw) != 72:
                return False
            message = cosigned_message(text, self.timestamp(signature) or 0)
            raw = raw[8:]
        if len(raw) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(raw, message)
        except InvalidSignature:
            return False
        return True

    def timestamp(self, signature: NoteSignature) -> int | None:
        """The time a cosignature claims (seconds since the epoch); None for other types."""
        if self.signature_type != COSIGNATURE_V1 or len(signature.signature) < 8:
            return None
        return int(struct.unpack(">Q", signature.signature[:8])[0])


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


class Signer:
    """An Ed25519 private key with its name, signing notes as one signature type."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey, signature_type: int) -> None:
        public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.verifier = Verifier.of(name, signature_type, public)
        self.name = name
        self._private_key = private_key

    def sign(self, text: str, timestamp: int | None = None) -> NoteSignature:
        check_text(text)
        if self.verifier.signature_type == COSIGNATURE_V1:
            if timestamp is None or not 0 < timestamp < 2**63:
                raise NoteError("a cosignature needs a time in seconds since the epoch")
            signed = self._private_key.sign(cosigned_message(text, timestamp))
            return NoteSignature(
                self.name, self.verifier.key_hash, struct.pack(">Q", timestamp) + signed
            )
        signed = self._private_key.sign(text.encode())
        return NoteSignature(self.name, self.verifier.key_hash, signed)

    def seed(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def skey(self) -> str:
        """The private key as Go's note package writes it (``PRIVATE+KEY+name+hash+key``)."""
        plain = Verifier.of(self.name, ED25519, self.verifier.public_key)
        material = base64.b64encode(bytes([ED25519]) + self.seed()).decode()
        return f"{SKEY_PREFIX}{self.name}+{plain.key_hash:08x}+{material}"

    @classmethod
    def from_skey(cls, skey: str, signature_type: int = ED25519) -> Signer:
        """A signer from Go's private key text; an Ed25519 key may sign as a cosigner."""
        text = skey.strip()
        if not text.startswith(SKEY_PREFIX):
            raise NoteError("a private note key starts with PRIVATE+KEY+")
        parts = text[len(SKEY_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise NoteError("a private note key is PRIVATE+KEY+<name>+<hash>+<base64 key>")
        name, _, encoded = parts
        try:
            material = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NoteError("the private note key is not base64") from exc
        if len(material) != 33 or material[0] != ED25519:
            raise NoteError("the private note key is not an Ed25519 key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(material[1:]), signature_type)
        if signer.skey() != text:
            raise NoteError("the private note key's hash does not match its name and key")
        return signer


def open_note(data: bytes | str, verifiers: Sequence[Verifier]) -> tuple[Note, list[NoteSignature]]:
    """The note and the signatures of ``verifiers`` on it; NoteError if none verifies.

    Signatures by unknown keys are ignored; one by a known key that fails rejects the note.
    """
    note = parse_note(data)
    verified: list[NoteSignature] = []
    for signature in note.signatures:
        known = [v for v in verifiers if v.matches(signature)]
        if len(known) > 1:
            raise NoteError(f"ambiguous key {signature.name}+{signature.key_hash:08x}")
        if not known:
            continue
        if not known[0].verify(note.text, signature):
            raise NoteError(f"invalid signature for key {signature.name}+{signature.key_hash:08x}")
        if signature not in verified:
            verified.append(signature)
    if not verified:
        raise NoteError("the note has no signature by a key this reader trusts")
    return note, verified
