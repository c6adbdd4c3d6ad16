"""The read side of legislative contests: a region's parties or districts, each district's
figures (its `dapil:` row of the recap, service/read/projections/legislative.py)."""

from __future__ import annotations

import json
from typing import Any

from domain.contests import Contest, District
from domain.form import unflatten
from domain.legislative import votes_of
from service.read.projections.legislative import district_row
from service.store.db import Database, Tx


def district_figures(
    tx: Tx,
    contest: Contest,
    prefix: str = "",
    districts: list[District] | None = None,
    boxes: bool = True,
    tps_total: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Each district's figures as the recap sums them now: its votes, progress and (`boxes`)
    every box of the form, which the seats and certificates need and a region's list does not."""
    chosen = contest.districts if districts is None else districts
    if not chosen:
        return []
    eid, cid = contest.election_id, contest.contest_id
    if tps_total is None:
        tps_total = _tps_counts(tx, contest, prefix, {c for d in chosen for c in d.regions})
    among, codes = tx.any_of("code", [district_row(d.code) for d in chosen])
    rows = {
        r["code"]: r
        for r in tx.query(
            f"SELECT code, sums, tps_reported, hard_tps, soft_tps FROM {prefix}recap_total "
            f"WHERE election_id = %s AND contest_id = %s AND {among}",
            (eid, cid, *codes),
        )
    }
    found = []
    for d in chosen:
        row = rows.get(district_row(d.code))
        sums = json.loads(row["sums"]) if row else {}
        total = sum(tps_total.get(code, 0) for code in d.regions)
        reported = row["tps_reported"] if row else 0
        found.append(
            {
                "code": d.code,
                "name": d.name,
                "seats": d.seats,
                "votes": votes_of(contest, d.regions[0], sums),
                "valid": sums.get("valid", 0),
                "invalid": sums.get("invalid", 0),
                "total": sums.get("total", 0),
                "tps_total": total,
                "tps_reported": reported,
                "progress": round(100 * reported / total, 2) if total else 0.0,
                "anomalies": {
                    "hard": row["hard_tps"] if row else 0,
                    "soft": row["soft_tps"] if row else 0,
                },
                "figures": unflatten(sums) if sums and boxes else None,
            }
        )
    return found


def brief_contest(document: dict[str, Any]) -> dict[str, Any]:
    """A contest as a list of contests shows it: a legislative one with its districts, parties
    and seats counted, not listed."""
    if "districts" not in document:
        return document
    return {
        **document,
        "winner_rule": None,
        "parties": len(document.get("parties", ())),
        "districts": len(document["districts"]),
        "seats": sum(d["seats"] for d in document["districts"]),
    }


def _tps_counts(tx: Tx, contest: Contest, prefix: str, codes: set[str]) -> dict[str, int]:
    regions = sorted(codes)
    if not regions:
        return {}
    among, codes = tx.any_of("code", regions)
    rows = tx.query(
        f"SELECT code, tps_total FROM {prefix}region WHERE election_id = %s AND {among}",
        (contest.election_id, *codes),
    )
    return {r["code"]: r["tps_total"] for r in rows}


class LegislativeQueries:
    def __init__(self, db: Database, prefix: str = "") -> None:
        self.db = db
        self.p = prefix

    def annotate(self, tx: Tx, contest: Contest, document: dict[str, Any]) -> None:
        """A region inside one district: its `district` and, per party, the party-only, each
        candidate's and the total votes (`parties`); a region over several: `districts`."""
        code = document["code"]
        counts = None
        if code == contest.region:
            counts = _held(tx, contest, self.p, document)
        inside = contest.district_inside(code)
        if inside is not None:
            document["district"] = {"code": inside.code, "name": inside.name, "seats": inside.seats}
            if contest.kind.by_party:
                votes = (document.get("figures") or {}).get("votes", {})
                document["parties"] = {
                    p: {
                        "party": votes.get(p, {}).get("party", 0),
                        "candidates": {
                            c: votes.get(p, {}).get("candidates", {}).get(c, 0) for c in listed
                        },
                        "total": votes.get(p, {}).get("total", 0),
                    }
                    for p, listed in inside.ballot.items()
                }
            return
        districts = district_figures(
            tx, contest, self.p, contest.districts_under(code), boxes=False, tps_total=counts
        )
        for d in districts:
            d.pop("figures")
        document["districts"] = districts


def _held(tx: Tx, contest: Contest, prefix: str, document: dict[str, Any]) -> dict[str, int]:
    """The contest's top region counts the TPS its districts hold (the DPD's nation leaves
    those abroad out, who vote for President and DPR only); the TPS of each district region."""
    counts = _tps_counts(tx, contest, prefix, {c for d in contest.districts for c in d.regions})
    total = sum(counts.values())
    document["tps_total"] = total
    document["progress"] = round(100 * document["tps_reported"] / total, 2) if total else 0.0
    return counts
