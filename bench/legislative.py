"""A DPR data set whose TPS forms sum, per dapil and party, exactly to the published 2024 votes.

For every TPS of a dapil (its DPT as the region tree generates it, service/data/wilayah.py), a DPR
C.Hasil (bench/ballots.py): sections I-III and V as on the Pilpres form, section IV per party with
party-only and candidate votes. Deterministic by seed, streamed dapil by dapil (one dapil's TPS at
a time in memory, never the nation's). How a dapil's published votes are spread over its TPS:

1. Voters: each TPS's turnout varies around the dapil's, which is what the published valid votes
   and an invalid-vote rate (about 9.5 %, lowered where the dapil's ballots are nearly used up)
   require; no TPS gets more voters than its ballots (DPT + 2 %), the excess flows to the others.
2. Parties: each desa leans from the dapil's party shares (by kab/kota, kecamatan, desa); the
   leans are scaled party by party until the TPS' valid votes hold the dapil's party totals, and
   each party's votes are rounded cumulatively over the TPS, so that they add up to the
   published total exactly. A TPS left over its ballots by the rounding gives votes to one with
   room.
3. Candidates: a party's votes split into party-only and candidate votes by local profiles of
   its list (a few candidates take most, the first numbers more).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import resource
import time
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bench import ballots
from bench.data import TpsForm
from domain.rules import ballot_allowance
from service.data import wilayah
from service.data.legislative2024 import source
from service.progress import Progress

DPR_ID = "dpr"
INVALID_RATE = 0.095  # DPR 2024: roughly one ballot in ten was invalid
FILL_MAX = 0.97  # of a dapil's ballots, before its invalid-vote rate gives way
FIT_ROUNDS = 12


@dataclass(frozen=True)
class DapilPlan:
    """What a dapil's generated forms must carry, and whether its TPS can (the feasibility)."""

    code: str
    name: str
    tps: int
    dpt: int
    ballots: int  # DPT + 2 % per TPS: the most voters its forms can show
    valid: int  # the published valid votes
    invalid_rate: float

    @property
    def load(self) -> float:
        """Share of the ballots the published valid votes use (over 1: infeasible)."""
        return self.valid / self.ballots if self.ballots else math.inf


def kecamatan_tps(
    regions: Sequence[str], seed: int = 2024
) -> Iterator[tuple[str, list[tuple[str, int]]]]:
    """(kecamatan, [(TPS code, DPT)]) for every kecamatan under `regions` (kab/kota or provinces),
    in code order, with the DPT the region tree loads (wilayah.iter_region_chunks, same seed)."""
    h = wilayah.load()
    for region in sorted(regions):
        kecamatan = [region] if len(region) == 6 else _descend(h, region, 6)
        for kec in kecamatan:
            found = []
            for desa in h.children.get(kec, ()):
                numbers = wilayah.tps_numbers(h.tps.get(desa, (0,)))
                dpts = wilayah.generate_dpt(desa, numbers, seed=seed)
                found.extend((f"{desa}{n:03d}", d) for n, d in zip(numbers, dpts, strict=True))
            yield kec, found


def dpr_dapil_codes(provinces: Collection[str] | None = None) -> list[str]:
    """The DPR dapil of `provinces` (all by default); overseas TPS come with DKI JAKARTA II."""
    return [d.code for d in source.dpr_dapil() if provinces is None or d.province in provinces]


def dpr_plan(dapil: str, seed: int = 2024) -> DapilPlan:
    found = next(d for d in source.dpr_dapil() if d.code == dapil)
    tps = [t for _, kec in kecamatan_tps(found.kabkota, seed) for t in kec]
    return _plan(found, tps, seed)


def dpr_kecamatan_forms(
    provinces: Collection[str] | None = None, seed: int = 2024
) -> Iterator[tuple[str, list[TpsForm]]]:
    """(kecamatan, its DPR forms), dapil after dapil, kecamatan by kecamatan in code order."""
    for code in dpr_dapil_codes(provinces):
        yield from dapil_forms(code, seed)


def dpr_forms(provinces: Collection[str] | None = None, seed: int = 2024) -> Iterator[TpsForm]:
    for _, found in dpr_kecamatan_forms(provinces, seed):
        yield from found


