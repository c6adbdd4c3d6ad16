"""Run every benchmark against its baseline, then write BENCHMARKS.md and a JSON file.

    python -m bench.run --quick       one province (DI Yogyakarta, 11,932 TPS), a few minutes
    python -m bench.run --national    the whole country, the five contests of Pemilu 2024
    python -m bench.run --provinces 32,33 --only ppwp,dpr   any subset, labelled as such

The contests are the real ones of `rekap election import-wilayah --pemilu2024` (bench/contests.py):
the Pilpres, the DPR (forms that add up to the published 2024 votes per dapil), the DPD, the
DPRD provinsi and the DPRD kab/kota.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import contests, data, env, ingest, readside, report, seats, site, web
from bench.contests import KEYS
from domain.access import SYSTEM
from service.input import elections
from service.usecases.elections import define_contest

RESULTS = env.ROOT / "bench" / "results"
HTTP_CONTEST = "http-standin"
BASELINE_CAP = 200_000  # forms of a legislative contest in its COPY/INSERT baselines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="one province, a few minutes")
    size.add_argument("--national", action="store_true", help="the whole country")
    size.add_argument("--provinces", help="comma-separated province codes, e.g. 32,33")
    parser.add_argument("--contests", type=int, help="how many contests (1-5, in ballot order)")
    parser.add_argument("--only", help=f"contests by name, e.g. dpr,ppwp ({', '.join(KEYS)})")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--http-seconds", type=float, help="seconds of load per HTTP server")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-audit", action="store_true", help="no Merkle/audit verification")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.national:
        name, provinces, seconds = "national", None, 60.0
    elif args.provinces:
        codes = [p.strip() for p in args.provinces.split(",") if p.strip()]
        name, provinces, seconds = f"provinces-{'-'.join(codes)}", codes, 30.0
    else:
        name, provinces, seconds = "quick", ["34"], 20.0
    keys = contests.chosen(args.only, args.contests)
    seconds = args.http_seconds or seconds
    options = Options(args.seed, seconds, args.skip_http, args.skip_audit, args.keep)
    results = run(name, provinces, keys, options)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    report.write(RESULTS, env.ROOT / "BENCHMARKS.md")
    print(f"wrote {path} and BENCHMARKS.md", file=sys.stderr)
    return 0


@dataclass(frozen=True)
class Options:
    seed: int
    http_seconds: float
    skip_http: bool
    skip_audit: bool
    keep: bool


def _step(results: dict[str, Any], label: str, fn: Any, *args: Any) -> Any:
    logging.info("-- %s", label)
    start = time.perf_counter()
    value = fn(*args)
    logging.info("   %s done in %.1f s: %s", label, time.perf_counter() - start, _brief(value))
    results[label] = value
    # The peak so far after each step tells which step needed the memory.
    results.setdefault("peak_rss_mb_after_step", {})[label] = env.max_rss_mb()
    children = results.get("children")
    if children is not None:
        results["child_processes_peak_rss_mb"] = children.peaks
    partial = results.get("partial_path")
    if partial:  # what has finished so far, should a long run be stopped
        shown = {k: v for k, v in results.items() if k != "children"}
        Path(partial).write_text(json.dumps(shown, indent=2, default=str) + "\n")
    return value


def _brief(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) < 300 else text[:300] + "..."


def run(name: str, provinces: list[str] | None, keys: list[str], o: Options) -> dict[str, Any]:
    started = time.perf_counter()
    seed = o.seed
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = data.tps_count(provinces)
    docs = contests.documents(provinces, keys, seed)
    results: dict[str, Any] = {
        "format": 2,
        "size": name,
        "partial_path": str(RESULTS / f"{name}.partial.json"),
        "provinces": provinces or "all",
        "tps": summary,
        "contests": keys,
        "contest_documents": {k: len(v) for k, v in docs.items()},
        "seed": seed,
        "machine": env.machine(),
        "commit": env.commit(),
    }
    with (
        env.ChildMemory() as children,
        tempfile.TemporaryDirectory() as tmp,
        env.bench_store(Path(tmp), keep=o.keep) as services,
    ):
        results["children"] = children
        _step(results, "setup", ingest.setup, services, provinces, docs)
        defined = {d["id"] for group in docs.values() for d in group}
        if not o.skip_http:
            standin = {**data.PILPRES, "id": HTTP_CONTEST, "name": "Stand-in for HTTP"}
            define_contest(services.setup, SYSTEM, data.ELECTION_ID, elections.contest(standin))
        codes = readside.sample_codes(services, per_tier=20, seed=seed)
        per: dict[str, dict[str, Any]] = {}
        results["per_contest"] = per
        for key in keys:
            per[key] = {}
            _contest(results, services, provinces, key, docs[key], seed, per[key])
            reads = _step(
                results,
                f"recap_reads_{key}",
                readside.contest_reads,
                services,
                codes,
                contests.TIERS[key],
                lambda code, key=key: contests.contest_for(key, code, defined),
                10,
            )
            per[key]["recap_reads"] = reads
            if key == "ppwp":
                _pilpres_reads(results, services, codes, seed)
            results["bulk_all"] = _together(per)
        _step(results, "log_read_raw", readside.read_log, services, False)
        _step(results, "log_read_decoded", readside.read_log, services, True)
        # Last of the log-sized steps: a national run cut short still has every read.
        _step(results, "projection_rebuild", readside.rebuild, services)
        audit = None if o.skip_audit else _optional_audit()
        if audit is not None:
            _step(results, "audit", audit, services)
        if not o.skip_http:
            _step(
                results,
                "http_single_submissions",
                web.single_submissions,
                services,
                provinces,
                HTTP_CONTEST,
                seed,
                o.http_seconds,
            )
        results["database_bytes"] = env.database_size()
        results["bench_process_peak_rss_mb"] = env.max_rss_mb()
    results["child_processes_peak_rss_mb"] = results.pop("children").peaks
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    Path(results.pop("partial_path")).unlink(missing_ok=True)
    return results


def _contest(
    results: dict[str, Any],
    services: Any,
    provinces: list[str] | None,
    key: str,
    docs: list[dict[str, Any]],
    seed: int,
    found: dict[str, Any],
) -> None:
    """One contest group: bulk ingest, its projection catch-up, its COPY/INSERT baselines (and
    the reads, once ANALYZE has seen its rows)."""

    def stream() -> contests.Stream:
        return contests.kecamatan_forms(key, docs, provinces, seed)

    total = data.tps_count(provinces)
    found["contests"] = len(docs)
    found["log_start"] = services.app.recorder.max_notification_id() or 0
    found["bulk"] = _step(
        results, f"bulk_{key}", ingest.bulk_ingest, services, stream(), total, seed, key
    )
    if key == "ppwp":
        pid = data.PILPRES_ID
        _step(results, "corrections", ingest.corrections, services, provinces, pid, seed)
    found["catch_up"] = _step(results, f"catch_up_{key}", readside.catch_up, services)
    if key == "dpr":  # as soon as the recap holds the DPR: the seats
        _step(results, "dpr_seats", seats.dpr_seats, services)
    pilpres = key == "ppwp"
    cap = None if pilpres else BASELINE_CAP
    table = "plain_result" if pilpres else f"plain_{key}"
    found["copy"] = _step(
        results, f"copy_{key}", ingest.copy_baseline, stream(), seed, table, cap, pilpres
    )
    found["insert"] = _step(
        results, f"insert_{key}", ingest.insert_baseline, stream(), seed, "plain_insert", cap
    )
    services.db.execute_script(["ANALYZE"])


def _together(per: dict[str, dict[str, Any]]) -> dict[str, Any]:
    forms = sum(p["bulk"]["count"] for p in per.values())
    seconds = sum(p["bulk"]["seconds"] for p in per.values())
    return {
        "count": forms,
        "seconds": round(seconds, 1),
        "per_second": round(forms / max(seconds, 1e-9), 1),
        "catch_up_seconds": round(sum(p["catch_up"]["seconds"] for p in per.values()), 1),
    }


def _pilpres_reads(
    results: dict[str, Any], services: Any, codes: dict[str, list[str]], seed: int
) -> None:
    """The Pilpres' reads against GROUP BY over its plain table, replay, site pages, as-of."""
    _step(results, "group_by_reads", readside.group_by_reads, codes, data.PILPRES_ID, 3)
    tps_codes = [
        r["code"]
        for r in services.db.query(
            "SELECT code FROM region WHERE tier = 'tps' ORDER BY md5(code) LIMIT 200"
        )
    ]
    _step(results, "replay_tps", readside.replay_tps, services, tps_codes, data.PILPRES_ID, 500)
    _step(
        results, "site_pages", site.page_reads, services, codes, tps_codes[:20], data.PILPRES_ID, 5
    )
    head = services.app.recorder.max_notification_id() or 0
    start = results["per_contest"][data.PILPRES_ID]["log_start"]
    kabs = codes["kabkota"][:5]
    _step(
        results,
        "as_of_kabkota",
        readside.as_of_kabkota,
        services,
        kabs,
        data.PILPRES_ID,
        (start + head) // 2,  # half-way through the Pilpres's own events
    )
    _step(results, "as_of_baseline", readside.as_of_baseline, kabs, data.PILPRES_ID)


def _optional_audit() -> Any:
    """bench/audit.py (the audit engineer's) exposes run(services) -> dict when it lands."""
    try:
        module = importlib.import_module("bench.audit")
    except ImportError:
        return None
    return getattr(module, "run", None)


if __name__ == "__main__":
    sys.exit(main())
