"""Seats of the 2024 DPRD, which the data does not give, generated within the law's ranges.

UU 7/2017 fixes the size of a DPRD by the population of its region and bounds every dapil:
- art. 188: DPRD provinsi 35-120 seats, by population bands (up to 1 million: 35; to 3 million:
  45; 5: 55; 7: 65; 9: 75; 11: 85; 20: 100; above: 120); art. 189: 3-12 seats per dapil.
- art. 191: DPRD kab/kota 20-55 seats (up to 100,000: 20; 200,000: 25; 300,000: 30;
  400,000: 35; 500,000: 40; 1 million: 45; 3 million: 50; above: 55); art. 192: 3-12 per dapil.
The region tree has no population, so its TPS stand in for it: 2024 had about 340 inhabitants
per TPS (some 278 million people, 823,220 TPS). The seats are then shared among the dapil by
their TPS (Sainte-Lague, the law's own method), each between 3 and 12. (The special autonomy
laws that enlarge the DPR Aceh, DPRD DKI Jakarta and the Papuan DPR are not modelled.)
"""

from __future__ import annotations

from collections.abc import Mapping

POPULATION_PER_TPS = 340
DAPIL_MIN, DAPIL_MAX = 3, 12  # art. 189 and 192
PROVINSI_BANDS = (
    (1_000_000, 35),
    (3_000_000, 45),
    (5_000_000, 55),
    (7_000_000, 65),
    (9_000_000, 75),
    (11_000_000, 85),
    (20_000_000, 100),
)
PROVINSI_MAX = 120
KABKOTA_BANDS = (
    (100_000, 20),
    (200_000, 25),
    (300_000, 30),
    (400_000, 35),
    (500_000, 40),
    (1_000_000, 45),
    (3_000_000, 50),
)
KABKOTA_MAX = 55


def dprd_provinsi_seats(tps: int) -> int:
    """The seats of a DPRD provinsi whose province holds `tps` TPS (art. 188(2))."""
    return _band(tps * POPULATION_PER_TPS, PROVINSI_BANDS, PROVINSI_MAX)


def dprd_kabkota_seats(tps: int) -> int:
    """The seats of a DPRD kab/kota whose kab/kota holds `tps` TPS (art. 191(2))."""
    return _band(tps * POPULATION_PER_TPS, KABKOTA_BANDS, KABKOTA_MAX)


def share_seats(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """`total` seats among dapil by weight: every dapil 3 first, then seat by seat to the highest
    weight / (2s + 1) among those under 12 (ties by code). If `total` cannot be met within the
    bounds, the bounds win: 3 or 12 seats times the number of dapil."""
    seats = dict.fromkeys(sorted(weights), DAPIL_MIN)
    total = min(max(total, DAPIL_MIN * len(seats)), DAPIL_MAX * len(seats))
    for _ in range(total - sum(seats.values())):
        open_ = [d for d in seats if seats[d] < DAPIL_MAX]
        best = max(open_, key=lambda d: (weights[d] / (2 * seats[d] + 1), [-ord(c) for c in d]))
        seats[best] += 1
    return seats


def _band(population: int, bands: tuple[tuple[int, int], ...], above: int) -> int:
    for limit, seats in bands:
        if population <= limit:
            return seats
    return above
