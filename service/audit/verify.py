"""`rekap audit verify`: recompute everything from the raw event store and name every difference.

1. Every leaf: the stored events are read in log order, a page at a time (bounded memory), each
   leaf hash recomputed from the stored bytes and compared with the audit tree's leaf of the
   same position: a changed event (bytes, topic, aggregate, version or position), an event
   missing from the store, and an event that is in the store but not in the tree are each
   reported with its position.
2. Every published tree head: its signature, and its root against the root recomputed from
   the store (a compact range: O(log n) memory).
3. Every projection: rebuilt from the log into scratch tables (`audit_scratch_` + name) by the
   same projection code and compared row by row with the live tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from service.audit.compact import CompactRange
from service.audit.events import catch_up_quietly
from service.audit.leaves import raw_leaf_hash
from service.audit.signing import TreeHead, verify_tree_head
from service.bootstrap import Services, all_projections
from service.eventlog import raw_events_after
from service.projections.merkle import HEAD_COLUMNS
from service.projections.replay import compare_tables, drop_scratch, replay

PAGE = 5000
SCRATCH = "audit_scratch_"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Difference:
    kind: str  # "event", "tree_head" or "row"
    where: str
    expected: Any
    found: Any
    detail: str = ""

    def describe(self) -> str:
        text = f"{self.kind} {self.where}: expected {self.expected!r}, found {self.found!r}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class VerifyReport:
    events: int = 0
    leaves: int = 0
    pending: int = 0  # events after the audit tree's position, not hashed into it yet
    heads: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "leaves": self.leaves,
            "pending": self.pending,
            "tree_heads": self.heads,
            "rows": self.rows,
            "differences": [d.describe() for d in self.differences],
            "notes": self.notes,
        }


def verify(
    services: Services,
    public_key: str | None = None,
    progress: Progress | None = None,
    projections: bool = True,
) -> VerifyReport:
    """Check the whole store; `public_key` (base64 or PEM) defaults to the signing key's."""
    report = VerifyReport()
    if public_key is None:
        from service.audit.log import AuditLog

        public_key = AuditLog.of(services).signer.public_key_b64()
    _check_leaves_and_heads(services, public_key, report, progress)
    if projections:
        _check_projections(services, report)
    return report


# -- leaves and heads ------------------------------------------------------------------------


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


