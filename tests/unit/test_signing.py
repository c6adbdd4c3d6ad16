from __future__ import annotations

import base64
import dataclasses
import hashlib
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from service.audit.signing import (
    TreeHead,
    TreeHeadSigner,
    load_or_create_signing_key,
    tree_head_message,
    verify_tree_head,
)

SIGNER = TreeHeadSigner.generate()
ROOT = hashlib.sha256(b"some root").hexdigest()
TIMESTAMP = "2026-11-22T18:00:00Z"


def signed() -> TreeHead:
    return SIGNER.sign(42, ROOT, TIMESTAMP)


def test_a_signed_tree_head_verifies_with_the_signers_key() -> None:
    head = signed()
    assert (head.size, head.root, head.timestamp) == (42, ROOT, TIMESTAMP)
    assert verify_tree_head(head, SIGNER.public_pem())
    assert verify_tree_head(head, SIGNER.public_pem().decode())
    assert verify_tree_head(head, SIGNER.public_key_b64())
    assert verify_tree_head(head, SIGNER.public_key_b64().encode())


def test_the_signed_message_is_the_documented_canonical_form() -> None:
    head = signed()
    message = b"rekap-tree-head-v1\n" + f"42\n{ROOT}\n{TIMESTAMP}\n".encode()
    assert tree_head_message(42, ROOT, TIMESTAMP) == message
    SIGNER.public_key.verify(base64.b64decode(head.signature), message)


def test_key_id_is_the_start_of_the_public_key_hash() -> None:
    raw = base64.b64decode(SIGNER.public_key_b64())
    assert len(raw) == 32
    assert signed().key_id == SIGNER.key_id == hashlib.sha256(raw).hexdigest()[:16]


def test_tree_head_survives_a_dict_round_trip() -> None:
    head = signed()
    assert head.to_dict() == {
        "size": 42,
        "root": ROOT,
        "timestamp": TIMESTAMP,
        "signature": head.signature,
        "key_id": head.key_id,
    }
    assert TreeHead.from_dict(head.to_dict()) == head


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"size": 1},
        {**signed().to_dict(), "size": "42"},
        {**signed().to_dict(), "root": 1},
    ],
)
def test_from_dict_rejects_malformed_heads(data: object) -> None:
    with pytest.raises(ValueError):
        TreeHead.from_dict(data)


def test_default_timestamp_is_now_in_utc() -> None:
    head = SIGNER.sign(1, ROOT)
    moment = datetime.strptime(head.timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)
    assert verify_tree_head(head, SIGNER.public_key_b64())


def test_aware_datetimes_are_converted_to_utc() -> None:
    jakarta = timezone(timedelta(hours=7))
    head = SIGNER.sign(1, ROOT, datetime(2026, 11, 23, 1, 0, 0, 123, tzinfo=jakarta))
    assert head.timestamp == TIMESTAMP
    with pytest.raises(ValueError):
        SIGNER.sign(1, ROOT, datetime(2026, 11, 23, 1, 0, 0))


@pytest.mark.parametrize(
    "size, root, timestamp",
    [
        (-1, ROOT, TIMESTAMP),
        (1, ROOT.upper(), TIMESTAMP),
        (1, ROOT[:-2], TIMESTAMP),
        (1, ROOT, "2026-11-22 18:00:00"),
        (1, ROOT, "2026-13-22T18:00:00Z"),
        (True, ROOT, TIMESTAMP),
    ],
)
def test_signing_refuses_non_canonical_fields(size: int, root: str, timestamp: str) -> None:
    with pytest.raises(ValueError):
        SIGNER.sign(size, root, timestamp)


@pytest.mark.parametrize(
    "change",
    [
        {"size": 43},
        {"size": 0},
        {"root": hashlib.sha256(b"other root").hexdigest()},
        {"root": ROOT.upper()},
        {"timestamp": "2026-11-22T18:00:01Z"},
        {"timestamp": "garbage"},
        {"signature": base64.b64encode(b"\x00" * 64).decode()},
        {"signature": "not base64!"},
        {"signature": ""},
        {"key_id": "0000000000000000"},
    ],
)
def test_any_tampered_field_fails_verification(change: dict[str, object]) -> None:
    assert not verify_tree_head(dataclasses.replace(signed(), **change), SIGNER.public_key_b64())


def test_a_flipped_signature_bit_fails_verification() -> None:
    head = signed()
    raw = bytearray(base64.b64decode(head.signature))
    raw[10] ^= 1
    tampered = dataclasses.replace(head, signature=base64.b64encode(bytes(raw)).decode())
    assert not verify_tree_head(tampered, SIGNER.public_key_b64())


def test_another_key_fails_verification() -> None:
    other = TreeHeadSigner.generate()
    head = signed()
    assert not verify_tree_head(head, other.public_key_b64())
    assert not verify_tree_head(head, other.public_pem())
    assert not verify_tree_head(dataclasses.replace(head, key_id=other.key_id), other.public_pem())


@pytest.mark.parametrize(
    "key", ["", "AAAA", "not a key", b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n"]
)
def test_malformed_public_keys_fail_verification(key: str | bytes) -> None:
    assert not verify_tree_head(signed(), key)


def test_pem_round_trip_keeps_the_key() -> None:
    again = TreeHeadSigner.from_pem(SIGNER.private_pem())
    assert again.key_id == SIGNER.key_id
    assert again.public_pem() == SIGNER.public_pem()


def test_load_or_create_writes_a_private_key_file_and_reloads_it(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "nested" / "tree-head.pem"
    created = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == created.private_pem()
    assert sorted(p.name for p in path.parent.iterdir()) == ["tree-head.pem"]

    reloaded = load_or_create_signing_key(path)
    assert reloaded.key_id == created.key_id
    head = reloaded.sign(3, ROOT, TIMESTAMP)
    assert verify_tree_head(head, created.public_key_b64())
