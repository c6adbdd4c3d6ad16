"""Replay the log into scratch copies of the read models and compare them with the live ones.

This is how anyone checks that the live recap is exactly what the log says: the same projection
code, a fresh start, the whole log, and a row-by-row comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.read.projections.runner import ProjectionRunner
from service.store.application import Rekap
from service.store.db import Database

SCRATCH = "scratch_"


@dataclass(frozen=True)
class RowDifference:
    table: str
    key: tuple[Any, ...]
    expected: dict[str, Any] | None  # from the replay
    found: dict[str, Any] | None  # in the live table

    def describe(self) -> str:
        if self.found is None:
            return (
                f"{self.table} {self.key}: missing from the live table (replay has {self.expected})"
            )
        if self.expected is None:
            return (
                f"{self.table} {self.key}: in the live table but not in the replay ({self.found})"
            )
        changed = {
            k: (self.expected.get(k), v) for k, v in self.found.items() if self.expected.get(k) != v
        }
        return f"{self.table} {self.key}: " + ", ".join(
            f"{k} expected {e!r} found {f!r}" for k, (e, f) in changed.items()
        )


def replay(
    app: Rekap,
    db: Database,
    projection_factories: list[Callable[[str], Any]],
    prefix: str = SCRATCH,
    progress: Callable[[int, int], None] | None = None,
) -> ProjectionRunner:
    """Rebuild scratch copies (tables named `prefix` + live name) from the whole log."""
    runner = ProjectionRunner(
        app,
        db,
        [make(prefix) for make in projection_factories],
        positions_table=f"{prefix}projection_position",
    )
    runner.rebuild(progress)
    return runner


def compare_tables(
    db: Database, tables: list[tuple[str, list[str]]], prefix: str = SCRATCH
) -> list[RowDifference]:
    """Every row that differs between each live table and its scratch copy.

    `tables` lists (live table name, primary key columns). The database finds the rows that
    differ (EXCEPT both ways), so memory holds the differences, not the tables.
    """
    differences: list[RowDifference] = []
    for table, key in tables:
        differences += compare_table(db, table, key, prefix).rows
    return differences


@dataclass(frozen=True)
class TableComparison:
    count: int  # keys whose rows differ (one side missing, or different)
    rows: list[RowDifference]  # the first of them in key order, at most the limit asked for


def compare_table(
    db: Database,
    table: str,
    key: list[str],
    prefix: str = SCRATCH,
    *,
    where: str = "",
    params: tuple[Any, ...] = (),
    limit: int | None = None,
) -> TableComparison:
    """The rows of `table` that differ from its scratch copy, counted, and the first `limit`.

    `where` (with `params`) is a condition on the columns of the rows compared. Memory holds
    at most `limit` differences, whatever the size of the tables.
    """
    columns = ", ".join(key)
    condition = f" WHERE {where}" if where else ""
    keys_sql = (
        f"SELECT {columns} FROM (SELECT * FROM {table} EXCEPT SELECT * FROM {prefix}{table}) a"
        f"{condition} UNION SELECT {columns} FROM (SELECT * FROM {prefix}{table} EXCEPT "
        f"SELECT * FROM {table}) b{condition}"
    )
    both = (*params, *params)
    if limit is None:
        keys = db.query(f"{keys_sql} ORDER BY {columns}", both)
    else:
        keys = db.query(f"{keys_sql} ORDER BY {columns} LIMIT %s", (*both, limit))
    count = len(keys)
    if limit is not None and count == limit:
        count = int(db.scalar(f"SELECT COUNT(*) FROM ({keys_sql}) d", both) or 0)
    live, scratch = {}, {}
    for i in range(0, len(keys), 200):
        part = [_key(k, key) for k in keys[i : i + 200]]
        match = " OR ".join(["(" + " AND ".join(f"{c} = %s" for c in key) + ")"] * len(part))
        flat = [v for k in part for v in k]
        live.update(
            {_key(r, key): r for r in db.query(f"SELECT * FROM {table} WHERE {match}", flat)}
        )
        scratch.update(
            {
                _key(r, key): r
                for r in db.query(f"SELECT * FROM {prefix}{table} WHERE {match}", flat)
            }
        )
    rows = [
        RowDifference(table, k, scratch.get(k), live.get(k)) for k in (_key(r, key) for r in keys)
    ]
    return TableComparison(count, rows)


def drop_scratch(db: Database, runner: ProjectionRunner) -> None:
    runner.drop_tables()
    db.execute_script([f"DROP TABLE IF EXISTS {runner.positions_table}"])


def _key(row: dict[str, Any], key: list[str]) -> tuple[Any, ...]:
    return tuple(row[k] for k in key)