def _check_leaves_and_heads(
    services: Services, public_key: str, report: VerifyReport, progress: Progress | None
) -> None:
    merkle_position = services.runner.positions().get("merkle", 0)
    heads = [
        TreeHead(**r)
        for r in services.db.query(f"SELECT {HEAD_COLUMNS} FROM audit_tree_head ORDER BY size")
    ]
    report.heads = len(heads)
    for head in heads:
        if not verify_tree_head(head, public_key):
            report.differences.append(
                Difference(
                    "tree_head",
                    f"size {head.size} signed {head.timestamp}",
                    "a valid Ed25519 signature by the audit key",
                    head.signature,
                    f"key_id {head.key_id}",
                )
            )
    waiting = iter(heads)
    next_head = next(waiting, None)
    tree = CompactRange()
    total = services.runner.head()
    leaves = _leaf_rows(services)
    leaf = next(leaves, None)
    expected_index = 0

    def check_heads() -> None:
        nonlocal next_head
        while next_head is not None and next_head.size <= tree.size:
            if next_head.size == tree.size and tree.root().hex() != next_head.root:
                report.differences.append(
                    Difference(
                        "tree_head",
                        f"size {next_head.size} signed {next_head.timestamp}",
                        next_head.root,
                        tree.root().hex(),
                        "the signed root differs from the root recomputed from the stored events",
                    )
                )
            next_head = next(waiting, None)

    def next_leaf() -> None:
        nonlocal leaf, expected_index
        assert leaf is not None
        if leaf["leaf_index"] != expected_index:
            report.differences.append(
                Difference(
                    "event",
                    f"leaf {expected_index}",
                    f"leaf index {expected_index}",
                    f"leaf index {leaf['leaf_index']}",
                    "the audit tree's leaves are not numbered 0..n-1",
                )
            )
        expected_index = leaf["leaf_index"] + 1
        report.leaves += 1
        leaf = next(leaves, None)

    for raw in _raw_rows(services):
        report.events += 1
        position = raw["position"]
        while leaf is not None and leaf["position"] < position:
            report.differences.append(
                Difference(
                    "event",
                    f"at position {leaf['position']} (leaf {leaf['leaf_index']})",
                    f"a stored event with leaf hash {leaf['leaf_hash']}",
                    "no event",
                    "the event was deleted from the store after it was logged",
                )
            )
            next_leaf()
        computed = raw_leaf_hash(raw)
        if leaf is not None and leaf["position"] == position:
            if computed.hex() != leaf["leaf_hash"]:
                report.differences.append(
                    Difference(
                        "event",
                        f"at position {position} "
                        f"(leaf {leaf['leaf_index']}, {_describe_event(raw)})",
                        leaf["leaf_hash"],
                        computed.hex(),
                        "the stored event's bytes differ from its logged leaf",
                    )
                )
            next_leaf()
        elif position <= merkle_position:
            report.differences.append(
                Difference(
                    "event",
                    f"at position {position} ({_describe_event(raw)})",
                    "no event (not in the audit tree)",
                    f"a stored event with leaf hash {computed.hex()}",
                    "the event was inserted into the store after the fact",
                )
            )
        else:
            report.pending += 1
            continue
        tree.append(computed)
        check_heads()
        if progress:
            progress(report.events, max(total, report.events))
    while leaf is not None:
        report.differences.append(
            Difference(
                "event",
                f"at position {leaf['position']} (leaf {leaf['leaf_index']})",
                f"a stored event with leaf hash {leaf['leaf_hash']}",
                "no event",
                "the event was deleted from the store after it was logged",
            )
        )
        next_leaf()
    while next_head is not None:
        report.differences.append(
            Difference(
                "tree_head",
                f"size {next_head.size} signed {next_head.timestamp}",
                f"{next_head.size} events in the store",
                f"{tree.size} events",
                "the store holds fewer events than this head was signed for",
            )
        )
        next_head = next(waiting, None)


# -- projections -----------------------------------------------------------------------------


def _check_projections(services: Services, report: VerifyReport) -> None:
    factories: list[Callable[[str], Any]] = []
    tables: list[tuple[str, list[str]]] = []
    for projection in all_projections():
        cls = type(projection)
        try:
            cls(prefix=SCRATCH)
        except TypeError:
            report.notes.append(f"projection {projection.name} is not compared (no prefix)")
            continue
        keys = getattr(projection, "primary_keys", None)
        if keys is None:
            report.notes.append(f"projection {projection.name} is not compared (no primary_keys)")
            continue
        factories.append(lambda prefix, cls=cls: cls(prefix=prefix))
        tables += keys()
    catch_up_quietly(services)
    runner = None
    try:
        runner = replay(services.app, services.db, factories, prefix=SCRATCH)
        scratch_positions = runner.positions()
        live_positions = services.runner.positions()
        for name, position in live_positions.items():
            if name in scratch_positions and scratch_positions[name] != position:
                report.notes.append(
                    f"projection {name} moved while verifying ({position} live, "
                    f"{scratch_positions.get(name)} replayed): run again on a quiet store"
                )
        for table, _ in tables:
            report.rows[table] = int(services.db.scalar(f"SELECT COUNT(*) FROM {table}") or 0)
        for difference in compare_tables(services.db, tables, prefix=SCRATCH):
            report.differences.append(
                Difference(
                    "row",
                    f"{difference.table} {difference.key}",
                    _changed(difference.expected, difference.found, want_expected=True),
                    _changed(difference.expected, difference.found, want_expected=False),
                    "the live read model differs from a replay of the log",
                )
            )
    except Exception as exc:  # a tampered event may not even decode
        report.differences.append(
            Difference("row", "replay of the log", "a replay that completes", repr(exc))
        )
    finally:
        if runner is not None:
            drop_scratch(services.db, runner)
        services.db.execute_script(
            [f"DROP TABLE IF EXISTS {SCRATCH}{t}" for t in ("audit_tree_head", "audit_cosignature")]
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
