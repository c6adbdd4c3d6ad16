"""Direct reads of the library's event table that the library has no call for."""

from __future__ import annotations

from uuid import UUID

from service.store.db import Database, Tx


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


# -- raw reads for the audit log (the exact stored bytes, with their log position) ----------


def _raw_select(sqlite: bool) -> str:
    position = "rowid" if sqlite else "notification_id"
    table = "stored_events" if sqlite else "rekap_events"
    return (
        f"SELECT {position} AS position, originator_id, originator_version, topic, state "
        f"FROM {table}"
    )


def _raw_row(row: dict[str, object]) -> dict[str, object]:
    oid = row["originator_id"]
    state = row["state"]
    return {
        "position": int(row["position"]),  # type: ignore[call-overload]
        "originator_id": oid if isinstance(oid, UUID) else UUID(str(oid)),
        "originator_version": int(row["originator_version"]),  # type: ignore[call-overload]
        "topic": row["topic"],
        "state": bytes(state) if state is not None else b"",  # type: ignore[arg-type]
    }


def raw_events_between(tx: Tx, first: int, last: int) -> list[dict[str, object]]:
    """Stored events with positions in [first, last], in log order, inside `tx`."""
    sqlite = tx.is_sqlite
    position = "rowid" if sqlite else "notification_id"
    rows = tx.query(
        f"{_raw_select(sqlite)} WHERE {position} >= %s AND {position} <= %s ORDER BY {position}",
        (first, last),
    )
    return [_raw_row(r) for r in rows]


def raw_events_after(
    db: Database, after: int, limit: int, upto: int | None = None
) -> list[dict[str, object]]:
    """At most `limit` stored events after position `after` (and up to `upto`), in log order."""
    position = position_column(db)
    sql = f"{_raw_select(db.is_sqlite)} WHERE {position} > %s"
    params: list[object] = [after]
    if upto is not None:
        sql += f" AND {position} <= %s"
        params.append(upto)
    sql += f" ORDER BY {position} LIMIT %s"
    params.append(limit)
    return [_raw_row(r) for r in db.query(sql, params)]


def raw_events_at(db: Database, positions: list[int]) -> list[dict[str, object]]:
    """The stored events at these positions (those that exist), in log order."""
    found: list[dict[str, object]] = []
    column = position_column(db)
    for i in range(0, len(positions), 500):
        part = positions[i : i + 500]
        rows = db.query(
            f"{_raw_select(db.is_sqlite)} WHERE {column} IN ({', '.join(['%s'] * len(part))})",
            part,
        )
        found.extend(_raw_row(r) for r in rows)
    return sorted(found, key=lambda r: r["position"])  # type: ignore[arg-type,return-value]


def raw_events_of(
    db: Database,
    originator_ids: list[UUID],
    after: int = 0,
    limit: int | None = None,
    upto: int | None = None,
) -> list[dict[str, object]]:
    """The stored events of these aggregates after position `after`, in log order.

    The ids are looked up in chunks of 500 by primary key; each chunk returns at most `limit`
    rows, and the merged list is cut to `limit`: a page costs one indexed query per chunk.
    """
    column = position_column(db)
    found: list[dict[str, object]] = []
    for i in range(0, len(originator_ids), 500):
        part = originator_ids[i : i + 500]
        sql = (
            f"{_raw_select(db.is_sqlite)} WHERE originator_id IN "
            f"({', '.join(['%s'] * len(part))}) AND {column} > %s"
        )
        params: list[object] = [stored_id(db, oid) for oid in part] + [after]
        if upto is not None:
            sql += f" AND {column} <= %s"
            params.append(upto)
        sql += f" ORDER BY {column}"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        found.extend(_raw_row(r) for r in db.query(sql, params))
    found.sort(key=lambda r: r["position"])  # type: ignore[arg-type,return-value]
    return found if limit is None else found[:limit]


def raw_events_with_topics(
    db: Database, topics: list[str], upto: int, after: int = 0, limit: int = 1000
) -> list[dict[str, object]]:
    """A page of the stored events with these topics in (after, upto], in log order."""
    column = position_column(db)
    rows = db.query(
        f"{_raw_select(db.is_sqlite)} WHERE topic IN ({', '.join(['%s'] * len(topics))}) "
        f"AND {column} > %s AND {column} <= %s ORDER BY {column} LIMIT %s",
        (*topics, after, upto, limit),
    )
    return [_raw_row(r) for r in rows]


def count_events(db: Database, upto: int | None = None) -> int:
    sql = f"SELECT COUNT(*) FROM {events_table(db)}"
    if upto is None:
        return int(db.scalar(sql) or 0)
    return int(db.scalar(sql + f" WHERE {position_column(db)} <= %s", (upto,)) or 0)
