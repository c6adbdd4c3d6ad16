"""The exact figures under a plenary, as a certificate records them: in total, per child and
(kecamatan) per TPS, read from the recap projection in the caller's transaction."""

from __future__ import annotations

import json
from typing import Any

from domain.codes import Tier
from domain.contests import Contest
from domain.form import unflatten
from domain.legislative import votes_of
from service.read.legislative import district_figures
from service.store.db import Tx
from service.usecases.plenary.context import PlenaryContext, Target


def plenary_figures(ctx: PlenaryContext, tx: Tx, t: Target) -> dict[str, Any]:
    """The exact figures under the plenary now: in total, per child, and (kecamatan) per TPS."""
    eid, cid, p = t.contest.election_id, t.contest.contest_id, ctx.prefix
    regions = tx.query(
        f"SELECT code, name, tier, tps_total, dpt FROM {p}region WHERE election_id = %s "
        "AND (code = %s OR parent = %s) ORDER BY code",
        (eid, t.code, t.code),
    )
    codes = [r["code"] for r in regions]
    sums = {
        r["code"]: (json.loads(r["sums"]), r["tps_reported"])
        for r in tx.query(
            f"SELECT code, sums, tps_reported FROM {p}recap_total WHERE election_id = %s "
            f"AND contest_id = %s AND code IN ({', '.join(['%s'] * len(codes))})",
            (eid, cid, *codes),
        )
    }
    entries = {r["code"]: _entry(t.contest, r, *sums.get(r["code"], ({}, 0))) for r in regions}
    figures: dict[str, Any] = {
        "total": entries.pop(t.code),
        "children": [entries[c] for c in sorted(entries)],
    }
    if t.tier is Tier.KECAMATAN:
        figures["tps"] = _tps_figures(ctx, tx, t)
    if t.contest.is_legislative and t.code == t.contest.region:
        figures["districts"] = district_figures(tx, t.contest, p)  # what final seats rest on
    return figures


def _entry(
    contest: Contest, region: dict[str, Any], sums: dict[str, int], reported: int
) -> dict[str, Any]:
    return {
        "code": region["code"],
        "name": region["name"],
        "tier": region["tier"],
        "dpt": region["dpt"],
        "tps_total": region["tps_total"],
        "tps_reported": reported,
        "votes": (
            votes_of(contest, region["code"], sums)
            if contest.is_legislative
            else {k: sums.get(f"votes.{k}", 0) for k in contest.candidate_keys}
        ),
        "valid": sums.get("valid", 0),
        "invalid": sums.get("invalid", 0),
        "total": sums.get("total", 0),
        "figures": unflatten(sums) if sums else None,
    }


def _tps_figures(ctx: PlenaryContext, tx: Tx, t: Target) -> list[dict[str, Any]]:
    eid, cid, p = t.contest.election_id, t.contest.contest_id, ctx.prefix
    tps = tx.query(
        f"SELECT code, dpt FROM {p}region WHERE election_id = %s AND tier = 'tps' "
        "AND code >= %s AND code < %s ORDER BY code",
        (eid, t.code, t.code + "~"),
    )
    results = {
        r["tps"]: r
        for r in tx.query(
            f"SELECT tps, version, form FROM {p}result_current WHERE election_id = %s "
            "AND contest_id = %s AND tps >= %s AND tps < %s",
            (eid, cid, t.code, t.code + "~"),
        )
    }
    rows = []
    for region in tps:
        found = results.get(region["code"])
        if found is None:
            rows.append({"code": region["code"], "dpt": region["dpt"], "version": None})
            continue
        form = json.loads(found["form"])
        rows.append(
            {
                "code": region["code"],
                "dpt": region["dpt"],
                "version": found["version"],
                "votes": form["votes"],
                "valid": form["valid"],
                "invalid": form["invalid"],
                "total": form["total"],
            }
        )
    return rows
