"""Where the read side reads: the primary, or one replica chosen per read.

`Reads` has the shape of a `Database` (transaction, query, scalar), so the query objects take it
as they take the store. A read session (`serve`: one public GET) reads every statement from one
source, so that a page never mixes two moments: the first read picks a replica that serves
(service/store/replicas.py), in turn, or the primary when none does. `wait_for` (read your
writes) picks a replica whose read models have reached the position, as that replica has it
(the projections' position rows are replicated with the read models they count), and waits
for one, bounded; with no replica serving, it waits on the primary.

A replica that fails under a read (its connection lost, its pool closed or empty, a query of
it cancelled by a conflict with its recovery), or that has not replayed as far as the read
needs (`short_of`), makes `serve` run the read again from the start, elsewhere: the primary at
the end, so a replica that dies costs no failed read. Outside a session (writes, the CLI, the
projection process) reads go to the primary, and writes always do; a session that writes reads
the primary from then on, to see what it wrote.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg_pool import PoolClosed, PoolTimeout

from service.store.db import Database, Row, Tx
from service.store.recorder import is_lost_connection
from service.store.replicas import Position, Replica, ReplicaSet

log = logging.getLogger("rekap.replicas")

T = TypeVar("T")
PRIMARY = "primary"


class ReadElsewhere(Exception):
    """The replica a read was served from cannot finish it: read it again from another."""

    def __init__(self, replica: str, reason: str) -> None:
        super().__init__(f"replica {replica}: {reason}")
        self.replica = replica


@dataclass
class _Session:
    avoid: set[str]
    chosen: bool = False
    replica: Replica | None = None  # None: the primary


_SESSION: ContextVar[_Session | None] = ContextVar("rekap_read_session", default=None)


def _elsewhere(error: BaseException) -> tuple[bool, bool]:
    """Whether a failed read may be done again on another source, and whether the replica is
    to be taken out of service until the next look (its connections are lost)."""
    if isinstance(error, PoolTimeout | PoolClosed):
        return True, True
    if isinstance(error, psycopg.errors.SerializationFailure):  # a conflict with recovery
        return True, False
    lost = is_lost_connection(error)
    return lost, lost


class Reads:
    """The read side's store: a replica inside a read session, the primary everywhere else."""

    def __init__(
        self,
        primary: Database,
        replicas: ReplicaSet | None,
        position_of: Position,
        on_choice: Callable[[str], None] | None = None,
    ) -> None:
        self.primary = primary
        self.replicas = replicas if replicas is not None and replicas.replicas else None
        self.position_of = position_of
        self.config = primary.config
        self.is_sqlite = primary.is_sqlite
        self.on_choice = on_choice  # told the source of each read session (for /metrics)
        self.sessions: Counter[str] = Counter()  # read sessions per source, in this process

    # -- read sessions -------------------------------------------------------------------------

    def serve(self, read: Callable[[], T]) -> T:
        """Run `read` (idempotent: a GET) in a read session; again elsewhere if its replica
        cannot finish it."""
        if self.replicas is None:
            return read()
        self.replicas.start()
        avoid: set[str] = set()
        while True:
            token = _SESSION.set(_Session(avoid))
            try:
                return read()
            except ReadElsewhere as exc:
                if exc.replica in avoid:  # never: a session does not go back to a replica
                    raise
                avoid.add(exc.replica)
                log.info("read again elsewhere: %s", exc)
            finally:
                _SESSION.reset(token)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until the read models this session reads from include `position`: a replica's
        as it has them, or the primary's when no replica serves. False after `timeout` s."""
        session = _SESSION.get()
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            candidates = self._candidates(session)
            if not candidates:
                self._choose(session, None)
                return self._wait_on_primary(position, deadline)
            for replica in candidates:
                at = self._position_on(replica, session)
                if at is not None and at >= position:
                    self._choose(session, replica)
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def short_of(self, what: str) -> None:
        """The read needs `what`, which the session's replica has not replayed yet (a tree
        size a client names, say): read again elsewhere. On the primary, nothing happens."""
        session = _SESSION.get()
        if session is not None and session.replica is not None:
            raise ReadElsewhere(session.replica.name, f"has not replayed {what} yet")

    def source(self) -> str:
        """The name of the source the current session reads from (choosing it if need be)."""
        replica = self._source()
        return PRIMARY if replica is None else replica.name

    def statuses(self) -> list[dict[str, Any]]:
        """Each replica's last look: state, position, lag in events and seconds."""
        return [] if self.replicas is None else self.replicas.statuses()

    def check(self) -> None:
        """Look at every replica now (the watch thread does so every half second)."""
        if self.replicas is not None:
            self.replicas.check()

    def _source(self) -> Replica | None:
        session = _SESSION.get()
        if session is None or self.replicas is None:
            return None
        if not session.chosen:
            self._choose(session, self.replicas.pick(session.avoid))
        return session.replica

    def _choose(self, session: _Session | None, replica: Replica | None) -> None:
        if session is None:
            return
        if session.chosen and session.replica is replica:
            return
        session.chosen, session.replica = True, replica
        name = PRIMARY if replica is None else replica.name
        self.sessions[name] += 1
        if self.on_choice is not None:
            self.on_choice(name)

    def _candidates(self, session: _Session | None) -> list[Replica]:
        """The replicas a wait may be answered from, the session's own first."""
        if session is None or self.replicas is None:
            return []
        found = self.replicas.serving(session.avoid)
        if session.replica in found:
            found.remove(session.replica)
            found.insert(0, session.replica)
        return found

    def _position_on(self, replica: Replica, session: _Session | None) -> int | None:
        try:
            with self._reading_from(replica) as db:
                return self.position_of(db)
        except ReadElsewhere as exc:
            if session is not None:
                session.avoid.add(replica.name)
            log.info("not waiting on it: %s", exc)
            return None

    def _wait_on_primary(self, position: int, deadline: float) -> bool:
        delay = 0.005
        while self.position_of(self.primary) < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        return True

    @contextmanager
    def _reading_from(self, replica: Replica) -> Iterator[Database]:
        db = replica.db
        if db is None:
            raise ReadElsewhere(replica.name, "stopped serving reads")
        try:
            yield db
        except psycopg.Error as exc:
            elsewhere, fault = _elsewhere(exc)
            if not elsewhere:
                raise
            if fault:
                replica.fault()
            first = str(exc).strip().partition("\n")[0]
            raise ReadElsewhere(replica.name, f"{exc.__class__.__name__}: {first}") from exc

    # -- the shape of a Database -----------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        replica = None if write else self._source()
        if replica is None:
            if write:
                self._choose(_SESSION.get(), None)  # from now on the session reads what it wrote
            with self.primary.transaction(write=write) as tx:
                yield tx
            return
        with self._reading_from(replica) as db, db.transaction(write=False) as tx:
            yield tx

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        replica = self._source()
        if replica is None:
            return self.primary.query(sql, params)
        with self._reading_from(replica) as db:
            return db.query(sql, params)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        replica = self._source()
        if replica is None:
            return self.primary.scalar(sql, params)
        with self._reading_from(replica) as db:
            return db.scalar(sql, params)

    def execute_script(self, statements: Sequence[str]) -> None:
        self.primary.execute_script(statements)

    def close(self) -> None:
        """Stop watching and close the replicas' pools (the primary is its owner's to close)."""
        if self.replicas is not None:
            self.replicas.close()
