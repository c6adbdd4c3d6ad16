from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.audit.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    mth,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 70

# RFC 6962 reference tree, as used by the Certificate Transparency test data.
RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
RFC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def leaves(count: int) -> list[bytes]:
    return [leaf_hash(b"leaf %d" % i) for i in range(count)]


def build(hashes: list[bytes]) -> MemoryNodeStore:
    store = MemoryNodeStore()
    append_leaves(store, 0, hashes)
    return store


def naive_path(index: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) written exactly as in RFC 6962 section 2.1.1."""
    n = len(hashes)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if index < k:
        return [*naive_path(index, hashes[:k]), mth(hashes[k:])]
    return [*naive_path(index - k, hashes[k:]), mth(hashes[:k])]


def naive_subproof(m: int, hashes: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) written exactly as in RFC 6962 section 2.1.2."""
    n = len(hashes)
    if m == n:
        return [] if complete else [mth(hashes)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*naive_subproof(m, hashes[:k], complete), mth(hashes[k:])]
    return [*naive_subproof(m - k, hashes[k:], False), mth(hashes[:k])]


HASHES = leaves(MAX_SIZE)
STORE = build(HASHES)
ROOTS = [mth(HASHES[:n]) for n in range(MAX_SIZE + 1)]


class CountingStore(MemoryNodeStore):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0
        self.puts = 0

    def get(self, level: int, index: int) -> bytes:
        self.gets += 1
        return super().get(level, index)

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        self.puts += 1
        super().put_many(nodes)


def test_hashes_use_rfc_6962_domain_separation() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert root(MemoryNodeStore(), 0) == EMPTY_ROOT
    assert mth([]) == EMPTY_ROOT


def test_rfc_6962_reference_tree_has_the_known_roots() -> None:
    hashes = [leaf_hash(data) for data in RFC_LEAVES]
    store = build(hashes)
    for size, expected in enumerate(RFC_ROOTS, start=1):
        assert mth(hashes[:size]).hex() == expected
        assert root(store, size).hex() == expected


def test_rfc_6962_reference_tree_has_the_known_proofs() -> None:
    store = build([leaf_hash(data) for data in RFC_LEAVES])
    assert [p.hex() for p in inclusion_proof(store, 0, 8)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [p.hex() for p in consistency_proof(store, 6, 8)] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]


def test_root_matches_the_reference_implementation_for_every_size() -> None:
    for size in range(MAX_SIZE + 1):
        assert root(STORE, size) == ROOTS[size]


def test_inclusion_proofs_match_the_rfc_path_and_verify_for_every_index() -> None:
    for size in range(1, MAX_SIZE + 1):
        for index in range(size):
            proof = inclusion_proof(STORE, index, size)
            assert proof == naive_path(index, HASHES[:size]), (index, size)
            assert verify_inclusion(HASHES[index], index, size, proof, ROOTS[size])


def test_consistency_proofs_match_the_rfc_proof_and_verify_for_every_first_size() -> None:
    for second in range(1, MAX_SIZE + 1):
        for first in range(1, second + 1):
            proof = consistency_proof(STORE, first, second)
            assert proof == naive_subproof(first, HASHES[:second], True), (first, second)
            assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def test_store_holds_exactly_the_complete_subtrees() -> None:
    for size in (1, 2, 3, 7, 8, 33, MAX_SIZE):
        store = build(HASHES[:size])
        expected = {
            (level, index) for level in range(size.bit_length()) for index in range(size >> level)
        }
        assert {(level, index) for level, index, _ in store.items()} == expected


def test_appending_reads_and_writes_only_logarithmically_many_times() -> None:
    store = CountingStore()
    size = 0
    for _ in range(1000):
        before = store.gets
        size = append_leaves(store, size, [leaf_hash(b"%d" % size)])
        assert store.gets - before <= size.bit_length()
    assert store.puts == 1000
    assert append_leaves(store, size, []) == size
    assert store.puts == 1000


