"""Signed tree heads against the log: the store's own heads, and those an auditor holds.

Each head is checked when the store's own tree (every stored event, in log order) reaches its
size: its signature by the audit key, and its root against the recomputed one. A head whose
root no longer matches because an event was changed, deleted or inserted is counted under that
event's finding; a held head is always reported on its own, as is a held head beyond the log or
missing from the store's heads.

The projection signs a head at its first batch, then at the first batch applied HEAD_INTERVAL
after the last head, so a log with events has a signed head, and no event logged more than
HEAD_INTERVAL after the last head (plus CLOCK_MARGIN) can be without a later one: the tail that
breaks that rule was signed, and its heads were deleted.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from service.audit.compact import CompactRange
from service.audit.findings import HEADS, UNSIGNED, Difference, VerifyReport
from service.audit.signing import TreeHead, verify_tree_head
from service.read.projections.merkle import HEAD_INTERVAL
from service.store.db import Database

# Allows for the clocks of the writers and of the projection to differ, and for a head's time
# being cut to the second.
CLOCK_MARGIN = 30.0
HELD = "the head you hold"


def _signed(head: TreeHead, whose: str = "") -> str:
    return f"{whose}size {head.size} signed {head.timestamp}"


class HeadCheck:
    def __init__(
        self,
        db: Database,
        public_key: str,
        report: VerifyReport,
        stored: list[TreeHead],
        held: list[TreeHead],
    ) -> None:
        self.db = db
        self.key = public_key
        self.report = report
        report.heads = len(stored)
        self.forged: list[tuple[TreeHead, Difference]] = []
        self.stored = self._signature_checked(stored, "")
        self.held = self._signature_checked(sorted(held, key=lambda h: h.size), HELD)
        self.stored_sizes = {h.size for h in self.stored}
        self.checkpoints = deque(
            sorted(
                [(h, False) for h in self.stored] + [(h, True) for h in self.held],
                key=lambda item: item[0].size,
            )
        )
        self.good: list[TreeHead] = []  # signed heads whose root is the store's
        self.first_bad_head: Difference | None = None
        self.first_event: Difference | None = None  # where the store and the tree part ways

    def _signature_checked(self, heads: list[TreeHead], whose: str) -> list[TreeHead]:
        valid = []
        for head in heads:
            if verify_tree_head(head, self.key):
                valid.append(head)
                continue
            forged = self.report.add(
                Difference(
                    "tree_head",
                    _signed(head, f"{whose} " if whose else ""),
                    "a valid Ed25519 signature by the audit key",
                    head.signature,
                    f"key_id {head.key_id}",
                )
            )
            if not whose:
                self.forged.append((head, forged))
        return valid

    def reached(self, log: CompactRange, first_event: Difference | None) -> None:
        """Check every head of the size `log` has just reached."""
        self.first_event = first_event
        size = log.size
        while self.checkpoints and self.checkpoints[0][0].size <= size:
            head, held = self.checkpoints.popleft()
            if head.size < size:
                continue  # size 0: the empty tree, nothing to recompute
            root = log.root().hex()
            if root == head.root:
                self.good.append(head)
                if held and head.size not in self.stored_sizes:
                    self.report.add(
                        Difference(
                            "tree_head",
                            _signed(head, f"{HELD}, "),
                            "a signed head of that size among the store's tree heads",
                            "none",
                            "the store's tree heads were deleted",
                        )
                    )
                continue
            self._bad_head(
                head,
                held,
                head.root,
                root,
                "the signed root differs from the root recomputed from the stored events",
            )

    def _bad_head(self, head: TreeHead, held: bool, expected: Any, found: Any, why: str) -> None:
        explained = self.first_event or self.first_bad_head
        if not held and explained is not None:
            explained.follows.add(HEADS)
            return
        difference = self.report.add(
            Difference(
                "tree_head", _signed(head, f"{HELD}, " if held else ""), expected, found, why
            )
        )
        if not held:
            self.first_bad_head = difference

    def finish(self, log: CompactRange, first_event: Difference | None) -> None:
        """At the end of the log: the heads beyond it, the unsigned tail, the latest good head."""
        self.first_event = first_event
        for head, held in self.checkpoints:
            self._bad_head(
                head,
                held,
                f"{head.size} events in the store",
                f"{log.size} events",
                "the store holds fewer events than this head was signed for",
            )
        self.checkpoints.clear()
        self._unsigned_tail(log.size)
        if self.good:
            self.report.latest_verified = max(self.good, key=lambda h: h.size)

    def _unsigned_tail(self, size: int) -> None:
        """The log may run past its last signed head only as long as the signing interval."""
        report = self.report
        last = max(self.stored, key=lambda h: h.size, default=None)
        covered = last.size if last is not None else 0
        report.unsigned = max(size - covered, 0)
        if not report.unsigned:
            return
        beyond = [d for head, d in self.forged if head.size > covered]
        if beyond:  # the heads that would cover them do not verify: that is the finding
            beyond[0].follows.add(UNSIGNED, report.unsigned)
            return
        events, are = ("event", "is") if report.unsigned == 1 else ("events", "are")
        message = (
            f"{report.unsigned:,} {events} after the last signed head (size {covered}) {are} not "
            "covered by any signed head"
        )
        if last is None:
            report.add(
                Difference(
                    "tree_head",
                    "of the log",
                    "a signed head: the audit tree signs one as soon as it applies events",
                    "no signed head at all",
                    f"{report.unsigned:,} {events} {are} not covered by any signed head: the "
                    "store holds none",
                )
            )
            return
        latest = self.db.scalar("SELECT MAX(at) FROM audit_leaf WHERE leaf_index >= %s", (covered,))
        signed = _parse(last.timestamp)
        assert signed is not None  # its signature verified, so its time is canonical
        allowed = signed + timedelta(seconds=HEAD_INTERVAL + CLOCK_MARGIN)
        logged = _parse(str(latest)) if latest else None  # a garbled time: the replay says so
        if logged is not None and logged > allowed:
            report.add(
                Difference(
                    "tree_head",
                    f"after the last signed head ({_signed(last)})",
                    f"a signed head for every event logged after {allowed.isoformat()} "
                    f"(the projection signs one every {HEAD_INTERVAL:g} s)",
                    f"events logged until {logged.isoformat()} without one",
                    message + ": later heads were deleted",
                )
            )
            return
        report.notes.append(
            message + " yet (`rekap audit tree-head --publish` signs one; the projection signs "
            f"one at its next batch {HEAD_INTERVAL:g} s after the last)"
        )


def _parse(moment: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
