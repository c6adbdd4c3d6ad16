"""The read side: documents answered from the projections, never by replaying the log."""

from __future__ import annotations

import json
from typing import Any

from domain.codes import NATION, Tier, is_within, tier_of
from domain.contests import Contest
from domain.errors import NotFound
from domain.form import flatten, unflatten
from domain.legislative import votes_of
from domain.winner import Verdict, VerdictStatus, decide
from service.read.dispute_queries import DisputeQueries
from service.read.legislative import LegislativeQueries, brief_contest
from service.read.plenary_queries import PlenaryQueries
from service.read.seats import SeatQueries
from service.store.db import Database, Tx
from service.store.reference import ContestLookup

TPS_LIST_LIMIT = 100
SEARCH_LIMIT = 50
# Regions with their totals for one contest (the contest id is the first parameter), and
# how far the recap has applied the log (every statement of a read shares one snapshot).
REGION_WITH_TOTALS = (
    "SELECT r.code, r.name, r.tier, r.tps_total, r.dpt, t.sums, t.tps_reported, t.hard_tps, "
    "t.soft_tps, t.tps_with_evidence, "
    "(SELECT position FROM projection_position WHERE name = 'recap') AS at "
    "FROM {p}region r LEFT JOIN {p}recap_total t ON t.election_id = r.election_id "
    "AND t.contest_id = %s AND t.code = r.code"
)


