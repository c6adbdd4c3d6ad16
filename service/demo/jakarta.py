"""The demo election: Pilkada 2024, governor of DKI Jakarta, on its certified result.

The regions are the real Jakarta kab/kota, kecamatan and kelurahan of the 2024 hierarchy. The
Pilkada TPS (fewer and larger than the Pemilu ones) are spread over the kelurahan in proportion to
their Pemilu TPS, so that every kab/kota has exactly its certified number of TPS and DPT. The TPS
forms are generated so that every kab/kota adds up exactly to its certified votes (the province's
valid and invalid too), with four TPS carrying the kind of fault Sirekap showed in 2024.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from service.data import wilayah

PROVINCE = "31"
MAX_DPT = 600
SEED = 20241127  # election day
CSV_FILE = "jakarta-pilgub-2024.csv"
PROVINCE_VALID = 4_360_629
PROVINCE_INVALID = 363_764
# Certified invalid votes known per kab/kota; the rest of the province's are apportioned.
KNOWN_INVALID = {"3101": 474, "3173": 71_927}
CANDIDATES = ("1", "2", "3")
EXTRA_BALLOTS = 25

ELECTION: dict[str, Any] = {"id": "pilkada-2024", "name": "Pilkada Serentak 2024"}
CONTEST: dict[str, Any] = {
    "id": "gub-31",
    "name": "Pemilihan Gubernur dan Wakil Gubernur DKI Jakarta 2024",
    "kind": "gubernur",
    "region": PROVINCE,
    "winner_rule": "majority_runoff",
    "candidates": [
        {"number": 1, "name": "Ridwan Kamil - Suswono"},
        {"number": 2, "name": "Dharma Pongrekun - Kun Wardana"},
        {"number": 3, "name": "Pramono Anung - Rano Karno"},
    ],
}

# The four faulty TPS, one per kab/kota, chosen among TPS whose figures make the fault look like
# the 2024 cases (a hundreds digit 1 misread as 6).
VOTERS_MISREAD_TPS = "3171021003028"  # Jakarta Pusat: 152 DPT voters read as 652
BALLOTS_SLIP_TPS = "3172011001002"  # Jakarta Utara: 3 returned ballots counted as unused too
EXTRA_BALLOTS_TPS = "3174011001005"  # Jakarta Selatan: 25 ballots more than DPT + 2%
CORRECTED_TPS = "3175011001012"  # Jakarta Timur: 152 votes for paslon 3 read as 652


@dataclass(frozen=True)
class KabKota:
    code: str
    name: str
    tps: int
    dpt: int
    votes: tuple[int, int, int]
    invalid: int

    @property
    def valid(self) -> int:
        return sum(self.votes)


@dataclass(frozen=True)
class DemoResult:
    tps: str
    form: dict[str, Any]
    correction: dict[str, Any] | None
    correction_reason: str | None
    note: str | None


@dataclass(frozen=True)
class _Tps:
    code: str
    dpt: int
    invalid: int
    votes: tuple[int, int, int]


def certified() -> tuple[KabKota, ...]:
    """The certified result per kab/kota, with the invalid votes apportioned as described."""
    return _certified()


def regions() -> dict[str, list[dict[str, Any]]]:
    """The region load of the whole province: real regions, Pilkada TPS with their DPT."""
    h = wilayah.load()
    codes = [PROVINCE]
    for kabkota in h.children[PROVINCE]:
        codes.append(kabkota)
        for kecamatan in h.children[kabkota]:
            codes.append(kecamatan)
            codes.extend(h.children[kecamatan])
    return {
        "regions": [{"code": code, "name": h.names[code]} for code in sorted(codes)],
        "tps": [{"code": t.code, "dpt": t.dpt} for t in _plan()],
    }


def results() -> Iterator[DemoResult]:
    """One C.Hasil per TPS, in code order; four of them carry a fault (see the module's TPS)."""
    rng = random.Random(f"{SEED}:forms")
    for t in _plan():
        form = _form(t, rng)
        if t.code == VOTERS_MISREAD_TPS:
            yield _voters_misread(t.code, form)
        elif t.code == BALLOTS_SLIP_TPS:
            yield _ballots_slip(t.code, form)
        elif t.code == EXTRA_BALLOTS_TPS:
            yield _extra_ballots(t.code, form)
        elif t.code == CORRECTED_TPS:
            yield _corrected(t.code, form)
        else:
            yield DemoResult(t.code, form, None, None, None)


def apportion(total: int, weights: Sequence[float], caps: Sequence[int] | None = None) -> list[int]:
    """`total` split in proportion to `weights` by largest remainder, none above its cap.

    Weights are turned into integers (to a millionth) so that the split is exact and repeatable.
    """
    scaled = [max(0, round(w * 1_000_000)) for w in weights]
    limit = list(caps) if caps is not None else [total] * len(scaled)
    if total < 0 or sum(limit) < total:
        raise ValueError(f"cannot split {total} within caps summing to {sum(limit)}")
    result = [0] * len(scaled)
    active = [i for i, w in enumerate(scaled) if w > 0]
    remaining = total
    while remaining:
        weight = sum(scaled[i] for i in active)
        if weight == 0:
            raise ValueError(f"cannot split {total}: no weight left below the caps")
        over = [i for i in active if remaining * scaled[i] > limit[i] * weight]
        if over:
            for i in over:
                result[i] = limit[i]
                remaining -= limit[i]
            capped = set(over)
            active = [i for i in active if i not in capped]
            continue
        rests = []
        for i in active:
            share, rest = divmod(remaining * scaled[i], weight)
            result[i] = share
            rests.append((-rest, i))
        for _, i in sorted(rests)[: remaining - sum(result[i] for i in active)]:
            result[i] += 1
        remaining = 0
    return result


@lru_cache(maxsize=1)
def _certified() -> tuple[KabKota, ...]:
    text = resources.files("service.data").joinpath(CSV_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    votes = {
        r["kabkota_code"]: (int(r["paslon_1"]), int(r["paslon_2"]), int(r["paslon_3"]))
        for r in rows
    }
    rest = [code for code in votes if code not in KNOWN_INVALID]
    shares = apportion(
        PROVINCE_INVALID - sum(KNOWN_INVALID.values()), [sum(votes[code]) for code in rest]
    )
    invalid = {**KNOWN_INVALID, **dict(zip(rest, shares, strict=True))}
    return tuple(
        KabKota(
            r["kabkota_code"],
            r["kabkota_name"],
            int(r["tps"]),
            int(r["dpt"]),
            votes[r["kabkota_code"]],
            invalid[r["kabkota_code"]],
        )
        for r in rows
    )


@lru_cache(maxsize=1)
def _plan() -> tuple[_Tps, ...]:
    """Every TPS with its DPT, invalid votes and votes per candidate, in code order."""
    h = wilayah.load()
    rng = random.Random(SEED)
    plan: list[_Tps] = []
    for kab in sorted(_certified(), key=lambda k: k.code):
        kelurahan = [d for kec in h.children[kab.code] for d in h.children[kec]]
        if kab.tps < len(kelurahan):
            raise ValueError(f"{kab.code}: {kab.tps} TPS cannot cover {len(kelurahan)} kelurahan")
        # Every kelurahan keeps at least one TPS; the rest follow its Pemilu TPS.
        weights = [wilayah.tps_count(h.tps.get(d, (0,))) for d in kelurahan]
        counts = [1 + n for n in apportion(kab.tps - len(kelurahan), weights)]
        codes = [
            f"{d}{n:03d}"
            for d, count in zip(kelurahan, counts, strict=True)
            for n in range(1, count + 1)
        ]
        dpt = _dpt(kab, len(codes), rng)
        total = apportion(
            kab.valid + kab.invalid,
            [d * min(1.5, max(0.6, rng.gauss(1, 0.12))) for d in dpt],
            caps=dpt,
        )
        invalid = apportion(
            kab.invalid, [n * min(2.5, max(0.2, rng.gauss(1, 0.4))) for n in total], caps=total
        )
        valid = [n - i for n, i in zip(total, invalid, strict=True)]
        votes = _votes(valid, kab.votes, rng)
        plan.extend(
            _Tps(code, d, i, v) for code, d, i, v in zip(codes, dpt, invalid, votes, strict=True)
        )
    return tuple(sorted(plan, key=lambda t: t.code))


def _dpt(kab: KabKota, n: int, rng: random.Random) -> list[int]:
    # TPS are filled towards the cap, so draw how far each falls short of it.
    shortfall = n * MAX_DPT - kab.dpt
    if not 0 <= shortfall < n * MAX_DPT:
        raise ValueError(f"{kab.code}: DPT {kab.dpt} does not fit {n} TPS of at most {MAX_DPT}")
    weights = [min(4.5, rng.gammavariate(1.5, 1 / 1.5)) + 0.01 for _ in range(n)]
    return [MAX_DPT - s for s in apportion(shortfall, weights, caps=[MAX_DPT - 1] * n)]


def _votes(
    valid: list[int], targets: tuple[int, int, int], rng: random.Random
) -> list[tuple[int, int, int]]:
    """Votes per TPS adding up to `valid` per row and to `targets` per candidate, exactly."""
    base = [t / sum(targets) for t in targets]
    real = [[v * b * math.exp(rng.gauss(0, 0.25)) for b in base] for v in valid]
    # Iterative proportional fitting: rows to the TPS's valid votes, columns to the certified ones.
    for _ in range(100):
        for row, v in zip(real, valid, strict=True):
            s = sum(row)
            if s:
                f = v / s
                row[0], row[1], row[2] = row[0] * f, row[1] * f, row[2] * f
        factors = [t / sum(row[c] for row in real) for c, t in enumerate(targets)]
        if all(abs(f - 1) < 1e-9 for f in factors):
            break
        for row in real:
            row[0], row[1], row[2] = row[0] * factors[0], row[1] * factors[1], row[2] * factors[2]
    votes = [apportion(v, row) for row, v in zip(real, valid, strict=True)]
    # Rounding each row leaves the columns a few votes off: move single votes between candidates
    # within a TPS, where rounding went furthest the wrong way.
    off = [sum(row[c] for row in votes) - targets[c] for c in range(len(targets))]
    while any(off):
        give = max(range(len(off)), key=lambda c: off[c])
        take = min(range(len(off)), key=lambda c: off[c])
        i = max(
            (i for i, row in enumerate(votes) if row[give] > 0),
            key=lambda i: (votes[i][give] - real[i][give]) + (real[i][take] - votes[i][take]),
        )
        votes[i][give] -= 1
        votes[i][take] += 1
        off[give] -= 1
        off[take] += 1
    return [(row[0], row[1], row[2]) for row in votes]


def _split(
    j: int,
    rng: random.Random,
    cap_l: int | None = None,
    cap_p: int | None = None,
    spread: float = 0.03,
) -> dict[str, int]:
    """A row L/P/J of `j` people, about half men, with L <= cap_l and P <= cap_p."""
    l = round(j * min(1.0, max(0.0, rng.gauss(0.495, spread))))  # noqa: E741 - the form's column
    high = j if cap_l is None else min(j, cap_l)
    low = 0 if cap_p is None else max(0, j - cap_p)
    l = min(high, max(low, l))  # noqa: E741
    return {"l": l, "p": j - l, "j": j}


def _form(t: _Tps, rng: random.Random) -> dict[str, Any]:
    valid = sum(t.votes)
    total = valid + t.invalid
    registered_dpt = _split(t.dpt, rng, spread=0.015)
    dpph_registered = rng.choices(range(6), weights=(45, 20, 13, 10, 7, 5))[0]
    dpph = min(total, rng.randint(0, dpph_registered))
    # DPTb voters are written on the list as they come to vote, so registered = voted.
    dptb = min(total - dpph, rng.choices(range(8), weights=(40, 20, 14, 10, 7, 4, 3, 2))[0])
    reg_dpph = _split(dpph_registered, rng)
    voted_dpt = _split(total - dpph - dptb, rng, registered_dpt["l"], registered_dpt["p"])
    voted_dpph = _split(dpph, rng, reg_dpph["l"], reg_dpph["p"])
    voted_dptb = _split(dptb, rng)
    rows = (voted_dpt, voted_dpph, voted_dptb)
    received = t.dpt + (2 * t.dpt + 99) // 100  # DPT plus the 2% reserve, rounded up
    received = min(wilayah.BOX_MAX, received)
    returned = min(received - total, rng.choices(range(5), weights=(35, 30, 18, 10, 7))[0])
    disabled = min(total, rng.choices(range(6), weights=(40, 25, 15, 10, 6, 4))[0])
    return {
        "registered": {"dpt": registered_dpt, "dpph": reg_dpph, "dptb": dict(voted_dptb)},
        "voted": {
            "dpt": voted_dpt,
            "dpph": voted_dpph,
            "dptb": voted_dptb,
            "total": {k: sum(r[k] for r in rows) for k in ("l", "p", "j")},
        },
        "ballots": {
            "received": received,
            "used": total,
            "returned": returned,
            "unused": received - total - returned,
        },
        "disabled_voted": _split(disabled, rng),
        "votes": dict(zip(CANDIDATES, t.votes, strict=True)),
        "valid": valid,
        "invalid": t.invalid,
        "total": total,
    }


def _misread(value: int) -> int:
    """The value with its hundreds digit read as a 6, as Sirekap's OCR did with '152' -> '652'."""
    return 600 + value % 100


def _voters_misread(code: str, form: dict[str, Any]) -> DemoResult:
    true = form["voted"]["dpt"]["j"]
    form["voted"]["dpt"]["j"] = read = _misread(true)
    return DemoResult(
        code,
        form,
        None,
        None,
        f"Salah baca OCR: pemilih DPT yang memilih (J) terbaca {read}, seharusnya {true} "
        f"(DPT {form['registered']['dpt']['j']}); melanggar R1, R2 dan R3",
    )


def _ballots_slip(code: str, form: dict[str, Any]) -> DemoResult:
    ballots = form["ballots"]
    # The KPPS forgot to take the returned ballots off the unused ones.
    ballots["unused"] += ballots["returned"] or 10
    return DemoResult(
        code,
        form,
        None,
        None,
        f"Salah hitung surat suara: diterima {ballots['received']}, tetapi digunakan + "
        f"dikembalikan + sisa = "
        f"{ballots['used'] + ballots['returned'] + ballots['unused']}; melanggar R8",
    )


def _extra_ballots(code: str, form: dict[str, Any]) -> DemoResult:
    ballots = form["ballots"]
    allowance = ballots["received"]
    ballots["received"] += EXTRA_BALLOTS
    ballots["unused"] += EXTRA_BALLOTS
    return DemoResult(
        code,
        form,
        None,
        None,
        f"Surat suara diterima {ballots['received']}, melebihi DPT + 2% "
        f"({allowance}); melanggar R9 (lunak)",
    )


def _corrected(code: str, form: dict[str, Any]) -> DemoResult:
    true = form["votes"]["3"]
    submitted = copy.deepcopy(form)
    submitted["votes"]["3"] = read = _misread(true)
    return DemoResult(
        code,
        submitted,
        form,
        f"Koreksi operator: salah baca OCR pada suara paslon 3 ({read}, seharusnya {true})",
        f"Kiriman pertama salah baca OCR pada suara paslon 3 ({read}, seharusnya {true}); "
        f"melanggar R4; dikoreksi operator",
    )
