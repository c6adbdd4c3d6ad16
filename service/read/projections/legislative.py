"""The sums of a legislative contest (domain.md 3a), as rows of `recap_total`.

A TPS's form carries its own district's ballot, so its boxes are laid out per district. Every
region that lies inside one district sums them all (party-only, candidate and party totals);
a region above districts (a province of several dapil, the nation) sums only what adds up
across districts: each party's party-only votes and total (DPD: no candidate, whose numbers
start again in every province), and sections I-III and V. Each district also has a row of
its own, `dapil:<code>`, with every box: what the seats and the `districts` of a recap read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.codes import NATION, chain_up_to, parent_of
from domain.contests import Contest, District
from domain.form import BoxLayout
from service.store.db import Tx

DISTRICT_ROW = "dapil:"  # a district's row in recap_total: its code after this prefix
dumps = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


def district_row(code: str) -> str:
    return DISTRICT_ROW + code


@dataclass
class Part:
    """What a batch adds to one row from one district: boxes named by `names`."""

    names: list[str]
    boxes: list[int]
    reported: int = 0
    hard: int = 0
    soft: int = 0
    evidence: int = 0
    position: int = 0


@dataclass(frozen=True)
class DistrictLayout:
    full: BoxLayout  # every box of the district's form
    outer: list[str]  # the names summed above the district
    mask: list[int]  # where those are in `full`


class LegislativeTotals:
    """The `recap_total` rows of legislative contests, written with the recap's own statements
    (`totals` is the projection's RecapTotals: load_totals, write_rows, its contests)."""

    def __init__(self, totals: Any) -> None:
        self.totals = totals
        self._layouts: dict[tuple[str, str, str], DistrictLayout] = {}

    def reset(self) -> None:
        self._layouts.clear()

    def write(
        self, tx: Tx, before: dict[Any, Any], after: dict[Any, Any], keys: Iterable[Any]
    ) -> None:
        by_desa: dict[tuple[str, str, str], tuple[District, Part]] = {}
        contests: dict[tuple[str, str], Contest] = self.totals._contests
        for key in keys:
            eid, cid, tps = key
            contest = contests[(eid, cid)]
            district = contest.district_of(tps)
            if district is None:  # refused at submission; an older log may hold one
                continue
            layout = self.layout(contest, district)
            old, new = before.get(key), after[key]
            change = layout.full.values(new.form)
            if old is not None:
                change = tuple(
                    a - b for a, b in zip(change, layout.full.values(old.form), strict=True)
                )
            desa = (eid, cid, parent_of(tps) or NATION)
            found = by_desa.get(desa)
            if found is None:
                found = by_desa[desa] = (district, Part(layout.full.names, [0] * len(change)))
            part = found[1]
            part.boxes = [a + b for a, b in zip(part.boxes, change, strict=True)]
            part.reported += 0 if old else 1
            part.hard += new.hard - (old.hard if old else 0)
            part.soft += new.soft - (old.soft if old else 0)
            part.evidence += new.has_evidence - (old.has_evidence if old else 0)
            part.position = max(part.position, new.position)
        rows: dict[tuple[str, str, str], list[Part]] = {}
        for (eid, cid, desa), (district, part) in by_desa.items():
            contest = contests[(eid, cid)]
            layout = self.layout(contest, district)
            outer = Part(
                layout.outer,
                [part.boxes[i] for i in layout.mask],
                part.reported,
                part.hard,
                part.soft,
                part.evidence,
                part.position,
            )
            rows.setdefault((eid, cid, district_row(district.code)), []).append(part)
            for region in chain_up_to(desa, contest.region):
                inside = contest.district_inside(region)
                within = inside is not None and inside.code == district.code
                rows.setdefault((eid, cid, region), []).append(part if within else outer)
        existing = self.totals.load_totals(tx, list(rows))
        written = []
        for key, parts in rows.items():
            sums, reported, hard, soft, evidence = existing.get(key, ({}, 0, 0, 0, 0))
            for p in parts:
                for name, value in zip(p.names, p.boxes, strict=True):
                    sums[name] = sums.get(name, 0) + value
                reported += p.reported
                hard += p.hard
                soft += p.soft
                evidence += p.evidence
            position = max(p.position for p in parts)
            written.append((*key, dumps(sums), reported, hard, soft, position, evidence))
        self.totals.write_rows(tx, written)

    def layout(self, contest: Contest, district: District) -> DistrictLayout:
        key = (contest.election_id, contest.contest_id, district.code)
        found = self._layouts.get(key)
        if found is None:
            ballot = district.ballot if contest.kind.by_party else None
            full = BoxLayout(contest.kind, district.candidate_keys, ballot)
            outer = BoxLayout(contest.kind, district.candidate_keys, ballot, with_candidates=False)
            index = {name: i for i, name in enumerate(full.names)}
            found = DistrictLayout(full, outer.names, [index[n] for n in outer.names])
            self._layouts[key] = found
        return found
