"""Public reads with the primary alone and with one and two streaming replicas, in one run.

    python -m bench.replicas                                 DI Yogyakarta, 20 s a measure
    python -m bench.replicas --provinces 34,51 --seconds 30 --rounds 3

A store is built in the bench database (REKAP_BENCH_DB, dropped afterwards): the real region tree
of the provinces, every TPS's Pilpres form through submit_bulk, the projections caught up. Then
two streaming standbys of the bench's PostgreSQL are made (tests/standby.py: pg_basebackup, a
cluster of its own on a free port, removed at the end), and rekap runs under gunicorn with
REKAP_READ_DATABASE_URL naming none, one and both of them, in turn, round after round, each
under the same load of public GETs for the same time: the recap documents of the API at every
tier and a TPS's result, then the site's pages of the same regions and TPS.

Beside the rates, each measure records where the CPU went (rekap's gunicorn processes, the
primary's PostgreSQL processes, each standby's, the load generator, everything else on the
machine) and how many transactions each server ran in the bench database, which is where the
reads went. Everything shares the machine's cores: read the ratios with that in mind.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from bench import data, env, ingest, readside, report, web
from service.config import parse_database_url
from service.read.projections import parallel
from tests.live import children
from tests.standby import Standby

RESULTS = env.ROOT / "bench" / "results" / "replicas"
CONFIGS = (0, 1, 2)  # replicas reads may go to
LOADS = ("api", "site")
PRIMARY_PORT = parse_database_url(env.ADMIN_URL).port


def urls(services: Any, seed: int, per_tier: int = 10, tps: int = 40) -> dict[str, list[str]]:
    codes = readside.sample_codes(services, per_tier, seed)
    rows = services.db.query(
        "SELECT code FROM region WHERE tier = 'tps' ORDER BY md5(code || %s) LIMIT %s",
        (str(seed), tps),
    )
    regions = [c for tier, _ in readside.TIERS for c in codes[tier]]
    stations = [r["code"] for r in rows]
    api = f"/api/v1/elections/{data.ELECTION_ID}/contests/{data.PILPRES_ID}"
    site = f"/pemilu/{data.ELECTION_ID}/{data.PILPRES_ID}"
    return {
        "api": [f"{api}/regions/{c}" for c in regions] + [f"{api}/tps/{t}" for t in stations],
        "site": [f"{site}/wilayah/{c}" for c in regions] + [f"{site}/tps/{t}" for t in stations],
    }


# -- the load ---------------------------------------------------------------------------------


def _reader(port: int, paths: list[str], seconds: float, threads: int, out: Any) -> None:
    """One client process: keep-alive threads GET the paths in turn until time is up."""

    def requests(n: int) -> Iterator[web.Request]:
        order = paths[:]
        random.Random(os.getpid() * 100 + n).shuffle(order)
        for path in itertools.cycle(order):
            yield "GET", path, None, {}

    web.client_process(port, seconds, threads, out, requests)


def read_load(
    port: int, paths: list[str], seconds: float, processes: int = 2, threads: int = 8
) -> dict[str, Any]:
    found, elapsed = web.fan_out(_reader, [(port, paths, seconds, threads)] * processes)
    latencies, statuses = web.pooled(found)
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1),
        "latency": readside.percentiles(latencies) if latencies else {},
        "statuses": statuses,
        "errors": sum(r["errors"] for r in found),
        "clients": processes * threads,
        "load_generator_cpu_seconds": round(sum(r["cpu_seconds"] for r in found), 2),
    }


# -- where the CPU and the transactions went --------------------------------------------------


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def _postmaster(data_directory: Path) -> int:
    return int((data_directory / "postmaster.pid").read_text().splitlines()[0])


def family(root: int) -> list[int]:
    """A process and its children (gunicorn's workers; a PostgreSQL server's processes)."""
    return [root, *children(root)]


class CpuMeter:
    """CPU seconds of groups of processes over a window, and of the whole machine."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self.start = self._sample()
        self.busy = _machine_busy()

    def _sample(self) -> dict[str, dict[int, float]]:
        return {name: {p: _cpu_of(p) for p in pids()} for name, pids in self.groups.items()}

    def stop(self) -> dict[str, float]:
        end, busy = self._sample(), _machine_busy()
        found = {
            name: round(sum(cpu - self.start[name].get(p, 0.0) for p, cpu in pids.items()), 2)
            for name, pids in end.items()
        }
        found["machine_busy"] = round(busy - self.busy, 2)
        return found


