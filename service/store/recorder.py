"""The PostgreSQL event recorder, with each save one round trip to the server.

The library's recorder saves in a pipeline: BEGIN, lock, NOTIFY and INSERT, then a sync to read
the notification ids, then COMMIT in a second round trip. The table lock (EXCLUSIVE, which
serialises every writer so that the log is committed in the order of its ids) is therefore held
while the client reads the ids and sends COMMIT: under load, that is while a worker thread waits
for the GIL. This recorder sends the same statements, in the same order, as one simple query, so
the lock is taken and released inside the server. The values are quoted by libpq itself.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any, TypeVar

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.pq import Escaping, TransactionStatus
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

_IN_TRANSACTION = (TransactionStatus.INTRANS, TransactionStatus.INERROR)
# Connection lost (class 08), or the server shut it down (admin command, crash, restart).
_LOST = ("57P01", "57P02", "57P03")
RETRIES = 3
F = TypeVar("F", bound=Callable[..., Any])


def is_lost_connection(error: BaseException) -> bool:
    """The connection broke under the call: another connection may well succeed.

    Not a pool that found no connection in time (it already waited), a statement or lock
    timeout (the server answered: it is busy) or any other answer of the server.
    """
    cause = error.__cause__ if isinstance(error, (InterfaceError, OperationalError)) else error
    if isinstance(cause, psycopg.InterfaceError):
        return True
    if not isinstance(cause, psycopg.OperationalError) or isinstance(cause, PoolTimeout):
        return False
    state = cause.sqlstate
    return state is None or state.startswith("08") or state in _LOST


def retry_lost_connection(call: F) -> F:
    """The library retries every store error ten times: with a pool that waits 3 s for a
    connection that is a 30 s hang in an outage. Retry only a connection that broke."""

    @functools.wraps(call)
    def retried(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, RETRIES + 1):
            try:
                return call(*args, **kwargs)
            except (InterfaceError, OperationalError) as error:
                if attempt == RETRIES or not is_lost_connection(error):
                    raise
                time.sleep(0.1 * attempt)
        raise AssertionError("unreachable")

    return retried  # type: ignore[return-value]


class OneTripRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = SQL("{0}.{1}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        self._head = SQL(
            "BEGIN; SET LOCAL lock_timeout = '{timeout}s'; LOCK TABLE {table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; INSERT INTO {table} AS t "
            "(originator_id, originator_version, topic, state) VALUES "
        ).format(
            timeout=SQL(str(self.datastore.lock_timeout)),
            table=table,
            channel=Identifier(self.channel_name),
        )
        self._head_text: str | None = None
        self._tail = " RETURNING notification_id; COMMIT"
        self._id_cast = "::" + self.datastore.originator_id_type

    @retry_lost_connection
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn:
            if self._head_text is None:  # the same for every connection of the pool
                self._head_text = self._head.as_string(conn)
            query = self._head_text + self._values(conn, stored_events) + self._tail
            try:
                with conn.cursor() as curs:
                    curs.execute(query.encode())
                    return self._notification_ids(curs, len(stored_events))
            except BaseException:
                # An error skips the rest of the query, COMMIT included: end the transaction.
                if conn.info.transaction_status in _IN_TRANSACTION:
                    with suppress(psycopg.Error):  # a broken connection is the pool's to drop
                        conn.execute("ROLLBACK")
                raise

    # The reads of the request path and the projections, without the library's ten retries.
    select_events = retry_lost_connection(
        PostgresApplicationRecorder.select_events.__wrapped__  # type: ignore[attr-defined]
    )
    select_notifications = retry_lost_connection(
        PostgresApplicationRecorder.select_notifications.__wrapped__  # type: ignore[attr-defined]
    )
    max_notification_id = retry_lost_connection(
        PostgresApplicationRecorder.max_notification_id.__wrapped__  # type: ignore[attr-defined]
    )

    def _values(self, conn: psycopg.Connection[Any], events: Sequence[StoredEvent]) -> str:
        quoting = Escaping(conn.pgconn)
        escape, escape_bytea = quoting.escape_literal, quoting.escape_bytea
        rows = []
        for e in events:
            # libpq's quoting ends a value at a NUL byte, so another topic or id would be
            # stored without an error: refuse it as a parameterised insert would.
            if "\x00" in e.topic:
                raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
            rows.append(
                f"({escape(str(e.originator_id).encode()).decode()}{self._id_cast}, "
                f"{int(e.originator_version)}, "
                f"{escape(e.topic.encode()).decode()}, "
                f"'{escape_bytea(e.state).decode()}'::bytea)"
            )
        return ", ".join(rows)

    @staticmethod
    def _notification_ids(curs: psycopg.Cursor[Any], expected: int) -> list[int]:
        while not (curs.statusmessage or "").startswith("INSERT"):
            if not curs.nextset():
                raise psycopg.ProgrammingError("the INSERT answered nothing")
        ids = [row["notification_id"] for row in curs.fetchall()]
        if len(ids) != expected:
            raise psycopg.ProgrammingError(f"got {len(ids)} notification ids, not {expected}")
        return ids
