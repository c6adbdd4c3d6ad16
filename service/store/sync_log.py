"""What central answered to the steps pushed by kecamatan nodes that it could not apply: one row
per step in conflict, until the step is applied after all (a later push) or the kecamatan's
plenary certifies here after it (the officials settled it). The steps applied are events of the
log themselves, their origin in their actor; this table only keeps what the log cannot show."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from service.store.db import Database

TABLE = "sync_conflict"
# A node's own tables (empty elsewhere): who it is, and which events came from central.
NODE_STATE = "node_state"
NODE_IMPORTED = "node_imported"


def create_tables(db: Database) -> None:
    db.execute_script(
        [
            f"CREATE TABLE IF NOT EXISTS {NODE_STATE} (id INTEGER PRIMARY KEY, "
            "document TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {NODE_IMPORTED} (originator_id TEXT NOT NULL, "
            "version INTEGER NOT NULL, PRIMARY KEY (originator_id, version))",
            f"CREATE TABLE IF NOT EXISTS {TABLE} (step_id TEXT PRIMARY KEY, node TEXT NOT NULL, "
            "election_id TEXT NOT NULL, contest_id TEXT NOT NULL, region TEXT NOT NULL, "
            "target TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL, "
            "detail TEXT NOT NULL, done_at TEXT NOT NULL, reported_at TEXT NOT NULL, "
            "pushed_by TEXT NOT NULL, position BIGINT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_region ON {TABLE} (election_id, region)",
        ]
    )


def record_conflict(db: Database, row: dict[str, Any]) -> None:
    """Keep (or refresh) the conflict of one step; `position` is the log's head when first
    reported."""
    values = {
        **row,
        "detail": json.dumps(row["detail"], sort_keys=True),
        "reported_at": datetime.now(UTC).isoformat(),
    }
    columns = list(values)
    # a conflict reported again keeps its first position: settled once, it stays settled
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("step_id", "position"))
    with db.transaction() as tx:
        tx.execute(
            f"INSERT INTO {TABLE} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT (step_id) DO UPDATE SET {updates}",
            [values[c] for c in columns],
        )


def clear_conflict(db: Database, step_id: str) -> None:
    with db.transaction() as tx:
        tx.execute(f"DELETE FROM {TABLE} WHERE step_id = %s", (step_id,))


def conflicts_under(db: Any, election_id: str, contest_id: str, code: str) -> list[dict[str, Any]]:
    """The conflicts of the kecamatan under (or at) `code`, oldest first, each with whether its
    kecamatan's plenary has certified here since (then it is settled)."""
    low, high = (code, code + "~") if code else ("", "~")
    rows = db.query(
        f"SELECT c.*, p.status AS plenary_status, p.position AS plenary_position "
        f"FROM {TABLE} c LEFT JOIN plenary p ON p.election_id = c.election_id "
        "AND p.contest_id = c.contest_id AND p.code = c.region "
        "WHERE c.election_id = %s AND c.contest_id = %s AND c.region >= %s AND c.region < %s "
        "ORDER BY c.position, c.done_at, c.step_id",
        (election_id, contest_id, low, high),
    )
    found = []
    for r in rows:
        certified = r["plenary_status"] == "certified"
        settled = certified and (r["plenary_position"] or 0) > r["position"]
        found.append(
            {
                "step": r["step_id"],
                "node": r["node"],
                "region": r["region"],
                "target": r["target"],
                "kind": r["kind"],
                "code": r["code"],
                "reason": r["reason"],
                "detail": json.loads(r["detail"]),
                "done_at": r["done_at"],
                "reported_at": r["reported_at"],
                "pushed_by": r["pushed_by"],
                "status": "settled" if settled else "open",
            }
        )
    return found
