"""The audit tree: one leaf per stored event, complete subtrees, and signed tree heads.

Leaves are indexed 0..n-1 in log order and each records its log position and the event's
time; `audit_node` holds every complete subtree (see service.audit.merkle), so the root and
the proofs of any size up to n are read from O(log n) rows. A batch of events costs one read
of their stored bytes (the leaf commits to those bytes, never to a re-encoding), O(log n) reads
of left siblings and one write per table.

Tree heads are signed here too, when the projection has applied events and the last head is
older than `head_interval` seconds, and on demand (`publish_head`): each is a checkpoint of the
log's origin (service/audit/checkpoint.py). `audit_tree_head` is not a read model that a rebuild
may drop: it is what was published, so `table_names` leaves it out, as it leaves out
`audit_cosignature`, the witnesses' cosignatures of those checkpoints.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Notification

from service.audit.leaves import raw_leaf_hash
from service.audit.merkle import append_leaves, root
from service.audit.signing import TreeHead, TreeHeadSigner, load_or_create_signing_key
from service.config import DEFAULT_LOG_ORIGIN
from service.read.projections.base import LoggedEvent
from service.store.db import Tx
from service.store.eventlog import raw_events_between

HEAD_INTERVAL = 10.0
HEAD_COLUMNS = "size, root, timestamp, signature, key_id, origin"


class TxNodeStore:
    """The NodeStore of service.audit.merkle on the `audit_node` table, inside one transaction."""

    def __init__(self, tx: Tx, prefix: str = "") -> None:
        self.tx = tx
        self.table = f"{prefix}audit_node"

    def get(self, level: int, index: int) -> bytes:
        found = self.tx.scalar(
            f"SELECT hash FROM {self.table} WHERE level = %s AND idx = %s", (level, index)
        )
        if found is None:
            raise KeyError((level, index))
        return bytes.fromhex(found)

    def put_many(self, nodes: Iterable[tuple[int, int, bytes]]) -> None:
        self.tx.insert_rows(
            f"INSERT INTO {self.table} (level, idx, hash) VALUES (%s, %s, %s)",
            [(level, index, value.hex()) for level, index, value in nodes],
        )


def tree_size(tx: Tx, prefix: str = "") -> int:
    found = tx.scalar(f"SELECT MAX(leaf_index) FROM {prefix}audit_leaf")
    return 0 if found is None else int(found) + 1


def latest_head(tx: Tx, prefix: str = "") -> TreeHead | None:
    rows = tx.query(
        f"SELECT {HEAD_COLUMNS} FROM {prefix}audit_tree_head ORDER BY size DESC LIMIT 1"
    )
    return TreeHead(**rows[0]) if rows else None


def publish_head(
    tx: Tx, signer: TreeHeadSigner, prefix: str = "", origin: str = DEFAULT_LOG_ORIGIN
) -> TreeHead | None:
    """Sign and store a checkpoint at the current size if the tree grew since the last one."""
    size = tree_size(tx, prefix)
    last = latest_head(tx, prefix)
    if size == 0 or (last is not None and last.size >= size):
        return last
    tree_root = root(TxNodeStore(tx, prefix), size).hex()
    head = signer.sign(size, tree_root, datetime.now(UTC), origin=origin)
    position = tx.scalar(
        f"SELECT position FROM {prefix}audit_leaf WHERE leaf_index = %s", (size - 1,)
    )
    tx.execute(
        f"INSERT INTO {prefix}audit_tree_head ({HEAD_COLUMNS}, position) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (size) DO NOTHING",
        (head.size, head.root, head.timestamp, head.signature, head.key_id, origin, position),
    )
    return head


def add_origin_column(tx: Tx, prefix: str = "") -> None:
    """Stores made before checkpoints have no `origin` column: add it (their heads keep NULL)."""
    table = f"{prefix}audit_tree_head"
    if tx.is_sqlite:
        columns = {r["name"] for r in tx.query(f"PRAGMA table_info({table})")}
    else:
        columns = {
            r["column_name"]
            for r in tx.query(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                (table,),
            )
        }
    if "origin" not in columns:
        tx.execute(f"ALTER TABLE {table} ADD COLUMN origin TEXT")


class MerkleProjection:
    name = "merkle"

    def __init__(
        self,
        prefix: str = "",
        key_path: Path | None = None,
        head_interval: float = HEAD_INTERVAL,
        origin: str = DEFAULT_LOG_ORIGIN,
    ) -> None:
        self.p = prefix
        self.key_path = key_path
        self.origin = origin
        self.head_interval = head_interval
        self._signer: TreeHeadSigner | None = None
        self._last_head = 0.0  # monotonic time of the last head this process published

    def reset(self) -> None:
        self._last_head = 0.0

    def scratch(self, prefix: str) -> MerkleProjection:
        """The same tree into tables named with `prefix`, signing nothing (a replay)."""
        return MerkleProjection(prefix, origin=self.origin)

    @property
    def signer(self) -> TreeHeadSigner | None:
        if self._signer is None and self.key_path is not None:
            self._signer = load_or_create_signing_key(self.key_path)
        return self._signer

    def table_names(self) -> list[str]:
        return [f"{self.p}audit_leaf", f"{self.p}audit_node"]

    def primary_keys(self) -> list[tuple[str, list[str]]]:
        return [(f"{self.p}audit_leaf", ["leaf_index"]), (f"{self.p}audit_node", ["level", "idx"])]

    def leaf_columns(self) -> dict[str, str]:
        """Per table, the SQL for the last leaf a row depends on: a row differs from a replay
        only if some leaf up to it does, so verify counts the rows from the leaf where the store
        and the tree part ways as what follows from it."""
        return {
            f"{self.p}audit_leaf": "leaf_index",
            f"{self.p}audit_node": "((idx + 1) << level) - 1",
        }

    def create_statements(self) -> list[str]:
        p = self.p
        return [
            f"CREATE TABLE IF NOT EXISTS {p}audit_leaf (leaf_index BIGINT PRIMARY KEY, "
            "position BIGINT NOT NULL UNIQUE, leaf_hash TEXT NOT NULL, at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {p}audit_leaf_at ON {p}audit_leaf (at)",
            f"CREATE TABLE IF NOT EXISTS {p}audit_node (level INTEGER NOT NULL, "
            "idx BIGINT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (level, idx))",
            f"CREATE TABLE IF NOT EXISTS {p}audit_tree_head (size BIGINT PRIMARY KEY, "
            "root TEXT NOT NULL, timestamp TEXT NOT NULL, signature TEXT NOT NULL, "
            "key_id TEXT NOT NULL, position BIGINT NOT NULL, origin TEXT)",
            f"CREATE TABLE IF NOT EXISTS {p}audit_cosignature (size BIGINT NOT NULL, "
            "key_name TEXT NOT NULL, key_hash BIGINT NOT NULL, body_sha256 TEXT NOT NULL, "
            "signed_at BIGINT NOT NULL, line TEXT NOT NULL, received TEXT NOT NULL, "
            "PRIMARY KEY (size, key_name, key_hash))",
        ]

    def upgrade(self, tx: Tx) -> None:
        add_origin_column(tx, self.p)

    def apply(self, tx: Tx, events: list[LoggedEvent]) -> None:
        if not events:
            return
        wanted = {e.position: e for e in events}
        if all(e.notification is not None for e in events):
            # The runner read these rows from the event table for this very batch.
            raw = [_raw(e.notification) for e in events]  # type: ignore[arg-type]
        else:
            raw = [
                r
                for r in raw_events_between(tx, events[0].position, events[-1].position)
                if r["position"] in wanted
            ]
        if len(raw) != len(wanted):
            missing = sorted(wanted.keys() - {r["position"] for r in raw})
            raise RuntimeError(f"stored events at positions {missing[:5]} cannot be read back")
        size = tree_size(tx, self.p)
        hashes = [raw_leaf_hash(r) for r in raw]
        tx.insert_rows(
            f"INSERT INTO {self.p}audit_leaf (leaf_index, position, leaf_hash, at) "
            "VALUES (%s, %s, %s, %s)",
            [
                (size + i, r["position"], h.hex(), _time(wanted[r["position"]]))  # type: ignore[index]
                for i, (r, h) in enumerate(zip(raw, hashes, strict=True))
            ],
        )
        append_leaves(TxNodeStore(tx, self.p), size, hashes)
        if self.key_path is not None and time.monotonic() - self._last_head >= self.head_interval:
            signer = self.signer
            assert signer is not None
            publish_head(tx, signer, self.p, self.origin)
            self._last_head = time.monotonic()


def _raw(n: Notification) -> dict[str, Any]:
    return {
        "position": n.id,
        "originator_id": n.originator_id,
        "originator_version": n.originator_version,
        "topic": n.topic,
        "state": n.state,
    }


def _time(logged: LoggedEvent) -> str:
    moment: Any = getattr(logged.event, "timestamp", None)
    return moment.isoformat() if isinstance(moment, datetime) else ""
