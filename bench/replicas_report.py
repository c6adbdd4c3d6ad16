"""The BENCHMARKS.md section of bench/replicas.py: public read throughput with the primary alone
and with one and two replicas, where the reads went and where the CPU went."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

LOADS = {"api": "Recap and TPS documents (API JSON)", "site": "Site pages (HTML)"}
CONFIGS = {"0": "primary alone", "1": "one replica", "2": "two replicas"}
GROUPS = {
    "rekap": "rekap's gunicorn processes",
    "primary": "the primary's PostgreSQL (bench connections, WAL senders, background)",
    "replicas": "the standbys' PostgreSQL (reads and WAL replay)",
    "load_generator": "the load generator",
    "rest_of_machine": "everything else on the machine (other users' work)",
}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _cpu(measure: dict[str, Any]) -> dict[str, float]:
    cpu = measure["cpu_seconds"]
    replicas = sum(v for k, v in cpu.items() if k.startswith("replica-"))
    return {**{k: cpu.get(k, 0.0) for k in GROUPS if k != "replicas"}, "replicas": replicas}


def section(r: dict[str, Any]) -> list[str]:
    m, c = r["machine"], r["commit"]
    measures = r["measures"]
    rounds = len(measures["0"])
    load_avg = ", ".join(f"{x:.2f}" for x in m["load_average_at_start"])
    dirty = " (with uncommitted changes)" if c["dirty"] else ""
    out = [
        f"## Reads from replicas: provinces {', '.join(r['provinces'])}, {r['tps']:,} TPS",
        "",
        f"Measured {c['date']} at commit `{c['short']}`{dirty} by `python -m bench.replicas` on "
        f"{m['cpus']} cores ({m['cpu']}), PostgreSQL {m['postgresql']}; load average at start "
        f"{load_avg}. rekap under gunicorn ({r['workers']} gthread workers x {r['threads']} "
        f"threads), {measures['0'][0]['api']['clients']} keep-alive clients GETting "
        f"{r['urls']['api']} URLs (every tier and a TPS) in turn; {r['seconds_per_measure']:.0f} s "
        f"a load, {rounds} rounds, the three set-ups interleaved in each round. The standbys are "
        "streaming replicas of the same PostgreSQL made by pg_basebackup (tests/standby.py) and "
        "run on the same machine: the primary, the replicas, rekap and the load generator share "
        f"its {m['cpus']} cores with each other and with other users' work.",
        "",
        "| Load | primary alone | one replica | two replicas | one vs alone (median of the "
        "rounds) | two vs alone |",
        "|---|---|---|---|---|---|",
    ]
    for load, label in LOADS.items():
        cells = []
        for config in CONFIGS:
            rates = [x[load]["per_second"] for x in measures[config]]
            p99 = [x[load]["latency"].get("p99_ms", 0) for x in measures[config]]
            cells.append(f"{_median(rates):,.0f}/s (p99 {_median(p99):,.0f} ms)")
        ratio = r["ratios"][load]
        per_round = [
            ", ".join(f"{x:.2f}" for x in ratio[f"{n}_replicas_vs_alone_per_round"]) for n in (1, 2)
        ]
        out.append(
            f"| {label} | {' | '.join(cells)} | {ratio['1_replicas_vs_alone']:.2f} "
            f"(rounds {per_round[0]}) | {ratio['2_replicas_vs_alone']:.2f} "
            f"(rounds {per_round[1]}) |"
        )
    failed = sum(
        x[load]["errors"] + sum(n for s, n in x[load]["statuses"].items() if s != "200")
        for config in CONFIGS
        for x in measures[config]
        for load in LOADS
    )
    out += ["", f"Requests that did not answer 200: {failed}.", ""]
    out += _where_reads_went(measures) + _where_cpu_went(measures, m["cpus"])
    return out


def _where_reads_went(measures: dict[str, Any]) -> list[str]:
    out = [
        "Where the API load's reads went (all rounds): the reads each source answered, as rekap "
        "counts them (`rekap_read_sessions_total`), and the transactions each server ran in the "
        "bench database (PostgreSQL's `pg_stat_database`). With replicas, rekap answered no "
        "read from the primary: its transactions there are the workers' watch (each reads the "
        "primary's positions twice a second), /metrics, and statistics PostgreSQL flushed late "
        "(an idle connection's up to 10 s after, so work from before the window shows in it):",
        "",
        "| Set-up | reads: primary | replica-1 | replica-2 "
        "| transactions: primary | replica-1 | replica-2 |",
        "|---|---|---|---|---|---|---|",
    ]
    for config, label in CONFIGS.items():
        rows = [x["api"] for x in measures[config]]
        reads, transactions = {}, {}
        for x in rows:
            for k, v in x.get("read_sessions", {}).items():
                reads[k] = reads.get(k, 0) + v
            for k, v in x["transactions"].items():
                transactions[k] = transactions.get(k, 0) + v
        if config == "0":
            reads = {"primary": sum(x["requests"] for x in rows)}
        names = ("primary", "replica-1", "replica-2")
        out.append(
            f"| {label} | "
            + " | ".join(f"{reads.get(n, 0):,.0f}" for n in names)
            + " | "
            + " | ".join(f"{transactions.get(n, 0):,}" for n in names)
            + " |"
        )
    return [*out, ""]


def _where_cpu_went(measures: dict[str, Any], cores: int) -> list[str]:
    out = [
        "Where the CPU went during the API load (median of the rounds, CPU seconds per second "
        f"of load: {cores} is the whole machine), and the CPU each request cost:",
        "",
        "| Set-up | machine busy | "
        + " | ".join(GROUPS)
        + " | rekap ms/request | PostgreSQL ms/request |",
        "|---|---|" + "---|" * len(GROUPS) + "---|---|",
    ]
    for config, label in CONFIGS.items():
        rows = [x["api"] for x in measures[config]]
        per_second = [
            {k: v / x["seconds"] for k, v in _cpu(x).items()}
            | {"busy": x["cpu_seconds"]["machine_busy"] / x["seconds"]}
            for x in rows
        ]
        busy = _median([p["busy"] for p in per_second])
        groups = " | ".join(f"{_median([p[g] for p in per_second]):.2f}" for g in GROUPS)
        rekap_ms = _median([1000 * _cpu(x)["rekap"] / max(x["requests"], 1) for x in rows])
        pg_ms = _median(
            [
                1000 * (_cpu(x)["primary"] + _cpu(x)["replicas"]) / max(x["requests"], 1)
                for x in rows
            ]
        )
        out.append(f"| {label} | {busy:.2f} | {groups} | {rekap_ms:.2f} | {pg_ms:.2f} |")
    out += ["", "Groups: " + "; ".join(f"`{k}` {v}" for k, v in GROUPS.items()) + ".", ""]
    return out


def lines(directory: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(directory.glob("*.json")):
        found += section(json.loads(path.read_text()))
    return found
