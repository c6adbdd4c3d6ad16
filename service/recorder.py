"""The PostgreSQL event recorder, with each save one round trip to the server.

The library's recorder saves in a pipeline: BEGIN, lock, NOTIFY and INSERT, then a sync to read
the notification ids, then COMMIT in a second round trip. The table lock (EXCLUSIVE, which
serialises every writer so that the log is committed in the order of its ids) is therefore held
while the client reads the ids and sends COMMIT: under load, that is while a worker thread waits
for the GIL. This recorder sends the same statements, in the same order, as one simple query, so
the lock is taken and released inside the server. The values are quoted by libpq itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.pq import Escaping, TransactionStatus
from psycopg.sql import SQL, Identifier

_IN_TRANSACTION = (TransactionStatus.INTRANS, TransactionStatus.INERROR)


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

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
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
