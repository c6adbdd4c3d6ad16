"""Verify's third part: every read model against a replay of the log, by the same code.

The live projections are caught up, the whole log is replayed into scratch tables
(`audit_scratch_` + name), and each table is compared row by row. A row that follows from a
finding about the log (it records the position of a changed, deleted or inserted event; it is
a row of the same TPS; it sums that TPS; it is a leaf or node of the audit tree from the leaf
where the store and the tree part ways) is counted under that finding, not listed on its own.

An event that cannot be decoded, or that a projection cannot apply, stops the live projections
and the replay alike: it is found (the batch is applied again one event at a time, in a
transaction that is rolled back) and reported with its position.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.codes import is_within
from service.audit.events import catch_up_quietly
from service.audit.findings import (
    EXAMPLES,
    REPLAY,
    Difference,
    Phases,
    VerifyReport,
    error_text,
)
from service.bootstrap import Services
from service.read.projections.base import LoggedEvent
from service.read.projections.replay import compare_table, drop_scratch
from service.read.projections.runner import ProjectionRunner

SCRATCH = "audit_scratch_"
ROW_LIMIT = 5000  # rows examined one by one per table; more are counted


@dataclass(frozen=True)
class Failure:
    """The first event of the log that a runner cannot decode or apply."""

    position: int | None
    event: str
    error: str
    projection: str | None = None  # None: the event cannot be decoded

    def what(self) -> str:
        if self.position is None:
            return f"a batch of the log cannot be applied: {self.error}"
        if self.projection is None:
            return f"the event cannot be decoded: {self.error}"
        return f"the {self.projection} projection cannot apply the event: {self.error}"


class _Probe(Exception):
    """Rolls the probing transaction back."""


def apply_until_failure(
    runner: ProjectionRunner, catch_up: Callable[[], Any] | None = None
) -> Failure | None:
    """Catch `runner` up (with `catch_up`, default its own); the event it stops at, if any."""
    try:
        (catch_up or runner.catch_up)()
    except Exception as exc:
        return locate_failure(runner, exc)
    return None


def locate_failure(runner: ProjectionRunner, batch_error: BaseException) -> Failure:
    """Apply the runner's next batch an event at a time, rolled back, to find the one that fails."""
    positions = runner.positions()
    start = min(positions.values(), default=0)
    notifications = runner.app.recorder.select_notifications(
        start=start, limit=runner.batch_size, inclusive_of_start=False
    )
    decode = runner.app.mapper.to_domain_event
    found: Failure | None = None
    try:
        with runner.db.transaction() as tx:
            for n in notifications:
                event = f"aggregate {n.originator_id} version {n.originator_version} {n.topic}"
                try:
                    logged = LoggedEvent(n.id, decode(n), notification=n)
                except Exception as exc:
                    found = Failure(n.id, event, error_text(exc))
                    break
                for projection in runner.projections:
                    if n.id <= positions.get(projection.name, 0):
                        continue
                    try:
                        projection.apply(tx, [logged])
                    except Exception as exc:
                        found = Failure(n.id, event, error_text(exc), projection.name)
                        break
                if found is not None:
                    break
            raise _Probe
    except _Probe:
        pass
    except Exception as exc:  # the rollback of a broken connection: the batch's error stands
        found = found or Failure(None, "", f"{error_text(batch_error)} (then {error_text(exc)})")
    return found or Failure(None, "", error_text(batch_error))


def check_projections(services: Services, report: VerifyReport, phases: Phases) -> None:
    live = services.runner
    with phases("verify: live projections catch up", live.head() - live.position()) as bar:
        stuck = apply_until_failure(live, lambda: catch_up_quietly(services, bar.update))
    if stuck is not None:
        _failed(report, stuck, "the live read models stop at it")
    scratch_projections, tables, leaf_columns, rollups = _scratch_projections(services, report)
    runner = ProjectionRunner(
        services.app,
        services.db,
        scratch_projections,
        positions_table=f"{SCRATCH}projection_position",
    )
    try:
        with phases("verify: replay the log into scratch tables", live.head()) as bar:
            failure = apply_until_failure(runner, lambda: runner.rebuild(bar.update))
        if failure is not None:
            if stuck is None or stuck.position != failure.position:
                _failed(report, failure, "the replay stops at it")
            report.notes.append(
                "the read models are not compared with a replay: the replay stops at position "
                f"{failure.position}"
            )
            return
        if stuck is not None:
            report.notes.append("the read models are not compared: the live ones are stuck")
            return
        _moved(services, runner, report)
        with phases("verify: compare the read models with the replay", len(tables)) as bar:
            _compare(services, report, tables, leaf_columns, rollups, bar.update)
    finally:
        drop_scratch(services.db, runner)
        services.db.execute_script(
            [f"DROP TABLE IF EXISTS {SCRATCH}{t}" for t in ("audit_tree_head", "audit_cosignature")]
        )


def _failed(report: VerifyReport, failure: Failure, consequence: str) -> None:
    cause = _Attribution(report).by_position(failure.position)
    if cause is not None:
        cause.follows.add(REPLAY)
        return
    report.add(
        Difference(
            "projection",
            f"at position {failure.position} ({failure.event})"
            if failure.position is not None
            else "replay of the log",
            "an event the projections can apply",
            failure.what(),
            consequence,
            position=failure.position,
        )
    )


