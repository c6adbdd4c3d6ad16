"""`rekap audit verify`: recompute everything from the raw event store and name every difference.

1. Every leaf: the stored events are read in log order, a page at a time (bounded memory), each
   leaf hash recomputed from the stored bytes and compared with the audit tree's leaf of the
   same position: a changed event (bytes, topic, aggregate, version or position), an event
   missing from the store (a run of them is one finding), and an event that is in the store but
   not in the tree are each reported with its position, with how many later leaves shift.
2. Every signed tree head, the store's and those the auditor holds (`held`): its signature, and
   its root against the root recomputed from the stored events at its size (a compact range:
   O(log n) memory). A held head beyond the log, or missing from the store's heads, is reported.
   The log must not run on past its last signed head for longer than the projection's signing
   interval allows, and a log with events has at least one signed head.
3. Every projection: rebuilt from the log into scratch tables and compared row by row with the
   live tables (service.audit.replaycheck); rows that follow from a finding of 1 are counted
   under it, not listed.

Nothing here raises on what the store holds: whatever cannot be read is a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from service.audit.compact import CompactRange
from service.audit.findings import (
    SHIFT,
    Bar,
    Difference,
    Phases,
    VerifyReport,
    error_text,
    quiet,
)
from service.audit.heads import HeadCheck
from service.audit.leaves import raw_leaf_hash
from service.audit.replaycheck import check_projections
from service.audit.signing import TreeHead, load_public_key
from service.bootstrap import Services
from service.read.projections.merkle import HEAD_COLUMNS
from service.store.eventlog import raw_events_after

PAGE = 5000

__all__ = ["Difference", "VerifyReport", "verify"]


def verify(
    services: Services,
    public_key: str | None = None,
    phases: Phases = quiet,
    projections: bool = True,
    held: list[TreeHead] | tuple[TreeHead, ...] = (),
) -> VerifyReport:
    """Check the whole store; `public_key` (base64 or PEM) defaults to the signing key's.

    `held` are signed heads the auditor kept from earlier publications. ValueError if the key
    cannot be read (a bad key is not a bad signature)."""
    report = VerifyReport()
    if public_key is None:
        from service.audit.log import AuditLog

        public_key = AuditLog.of(services).signer.public_key_b64()
    load_public_key(public_key)
    with phases("verify: leaves and tree heads", services.runner.head()) as bar:
        _LeafWalk(services, public_key, report, list(held)).run(bar)
    if projections:
        check_projections(services, report, phases)
    return report


# -- reading the store ---------------------------------------------------------------------------


def _leaf_rows(services: Services) -> Iterator[dict[str, Any]]:
    after = -1
    while True:
        rows = services.db.query(
            "SELECT leaf_index, position, leaf_hash FROM audit_leaf WHERE leaf_index > %s "
            "ORDER BY leaf_index LIMIT %s",
            (after, PAGE),
        )
        yield from rows
        if len(rows) < PAGE:
            return
        after = rows[-1]["leaf_index"]


def _raw_rows(services: Services) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        rows = raw_events_after(services.db, after, PAGE)
        yield from rows
        if len(rows) < PAGE:
            return
        after = rows[-1]["position"]  # type: ignore[assignment]


def _describe_event(raw: dict[str, Any]) -> str:
    return f"aggregate {raw['originator_id']} version {raw['originator_version']} {raw['topic']}"


def _store_heads(services: Services) -> list[TreeHead]:
    return [
        TreeHead(**r)
        for r in services.db.query(f"SELECT {HEAD_COLUMNS} FROM audit_tree_head ORDER BY size")
    ]


# -- the walk over the log -----------------------------------------------------------------------


class _LeafWalk:
    """One pass over the stored events and the tree's leaves, side by side, in log order."""

    def __init__(
        self, services: Services, public_key: str, report: VerifyReport, held: list[TreeHead]
    ) -> None:
        self.services = services
        self.report = report
        self.merkle_position = services.runner.positions().get("merkle", 0)
        found = services.db.scalar("SELECT MAX(leaf_index) FROM audit_leaf")
        self.tree_size = 0 if found is None else int(found) + 1
        self.log = CompactRange()  # every stored event, in log order: the store's own tree
        self.heads = HeadCheck(services.db, public_key, report, _store_heads(services), held)
        self.first_event: Difference | None = None  # where the store and the tree part ways
        self.expected_index = 0
        self.deleted: dict[str, Any] | None = None  # the run of deleted leaves being read
        self.unreadable = False

    def _stored_events(self) -> Iterator[tuple[dict[str, Any], bytes]]:
        """The stored events in log order with their leaf hashes, up to a row that is no stored
        event (a finding)."""
        rows, last = _raw_rows(self.services), 0
        while True:
            try:
                raw = next(rows)
                computed = raw_leaf_hash(raw)
            except StopIteration:
                return
            except Exception as exc:
                self.unreadable = True
                self._event(
                    Difference(
                        "event",
                        f"after position {last}",
                        "stored events, each with an aggregate id, a version, a topic and bytes",
                        error_text(exc),
                        "the event table holds a row that cannot be read as an event",
                        position=last + 1,
                    )
                )
                return
            last = raw["position"]
            yield raw, computed

    def run(self, bar: Bar) -> None:
        report = self.report
        leaves = _leaf_rows(self.services)
        leaf = next(leaves, None)
        total = self.services.runner.head()
        for raw, computed in self._stored_events():
            report.events += 1
            position = raw["position"]
            while leaf is not None and leaf["position"] < position:
                self._deleted(leaf)
                leaf = self._next_leaf(leaf, leaves)
            if leaf is not None and leaf["position"] == position:
                self._end_deleted_run()
                if computed.hex() != leaf["leaf_hash"]:
                    self._event(
                        Difference(
                            "event",
                            f"at position {position} "
                            f"(leaf {leaf['leaf_index']}, {_describe_event(raw)})",
                            leaf["leaf_hash"],
                            computed.hex(),
                            "the stored event's bytes differ from its logged leaf",
                            position=position,
                            leaf=leaf["leaf_index"],
                        )
                    )
                leaf = self._next_leaf(leaf, leaves)
            elif position <= self.merkle_position:
                self._end_deleted_run()
                inserted = self._event(
                    Difference(
                        "event",
                        f"at position {position} ({_describe_event(raw)})",
                        "no event (not in the audit tree)",
                        f"a stored event with leaf hash {computed.hex()}",
                        "the event was inserted into the store after the fact",
                        position=position,
                        leaf=self.expected_index,
                    )
                )
                inserted.follows.add(SHIFT, self.tree_size - self.expected_index)
            else:
                report.pending += 1
            self.log.append(computed)
            self.heads.reached(self.log, self.first_event)
            if report.events % 1000 == 0:
                bar.update(report.events, max(total, report.events))
        if self.unreadable:
            return  # what follows cannot be told from an event table that cannot be read
        while leaf is not None:
            self._deleted(leaf)
            leaf = self._next_leaf(leaf, leaves)
        self._end_deleted_run()
        bar.update(report.events, max(total, report.events))
        self.heads.finish(self.log, self.first_event)

    # -- leaves ---------------------------------------------------------------------------------

    def _event(self, difference: Difference) -> Difference:
        if self.first_event is None:
            self.first_event = difference
        return self.report.add(difference)

    def _next_leaf(
        self, leaf: dict[str, Any], leaves: Iterator[dict[str, Any]]
    ) -> dict[str, Any] | None:
        if leaf["leaf_index"] != self.expected_index:
            self._event(
                Difference(
                    "event",
                    f"leaf {self.expected_index}",
                    f"leaf index {self.expected_index}",
                    f"leaf index {leaf['leaf_index']}",
                    "the audit tree's leaves are not numbered 0..n-1",
                    leaf=self.expected_index,
                )
            )
        self.expected_index = leaf["leaf_index"] + 1
        self.report.leaves += 1
        return next(leaves, None)

    def _deleted(self, leaf: dict[str, Any]) -> None:
        run = self.deleted
        if run is not None and leaf["leaf_index"] == run["last_leaf"] + 1:
            run.update(last_leaf=leaf["leaf_index"], last_position=leaf["position"])
            run["count"] += 1
            return
        self._end_deleted_run()
        self.deleted = {
            "first_leaf": leaf["leaf_index"],
            "last_leaf": leaf["leaf_index"],
            "first_position": leaf["position"],
            "last_position": leaf["position"],
            "hash": leaf["leaf_hash"],
            "count": 1,
        }

    def _end_deleted_run(self) -> None:
        run, self.deleted = self.deleted, None
        if run is None:
            return
        if run["count"] == 1:
            where = f"at position {run['first_position']} (leaf {run['first_leaf']})"
            expected = f"a stored event with leaf hash {run['hash']}"
            detail = "the event was deleted from the store after it was logged"
        else:
            where = (
                f"at positions {run['first_position']} to {run['last_position']} "
                f"(leaves {run['first_leaf']} to {run['last_leaf']}, {run['count']:,} events)"
            )
            expected = f"{run['count']:,} stored events, the first with leaf hash {run['hash']}"
            detail = "the events were deleted from the store after they were logged"
        deleted = self._event(
            Difference(
                "event",
                where,
                expected,
                "no event",
                detail,
                position=run["first_position"],
                until=run["last_position"],
                leaf=run["first_leaf"],
            )
        )
        deleted.follows.add(SHIFT, self.tree_size - 1 - run["last_leaf"])