class RecapQueries:
    """Queries over the recap tables (`prefix` selects scratch copies used by audits)."""

    def __init__(
        self, db: Database, prefix: str = "", contests: ContestLookup | None = None
    ) -> None:
        self.db = db
        self.p = prefix
        self.plenaries = PlenaryQueries(db, prefix)
        self.disputes = DisputeQueries(db, prefix)
        self.legislative = LegislativeQueries(db, prefix)
        self._seats = SeatQueries(db, prefix)
        # The process's reference data (service/store/reference.py) when there is one; a replay
        # or a published bundle reads the contests it replayed.
        self._contests = contests or _ContestsInReadModel(db, prefix)
        self._with_totals = REGION_WITH_TOTALS.format(p=prefix)
        self._brief: dict[tuple[str, str], dict[str, Any]] = {}

    # -- elections -------------------------------------------------------------------------

    def election(self, election_id: str, brief: bool = False) -> dict[str, Any]:
        """The election with its contests; `brief`: without a legislative contest's districts
        and lists (the DPR's alone are megabytes)."""
        if brief:
            return self._brief_election(election_id)
        with self.db.transaction(write=False) as tx:
            name = self._election_name(tx, election_id)
            contests = tx.query(
                f"SELECT document FROM {self.p}contest WHERE election_id = %s ORDER BY contest_id",
                (election_id,),
            )
        return {
            "id": election_id,
            "name": name,
            "contests": [json.loads(c["document"]) for c in contests],
        }

    def _brief_election(self, election_id: str) -> dict[str, Any]:
        # A contest never changes once defined: each is read and shortened once per process.
        with self.db.transaction(write=False) as tx:
            name = self._election_name(tx, election_id)
            ids = [
                r["contest_id"]
                for r in tx.query(
                    f"SELECT contest_id FROM {self.p}contest WHERE election_id = %s "
                    "ORDER BY contest_id",
                    (election_id,),
                )
            ]
            for cid in (c for c in ids if (election_id, c) not in self._brief):
                document = tx.scalar(
                    f"SELECT document FROM {self.p}contest WHERE election_id = %s "
                    "AND contest_id = %s",
                    (election_id, cid),
                )
                self._brief[(election_id, cid)] = brief_contest(json.loads(document))
        contests = [self._brief[(election_id, c)] for c in ids]
        return {"id": election_id, "name": name, "contests": contests}

    def _election_name(self, tx: Tx, election_id: str) -> str:
        row = tx.query(
            f"SELECT election_id, name FROM {self.p}election WHERE election_id = %s",
            (election_id,),
        )
        if not row:
            raise NotFound(f"no election '{election_id}'")
        return row[0]["name"]

    def elections(self) -> list[dict[str, Any]]:
        rows = self.db.query(f"SELECT election_id, name FROM {self.p}election ORDER BY election_id")
        return [{"id": r["election_id"], "name": r["name"]} for r in rows]

    def contest(self, election_id: str, contest_id: str) -> Contest:
        return self._contests(election_id, contest_id)

    # -- the recap of a region -------------------------------------------------------------

    def region(self, election_id: str, contest_id: str, code: str) -> dict[str, Any]:
        contest = self.contest(election_id, contest_id)
        if not is_within(code, contest.region) or tier_of(code) is Tier.TPS:
            raise NotFound(
                f"region {code} is not part of contest {contest_id} "
                f"(its regions run from {contest.region} down to the desa)"
            )
        with self.db.transaction(write=False) as tx:
            region = tx.query(
                f"{self._with_totals} WHERE r.election_id = %s AND r.code = %s",
                (contest_id, election_id, code),
            )
            if not region:
                raise NotFound(f"no region {code} in election '{election_id}'")
            document = _figures(region[0], _totals_of(region[0]), contest)
            document["anomalies"]["tps"] = self._anomalous_tps(tx, election_id, contest_id, code)
            document["children"] = self._children(tx, election_id, contest, code)
            document["position"] = int(region[0]["at"] or 0)
            self.plenaries.annotate(tx, contest, document)
            top = code == contest.region
            document["result"] = self.disputes.result(tx, contest) if top else None
            if contest.is_legislative:
                self.legislative.annotate(tx, contest, document)
        document["winner"] = None
        if code == contest.region and not contest.is_legislative:
            document["winner"] = self._verdict(contest, document)
        return document

    def _children(self, tx: Tx, eid: str, contest: Contest, code: str) -> list[dict[str, Any]]:
        regions = tx.query(
            f"{self._with_totals} WHERE r.election_id = %s AND r.parent = %s ORDER BY r.code",
            (contest.contest_id, eid, code),
        )
        if not regions:
            return []
        if regions[0]["tier"] == Tier.TPS.value:
            return self._tps_children(tx, eid, contest, regions)
        return [_figures(r, _totals_of(r), contest) for r in regions]

    def _tps_children(
        self, tx: Tx, eid: str, contest: Contest, regions: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        desa = regions[0]["code"][:10]
        rows = tx.query(
            f"SELECT tps, version, form, anomalies, hard, soft, has_evidence "
            f"FROM {self.p}result_current "
            "WHERE election_id = %s AND contest_id = %s AND tps >= %s AND tps < %s",
            (eid, contest.contest_id, desa, desa + "~"),
        )
        by_tps = {r["tps"]: r for r in rows}
        children = []
        for region in regions:
            row = by_tps.get(region["code"])
            totals = None
            if row is not None:
                totals = {
                    "sums": json.dumps(flatten(json.loads(row["form"]))),
                    "tps_reported": 1,
                    "hard_tps": row["hard"],
                    "soft_tps": row["soft"],
                    "tps_with_evidence": row["has_evidence"],
                }
            child = _figures(region, totals, contest)
            if row is not None:
                child["version"] = row["version"]
                child["anomalies"]["list"] = json.loads(row["anomalies"])
            children.append(child)
        return children

    def _anomalous_tps(self, tx: Tx, eid: str, cid: str, code: str) -> list[str]:
        low, high = ("", "~") if code == NATION else (code, code + "~")
        rows = tx.query(
            f"SELECT tps FROM {self.p}result_current WHERE election_id = %s AND contest_id = %s "
            "AND tps >= %s AND tps < %s AND (hard > 0 OR soft > 0) ORDER BY tps LIMIT %s",
            (eid, cid, low, high, TPS_LIST_LIMIT),
        )
        return [r["tps"] for r in rows]

    def _verdict(self, contest: Contest, document: dict[str, Any]) -> dict[str, Any]:
        votes = {int(k): v for k, v in document["votes"].items()}
        by_province = None
        if contest.region == NATION:
            by_province = {
                c["code"]: {int(k): v for k, v in c["votes"].items()} for c in document["children"]
            }
        certified = (document.get("plenary") or {}).get("verdict")
        if certified is not None:
            return certified  # final: decided by the top plenary on its certified figures
        live = decide(contest.winner_rule, votes, complete=True, votes_by_province=by_province)
        if live.status is VerdictStatus.PENDING:
            return live.to_dict()
        complete = document["tps_reported"] == document["tps_total"] > 0
        detail = (
            f"{'every' if complete else 'not every'} result is in; final when the "
            f"{document['tier']} plenary certifies; so far: {live.detail}"
        )
        return Verdict(
            VerdictStatus.PENDING, contest.winner_rule, live.candidates, detail, live.facts
        ).to_dict()

    def seats(self, election_id: str, contest_id: str) -> dict[str, Any]:
        """The seats of a legislative contest (service/read/seats.py)."""
        return self._seats.seats(self.contest(election_id, contest_id))

    # -- names, and finding a region by its name ---------------------------------------------

    def names(self, election_id: str, codes: list[str]) -> dict[str, str]:
        """The names of regions and TPS by code; codes that name nothing are left out."""
        if not codes:
            return {}
        rows = self.db.query(
            f"SELECT code, name FROM {self.p}region WHERE election_id = %s "
            f"AND code IN ({', '.join(['%s'] * len(codes))})",
            (election_id, *codes),
        )
        return {r["code"]: r["name"] for r in rows}

    def find_regions(
        self, election_id: str, text: str, limit: int = SEARCH_LIMIT
    ) -> list[dict[str, Any]]:
        """Regions (not TPS) whose name holds `text`, ignoring case; larger tiers first."""
        escaped = text.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.query(
            f"SELECT code, name, tier FROM {self.p}region WHERE election_id = %s "
            "AND tier IN ('provinsi', 'kabkota', 'kecamatan', 'desa') "
            "AND UPPER(name) LIKE %s ESCAPE '\\' ORDER BY LENGTH(code), code LIMIT %s",
            (election_id, f"%{escaped}%", limit),
        )
        return [dict(r) for r in rows]

    # -- one TPS ---------------------------------------------------------------------------

    def tps_result(self, election_id: str, contest_id: str, tps: str) -> dict[str, Any]:
        contest = self.contest(election_id, contest_id)
        with self.db.transaction(write=False) as tx:
            current = tx.query(
                f"SELECT version, form, anomalies, position FROM {self.p}result_current "
                "WHERE election_id = %s AND contest_id = %s AND tps = %s",
                (election_id, contest_id, tps),
            )
            if not current:
                raise NotFound(f"TPS {tps} has no result in {contest_id} yet")
            versions = tx.query(
                f"SELECT version, kind, form, reason, actor, at, detail, position "
                f"FROM {self.p}result_version WHERE election_id = %s AND contest_id = %s "
                "AND tps = %s ORDER BY version",
                (election_id, contest_id, tps),
            )
            region = tx.query(
                f"SELECT name, dpt FROM {self.p}region WHERE election_id = %s AND code = %s",
                (election_id, tps),
            )
        row = current[0]
        history = [_version(v) for v in versions]
        evidence = [page for v in history for page in v.get("evidence", [])]
        return {
            "tps": tps,
            "election": election_id,
            "contest": contest.contest_id,
            "dpt": region[0]["dpt"] if region else None,
            "version": row["version"],
            "form": json.loads(row["form"]),
            "anomalies": json.loads(row["anomalies"]),
            "submitted": history[0] if history else None,
            "corrections": history[1:],
            "evidence": evidence,
            "position": row["position"],
        }


class _ContestsInReadModel:
    """Contests as a replayed read model holds them (a contest never changes: cached)."""

    def __init__(self, db: Database, prefix: str) -> None:
        self.db = db
        self.p = prefix
        self._found: dict[tuple[str, str], Contest] = {}

    def __call__(self, election_id: str, contest_id: str) -> Contest:
        found = self._found.get((election_id, contest_id))
        if found is not None:
            return found
        document = self.db.scalar(
            f"SELECT document FROM {self.p}contest WHERE election_id = %s AND contest_id = %s",
            (election_id, contest_id),
        )
        if document is None:
            raise NotFound(f"no contest '{contest_id}' in election '{election_id}'")
        contest = self._found[(election_id, contest_id)] = Contest.from_dict(
            election_id, json.loads(document)
        )
        return contest


def _version(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": row["version"],
        "kind": row["kind"],
        "form": json.loads(row["form"]),
        "reason": row["reason"],
        "actor": json.loads(row["actor"]),
        "at": row["at"],
        "position": row["position"],
        **json.loads(row["detail"]),
    }


def _totals_of(row: dict[str, Any]) -> dict[str, Any] | None:
    return row if row["sums"] is not None else None


def _figures(
    region: dict[str, Any], totals: dict[str, Any] | None, contest: Contest
) -> dict[str, Any]:
    sums = json.loads(totals["sums"]) if totals else {}
    if contest.is_legislative:
        votes = votes_of(contest, region["code"], sums)
    else:
        votes = {key: sums.get(f"votes.{key}", 0) for key in contest.candidate_keys}
    counted = sum(votes.values())
    reported = totals["tps_reported"] if totals else 0
    with_evidence = totals["tps_with_evidence"] if totals else 0
    return {
        "code": region["code"],
        "name": region["name"],
        "tier": region["tier"],
        "votes": votes,
        "valid": sums.get("valid", 0),
        "invalid": sums.get("invalid", 0),
        "total": sums.get("total", 0),
        "dpt": region["dpt"],
        "tps_total": region["tps_total"],
        "tps_reported": reported,
        "progress": round(100 * reported / region["tps_total"], 2) if region["tps_total"] else 0.0,
        "tps_with_evidence": with_evidence,
        "evidence_progress": (
            round(100 * with_evidence / region["tps_total"], 2) if region["tps_total"] else 0.0
        ),
        "percentages": {
            k: round(100 * v / counted, 2) if counted else 0.0 for k, v in votes.items()
        },
        "anomalies": {
            "hard": totals["hard_tps"] if totals else 0,
            "soft": totals["soft_tps"] if totals else 0,
        },
        "figures": unflatten(sums) if sums else None,
    }
