"""Runs projections over the log in batches, each batch exactly once.

The view rows of a batch and the projection's position are written in one transaction; the
position only moves forward from the value read in that transaction, so a batch applied twice
(a crash between commit and acknowledgement, or two runners at once) rolls back instead.

Only one process applies a projection at a time: it holds the projection's lease
(service/read/projections/lease.py). `catch_up` applies what it can lease and waits for whoever
holds the rest; `run_forever` (the projection process) renews its heartbeat in
`projection_health` and records there any event it cannot apply
(service/read/projections/health.py).

Why not the library's ProjectionRunner and TrackingRecorder: they apply one event per
transaction (about 1,000 events/s on PostgreSQL, measured in the eventsourcing 9.5 notes), where
a national rebuild needs several thousand a second; the recap folds a batch of a thousand
events in memory and writes each table once (set-based, by COPY). The library's runner also
subscribes to the log through PostgreSQL's notifications, which SQLite (the embedded store)
lacks. This runner keeps the library's guarantees: the position is tracked in the same
transaction as the view rows (what TrackingRecorder does), and a batch applies exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from service.read.projections import health, lease
from service.read.projections.base import LoggedEvent, Projection
from service.read.projections.failures import brief, is_store_outage
from service.read.projections.health import Failure
from service.store.application import Rekap
from service.store.db import Database, Tx

log = logging.getLogger("rekap.projections")

POSITIONS = "projection_position"
LINGER = 0.05  # seconds to wait after a partial batch (see run_forever)
MAX_BACKOFF = 30.0  # seconds between attempts at an event that keeps failing
OUTAGE_RETRY = 0.5  # seconds between attempts while the store does not answer
RETAKE_EVERY = 1.0  # seconds between a waiting catch-up's attempts at a held lease
Progress = Callable[[int, int], None]


class ConcurrentRunnerError(Exception):
    """Another runner applied the same batch first; this one rolled back."""


class ProjectionStuck(Exception):
    """A projection this process waits for is held by a runner that cannot move on."""


class ProjectionRunner:
    def __init__(
        self,
        app: Rekap,
        db: Database,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        positions_table: str = POSITIONS,
        lease_seconds: float = 15.0,
        leased: bool = True,
    ) -> None:
        """`leased`: take each projection's lease before applying it; False for scratch copies
        (their own positions table) and for a process working under its parent's lease."""
        self.app = app
        self.db = db
        self.projections = list(projections)
        self.batch_size = batch_size
        self.positions_table = positions_table
        self.lease_seconds = lease_seconds
        self.leased = leased and positions_table == POSITIONS

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.projections]

    def part(self, names: Sequence[str], *, leased: bool | None = None) -> ProjectionRunner:
        """The part of this runner that applies the projections called `names`."""
        return ProjectionRunner(
            self.app,
            self.db,
            [p for p in self.projections if p.name in names],
            batch_size=self.batch_size,
            positions_table=self.positions_table,
            lease_seconds=self.lease_seconds,
            leased=self.leased if leased is None else leased,
        )

    def create_tables(self) -> None:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.positions_table} "
            "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
            health.CREATE,
        ]
        for projection in self.projections:
            statements += projection.create_statements()
        self.db.execute_script(statements)
        with self.db.transaction() as tx:
            for projection in self.projections:
                upgrade = getattr(projection, "upgrade", None)  # tables of an older rekap
                if upgrade is not None:
                    upgrade(tx)
                tx.execute(
                    f"INSERT INTO {self.positions_table} (name, position) VALUES (%s, 0) "
                    "ON CONFLICT (name) DO NOTHING",
                    (projection.name,),
                )

    def drop_tables(self) -> None:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.positions_table} "
            "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
        ]
        for projection in self.projections:
            statements += [f"DROP TABLE IF EXISTS {t}" for t in projection.table_names()]
        statements.append(
            f"DELETE FROM {self.positions_table} WHERE name IN "
            f"({', '.join(repr(p.name) for p in self.projections)})"
        )
        self.db.execute_script(statements)

    def positions(self, source: Database | Tx | None = None) -> dict[str, int]:
        """Each projection's position, as `source` (a replica, say) has it; the store's by
        default."""
        reader = self.db if source is None else source
        rows = reader.query(f"SELECT name, position FROM {self.positions_table}")
        found = {r["name"]: r["position"] for r in rows}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def position(self, source: Database | Tx | None = None) -> int:
        """How far every projection of this runner has applied the log (as `source` has it)."""
        return min(self.positions(source).values(), default=0)

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def pending(self) -> list[LoggedEvent]:
        """The next batch of the log: the events after the least advanced projection."""
        notifications = self.app.recorder.select_notifications(
            start=self.position(), limit=self.batch_size, inclusive_of_start=False
        )
        decode = self.app.mapper.to_domain_event
        return [LoggedEvent(n.id, notification=n, decode=decode) for n in notifications]

    def run_batch(self) -> int:
        """Apply the next batch; the number of log entries it covered (0 when caught up)."""
        events = self.pending()
        if not events:
            return 0
        with self.db.transaction() as tx:
            for projection in self.projections:
                self._apply(tx, projection, events)
        return len(events)

    def find_failure(self) -> Failure | None:
        """Apply the next batch one event and one projection at a time, each in a transaction
        of its own, up to the first that fails: that event and projection, and the error. None
        when everything went through (the fault has passed); what went through stays applied."""
        for event in self.pending():
            for projection in self.projections:
                try:
                    self.apply_one(projection, event)
                except ConcurrentRunnerError:
                    raise
                except Exception as exc:
                    notification = event.notification
                    return Failure(
                        projection=projection.name,
                        error=brief(exc),
                        position=event.position,
                        aggregate=str(notification.originator_id) if notification else None,
                        topic=event.topic,
                    )
        return None

    def apply_one(self, projection: Projection, event: LoggedEvent) -> None:
        """`event` to `projection` alone, in a transaction of its own (to find a bad event)."""
        with self.db.transaction() as tx:
            self._apply(tx, projection, [event])

    def _apply(self, tx: Tx, projection: Projection, events: list[LoggedEvent]) -> None:
        position = tx.scalar(
            f"SELECT position FROM {self.positions_table} WHERE name = %s", (projection.name,)
        )
        todo = [e for e in events if e.position > position]
        if not todo:
            return
        projection.apply(tx, todo)
        tx.execute(
            f"UPDATE {self.positions_table} SET position = %s WHERE name = %s AND position = %s",
            (todo[-1].position, projection.name, position),
        )
        if tx.rowcount != 1:
            raise ConcurrentRunnerError(f"{projection.name} moved past {position} meanwhile")

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lease of every projection of this runner, or raise ProjectionsBusy."""
        if not self.leased:
            yield
            return
        with lease.exclusive(self.db.config, self.names):
            yield

    def catch_up(self, progress: Progress | None = None, timeout: float | None = None) -> int:
        """Bring every projection to the log's head as it is now; the log entries applied here.

        What this process can lease it applies itself; a projection another process (the
        projection process) holds, it waits for: for `timeout` seconds at most (None: for as
        long as that process is alive and moving), and ProjectionStuck when it is stuck.
        """
        target = self.head()
        if not self.leased:
            return self._apply_all(progress)
        start = self.position()
        if start >= target:
            return 0
        done, waiting, retake_at = 0, _Waiting(self, target, timeout), 0.0
        while True:
            behind = [n for n, at in self.positions().items() if at < target]
            if not behind:
                return done
            if time.monotonic() >= retake_at:  # a lease is a connection on PostgreSQL
                with lease.Lease(self.db.config, behind) as got:
                    if got.names:
                        done += self.part(got.names, leased=False)._apply_all(progress)
                        continue
                retake_at = time.monotonic() + RETAKE_EVERY
            if not waiting.goes_on(behind):
                return done
            if progress:
                progress(self.position() - start, target - start)

    def _apply_all(self, progress: Progress | None = None) -> int:
        done, total = 0, max(self.head() - self.position(), 0)
        while True:
            count = self.run_batch()
            if count == 0:
                return done
            done += count
            if progress:
                progress(done, max(total, done))

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop the read models and replay the whole log into them."""
        with self.exclusive():
            self.empty_read_models()
            return self.part(self.names, leased=False)._apply_all(progress)

    def empty_read_models(self) -> None:
        """Drop and recreate every read model, at position 0, and forget what was cached."""
        self.drop_tables()
        self.create_tables()
        for projection in self.projections:
            reset = getattr(projection, "reset", None)
            if reset:
                reset()

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until every projection has applied `position`; False on timeout."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        return True

    def health(self) -> dict[str, health.Health]:
        return health.read(self.db, self.names)

    def run_forever(self, stop: threading.Event, idle: float = LINGER) -> None:
        """Tail the log until `stop` is set; errors are logged, recorded and retried.

        Only a full batch is followed at once by the next: after a partial one the runner waits
        `idle` seconds for the log to fill. Looping straight on gave batches of one or two
        events under a steady stream of submissions, and a batch costs about the same in
        round trips and statements whatever its size; the wait bounds the extra lag.

        An event that cannot be applied holds every projection of this runner (they share a
        transaction): it is logged and recorded with its position, aggregate and topic, and
        tried again after 1, 2, 4 ... 30 s, so that a passing fault heals by itself. The
        record is cleared as soon as the projections move again.
        """
        with self.exclusive():
            log.info("projections %s running from %s", self.names, self.positions())
            self._run(stop, idle)

    def _run(self, stop: threading.Event, idle: float) -> None:
        beat = health.Heartbeat(self.db, self.names, self.lease_seconds)
        beat.renew()
        failing, backoff = True, 0.0  # a record left by an earlier run is cleared on success
        last_report = time.monotonic()
        try:
            while not stop.is_set():
                beat.renew_when_due()
                try:
                    count = self.run_batch()
                except ConcurrentRunnerError as exc:
                    log.warning("batch rolled back: %s", exc)
                    count = 0
                except Exception as exc:
                    # An event that fails backs off; a store that does not answer is tried
                    # again soon (each try is bounded by the pool's wait), so the read models
                    # follow within a second or two of the database's return.
                    if is_store_outage(exc):
                        backoff = OUTAGE_RETRY
                    else:
                        backoff = min(max(backoff * 2, 1.0), MAX_BACKOFF)
                    if self._failed(exc, backoff, first=backoff <= 1.0):
                        failing = True
                        beat.wait(stop, backoff)
                    continue  # else: event by event, it got past the batch's fault
                if failing:
                    self._forget_failure()
                    failing, backoff = False, 0.0
                if count < self.batch_size:
                    stop.wait(idle)
                if time.monotonic() - last_report > 60:
                    log.info("projections at %s, log head %s", self.position(), self.head())
                    last_report = time.monotonic()
        finally:
            beat.release()

    def _failed(self, exc: Exception, backoff: float, first: bool) -> bool:
        """Log and record a failed batch; False when, tried event by event, it went through."""
        if is_store_outage(exc):
            log.error(
                "projections %s: the store did not answer (%s: %s); retrying in %.0f s",
                self.names,
                exc.__class__.__name__,
                exc,
                backoff,
            )
            return True
        try:
            failure = self.find_failure()
        except Exception as again:
            if is_store_outage(again):
                log.error("projections %s: the store went away (%s)", self.names, brief(again))
                return True
            failure = Failure(self.names[0], brief(again))
        if failure is None:
            return False
        # The traceback the first time, then one line per attempt.
        log.error("%s; retrying in %.0f s", failure.describe(), backoff, exc_info=first and exc)
        try:
            health.record_failure(self.db, self.names, failure)
        except Exception as record_error:
            log.warning("could not record the failure: %s", record_error)
        return True

    def _forget_failure(self) -> None:
        try:
            health.clear_failure(self.db, self.names)
        except Exception as exc:
            log.warning("could not clear the failure record: %s", exc)


class _Waiting:
    """A catch-up waiting for projections that another process holds."""

    def __init__(self, runner: ProjectionRunner, target: int, timeout: float | None) -> None:
        self.runner = runner
        self.target = target
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.delay = 0.005
        self.moved_at = time.monotonic()
        self.last = runner.position()

    def goes_on(self, behind: list[str]) -> bool:
        """Sleep a little; False once the timeout is over. ProjectionStuck when a holder has
        recorded a failure, or has neither renewed its heartbeat nor moved for a lease."""
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            return False
        position = self.runner.position()
        if position != self.last:
            self.last, self.moved_at = position, now
        states = self.runner.health()
        for name in behind:
            state = states[name]
            if state.stuck:
                raise ProjectionStuck(f"projection {name} is stuck: {state.error}")
            if not state.running and now - self.moved_at > self.runner.lease_seconds:
                holder = lease.holder(self.runner.db.config, name) or "another process"
                raise ProjectionStuck(
                    f"projection {name} is held by {holder} but has not moved for "
                    f"{now - self.moved_at:.0f} s"
                )
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, 0.1)
        return True
