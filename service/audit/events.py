"""The log as auditors read it: each stored event decoded, with its leaf record and hash."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.errors import InvalidInput
from service.audit.leaves import raw_leaf_hash, record_of
from service.store.application import Rekap
from service.store.db import Database
from service.store.eventlog import raw_events_after

MAX_PAGE = 1000
BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


def decode(app: Rekap, raw: Mapping[str, Any]) -> Any:
    """The domain event of a raw stored event (as read by service.store.eventlog)."""
    return app.mapper.to_domain_event(
        StoredEvent(
            originator_id=raw["originator_id"],
            originator_version=raw["originator_version"],
            topic=raw["topic"],
            state=raw["state"],
        )
    )


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def describe(app: Rekap, raw: Mapping[str, Any], leaf_index: int | None = None) -> dict[str, Any]:
    """One event as the audit endpoints answer it; `record` is what its leaf commits to."""
    event = decode(app, raw)
    topic = str(raw["topic"])
    return {
        "position": raw["position"],
        "leaf_index": leaf_index,
        "aggregate": str(raw["originator_id"]),
        "version": raw["originator_version"],
        "type": topic.removeprefix("rekap:"),
        "time": event.timestamp.isoformat(),
        "actor": plain(getattr(event, "actor", None)),
        "payload": {k: plain(v) for k, v in vars(event).items() if k not in BASE_FIELDS},
        "leaf_hash": raw_leaf_hash(raw).hex(),
        "record": record_of(raw),
    }


def leaf_indexes(db: Database, first: int, last: int) -> dict[int, int]:
    rows = db.query(
        "SELECT position, leaf_index FROM audit_leaf WHERE position >= %s AND position <= %s",
        (first, last),
    )
    return {int(r["position"]): int(r["leaf_index"]) for r in rows}


def leaf_indexes_at(db: Database, positions: list[int]) -> dict[int, int]:
    """The leaf index of each of these positions: for a page of events that lie far apart in
    the log (one aggregate's, one region's), where a range would read every leaf between."""
    if not positions:
        return {}
    rows = db.query(
        "SELECT position, leaf_index FROM audit_leaf "
        f"WHERE position IN ({', '.join(['%s'] * len(positions))})",
        tuple(positions),
    )
    return {int(r["position"]): int(r["leaf_index"]) for r in rows}


def check_page(after: int, limit: int) -> None:
    if after < 0:
        raise InvalidInput("after is a log position, 0 or more")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit is 1 to {MAX_PAGE}")


def events_page(
    app: Rekap, db: Database, after: int = 0, limit: int = 100, upto: int | None = None
) -> list[dict[str, Any]]:
    """At most `limit` events after position `after`, oldest first."""
    check_page(after, limit)
    raw = raw_events_after(db, after, limit, upto)
    if not raw:
        return []
    indexes = leaf_indexes(db, raw[0]["position"], raw[-1]["position"])  # type: ignore[arg-type]
    return [describe(app, r, indexes.get(r["position"])) for r in raw]  # type: ignore[call-overload]


def iter_events(
    app: Rekap, db: Database, after: int = 0, upto: int | None = None, page: int = MAX_PAGE
) -> Iterator[dict[str, Any]]:
    """Every event after `after` (up to `upto`), read a page at a time: bounded memory."""
    while True:
        batch = events_page(app, db, after, page, upto)
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1]["position"]


def catch_up_quietly(services: Any, progress: Callable[[int, int], None] | None = None) -> None:
    """Bring the read models to the head of the log, or wait (30 s at most) for the
    projection process to get there."""
    services.runner.catch_up(progress, timeout=30)
