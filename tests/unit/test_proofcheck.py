from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from service.audit.merkle import (
    MemoryNodeStore,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
)
from service.audit.proofcheck import check_document
from service.audit.signing import TreeHeadSigner

SIGNER = TreeHeadSigner.generate()
HASHES = [leaf_hash(b"event %d" % i) for i in range(20)]
STORE = MemoryNodeStore()
append_leaves(STORE, 0, HASHES)
TIMESTAMP = "2026-11-22T18:00:00Z"


def head(size: int) -> dict[str, Any]:
    return SIGNER.sign(size, root(STORE, size).hex(), TIMESTAMP).to_dict()


def inclusion_doc(index: int = 5, size: int = 13) -> dict[str, Any]:
    return {
        "tree_head": head(size),
        "public_key": SIGNER.public_key_b64(),
        "inclusion": {
            "leaf_hash": HASHES[index].hex(),
            "index": index,
            "size": size,
            "proof": [p.hex() for p in inclusion_proof(STORE, index, size)],
        },
    }


def consistency_doc(first: int = 6, second: int = 13) -> dict[str, Any]:
    return {
        "tree_head": head(second),
        "first_tree_head": head(first),
        "public_key": SIGNER.public_pem().decode(),
        "consistency": {
            "first": first,
            "second": second,
            "first_root": root(STORE, first).hex(),
            "second_root": root(STORE, second).hex(),
            "proof": [p.hex() for p in consistency_proof(STORE, first, second)],
        },
    }


def failures(doc: Any, **kwargs: Any) -> list[str]:
    result = check_document(doc, **kwargs)
    found = [m for m in result.messages if m.startswith("FAIL")]
    assert result.ok == (not found), result.messages
    return found


def test_a_good_inclusion_document_passes() -> None:
    for size in (1, 2, 13, 20):
        for index in range(size):
            result = check_document(inclusion_doc(index, size))
            assert result.ok, result.messages
    result = check_document(inclusion_doc())
    assert result.messages == [
        f"pass: tree_head signature is valid (size 13, root {root(STORE, 13).hex()})",
        "pass: leaf 5 is included in the tree of size 13",
    ]


def test_a_good_consistency_document_passes() -> None:
    for second in range(1, 21):
        for first in range(1, second + 1):
            result = check_document(consistency_doc(first, second))
            assert result.ok, result.messages
    doc = consistency_doc()
    del doc["first_tree_head"]
    assert check_document(doc).ok


def test_a_document_with_both_proofs_checks_both() -> None:
    doc = {**consistency_doc(6, 13), "inclusion": inclusion_doc(5, 13)["inclusion"]}
    result = check_document(doc)
    assert result.ok
    assert len(result.messages) == 4


def test_a_trusted_key_given_by_the_caller_overrides_the_documents_key() -> None:
    doc = inclusion_doc()
    assert check_document(doc, public_key=SIGNER.public_pem()).ok
    other = TreeHeadSigner.generate()
    assert failures(doc, public_key=other.public_key_b64())


