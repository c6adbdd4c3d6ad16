"""A run's section of BENCHMARKS.md: the real contests of Pemilu 2024 (bench/contests.py), each
against its baselines, and the DPR's seats against the official 2024 result."""

from __future__ import annotations

from typing import Any

from bench.contests import LABELS
from bench.report_rows import extra_rows, http_rows
from bench.seats import PARTY_NAMES

NATION_TPS = 823_366
TIERS = ("nasional", "provinsi", "kabkota", "kecamatan", "desa")


def _x(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("**met**" if ok else "not met")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
    ]


def header(r: dict[str, Any]) -> list[str]:
    m, c = r["machine"], r["commit"]
    dirty = " (with uncommitted changes)" if c["dirty"] else ""
    load = ", ".join(f"{x:.2f}" for x in m["load_average_at_start"])
    names = ", ".join(LABELS[k] for k in r["contests"])
    counts = r.get("contest_documents", {})
    dprd = [f"{counts[k]} {LABELS[k]}" for k in ("dprd_provinsi", "dprd_kabkota") if k in counts]
    return [
        f"## Size `{r['size']}`: {r['tps']:,} TPS, {names}",
        "",
        f"Measured {c['date']} at commit `{c['short']}`{dirty} on {m['cpus']} cores ({m['cpu']}), "
        f"{m['memory_gb']} GB, PostgreSQL {m['postgresql']}, Python {m['python']}; load average "
        f"at start {load} (the machine was shared with other work: compare ratios, not absolute "
        f"rates). Whole run {r.get('total_seconds', 0):,.0f} s."
        + (f" The DPRD groups hold {', '.join(dprd)} contests." if dprd else ""),
        "",
    ]


def section(r: dict[str, Any]) -> list[str]:
    out = header(r)
    national = r["size"] == "national"
    scale = NATION_TPS / r["tps"] if r["tps"] else 0
    if not national:
        out += [
            f"Figures for the nation (x{scale:,.1f} TPS) are **extrapolated, not measured**, "
            "assuming rates stay flat as tables grow: they did not in the national run (its DPR "
            "bulk ingest ran at about half the rate it has at province size), so take the "
            "national section's measured times over these.",
            "",
        ]
    out += _ingest(r, national, scale)
    out += _projections(r)
    out += _reads(r)
    seats = r.get("dpr_seats")
    if seats:
        out += seats_table(seats)
    raw = r.get("log_read_raw") or {"per_second": 0}
    rows = http_rows(r.get("http_single_submissions")) + extra_rows(r, raw)
    if rows:
        out += [
            "Pilpres: the other measures (single submissions over HTTP, when measured, go to a "
            "Pilpres-shaped contest of their own).",
            "",
            *_table(
                ["Measure", "rekap", "Baseline (same run)", "Ratio", "Target", ""],
                [list(row) for row in rows],
            ),
        ]
    out += _memory(r)
    return out


def _ingest(r: dict[str, Any], national: bool, scale: float) -> list[str]:
    rows = []
    for key, p in r["per_contest"].items():
        if not all(k in p for k in ("bulk", "copy", "insert", "catch_up")):
            continue  # a run stopped in the middle of this contest
        b, copy, ins, cu = p["bulk"], p["copy"], p["insert"], p["catch_up"]
        rate = b["per_second_excluding_generation"]
        rows.append(
            [
                f"{LABELS[key]} ({p['contests']})",
                f"{b['count']:,}",
                f"{rate:,.0f}/s ({b['seconds'] - b['generating_seconds']:,.0f} s writing, "
                f"{b['generating_seconds']:,.0f} s generating)",
                f"{copy['per_second_excluding_generation']:,.0f}/s ({copy['count']:,})",
                _x(rate, copy["per_second_excluding_generation"]),
                f"{ins['per_second_excluding_generation']:,.0f}/s ({ins['count']:,})",
                _x(rate, ins["per_second_excluding_generation"]),
                f"{cu['per_second']:,.0f}/s ({cu['count']:,} events, {cu['seconds']:,.0f} s)",
            ]
        )
    allc = r["bulk_all"]
    whole = allc["seconds"] + allc["catch_up_seconds"]
    est = "" if national else " (extrapolated)"
    minutes = whole * (1 if national else scale) / 60
    rows.append(
        [
            f"**All {len(r['per_contest'])} together**{est}",
            f"{allc['count'] * (1 if national else scale):,.0f}",
            f"{allc['per_second']:,.0f}/s; ingest and projection {minutes:,.0f} min",
            "",
            "",
            "",
            "",
            "five contests < 60 min: "
            + (_met(minutes < 60) if len(r["per_contest"]) == 5 else "-"),
        ]
    )
    return [
        "Bulk ingest through `submit_bulk` (1,000 forms of one kab/kota and contest a request) "
        "against COPY and batched INSERT of the same forms (JSONB and totals) into a plain table, "
        "rates of writing only (the forms' generation timed apart and taken out; a legislative "
        "contest's baselines on its first 200,000 forms at most); then the projections catching "
        "up on that contest's events.",
        "",
        *_table(
            [
                "Contest (contests)",
                "Forms",
                "rekap bulk",
                "COPY",
                "rekap / COPY",
                "batched INSERT",
                "rekap / INSERT",
                "Projection catch-up",
            ],
            rows,
        ),
    ]


