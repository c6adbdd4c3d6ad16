"""The real 2024 region hierarchy (KPU data as published by KawalPemilu), streamed for loading.

The data file is KawalPemilu's `tps2.json`, gzip-compressed and otherwise unchanged:
`{"id2name": {code: name}, "tps": {desa: [N] or [N, A, B]}}`, where `[N]` means TPS 001..N and
`[N, A, B]` adds the special-location TPS A..B (numbered from 901). Three overseas units are
written `[-k]`: a single unit numbered k (Brunei has TPS 1..25 under "TPS" and unit 26 under
"POS"), so they count as one TPS each. The file has no voter counts, so the DPT of every TPS is
generated, deterministically per desa, so that any subset of the country gets the same numbers.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA_PACKAGE = "service.data"
DATA_FILE = "wilayah2024.json.gz"
SPECIAL_FROM = 901
BOX_MAX = 999
PARENT_LENGTH = {2: 0, 4: 2, 6: 4, 10: 6}


@dataclass(frozen=True)
class Hierarchy:
    names: Mapping[str, str]  # code -> name for provinces, kab/kota, kecamatan and desa
    tps: Mapping[str, tuple[int, ...]]  # desa -> (N,) or (N, A, B), as in the file
    children: Mapping[str, tuple[str, ...]]  # "" (the nation) or a region -> its regions, sorted

    def provinces(self) -> tuple[str, ...]:
        return self.children[""]


def load(path: str | Path | None = None) -> Hierarchy:
    """The hierarchy from `path` (gzip or plain JSON), by default the copy shipped with rekap."""
    return _load(str(path) if path is not None else "")


@lru_cache(maxsize=4)
def _load(path: str) -> Hierarchy:
    if path:
        raw = Path(path).read_bytes()
    else:
        raw = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    doc: dict[str, Any] = json.loads(raw)
    names: dict[str, str] = doc["id2name"]
    tps = {desa: tuple(spec) for desa, spec in doc["tps"].items()}
    children: dict[str, list[str]] = {}
    for code in sorted(names):
        children.setdefault(code[: PARENT_LENGTH[len(code)]], []).append(code)
    return Hierarchy(
        MappingProxyType(names),
        MappingProxyType(tps),
        MappingProxyType({code: tuple(kids) for code, kids in children.items()}),
    )


def tps_numbers(spec: Sequence[int]) -> list[int]:
    """The TPS numbers of a desa from its `[N]`, `[N, A, B]` or `[-k]` entry, ascending."""
    first = spec[0]
    numbers = [-first] if first < 0 else list(range(1, first + 1))
    if len(spec) == 3:
        numbers.extend(range(spec[1], spec[2] + 1))
    return numbers


def tps_count(spec: Sequence[int]) -> int:
    """len(tps_numbers(spec)), without building the list."""
    count = 1 if spec[0] < 0 else spec[0]
    if len(spec) == 3:
        count += spec[2] - spec[1] + 1
    return count


def generate_dpt(
    desa: str, numbers: Sequence[int], *, seed: int = 2024, max_dpt: int = 300
) -> list[int]:
    """Registered voters for the TPS `numbers` of `desa`: mostly max_dpt/2..max_dpt, never above.

    Seeded by the desa alone, so a desa gets the same numbers whatever else is generated.
    """
    _check_max_dpt(max_dpt)
    rng = random.Random(f"{seed}:{desa}")
    # KPU fills a desa's TPS up to near the cap; how near varies from desa to desa.
    fill = rng.uniform(0.72, 0.95)
    low = max(1, max_dpt // 2)
    special_low, special_high = max(1, max_dpt // 20), max(1, max_dpt // 3)
    dpt = []
    for number in numbers:
        if number >= SPECIAL_FROM:  # hospitals, prisons, boarding schools: small lists
            dpt.append(rng.randint(special_low, special_high))
        else:
            dpt.append(min(max_dpt, max(low, round(max_dpt * rng.gauss(fill, 0.07)))))
    return dpt


def iter_region_chunks(
    path: str | Path | None = None,
    *,
    provinces: Collection[str] | None = None,
    seed: int = 2024,
    max_dpt: int = 300,
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The hierarchy as region loads, one kecamatan per chunk, in code order.

    Each chunk is `{"regions": [{code, name}...], "tps": [{code, dpt}...]}` holding the
    kecamatan's province, kab/kota, the kecamatan itself and its desa, then the TPS of those desa.
    """
    _check_max_dpt(max_dpt)
    h = load(path)
    for province in _selected(h, provinces):
        for kabkota in h.children.get(province, ()):
            for kecamatan in h.children.get(kabkota, ()):
                desas = h.children.get(kecamatan, ())
                regions = [
                    {"code": code, "name": h.names[code]}
                    for code in (province, kabkota, kecamatan, *desas)
                ]
                tps = []
                for desa in desas:
                    numbers = tps_numbers(h.tps.get(desa, (0,)))
                    dpts = generate_dpt(desa, numbers, seed=seed, max_dpt=max_dpt)
                    tps.extend(
                        {"code": f"{desa}{n:03d}", "dpt": d}
                        for n, d in zip(numbers, dpts, strict=True)
                    )
                yield {"regions": regions, "tps": tps}


def summary(
    path: str | Path | None = None, provinces: Collection[str] | None = None
) -> dict[str, int]:
    """How many provinces, kab/kota, kecamatan, desa and TPS the chunks will hold."""
    h = load(path)
    selected = tuple(_selected(h, provinces))
    counts = {"provinces": len(selected), "kabkota": 0, "kecamatan": 0, "desa": 0, "tps": 0}
    tier = {4: "kabkota", 6: "kecamatan", 10: "desa"}
    for code in h.names:
        if len(code) in tier and code[:2] in selected:
            counts[tier[len(code)]] += 1
    counts["tps"] = sum(tps_count(spec) for desa, spec in h.tps.items() if desa[:2] in selected)
    return counts


def _selected(h: Hierarchy, provinces: Collection[str] | None) -> list[str]:
    known = h.provinces()
    if provinces is None:
        return list(known)
    wanted = {str(p).replace(".", "").strip() for p in provinces}
    unknown = wanted.difference(known)
    if unknown:
        raise ValueError(f"no such province: {', '.join(sorted(unknown))}")
    return sorted(wanted)


def _check_max_dpt(max_dpt: int) -> None:
    if not 1 <= max_dpt <= BOX_MAX:
        raise ValueError(f"max_dpt must be 1 to {BOX_MAX} (a box of the form), not {max_dpt}")
