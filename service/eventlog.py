"""Direct reads of the library's event table that the library has no call for."""

from __future__ import annotations

from uuid import UUID

from service.db import Database


def events_table(db: Database) -> str:
    return "stored_events" if db.is_sqlite else "rekap_events"


def position_column(db: Database) -> str:
    return "rowid" if db.is_sqlite else "notification_id"


def stored_id(db: Database, originator_id: UUID) -> object:
    return originator_id.hex if db.is_sqlite else originator_id


def position_of(db: Database, originator_id: UUID, version: int) -> int:
    """The log position of one event of an aggregate (0 if absent)."""
    found = db.scalar(
        f"SELECT {position_column(db)} FROM {events_table(db)} "
        "WHERE originator_id = %s AND originator_version = %s",
        (stored_id(db, originator_id), version),
    )
    return int(found or 0)


def existing_versions(db: Database, originator_ids: list[UUID]) -> dict[UUID, int]:
    """The current version of each of these aggregates that exists."""
    found: dict[UUID, int] = {}
    for i in range(0, len(originator_ids), 500):
        part = originator_ids[i : i + 500]
        rows = db.query(
            f"SELECT originator_id, MAX(originator_version) AS version FROM {events_table(db)} "
            f"WHERE originator_id IN ({', '.join(['%s'] * len(part))}) GROUP BY originator_id",
            [stored_id(db, oid) for oid in part],
        )
        for r in rows:
            oid = r["originator_id"]
            found[oid if isinstance(oid, UUID) else UUID(oid)] = r["version"]
    return found