def _projections(r: dict[str, Any]) -> list[str]:
    if "projection_rebuild" not in r or "log_read_decoded" not in r:
        return ["Projection full rebuild: **not measured** (the run was stopped before it).", ""]
    rb, raw, dec = r["projection_rebuild"], r["log_read_raw"], r["log_read_decoded"]
    return _table(
        ["Measure", "rekap", "Baseline (same run)", "Ratio", "Target", ""],
        [
            [
                f"Projection full rebuild, all contests, {rb['count']:,} events",
                f"{rb['per_second']:,.0f}/s ({rb['seconds'] / 60:,.1f} min)",
                f"log read back {raw['per_second']:,.0f}/s raw, {dec['per_second']:,.0f}/s decoded",
                f"{rb['per_second'] / raw['per_second']:.2f} raw / "
                f"{rb['per_second'] / dec['per_second']:.2f} decoded",
                ">= 0.50 raw",
                _met(rb["per_second"] / raw["per_second"] >= 0.5),
            ]
        ],
    )


def _reads(r: dict[str, Any]) -> list[str]:
    rows = []
    base = r.get("group_by_reads") or {}
    for key, p in r["per_contest"].items():
        for tier in TIERS:
            a = p.get("recap_reads", {}).get(tier)
            if not a:
                continue
            b = base.get(tier) if key == "ppwp" else None
            rows.append(
                [
                    LABELS[key],
                    tier,
                    f"p50 {a['p50_ms']:.2f} ms, p99 {a['p99_ms']:.2f} ms ({a['n']})",
                    f"GROUP BY p50 {b['p50_ms']:.2f} ms, p99 {b['p99_ms']:.2f} ms" if b else "",
                    f"{b['p50_ms'] / a['p50_ms']:,.1f}x faster" if b and a["p50_ms"] else "",
                    _met(a["p99_ms"] < 10),
                ]
            )
    return [
        "Recap reads (RecapQueries.region, the whole document an API read answers), 20 regions "
        "a tier x 10 reads; a DPRD region is read in the contest of its province or kab/kota. "
        "Target p99 under 10 ms.",
        "",
        *_table(
            ["Contest", "Tier", "rekap", "Baseline (Pilpres only)", "Ratio", "p99 < 10 ms"], rows
        ),
    ]


def seats_table(s: dict[str, Any]) -> list[str]:
    whole = s["whole_dpr"]
    against = s["official_seats"] if whole else s["expected_seats"]
    what = (
        "the official 2024 result (Keputusan KPU 1205/2024)"
        if whole
        else "the allocation the published votes of the same dapil give (the official seats are "
        "those of all 84 dapil; on a subset the threshold is 4 % of the subset's votes)"
    )
    parties = sorted(set(s["seats"]) | set(against), key=lambda p: -against.get(p, 0))
    rows = [
        [
            f"{PARTY_NAMES.get(p, p)} ({p})",
            str(s["seats"].get(p, 0)),
            str(against.get(p, 0)),
            "=" if s["seats"].get(p, 0) == against.get(p, 0) else "**differs**",
        ]
        for p in parties
    ]
    rows.append(
        [
            "**Total**",
            str(sum(s["seats"].values())),
            str(sum(against.values())),
            "",
        ]
    )
    t = s["timing"]
    verdict = "**reproduced**" if s["reproduced"] else "**not reproduced**"
    different = ", ".join(s["dapil_different"]) or "none"
    return [
        f"DPR seats computed by rekap from the ingested forms (`GET .../seats`: the recap's "
        f"district rows, the threshold, Sainte-Lague per dapil) against {what}: {verdict}. "
        f"Dapil with the same allocation party by party: {s['dapil_equal']} of {s['dapil']} "
        f"(different: {different}). Threshold: {s['threshold']['votes']:,.0f} votes, "
        f"{len(s['threshold']['qualified'])} parties qualified. The seats read took p50 "
        f"{t['p50_ms']:.0f} ms, p99 {t['p99_ms']:.0f} ms, first (cold) {t['first_ms']:.0f} ms "
        f"(target under a second: {_met(t['p99_ms'] < 1000 and t['first_ms'] < 1000)}).",
        "",
        *_table(["Party", "rekap", "official" if whole else "from the published votes", ""], rows),
    ]


def _memory(r: dict[str, Any]) -> list[str]:
    parts = [
        f"bench process (ingest, reads; generates the forms) {r['bench_process_peak_rss_mb']} MB"
    ]
    steps = r.get("peak_rss_mb_after_step") or {}
    if steps:
        parts.append(
            "its peak after each step: " + ", ".join(f"{k} {v:,.0f}" for k, v in steps.items())
        )
    children = r.get("child_processes_peak_rss_mb") or {}
    if children:
        parts.append(
            "child processes (projections in catch-up and rebuild), the largest of each kind: "
            + ", ".join(f"{name} {mb:,.0f}" for name, mb in children.items() if mb)
        )
    http = r.get("http_single_submissions")
    if http:
        for name in ("rekap", "plain_flask_psycopg", "minimal_flask"):
            parts.append(
                f"{name} gunicorn workers {http[name].get('peak_rss_mb', {}).get('workers')} MB"
            )
        parts.append(f"live projection process {http.get('projection_process_peak_rss_mb')} MB")
    return [
        "Peak resident memory: " + "; ".join(parts) + ".",
        f"Database size at the end: {r.get('database_bytes', 0) / 2**20:,.0f} MB.",
        "",
    ]
