"""RFC 6962 / RFC 9162 Merkle tree over the audit log, stored as complete subtrees.

Node ``(level, index)`` is the hash of the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes. Only complete
subtrees are ever stored, so a stored node never changes once written, and the tree of any
earlier size is still fully described by the store: its root and proofs are assembled from
the O(log n) complete subtrees along the binary representation of that size.

Proof generation follows RFC 6962 section 2.1.1 (PATH) and 2.1.2 (PROOF); verification
follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 and does not touch the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


class NodeStore(Protocol):
    def get(self, level: int, index: int) -> bytes:
        """The hash of complete node ``(level, index)``; KeyError if it is not stored."""
        ...

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        """Store ``(level, index, hash)`` triples; rewriting a node with its hash is allowed."""
        ...


class MemoryNodeStore:
    """Dense per-level lists: complete nodes are appended left to right, so lists stay compact."""

    def __init__(self) -> None:
        self._levels: list[list[bytes | None]] = []

    def get(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise KeyError((level, index))
        nodes = self._levels[level]
        value = nodes[index] if index < len(nodes) else None
        if value is None:
            raise KeyError((level, index))
        return value

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        levels = self._levels
        for level, index, value in nodes:
            if level < 0 or index < 0:
                raise ValueError(f"invalid node address ({level}, {index})")
            while len(levels) <= level:
                levels.append([])
            row = levels[level]
            if index == len(row):
                row.append(value)
            elif index < len(row):
                row[index] = value
            else:
                row.extend([None] * (index - len(row)))
                row.append(value)

    def items(self) -> Iterator[tuple[int, int, bytes]]:
        for level, row in enumerate(self._levels):
            for index, value in enumerate(row):
                if value is not None:
                    yield level, index, value

    def __len__(self) -> int:
        return sum(1 for _ in self.items())


def _check_count(name: str, value: object, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def append_leaves(store: NodeStore, size: int, leaf_hashes: Sequence[bytes]) -> int:
    """Append ``leaf_hashes`` to the tree of ``size`` leaves held by ``store``; return new size.

    Every subtree completed by the new leaves is written in one ``put_many`` call. At most one
    stored left sibling per level is read back (when the old size leaves an odd node waiting
    for its partner), so a call costs O(m + log n) hashes and O(log n) reads.
    """
    _check_count("size", size)
    for position, value in enumerate(leaf_hashes):
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            raise ValueError(f"leaf hash #{position} is not {HASH_SIZE} bytes")
    if not leaf_hashes:
        return size

    written: list[tuple[int, int, bytes]] = []
    level = 0
    start = size  # index of the first new node at this level
    row = list(leaf_hashes)
    while row:
        written.extend(zip([level] * len(row), range(start, start + len(row)), row, strict=True))
        if start % 2:
            row.insert(0, store.get(level, start - 1))
            start -= 1
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        start //= 2
        level += 1
    store.put_many(written)
    return size + len(leaf_hashes)


def _range_hash(store: NodeStore, start: int, end: int) -> bytes:
    """MTH of leaves ``[start, end)``; ``start`` must be aligned to a power of two >= the width.

    Every node of the RFC tree shape satisfies that: it is either complete or lies on the right
    edge, and splits into the complete subtrees named by the bits of its width.
    """
    width = end - start
    parts: list[bytes] = []
    position = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            parts.append(store.get(level, position >> level))
            position += 1 << level
    result = parts.pop()
    while parts:
        result = node_hash(parts.pop(), result)
    return result


def _split(width: int) -> int:
    """The largest power of two strictly smaller than ``width`` (``width`` >= 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def root(store: NodeStore, size: int) -> bytes:
    """MTH of the first ``size`` leaves (RFC 6962 section 2.1)."""
    _check_count("size", size)
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(store, 0, size)


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """Audit path PATH(index, D[size]) of RFC 6962 section 2.1.1, leaf-side first."""
    _check_count("index", index)
    _check_count("size", size, 1)
    if index >= size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(_range_hash(store, start + k, end))
            end = start + k
        else:
            proof.append(_range_hash(store, start, start + k))
            start += k
    proof.reverse()
    return proof


def consistency_proof(store: NodeStore, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 6962 section 2.1.2 with RFC 9162 bounds.

    ``first == second`` gives an empty proof; ``first == 0`` is rejected, as in RFC 9162,
    because every tree is trivially an extension of the empty one.
    """
    _check_count("first", first, 1)
    _check_count("second", second, 1)
    if first > second:
        raise ValueError(f"first size {first} is larger than second size {second}")
    proof: list[bytes] = []
    start, end = 0, second
    m = first  # the old tree's boundary, relative to start
    whole = True  # the subtree [start, end) is a complete subtree of the old tree
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(_range_hash(store, start + k, end))
            end = start + k
        else:
            proof.append(_range_hash(store, start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        proof.append(_range_hash(store, start, end))
    proof.reverse()
    return proof


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_hash(p) for p in proof)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2; False for any malformed input, never an exception."""
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_proof(proof)):
        return False
    if not (_is_count(index) and _is_count(size)) or not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2; False for any malformed input, never an exception.

    ``first == second`` holds only with an empty proof and equal roots; ``first == 0`` is
    rejected, matching :func:`consistency_proof`.
    """
    if not (_is_hash(first_root) and _is_hash(second_root) and _is_proof(proof)):
        return False
    if not (_is_count(first) and _is_count(second)) or not 0 < first <= second:
        return False
    if first == second:
        return len(proof) == 0 and first_root == second_root
    if not proof:
        return False
    path = [bytes(p) for p in proof]
    if first & (first - 1) == 0:
        path.insert(0, bytes(first_root))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference MTH straight from the RFC 6962 definition, for cross-checking the store."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))
