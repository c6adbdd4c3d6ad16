"""What every process can see of the projection runners, kept in the store beside their positions.

A runner renews its lease (`lease_until`, a few times per lease) while it runs, so a reader
knows whether anything is applying the log; a projection that meets an event it cannot apply
records the event (position, aggregate, topic), the error and since when, until it moves again.
Times are the store's clock (seconds since 1970), so processes on several machines agree.
`/readyz`, `/metrics` and `rekap projections status` read it.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from service.store.db import Database, Tx

log = logging.getLogger("rekap.projections")

HEALTH = "projection_health"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {HEALTH} (name TEXT PRIMARY KEY, holder TEXT, "
    "heartbeat DOUBLE PRECISION, lease_until DOUBLE PRECISION, error TEXT, "
    "error_position BIGINT, error_aggregate TEXT, error_topic TEXT, "
    "error_since DOUBLE PRECISION, error_attempts INTEGER NOT NULL DEFAULT 0)"
)


def this_process() -> str:
    return f"process {os.getpid()} on {socket.gethostname()}"


@dataclass(frozen=True)
class Failure:
    """An event a projection could not apply, or a store that did not answer (no event)."""

    projection: str
    error: str
    position: int | None = None
    aggregate: str | None = None
    topic: str | None = None

    def describe(self) -> str:
        where = f"log position {self.position}" if self.position is not None else "the log"
        if self.aggregate:
            where += f" (aggregate {self.aggregate}, topic {self.topic})"
        return f"projection {self.projection} cannot apply {where}: {self.error}"


@dataclass(frozen=True)
class Health:
    name: str
    holder: str | None = None
    running: bool = False  # a runner's lease has not expired
    heartbeat_age: float | None = None  # seconds since its runner last renewed the lease
    error: str | None = None
    error_position: int | None = None
    error_aggregate: str | None = None
    error_topic: str | None = None
    error_since: float | None = None
    error_attempts: int = 0
    now: float = 0.0

    @property
    def stuck(self) -> bool:
        return self.error is not None

    def error_document(self) -> dict[str, Any] | None:
        if self.error is None:
            return None
        since = self.error_since if self.error_since is not None else self.now
        return {
            "message": self.error,
            "position": self.error_position,
            "aggregate": self.error_aggregate,
            "topic": self.error_topic,
            "since": datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds"),
            "seconds": round(max(self.now - since, 0.0), 1),
            "attempts": self.error_attempts,
        }


def store_now(tx: Tx) -> str:
    """The store's clock, in seconds since 1970, as an SQL expression."""
    if tx.is_sqlite:
        return "((julianday('now') - 2440587.5) * 86400.0)"
    return "EXTRACT(EPOCH FROM clock_timestamp())::float8"


def renew(db: Database, names: Sequence[str], holder: str, lease: float) -> None:
    """This runner is alive and applying `names` until `lease` seconds from now."""
    with db.transaction() as tx:
        now = store_now(tx)
        tx.executemany(
            f"INSERT INTO {HEALTH} (name, holder, heartbeat, lease_until) "
            f"VALUES (%s, %s, {now}, {now} + %s) ON CONFLICT (name) DO UPDATE SET "
            "holder = excluded.holder, heartbeat = excluded.heartbeat, "
            "lease_until = excluded.lease_until",
            [(name, holder, lease) for name in names],
        )


def release(db: Database, names: Sequence[str]) -> None:
    """The runner stopped on purpose: its lease ends now."""
    with db.transaction() as tx:
        condition, params = tx.any_of("name", names)
        tx.execute(f"UPDATE {HEALTH} SET lease_until = {store_now(tx)} WHERE {condition}", params)


def record_failure(db: Database, names: Sequence[str], failure: Failure) -> None:
    """Every projection of the runner is held at the failing event (they share one
    transaction); the first time it failed there is kept, the attempts are counted."""
    rows = []
    for name in names:
        error = (
            failure.error
            if name == failure.projection
            else (
                f"held back by {failure.projection}, which applies in the same transaction: "
                f"{failure.error}"
            )
        )
        rows.append((name, error, failure.position, failure.aggregate, failure.topic))
    # A failure at another position (or a first one) starts the clock again.
    same = (
        "h.error IS NOT NULL AND "
        "COALESCE(h.error_position, -1) = COALESCE(excluded.error_position, -1)"
    )
    with db.transaction() as tx:
        now = store_now(tx)
        tx.executemany(
            f"INSERT INTO {HEALTH} AS h (name, error, error_position, error_aggregate, "
            f"error_topic, error_since, error_attempts) VALUES (%s, %s, %s, %s, %s, {now}, 1) "
            "ON CONFLICT (name) DO UPDATE SET error = excluded.error, "
            "error_aggregate = excluded.error_aggregate, error_topic = excluded.error_topic, "
            f"error_since = CASE WHEN {same} THEN h.error_since ELSE excluded.error_since END, "
            f"error_attempts = CASE WHEN {same} THEN h.error_attempts + 1 ELSE 1 END, "
            "error_position = excluded.error_position",
            rows,
        )


