"""The C2SP formats against published test vectors, and parsers against hostile input.

Vectors are copied, with attribution, from:
- c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature, tlog-tiles (C2SP, CC BY 4.0);
- golang.org/x/mod/sumdb/note/note_test.go (The Go Authors, BSD 3-Clause);
- github.com/transparency-dev/formats log/checkpoint_test.go, note/note_cosigv1_test.go and
  proof/tlog_proof_test.go (Google LLC, Apache 2.0).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.audit.checkpoint import Checkpoint, CheckpointError
from service.audit.merkle import MemoryNodeStore, append_leaves, consistency_proof, root
from service.audit.note import (
    COSIGNATURE_V1,
    Note,
    NoteError,
    NoteSignature,
    Signer,
    Verifier,
    open_note,
    parse_note,
)
from service.audit.tiles import Tile, TileNodeStore, encode_index, parse_tile_path, tiles_of
from service.audit.tlogproof import ProofFormatError, TlogProof

# c2sp.org/signed-note, "Example"
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6Tf"
    "Xppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# golang.org/x/mod/sumdb/note/note_test.go
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)
# c2sp.org/tlog-checkpoint and tlog-cosignature examples
SOFA = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_COSIGNATURE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJ"
    "sX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def test_the_signed_note_spec_example_verifies() -> None:
    verifier = Verifier.from_vkey(SPEC_VKEY)
    note, verified = open_note(SPEC_NOTE.encode(), [verifier])
    assert note.text == "This is an example message.\n" and verified == list(note.signatures)
    assert verifier.vkey() == SPEC_VKEY


def test_go_s_key_signs_its_vector_byte_for_byte() -> None:
    signer = Signer.from_skey(PETER_SKEY)
    assert signer.verifier.vkey() == PETER_VKEY and signer.skey() == PETER_SKEY
    assert Note(TEXT, (signer.sign(TEXT),)).encode().decode() == TEXT + "\n" + PETER_SIG


def test_go_s_open_rules_hold() -> None:
    peter, enoch = Verifier.from_vkey(PETER_VKEY), Verifier.from_vkey(ENOCH_VKEY)
    both = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    assert [s.name for s in open_note(both, [peter])[1]] == ["PeterNeumann"]
    assert [s.name for s in open_note(both, [peter, enoch])[1]] == ["PeterNeumann", "EnochRoot"]
    with pytest.raises(NoteError, match="no signature by a key"):
        open_note(both, [])
    with pytest.raises(NoteError, match="at most 100"):
        open_note((TEXT + "\n" + PETER_SIG * 101).encode(), [peter])
    corrupt = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann"):
        open_note(corrupt.encode(), [peter])
    with pytest.raises(NoteError, match="ambiguous"):
        open_note((TEXT + "\n" + ENOCH_SIG).encode(), [enoch, peter, enoch])


def test_mangled_verifier_keys_are_refused() -> None:
    raw = PETER_VKEY.encode()
    for i in range(len(raw)):
        mangled = bytearray(raw)
        mangled[i] = mangled[i] + 1
        with pytest.raises(NoteError):
            Verifier.from_vkey(mangled.decode())
    # transparency-dev/formats note_cosigv1_test.go
    assert Verifier.from_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    remora = Verifier.from_vkey(
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    )
    assert remora.signature_type == COSIGNATURE_V1
    for bad in [
        "bananas.sigstore.dev+12344556",
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
        "rekor.sigstore.dev+12345678+AwEB",
    ]:
        with pytest.raises(NoteError):
            Verifier.from_vkey(bad)


def test_the_spec_checkpoint_and_cosignature_read_as_written() -> None:
    checkpoint = Checkpoint.parse(SOFA)
    assert (checkpoint.origin, checkpoint.size, checkpoint.text()) == (
        "example.com/behind-the-sofa",
        20852163,
        SOFA,
    )
    cosignature = NoteSignature.parse_line(SOFA_COSIGNATURE.rstrip("\n"))
    assert cosignature.name == "witness.example.com/w1" and len(cosignature.signature) == 72
    witness = Verifier(cosignature.name, cosignature.key_hash, COSIGNATURE_V1, bytes(32))
    assert witness.timestamp(cosignature) == 1679315147  # the spec's "time 1679315147"


def test_a_cosignature_covers_the_whole_text_and_its_time() -> None:
    signer = Signer.from_skey(PETER_SKEY, COSIGNATURE_V1)
    text = SOFA + "time 2024-11-27T18:00:00Z\n"
    signature = signer.sign(text, 1_732_700_000)
    assert signer.verifier.verify(text, signature)
    assert not signer.verifier.verify(text.replace("18:00", "18:01"), signature)
    later = NoteSignature(
        signature.name, signature.key_hash, b"\0" * 7 + b"\1" + signature.signature[8:]
    )
    assert not signer.verifier.verify(text, later)
    assert signer.verifier.key_hash != Signer.from_skey(PETER_SKEY).verifier.key_hash


@pytest.mark.parametrize(
    "text",
    [  # transparency-dev/formats log/checkpoint_test.go, the invalid ones
        "Head\n9944\n",
        "\n9944\ndGhlIHZpZXcgZnJvbSB0aGUgdHJlZSB0b3BzIGlzIGdyZWF0IQ==\n",
        "Log\n123\nYmFuYW5hcw==",
        "Log\nbananas\ndGhlIHZpZXcgZnJvbSB0aGUgdHJlZSB0b3BzIGlzIGdyZWF0IQ==\n",
        "Log\n-34\ndGhlIHZpZXcgZnJvbSB0aGUgdHJlZSB0b3BzIGlzIGdyZWF0IQ==\n",
        "Log\n3438945738945739845734895735\ndGhlIHZpZXcgZnJvbSB0aGUgdHJlZSB0b3BzIGlzIGdyZWF0IQ==\n",
        "Log\n123\nThisIsn'tBase64\n",
        # and what tlog-checkpoint forbids beyond them
        "Log\n0123\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "Log\n123\nYmFuYW5hcw==\n",  # a root that is not 32 bytes
        SOFA + "\n",  # an empty extension line
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(text)


def test_proof_files_are_written_as_the_reference_writes_them() -> None:
    # transparency-dev/formats proof/tlog_proof_test.go TestMarshal
    h1, h2 = hashlib.sha256(b"hash1").digest(), hashlib.sha256(b"hash2").digest()
    b1, b2 = base64.b64encode(h1).decode(), base64.b64encode(h2).decode()
    proof = TlogProof(5, (h1, h2), b"test checkpoint\n")
    assert (
        proof.encode().decode()
        == f"c2sp.org/tlog-proof@v1\nindex 5\n{b1}\n{b2}\n\ntest checkpoint\n"
    )
    extra = TlogProof(10, (h1,), b"checkpoint data\n", b"extra information")
    assert extra.encode().decode() == (
        f"c2sp.org/tlog-proof@v1\nextra {base64.b64encode(b'extra information').decode()}\n"
        f"index 10\n{b1}\n\ncheckpoint data\n"
    )
    assert (
        TlogProof(0, (), b"checkpoint\n").encode()
        == b"c2sp.org/tlog-proof@v1\nindex 0\n\ncheckpoint\n"
    )
    for value in (proof, extra, TlogProof(789, (), b"checkpoint\n")):
        assert TlogProof.parse(value.encode()) == value


@pytest.mark.parametrize(
    "data",
    [  # transparency-dev/formats proof/tlog_proof_test.go TestUnmarshalErrors
        b"wrong-header\nindex 0\n\ncheckpoint\n",
        b"c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\ncheckpoint\n",
        b"c2sp.org/tlog-proof@v1\n\n\ncheckpoint\n",
        b"c2sp.org/tlog-proof@v1\nindex notanumber\n\ncheckpoint\n",
        b"c2sp.org/tlog-proof@v1\nindex -5\n\ncheckpoint\n",
        b"c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\ncheckpoint\n",
        b"c2sp.org/tlog-proof@v1\nindex 0\n" + base64.b64encode(bytes(64)) + b"\n\ncheckpoint\n",
        b"c2sp.org/tlog-proof@v1\nindex 0\n" + b"a" * (65 * 1024) + b"\n",
    ],
)
def test_malformed_proof_files_are_refused(data: bytes) -> None:
    with pytest.raises(ProofFormatError):
        TlogProof.parse(data)


def test_the_tile_layout_of_the_spec_example() -> None:
    # c2sp.org/tlog-tiles: a tree of 70,000 leaves
    tiles = list(tiles_of(70000))
    hashes = [t for t in tiles if t.level is not None]
    assert sum(1 for t in hashes if t.level == 0 and t.full) == 273
    assert [t.path() for t in hashes if not t.full] == [
        "tile/0/273.p/112",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ]
    assert [t.path() for t in tiles_of(256) if t.level is not None] == [
        "tile/0/000",
        "tile/1/000.p/1",
    ]
    assert encode_index(1234067) == "x001/x234/067"
    assert parse_tile_path("tile/entries/x001/x234/067.p/8") == Tile(None, 1234067, 8)
    for bad in ["tile/0/1234", "tile/64/000", "tile/0/000.p/256", "tile/0/000.p/0", "tile/00/000"]:
        with pytest.raises(ValueError):
            parse_tile_path(bad)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5000), st.data())
def test_tiles_give_the_roots_and_proofs_of_the_tree(size: int, data: st.DataObject) -> None:
    store = MemoryNodeStore()
    append_leaves(store, 0, [hashlib.sha256(str(i).encode()).digest() for i in range(size)])

    def fetch(tile: Tile) -> bytes:
        assert tile.level is not None and tile.leaves_needed() <= size
        return b"".join(store.get(8 * tile.level, tile.start + i) for i in range(tile.width))

    tiled = TileNodeStore(fetch, size)
    smaller = data.draw(st.integers(1, size))
    assert root(tiled, smaller) == root(store, smaller)
    assert consistency_proof(tiled, smaller, size) == consistency_proof(store, smaller, size)


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=400)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_hostile_bytes_never_break_the_parsers(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for parse, value in (
        (parse_note, data),
        (TlogProof.parse, data),
        (Checkpoint.parse, text),
        (parse_tile_path, text),
    ):
        with contextlib.suppress(ValueError):  # their errors are ValueErrors, nothing else
            parse(value)  # type: ignore[operator]
