"""Legislative contests over the small test tree (tests/factories.py, province 91), and their
C.Hasil forms built the way a client would send them."""

from __future__ import annotations

from typing import Any

from tests.factories import ELECTION, split

BASE = f"/api/v1/elections/{ELECTION}/contests"
PARTIES = [
    {"number": 1, "name": "Partai Satu"},
    {"number": 2, "name": "Partai Dua"},
    {"number": 3, "name": "Partai Tiga"},
    {"number": 5, "name": "Partai Lima"},
]


def lists(parties: tuple[int, ...], size: int) -> dict[str, list[dict[str, Any]]]:
    return {
        str(p): [{"number": n, "name": f"Caleg {p}-{n}"} for n in range(1, size + 1)]
        for p in parties
    }


def dpr() -> dict[str, Any]:
    """Three districts over the nation (province 91): two kecamatan and a kab/kota."""
    return {
        "id": "dpr",
        "kind": "dpr",
        "region": "",
        "threshold": 4.0,
        "parties": [dict(p) for p in PARTIES],
        "districts": [
            {
                "code": "9101",
                "name": "UJI I",
                "seats": 3,
                "regions": ["910101"],
                "candidates": lists((1, 2, 3, 5), 3),
            },
            {
                "code": "9102",
                "name": "UJI II",
                "seats": 2,
                "regions": ["910102"],
                "candidates": lists((1, 2, 3, 5), 2),
            },
            {
                "code": "9103",
                "name": "UJI III",
                "seats": 2,
                "regions": ["9102"],
                "candidates": lists((1, 2, 3), 2),
            },
        ],
    }


def dpd() -> dict[str, Any]:
    return {
        "id": "dpd",
        "kind": "dpd",
        "region": "",
        "parties": [],
        "districts": [
            {
                "code": "91",
                "name": "PROVINSI UJI",
                "seats": 4,
                "regions": ["91"],
                "candidates": [{"number": n, "name": f"Calon DPD {n}"} for n in range(1, 7)],
            }
        ],
    }


def dprd_kabkota() -> dict[str, Any]:
    """DPRD of kab 9101 over its two kecamatan."""
    return {
        "id": "dprd-9101",
        "kind": "dprd_kabkota",
        "region": "9101",
        "parties": [dict(p) for p in PARTIES[:3]],
        "districts": [
            {
                "code": "910101",
                "name": "SATU 1",
                "seats": 3,
                "regions": ["910101"],
                "candidates": lists((1, 2, 3), 3),
            },
            {
                "code": "910102",
                "name": "SATU 2",
                "seats": 3,
                "regions": ["9101021001"],
                "candidates": lists((1, 2, 3), 3),
            },
        ],
    }


def section_iv(votes: dict[str, tuple[int, dict[str, int]]]) -> dict[str, Any]:
    """`{party: (party-only, {candidate: votes})}` as a form's section IV, totals added up."""
    return {
        p: {"party": only, "candidates": dict(cands), "total": only + sum(cands.values())}
        for p, (only, cands) in votes.items()
    }


def pemilu_form(dpt: int, votes: dict[str, Any], invalid: int = 3) -> dict[str, Any]:
    """A consistent Pemilu C.Hasil (every rule holds) with section IV as given: per party
    (`section_iv`) or per candidate (DPD)."""
    valid = sum(v["total"] if isinstance(v, dict) else v for v in votes.values())
    total = valid + invalid
    dptb, dpk = 1, 1
    from_dpt = total - dptb - dpk
    reserve = -(-dpt * 2 // 100)
    parts = (split(from_dpt), split(dptb), split(dpk))
    return {
        "registered": {"dpt": split(dpt)},
        "voted": {
            "dpt": parts[0],
            "dptb": parts[1],
            "dpk": parts[2],
            "total": {k: sum(s[k] for s in parts) for k in ("l", "p", "j")},
        },
        "ballots": {
            "received": dpt + reserve,
            "used": total,
            "returned": 0,
            "unused": dpt + reserve - total,
        },
        "disabled_voted": split(min(2, total)),
        "votes": votes,
        "valid": valid,
        "invalid": invalid,
        "total": total,
    }