def dapil_forms(dapil: str, seed: int = 2024) -> Iterator[tuple[str, list[TpsForm]]]:
    """The forms of one dapil, whose party votes add up to its published figures exactly."""
    found = next(d for d in source.dpr_dapil() if d.code == dapil)
    groups = list(kecamatan_tps(found.kabkota, seed))
    tps = [t for _, kec in groups for t in kec]
    plan = _plan(found, tps, seed)
    published = source.dpr_votes()[dapil]
    parties = sorted(published)
    cells = _party_votes(plan, tps, parties, [published[p] for p in parties], seed)
    lists = source.dpr_candidates().get(dapil, {})
    numbers = {p: [str(c.number) for c in lists.get(p, ())] for p in parties}
    i = 0
    for kecamatan, kec_tps in groups:
        rng = random.Random(f"{seed}:{DPR_ID}:{kecamatan}")
        profiles = _profiles(rng, dapil, parties, lists, seed)
        forms = []
        for code, dpt in kec_tps:
            votes = cells[i]
            i += 1
            valid = sum(votes)
            invalid = _invalid(rng, valid, ballot_allowance(dpt), plan.invalid_rate)
            form = ballots.voter_sections(rng, dpt, valid, invalid)
            variant = rng.randrange(3)
            form["votes"] = {
                str(p): ballots.party_box(n, profiles[p][(variant + k) % 3], numbers[p])
                for k, (p, n) in enumerate(zip(parties, votes, strict=True))
            }
            forms.append(TpsForm(code, dpt, form, None, None))
        yield kecamatan, forms


def _plan(found: source.DprDapil, tps: list[tuple[str, int]], seed: int) -> DapilPlan:
    valid = sum(source.dpr_votes()[found.code].values())
    capacity = sum(ballot_allowance(d) for _, d in tps)
    if valid > capacity:
        raise ValueError(f"dapil {found.code}: {valid} valid votes, only {capacity} ballots")
    rng = random.Random(f"{seed}:{DPR_ID}:{found.code}:invalid")
    rate = min(max(rng.gauss(INVALID_RATE, 0.02), 0.04), 0.16)
    rate = max(0.0, min(rate, 1 - valid / (FILL_MAX * capacity)))
    return DapilPlan(
        found.code, found.name, len(tps), sum(d for _, d in tps), capacity, valid, rate
    )


def _voters(plan: DapilPlan, tps: list[tuple[str, int]], seed: int) -> list[float]:
    """Voters per TPS: around the dapil's turnout, none above its ballots, adding up to what the
    valid votes and the invalid-vote rate need."""
    caps = [float(ballot_allowance(d)) for _, d in tps]
    weights = []
    for code, dpt in tps:
        lean = random.Random(f"{seed}:{DPR_ID}:turnout:{code[:10]}").gauss(0, 0.05)
        weights.append(dpt * math.exp(lean + random.Random(code).gauss(0, 0.04)))
    needed = plan.valid / (1 - plan.invalid_rate)
    voters = [0.0] * len(tps)
    free = set(range(len(tps)))
    while free:
        scale = (needed - sum(voters[i] for i in range(len(tps)) if i not in free)) / sum(
            weights[i] for i in free
        )
        capped = {i for i in free if weights[i] * scale >= caps[i]}
        if not capped:
            for i in free:
                voters[i] = weights[i] * scale
            break
        for i in capped:
            voters[i] = caps[i]
        free -= capped
    return voters


def _party_votes(
    plan: DapilPlan, tps: list[tuple[str, int]], parties: list[int], totals: list[int], seed: int
) -> list[list[int]]:
    """TPS x party votes holding each party's dapil total exactly, each TPS within its ballots."""
    valid = [v * (1 - plan.invalid_rate) for v in _voters(plan, tps, seed)]
    whole = sum(totals)
    base = [t / whole for t in totals]
    desa_of = [code[:10] for code, _ in tps]
    per_desa: dict[str, float] = {}
    for desa, v in zip(desa_of, valid, strict=True):
        per_desa[desa] = per_desa.get(desa, 0.0) + v
    lean = {
        d: ballots.leaning(f"{seed}:{DPR_ID}", base, d, (0.0, 0.25, 0.15, 0.1)) for d in per_desa
    }
    factor = [1.0] * len(parties)
    for _ in range(FIT_ROUNDS):
        shares = {d: _normal([w * f for w, f in zip(lean[d], factor, strict=True)]) for d in lean}
        got = [sum(per_desa[d] * shares[d][k] for d in per_desa) for k in range(len(parties))]
        factor = [f * (t / g if g else 1.0) for f, t, g in zip(factor, totals, got, strict=True)]
    shares = {d: _normal([w * f for w, f in zip(lean[d], factor, strict=True)]) for d in lean}
    got = [sum(per_desa[d] * shares[d][k] for d in per_desa) for k in range(len(parties))]
    scale = [t / g if g else 0.0 for t, g in zip(totals, got, strict=True)]
    cells, running, given = [], [0.0] * len(parties), [0] * len(parties)
    for desa, v in zip(desa_of, valid, strict=True):
        row = []
        for k, share in enumerate(shares[desa]):
            running[k] += v * share * scale[k]
            upto = math.floor(running[k] + 0.5)
            row.append(upto - given[k])
            given[k] = upto
        cells.append(row)
    for k, total in enumerate(totals):  # float drift: the last TPS settles each party exactly
        cells[-1][k] += total - given[k]
    _fit_ballots(cells, [ballot_allowance(d) for _, d in tps])
    return cells


