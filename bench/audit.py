"""The audit log's costs: leaves hashed per second, verifying the whole log, proofs, as-of.

    python -m bench.audit --provinces 33 --contests 2     a store of its own (about 234k events)

`run(services)` is what bench.run calls on its loaded store.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import contests, data, env, ingest
from bench.readside import percentiles
from service.audit.asof import region_as_of, tps_as_of
from service.audit.log import AuditLog
from service.audit.verify import verify
from service.bootstrap import Services
from service.read.projections.merkle import MerkleProjection
from service.read.projections.runner import ProjectionRunner

SCRATCH = "bench_audit_"


def _rate(count: int, seconds: float) -> dict[str, Any]:
    return {"count": count, "seconds": round(seconds, 2), "per_second": round(count / seconds, 1)}


def hash_leaves(services: Services) -> dict[str, Any]:
    """The audit tree projection alone, rebuilt from the whole log into scratch tables."""
    runner = ProjectionRunner(
        services.app,
        services.db,
        [MerkleProjection(prefix=SCRATCH)],
        positions_table=f"{SCRATCH}projection_position",
    )
    start = time.perf_counter()
    count = runner.rebuild()
    found = _rate(count, time.perf_counter() - start)
    runner.drop_tables()
    services.db.execute_script(
        [
            f"DROP TABLE IF EXISTS {SCRATCH}audit_tree_head",
            f"DROP TABLE IF EXISTS {SCRATCH}audit_cosignature",
            f"DROP TABLE IF EXISTS {SCRATCH}projection_position",
        ]
    )
    return found


def verify_log(services: Services, projections: bool) -> dict[str, Any]:
    start = time.perf_counter()
    report = verify(services, projections=projections)
    seconds = time.perf_counter() - start
    return {**_rate(report.events, seconds), "ok": report.ok, "rows": sum(report.rows.values())}


def proofs(services: Services, samples: int = 300, seed: int = 2024) -> dict[str, Any]:
    audit = AuditLog.of(services)
    services.runner.catch_up()
    audit.publish()
    size = audit.latest().size
    positions = [
        r["position"]
        for r in services.db.query(
            "SELECT position FROM audit_leaf WHERE leaf_index < %s ORDER BY leaf_index", (size,)
        )
    ]
    rng = random.Random(seed)
    inclusion_times, inclusion_lengths = [], []
    for position in rng.sample(positions, min(samples, len(positions))):
        start = time.perf_counter()
        document = audit.inclusion(position, size)
        inclusion_times.append(time.perf_counter() - start)
        inclusion_lengths.append(len(document["inclusion"]["proof"]))
    consistency_times, consistency_lengths = [], []
    for _ in range(min(samples, size - 1)):
        first = rng.randint(1, size - 1)
        start = time.perf_counter()
        document = audit.consistency(first, size)
        consistency_times.append(time.perf_counter() - start)
        consistency_lengths.append(len(document["consistency"]["proof"]))
    return {
        "tree_size": size,
        "inclusion": {
            **percentiles(inclusion_times),
            "hashes_max": max(inclusion_lengths),
            "bytes_max": 32 * max(inclusion_lengths),
        },
        "consistency": {
            **percentiles(consistency_times),
            "hashes_max": max(consistency_lengths),
            "bytes_max": 32 * max(consistency_lengths),
        },
    }


def as_of(
    services: Services, contest_id: str, samples: int = 5, seed: int = 2024
) -> dict[str, Any]:
    rng = random.Random(seed)
    head = services.runner.head()
    kabs = [
        r["code"]
        for r in services.db.query(
            "SELECT code FROM region WHERE election_id = %s AND tier = 'kabkota' ORDER BY code",
            (data.ELECTION_ID,),
        )
    ]
    tps = [
        r["code"]
        for r in services.db.query(
            "SELECT tps AS code FROM result_current WHERE contest_id = %s LIMIT 2000",
            (contest_id,),
        )
    ]
    timings: dict[str, list[float]] = {"kabkota": [], "tps": []}
    for kab in rng.sample(kabs, min(samples, len(kabs))):
        start = time.perf_counter()
        region_as_of(services, data.ELECTION_ID, contest_id, kab, head // 2)
        timings["kabkota"].append(time.perf_counter() - start)
    for code in rng.sample(tps, min(samples * 4, len(tps))):
        start = time.perf_counter()
        tps_as_of(services, data.ELECTION_ID, contest_id, code, head)
        timings["tps"].append(time.perf_counter() - start)
    return {tier: percentiles(values) for tier, values in timings.items() if values}


def run(services: Services) -> dict[str, Any]:
    services.runner.catch_up()
    return {
        "log_events": services.runner.head(),
        "leaves_hashed": hash_leaves(services),
        "verify_leaves_and_heads": verify_log(services, projections=False),
        "verify_everything": verify_log(services, projections=True),
        "proofs": proofs(services),
        "as_of": as_of(services, data.PILPRES_ID),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--provinces", default="34", help="comma-separated province codes")
    parser.add_argument("--contests", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    provinces = [p.strip() for p in args.provinces.split(",") if p.strip()]
    with tempfile.TemporaryDirectory() as tmp, env.bench_store(Path(tmp)) as services:
        keys = contests.chosen(None, args.contests)
        ingest.setup_and_ingest(services, provinces, keys, args.seed)
        start = time.perf_counter()
        services.runner.catch_up()
        logging.info("projections caught up in %.1f s", time.perf_counter() - start)
        results = run(services)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
