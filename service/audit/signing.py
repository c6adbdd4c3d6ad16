"""Signed tree heads: Ed25519 signatures over the audit log's size and Merkle root.

The signed message is exactly these bytes (UTF-8, each line ending in a single ``\\n``)::

    rekap-tree-head-v1
    <size>
    <root>
    <timestamp>

- ``<size>``: the tree size in decimal ASCII, no sign, no leading zeros (``0`` for empty);
- ``<root>``: the RFC 6962 root hash as 64 lowercase hex characters;
- ``<timestamp>``: UTC time as ``YYYY-MM-DDTHH:MM:SSZ``, optionally with a fraction of up to
  six digits before the ``Z`` (``2026-11-22T18:00:00Z``).

In Python: ``b"rekap-tree-head-v1\\n" + f"{size}\\n{root}\\n{timestamp}\\n".encode()``.
The signature is the 64-byte Ed25519 signature of that message (RFC 8032, pure Ed25519),
published in standard base64. ``key_id`` is the first 16 hex characters of the SHA-256 of the
raw 32-byte public key; it only helps pick the key, it is not covered by the signature, and a
head whose ``key_id`` does not name the verifying key is rejected.

That message is the legacy form. A head with an ``origin`` (every head signed since checkpoints
came) is signed over its checkpoint text instead (``service/audit/checkpoint.py``)::

    <origin>\n<size>\n<base64 root>\ntime <timestamp>\n

so that one Ed25519 signature serves both the checkpoint note and this JSON form.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.audit.checkpoint import checkpoint_text, log_verifier, signed_note
from service.audit.note import Note
from service.keyfile import create_private_file

MESSAGE_PREFIX = b"rekap-tree-head-v1\n"

_ROOT_RE = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
_TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ")


def _valid_timestamp(value: str) -> bool:
    if not _TIMESTAMP_RE.fullmatch(value):
        return False
    fmt = _TIMESTAMP_FORMATS["." in value]
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def format_timestamp(moment: datetime) -> str:
    """Canonical UTC form, to the second, of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tree_head_message(size: int, root: str, timestamp: str) -> bytes:
    """The exact bytes that are signed; raises ValueError unless every field is canonical."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"size must be a non-negative integer, got {size!r}")
    if not isinstance(root, str) or not _ROOT_RE.fullmatch(root):
        raise ValueError("root must be 64 lowercase hex characters")
    if not isinstance(timestamp, str) or not _valid_timestamp(timestamp):
        raise ValueError(f"timestamp must look like 2026-11-22T18:00:00Z, got {timestamp!r}")
    return MESSAGE_PREFIX + f"{size}\n{root}\n{timestamp}\n".encode()


def key_id_for(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(key: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (str or bytes), base64 of the raw 32 bytes, or raw bytes."""
    if not isinstance(key, str | bytes | bytearray):
        raise TypeError(f"public key must be str or bytes, not {type(key).__name__}")
    data = key.encode("ascii") if isinstance(key, str) else bytes(key)
    if len(data) == 32 and not isinstance(key, str):
        return Ed25519PublicKey.from_public_bytes(data)
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            loaded = serialization.load_pem_public_key(data)
        except UnsupportedAlgorithm as exc:
            raise ValueError("PEM public key uses an unsupported algorithm") from exc
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("PEM public key is not an Ed25519 key")
        return loaded
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError("public key is neither PEM nor base64") from exc
    if len(raw) != 32:
        raise ValueError(f"raw Ed25519 public key must be 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: str
    timestamp: str
    signature: str
    key_id: str
    origin: str | None = None  # None: a legacy head, signed over rekap-tree-head-v1

    def message(self) -> bytes:
        legacy = tree_head_message(self.size, self.root, self.timestamp)
        if self.origin is None:
            return legacy
        return checkpoint_text(self.origin, self.size, self.root, self.timestamp).encode()

    def to_dict(self) -> dict[str, Any]:
        found = {
            "size": self.size,
            "root": self.root,
            "timestamp": self.timestamp,
            "signature": self.signature,
            "key_id": self.key_id,
        }
        if self.origin is not None:
            found["origin"] = self.origin
        return found

    def note(self, public_key: Ed25519PublicKey) -> Note:
        """The checkpoint of this head as a signed note (only for a head with an origin)."""
        if self.origin is None:
            raise ValueError(f"the head of size {self.size} predates checkpoints: no origin")
        verifier = log_verifier(self.origin, public_key)
        signature = base64.b64decode(self.signature, validate=True)
        return signed_note(self.message().decode(), verifier, signature)

    @classmethod
    def from_dict(cls, data: Any) -> TreeHead:
        """Checks presence and types only; canonical form is checked when verifying."""
        if not isinstance(data, dict):
            raise ValueError("tree head must be an object")
        missing = [
            name
            for name in ("size", "root", "timestamp", "signature", "key_id")
            if name not in data
        ]
        if missing:
            raise ValueError(f"tree head is missing {', '.join(missing)}")
        size = data["size"]
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError("tree head size must be an integer")
        for name in ("root", "timestamp", "signature", "key_id"):
            if not isinstance(data[name], str):
                raise ValueError(f"tree head {name} must be a string")
        origin = data.get("origin")
        if origin is not None and not isinstance(origin, str):
            raise ValueError("tree head origin must be a string")
        return cls(size, data["root"], data["timestamp"], data["signature"], data["key_id"], origin)


class TreeHeadSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_for(self.public_key)

    @classmethod
    def generate(cls) -> TreeHeadSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes) -> TreeHeadSigner:
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("PEM private key is not an Ed25519 key")
        return cls(key)

    def private_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_key_b64(self) -> str:
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode("ascii")

    def sign(
        self,
        size: int,
        root_hex: str,
        timestamp: str | datetime | None = None,
        origin: str | None = None,
    ) -> TreeHead:
        """A head of ``size`` and ``root_hex``: a checkpoint of ``origin``, or legacy without."""
        if timestamp is None:
            timestamp = datetime.now(UTC)
        if isinstance(timestamp, datetime):
            timestamp = format_timestamp(timestamp)
        unsigned = TreeHead(size, root_hex, timestamp, "", self.key_id, origin)
        signature = base64.b64encode(self._private_key.sign(unsigned.message())).decode("ascii")
        return dataclasses.replace(unsigned, signature=signature)


def load_or_create_signing_key(path: Path) -> TreeHeadSigner:
    """Read the PEM private key at ``path``, or create a development key there (mode 0600).

    Workers starting together never overwrite a key another worker has already signed with
    (service/keyfile.py).
    """
    path = Path(path)
    if path.exists():
        return TreeHeadSigner.from_pem(path.read_bytes())
    created = create_private_file(path, TreeHeadSigner.generate().private_pem())
    return TreeHeadSigner.from_pem(created)


def verify_tree_head(head: TreeHead, public_key: str | bytes) -> bool:
    """True only for a canonical head signed by ``public_key`` and naming it by ``key_id``."""
    try:
        key = load_public_key(public_key)
        if head.key_id != key_id_for(key):
            return False
        message = head.message()
        if not isinstance(head.signature, str):
            return False
        signature = base64.b64decode(head.signature, validate=True)
        key.verify(signature, message)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, AttributeError):
        return False
    return True
