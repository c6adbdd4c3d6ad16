"""The real 2024 legislative data shipped with rekap (service/data/*.csv.gz), read as records.

The files are the CSVs of the project's data folder, gzip-compressed and otherwise unchanged:
- dapil2024: the dapil of DPR, DPRD provinsi and DPRD kab/kota and their regions (PKPU 6/2023,
  KPU's open data set, republished by ginanjarfm/pemilu2024-dapil, MIT);
- dpr2024-dapil: the 84 DPR dapil with seats and kab/kota (overseas 99xx in DKI JAKARTA II);
- parties2024: the 24 parties and their ballot numbers (18-23: Aceh's local parties);
- dpr2024-candidates, dpd2024-candidates: the final candidate lists (DCT);
- dpr2024-votes-per-dapil: DPR votes per dapil and party (Keputusan KPU 360/2024).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_PACKAGE = "service.data"
ACEH = "11"


@dataclass(frozen=True)
class Party:
    number: int
    short: str
    name: str
    aceh_local: bool  # only on Aceh's DPRA and DPRK ballots


@dataclass(frozen=True)
class DapilRow:
    body: str  # dpr, dprd_provinsi, dprd_kabkota
    dapil: str
    dapil_name: str
    region: str
    level: str  # kabkota, kecamatan, desa, or kabkota_part / kecamatan_part
    region_name: str

    @property
    def is_part(self) -> bool:
        return self.level.endswith("_part")


@dataclass(frozen=True)
class DprDapil:
    code: str
    name: str
    province: str
    seats: int
    kabkota: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    number: int
    name: str
    woman: bool


def _rows(name: str) -> Iterator[dict[str, str]]:
    raw = resources.files(DATA_PACKAGE).joinpath(f"{name}.csv.gz").read_bytes()
    yield from csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))


@cache
def parties() -> tuple[Party, ...]:
    return tuple(
        Party(int(r["number"]), r["short"], r["name"], r["kind"] == "aceh_local")
        for r in _rows("parties2024")
    )


@cache
def dapil_rows(body: str) -> tuple[DapilRow, ...]:
    """The rows of one body (dpr, dprd_provinsi, dprd_kabkota), in the file's order."""
    return tuple(
        DapilRow(
            r["body"],
            r["dapil_code"],
            r["dapil_name"],
            r["region_code"],
            r["region_level"],
            r["region_name"],
        )
        for r in _rows("dapil2024")
        if r["body"] == body
    )


@cache
def dpr_dapil() -> tuple[DprDapil, ...]:
    return tuple(
        DprDapil(
            r["dapil_code"],
            r["dapil_name"],
            r["province_code"],
            int(r["seats"]),
            tuple(r["kabkota_codes"].split()),
        )
        for r in _rows("dpr2024-dapil")
    )


@cache
def dpr_candidates() -> dict[str, dict[int, tuple[Candidate, ...]]]:
    """dapil -> party -> its candidates in ballot order."""
    found: dict[str, dict[int, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    for r in _rows("dpr2024-candidates"):
        found[r["dapil_code"]][int(r["party_number"])].append(_candidate(r))
    return {
        dapil: {p: tuple(sorted(c, key=lambda x: x.number)) for p, c in sorted(by_party.items())}
        for dapil, by_party in found.items()
    }


@cache
def dpd_candidates() -> dict[str, tuple[Candidate, ...]]:
    """province -> its DPD candidates in ballot order."""
    found: dict[str, list[Candidate]] = defaultdict(list)
    for r in _rows("dpd2024-candidates"):
        found[r["province_code"]].append(_candidate(r))
    return {p: tuple(sorted(c, key=lambda x: x.number)) for p, c in found.items()}


@cache
def dpr_votes() -> dict[str, dict[int, int]]:
    """dapil -> party -> its DPR votes as published (party-only votes plus its candidates')."""
    votes: dict[str, dict[int, int]] = {}
    for r in _rows("dpr2024-votes-per-dapil"):
        votes[r["dapil_code"]] = {
            int(column.split(":")[0]): int(value) for column, value in r.items() if ":" in column
        }
    return votes


def _candidate(row: dict[str, str]) -> Candidate:
    return Candidate(int(row["number"]), row["name"].strip(), row["sex"] == "P")
