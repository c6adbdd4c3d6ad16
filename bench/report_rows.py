"""Rows of BENCHMARKS.md shared by every run's section: HTTP, site pages, replay, as-of, audit."""

from __future__ import annotations

from typing import Any


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}x"


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("**met**" if ok else "not met")


def http_rows(http: dict[str, Any] | None) -> list[tuple[str, ...]]:
    """Single submissions over HTTP against the minimal and the plain Flask servers."""
    if not http:
        return []
    rows: list[tuple[str, ...]] = []
    rk, mf, pl = http["rekap"], http["minimal_flask"], http["plain_flask_psycopg"]
    ratio_mf = rk["per_second"] / mf["per_second"] if mf["per_second"] else 0
    ratio_pl = rk["per_second"] / pl["per_second"] if pl["per_second"] else 0
    rows.append(
        (
            f"Single submissions over HTTP, {rk['clients']} clients "
            f"({http['workers']} gthread workers x {http['threads']} threads)",
            f"{rk['per_second']:,.0f}/s, p99 {rk['latency'].get('p99_ms', 0):,.0f} ms",
            f"minimal Flask POST {mf['per_second']:,.0f}/s",
            f"{ratio_mf:.2f}",
            ">= 0.50",
            _met(ratio_mf >= 0.5),
        )
    )
    rows.append(
        (
            "",
            "",
            f"plain Flask + psycopg INSERT {pl['per_second']:,.0f}/s",
            f"{ratio_pl:.2f}",
            "> 1",
            _met(ratio_pl > 1),
        )
    )
    lag = rk.get("projection_lag") or {}
    if lag:
        rows.append(
            (
                "Projection lag at that rate (write to recap)",
                f"p50 {lag['p50_ms']:,.0f} ms, p99 {lag['p99_ms']:,.0f} ms, "
                f"max {lag['max_ms']:,.0f} ms",
                "",
                "",
                "< 1 s",
                _met(lag["p99_ms"] < 1000),
            )
        )
    return rows


def extra_rows(r: dict[str, Any], raw: dict[str, Any]) -> list[tuple[str, ...]]:
    """Site pages, replay, as-of and the audit, each against its baseline (the Pilpres's)."""
    rows: list[tuple[str, ...]] = []
    for tier, found in (r.get("site_pages") or {}).items():
        if tier == "search_by_name":
            rows.append(
                (
                    "Site search by a region's name",
                    f"p50 {found['p50_ms']:.1f} ms, p99 {found['p99_ms']:.1f} ms",
                    "",
                    "",
                    "",
                    "",
                )
            )
            continue
        page, api = found["page"], found["api"]
        rows.append(
            (
                f"Site page, {tier} (HTML, in process)",
                f"p50 {page['p50_ms']:.1f} ms, p99 {page['p99_ms']:.1f} ms",
                f"API JSON of it p50 {api['p50_ms']:.1f} ms, p99 {api['p99_ms']:.1f} ms",
                f"{found['ratio_p50']:.1f}x the time",
                "p99 < 50 ms",
                _met(page["p99_ms"] < 50),
            )
        )
    rep = r.get("replay_tps")
    if not rep:
        return rows
    rows.append(
        (
            "Replay of one TPS (repository.get)",
            f"p50 {rep['replay']['p50_ms']:.2f} ms, p99 {rep['replay']['p99_ms']:.2f} ms",
            f"plain row SELECT p50 {rep['plain_row']['p50_ms']:.2f} ms",
            _ratio(rep["plain_row"]["p50_ms"], rep["replay"]["p50_ms"]),
            "",
            "",
        )
    )
    ao, aob = r["as_of_kabkota"], r["as_of_baseline"]
    if not ao["events_per_kabkota"]:  # a position before the contest's events: nothing replayed
        return rows + _audit_rows(r.get("audit") or {}, raw)
    rows.append(
        (
            f"As-of of a kab/kota by replay ({ao['events_per_kabkota']:,.0f} events each)",
            f"p50 {ao['p50_ms']:,.0f} ms, p99 {ao['p99_ms']:,.0f} ms",
            f"current totals by GROUP BY p50 {aob['p50_ms']:,.1f} ms",
            _ratio(aob["p50_ms"], ao["p50_ms"]),
            "",
            "",
        )
    )
    audit = r.get("audit")
    if audit:
        rows += _audit_rows(audit, raw)
    return rows


def _audit_rows(audit: dict[str, Any], raw: dict[str, Any]) -> list[tuple[str, ...]]:
    """bench/audit.py's figures (the audit engineer's), against reading the log back."""
    rows: list[tuple[str, ...]] = []
    for key, what in (
        ("verify_leaves_and_heads", "Merkle verification of the whole log (leaves, tree heads)"),
        ("verify_everything", "Full audit verify (hashes, and every projection replayed)"),
        ("leaves_hashed", "Hashing the log into the Merkle tree"),
    ):
        v = audit.get(key)
        if v:
            rows.append(
                (
                    f"{what}, {v['count']:,} events",
                    f"{v['per_second']:,.0f}/s ({v['seconds']:,.1f} s)",
                    f"log read back {raw['per_second']:,.0f}/s raw",
                    _ratio(v["per_second"], raw["per_second"]),
                    "",
                    "",
                )
            )
    proofs = audit.get("proofs", {})
    for kind in ("inclusion", "consistency"):
        v = proofs.get(kind)
        if v:
            rows.append(
                (
                    f"Merkle {kind} proof (tree of {proofs['tree_size']:,})",
                    f"p50 {v['p50_ms']:.1f} ms, p99 {v['p99_ms']:.1f} ms",
                    "",
                    "",
                    "",
                    "",
                )
            )
    return rows