def clear_failure(db: Database, names: Sequence[str]) -> None:
    """The projections moved again."""
    with db.transaction() as tx:
        condition, params = tx.any_of("name", names)
        tx.execute(
            f"UPDATE {HEALTH} SET error = NULL, error_position = NULL, error_aggregate = NULL, "
            f"error_topic = NULL, error_since = NULL, error_attempts = 0 WHERE {condition} "
            "AND error IS NOT NULL",
            params,
        )


def read(db: Database, names: Sequence[str]) -> dict[str, Health]:
    """The health of each projection named (all fields empty where none was ever recorded)."""
    try:
        with db.transaction(write=False) as tx:
            rows = tx.query(f"SELECT *, {store_now(tx)} AS now FROM {HEALTH}")
            now = rows[0]["now"] if rows else tx.scalar(f"SELECT {store_now(tx)}")
    except (psycopg.errors.UndefinedTable, sqlite3.OperationalError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and "no such table" not in str(exc):
            raise
        return {name: Health(name) for name in names}  # a store from before this table
    found = {r["name"]: r for r in rows}
    health = {}
    for name in names:
        row = found.get(name)
        if row is None:
            health[name] = Health(name, now=now)
            continue
        heartbeat = row["heartbeat"]
        health[name] = Health(
            name=name,
            holder=row["holder"],
            running=row["lease_until"] is not None and row["lease_until"] > now,
            heartbeat_age=None if heartbeat is None else round(max(now - heartbeat, 0.0), 1),
            error=row["error"],
            error_position=row["error_position"],
            error_aggregate=row["error_aggregate"],
            error_topic=row["error_topic"],
            error_since=row["error_since"],
            error_attempts=row["error_attempts"] or 0,
            now=now,
        )
    return health


@dataclass(frozen=True)
class Readiness:
    """Whether the read models will catch up with the log, and if not, why (for /readyz)."""

    ready: bool
    problems: list[str]
    projections: dict[str, dict[str, Any]]


def readiness(head: int, positions: dict[str, int], states: dict[str, Health]) -> Readiness:
    """Not ready while a projection is stuck, or is behind the log with no runner alive."""
    problems, documents = [], {}
    for name, position in positions.items():
        lag = max(head - position, 0)
        state = states.get(name, Health(name))
        if state.stuck:
            at = state.error_position if state.error_position is not None else position + 1
            event = (
                f" (aggregate {state.error_aggregate}, topic {state.error_topic})"
                if state.error_aggregate
                else ""
            )
            problems.append(
                f"projection {name} is stuck at log position {at}{event}: {state.error}"
            )
        elif lag and not state.running:
            last = (
                f"its last runner ({state.holder}) stopped renewing its lease "
                f"{state.heartbeat_age:.0f} s ago"
                if state.heartbeat_age is not None
                else "no runner has ever renewed its lease"
            )
            problems.append(f"projection {name} is {lag} events behind the log and {last}")
        documents[name] = {
            "position": position,
            "lag": lag,
            "running": state.running,
            "holder": state.holder,
            "heartbeat_age": state.heartbeat_age,
            "error": state.error_document(),
        }
    return Readiness(not problems, problems, documents)


class Heartbeat:
    """A runner's lease in projection_health, renewed three times per lease; the store being
    down is logged, not raised (the runner's loop deals with that)."""

    def __init__(self, db: Database, names: Sequence[str], lease: float) -> None:
        self.db, self.names, self.lease = db, list(names), lease
        self.holder = this_process()
        self.every = max(lease / 3, 0.2)
        self.last = 0.0
        try:  # a store set up before the table existed
            db.execute_script([CREATE])
        except Exception as exc:
            log.warning("could not create %s: %s", HEALTH, exc)

    def renew(self) -> None:
        try:
            renew(self.db, self.names, self.holder, self.lease)
            self.last = time.monotonic()
        except Exception as exc:
            log.warning("could not renew the projections' heartbeat: %s", exc)

    def renew_when_due(self) -> None:
        if time.monotonic() - self.last >= self.every:
            self.renew()

    def wait(self, stop: threading.Event, seconds: float) -> None:
        """Wait (until `stop`), renewing the lease: a runner in backoff is alive."""
        deadline = time.monotonic() + seconds
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            stop.wait(min(left, self.every))
            self.renew_when_due()

    def release(self) -> None:
        try:
            release(self.db, self.names)
        except Exception as exc:
            log.warning("could not release the projections' heartbeat: %s", exc)
