"""One writer per projection: an exclusive lease on each projection while a process applies it.

PostgreSQL: a session advisory lock, on a connection of the lease's own (its application_name
says which process holds it); SQLite: an flock on a file beside the database holding the
holder's process id. Either is released the moment the holding process dies, whatever kills it,
so a lease never outlives its holder and never needs to expire. Processes that a holder spawns
(the projection groups of `rekap projections run` and `rebuild`) work under its lease and die
with it (service/lifetime.py).

Within one process a lease belongs to one thread: another thread finds it busy (and waits for
the holder, as another process would), the same thread takes it again freely.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg

from service.config import DatabaseConfig
from service.read.projections.health import this_process
from service.store.db import connect_admin

log = logging.getLogger("rekap.projections")


class ProjectionsBusy(Exception):
    """Another process (or thread) holds the lease of a projection."""

    def __init__(self, names: Sequence[str], holder: str | None) -> None:
        self.names = tuple(names)
        self.holder = holder or "another process"
        super().__init__(
            f"projections are already running in {self.holder} ({', '.join(self.names)})"
        )


_registry_lock = threading.Lock()
_held: dict[tuple[str, str], list[int]] = {}  # (store, projection) -> [owning thread, depth]


class Lease:
    """The projections of `wanted` this lease got (`names`); release it when done."""

    def __init__(self, config: DatabaseConfig, wanted: Sequence[str]) -> None:
        self.config = config
        self.store = _store_key(config)
        self.names: tuple[str, ...] = ()
        self._conn: psycopg.Connection[Any] | None = None
        self._files: dict[str, int] = {}
        self._taken: list[str] = []  # by this object, as opposed to re-entered
        self.wanted = tuple(wanted)
        self._acquire(list(wanted))

    def _acquire(self, wanted: list[str]) -> None:
        me = threading.get_ident()
        got = []
        with _registry_lock:
            for name in wanted:
                entry = _held.get((self.store, name))
                if entry is None:
                    if self._lock(name):
                        _held[(self.store, name)] = [me, 1]
                        self._taken.append(name)
                        got.append(name)
                elif entry[0] == me:
                    entry[1] += 1
                    got.append(name)
        self.names = tuple(got)

    def _lock(self, name: str) -> bool:
        if self.config.is_sqlite:
            if self.config.path == ":memory:":
                return True  # nobody else can see it
            fd = os.open(_lock_file(self.config, name), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.pwrite(fd, this_process().encode(), 0)
            self._files[name] = fd
            return True
        if self._conn is None:
            self._conn = connect_admin(
                self.config, application_name=f"rekap projections, {this_process()}"[:63]
            )
        key = _pg_key(self.config, name)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
        return bool(row and row[0])

    def held(self) -> bool:
        """Whether the lease is still this process's (a PostgreSQL session can be lost)."""
        if self._conn is None:
            return True
        try:
            self._conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def renew(self) -> bool:
        """Still held, or taken again after the store dropped the session (a restart); False
        when another process took a projection meanwhile. While the store does not answer,
        nobody can write: True, and the next call tries again."""
        if self.held():
            return True
        with contextlib.suppress(psycopg.Error):
            assert self._conn is not None
            self._conn.close()
        self._conn = None
        try:
            again = all([self._lock(name) for name in self._taken])
        except psycopg.OperationalError:
            self._conn = None
            return True
        log.warning(
            "the store dropped the session holding the projections' lease: %s",
            ("taken again" if again else "another process has it now"),
        )
        return again

    def release(self) -> None:
        with _registry_lock:
            for name in self.names:
                entry = _held.get((self.store, name))
                if entry is None:
                    continue
                entry[1] -= 1
                if entry[1] == 0:
                    del _held[(self.store, name)]
            for fd in self._files.values():
                os.close(fd)  # closing the file drops its flock
            self._files.clear()
            if self._conn is not None:
                with contextlib.suppress(psycopg.Error):
                    self._conn.close()  # ending the session drops its advisory locks
                self._conn = None
        self.names = ()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def exclusive(config: DatabaseConfig, names: Sequence[str]) -> Iterator[Lease]:
    """The lease of every projection in `names`, or ProjectionsBusy naming who holds one."""
    lease = Lease(config, names)
    missing = [n for n in names if n not in lease.names]
    if missing:
        lease.release()
        raise ProjectionsBusy(missing, holder(config, missing[0]))
    try:
        yield lease
    finally:
        lease.release()


def holder(config: DatabaseConfig, name: str) -> str | None:
    """Who holds the lease of `name` ("process 1234 on host"), if anyone does."""
    with _registry_lock:
        entry = _held.get((_store_key(config), name))
    if entry is not None:
        return f"{this_process()} (another thread)"
    if config.is_sqlite:
        try:
            with open(_lock_file(config, name), encoding="utf-8") as f:
                return f.read().strip() or None
        except OSError:
            return None
    with connect_admin(config) as conn:
        row = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = %s AND l.objid = %s AND l.objsubid = 2",
            _pg_key(config, name),
        ).fetchone()
    if row is None:
        return None
    return str(row[0]).removeprefix("rekap projections, ") or None


def _store_key(config: DatabaseConfig) -> str:
    if config.is_sqlite:
        return "sqlite:" + (
            config.path if config.path == ":memory:" else os.path.realpath(config.path)
        )
    return f"postgresql://{config.host}:{config.port}/{config.dbname}?schema={config.schema}"


def _lock_file(config: DatabaseConfig, name: str) -> str:
    return f"{config.path}.projection-{name}.lock"


def _pg_key(config: DatabaseConfig, name: str) -> tuple[int, int]:
    """Two positive 31-bit numbers: the schema and the projection (advisory locks are per
    database, and a database may hold several rekap schemas)."""

    def number(text: str) -> int:
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF

    return number(f"rekap projections {config.schema}"), number(name)
