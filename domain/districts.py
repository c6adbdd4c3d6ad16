"""The districts of a legislative contest partition its region (domain.md 3a; api.md).

A district names regions (province, kab/kota, kecamatan or desa); a TPS lies in a district when
its desa, or a region above it, is one of them. Every TPS of the contest's region must lie in
exactly one district. A fault names what is wrong in as few codes as possible: a region whose TPS
are all left out is named once (not TPS by TPS), a TPS covered twice is named by the regions
through which the districts cover it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.codes import NATION, is_within

REGION_LENGTHS = (2, 4, 6, 10)  # province, kab/kota, kecamatan, desa
DESA_LENGTH = 10
MAX_NAMED = 50  # faults of one kind named one by one; past that, counted


@dataclass(frozen=True)
class CoverageFault:
    problem: str  # left_out, covered_twice, outside, no_tps, not_a_region
    code: str  # the region at fault
    districts: tuple[str, ...]  # the districts involved (none for left_out)
    message: str


def coverage_faults(
    region: str, districts: Mapping[str, Iterable[str]], tps: Iterable[str]
) -> list[CoverageFault]:
    """Every way `districts` (district code -> region codes) fail to cover each TPS of `region`
    exactly once; `tps` are the TPS codes of the region (desa codes serve as well: coverage is
    decided desa by desa). An empty list means the districts partition the region."""
    faults: list[CoverageFault] = []
    owners: dict[str, list[str]] = defaultdict(list)
    for district, codes in districts.items():
        for code in codes:
            if len(code) not in REGION_LENGTHS and code != NATION:
                faults.append(_fault("not_a_region", code, (district,)))
            elif not is_within(code, region):
                faults.append(_fault("outside", code, (district,)))
            else:
                owners[code].append(district)
    per_desa = Counter(code[:DESA_LENGTH] for code in tps)
    held: set[str] = set()
    left: Counter[str] = Counter()
    total: Counter[str] = Counter()
    twice: dict[tuple[tuple[str, str], ...], int] = {}
    for desa, count in per_desa.items():
        prefixes = [desa[:n] for n in REGION_LENGTHS]
        covering = tuple((code, d) for code in (NATION, *prefixes) for d in owners.get(code, ()))
        held.update(code for code, _ in covering)
        for prefix in (p for p in prefixes if len(p) > len(region)):
            total[prefix] += count
            if not covering:
                left[prefix] += count
        if len(covering) > 1:
            twice[covering] = twice.get(covering, 0) + count
    if per_desa and sum(left[d] for d in per_desa) == sum(per_desa.values()):
        faults.append(_fault("left_out", region, ()))  # nothing of the region is covered
    else:
        faults.extend(_left_out(left, total))
    for covering, count in sorted(twice.items()):
        faults.append(_twice(covering, count))
    for code in sorted(set(owners) - held):
        faults.append(_fault("no_tps", code, tuple(owners[code])))
    return _capped(faults)


def _left_out(left: Counter[str], total: Counter[str]) -> list[CoverageFault]:
    """The largest regions whose TPS are all left out (their TPS are not named one by one)."""
    named = []
    for code in sorted(left):
        if left[code] != total[code]:
            continue
        parent = code[: _parent_length(code)]
        if parent and left[parent] and left[parent] == total[parent]:
            continue
        named.append(_fault("left_out", code, (), left[code]))
    return named


def _parent_length(code: str) -> int:
    shorter = [n for n in REGION_LENGTHS if n < len(code)]
    return shorter[-1] if shorter else 0


def _twice(covering: tuple[tuple[str, str], ...], count: int) -> CoverageFault:
    code = max((c for c, _ in covering), key=len)
    through = ", ".join(f"{d} (through {c})" for c, d in covering)
    return CoverageFault(
        "covered_twice",
        code,
        tuple(d for _, d in covering),
        f"{code}: {count} TPS lie in more than one district: {through}",
    )


def _fault(problem: str, code: str, districts: tuple[str, ...], count: int = 0) -> CoverageFault:
    where = f" (district {', '.join(districts)})" if districts else ""
    messages = {
        "left_out": f"{code}: {count or 'its'} TPS lie in no district",
        "outside": f"{code} lies outside the contest's region{where}",
        "no_tps": f"{code} holds no TPS of the contest's region{where}",
        "not_a_region": f"{code} is not a province, kab/kota, kecamatan or desa{where}",
    }
    return CoverageFault(problem, code, districts, messages[problem])


def _capped(faults: list[CoverageFault]) -> list[CoverageFault]:
    kept: list[CoverageFault] = []
    extra: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for fault in faults:
        seen[fault.problem] += 1
        if seen[fault.problem] <= MAX_NAMED:
            kept.append(fault)
        else:
            extra[fault.problem] += 1
    for problem, count in extra.items():
        kept.append(CoverageFault(problem, "", (), f"and {count} more {problem} faults"))
    return kept
