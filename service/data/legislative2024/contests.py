"""The four legislative contests of Pemilu 2024 as contest documents (api.md, POST contests).

Real: the DPR dapil, seats and candidates; the DPD candidates; the DPRD dapil and their regions
(fitted to the region tree, see dapil.py); the parties. Generated, because the data has none:
DPRD seats (apportion.py) and DPRD candidate lists (candidates.py). A document is
`{"id", "kind", "region", "name", "threshold", "parties", "districts"}`; a district of a party
contest is `{"code", "name", "seats", "regions", "candidates": {party: [{number, name}]}}`, of the
DPD `{"code", "name", "seats": 4, "regions": [province], "candidates": [{number, name}]}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.seats import DPD_SEATS, DPR_THRESHOLD_PERCENT
from service.data import wilayah
from service.data.legislative2024 import apportion, candidates, dapil, source

NATION = ""  # the region of the national contests, as api.md writes it
OVERSEAS = "99"  # overseas voters vote for President and DPR only


def dpr_contest() -> dict[str, Any]:
    """DPR: 84 dapil of kab/kota, 580 seats, the national parties, the real candidate lists."""
    lists = source.dpr_candidates()
    districts = [
        {
            "code": d.code,
            "name": d.name,
            "seats": seats,
            "regions": list(d.regions),
            "candidates": {
                str(party): [{"number": c.number, "name": c.name} for c in listed]
                for party, listed in lists.get(d.code, {}).items()
            },
        }
        for d, seats in zip(dapil.dpr_dapil(), (x.seats for x in source.dpr_dapil()), strict=True)
    ]
    national = [p for p in source.parties() if not p.aceh_local]
    return _document(
        "dpr", "dpr", NATION, "DPR RI 2024", DPR_THRESHOLD_PERCENT, national, districts
    )


def dpd_contest() -> dict[str, Any]:
    """DPD: one district per province, four seats each, individual candidates."""
    names = wilayah.load().names
    districts = [
        {
            "code": province,
            "name": names[province],
            "seats": DPD_SEATS,
            "regions": [province],
            "candidates": [{"number": c.number, "name": c.name} for c in listed],
        }
        for province, listed in sorted(source.dpd_candidates().items())
    ]
    return _document("dpd", "dpd", NATION, "DPD RI 2024", 0.0, [], districts)


def dprd_provinsi_contest(province: str, seed: int = 2024) -> dict[str, Any]:
    found = dapil.dprd_provinsi_dapil(province)
    total = apportion.dprd_provinsi_seats(dapil.tps_weight(province))
    name = wilayah.load().names[province]
    body = "DPR Aceh" if province == source.ACEH else f"DPRD Provinsi {name}"
    return _dprd(
        "dprd_provinsi", f"dprd-prov-{province}", province, f"{body} 2024", found, total, seed
    )


def dprd_kabkota_contest(kabkota: str, seed: int = 2024) -> dict[str, Any]:
    found = dapil.dprd_kabkota_dapil(kabkota)
    if not found:
        raise ValueError(f"{kabkota} elects no DPRD in 2024 (DKI Jakarta's cities elect none)")
    total = apportion.dprd_kabkota_seats(dapil.tps_weight(kabkota))
    name = wilayah.load().names[kabkota]
    body = "DPRK" if kabkota[:2] == source.ACEH else "DPRD"
    return _dprd(
        "dprd_kabkota", f"dprd-kab-{kabkota}", kabkota, f"{body} {name} 2024", found, total, seed
    )


def dprd_provinsi_contests(seed: int = 2024) -> Iterator[dict[str, Any]]:
    """The 38 DPRD provinsi, in code order."""
    for province in wilayah.load().provinces():
        if province != OVERSEAS:
            yield dprd_provinsi_contest(province, seed)


def dprd_kabkota_contests(seed: int = 2024) -> Iterator[dict[str, Any]]:
    """The 508 DPRD kab/kota, in code order."""
    for kabkota in dapil.dprd_kabkota_codes():
        yield dprd_kabkota_contest(kabkota, seed)


def legislative_contests(seed: int = 2024) -> Iterator[dict[str, Any]]:
    """All of them, in the order a TPS counts its ballots: DPR, DPD, DPRD provinsi, kab/kota."""
    yield dpr_contest()
    yield dpd_contest()
    yield from dprd_provinsi_contests(seed)
    yield from dprd_kabkota_contests(seed)


def _dprd(
    kind: str,
    contest_id: str,
    region: str,
    name: str,
    found: list[dapil.Dapil],
    total: int,
    seed: int,
) -> dict[str, Any]:
    seats = apportion.share_seats(total, {d.code: _tps(d.regions) for d in found})
    province = region[:2]
    districts = []
    for d in found:
        lists = candidates.dprd_candidates(d.code, seats[d.code], province, seed)
        districts.append(
            {
                "code": d.code,
                "name": d.name,
                "seats": seats[d.code],
                "regions": list(d.regions),
                "candidates": {
                    str(party): [{"number": n, "name": who} for n, who, _ in listed]
                    for party, listed in lists.items()
                },
            }
        )
    on_ballot = set(candidates.party_numbers(province))
    parties = [p for p in source.parties() if p.number in on_ballot]
    return _document(contest_id, kind, region, name, 0.0, parties, districts)


def _tps(regions: tuple[str, ...]) -> int:
    return sum(dapil.tps_weight(code) for code in regions)


def _document(
    contest_id: str,
    kind: str,
    region: str,
    name: str,
    threshold: float,
    parties: list[source.Party],
    districts: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "id": contest_id,
        "kind": kind,
        "region": region,
        "name": name,
        "threshold": threshold,
        "parties": [{"number": p.number, "name": p.name} for p in parties],
        "districts": districts,
    }
