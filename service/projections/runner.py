"""Runs projections over the log in batches, each batch exactly once.

The view rows of a batch and the projection's position are written in one transaction; the
position only moves forward from the value read in that transaction, so a batch applied twice
(a crash between commit and acknowledgement, or two runners at once) rolls back instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from service.application import Rekap
from service.db import Database, Tx
from service.projections.base import LoggedEvent, Projection

log = logging.getLogger("rekap.projections")

POSITIONS = "projection_position"
LINGER = 0.05  # seconds to wait after a partial batch (see run_forever)
Progress = Callable[[int, int], None]


class ConcurrentRunnerError(Exception):
    """Another runner applied the same batch first; this one rolled back."""


class ProjectionRunner:
    def __init__(
        self,
        app: Rekap,
        db: Database,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        positions_table: str = POSITIONS,
    ) -> None:
        self.app = app
        self.db = db
        self.projections = list(projections)
        self.batch_size = batch_size
        self.positions_table = positions_table

    def create_tables(self) -> None:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.positions_table} "
            "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
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

    def positions(self) -> dict[str, int]:
        rows = self.db.query(f"SELECT name, position FROM {self.positions_table}")
        found = {r["name"]: r["position"] for r in rows}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def position(self) -> int:
        """How far every projection of this runner has applied the log."""
        return min(self.positions().values(), default=0)

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def run_batch(self) -> int:
        """Apply the next batch; the number of log entries it covered (0 when caught up)."""
        start = self.position()
        notifications = self.app.recorder.select_notifications(
            start=start, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        decode = self.app.mapper.to_domain_event
        events = [LoggedEvent(n.id, notification=n, decode=decode) for n in notifications]
        with self.db.transaction() as tx:
            for projection in self.projections:
                self._apply(tx, projection, events)
        return len(events)

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

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply everything in the log now; the number of log entries applied."""
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
        self.empty_read_models()
        return self.catch_up(progress)

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

    def run_forever(self, stop: threading.Event, idle: float = LINGER) -> None:
        """Tail the log until `stop` is set; errors are logged and retried, never fatal.

        Only a full batch is followed at once by the next: after a partial one the runner waits
        `idle` seconds for the log to fill. Looping straight on gave batches of one or two
        events under a steady stream of submissions, and a batch costs about the same in
        round trips and statements whatever its size; the wait bounds the extra lag.
        """
        log.info(
            "projections %s running from %s", [p.name for p in self.projections], self.positions()
        )
        last_report = time.monotonic()
        while not stop.is_set():
            try:
                count = self.run_batch()
            except ConcurrentRunnerError as exc:
                log.warning("batch rolled back: %s", exc)
                count = 0
            except Exception:
                log.exception("projection batch failed; retrying in 1 s")
                stop.wait(1.0)
                continue
            if count < self.batch_size:
                stop.wait(idle)
            if time.monotonic() - last_report > 60:
                log.info("projections at %s, log head %s", self.position(), self.head())
                last_report = time.monotonic()
