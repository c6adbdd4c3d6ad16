"""Projections (catch-up, rebuild) against reading the log back; reads against GROUP BY."""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import psycopg

from bench import data
from bench.env import conninfo
from domain.form import flatten
from domain.tps_result import TpsResult
from service.bootstrap import Services
from service.read.projections import parallel
from service.store.eventlog import events_table

TIERS = (("nasional", 1), ("provinsi", 2), ("kabkota", 4), ("kecamatan", 6), ("desa", 10))


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "p50_ms": round(at(0.50), 3),
        "p99_ms": round(at(0.99), 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def read_log(services: Services, decode: bool, batch: int = 1000) -> dict[str, Any]:
    """The raw rate of reading the whole log back (rows, or rows decoded into events)."""
    recorder, mapper = services.app.recorder, services.app.mapper
    start, count, position = time.perf_counter(), 0, 0
    while True:
        rows = recorder.select_notifications(start=position, limit=batch, inclusive_of_start=False)
        if not rows:
            break
        if decode:
            for n in rows:
                mapper.to_domain_event(n)
        count += len(rows)
        position = rows[-1].id
    seconds = time.perf_counter() - start
    return {"count": count, "seconds": round(seconds, 3), "per_second": round(count / seconds, 1)}


def catch_up(services: Services) -> dict[str, Any]:
    """Apply everything not yet projected (after an ingest with no runner: the whole backlog)."""
    start = time.perf_counter()
    count = parallel.catch_up(services.settings, services.runner)
    seconds = time.perf_counter() - start
    return {"count": count, "seconds": round(seconds, 3), "per_second": round(count / seconds, 1)}


def rebuild(services: Services) -> dict[str, Any]:
    """What `rekap projections rebuild` does: on PostgreSQL the audit tree in a second process."""
    start = time.perf_counter()
    count = parallel.rebuild(services.settings, services.runner)
    seconds = time.perf_counter() - start
    return {"count": count, "seconds": round(seconds, 3), "per_second": round(count / seconds, 1)}


# -- reads ----------------------------------------------------------------------------------


def sample_codes(services: Services, per_tier: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    codes: dict[str, list[str]] = {}
    for tier, _ in TIERS:
        rows = services.db.query(
            "SELECT code FROM region WHERE election_id = %s AND tier = %s ORDER BY code",
            (data.ELECTION_ID, tier),
        )
        found = [r["code"] for r in rows]
        codes[tier] = rng.sample(found, min(per_tier, len(found)))
    return codes


def _timed(call: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def recap_reads(
    services: Services, codes: dict[str, list[str]], contest_id: str, per_code: int
) -> dict[str, Any]:
    """RecapQueries.region (the whole document an API read answers) at every tier."""
    found = {}
    for tier, _ in TIERS:
        samples: list[float] = []
        for code in codes[tier]:
            services.queries.region(data.ELECTION_ID, contest_id, code)  # warm
            samples += _timed(
                lambda code=code: services.queries.region(data.ELECTION_ID, contest_id, code),
                per_code,
            )
        found[tier] = percentiles(samples)
    return found


def contest_reads(
    services: Services,
    codes: dict[str, list[str]],
    tiers: tuple[str, ...],
    contest_of: Callable[[str], str | None],
    per_code: int,
) -> dict[str, Any]:
    """RecapQueries.region at every tier of a contest group, each region read in its contest
    (a DPRD's region in the contest of its province or kab/kota)."""
    found = {}
    for tier in tiers:
        samples: list[float] = []
        for code in codes[tier]:
            contest_id = contest_of(code)
            if contest_id is None:
                continue

            def read(code: str = code, contest_id: str = contest_id) -> None:
                services.queries.region(data.ELECTION_ID, contest_id, code)

            read()  # warm
            samples += _timed(read, per_code)
        if samples:
            found[tier] = percentiles(samples)
    return found


GROUP_BY = (
    "SELECT left(tps, %s) AS child, count(*) AS tps, sum(v1) AS v1, sum(v2) AS v2, "
    "sum(v3) AS v3, sum(valid) AS valid, sum(invalid) AS invalid, sum(total) AS total, "
    "sum(dpt) AS dpt FROM plain_result WHERE contest_id = %s AND tps >= %s AND tps < %s "
    "GROUP BY 1"
)
CHILD_LENGTH = {1: 2, 2: 4, 4: 6, 6: 10, 10: 13}


def group_by_reads(codes: dict[str, list[str]], contest_id: str, per_code: int) -> dict[str, Any]:
    """The same totals (the region's and each child's) by GROUP BY over a plain results table."""
    found = {}
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        for tier, length in TIERS:
            samples: list[float] = []
            for code in codes[tier]:
                low, high = ("", "~") if code == "0" else (code, code + "~")
                params = (CHILD_LENGTH[length], contest_id, low, high)

                def query(params: tuple[Any, ...] = params) -> None:
                    rows = conn.execute(GROUP_BY, params).fetchall()
                    sum(r[1] for r in rows)  # the region's own total from its children

                query()
                samples += _timed(query, per_code)
            found[tier] = percentiles(samples)
    return found


# -- replay ---------------------------------------------------------------------------------


def replay_tps(
    services: Services, codes: list[str], contest_id: str, repeat: int
) -> dict[str, Any]:
    """Rebuild one TPS's result from its events (repository.get), vs a plain row read."""
    app = services.app
    ids = [TpsResult.create_id(data.ELECTION_ID, contest_id, c) for c in codes]
    samples: list[float] = []
    for i in range(repeat):
        oid = ids[i % len(ids)]
        start = time.perf_counter()
        app.repository.get(oid)
        samples.append(time.perf_counter() - start)
    plain: list[float] = []
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        for i in range(repeat):
            start = time.perf_counter()
            conn.execute(
                "SELECT form FROM plain_result WHERE contest_id = %s AND tps = %s",
                (contest_id, codes[i % len(codes)]),
            ).fetchone()
            plain.append(time.perf_counter() - start)
    return {"replay": percentiles(samples), "plain_row": percentiles(plain)}


def as_of_kabkota(
    services: Services, kabkota: list[str], contest_id: str, position: int
) -> dict[str, Any]:
    """A kab/kota's totals as they stood at a log position, by replaying its TPS' events.

    (The API's `?as_of=` is another engineer's; this is the same work: every event of the
    kab/kota's TPS up to the position, folded to the last version of each, then summed.)
    """
    db = services.db
    table = events_table(db)
    samples: list[float] = []
    events = 0
    for kab in kabkota:
        start = time.perf_counter()
        tps = [
            r["code"]
            for r in db.query(
                "SELECT code FROM region WHERE election_id = %s AND tier = 'tps' "
                "AND code >= %s AND code < %s",
                (data.ELECTION_ID, kab, kab + "~"),
            )
        ]
        ids = [TpsResult.create_id(data.ELECTION_ID, contest_id, c) for c in tps]
        latest: dict[Any, Any] = {}
        for i in range(0, len(ids), 1000):
            rows = db.query(
                f"SELECT originator_id, originator_version, topic, state FROM {table} "
                "WHERE originator_id = ANY(%s) AND notification_id <= %s",
                (ids[i : i + 1000], position),
            )
            for r in rows:
                events += 1
                if r["originator_version"] >= latest.get(r["originator_id"], (0, None))[0]:
                    latest[r["originator_id"]] = (r["originator_version"], r["state"])
        totals: dict[str, int] = defaultdict(int)
        for _, state in latest.values():
            for name, value in flatten(json.loads(state)["form"]).items():
                totals[name] += value
        samples.append(time.perf_counter() - start)
    found = percentiles(samples)
    found["events_per_kabkota"] = round(events / max(len(kabkota), 1), 1)
    return found


def as_of_baseline(kabkota: list[str], contest_id: str) -> dict[str, Any]:
    """The current totals of the same kab/kota by GROUP BY over the plain table."""
    samples: list[float] = []
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        for kab in kabkota:
            start = time.perf_counter()
            conn.execute(GROUP_BY, (6, contest_id, kab, kab + "~")).fetchall()
            samples.append(time.perf_counter() - start)
    return percentiles(samples)