def test_root_and_proofs_need_only_logarithmically_many_reads() -> None:
    store = CountingStore()
    append_leaves(store, 0, leaves(1000))
    bound = 2 * (1000).bit_length() + 2
    for size in (1, 2, 511, 512, 513, 999, 1000):
        store.gets = 0
        root(store, size)
        assert store.gets <= bound
        for index in {0, size // 2, size - 1}:
            store.gets = 0
            inclusion_proof(store, index, size)
            assert store.gets <= bound
        for first in {1, size // 3 or 1, size - 1 or 1}:
            store.gets = 0
            consistency_proof(store, first, size)
            assert store.gets <= bound


def test_invalid_proof_requests_are_rejected() -> None:
    for index, size in [(0, 0), (5, 5), (6, 5), (-1, 5), (0, -1)]:
        with pytest.raises(ValueError):
            inclusion_proof(STORE, index, size)
    for first, second in [(0, 0), (0, 5), (6, 5), (-1, 5), (1, -1)]:
        with pytest.raises(ValueError):
            consistency_proof(STORE, first, second)
    with pytest.raises(ValueError):
        root(STORE, -1)
    assert consistency_proof(STORE, 5, 5) == []


def test_a_size_beyond_the_stored_tree_is_a_missing_node() -> None:
    with pytest.raises(KeyError):
        root(STORE, MAX_SIZE + 1)


def test_appending_rejects_anything_but_32_byte_hashes() -> None:
    with pytest.raises(ValueError):
        append_leaves(MemoryNodeStore(), 0, [b"short"])
    with pytest.raises(ValueError):
        append_leaves(MemoryNodeStore(), -1, HASHES[:1])


# Mutations in the style of transparency-dev/merkle's testdata; none may verify.

GARBAGE = hashlib.sha256(b"garbage").digest()
RANDOM_ROOT = hashlib.sha256(b"random root").digest()


def flip_bit(value: bytes, bit: int = 3) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


def proof_mutations(proof: list[bytes]) -> Iterator[tuple[str, list[bytes]]]:
    if proof:
        yield "modified-proof[0]-bit-3", [flip_bit(proof[0]), *proof[1:]]
    for i in range(len(proof) + 1):
        yield f"inserted-component-{i}", [*proof[:i], GARBAGE, *proof[i:]]
    for i in range(len(proof)):
        yield f"removed-component-{i}", proof[:i] + proof[i + 1 :]
    yield "preceding-garbage", [GARBAGE, *proof]
    yield "trailing-garbage", [*proof, GARBAGE]


def inclusion_mutations(
    leaf: bytes, index: int, size: int, proof: list[bytes], tree_root: bytes
) -> Iterator[tuple[str, Callable[[], bool]]]:
    yield "wrong-leaf", lambda: verify_inclusion(flip_bit(leaf), index, size, proof, tree_root)
    yield "leafIdx-+-1", lambda: verify_inclusion(leaf, index + 1, size, proof, tree_root)
    yield "leafIdx---1", lambda: verify_inclusion(leaf, index - 1, size, proof, tree_root)
    yield "treeSize-*-2", lambda: verify_inclusion(leaf, index, size * 2, proof, tree_root)
    yield "treeSize-div-2", lambda: verify_inclusion(leaf, index, size // 2, proof, tree_root)
    yield "empty-root", lambda: verify_inclusion(leaf, index, size, proof, b"")
    yield "random-root", lambda: verify_inclusion(leaf, index, size, proof, RANDOM_ROOT)
    for name, bad in proof_mutations(proof):
        yield name, lambda bad=bad: verify_inclusion(leaf, index, size, bad, tree_root)


def consistency_mutations(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> Iterator[tuple[str, Callable[[], bool]]]:
    def check(a: int, b: int, ra: bytes, rb: bytes, p: list[bytes]) -> Callable[[], bool]:
        return lambda: verify_consistency(a, b, ra, rb, p)

    yield "swapped-sizes", check(second, first, first_root, second_root, proof)
    yield "swapped-roots", check(first, second, second_root, first_root, proof)
    yield "first-zero", check(0, second, first_root, second_root, proof)
    yield "both-zero", check(0, 0, first_root, second_root, proof)
    yield "first-negative", check(-1, second, first_root, second_root, proof)
    yield "equal-sizes", check(second, second, first_root, second_root, proof)
    yield "first-+-1", check(first + 1, second, first_root, second_root, proof)
    yield "first---1", check(first - 1, second, first_root, second_root, proof)
    yield "second-*-2", check(first, second * 2, first_root, second_root, proof)
    yield "second-div-2", check(first, second // 2, first_root, second_root, proof)
    yield "wrong-first-root", check(first, second, flip_bit(first_root), second_root, proof)
    yield "wrong-second-root", check(first, second, first_root, flip_bit(second_root), proof)
    yield "empty-first-root", check(first, second, b"", second_root, proof)
    yield "empty-second-root", check(first, second, first_root, b"", proof)
    yield "random-second-root", check(first, second, first_root, RANDOM_ROOT, proof)
    for name, bad in proof_mutations(proof):
        yield name, check(first, second, first_root, second_root, bad)


def test_every_mutation_of_a_valid_inclusion_proof_fails() -> None:
    for size in range(1, 40):
        for index in range(size):
            proof = inclusion_proof(STORE, index, size)
            leaf, tree_root = HASHES[index], ROOTS[size]
            assert verify_inclusion(leaf, index, size, proof, tree_root)
            for name, attempt in inclusion_mutations(leaf, index, size, proof, tree_root):
                assert attempt() is False, (name, index, size)


def test_every_mutation_of_a_valid_consistency_proof_fails() -> None:
    for second in range(2, 40):
        for first in range(1, second):
            proof = consistency_proof(STORE, first, second)
            roots = ROOTS[first], ROOTS[second]
            assert verify_consistency(first, second, *roots, proof)
            for name, attempt in consistency_mutations(first, second, *roots, proof):
                assert attempt() is False, (name, first, second)


def test_equal_sizes_are_consistent_only_with_an_empty_proof_and_equal_roots() -> None:
    assert verify_consistency(7, 7, ROOTS[7], ROOTS[7], [])
    assert not verify_consistency(7, 7, ROOTS[7], ROOTS[8], [])
    assert not verify_consistency(7, 7, ROOTS[7], ROOTS[7], [GARBAGE])
    assert not verify_consistency(3, 7, ROOTS[3], ROOTS[7], [])


@pytest.mark.parametrize(
    "args",
    [
        ("not bytes", 0, 1, [], ROOTS[1]),
        (HASHES[0], "0", 1, [], ROOTS[1]),
        (HASHES[0], True, 2, [HASHES[1]], ROOTS[2]),
        (HASHES[0], 0, 1.0, [], ROOTS[1]),
        (HASHES[0], 0, 2, None, ROOTS[2]),
        (HASHES[0], 0, 2, [None], ROOTS[2]),
        (HASHES[0], 0, 2, [HASHES[1][:31]], ROOTS[2]),
        (HASHES[0], 0, 2, HASHES[1], ROOTS[2]),
        (HASHES[0], 0, 2, [HASHES[1]], None),
        (HASHES[0], 0, 2, [HASHES[1]], ROOTS[2] + b"\x00"),
    ],
)
def test_inclusion_verifier_returns_false_for_garbage(args: tuple[object, ...]) -> None:
    assert verify_inclusion(*args) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        (1, 2, ROOTS[1], ROOTS[2], None),
        (1, 2, ROOTS[1], ROOTS[2], [b"x"]),
        (1, 2, ROOTS[1], ROOTS[2], "proof"),
        ("1", 2, ROOTS[1], ROOTS[2], [HASHES[1]]),
        (1, 2.0, ROOTS[1], ROOTS[2], [HASHES[1]]),
        (1, 2, None, ROOTS[2], [HASHES[1]]),
        (1, 2, ROOTS[1], "root", [HASHES[1]]),
    ],
)
def test_consistency_verifier_returns_false_for_garbage(args: tuple[object, ...]) -> None:
    assert verify_consistency(*args) is False  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=300),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    max_chunk=st.sampled_from([1, 2, 3, 7, 16, 64, 300]),
)
def test_appending_in_random_chunks_matches_appending_at_once(
    size: int, seed: int, max_chunk: int
) -> None:
    hashes = leaves(size)
    at_once = build(hashes)
    rng = random.Random(seed)
    chunked = MemoryNodeStore()
    done = 0
    while done < size:
        chunk = hashes[done : done + rng.randint(1, max_chunk)]
        done = append_leaves(chunked, done, chunk)
        assert root(chunked, done) == root(at_once, done) == mth(hashes[:done])
    assert sorted(chunked.items()) == sorted(at_once.items())

    final_root = root(chunked, size)
    for index in range(size):
        proof = inclusion_proof(chunked, index, size)
        assert proof == inclusion_proof(at_once, index, size)
        assert verify_inclusion(hashes[index], index, size, proof, final_root)
    for first in range(1, size + 1):
        proof = consistency_proof(chunked, first, size)
        assert proof == consistency_proof(at_once, first, size)
        assert verify_consistency(first, size, root(chunked, first), final_root, proof)
