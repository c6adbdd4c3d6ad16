"""Proof files (c2sp.org/tlog-proof) for one event, a TPS's current result, or a certificate.

The checkpoint a proof leads to is the newest one that includes the event and carries at least
one witness's cosignature, so that a reader's witness policy can be met; when no cosigned
checkpoint includes it yet (a fresh event), the newest checkpoint, signed now if needed.

Paths for the site: ``proof_path_for_event(position)`` and ``proof_path_for_tps(...)`` give the
public URLs (under ``/api/v1``) that answer these files; ``tps_result_proof`` the file itself.
"""

from __future__ import annotations

from urllib.parse import quote

from domain.codes import normalise
from domain.errors import NotFound
from domain.tps_result import TpsResult
from service.audit.cosignatures import attached, checkpoint_note
from service.audit.leaves import record_bytes, record_of
from service.audit.log import AuditLog
from service.audit.merkle import inclusion_proof
from service.audit.signing import TreeHead
from service.audit.tlogproof import TlogProof
from service.read.projections.merkle import HEAD_COLUMNS, TxNodeStore
from service.store.eventlog import existing_versions, position_of, raw_events_at

API = "/api/v1"


def proof_path_for_event(position: int) -> str:
    return f"{API}/audit/events/{position}/proof"


def proof_path_for_tps(election_id: str, contest_id: str, tps: str) -> str:
    parts = (quote(election_id, safe=""), quote(contest_id, safe=""), quote(tps, safe=""))
    return f"{API}/elections/{parts[0]}/contests/{parts[1]}/tps/{parts[2]}/proof"


def _checkpoint_for(audit: AuditLog, index: int) -> TreeHead:
    with audit.db.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT {HEAD_COLUMNS} FROM audit_tree_head h WHERE origin IS NOT NULL AND "
            "size > %s AND EXISTS (SELECT 1 FROM audit_cosignature c WHERE c.size = h.size) "
            "ORDER BY size DESC LIMIT 1",
            (index,),
        )
        if rows and attached(tx, TreeHead(**rows[0])):
            return TreeHead(**rows[0])
    head = audit.latest()
    if head.size <= index or head.origin is None:
        head = audit.publish() or head
    if head.size <= index or head.origin is None:
        raise NotFound(f"leaf {index} is not under a signed checkpoint yet; retry in a moment")
    return head


def event_proof(audit: AuditLog, position: int) -> TlogProof:
    """The proof file of the event at log ``position`` (NotFound before it is hashed)."""
    found = audit.db.query("SELECT leaf_index FROM audit_leaf WHERE position = %s", (position,))
    if not found:
        raise NotFound(f"no event at log position {position} in the audit tree")
    index = int(found[0]["leaf_index"])
    head = _checkpoint_for(audit, index)
    with audit.db.transaction(write=False) as tx:
        hashes = inclusion_proof(TxNodeStore(tx), index, head.size)
    raw = raw_events_at(audit.db, [position])
    note = checkpoint_note(audit, head)
    return TlogProof(index, tuple(hashes), note.encode(), record_bytes(record_of(raw[0])))


def tps_result_position(audit: AuditLog, election_id: str, contest_id: str, tps: str) -> int:
    """The log position of the event that set a TPS's current result."""
    code = normalise(tps)
    aggregate = TpsResult.create_id(election_id, contest_id, code)
    version = existing_versions(audit.db, [aggregate]).get(aggregate)
    if version is None:
        raise NotFound(f"TPS {code} has no result in contest {contest_id} of {election_id}")
    return position_of(audit.db, aggregate, version)


def tps_result_proof(audit: AuditLog, election_id: str, contest_id: str, tps: str) -> TlogProof:
    """The proof file of a TPS's current result: its latest event, with the form it carries."""
    return event_proof(audit, tps_result_position(audit, election_id, contest_id, tps))
