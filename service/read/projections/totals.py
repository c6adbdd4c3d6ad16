"""The sums of every region of a contest, from desa up to the contest's region: each TPS's
change is folded into its desa once and each desa's into the tiers above it, as vectors of the
contest's boxes (domain/form.py BoxLayout), then written with one read and one write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.codes import NATION, chain_up_to, parent_of
from domain.contests import Contest
from domain.form import BoxLayout
from domain.rules import Severity
from service.read.projections.base import rows_by_key
from service.read.projections.legislative import LegislativeTotals
from service.store.db import Tx

NO_ANOMALIES = "[]"
# One encoder for every row: json.dumps with options builds a new encoder on each call.
dumps = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


@dataclass
class TpsState:
    version: int
    form: dict[str, Any]
    anomalies: list[dict[str, Any]]
    submitted_at: str
    updated_at: str
    position: int
    form_json: str = ""
    has_evidence: int = 0  # its result cites an evidence page (evidence.py)

    @property
    def text(self) -> str:
        if not self.form_json:
            self.form_json = dumps(self.form)
        return self.form_json

    @property
    def hard(self) -> int:
        return int(any(a["severity"] == Severity.HARD for a in self.anomalies))

    @property
    def soft(self) -> int:
        return int(any(a["severity"] == Severity.SOFT for a in self.anomalies))


@dataclass
class RegionDelta:
    boxes: list[int]  # in the order of the contest's BoxLayout
    reported: int = 0
    hard: int = 0
    soft: int = 0
    position: int = 0
    evidence: int = 0  # TPS with evidence

    def add(self, boxes: list[int] | tuple[int, ...]) -> None:
        self.boxes = [a + b for a, b in zip(self.boxes, boxes, strict=True)]


class RecapTotals:
    """The `recap_total` rows of the contests a projection has met (`contests`, shared)."""

    def __init__(self, prefix: str, contests: dict[tuple[str, str], Contest]) -> None:
        self.p = prefix
        self._contests = contests
        self._layouts: dict[tuple[str, str], BoxLayout] = {}
        self.legislative = LegislativeTotals(self)

    def reset(self) -> None:
        self._layouts.clear()
        self.legislative.reset()

    def write(
        self, tx: Tx, before: dict[Any, TpsState], after: dict[Any, TpsState], keys: set[Any]
    ) -> None:
        if any(c.is_legislative for c in self._contests.values()):
            legislative = {k for k in keys if self._contests[(k[0], k[1])].is_legislative}
            if legislative:
                self.legislative.write(tx, before, after, legislative)
                keys = keys - legislative
        # Each TPS's change is added to its desa once, and each desa's to the tiers above it,
        # as vectors of the contest's boxes: the same sums as adding every box of every TPS to
        # every tier, with a fraction of the additions.
        by_desa: dict[tuple[str, str, str], RegionDelta] = {}
        for key in keys:
            eid, cid, tps = key
            values = self._layout(eid, cid).values
            old, new = before.get(key), after[key]
            change = values(new.form)
            if old is not None:
                change = tuple(a - b for a, b in zip(change, values(old.form), strict=True))
            desa = (eid, cid, parent_of(tps) or NATION)
            delta = by_desa.get(desa)
            if delta is None:
                delta = by_desa[desa] = RegionDelta(list(change))
            else:
                delta.add(change)
            delta.reported += 0 if old else 1
            delta.hard += new.hard - (old.hard if old else 0)
            delta.soft += new.soft - (old.soft if old else 0)
            delta.evidence += new.has_evidence - (old.has_evidence if old else 0)
            delta.position = max(delta.position, new.position)
        deltas: dict[tuple[str, str, str], RegionDelta] = {}
        for (eid, cid, desa), part in by_desa.items():
            for region in chain_up_to(desa, self._contests[(eid, cid)].region):
                delta = deltas.get((eid, cid, region))
                if delta is None:
                    deltas[(eid, cid, region)] = RegionDelta(
                        list(part.boxes),
                        part.reported,
                        part.hard,
                        part.soft,
                        part.position,
                        part.evidence,
                    )
                    continue
                delta.add(part.boxes)
                delta.reported += part.reported
                delta.hard += part.hard
                delta.soft += part.soft
                delta.evidence += part.evidence
                delta.position = max(delta.position, part.position)
        existing = self.load_totals(tx, list(deltas))
        rows = []
        for key, delta in deltas.items():
            sums, reported, hard, soft, evidence = existing.get(key, ({}, 0, 0, 0, 0))
            for name, value in zip(self._layout(key[0], key[1]).names, delta.boxes, strict=True):
                sums[name] = sums.get(name, 0) + value
            rows.append(
                (
                    *key,
                    dumps(sums),
                    reported + delta.reported,
                    hard + delta.hard,
                    soft + delta.soft,
                    delta.position,
                    evidence + delta.evidence,
                )
            )
        self.write_rows(tx, rows)

    def write_rows(self, tx: Tx, rows: list[tuple[Any, ...]]) -> None:
        tx.insert_rows(
            f"INSERT INTO {self.p}recap_total (election_id, contest_id, code, sums, tps_reported, "
            "hard_tps, soft_tps, position, tps_with_evidence) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (election_id, contest_id, code) DO UPDATE SET sums = excluded.sums, "
            "tps_reported = excluded.tps_reported, hard_tps = excluded.hard_tps, "
            "soft_tps = excluded.soft_tps, position = excluded.position, "
            "tps_with_evidence = excluded.tps_with_evidence",
            rows,
        )

    def _layout(self, election_id: str, contest_id: str) -> BoxLayout:
        layout = self._layouts.get((election_id, contest_id))
        if layout is None:
            contest = self._contests[(election_id, contest_id)]
            layout = self._layouts[(election_id, contest_id)] = BoxLayout(
                contest.kind, contest.candidate_keys
            )
        return layout

    def load_totals(self, tx: Tx, keys: list[tuple[str, str, str]]) -> dict[Any, tuple[Any, ...]]:
        found = {}
        columns = "sums, tps_reported, hard_tps, soft_tps, tps_with_evidence"
        for key, r in rows_by_key(tx, f"{self.p}recap_total", columns, "code", keys):
            found[key] = (
                json.loads(r["sums"]),
                r["tps_reported"],
                r["hard_tps"],
                r["soft_tps"],
                r["tps_with_evidence"],
            )
        return found
