"""The seats of the whole DPR as rekap computes them from the ingested forms (GET .../seats, the
query behind it), timed, and set against the official 2024 result.

The official seats (Keputusan KPU 1205/2024) are those of the whole DPR: on a subset of
provinces rekap's threshold is 4 % of the subset's valid votes, so the comparison there is with
the allocation the published votes of the same dapil give (domain/seats.py on
source.dpr_votes()), and the official figures are compared only when all 84 dapil are in.
"""

from __future__ import annotations

import time
from typing import Any

from bench import data, legislative
from bench.readside import percentiles
from domain.seats import DistrictFigures, PartyFigures, allocate
from service.bootstrap import Services
from service.data.legislative2024 import source
from service.read.seats import SeatQueries

OFFICIAL_SEATS_2024 = {"3": 110, "4": 102, "2": 86, "5": 69, "1": 68, "8": 53, "12": 48, "14": 44}
OFFICIAL_VALID_2024 = 151_793_293
PARTY_NAMES = {
    "3": "PDIP",
    "4": "Golkar",
    "2": "Gerindra",
    "5": "NasDem",
    "1": "PKB",
    "8": "PKS",
    "12": "PAN",
    "14": "Demokrat",
}


def dpr_seats(services: Services, repeat: int = 5) -> dict[str, Any]:
    """GET .../seats of the DPR, timed, and its comparison with the published result."""
    contest = services.queries.contest(data.ELECTION_ID, legislative.DPR_ID)
    queries = SeatQueries(services.db)
    samples, found = [], {}
    for _ in range(repeat + 1):
        start = time.perf_counter()
        found = queries.seats(contest)
        samples.append(time.perf_counter() - start)
    timing = percentiles(samples[1:]) | {"first_ms": round(samples[0] * 1000, 1)}
    codes = [d.code for d in contest.districts]
    expected = _published_allocation(codes)
    got = {d["code"]: _nonzero(d["allocation"]) for d in found["districts"]}
    same = [c for c in codes if got.get(c) == expected["districts"].get(c)]
    whole = len(codes) == len(source.dpr_dapil())
    return {
        "timing": timing,
        "dapil": len(codes),
        "whole_dpr": whole,
        "seats": found["seats"],
        "threshold": found["threshold"],
        "expected_seats": expected["seats"],
        "official_seats": OFFICIAL_SEATS_2024 if whole else None,
        "dapil_equal": len(same),
        "dapil_different": sorted(set(codes) - set(same)),
        "reproduced": _nonzero(found["seats"])
        == (OFFICIAL_SEATS_2024 if whole else expected["seats"])
        and len(same) == len(codes),
    }


def _published_allocation(codes: list[str]) -> dict[str, Any]:
    seats = {d.code: d.seats for d in source.dpr_dapil()}
    votes = source.dpr_votes()
    figures = [
        DistrictFigures(c, seats[c], tuple(PartyFigures(p, v) for p, v in votes[c].items()))
        for c in codes
    ]
    whole = len(codes) == len(seats)
    result = allocate(figures, 4.0, national_valid=OFFICIAL_VALID_2024 if whole else None)
    return {
        "seats": _nonzero(result.seats),
        "districts": {d.code: _nonzero(d.allocation) for d in result.districts},
    }


def _nonzero(seats: dict[Any, int]) -> dict[str, int]:
    return {str(k): int(v) for k, v in seats.items() if v}
