"""The results read in plenary, as a read model of the plenary projection: one row per TPS whose
first result a kecamatan plenary read from its C.Hasil (its upload never came), so a region's
recap and the reconciliation view count and list them."""

from __future__ import annotations

from typing import Any

from service.store.db import Tx

TABLE = "plenary_result_read"


def create_statements(p: str) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {p}{TABLE} (election_id TEXT NOT NULL, "
        "contest_id TEXT NOT NULL, tps TEXT NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL, "
        "actor TEXT NOT NULL, at TEXT NOT NULL, position BIGINT NOT NULL, "
        "PRIMARY KEY (election_id, contest_id, tps))",
    ]


def record(
    tx: Tx, p: str, key: tuple[str, str, str], event: Any, at: str, position: int, actor: str
) -> dict[str, Any]:
    """Write the row of a `Plenary.ResultRead`; the minutes' entry for it."""
    eid, cid, code = key
    tx.execute(
        f"INSERT INTO {p}{TABLE} (election_id, contest_id, tps, code, reason, actor, at, "
        "position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (eid, cid, event.tps, code, event.reason, actor, at, position),
    )
    return {
        "tps": event.tps,
        "reason": event.reason,
        "evidence": event.evidence,
        "figures": summary(event.form),
    }


def summary(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: figures.get(k) for k in ("votes", "valid", "invalid", "total")}


def read_in_plenary(tx: Tx, p: str, eid: str, cid: str, low: str, high: str) -> list[str]:
    """The TPS in [low, high) whose result was read in plenary, in code order."""
    rows = tx.query(
        f"SELECT tps FROM {p}{TABLE} WHERE election_id = %s AND contest_id = %s "
        "AND tps >= %s AND tps < %s ORDER BY tps",
        (eid, cid, low, high),
    )
    return [r["tps"] for r in rows]
