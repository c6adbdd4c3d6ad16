"""What an auditor brings from outside the store: the public key, and tree heads it holds.

A store that is rewritten can have its own tree heads rewritten too (without the key they can
only be deleted, never forged); the heads an auditor kept from earlier publications, and the
key obtained out of band, are what such a store cannot answer for.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from service.audit.signing import TreeHead, load_public_key

KEY_FORMATS = (
    "an Ed25519 public key: the base64 of its raw 32 bytes (the public_key that "
    "`rekap audit tree-head` prints and GET /api/v1/audit/public-key serves), a PEM public key "
    "(-----BEGIN PUBLIC KEY-----, the pem of /api/v1/audit/public-key), or either of those "
    "JSON documents saved whole"
)
HEAD_FORMATS = (
    "a signed tree head as JSON: what `rekap audit tree-head` prints or GET "
    "/api/v1/audit/tree-head serves ({size, root, timestamp, signature, key_id}), an object "
    "with it under tree_head (a bundle's tree-head.json, a proof, a --state file), or a list "
    "of them (GET /api/v1/audit/tree-heads)"
)


class TrustedInputError(ValueError):
    """A key, head or state file that cannot be read; the message says what it must hold."""


def public_key_from(data: bytes | str, where: str) -> str:
    """The Ed25519 key in `data` as base64 of its raw 32 bytes, whichever format it is in."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    candidates: list[str | bytes] = []
    if len(raw) == 32:
        candidates.append(raw)
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        candidates.append(text)
    else:
        if isinstance(document, str):
            candidates.append(document)
        elif isinstance(document, dict):
            candidates += [document[k] for k in ("public_key", "pem") if k in document]
    reasons = []
    for candidate in candidates:
        try:
            key = load_public_key(candidate)
        except (ValueError, TypeError) as exc:
            reasons.append(str(exc))
            continue
        raw_key = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw_key).decode("ascii")
    why = f" ({reasons[0]})" if reasons else ""
    raise TrustedInputError(f"{where} does not hold {KEY_FORMATS}{why}")


def read_public_key(path: Path) -> str:
    """The key file an auditor passes with --public-key (OSError if it cannot be opened)."""
    return public_key_from(path.read_bytes(), str(path))


def heads_from(document: Any, where: str) -> list[TreeHead]:
    """The signed heads in a published JSON document (see HEAD_FORMATS)."""
    items = document if isinstance(document, list) else [document]
    heads = []
    for item in items:
        if isinstance(item, dict) and "tree_head" in item:
            item = item["tree_head"]
        try:
            heads.append(TreeHead.from_dict(item))
        except ValueError as exc:
            raise TrustedInputError(f"{where} does not hold {HEAD_FORMATS} ({exc})") from None
    if not heads:
        raise TrustedInputError(f"{where} holds no tree head")
    return heads


def read_heads(path: Path) -> list[TreeHead]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise TrustedInputError(
            f"{path} is not JSON ({exc}); it must hold {HEAD_FORMATS}"
        ) from None
    return heads_from(document, str(path))


def read_state(path: Path) -> list[TreeHead]:
    """The head a previous `verify --state` remembered (none when the file does not exist)."""
    if not path.exists():
        return []
    return read_heads(path)


def write_state(path: Path, head: TreeHead) -> None:
    """Remember `head` for the next run, replacing the file in one step."""
    document = {
        "tree_head": head.to_dict(),
        "verified_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "note": "the latest tree head `rekap audit verify` checked against the store",
    }
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
