"""PostgreSQL streaming replicas of the store, and how far each one has replayed the primary.

A replica is a standby of the primary (pg_basebackup and streaming replication): it holds the
same tables, the read models and their positions included, a little later. Each process watches
its replicas from one background thread, every CHECK_EVERY seconds, on a connection of its own
to each: whether the server answers, whether it is still a standby (`pg_is_in_recovery()`: a
promoted one no longer follows the primary and must not answer for it), and how far its read
models are, from the projections' position rows as the replica has them.

A replica's lag is counted in events (how far the primary's read models are ahead of its own)
and in seconds: how long ago the primary's read models were where the replica's are now, dated
by the primary's positions sampled on the same rounds. So an idle log is no lag, and a replica
that stops replaying while the log moves ages from the first round that sees the primary pass
it. A replica serves reads while it answers, is a standby, and lags at most `max_lag` seconds.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service.config import DatabaseConfig
from service.store.db import Database, Tx

log = logging.getLogger("rekap.replicas")

CHECK_EVERY = 0.5  # seconds between two looks at every replica
HISTORY = 600.0  # seconds of the primary's positions kept to date a replica's lag
Position = Callable[[Any], int]  # how far the read models are, as a Database or a Tx has them
OpenPool = Callable[[DatabaseConfig], Database]

STREAMING = "streaming"  # serves reads
BEHIND = "behind"  # answers, but lags more than the bound: serves none
DOWN = "down"  # does not answer
PROMOTED = "promoted"  # no longer a standby: it does not follow the primary any more
UNKNOWN = "unknown"  # not looked at yet


@dataclass(frozen=True)
class ReplicaStatus:
    """What the last look at a replica found."""

    name: str
    address: str
    state: str = UNKNOWN
    position: int | None = None  # how far its read models have applied the log
    lag: int | None = None  # events the primary's read models are ahead
    seconds: float | None = None  # since the primary's read models were where its are
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        if self.seconds is not None:
            found["seconds"] = round(self.seconds, 3)
        return found


class Replica:
    """One standby: the pool reads go through (open while it serves) and its last status."""

    def __init__(self, name: str, config: DatabaseConfig, open_pool: OpenPool, timeout: int):
        self.name = name
        self.config = config
        self.db: Database | None = None
        self.status = ReplicaStatus(name, f"{config.host}:{config.port}/{config.dbname}")
        self._open_pool = open_pool
        self._timeout = timeout
        self._probe: psycopg.Connection[Any] | None = None
        self._faulted = False

    @property
    def serving(self) -> bool:
        return self.status.state == STREAMING and self.db is not None and not self._faulted

    def fault(self) -> None:
        """A read lost its connection to it: no read goes there until a look finds it well
        (with a fresh pool: the old one may hold more dead connections)."""
        self._faulted = True

    def probe(self, position_of: Position) -> tuple[bool, int]:
        """Whether it is a standby, and how far its read models are; psycopg.Error if it does
        not answer."""
        try:
            if self._probe is None or self._probe.closed:
                self._probe = psycopg.connect(
                    host=self.config.host,
                    port=self.config.port,
                    user=self.config.user,
                    password=self.config.password,
                    dbname=self.config.dbname,
                    options=f"-c search_path={self.config.schema}",
                    connect_timeout=self._timeout,
                    autocommit=True,
                    row_factory=dict_row,
                )
            with self._probe.cursor() as cursor:
                tx = Tx(cursor, sqlite=False)
                standby = bool(tx.scalar("SELECT pg_is_in_recovery()"))
                return standby, position_of(tx)
        except psycopg.Error:
            self._close_probe()
            raise

    def found(self, status: ReplicaStatus) -> None:
        """Record a look; open a fresh pool when it comes to serve, close it when it stops."""
        before = self.status
        if status.state == STREAMING and (self.db is None or self._faulted):
            self._close_pool()
            self.db = self._open_pool(self.config)
            self._faulted = False
        elif status.state in (DOWN, PROMOTED):
            self._close_pool()
        self.status = status
        if status.state != before.state:
            say = log.info if status.state == STREAMING else log.warning
            detail = f": {status.error}" if status.error else ""
            say("replica %s (%s) is %s%s", self.name, status.address, status.state, detail)

    def close(self) -> None:
        self._close_pool()
        self._close_probe()

    def _close_pool(self) -> None:
        db, self.db = self.db, None
        if db is not None:
            db.close()

    def _close_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.close()


class ReplicaSet:
    """The replicas of one primary, watched from a thread that starts with the first read."""

    def __init__(
        self,
        primary: Database,
        configs: Sequence[DatabaseConfig],
        position_of: Position,
        *,
        open_pool: OpenPool,
        max_lag: float = 5.0,
        connect_timeout: int = 3,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self.primary = primary
        self.position_of = position_of
        self.max_lag = max_lag
        self.check_every = check_every
        self.replicas = [
            Replica(f"replica-{n}", config, open_pool, connect_timeout)
            for n, config in enumerate(configs, start=1)
        ]
        self._history: deque[tuple[float, int]] = deque()  # (monotonic time, primary position)
        self._turn = itertools.count()
        self._checking = threading.Lock()
        self._starting = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Watch the replicas from now on (once per process; after any fork)."""
        if self._thread is not None or self._stop.is_set():
            return
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="rekap-replicas")
                self._thread.daemon = True
                self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # the watch must go on; the next round tries again
                log.exception("looking at the replicas failed")
            self._stop.wait(self.check_every)

    def check(self) -> None:
        """Look at the primary and at every replica once, now."""
        with self._checking:
            now = time.monotonic()
            try:
                self._sample(now, self.position_of(self.primary))
            except Exception as exc:  # the primary is away: replicas still answer for it
                log.debug("the primary's read models cannot be read: %s", exc)
            for replica in self.replicas:
                replica.found(self._look(replica, now))

    def _look(self, replica: Replica, now: float) -> ReplicaStatus:
        name, address = replica.name, replica.status.address
        try:
            standby, position = replica.probe(self.position_of)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return ReplicaStatus(name, address, DOWN, error=f"{exc.__class__.__name__}: {first}")
        if not standby:
            return ReplicaStatus(
                name,
                address,
                PROMOTED,
                position,
                error="not in recovery: it was promoted and no longer follows the primary",
            )
        lag, seconds = self._lag(position, now)
        state = STREAMING if seconds is None or seconds <= self.max_lag else BEHIND
        return ReplicaStatus(name, address, state, position, lag, seconds)

    def _sample(self, now: float, position: int) -> None:
        self._history.append((now, position))
        while len(self._history) > 1 and self._history[0][0] < now - HISTORY:
            self._history.popleft()

    def _lag(self, position: int, now: float) -> tuple[int | None, float | None]:
        """Events and seconds behind the primary (None: the primary never answered)."""
        if not self._history:
            return None, None
        latest = self._history[-1][1]
        if position >= latest:
            return 0, 0.0
        passed = next(at for at, primary in self._history if primary > position)
        return latest - position, now - passed

    def pick(self, avoid: Collection[str] = ()) -> Replica | None:
        """The next replica that serves (round robin), None when none does."""
        serving = self.serving(avoid)
        return serving[0] if serving else None

    def serving(self, avoid: Collection[str] = ()) -> list[Replica]:
        """The replicas that serve reads now, from the next one in turn."""
        found = [r for r in self.replicas if r.serving and r.name not in avoid]
        if len(found) > 1:
            start = next(self._turn) % len(found)
            found = found[start:] + found[:start]
        return found

    def statuses(self) -> list[dict[str, Any]]:
        return [r.status.to_dict() for r in self.replicas]

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        with self._checking:
            for replica in self.replicas:
                replica.close()
