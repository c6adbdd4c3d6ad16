"""Loads the Jakarta demo election into a store, as operators of each kab/kota would."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from domain.access import SYSTEM, Actor, Role
from domain.election import Election
from domain.tps_result import TpsResult
from service.bootstrap import Services
from service.data import wilayah
from service.demo import jakarta
from service.demo.plenaries import hold_plenaries
from service.demo.sheets import c_hasil_sheet
from service.input import elections
from service.input.results import bulk_items, correction
from service.usecases.bulk import submit_bulk
from service.usecases.elections import create_election, define_contest, load_regions
from service.usecases.results import correct

CHUNK = 1000
# TPS whose C.Hasil photo the demo carries: the four faulty ones and a dozen in one kelurahan.
PHOTO_DESA = jakarta.VOTERS_MISREAD_TPS[:10]
PHOTO_TPS = {
    jakarta.VOTERS_MISREAD_TPS,
    jakarta.BALLOTS_SLIP_TPS,
    jakarta.EXTRA_BALLOTS_TPS,
    jakarta.CORRECTED_TPS,
    *(f"{PHOTO_DESA}{n:03d}" for n in range(1, 13)),
}


def demo_is_loaded(services: Services) -> bool:
    return Election.create_id(jakarta.ELECTION["id"]) in services.app.repository


def load_demo(services: Services, progress: Callable[[int, int], None] | None = None) -> int:
    """Load the demo election, its results and its plenaries; the number of TPS results stored."""
    eid, cid = jakarta.ELECTION["id"], jakarta.CONTEST["id"]
    create_election(services.setup, SYSTEM, elections.election(jakarta.ELECTION))
    load_regions(services.setup, SYSTEM, eid, [jakarta.regions()])
    define_contest(services.setup, SYSTEM, eid, elections.contest(jakarta.CONTEST))
    results = list(jakarta.results())
    photos = _photos(services, results)
    stored = 0
    by_kab: dict[str, list[jakarta.DemoResult]] = {}
    for result in results:
        by_kab.setdefault(result.tps[:4], []).append(result)
    for kab, items in sorted(by_kab.items()):
        operator = Actor(
            id=f"demo-operator-{kab}",
            role=Role.OPERATOR,
            scope=kab,
            name=f"Operator KPU {kab} (demo)",
        )
        for start in range(0, len(items), CHUNK):
            part = items[start : start + CHUNK]
            bodies = [
                {
                    "tps": r.tps,
                    "submission_id": _submission_id(r.tps),
                    "form": r.form,
                    "captured_at": "2024-11-27T15:30:00+07:00",
                    "evidence": photos.get(r.tps, []),
                }
                for r in part
            ]
            submit_bulk(services.results, operator, eid, cid, bulk_items(bodies), source="demo")
            stored += len(part)
            if progress:
                progress(stored, len(results))
        for r in items:
            if r.correction is None:
                continue
            current = services.app.repository.get(TpsResult.create_id(eid, cid, r.tps))
            if current.version == 1:
                body = {"form": r.correction, "reason": r.correction_reason or "koreksi"}
                correct(services.results, operator, eid, cid, correction(r.tps, body, 1))
    hold_plenaries(services)
    return stored


def _submission_id(tps: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rekap-demo/{tps}"))


def _photos(services: Services, results: list[jakarta.DemoResult]) -> dict[str, list[Any]]:
    """A generated photo of the paper C.Hasil for each TPS of PHOTO_TPS, in the evidence store.

    The photo shows what the KPPS wrote: the true figures where the first reading was an OCR
    misread (the paper said 152, the reading 652), the slip itself where the KPPS made one."""
    names = wilayah.load().names
    candidates = [(str(c["number"]), c["name"]) for c in jakarta.CONTEST["candidates"]]
    found: dict[str, list[Any]] = {}
    for r in results:
        if r.tps not in PHOTO_TPS:
            continue
        place = f"KEL. {names.get(r.tps[:10], '')}  KEC. {names.get(r.tps[:6], '')}"
        png = c_hasil_sheet(
            r.tps, "PEMILIHAN GUBERNUR DKI JAKARTA 2024", place, candidates, _on_paper(r)
        )
        found[r.tps] = [{"page": 1, "sha256": services.evidence.put(png).sha256}]
    return found


def _on_paper(result: jakarta.DemoResult) -> dict[str, Any]:
    if result.correction is not None:
        return result.correction
    form = copy.deepcopy(result.form)
    if result.tps == jakarta.VOTERS_MISREAD_TPS:
        row = form["voted"]["dpt"]
        row["j"] = row["l"] + row["p"]
    return form
