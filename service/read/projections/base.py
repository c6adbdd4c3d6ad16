"""What every projection offers the runner."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from eventsourcing.persistence import Notification

from service.store.db import Tx

# The columns that open the key of every table of a contest's read model.
CONTEST_KEY = "election_id TEXT NOT NULL, contest_id TEXT NOT NULL"


class TablesOfKeys:
    """For a projection that lists its tables once, with their primary keys."""

    def primary_keys(self) -> list[tuple[str, list[str]]]:
        raise NotImplementedError

    def table_names(self) -> list[str]:
        return [table for table, _ in self.primary_keys()]


CHUNK = 500  # the codes one query asks for (an IN list the store plans well)


def rows_by_key(
    tx: Tx, table: str, columns: str, column: str, keys: Iterable[tuple[str, str, str]]
) -> Iterator[tuple[tuple[str, str, str], dict[str, Any]]]:
    """The rows of `table` (its `column` and `columns`) whose (election, contest, `column`) is
    one of `keys`, each with its key: a query a contest and CHUNK codes at a time."""
    by_contest: dict[tuple[str, str], list[str]] = defaultdict(list)
    for eid, cid, code in keys:
        by_contest[(eid, cid)].append(code)
    for (eid, cid), codes in by_contest.items():
        for i in range(0, len(codes), CHUNK):
            condition, values = tx.any_of(column, codes[i : i + CHUNK])
            rows = tx.query(
                f"SELECT {column}, {columns} FROM {table} "
                f"WHERE election_id = %s AND contest_id = %s AND {condition}",
                (eid, cid, *values),
            )
            for r in rows:
                yield (eid, cid, r[column]), r


def compact_json(value: Any) -> str:
    """A document as a read model stores it: compact, keys sorted."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class LoggedEvent:
    """A stored event with its place in the log, decoded into a domain event on first use.

    Decoding is most of the cost of reading the log back, so a projection that looks only at
    topics (or at the stored bytes) never pays for it, and the projections of one batch share it.
    """

    __slots__ = ("_decode", "_event", "notification", "position")

    def __init__(
        self,
        position: int,
        event: Any = None,
        *,
        notification: Notification | None = None,
        decode: Callable[[Notification], Any] | None = None,
    ) -> None:
        self.position = position
        self.notification = notification
        self._event = event
        self._decode = decode

    @property
    def event(self) -> Any:
        if self._event is None:
            assert self._decode is not None and self.notification is not None
            self._event = self._decode(self.notification)
        return self._event

    @property
    def topic(self) -> str:
        if self.notification is not None:
            return self.notification.topic
        return type(self.event).TOPIC


class Projection(Protocol):
    name: str

    def create_statements(self) -> list[str]: ...

    def table_names(self) -> list[str]: ...

    def apply(self, tx: Tx, events: list[LoggedEvent]) -> None:
        """Apply the events (in log order) inside the runner's transaction."""
        ...