def _scratch_projections(
    services: Services, report: VerifyReport
) -> tuple[list[Any], list[tuple[str, list[str]]], dict[str, str], set[str]]:
    projections, tables, leaf_columns, rollups = [], [], {}, set()
    for projection in services.runner.projections:
        make = getattr(projection, "scratch", None)
        if make is None:
            report.notes.append(f"projection {projection.name} is not compared (no scratch)")
            continue
        scratch = make(SCRATCH)
        keys = getattr(projection, "primary_keys", None)
        if keys is None:
            report.notes.append(f"projection {projection.name} is not compared (no primary_keys)")
            continue
        projections.append(scratch)
        tables += keys()
        leaf_columns.update(getattr(projection, "leaf_columns", dict)())
        rollups.update(getattr(projection, "rollup_tables", list)())
    return projections, tables, leaf_columns, rollups


def _moved(services: Services, runner: ProjectionRunner, report: VerifyReport) -> None:
    scratch_positions = runner.positions()
    for name, position in services.runner.positions().items():
        if name in scratch_positions and scratch_positions[name] != position:
            report.notes.append(
                f"projection {name} moved while verifying ({position} live, "
                f"{scratch_positions.get(name)} replayed): run again on a quiet store"
            )


# -- comparing, and telling causes from consequences ---------------------------------------------


class _Attribution:
    """Which finding about the log a differing row follows from, where that can be told."""

    def __init__(self, report: VerifyReport) -> None:
        events = [d for d in report.differences if d.kind == "event"]
        spans = sorted(
            ((d.position, d.until or d.position, d) for d in events if d.position is not None),
            key=lambda span: span[0],
        )
        self.starts = [s[0] for s in spans]
        self.spans = spans
        with_leaf = [d for d in events if d.leaf is not None]
        self.first_leaf = min(with_leaf, key=lambda d: d.leaf or 0) if with_leaf else None
        self.tps: dict[tuple[str, str, str], Difference] = {}

    def by_position(self, position: Any) -> Difference | None:
        if not isinstance(position, int) or isinstance(position, bool):
            return None
        i = bisect.bisect_right(self.starts, position) - 1
        if i >= 0 and self.spans[i][0] <= position <= self.spans[i][1]:
            return self.spans[i][2]
        return None

    def cause_of(self, rows: list[dict[str, Any]], rollup: bool) -> Difference | None:
        cause = None
        for row in rows:
            cause = cause or self.by_position(row.get("position"))
        for row in rows:
            if cause is None and "tps" in row:
                cause = self.tps.get(_tps(row))
        if cause is None and rollup:
            cause = self._summing(rows)
        if cause is not None:
            for row in rows:
                if "tps" in row:
                    self.tps.setdefault(_tps(row), cause)
        return cause

    def _summing(self, rows: list[dict[str, Any]]) -> Difference | None:
        for row in rows:
            election, contest, code = row.get("election_id"), row.get("contest_id"), row.get("code")
            for (e, c, tps), cause in self.tps.items():
                if (e, c) == (election, contest) and isinstance(code, str) and is_within(tps, code):
                    return cause
        return None


def _tps(row: dict[str, Any]) -> tuple[str, str, str]:
    return (str(row.get("election_id")), str(row.get("contest_id")), str(row.get("tps")))


def _compare(
    services: Services,
    report: VerifyReport,
    tables: list[tuple[str, list[str]]],
    leaf_columns: dict[str, str],
    rollups: set[str],
    progress: Callable[[int], None],
) -> None:
    db = services.db
    attribution = _Attribution(report)
    ordered = sorted(tables, key=lambda t: t[0] in rollups)  # the TPS rows before their sums
    for done, (table, key) in enumerate(ordered, start=1):
        report.rows[table] = int(db.scalar(f"SELECT COUNT(*) FROM {table}") or 0)
        column, split = leaf_columns.get(table), attribution.first_leaf
        where, params = "", ()
        if column is not None and split is not None:
            later = compare_table(
                db,
                table,
                key,
                SCRATCH,
                where=f"{column} >= %s",
                params=(split.leaf,),
                limit=EXAMPLES,
            )
            for row in later.rows:
                split.follows.add(table, 1, _row_difference(row))
            split.follows.add(table, later.count - len(later.rows))
            where, params = f"{column} < %s", (split.leaf,)
        found = compare_table(db, table, key, SCRATCH, where=where, params=params, limit=ROW_LIMIT)
        for row in found.rows:
            difference = _row_difference(row)
            sides = [r for r in (row.expected, row.found) if r is not None]
            cause = attribution.cause_of(sides, table in rollups)
            if cause is not None:
                cause.follows.add(table, 1, difference)
            else:
                report.add(difference)
        if found.count > len(found.rows):
            more = found.count - len(found.rows)
            report.add(
                Difference(
                    "row",
                    f"{table}: {more:,} more rows",
                    "rows equal to a replay of the log",
                    f"{more:,} rows that differ",
                    f"only the first {ROW_LIMIT:,} differences of a table are examined one by one",
                )
            )
        progress(done)


def _row_difference(row: Any) -> Difference:
    return Difference(
        "row",
        f"{row.table} {row.key}",
        _changed(row.expected, row.found, want_expected=True),
        _changed(row.expected, row.found, want_expected=False),
        "the live read model differs from a replay of the log",
    )


def _changed(
    expected: dict[str, Any] | None, found: dict[str, Any] | None, *, want_expected: bool
) -> Any:
    """Only the columns that differ (the whole row when one side is missing)."""
    if expected is None or found is None:
        return expected if want_expected else found
    side = expected if want_expected else found
    return {
        k: side.get(k) for k in expected.keys() | found.keys() if expected.get(k) != found.get(k)
    }
