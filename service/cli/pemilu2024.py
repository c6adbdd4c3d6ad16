"""`rekap election import-wilayah --pemilu2024`: the five contests of Pemilu 2024 on the real
region tree (service/data/legislative2024): Pilpres, DPR, DPD, DPRD provinsi, DPRD kab/kota.

On a subset of provinces the national contests keep the districts, and the regions of each,
that lie inside it (a DPR dapil that reaches abroad, DKI Jakarta II, keeps its Jakarta part),
so that their districts still hold every loaded TPS exactly once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from domain.access import SYSTEM
from domain.codes import is_within
from service.bootstrap import Services
from service.input import elections as given
from service.progress import Progress

PILPRES: dict[str, Any] = {
    "id": "ppwp",
    "kind": "presiden",
    "region": "0",
    "winner_rule": "presidential",
    "name": "Pemilihan Presiden dan Wakil Presiden 2024",
    "candidates": [
        {
            "number": 1,
            "name": "H. Anies Rasyid Baswedan, Ph.D. - Dr. (H.C.) H. A. Muhaimin Iskandar",
        },
        {"number": 2, "name": "H. Prabowo Subianto - Gibran Rakabuming Raka"},
        {"number": 3, "name": "H. Ganjar Pranowo, S.H., M.I.P. - Prof. Dr. H. M. Mahfud MD"},
    ],
}


def contest_documents(provinces: Collection[str] | None, seed: int) -> Iterator[dict[str, Any]]:
    """The Pilpres, then the four legislative contests, as POST .../contests bodies."""
    from service.data.legislative2024 import contests, dapil

    def wanted(code: str) -> bool:
        return provinces is None or any(is_within(code, p) for p in provinces)

    yield PILPRES
    for document in (contests.dpr_contest(), contests.dpd_contest()):
        yield _within(document, wanted)
    for document in contests.dprd_provinsi_contests(seed):
        if wanted(document["region"]):
            yield document
    for kabkota in dapil.dprd_kabkota_codes():
        if wanted(kabkota):
            yield contests.dprd_kabkota_contest(kabkota, seed)


def contest_count(provinces: Collection[str] | None) -> int:
    from service.data import wilayah
    from service.data.legislative2024 import contests, dapil

    chosen = [p for p in wilayah.load().provinces() if provinces is None or p in provinces]
    kabkota = [k for k in dapil.dprd_kabkota_codes() if provinces is None or k[:2] in provinces]
    return 3 + len([p for p in chosen if p != contests.OVERSEAS]) + len(kabkota)


def define_pemilu2024(
    services: Services, election_id: str, provinces: Collection[str] | None, seed: int
) -> list[str]:
    """Define the five contests (again: nothing changes); the ids defined, in order."""
    from service.usecases.elections import define_contest

    defined = []
    with Progress("contests", contest_count(provinces)) as bar:
        for document in contest_documents(provinces, seed):
            contest = given.contest(document)
            define_contest(services.setup, SYSTEM, election_id, contest)
            defined.append(contest.contest_id)
            bar.update(len(defined))
    return defined


def _within(document: dict[str, Any], wanted: Any) -> dict[str, Any]:
    districts = []
    for district in document["districts"]:
        regions = [code for code in district["regions"] if wanted(code)]
        if regions:
            districts.append({**district, "regions": regions})
    return {**document, "districts": districts}
