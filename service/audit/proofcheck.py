"""Offline check of a proof document against a signed tree head (``rekap audit check-proof``).

A document is a JSON object::

    {"tree_head": {...}, "public_key": "<base64 raw key or PEM>",
     "inclusion": {"leaf_hash": hex, "index": int, "size": int, "proof": [hex, ...]}}

or, instead of (or as well as) ``inclusion``::

    "consistency": {"first": int, "second": int, "first_root": hex, "second_root": hex,
                    "proof": [hex, ...]},
    "first_tree_head": {...}            (optional: the signed head of the first size)

``tree_head`` is the head the proofs lead to (the second one for consistency). Each check adds
one message starting with ``pass:`` or ``FAIL:``; the document is ok when nothing failed and
at least one proof was checked.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from service.audit.merkle import HASH_SIZE, verify_consistency, verify_inclusion
from service.audit.signing import TreeHead, key_id_for, load_public_key, verify_tree_head
from service.audit.trusted import KEY_FORMATS

_HASH_RE = re.compile(rf"[0-9a-fA-F]{{{2 * HASH_SIZE}}}")


@dataclass
class CheckResult:
    ok: bool = True
    messages: list[str] = field(default_factory=list)

    def passed(self, message: str) -> None:
        self.messages.append(f"pass: {message}")

    def failed(self, message: str) -> None:
        self.ok = False
        self.messages.append(f"FAIL: {message}")

    def check(self, ok: bool, passed: str, failed: str) -> bool:
        """Record one check: `passed` if it holds, `failed` if not; whether it held."""
        if ok:
            self.passed(passed)
        else:
            self.failed(failed)
        return ok


class _Malformed(Exception):
    """A field of the document cannot be read; its message names the field."""


def _object(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    if not isinstance(value, dict):
        raise _Malformed(f"{name} must be an object")
    return value


def _count(section: dict[str, Any], name: str, where: str) -> int:
    value = section.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Malformed(f"{where}.{name} must be a non-negative integer, got {value!r}")
    return value


def _hash(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or not _HASH_RE.fullmatch(value):
        raise _Malformed(f"{where} must be {2 * HASH_SIZE} hex characters, got {value!r}")
    return bytes.fromhex(value)


def _proof(section: dict[str, Any], where: str) -> list[bytes]:
    value = section.get("proof")
    if not isinstance(value, list):
        raise _Malformed(f"{where}.proof must be a list of hex hashes")
    return [_hash(item, f"{where}.proof[{i}]") for i, item in enumerate(value)]


def _check_head(result: CheckResult, label: str, head: TreeHead, public_key: str | bytes) -> bool:
    expected = key_id_for(load_public_key(public_key))
    if head.key_id != expected:
        result.failed(f"{label} key_id {head.key_id!r} does not match the public key ({expected})")
    # the signature is checked on its own, so a wrong key_id does not hide a good signature
    named = dataclasses.replace(head, key_id=expected)
    signed = result.check(
        verify_tree_head(named, public_key),
        f"{label} signature is valid (size {head.size}, root {head.root})",
        f"{label} signature is invalid (size {head.size}, root {head.root!r})",
    )
    return signed and head.key_id == expected


def _check_inclusion(result: CheckResult, section: dict[str, Any], head: TreeHead) -> None:
    leaf = _hash(section.get("leaf_hash"), "inclusion.leaf_hash")
    index = _count(section, "index", "inclusion")
    size = _count(section, "size", "inclusion")
    proof = _proof(section, "inclusion")
    if size != head.size:
        result.failed(f"inclusion proof is for size {size} but the tree head has size {head.size}")
        return
    head_root = _hash(head.root, "tree_head.root")
    result.check(
        verify_inclusion(leaf, index, size, proof, head_root),
        f"leaf {index} is included in the tree of size {size}",
        f"inclusion proof is invalid: leaf {index} with {len(proof)} proof hashes does not "
        f"lead to the tree head root at size {size}",
    )


def _check_consistency(
    result: CheckResult,
    doc: dict[str, Any],
    head: TreeHead,
    public_key: str | bytes,
) -> None:
    section = _object(doc, "consistency")
    first = _count(section, "first", "consistency")
    second = _count(section, "second", "consistency")
    first_root = _hash(section.get("first_root"), "consistency.first_root")
    second_root = _hash(section.get("second_root"), "consistency.second_root")
    proof = _proof(section, "consistency")
    if second != head.size:
        result.failed(f"consistency.second is {second} but the tree head has size {head.size}")
    if second_root != _hash(head.root, "tree_head.root"):
        result.failed("consistency.second_root does not match the tree head root")
    if "first_tree_head" in doc:
        first_head = _read_head(doc["first_tree_head"], "first_tree_head")
        _check_head(result, "first_tree_head", first_head, public_key)
        if first_head.size != first:
            result.failed(
                f"consistency.first is {first} but first_tree_head has size {first_head.size}"
            )
        if first_root != _hash(first_head.root, "first_tree_head.root"):
            result.failed("consistency.first_root does not match the first_tree_head root")
    result.check(
        verify_consistency(first, second, first_root, second_root, proof),
        f"the tree of size {second} is an append-only extension of size {first}",
        f"consistency proof is invalid: {len(proof)} proof hashes do not link "
        f"size {first} to size {second} with the given roots",
    )


def _read_head(value: Any, label: str) -> TreeHead:
    try:
        return TreeHead.from_dict(value)
    except ValueError as exc:
        raise _Malformed(f"{label}: {exc}") from exc


def check_document(doc: Any, public_key: str | bytes | None = None) -> CheckResult:
    """Check every signature and proof in ``doc``; never raises on a malformed document.

    ``public_key`` (the key the auditor trusts) takes precedence over ``doc["public_key"]``:
    a key shipped inside the document only proves the document is self-consistent.
    """
    result = CheckResult()
    try:
        if not isinstance(doc, dict):
            raise _Malformed("document must be a JSON object")
        head = _read_head(doc.get("tree_head"), "tree_head")
        key = public_key if public_key is not None else doc.get("public_key")
        if not isinstance(key, str | bytes):
            raise _Malformed(f"public_key is missing: it must be {KEY_FORMATS}")
        try:
            load_public_key(key)
        except (ValueError, TypeError) as exc:
            raise _Malformed(
                f"public_key cannot be read ({exc}): it must be {KEY_FORMATS}"
            ) from exc
        _check_head(result, "tree_head", head, key)
        checked = False
        if "inclusion" in doc:
            _check_inclusion(result, _object(doc, "inclusion"), head)
            checked = True
        if "consistency" in doc:
            _check_consistency(result, doc, head, key)
            checked = True
        if not checked:
            result.failed("document has neither an inclusion nor a consistency proof")
    except _Malformed as exc:
        result.failed(f"malformed document: {exc}")
    return result
