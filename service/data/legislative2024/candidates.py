"""Candidate lists of the 2024 DPRD, which the data does not give: generated, plausibly.

Deterministic from a seed and the dapil, so any subset of the country gets the same lists. As the
law shapes a real list (UU 7/2017): a party lists at most as many candidates as the dapil has
seats (art. 244); at least one woman in every three candidates (art. 246(2)), so at least 30 %
(art. 245). Large parties mostly fill their lists, small ones often do not, and a minor party now
and then stands no one in a dapil (it is then not on that dapil's ballot). Names are made up from
common Indonesian given names; some carry a pilgrim's or an academic title, as real lists do.
"""

from __future__ import annotations

import random
from functools import cache

from service.data.legislative2024 import source


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MEN = _words(
    "Ahmad Agus Budi Bambang Dedi Eko Fajar Hendra Irfan Joko Kurniawan Lukman Muhammad Nur "
    "Rahmat Rizky Slamet Taufik Wahyu Yusuf Andi Arif Dimas Gilang Hadi Ilham Rudi Sigit Teguh "
    "Yohanes Made Ketut Wayan Frans Petrus Daniel Syamsul Zainal Abdul Imam"
)
WOMEN = _words(
    "Siti Dewi Sri Ani Rina Nur Fitri Lestari Yuni Wulan Ratna Indah Maria Kartika Ayu Putri "
    "Rahmawati Nurul Diah Eka Ketut Made Desi Lina Maya Tuti Yanti Elisabeth Agustina Hasanah "
    "Novita Erna Ida Suryani Fatimah Aisyah Ratih Melati Sari Wati"
)
FAMILY = _words(
    "Saputra Santoso Wijaya Hidayat Siregar Nasution Harahap Lubis Simanjuntak Pratama Setiawan "
    "Kusuma Gunawan Rahman Hakim Sulaiman Tanjung Sitompul Manurung Pane Ginting Tarigan "
    "Sinaga Daulay Utomo Susanto Purnomo Wibowo Syahputra Ramadhan Mahendra Lumban Wenda "
    "Rumbiak Latuconsina Pattiasina Tamrin Rasyid Bakri Mappa Daeng Lamba"
)
DEGREES = ("S.H.", "S.E.", "S.Pd.", "S.Sos.", "S.T.", "S.Ag.", "M.M.", "S.Kom.", "S.IP.", "M.H.")
# How likely a party fills its list: more so the stronger it is (its 2024 DPR share stands in
# for its strength; Aceh's local parties count as the mid-sized parties they are there).
FULL_LIST_BASE = 0.35
ABSENT_CHANCE = 0.04  # a minor party standing no one in a dapil


def party_numbers(province: str) -> list[int]:
    """The parties on a DPRD ballot in `province`: the national parties, and in Aceh also Aceh's
    local parties (18-23)."""
    return [p.number for p in source.parties() if not p.aceh_local or province == source.ACEH]


def dprd_candidates(
    dapil: str, seats: int, province: str, seed: int = 2024
) -> dict[int, list[tuple[int, str, bool]]]:
    """party -> its list in the dapil, as (ballot number, name, is a woman); parties standing no
    one are left out."""
    lists: dict[int, list[tuple[int, str, bool]]] = {}
    shares = _strength()
    for party in party_numbers(province):
        rng = random.Random(f"{seed}:dprd-candidates:{dapil}:{party}")
        strength = shares.get(party, 0.05)
        if strength < 0.03 and rng.random() < ABSENT_CHANCE:
            continue
        full = rng.random() < FULL_LIST_BASE + 6 * strength
        count = seats if full else rng.randint(max(1, seats // 3), seats)
        lists[party] = [(n, name, woman) for n, (name, woman) in enumerate(_list(rng, count), 1)]
    return lists


def _list(rng: random.Random, count: int) -> list[tuple[str, bool]]:
    women = []
    for start in range(0, count, 3):
        block = range(start, min(start + 3, count))
        chosen = rng.choice(list(block))
        women.extend(i == chosen or rng.random() < 0.2 for i in block)
    return [(_name(rng, woman), woman) for woman in women]


def _name(rng: random.Random, woman: bool) -> str:
    given = rng.choice(WOMEN if woman else MEN)
    name = f"{given} {rng.choice(FAMILY)}"
    if rng.random() < 0.15:
        name = f"{'Hj.' if woman else 'H.'} {name}"
    if rng.random() < 0.4:
        name = f"{name}, {rng.choice(DEGREES)}"
    return name


@cache
def _strength() -> dict[int, float]:
    totals: dict[int, int] = {}
    for votes in source.dpr_votes().values():
        for party, v in votes.items():
            totals[party] = totals.get(party, 0) + v
    whole = sum(totals.values()) or 1
    local = {p.number: 0.06 for p in source.parties() if p.aceh_local}
    return {**local, **{p: v / whole for p, v in totals.items()}}