def _fit_ballots(cells: list[list[int]], caps: list[int]) -> None:
    """Move votes from any TPS over its ballots to the next TPS with room, party by party."""
    room = 0
    for i, row in enumerate(cells):
        excess = sum(row) - caps[i]
        while excess > 0:
            while room == i or sum(cells[room]) >= caps[room]:
                room = (room + 1) % len(cells)
            move = min(excess, caps[room] - sum(cells[room]))
            k = max(range(len(row)), key=lambda j: row[j])
            move = min(move, row[k])
            row[k] -= move
            cells[room][k] += move
            excess -= move


def _invalid(rng: random.Random, valid: int, ballots_: int, rate: float) -> int:
    wanted = round(valid * rate / (1 - rate) * math.exp(rng.gauss(0, 0.3))) if rate else 0
    return max(0, min(wanted, ballots_ - valid))


def _profiles(
    rng: random.Random,
    dapil: str,
    parties: list[int],
    lists: dict[int, tuple[source.Candidate, ...]],
    seed: int,
) -> dict[int, list[ballots.Profile]]:
    found = {}
    for p in parties:
        listed = random.Random(f"{seed}:{DPR_ID}:{dapil}:{p}:list")
        base = ballots.candidate_weights(listed, len(lists.get(p, ())))
        party_only = listed.uniform(0.06, 0.3) if base else 1.0
        found[p] = ballots.list_profiles(rng, base, party_only)
    return found


def _normal(weights: list[float]) -> list[float]:
    whole = sum(weights) or 1.0
    return [w / whole for w in weights]


def _descend(h: wilayah.Hierarchy, code: str, length: int) -> list[str]:
    if len(code) >= length:
        return [code]
    return [c for child in h.children.get(code, ()) for c in _descend(h, child, length)]


def summary(plans: Sequence[DapilPlan]) -> dict[str, Any]:
    """The feasibility of a set of dapil in a few numbers, for a report."""
    tight = sorted(plans, key=lambda p: -p.load)[:3]
    return {
        "dapil": len(plans),
        "tps": sum(p.tps for p in plans),
        "valid": sum(p.valid for p in plans),
        "ballots": sum(p.ballots for p in plans),
        "tightest": [{"dapil": p.code, "name": p.name, "load": round(p.load, 4)} for p in tight],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the DPR forms of the whole country (or of some provinces), check that every
    dapil's party sums are the published ones exactly and, with --rules, every form's rules;
    report the time, the memory and each dapil's feasibility."""
    parser = argparse.ArgumentParser(prog="python -m bench.legislative", description=main.__doc__)
    parser.add_argument("--provinces", help="comma-separated province codes (default: all)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--rules", action="store_true", help="also check R1-R12 on every form")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    provinces = args.provinces.split(",") if args.provinces else None
    codes = dpr_dapil_codes(provinces)
    total = sum(
        wilayah.summary(provinces=[p])["tps"] for p in {c[:2] for c in codes} | _abroad(codes)
    )
    progress = Progress("DPR forms", total)
    started, cpu, done, wrong, broken = time.perf_counter(), time.process_time(), 0, [], 0
    for code in codes:
        sums: Counter[int] = Counter()
        for _, forms in dapil_forms(code, args.seed):
            for f in forms:
                for party, box in f.form["votes"].items():
                    sums[int(party)] += box["total"]
                broken += bool(args.rules and ballots.rule_breaches(f.form))
            done += len(forms)
            progress.update(done)
        if dict(sums) != source.dpr_votes()[code]:
            wrong.append(code)
    progress.finish()
    elapsed = time.perf_counter() - started
    plans = [dpr_plan(code, args.seed) for code in codes]
    report = {
        "forms": done,
        "seconds": round(elapsed, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "forms_per_second": round(done / elapsed),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "dapil_not_exact": wrong,
        "forms_breaking_rules": broken if args.rules else "not checked",
        "feasibility": summary(plans),
    }
    print(json.dumps(report, indent=2))
    return 1 if wrong or broken else 0


def _abroad(codes: Sequence[str]) -> set[str]:
    return {"99"} if "3102" in codes else set()


if __name__ == "__main__":
    raise SystemExit(main())