class Servers:
    """A connection to each server's bench database, opened once: the shared primary may have
    no connection to spare in the middle of a measure."""

    def __init__(self, ports: dict[str, int]) -> None:
        self.connections = {
            name: psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname=env.DBNAME, autocommit=True
            )
            for name, port in ports.items()
        }

    def transactions(self) -> dict[str, int]:
        """Transactions run so far in the bench database, per server."""
        found = {}
        for name, conn in self.connections.items():
            row = conn.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                (env.DBNAME,),
            ).fetchone()
            found[name] = int(row[0]) if row else 0
        return found

    def bench_backends(self) -> list[int]:
        """The shared primary's processes that work for the bench: its background processes
        and WAL senders, and the connections to the bench database (not other users' tests)."""
        rows = (
            self.connections["primary"]
            .execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s OR backend_type <> "
                "'client backend'",
                (env.DBNAME,),
            )
            .fetchall()
        )
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()


# -- one measure --------------------------------------------------------------------------------


def read_sessions(port: int) -> dict[str, float]:
    """rekap's own count of the reads each source answered (every worker's, from /metrics)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    found = {}
    for line in text.splitlines():
        if line.startswith("rekap_read_sessions_total{"):
            labels, value = line.rsplit(" ", 1)
            found[labels.split('source="', 1)[1].split('"', 1)[0]] = float(value)
    return found


def replica_url(standby: Standby) -> str:
    return f"postgresql://postgres@127.0.0.1:{standby.port}/{env.DBNAME}?schema=rekap"


def _wait_serving(port: int, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/readyz")
            ready = json.loads(conn.getresponse().read() or b"{}")
        finally:
            conn.close()
        states = [r["state"] for r in ready.get("replicas", [])]
        if states.count("streaming") == count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"replicas did not come to serve: {ready}")
        time.sleep(0.5)


def measure(
    standbys: list[Standby],
    count: int,
    paths: dict[str, list[str]],
    seconds: float,
    directory: Path,
    workers: int,
    threads: int,
) -> dict[str, Any]:
    """rekap with `count` replicas, under each load in turn."""
    chosen = standbys[:count]
    settings = {
        "REKAP_DATABASE_URL": env.bench_url(),
        "REKAP_READ_DATABASE_URL": " ".join(replica_url(s) for s in chosen),
        "REKAP_POOL_SIZE": str(threads),
        "REKAP_EVIDENCE_DIR": str(directory / "evidence"),
        "REKAP_AUDIT_KEY": str(directory / "audit-key.pem"),
        "REKAP_TOTP_KEY": str(directory / "totp-key"),
    }
    servers = Servers(
        {"primary": PRIMARY_PORT, **{f"replica-{n}": s.port for n, s in enumerate(standbys, 1)}}
    )
    found: dict[str, Any] = {"replicas": count}
    with (
        closing(servers),
        web.gunicorn("api.wsgi:application", settings, workers, threads) as server,
    ):
        read_load(server["port"], paths["api"], 3.0)  # every worker starts its watch
        if count:
            _wait_serving(server["port"], count)
        groups: dict[str, Callable[[], list[int]]] = {
            "rekap": partial(family, server["pid"]),
            "primary": servers.bench_backends,
            **{
                f"replica-{n}": partial(family, _postmaster(s.data))
                for n, s in enumerate(standbys, 1)
            },
        }
        for load in LOADS:
            read_load(server["port"], paths[load], 2.0)  # warm: pools, caches, templates
            before, sessions = servers.transactions(), read_sessions(server["port"])
            meter = CpuMeter(groups)
            result = read_load(server["port"], paths[load], seconds)
            cpu = meter.stop()
            after = servers.transactions()
            result["read_sessions"] = {
                k: v - sessions.get(k, 0) for k, v in read_sessions(server["port"]).items()
            }
            cpu["load_generator"] = result.pop("load_generator_cpu_seconds")
            cpu["rest_of_machine"] = round(
                cpu["machine_busy"] - sum(v for k, v in cpu.items() if k != "machine_busy"), 2
            )
            result["cpu_seconds"] = cpu
            result["transactions"] = {k: after[k] - before[k] for k in after}
            found[load] = result
    found["gunicorn_peak_rss_mb"] = server["peak_rss_mb"]
    return found


@contextmanager
def standbys_of_the_bench_server(count: int) -> Iterator[list[Standby]]:
    made: list[Standby] = []
    try:
        for n in range(count):
            logging.info("-- standby %d: pg_basebackup of the bench server", n + 1)
            made.append(Standby.create(env.ADMIN_URL))
        yield made
    finally:
        for standby in made:
            standby.remove()


# -- the run ---------------------------------------------------------------------------------


def run(
    provinces: list[str], seconds: float, rounds: int, seed: int, workers: int, threads: int
) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "provinces": provinces,
        "tps": data.tps_count(provinces),
        "machine": env.machine(),
        "commit": env.commit(),
        "seconds_per_measure": seconds,
        "workers": workers,
        "threads": threads,
    }
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        services = stack.enter_context(env.bench_store(tmp))
        logging.info("-- setup and bulk ingest of %s TPS", f"{results['tps']:,}")
        ingested = ingest.setup_and_ingest(services, provinces, [data.PILPRES_ID], seed)
        results["ingest"] = ingested[data.PILPRES_ID]
        parallel.catch_up(services.settings, services.runner)
        services.db.execute_script(["ANALYZE"])
        paths = urls(services, seed)
        results["urls"] = {k: len(v) for k, v in paths.items()}
        results["database_bytes"] = env.database_size()
        standbys = stack.enter_context(standbys_of_the_bench_server(max(CONFIGS)))
        measures: dict[str, list[dict[str, Any]]] = {str(c): [] for c in CONFIGS}
        for number in range(1, rounds + 1):
            for count in CONFIGS:
                logging.info("-- round %d, %d replica(s)", number, count)
                found = measure(standbys, count, paths, seconds, tmp, workers, threads)
                logging.info(
                    "   api %s/s, site %s/s",
                    found["api"]["per_second"],
                    found["site"]["per_second"],
                )
                measures[str(count)].append(found)
        results["measures"] = measures
        results["ratios"] = ratios(measures)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    return results


def ratios(measures: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each set-up against the primary alone of the same round (the machine is shared: a round
    compares like with like), and the median of those ratios."""
    found: dict[str, Any] = {}
    for load in LOADS:
        alone = [m[load]["per_second"] for m in measures["0"]]
        entry: dict[str, Any] = {"primary_alone_per_second": statistics.median(alone)}
        for count in CONFIGS[1:]:
            rates = [m[load]["per_second"] for m in measures[str(count)]]
            per_round = [round(r / a, 3) for r, a in zip(rates, alone, strict=True) if a]
            entry[f"{count}_replicas_per_second"] = statistics.median(rates)
            entry[f"{count}_replicas_vs_alone"] = round(statistics.median(per_round), 3)
            entry[f"{count}_replicas_vs_alone_per_round"] = per_round
        found[load] = entry
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--provinces", default="34", help="comma-separated province codes")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of load a measure")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    provinces = [p.strip() for p in args.provinces.split(",") if p.strip()]
    results = run(provinces, args.seconds, args.rounds, args.seed, args.workers, args.threads)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"provinces-{'-'.join(provinces)}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    report.write(RESULTS.parent, env.ROOT / "BENCHMARKS.md")
    print(json.dumps(results["ratios"], indent=2), file=sys.stderr)
    print(f"wrote {path} and BENCHMARKS.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
