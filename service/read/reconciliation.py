"""The reconciliation of a region: how each of its kecamatan's results arrived (uploaded by the
KPPS or an operator, read from the C.Hasil in plenary, replayed from an offline node), what is
still missing, and every conflict of a node's push still open, so a KPU kab/kota official sees
which kecamatan still has work. Read from the recap's result versions (their source and the
origin in their actor), the plenaries and the conflicts central answered to pushes."""

from __future__ import annotations

from typing import Any

from domain.codes import NATION, Tier, is_within, tier_of
from domain.contests import Contest
from domain.errors import NotFound
from domain.plenary import PlenaryStatus
from service.store import sync_log
from service.store.db import Database

READ = '%"source":"plenary"%'
FROM_NODE = '%"origin":{%'
COUNTS = ("tps_total", "uploaded", "read_in_plenary", "from_node", "missing")


def reconciliation(db: Database, contest: Contest, code: str) -> dict[str, Any]:
    if not is_within(code, contest.region) or tier_of(code) in (Tier.TPS, Tier.DESA):
        raise NotFound(
            f"region {code} is not a region of contest {contest.contest_id} with kecamatan under it"
        )
    eid, cid = contest.election_id, contest.contest_id
    low, high = ("", "~") if code == NATION else (code, code + "~")
    with db.transaction(write=False) as tx:
        region = tx.query(
            "SELECT name, tier FROM region WHERE election_id = %s AND code = %s", (eid, code)
        )
        if not region and code != NATION:
            raise NotFound(f"no region {code} in election '{eid}'")
        kecamatan = tx.query(
            "SELECT code, name, tps_total FROM region WHERE election_id = %s "
            "AND tier = 'kecamatan' AND code >= %s AND code < %s ORDER BY code",
            (eid, low, high),
        )
        arrived = {
            r["kecamatan"]: r
            for r in tx.query(
                "SELECT substr(tps, 1, 6) AS kecamatan, "
                "COUNT(DISTINCT CASE WHEN version = 1 AND detail NOT LIKE %s THEN tps END) "
                "AS uploaded, "
                "COUNT(DISTINCT CASE WHEN version = 1 AND detail LIKE %s THEN tps END) "
                "AS read_in_plenary, "
                "COUNT(DISTINCT CASE WHEN actor LIKE %s THEN tps END) AS from_node "
                "FROM result_version WHERE election_id = %s AND contest_id = %s "
                "AND tps >= %s AND tps < %s GROUP BY substr(tps, 1, 6)",
                (READ, READ, FROM_NODE, eid, cid, low, high),
            )
        }
        plenaries = {
            r["code"]: r["status"]
            for r in tx.query(
                "SELECT code, status FROM plenary WHERE election_id = %s AND contest_id = %s "
                "AND tier = 'kecamatan' AND code >= %s AND code < %s",
                (eid, cid, low, high),
            )
        }
        node_steps = {
            r["code"]: int(r["steps"])
            for r in tx.query(
                "SELECT code, COUNT(*) AS steps FROM plenary_minutes WHERE election_id = %s "
                "AND contest_id = %s AND code >= %s AND code < %s AND actor LIKE %s "
                "GROUP BY code",
                (eid, cid, low, high, FROM_NODE),
            )
        }
        position = int(
            tx.scalar("SELECT position FROM projection_position WHERE name = 'recap'") or 0
        )
    conflicts = [
        c
        for c in sync_log.conflicts_under(db, eid, cid, "" if code == NATION else code)
        if c["status"] == "open"
    ]
    rows = [_row(k, arrived.get(k["code"]), plenaries, conflicts) for k in kecamatan]
    for row in rows:
        row["plenary_steps_from_node"] = node_steps.get(row["code"], 0)
    total = {name: sum(r[name] for r in rows) for name in COUNTS}
    return {
        "election": eid,
        "contest": cid,
        "code": code,
        "name": region[0]["name"] if region else "INDONESIA",
        "tier": tier_of(code).value,
        **total,
        "open_conflicts": len(conflicts),
        "with_work": [r["code"] for r in rows if r["work"]],
        "kecamatan": rows,
        "conflicts": conflicts,
        "position": position,
    }


def _row(
    kecamatan: dict[str, Any],
    arrived: dict[str, Any] | None,
    plenaries: dict[str, str],
    conflicts: list[dict[str, Any]],
) -> dict[str, Any]:
    code = kecamatan["code"]
    counts = {k: int(arrived[k]) if arrived else 0 for k in COUNTS[1:4]}
    missing = kecamatan["tps_total"] - counts["uploaded"] - counts["read_in_plenary"]
    status = plenaries.get(code, PlenaryStatus.NOT_OPEN.value)
    open_conflicts = sum(1 for c in conflicts if c["region"] == code)
    return {
        "code": code,
        "name": kecamatan["name"],
        "tps_total": kecamatan["tps_total"],
        **counts,
        "missing": missing,
        "plenary": status,
        "open_conflicts": open_conflicts,
        # work left: a TPS without result, a plenary not certified, or a conflict to settle
        "work": bool(missing or open_conflicts or status != PlenaryStatus.CERTIFIED.value),
    }
