"""The log's side of witnessing: the checkpoint it serves, and the cosignatures it attaches.

A witness (``rekap audit witness``) checks that a new checkpoint is consistent with the last
one it saw and posts it back with its cosignature (c2sp.org/tlog-cosignature). The log accepts
a cosignature only when

- the witness's verifier key is listed in ``REKAP_WITNESSES`` (one vkey a line; anyone else's
  cosignature is refused, so the served checkpoint carries no one's noise), and it verifies;
- the cosigned text is byte for byte the checkpoint this log signed at that size.

Each cosignature is stored with the SHA-256 of the text it signs and is attached only to that
exact text: a checkpoint the log might re-sign differently at the same size (a fork) would
never carry a cosignature made for another.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from service.audit.checkpoint import Checkpoint, CheckpointError
from service.audit.log import AuditLog
from service.audit.note import COSIGNATURE_V1, Note, NoteError, NoteSignature, Verifier, parse_note
from service.audit.signing import TreeHead
from service.store.db import Tx


def read_witness_keys(path: Path) -> list[Verifier]:
    """The cosigners listed in ``path`` (none if it does not exist); ValueError names a bad line."""
    if not path.exists():
        return []
    found: list[Verifier] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            verifier = Verifier.from_vkey(text)
        except NoteError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
        if verifier.signature_type != COSIGNATURE_V1:
            raise ValueError(f"{path}:{number}: not a cosignature/v1 key (type 0x04)")
        found.append(verifier)
    return found


def body_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def attached(tx: Tx, head: TreeHead) -> list[NoteSignature]:
    """The cosignatures received for exactly this head's checkpoint text, oldest witness first."""
    if head.origin is None:
        return []
    rows = tx.query(
        "SELECT line FROM audit_cosignature WHERE size = %s AND body_sha256 = %s "
        "ORDER BY key_name, key_hash",
        (head.size, body_digest(head.message().decode())),
    )
    return [NoteSignature.parse_line(r["line"].rstrip("\n")) for r in rows]


def checkpoint_note(audit: AuditLog, head: TreeHead) -> Note:
    """The signed checkpoint of ``head`` with every cosignature received for it."""
    with audit.db.transaction(write=False) as tx:
        cosignatures = attached(tx, head)
    return head.note(audit.signer.public_key).with_signatures(cosignatures)


def latest_checkpoint(audit: AuditLog) -> Note:
    head = audit.latest()
    if head.origin is None:
        raise NotFound(
            f"the latest tree head (size {head.size}) was signed before checkpoints; the next "
            "event gives the first checkpoint"
        )
    return checkpoint_note(audit, head)


def accept_cosigned(audit: AuditLog, body: bytes) -> Note:
    """Store the cosignatures of known witnesses on a checkpoint this log signed.

    422 for a body that is not a signed checkpoint of this log's origin, 404 for a size the log
    never signed, 409 when the text differs from the one the log signed at that size, 403 when
    no listed witness signed it or a listed witness's signature fails.
    """
    try:
        note = parse_note(body)
        checkpoint = Checkpoint.parse(note.text)
    except (NoteError, CheckpointError) as exc:
        message = f"not a signed checkpoint: {exc}"
        raise InvalidInput(message, [FieldError("body", str(exc))]) from exc
    if checkpoint.origin != audit.origin:
        raise InvalidInput(
            f"this log's origin is {audit.origin!r}, not {checkpoint.origin[:100]!r}",
            [FieldError("body", "origin")],
        )
    head = audit.head_of_size(checkpoint.size)
    if head is None or head.origin is None:
        raise NotFound(f"this log signed no checkpoint of size {checkpoint.size}")
    if head.message().decode() != note.text:
        raise Conflict(
            f"the cosigned text is not the checkpoint this log signed at size {checkpoint.size}"
        )
    try:
        witnesses = read_witness_keys(audit.services.settings.witnesses)
    except ValueError as exc:
        raise RuntimeError(f"REKAP_WITNESSES: {exc}") from exc
    accepted: list[tuple[NoteSignature, int]] = []
    for signature in note.signatures:
        known = [w for w in witnesses if w.matches(signature)]
        if not known:
            continue
        if not known[0].verify(note.text, signature):
            raise Forbidden(f"the cosignature of {signature.name} does not verify")
        accepted.append((signature, known[0].timestamp(signature) or 0))
    if not accepted:
        raise Forbidden(
            "no cosignature on this checkpoint is by a witness this log lists (REKAP_WITNESSES)"
        )
    received = datetime.now(UTC).isoformat()
    digest = body_digest(note.text)
    with audit.db.transaction() as tx:
        for signature, signed_at in accepted:
            tx.execute(
                "INSERT INTO audit_cosignature (size, key_name, key_hash, body_sha256, signed_at, "
                "line, received) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (size, key_name, key_hash) DO UPDATE SET "
                "body_sha256 = excluded.body_sha256, signed_at = excluded.signed_at, "
                "line = excluded.line, received = excluded.received "
                "WHERE excluded.signed_at > audit_cosignature.signed_at",
                (
                    head.size,
                    signature.name,
                    signature.key_hash,
                    digest,
                    signed_at,
                    signature.line(),
                    received,
                ),
            )
    return checkpoint_note(audit, head)
