"""Setting up the election, and bulk ingest through rekap against plain COPY / batched INSERT."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterator
from typing import Any

import psycopg

from bench import contests, data
from bench.env import conninfo
from domain.access import SYSTEM, Actor, Role
from service.bootstrap import Services
from service.input import elections
from service.input.results import bulk_items, correction
from service.progress import Progress
from service.usecases.bulk import BulkItem, submit_bulk
from service.usecases.elections import create_election, define_contest, load_regions
from service.usecases.results import correct

BULK_ITEMS = 1000

PLAIN_TABLE = """CREATE TABLE IF NOT EXISTS {name} (
    contest_id TEXT NOT NULL, tps TEXT NOT NULL, submission_id TEXT NOT NULL, form JSONB NOT NULL,
    v1 INTEGER, v2 INTEGER, v3 INTEGER, valid INTEGER NOT NULL,
    invalid INTEGER NOT NULL, total INTEGER NOT NULL, dpt INTEGER NOT NULL,
    PRIMARY KEY (contest_id, tps))"""
PLAIN_COLUMNS = "contest_id, tps, submission_id, form, v1, v2, v3, valid, invalid, total, dpt"


class Timed:
    """Wraps an iterator and counts the time spent producing its items (the generator's share)."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self.seconds = 0.0

    def __iter__(self) -> Iterator[Any]:
        while True:
            start = time.perf_counter()
            try:
                item = next(self._items)
            except StopIteration:
                self.seconds += time.perf_counter() - start
                return
            self.seconds += time.perf_counter() - start
            yield item


def setup(
    services: Services,
    provinces: Collection[str] | None,
    documents: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The election, its region tree (the real one, with generated DPT) and the chosen contests
    of Pemilu 2024 (the documents of --pemilu2024)."""
    start = time.perf_counter()
    election = elections.election({"id": data.ELECTION_ID, "name": data.ELECTION_NAME})
    create_election(services.setup, SYSTEM, election)
    summary = load_regions(
        services.setup, SYSTEM, data.ELECTION_ID, data.region_documents(provinces)
    )
    regions = time.perf_counter() - start
    defined = 0
    for docs in documents.values():
        for document in docs:
            define_contest(services.setup, SYSTEM, data.ELECTION_ID, elections.contest(document))
            defined += 1
    return {
        "seconds": time.perf_counter() - start,
        "regions_seconds": round(regions, 1),
        "kecamatan": summary.chunks,
        "tps": summary.tps,
        "contests_defined": defined,
    }


def _operator(kab: str) -> Actor:
    return Actor(id=f"bench-operator-{kab}", role=Role.OPERATOR, scope=kab)


def _bulk_requests(
    stream: contests.Stream, seed: int
) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """What kab/kota operators would send: up to BULK_ITEMS forms of one kab/kota and contest
    per request."""
    items: list[dict[str, Any]] = []
    key = ("", "")
    for contest_id, kecamatan, found in stream:
        if items and ((contest_id, kecamatan[:4]) != key or len(items) >= BULK_ITEMS):
            yield key[0], key[1], items
            items = []
        key = (contest_id, kecamatan[:4])
        items.extend({"tps": f.tps, **f.body(contest_id, seed)} for f in found)
    if items:
        yield key[0], key[1], items


def bulk_ingest(
    services: Services, stream: contests.Stream, total: int, seed: int, label: str
) -> dict[str, Any]:
    """Every form of a contest group through `submit_bulk`, a kab/kota operator's request at a
    time."""
    progress = Progress(label, total)
    requests = Timed(_bulk_requests(stream, seed))
    counts: dict[int | str, int] = {}
    done = 0
    start = time.perf_counter()
    for contest_id, kab, items in requests:
        commands = bulk_items(items)
        answers = submit_bulk(
            services.results, _operator(kab), data.ELECTION_ID, contest_id, commands
        )
        for a in answers:
            status = _status(a)
            counts[status] = counts.get(status, 0) + 1
        done += len(items)
        progress.update(done)
    seconds = time.perf_counter() - start
    progress.finish()
    return _rates(done, seconds, requests.seconds) | {"statuses": counts}


def setup_and_ingest(
    services: Services, provinces: Collection[str] | None, keys: list[str], seed: int
) -> dict[str, Any]:
    """The election with the chosen contests, and every form of them in bulk (no baselines)."""
    docs = contests.documents(provinces, keys, seed)
    found = {"setup": setup(services, provinces, docs)}
    for key in keys:
        stream = contests.kecamatan_forms(key, docs[key], provinces, seed)
        found[key] = bulk_ingest(services, stream, data.tps_count(provinces), seed, key)
    return found


def corrections(
    services: Services, provinces: Collection[str] | None, contest_id: str, seed: int
) -> dict[str, Any]:
    """The corrections of the anomalous forms that get one, one request at a time."""
    done = 0
    start = time.perf_counter()
    for f in data.forms(provinces, contest_id, seed):
        if f.correction is None:
            continue
        body = {"form": f.correction, "reason": f"salah tulis ({f.anomaly})"}
        correct(
            services.results,
            _operator(f.tps[:4]),
            data.ELECTION_ID,
            contest_id,
            correction(f.tps, body, 1),
        )
        done += 1
    return _rates(done, time.perf_counter() - start, 0.0)


def _status(answer: BulkItem) -> int | str:
    """201 stored, 200 stored before, else the kind of error (as the API would answer it)."""
    if answer.outcome is not None:
        return 201 if answer.outcome.created else 200
    return type(answer.error).__name__


def _rates(count: int, seconds: float, generating: float) -> dict[str, Any]:
    writing = max(seconds - generating, 1e-9)
    return {
        "count": count,
        "seconds": round(seconds, 3),
        "generating_seconds": round(generating, 3),
        "per_second": round(count / max(seconds, 1e-9), 1),
        "per_second_excluding_generation": round(count / writing, 1),
    }


# -- baselines: the same rows into a plain table --------------------------------------------


def plain_row(contest_id: str, f: data.TpsForm, seed: int) -> tuple[Any, ...]:
    """The form as a row; a Pilpres form's three tallies also in columns of their own."""
    form = f.correction or f.form
    votes = form["votes"]
    pilpres = contest_id == data.PILPRES_ID
    return (
        contest_id,
        f.tps,
        f.body(contest_id, seed)["submission_id"],
        json.dumps(form),
        votes["1"] if pilpres else None,
        votes["2"] if pilpres else None,
        votes["3"] if pilpres else None,
        form["valid"],
        form["invalid"],
        form["total"],
        f.dpt,
    )


def create_plain(conn: psycopg.Connection[Any], name: str) -> None:
    conn.execute(PLAIN_TABLE.format(name=name))


def _capped(stream: contests.Stream, cap: int | None) -> Iterator[tuple[str, data.TpsForm]]:
    count = 0
    for contest_id, _, found in stream:
        for f in found:
            if cap is not None and count >= cap:
                return
            count += 1
            yield contest_id, f


def copy_baseline(
    stream: contests.Stream,
    seed: int,
    table: str = "plain_result",
    cap: int | None = None,
    keep: bool = True,
) -> dict[str, Any]:
    """COPY of the same forms into a plain table, 5,000 rows per COPY (the first `cap`)."""

    def write(cur: psycopg.Cursor[Any], rows: list[tuple[Any, ...]]) -> None:
        with cur.copy(f"COPY {table} ({PLAIN_COLUMNS}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)

    return _plain_load(stream, seed, table, write, batch=5000, drop=not keep, cap=cap)


def insert_baseline(
    stream: contests.Stream, seed: int, table: str = "plain_insert", cap: int | None = None
) -> dict[str, Any]:
    """Batched INSERT (executemany, 1000 rows a transaction) of the same forms."""
    sql = (
        f"INSERT INTO {table} ({PLAIN_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )

    def write(cur: psycopg.Cursor[Any], rows: list[tuple[Any, ...]]) -> None:
        cur.executemany(sql, rows)

    return _plain_load(stream, seed, table, write, batch=BULK_ITEMS, drop=True, cap=cap)


def _plain_load(
    stream: contests.Stream,
    seed: int,
    table: str,
    write: Callable[[psycopg.Cursor[Any], list[tuple[Any, ...]]], None],
    batch: int,
    drop: bool,
    cap: int | None,
) -> dict[str, Any]:
    """The first `cap` forms into a fresh plain `table`, `write` taking `batch` rows a
    transaction."""
    with psycopg.connect(conninfo()) as conn:
        create_plain(conn, table)
        conn.commit()
        rows = Timed(_capped(stream, cap))
        count = 0
        start = time.perf_counter()
        pending: list[tuple[Any, ...]] = []

        def flush() -> None:
            with conn.cursor() as cur:
                write(cur, pending)
            conn.commit()
            pending.clear()

        for contest_id, f in rows:
            pending.append(plain_row(contest_id, f, seed))
            count += 1
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        seconds = time.perf_counter() - start
        if drop:
            conn.execute(f"DROP TABLE {table}")
            conn.commit()
    return _rates(count, seconds, rows.seconds)
