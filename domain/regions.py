"""The region tree of an election: regions by code and TPS with their DPT.

A tree is loaded in chunks, one per kecamatan with everything below it (and the names of its
kab/kota and province), so that loading the same file twice changes nothing and a national tree
can be streamed. A code that does not fit its parent (no such parent in the load) is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from domain.codes import NATION, Tier, normalise, parent_of, tier_of
from domain.errors import ErrorList, InvalidInput
from domain.form import BOX_MAX

MAX_NAME = 200  # characters of a region's name (and of every other name rekap keeps)


@dataclass(frozen=True)
class RegionChunk:
    key: str  # the kecamatan code (or the region's own code above kecamatan)
    regions: tuple[tuple[str, str], ...]  # (code, name), sorted by code
    tps: tuple[tuple[str, int], ...]  # (code, dpt), sorted by code

    @property
    def digest(self) -> str:
        canonical = json.dumps([self.regions, self.tps], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_region_tree(data: object) -> list[RegionChunk]:
    """The chunks of a region-tree document, or InvalidInput listing every fault."""
    errors = ErrorList()
    if not isinstance(data, dict):
        raise InvalidInput("the region tree must be an object with 'regions' and 'tps'")
    for key in data:
        if key not in ("regions", "tps"):
            errors.add(key, "unknown field")
    names = _regions(data.get("regions"), errors)
    dpt = _tps(data.get("tps"), names, errors)
    if errors:
        raise InvalidInput("the region tree is not valid", errors.errors)
    return _chunks(names, dpt)


def _regions(raw: object, errors: ErrorList) -> dict[str, str]:
    names: dict[str, str] = {}
    for i, code, name in _items(raw, "regions", "name", errors):
        if tier_of(code) in (Tier.TPS, Tier.NASIONAL):
            errors.add(f"regions.{i}.code", "a region is a province, kab/kota, kecamatan or desa")
        elif not isinstance(name, str) or not name.strip():
            errors.add(f"regions.{i}.name", "a non-empty name")
        elif len(name) > MAX_NAME:
            errors.add(f"regions.{i}.name", f"at most {MAX_NAME} characters")
        elif names.get(code, name.strip()) != name.strip():
            errors.add(f"regions.{i}.code", f"{code} appears twice with different names")
        else:
            names[code] = name.strip()
    for i, code in enumerate(names):
        parent = parent_of(code)
        if parent != NATION and parent not in names:
            errors.add(f"regions.{i}.code", f"{code} does not fit a parent: no region {parent}")
    return names


def _tps(raw: object, names: dict[str, str], errors: ErrorList) -> dict[str, int]:
    if raw is None:
        return {}
    dpt: dict[str, int] = {}
    for i, code, value in _items(raw, "tps", "dpt", errors):
        if tier_of(code) is not Tier.TPS or code.endswith("000"):
            errors.add(f"tps.{i}.code", "a TPS code is a desa code and a number 001-999")
        elif parent_of(code) not in names:
            errors.add(f"tps.{i}.code", f"{code} does not fit a parent: no desa {parent_of(code)}")
        elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= BOX_MAX:
            errors.add(f"tps.{i}.dpt", f"registered voters: a whole number 0 to {BOX_MAX}")
        elif code in dpt and dpt[code] != value:
            errors.add(f"tps.{i}.code", f"{code} appears twice with different DPT")
        else:
            dpt[code] = value
    return dpt


def _items(raw: object, key: str, other: str, errors: ErrorList) -> Iterator[tuple[int, str, Any]]:
    """Each item of the list `raw` (at `key`) with a valid code: its index, code and `other`."""
    if not isinstance(raw, list):
        errors.add(key, f"a list of {{code, {other}}}")
        return
    for i, item in enumerate(raw):
        code, value = _item(item, other, f"{key}.{i}", errors)
        if code is not None:
            yield i, code, value


def _item(item: object, other: str, path: str, errors: ErrorList) -> tuple[str | None, Any]:
    if not isinstance(item, dict):
        errors.add(path, f"an object with code and {other}")
        return None, None
    try:
        return normalise(item.get("code")), item.get(other)
    except InvalidInput as exc:
        errors.add(f"{path}.code", exc.message)
        return None, None


def _chunks(names: dict[str, str], dpt: dict[str, int]) -> list[RegionChunk]:
    by_key: dict[str, tuple[set[str], list[str]]] = {}
    for code in names:
        key = code[:6] if len(code) >= 6 else code
        by_key.setdefault(key, (set(), []))[0].add(code)
    for code in dpt:
        by_key[code[:6]][1].append(code)
    for key, (regions, _) in by_key.items():
        regions.update(c for c in names if len(c) < len(key) and key.startswith(c))
    return [
        RegionChunk(
            key,
            tuple((c, names[c]) for c in sorted(regions)),
            tuple((c, dpt[c]) for c in sorted(tps)),
        )
        for key, (regions, tps) in sorted(by_key.items())
        if len(key) == 6 or not any(k != key and k.startswith(key) for k in by_key)
    ]
