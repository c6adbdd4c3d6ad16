"""Connections to the store for rekap's own tables (projections, tokens, audit).

The event tables belong to the eventsourcing library; everything else lives beside them in the
same database, written with plain SQL that runs on both SQLite and PostgreSQL. Queries are
written with `%s` placeholders; on SQLite they are rewritten to `?`.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from service.config import DatabaseConfig

Row = dict[str, Any]
ADMIN_CONNECT_TIMEOUT = 3  # seconds, for the one-off connections of `rekap init` and the tests
RECONNECT_TIMEOUT = 10.0  # seconds a pool keeps retrying a lost server before it gives up
_INSERT_HEAD = re.compile(r"\s*INSERT INTO (\w+) \(([^)]*)\)\s*$")


class Tx:
    """One open transaction: execute statements, fetch rows as dicts."""

    def __init__(self, cursor: Any, sqlite: bool) -> None:
        self._cursor = cursor
        self._sqlite = sqlite

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self._sqlite else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        self._cursor.execute(self._sql(sql), params)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._sql(sql), rows)

    def insert_rows(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """An INSERT (or upsert) of many rows; `sql` holds one `VALUES (%s, ...)` group.

        On PostgreSQL the rows go by COPY, a few times cheaper than any INSERT on both sides:
        straight into the table for a plain INSERT, through a temporary staging table for one
        with ON CONFLICT. SQLite, in process, runs it as executemany. No two rows may hit the
        same key of an ON CONFLICT DO UPDATE.
        """
        if not rows:
            return
        if self._sqlite:
            self.executemany(sql, rows)
            return
        head, _, rest = sql.partition("VALUES ")
        _, _, tail = rest.partition(")")
        found = _INSERT_HEAD.match(head)
        if found is None:
            raise ValueError(f"insert_rows needs INSERT INTO table (columns) VALUES: {sql!r}")
        table, columns = found.group(1), found.group(2)
        if not tail.strip():
            self._copy(table, columns, rows)
            return
        stage = f"rekap_stage_{table}"
        # Temporary tables live per connection and ON COMMIT DELETE ROWS empties this one after
        # each transaction; the statement below takes the rows out as it inserts them, so it
        # is empty for the next use within the same transaction too.
        self._cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS"
        )
        self._copy(stage, columns, rows)
        self._cursor.execute(
            f"WITH staged AS (DELETE FROM {stage} RETURNING {columns}) "
            f"{head}SELECT {columns} FROM staged{tail}"
        )

    def _copy(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition `column` in `values`, and its parameters (one array on PostgreSQL)."""
        if self._sqlite:
            return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
        return f"{column} = ANY(%s)", [list(values)]

    def fetchall(self) -> list[Row]:
        rows = self._cursor.fetchall()
        return [dict(r) for r in rows] if self._sqlite else rows

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return dict(row) if (self._sqlite and row is not None) else row

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._cursor.execute(self._sql(sql), params).fetchone()
        return None if row is None else (row[0] if self._sqlite else next(iter(row.values())))

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def is_sqlite(self) -> bool:
        return self._sqlite


class Database:
    """A small pool of connections for rekap's own tables, on SQLite or PostgreSQL."""

    def __init__(
        self,
        config: DatabaseConfig,
        pool_size: int = 4,
        *,
        pool_timeout: float = 3.0,
        connect_options: dict[str, str] | None = None,
    ) -> None:
        """`pool_timeout`: how long a caller waits for a connection before PoolTimeout (the
        API's 503); `connect_options`: libpq settings (Settings.connect_options)."""
        self.config = config
        self.is_sqlite = config.is_sqlite
        self._local = threading.local()
        self._pool: ConnectionPool | None = None
        if self.is_sqlite:
            Path(config.path).parent.mkdir(parents=True, exist_ok=True)
        else:
            extra = dict(connect_options or {})
            options = " ".join([f"-c search_path={config.schema}", extra.pop("options", "")])
            self._pool = ConnectionPool(
                conninfo="",
                kwargs={
                    "host": config.host,
                    "port": config.port,
                    "user": config.user,
                    "password": config.password,
                    "dbname": config.dbname,
                    "options": options.strip(),
                    "row_factory": dict_row,
                    "autocommit": False,
                    **extra,
                },
                min_size=1,
                max_size=max(pool_size, 1),
                open=True,
                timeout=pool_timeout,
                # Retry a lost server every few seconds, not with a backoff that grows for
                # five minutes: after an outage the pool gives up, and the next caller starts
                # a fresh attempt at once.
                reconnect_timeout=RECONNECT_TIMEOUT,
            )

    def _sqlite_connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.config.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A transaction that commits on success and rolls back on any error."""
        if self.is_sqlite:
            conn = self._sqlite_connection()
            # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
            # writes fails at once with SQLITE_BUSY when another process wrote in between.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Tx(conn.cursor(), sqlite=True)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT" if write else "ROLLBACK")
            return
        assert self._pool is not None
        with self._pool.connection() as conn:
            if not write:
                # One snapshot for every statement of a read, as SQLite's deferred BEGIN gives:
                # a document never mixes figures from before and after a projection batch.
                conn.isolation_level, conn.read_only = IsolationLevel.REPEATABLE_READ, True
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield Tx(cur, sqlite=False)
            finally:
                if not write and not conn.closed:
                    conn.isolation_level, conn.read_only = None, None

    @contextmanager
    def _statement(self) -> Iterator[Tx]:
        """One statement on its own: on PostgreSQL in autocommit, one round trip, not three."""
        if self.is_sqlite:
            with self.transaction(write=False) as tx:
                yield tx
            return
        assert self._pool is not None
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    yield Tx(cur, sqlite=False)
            finally:
                conn.autocommit = False

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._statement() as tx:
            return tx.query(sql, params)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._statement() as tx:
            return tx.scalar(sql, params)

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.transaction() as tx:
            for statement in statements:
                tx.execute(statement)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def connect_admin(config: DatabaseConfig, **options: Any) -> psycopg.Connection[Any]:
    """A plain autocommit connection to the PostgreSQL server of `config` (for DDL)."""
    options.setdefault("connect_timeout", ADMIN_CONNECT_TIMEOUT)
    return psycopg.connect(
        host=config.host,
        port=config.port,
        user=config.user,
        password=config.password,
        dbname=config.dbname,
        autocommit=True,
        **options,
    )


def ensure_schema(config: DatabaseConfig) -> None:
    """Create the PostgreSQL schema named in the URL if it does not exist."""
    if config.is_sqlite or config.schema == "public":
        return
    with connect_admin(config) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{config.schema}"')


def drop_schema(config: DatabaseConfig, schema: str) -> None:
    with connect_admin(config) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
