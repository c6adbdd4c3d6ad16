"""What one kecamatan needs to work offline, as central has it: the election, its contests, the
kecamatan's regions (with the regions above it) and TPS, and every stored event of its results
and plenaries, byte for byte with their log positions. `rekap node export` writes it to a file
(gzip JSON: it travels on a USB stick), `GET /api/v1/sync/export` serves it for `rekap node pull`.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.codes import Tier, is_within, normalise, tier_of
from domain.contests import Contest
from domain.errors import InvalidInput, NotFound
from domain.plenary import Plenary
from domain.tps_result import TpsResult
from service.store.db import Database
from service.store.eventlog import events_table, position_column, raw_events_of

FORMAT = "rekap-node/1"


def kecamatan_of(code: str) -> str:
    region = normalise(code)
    if tier_of(region) is not Tier.KECAMATAN:
        raise InvalidInput(f"a node holds one kecamatan (6 digits), not '{code}'")
    return region


def export(db: Database, election_id: str, region: str, after: int = 0) -> dict[str, Any]:
    """The kecamatan's bundle as the read models and the log hold it now (events after `after`:
    what a node that has the rest still needs)."""
    region = kecamatan_of(region)
    name = db.scalar("SELECT name FROM election WHERE election_id = %s", (election_id,))
    if name is None:
        raise NotFound(f"no election '{election_id}'")
    rows = db.query(
        "SELECT code, name, tier, dpt FROM region WHERE election_id = %s AND "
        "(code IN (%s, %s, %s) OR (code > %s AND code < %s)) ORDER BY code",
        (election_id, region[:2], region[:4], region, region, region + "~"),
    )
    if not any(r["code"] == region for r in rows):
        raise NotFound(f"no region {region} in election '{election_id}'")
    contests = [
        json.loads(r["document"])
        for r in db.query(
            "SELECT document FROM contest WHERE election_id = %s ORDER BY contest_id",
            (election_id,),
        )
    ]
    contests = [held_by(c, region) for c in contests if is_within(region, c["region"])]
    tps = [r for r in rows if r["tier"] == Tier.TPS.value]
    ids = aggregate_ids(election_id, [c["id"] for c in contests], region, [t["code"] for t in tps])
    head = int(db.scalar(f"SELECT MAX({position_column(db)}) FROM {events_table(db)}") or 0)
    events = raw_events_of(db, list(ids), after=after)
    return {
        "format": FORMAT,
        "election": {"id": election_id, "name": name},
        "region": region,
        "contests": contests,
        "regions": [
            {"code": r["code"], "name": r["name"]} for r in rows if r["tier"] != Tier.TPS.value
        ],
        "tps": [{"code": t["code"], "dpt": t["dpt"]} for t in tps],
        "after": after,
        "head": max([head, *(int(e["position"]) for e in events)]),  # type: ignore[call-overload]
        "exported_at": datetime.now(UTC).isoformat(),
        "events": [_event(e) for e in events],
    }


def aggregate_ids(
    election_id: str, contest_ids: list[str], region: str, tps: list[str]
) -> dict[UUID, str]:
    """The kecamatan's results and plenaries, by aggregate id (with what each is, for reports)."""
    found: dict[UUID, str] = {}
    for cid in contest_ids:
        found[Plenary.create_id(election_id, cid, region)] = f"{cid}/plenary/{region}"
        for code in tps:
            found[TpsResult.create_id(election_id, cid, code)] = f"{cid}/tps/{code}"
    return found


def held_by(contest: dict[str, Any], region: str) -> dict[str, Any]:
    """A contest as the node of kecamatan `region` holds it. A legislative contest keeps only
    the districts that hold the kecamatan's TPS, each cut to its regions on the kecamatan's path
    or inside it: central checked the whole partition, the node checks its own part of it (and
    does not carry the DPR's megabytes of other districts' lists)."""
    if not contest.get("districts"):
        return contest
    districts = []
    for district in contest["districts"]:
        regions = [r for r in district["regions"] if is_within(region, r) or is_within(r, region)]
        if regions:
            districts.append({**district, "regions": regions})
    return {**contest, "districts": districts}


def contests_of(bundle: dict[str, Any]) -> list[Contest]:
    eid = bundle["election"]["id"]
    return [Contest.from_dict(eid, c) for c in bundle["contests"]]


def _event(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "position": row["position"],
        "originator_id": str(row["originator_id"]),
        "originator_version": row["originator_version"],
        "topic": row["topic"],
        "state": base64.b64encode(row["state"]).decode("ascii"),
    }


def write(bundle: dict[str, Any], path: Path) -> None:
    path.write_bytes(gzip.compress(json.dumps(bundle, separators=(",", ":")).encode()))


def read(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return parse(json.loads(raw))


def parse(bundle: Any) -> dict[str, Any]:
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise InvalidInput(f"not a node bundle of rekap (format {FORMAT})")
    return bundle
