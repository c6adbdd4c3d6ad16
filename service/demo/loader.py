"""Loads the Jakarta demo election into a store, as operators of each kab/kota would."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from domain.access import SYSTEM, Actor, Role
from domain.election import Election
from domain.tps_result import TpsResult
from service.bootstrap import Services
from service.demo import jakarta
from service.demo.plenaries import hold_plenaries
from service.elections import create_election, define_contest, load_regions
from service.results import correct, submit_bulk

CHUNK = 1000


def demo_is_loaded(services: Services) -> bool:
    return Election.create_id(jakarta.ELECTION["id"]) in services.app.repository


def load_demo(services: Services, progress: Callable[[int, int], None] | None = None) -> int:
    """Load the demo election, its results and its plenaries; the number of TPS results stored."""
    eid, cid = jakarta.ELECTION["id"], jakarta.CONTEST["id"]
    create_election(services.app, SYSTEM, eid, jakarta.ELECTION["name"])
    load_regions(services.app, services.ref, SYSTEM, eid, [jakarta.regions()])
    define_contest(services.app, services.ref, SYSTEM, eid, jakarta.CONTEST)
    results = list(jakarta.results())
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
            submit_bulk(
                services.results,
                operator,
                eid,
                cid,
                [
                    {
                        "tps": r.tps,
                        "submission_id": _submission_id(r.tps),
                        "form": r.form,
                        "captured_at": "2024-11-27T15:30:00+07:00",
                    }
                    for r in part
                ],
                source="demo",
            )
            stored += len(part)
            if progress:
                progress(stored, len(results))
        for r in items:
            if r.correction is None:
                continue
            current = services.app.repository.get(TpsResult.create_id(eid, cid, r.tps))
            if current.version == 1:
                correct(
                    services.results,
                    operator,
                    eid,
                    cid,
                    r.tps,
                    {"form": r.correction, "reason": r.correction_reason or "koreksi"},
                    expected_version=1,
                )
    hold_plenaries(services)
    return stored


def _submission_id(tps: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rekap-demo/{tps}"))
