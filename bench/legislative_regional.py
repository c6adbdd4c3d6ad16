"""Generated forms of the DPD and DPRD contests of Pemilu 2024 (no real figures to meet).

No per-candidate DPD figures and no DPRD figures exist in the data, so their votes are generated
(deterministic by seed, streamed a kecamatan at a time), plausibly:
- DPD: a province's valid votes spread over its candidates, a few of them (incumbents, known
  names) far ahead; each candidate runs strongest in a home kab/kota.
- DPRD (a contest document of service/data/legislative2024/contests.py): each dapil's parties vote
  like the province voted for the DPR in 2024, leaning by kab/kota, kecamatan and desa (in Aceh the
  local parties take about a third); a party's votes split into party-only and candidate votes
  as on the DPR forms.
Voters and the other sections as on every Pemilu form (bench/ballots.py); the boxes hold 0-999.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Collection, Iterator
from functools import cache, lru_cache
from typing import Any

from bench import ballots
from bench.data import TpsForm
from bench.legislative import kecamatan_tps
from domain.rules import ballot_allowance
from service.data.legislative2024 import source

DPD_ID = "dpd"
DPD_INVALID = 0.12  # the DPD ballot, long and unfamiliar, had the most invalid votes
DPRD_INVALID = 0.09
ACEH_LOCAL_SHARE = 0.33  # Partai Aceh and the other local parties in Aceh's DPRA/DPRK
LEANS = (0.0, 0.25, 0.15, 0.1)  # province (a contest never spans more than one), kab/kota, ...


def dpd_kecamatan_forms(
    provinces: Collection[str] | None = None, seed: int = 2024
) -> Iterator[tuple[str, list[TpsForm]]]:
    """(kecamatan, its DPD forms) for every kecamatan of `provinces` (all 38 by default)."""
    for province, candidates in sorted(source.dpd_candidates().items()):
        if provinces is not None and province not in provinces:
            continue
        rng = random.Random(f"{seed}:{DPD_ID}:{province}")
        strength = [math.exp(rng.gauss(0, 1.0)) for _ in candidates]
        for star in rng.sample(range(len(candidates)), min(6, len(candidates))):
            strength[star] *= 3.0
        homes = [f"{province}{rng.randint(1, 30):02d}" for _ in candidates]
        for kecamatan, tps in kecamatan_tps([province], seed):
            local = random.Random(f"{seed}:{DPD_ID}:{kecamatan}")
            weights = [
                s * (2.5 if home == kecamatan[:4] else 1.0) * math.exp(local.gauss(0, 0.3))
                for s, home in zip(strength, homes, strict=True)
            ]
            profiles = [
                ballots.profile([w * math.exp(local.gauss(0, 0.2)) for w in weights])
                for _ in range(3)
            ]
            numbers = [str(c.number) for c in candidates]
            forms = []
            for code, dpt in tps:
                valid, invalid = _turnout(local, dpt, DPD_INVALID)
                form = ballots.voter_sections(local, dpt, valid, invalid)
                shares = profiles[local.randrange(3)]
                form["votes"] = dict(zip(numbers, ballots.split(valid, shares), strict=True))
                forms.append(TpsForm(code, dpt, form, None, None))
            yield kecamatan, forms


def dprd_kecamatan_forms(
    contest: dict[str, Any], seed: int = 2024
) -> Iterator[tuple[str, list[TpsForm]]]:
    """(kecamatan, its forms) for every kecamatan of a DPRD contest document's region."""
    owner = {code: d for d in contest["districts"] for code in d["regions"]}
    province = contest["region"][:2]
    base = _province_shares(province)
    key = f"{seed}:{contest['id']}"
    for kecamatan, tps in kecamatan_tps([contest["region"]], seed):
        local = random.Random(f"{key}:{kecamatan}")
        lists: dict[tuple[str, int], list[ballots.Profile]] = {}  # the kecamatan's own margins
        forms = []
        for code, dpt in tps:
            district = next(
                owner[c] for c in (code[:10], code[:6], code[:4], code[:2]) if c in owner
            )
            parties = [int(p) for p in district["candidates"]]
            lean = _desa_lean(key, code[:10], tuple(base.get(p, 0.002) for p in parties))
            valid, invalid = _turnout(local, dpt, DPRD_INVALID)
            form = ballots.voter_sections(local, dpt, valid, invalid)
            variant = local.randrange(3)
            votes = {}
            for k, (p, n) in enumerate(zip(parties, ballots.split(valid, lean), strict=True)):
                listed = district["candidates"][str(p)]
                variants = lists.get((district["code"], p))
                if variants is None:
                    variants = _list_profiles(key, district["code"], p, len(listed), local)
                    lists[(district["code"], p)] = variants
                numbers = [str(c["number"]) for c in listed]
                votes[str(p)] = ballots.party_box(n, variants[(variant + k) % 3], numbers)
            form["votes"] = votes
            forms.append(TpsForm(code, dpt, form, None, None))
        yield kecamatan, forms


def _turnout(rng: random.Random, dpt: int, invalid_rate: float) -> tuple[int, int]:
    """(valid, invalid) votes at a TPS: turnout about 81 %, a few from outside its list."""
    received = ballot_allowance(dpt)
    turnout = min(0.98, max(0.45, rng.gauss(0.81, 0.07)))
    voters = min(received, round(dpt * turnout) + rng.choice((0, 0, 1, 2, 3)))
    invalid = min(voters, round(voters * invalid_rate * math.exp(rng.gauss(0, 0.3))))
    return voters - invalid, invalid


@cache
def _province_shares(province: str) -> dict[int, float]:
    """How the province voted for the DPR in 2024, party by party; in Aceh, the local parties."""
    totals: Counter[int] = Counter()
    for dapil in source.dpr_dapil():
        if dapil.province == province:
            totals.update(source.dpr_votes()[dapil.code])
    whole = sum(totals.values()) or 1
    shares = {p: v / whole for p, v in totals.items()}
    if province == source.ACEH:
        local = [p.number for p in source.parties() if p.aceh_local]
        weights = {n: (4.0 if n == 21 else 1.0) for n in local}  # 21: Partai Aceh leads them
        national = 1 - ACEH_LOCAL_SHARE
        shares = {p: s * national for p, s in shares.items()}
        shares.update({n: ACEH_LOCAL_SHARE * w / sum(weights.values()) for n, w in weights.items()})
    return shares


@lru_cache(maxsize=4096)
def _desa_lean(key: str, desa: str, shares: tuple[float, ...]) -> ballots.Profile:
    return ballots.profile(ballots.leaning(key, shares, desa, LEANS))


def _list_profiles(
    key: str, district: str, party: int, count: int, local: random.Random
) -> list[ballots.Profile]:
    listed = random.Random(f"{key}:{district}:{party}:list")
    base = ballots.candidate_weights(listed, count)
    return ballots.list_profiles(local, base, listed.uniform(0.06, 0.3))