def tamper(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    target: Any = doc
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is DELETE:
        del target[last]
    else:
        target[last] = value
    return doc


DELETE = object()
OTHER_HASH = HASHES[19].hex()


INCLUSION_TAMPERING = [
    ("tree_head.size", 12, "tree_head signature is invalid"),
    ("tree_head.size", 12, "inclusion proof is for size 13 but the tree head has size 12"),
    ("tree_head.root", OTHER_HASH, "tree_head signature is invalid"),
    ("tree_head.root", OTHER_HASH, "inclusion proof is invalid"),
    ("tree_head.timestamp", "2026-11-22T18:00:01Z", "tree_head signature is invalid"),
    ("tree_head.signature", "AAAA", "tree_head signature is invalid"),
    ("tree_head.key_id", "0123456789abcdef", "key_id '0123456789abcdef' does not match"),
    ("public_key", TreeHeadSigner.generate().public_key_b64(), "signature is invalid"),
    ("public_key", "not a key", "public_key cannot be read"),
    ("public_key", DELETE, "public_key is missing"),
    ("tree_head", DELETE, "tree_head: tree head must be an object"),
    ("tree_head.root", DELETE, "tree_head: tree head is missing root"),
    ("inclusion", DELETE, "neither an inclusion nor a consistency proof"),
    ("inclusion", [], "inclusion must be an object"),
    ("inclusion.leaf_hash", OTHER_HASH, "inclusion proof is invalid: leaf 5"),
    ("inclusion.leaf_hash", "zz" * 32, "inclusion.leaf_hash must be 64 hex characters"),
    ("inclusion.leaf_hash", "abc", "inclusion.leaf_hash must be 64 hex characters"),
    ("inclusion.index", 6, "inclusion proof is invalid: leaf 6"),
    ("inclusion.index", -1, "inclusion.index must be a non-negative integer"),
    ("inclusion.index", "5", "inclusion.index must be a non-negative integer"),
    ("inclusion.size", 14, "inclusion proof is for size 14 but the tree head has size 13"),
    ("inclusion.proof.0", OTHER_HASH, "inclusion proof is invalid"),
    ("inclusion.proof.1", "0x" + OTHER_HASH[2:], "inclusion.proof[1] must be 64 hex"),
    ("inclusion.proof", None, "inclusion.proof must be a list of hex hashes"),
]
CONSISTENCY_TAMPERING = [
    ("consistency.second", 14, "consistency.second is 14 but the tree head has size 13"),
    ("consistency.second_root", OTHER_HASH, "second_root does not match the tree head root"),
    ("consistency.second_root", OTHER_HASH, "consistency proof is invalid"),
    ("consistency.first", 7, "consistency.first is 7 but first_tree_head has size 6"),
    ("consistency.first", 7, "consistency proof is invalid"),
    ("consistency.first", 0, "consistency proof is invalid"),
    ("consistency.first_root", OTHER_HASH, "first_root does not match the first_tree_head"),
    ("consistency.first_root", "g" * 64, "consistency.first_root must be 64 hex"),
    ("consistency.proof.0", OTHER_HASH, "consistency proof is invalid"),
    ("consistency.proof", [], "consistency proof is invalid"),
    ("consistency.proof", "abc", "consistency.proof must be a list"),
    ("first_tree_head.size", 7, "first_tree_head signature is invalid"),
    ("first_tree_head.root", OTHER_HASH, "first_tree_head signature is invalid"),
    ("first_tree_head", {"size": 6}, "first_tree_head: tree head is missing root"),
    ("tree_head.root", OTHER_HASH, "tree_head signature is invalid"),
    ("consistency", "nope", "consistency must be an object"),
]


@pytest.mark.parametrize(
    "document, path, value, expected",
    [
        *((inclusion_doc, *case) for case in INCLUSION_TAMPERING),
        *((consistency_doc, *case) for case in CONSISTENCY_TAMPERING),
    ],
)
def test_a_tampered_document_fails_naming_what_failed(
    document: Callable[[], dict[str, Any]], path: str, value: Any, expected: str
) -> None:
    found = failures(tamper(document(), path, value))
    assert any(expected in message for message in found), found


def test_extra_or_missing_inclusion_proof_hashes_fail() -> None:
    doc = inclusion_doc()
    proof = doc["inclusion"]["proof"]
    for bad in ([*proof, OTHER_HASH], proof[:-1], [OTHER_HASH, *proof], []):
        found = failures(tamper(doc, "inclusion.proof", bad))
        assert any("inclusion proof is invalid" in message for message in found), found


def test_swapped_consistency_sizes_fail() -> None:
    doc = consistency_doc(6, 13)
    section = doc["consistency"]
    section["first"], section["second"] = section["second"], section["first"]
    assert any("consistency proof is invalid" in m for m in failures(doc))


@pytest.mark.parametrize("doc", [None, [], "text", 3, {}, {"tree_head": "x"}])
def test_a_document_that_is_not_a_document_fails_without_raising(doc: Any) -> None:
    found = failures(doc)
    assert found and all("malformed document" in message for message in found)
