"""The regions of each 2024 dapil, reconciled with the region tree of service/data/wilayah.py.

The dapil file (KPU's open data) and the region tree (KPU's TPS data) mostly agree; where they
do not, the dapil is fitted to the tree, deterministically:

1. Codes recoded between the two sources (Papua Barat Daya: kecamatan of Sorong, Sorong Selatan
   and Raja Ampat carry other codes in the dapil file): a row whose code names another region in
   the tree is matched by name among the tree's regions of the same parent, when exactly one has
   the row's name. Misspellings alone (JOHAN PAHWALAN for JOHAN PAHLAWAN) keep their code.
2. A region split between dapil (the 93 `kabkota_part` / `kecamatan_part` rows, e.g. Kota Medan
   A and B): the part row names no region of its own; the file lists the kecamatan (or desa) of
   each part beside it. What it does not list under a split region (desa newer than the dapil
   file: two in Sungai Raya, two in Sentani) goes, unit by unit in code order, to the part
   holding the fewest of the region's TPS so far; were nothing listed, the units would be dealt
   out in code-order runs of about equal TPS.
3. Any other region of the contest that no dapil names (newer kecamatan or desa) joins the dapil
   that holds most of its siblings' TPS, or the parent's dapil.
The result: every TPS of the contest's region lies in exactly one dapil (domain/districts.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from service.data import wilayah
from service.data.legislative2024 import source

TIER_LENGTHS = (2, 4, 6, 10)


@dataclass(frozen=True)
class Dapil:
    code: str
    name: str
    regions: tuple[str, ...]  # region codes, sorted


def dpr_dapil() -> list[Dapil]:
    """The 84 DPR dapil of kab/kota (the overseas units 99xx in DKI JAKARTA II)."""
    return [Dapil(d.code, d.name, tuple(sorted(d.kabkota))) for d in source.dpr_dapil()]


def dprd_provinsi_dapil(province: str) -> list[Dapil]:
    return _fitted("dprd_provinsi", province)


def dprd_kabkota_dapil(kabkota: str) -> list[Dapil]:
    """The dapil of a kab/kota's DPRD (DKI Jakarta's six administrative cities have none)."""
    return _fitted("dprd_kabkota", kabkota)


def dprd_kabkota_codes() -> list[str]:
    """The kab/kota that elect a DPRD in 2024, in code order."""
    return sorted({row.dapil[:4] for row in source.dapil_rows("dprd_kabkota")})


def tps_weight(code: str) -> int:
    """How many TPS a region holds."""
    return _tps_under()[code]


@cache
def _tps_under() -> Counter[str]:
    h = wilayah.load()
    counts: Counter[str] = Counter()
    for desa, spec in h.tps.items():
        n = wilayah.tps_count(spec)
        for length in TIER_LENGTHS:
            counts[desa[:length]] += n
    return counts


@cache
def _fitted(body: str, scope: str) -> list[Dapil]:
    rows = _rows_by_scope(body, len(scope)).get(scope, [])
    names = {r.dapil: r.dapil_name for r in rows}
    regions: dict[str, set[str]] = defaultdict(set)
    parts: dict[str, list[str]] = defaultdict(list)
    recoded = _recoded([r for r in rows if not r.is_part])
    for row in rows:
        if row.is_part:
            parts[row.region].append(row.dapil)
        else:
            regions[row.dapil].add(recoded.get(row.region, row.region))
    for split, dapil in sorted(parts.items()):
        named = {code for codes in regions.values() for code in codes}
        _deal(split, _unnamed(split, named), sorted(set(dapil)), regions)
    _adopt_orphans(scope, regions)
    return [Dapil(code, names[code], tuple(sorted(regions[code]))) for code in sorted(names)]


@cache
def _rows_by_scope(body: str, length: int) -> dict[str, list[source.DapilRow]]:
    """A body's rows by the province (2) or kab/kota (4) their dapil code starts with."""
    found: dict[str, list[source.DapilRow]] = defaultdict(list)
    for row in source.dapil_rows(body):
        found[row.dapil[:length]].append(row)
    return found


def _recoded(rows: Sequence[source.DapilRow]) -> dict[str, str]:
    """Row code -> the tree's code of the region the row names, where the two differ."""
    h, by_name = wilayah.load(), _codes_by_name()
    moved = {}
    for row in rows:
        if _plain(h.names.get(row.region, "")) == _plain(row.region_name):
            continue
        same = by_name.get((row.region[: _parent_length(row.region)], _plain(row.region_name)))
        if same and len(same) == 1:
            moved[row.region] = same[0]
    return moved


@cache
def _codes_by_name() -> dict[tuple[str, str], list[str]]:
    """(parent code, name without punctuation) -> the codes of the tree's regions so named."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code, name in wilayah.load().names.items():
        found[(code[: _parent_length(code)], _plain(name))].append(code)
    return found


def _deal(split: str, units: list[str], dapil: list[str], regions: dict[str, set[str]]) -> None:
    """The unnamed units of a split region to its parts: each to the part holding the fewest of
    the region's TPS so far; when the file lists nothing of the parts, in code-order runs of
    about equal TPS."""
    held = {d: sum(tps_weight(c) for c in regions[d] if c.startswith(split)) for d in dapil}
    if any(held.values()):
        for unit in units:
            lightest = min(dapil, key=lambda d: (held[d], d))
            regions[lightest].add(unit)
            held[lightest] += tps_weight(unit)
        return
    remaining, i = sum(tps_weight(u) for u in units), 0
    for k, code in enumerate(dapil):
        parts_left = len(dapil) - k
        target, taken = remaining / parts_left, 0
        while i < len(units) and (
            parts_left == 1 or taken == 0 or taken + tps_weight(units[i]) / 2 <= target
        ):
            taken += tps_weight(units[i])
            regions[code].add(units[i])
            i += 1
        remaining -= taken


def _adopt_orphans(scope: str, regions: dict[str, set[str]]) -> None:
    """Regions of the contest that no dapil names join their siblings' (or parent's) dapil."""
    owner = {code: d for d, codes in regions.items() for code in codes}
    for orphan in _unnamed(scope, set(owner)):
        parent = orphan[: _parent_length(orphan)]
        weights: Counter[str] = Counter()
        for code, d in owner.items():
            if code.startswith(parent):
                weights[d] += tps_weight(code)
        chosen = min(weights, key=lambda d: (-weights[d], d)) if weights else min(regions)
        regions[chosen].add(orphan)


def _unnamed(top: str, named: set[str]) -> list[str]:
    """The largest regions under `top` holding TPS that no code of `named` covers."""
    h = wilayah.load()

    def covered(code: str) -> bool:
        return any(code[:n] in named for n in TIER_LENGTHS if n <= len(code))

    def walk(code: str) -> list[str]:
        if covered(code):
            return []
        if not any(n.startswith(code) for n in named):
            return [code] if tps_weight(code) else []
        return [found for child in h.children.get(code, ()) for found in walk(child)]

    return walk(top)


def _parent_length(code: str) -> int:
    shorter = [n for n in TIER_LENGTHS if n < len(code)]
    return shorter[-1] if shorter else 0


def _plain(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())
