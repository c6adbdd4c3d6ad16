"""Offline proofs (c2sp.org/tlog-proof) and the policy a reader checks them against.

A rekap proof file (``.tlog-proof``) is::

    c2sp.org/tlog-proof@v1
    extra <base64 of the event's canonical leaf record>
    index <leaf index>
    <base64 inclusion proof hash, leaf side first, one a line>
    <empty line>
    <the checkpoint, with its signature and the witnesses' cosignatures>

The extra data is the record the leaf commits to (service/audit/leaves.py): it is not trusted
as such, its leaf hash is computed and proved included under the checkpoint's root. A reader's
``Policy`` names the log's verifier key (which fixes the origin) and the witnesses it trusts,
and how many of them must have cosigned.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from service.audit.checkpoint import Checkpoint, CheckpointError
from service.audit.leaves import check_record
from service.audit.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from service.audit.note import Note, NoteError, Verifier, parse_note
from service.audit.proofcheck import CheckResult

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_BYTES = 4 << 20
_INDEX_RE = re.compile(r"0|[1-9][0-9]{0,18}")


class ProofFormatError(ValueError):
    """Bytes that are not a tlog-proof."""


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def encode(self) -> bytes:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint

    @classmethod
    def parse(cls, data: bytes) -> TlogProof:
        if len(data) > MAX_PROOF_BYTES:
            raise ProofFormatError(f"a proof is at most {MAX_PROOF_BYTES} bytes")
        head, separator, checkpoint = data.partition(b"\n\n")
        if not separator:
            raise ProofFormatError("a proof needs an empty line before its checkpoint")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError as exc:
            raise ProofFormatError("the lines before the checkpoint must be ASCII") from exc
        if lines[0] != HEADER:
            raise ProofFormatError(f"a proof starts with the line {HEADER}")
        rest, extra = lines[1:], None
        if rest and rest[0].startswith("extra "):
            extra = _base64(rest.pop(0)[len("extra ") :], "extra data")
        if not rest or not rest[0].startswith("index "):
            raise ProofFormatError("a proof needs an 'index <n>' line")
        index_text = rest.pop(0)[len("index ") :]
        if not _INDEX_RE.fullmatch(index_text) or int(index_text) >= 2**63:
            raise ProofFormatError(f"index {index_text[:30]!r} is not a decimal leaf index")
        hashes = tuple(_base64(line, "proof hash") for line in rest)
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ProofFormatError(f"every proof hash must be {HASH_SIZE} bytes")
        if len(hashes) > 63:
            raise ProofFormatError("an inclusion proof has at most 63 hashes")
        return cls(int(index_text), hashes, checkpoint, extra)


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ProofFormatError(f"the {what} is not base64") from exc


def is_tlog_proof(data: bytes) -> bool:
    return data.startswith(HEADER.encode() + b"\n")


@dataclass
class Policy:
    """What a reader trusts: the log's key and origin, and ``quorum`` of ``witnesses``."""

    log: Verifier
    witnesses: list[Verifier] = field(default_factory=list)
    quorum: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.quorum <= len(self.witnesses):
            raise ValueError(
                f"a quorum of {self.quorum} cannot be met by {len(self.witnesses)} witnesses"
            )


def check_checkpoint(result: CheckResult, data: bytes, policy: Policy) -> Checkpoint | None:
    """Check the log's signature, the origin and the witness quorum; the checkpoint if read."""
    try:
        note = parse_note(data)
        checkpoint = Checkpoint.parse(note.text)
    except (NoteError, CheckpointError) as exc:
        result.failed(f"the checkpoint cannot be read: {exc}")
        return None
    if checkpoint.origin != policy.log.name:
        result.failed(f"the checkpoint is of {checkpoint.origin!r}, not of {policy.log.name!r}")
        return None
    if not _signed_by(result, note, policy.log, "the log"):
        return None
    cosigned = [w for w in policy.witnesses if _signed_by(result, note, w, "witness")]
    if len(cosigned) >= policy.quorum:
        if policy.witnesses:
            result.passed(
                f"{len(cosigned)} of {len(policy.witnesses)} trusted witnesses cosigned "
                f"(policy: at least {policy.quorum})"
            )
    else:
        result.failed(
            f"only {len(cosigned)} of the {len(policy.witnesses)} trusted witnesses cosigned this "
            f"checkpoint; the policy asks for {policy.quorum}"
        )
    return checkpoint


def _signed_by(result: CheckResult, note: Note, verifier: Verifier, who: str) -> bool:
    mine = [s for s in note.signatures if verifier.matches(s)]
    if not mine:
        if verifier.signature_type != 0x04:
            result.failed(f"{who} ({verifier.name}) did not sign the checkpoint")
        return False
    if not all(verifier.verify(note.text, s) for s in mine):
        result.failed(f"the signature of {who} ({verifier.name}) does not verify")
        return False
    timestamp = verifier.timestamp(mine[0])
    when = f" at {timestamp} (seconds since 1970)" if timestamp is not None else ""
    result.passed(f"{who} ({verifier.name}) signed the checkpoint{when}")
    return True


def check_tlog_proof(data: bytes, policy: Policy) -> tuple[CheckResult, dict[str, Any] | None]:
    """Check a proof file offline; the result, and the event's record when it could be read."""
    result = CheckResult()
    try:
        proof = TlogProof.parse(data)
    except ProofFormatError as exc:
        result.failed(f"malformed proof: {exc}")
        return result, None
    checkpoint = check_checkpoint(result, proof.checkpoint, policy)
    record = _read_record(result, proof.extra)
    if checkpoint is None or proof.extra is None:
        return result, record
    leaf = leaf_hash(proof.extra)
    if verify_inclusion(leaf, proof.index, checkpoint.size, list(proof.hashes), checkpoint.root):
        result.passed(
            f"the record is leaf {proof.index} of the log's tree of size {checkpoint.size} "
            f"(root {checkpoint.root.hex()})"
        )
    else:
        result.failed(
            f"the inclusion proof does not lead from the record as leaf {proof.index} to the "
            f"root of size {checkpoint.size}"
        )
    return result, record


def _read_record(result: CheckResult, extra: bytes | None) -> dict[str, Any] | None:
    if extra is None:
        result.failed("the proof carries no record (extra data): there is no leaf to check")
        return None
    try:
        record = json.loads(extra)
    except (UnicodeDecodeError, ValueError):
        result.failed("the extra data is not a rekap leaf record (JSON)")
        return None
    problem = check_record(record)
    if problem is not None:
        result.failed(f"the extra data is not a rekap leaf record: {problem}")
        return None
    return record
