"""Run every benchmark against its baseline, then write BENCHMARKS.md and a JSON file.

    python -m bench.run --quick       one province (DI Yogyakarta, 11,932 TPS), a few minutes
    python -m bench.run --national    the whole country, five contests (about 4.1 million forms)
    python -m bench.run --provinces 32,33 --contests 1   any subset, labelled as such

Everything runs in a PostgreSQL database of its own (REKAP_BENCH_DB, default rekap_bench) that
is created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data, env, ingest, readside, report, site, web
from domain.access import SYSTEM
from service.input import elections
from service.usecases.elections import define_contest

RESULTS = env.ROOT / "bench" / "results"
HTTP_CONTEST = "http-standin"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="one province, a few minutes")
    size.add_argument("--national", action="store_true", help="the whole country")
    size.add_argument("--provinces", help="comma-separated province codes, e.g. 32,33")
    parser.add_argument("--contests", type=int, help="how many contests (1-5)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--http-seconds", type=float, help="seconds of load per HTTP server")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.national:
        name, provinces, contests, seconds = "national", None, 5, 60.0
    elif args.provinces:
        codes = [p.strip() for p in args.provinces.split(",") if p.strip()]
        name, provinces, contests, seconds = f"provinces-{'-'.join(codes)}", codes, 1, 30.0
    else:
        name, provinces, contests, seconds = "quick", ["34"], 1, 20.0
    contests = max(1, min(5, args.contests or contests))
    seconds = args.http_seconds or seconds
    results = run(name, provinces, contests, args.seed, seconds, args.skip_http, args.keep)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    report.write(RESULTS, env.ROOT / "BENCHMARKS.md")
    print(f"wrote {path} and BENCHMARKS.md", file=sys.stderr)
    return 0


def _step(results: dict[str, Any], label: str, fn: Any, *args: Any) -> Any:
    logging.info("-- %s", label)
    start = time.perf_counter()
    value = fn(*args)
    logging.info("   %s done in %.1f s: %s", label, time.perf_counter() - start, _brief(value))
    results[label] = value
    # The peak so far after each step tells which step needed the memory.
    results.setdefault("peak_rss_mb_after_step", {})[label] = env.max_rss_mb()
    return value


def _brief(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) < 300 else text[:300] + "..."


def run(
    name: str,
    provinces: list[str] | None,
    contest_count: int,
    seed: int,
    http_seconds: float,
    skip_http: bool,
    keep: bool,
) -> dict[str, Any]:
    started = time.perf_counter()
    summary = data.tps_count(provinces)
    results: dict[str, Any] = {
        "size": name,
        "provinces": provinces or "all",
        "tps": summary,
        "contests": [c["id"] for c in data.contests(contest_count)],
        "seed": seed,
        "machine": env.machine(),
        "commit": env.commit(),
    }
    with tempfile.TemporaryDirectory() as tmp, env.bench_store(Path(tmp), keep=keep) as services:
        _step(results, "setup", ingest.setup, services, provinces, contest_count)

        define_contest(
            services.setup,
            SYSTEM,
            data.ELECTION_ID,
            elections.contest(
                {**data.PILPRES, "id": HTTP_CONTEST, "name": "Stand-in for the HTTP benchmark"}
            ),
        )
        bulk: dict[str, Any] = {}
        total_forms, total_seconds = 0, 0.0
        for contest in data.contests(contest_count):
            cid = contest["id"]
            found = ingest.bulk_ingest(services, provinces, cid, seed, f"bulk {cid}")
            logging.info("   bulk %s: %s", cid, _brief(found))
            bulk[cid] = found
            total_forms += found["count"]
            total_seconds += found["seconds"]
        results["bulk"] = {
            "per_contest": bulk,
            "all_contests": {
                "count": total_forms,
                "seconds": round(total_seconds, 1),
                "per_second": round(total_forms / max(total_seconds, 1e-9), 1),
            },
        }
        _step(
            results, "corrections", ingest.corrections, services, provinces, data.PILPRES_ID, seed
        )
        _step(results, "bulk_copy_baseline", ingest.copy_baseline, provinces, data.PILPRES_ID, seed)
        _step(
            results,
            "bulk_insert_baseline",
            ingest.insert_baseline,
            provinces,
            data.PILPRES_ID,
            seed,
        )
        _step(results, "log_read_raw", readside.read_log, services, False)
        _step(results, "log_read_decoded", readside.read_log, services, True)
        _step(results, "projection_catch_up", readside.catch_up, services)
        _step(results, "projection_rebuild", readside.rebuild, services)
        codes = readside.sample_codes(services, per_tier=20, seed=seed)
        services.db.execute_script(["ANALYZE"])
        _step(results, "recap_reads", readside.recap_reads, services, codes, data.PILPRES_ID, 10)
        _step(results, "group_by_reads", readside.group_by_reads, codes, data.PILPRES_ID, 3)
        tps_codes = [
            r["code"]
            for r in services.db.query(
                "SELECT code FROM region WHERE tier = 'tps' ORDER BY md5(code) LIMIT 200"
            )
        ]
        _step(results, "replay_tps", readside.replay_tps, services, tps_codes, data.PILPRES_ID, 500)
        _step(
            results,
            "site_pages",
            site.page_reads,
            services,
            codes,
            tps_codes[:20],
            data.PILPRES_ID,
            5,
        )
        head = services.app.recorder.max_notification_id() or 0
        kabs = codes["kabkota"][:5]
        _step(
            results,
            "as_of_kabkota",
            readside.as_of_kabkota,
            services,
            kabs,
            data.PILPRES_ID,
            head // 2,
        )
        _step(results, "as_of_baseline", readside.as_of_baseline, kabs, data.PILPRES_ID)
        audit = _optional_audit()
        if audit is not None:
            _step(results, "audit", audit, services)
        if not skip_http:
            _step(
                results,
                "http_single_submissions",
                web.single_submissions,
                services,
                provinces,
                HTTP_CONTEST,
                seed,
                http_seconds,
            )
        results["database_bytes"] = env.database_size()
        results["bench_process_peak_rss_mb"] = env.max_rss_mb()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    return results


def _optional_audit() -> Any:
    """bench/audit.py (the audit engineer's) exposes run(services) -> dict when it lands."""
    try:
        module = importlib.import_module("bench.audit")
    except ImportError:
        return None
    return getattr(module, "run", None)


if __name__ == "__main__":
    sys.exit(main())
