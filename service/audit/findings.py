"""What `rekap audit verify` found: each cause once, with a count of what follows from it.

One deleted event makes every later leaf of a replayed tree shift, every signed head after it
disagree and the rows of its TPS differ in the recap: that is one cause and many consequences.
A `Difference` is a cause; what follows from it is counted under it (`Consequences`), with the
first few kept as examples, so the report stays small whatever the size of the log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

EXAMPLES = 5  # consequences kept, per cause, as examples
LISTED = 1000  # causes listed; more are counted by kind
# What follows from a cause, besides the rows that differ (counted by table name):
SHIFT = "later leaves shift"
HEADS = "signed heads that no longer match"
REPLAY = "replay stops"
UNSIGNED = "events without a valid head"
NOT_ROWS = (SHIFT, HEADS, REPLAY, UNSIGNED)


class Bar(Protocol):
    def update(self, done: int, total: int | None = None) -> None: ...


# A phase of a long job, given its label and total, reports progress on a bar; the class
# `service.progress.Progress` is one (a bar on a terminal, a line every few seconds in logs).
Phases = Callable[[str, int], AbstractContextManager[Bar]]


def quiet(label: str, total: int) -> AbstractContextManager[Bar]:
    """The progress of a phase nobody watches."""
    return _Quiet()


class _Quiet:
    def update(self, done: int, total: int | None = None) -> None:
        pass

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@dataclass
class Consequences:
    """What follows from one cause: counts by what they are, and the first few of them."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: list[Difference] = field(default_factory=list)

    def add(self, what: str, count: int = 1, example: Difference | None = None) -> None:
        if count <= 0:
            return
        self.counts[what] = self.counts.get(what, 0) + count
        if example is not None and len(self.examples) < EXAMPLES:
            self.examples.append(example)

    @property
    def total(self) -> int:
        """The differences that follow (rows and signed heads), not the leaves that shift."""
        return sum(n for what, n in self.counts.items() if what not in (SHIFT, UNSIGNED, REPLAY))

    def describe(self) -> str:
        """E.g. "and 9,902 later leaves shift; 29,714 rows differ from a replay (result_current 1,
        audit_leaf 9,903, audit_node 19,805, ...); 1 signed head no longer matches"."""
        parts = []
        if self.counts.get(SHIFT):
            n = self.counts[SHIFT]
            parts.append(f"{_n(n)} later {_plural(n, 'leaf')} {_verb(n, 'shift')}")
        rows = {what: n for what, n in self.counts.items() if what not in NOT_ROWS}
        if rows:
            total = sum(rows.values())
            tables = ", ".join(f"{what} {_n(n)}" for what, n in rows.items())
            parts.append(f"{_n(total)} {_plural(total, 'row')} differ from a replay ({tables})")
        if self.counts.get(HEADS):
            n = self.counts[HEADS]
            parts.append(f"{_n(n)} signed {_plural(n, 'head')} no longer {_verb(n, 'match')}")
        if self.counts.get(UNSIGNED):
            n = self.counts[UNSIGNED]
            parts.append(
                f"{_n(n)} {_plural(n, 'event')} of the log {_verb(n, 'are')} left unsigned"
            )
        if self.counts.get(REPLAY):
            parts.append("the projections cannot replay past it")
        return "and " + "; ".join(parts) if parts else ""

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "examples": [e.describe() for e in self.examples]}


@dataclass
class Difference:
    kind: str  # "event", "tree_head", "projection" or "row"
    where: str
    expected: Any
    found: Any
    detail: str = ""
    position: int | None = None  # the log position it is about, when it is about one
    until: int | None = None  # the last position, when it is about a run of events
    leaf: int | None = None  # the leaf index where the store and the tree part ways
    follows: Consequences = field(default_factory=Consequences)

    def describe(self) -> str:
        text = f"{self.kind} {self.where}: expected {self.expected!r}, found {self.found!r}"
        return f"{text} ({self.detail})" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "kind": self.kind,
            "where": self.where,
            "expected": _bounded(self.expected),
            "found": _bounded(self.found),
            "detail": self.detail,
            "position": self.position,
            "until": self.until,
            "leaf": self.leaf,
        }
        if self.follows.counts:
            found["consequences"] = self.follows.to_dict()
        return found


@dataclass
class VerifyReport:
    events: int = 0
    leaves: int = 0
    pending: int = 0  # events after the audit tree's position, not hashed into it yet
    heads: int = 0
    unsigned: int = 0  # events of the log after the last signed head
    rows: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)  # the causes, at most LISTED
    unlisted: dict[str, int] = field(default_factory=dict)  # causes beyond LISTED, by kind
    notes: list[str] = field(default_factory=list)
    latest_verified: Any = None  # the largest signed head that verified (a TreeHead)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.unlisted

    def add(self, difference: Difference) -> Difference:
        """Record a cause (counted, not listed, past LISTED); returns it to hang consequences on."""
        if len(self.differences) < LISTED:
            self.differences.append(difference)
        else:
            self.unlisted[difference.kind] = self.unlisted.get(difference.kind, 0) + 1
        return difference

    def causes(self) -> int:
        return len(self.differences) + sum(self.unlisted.values())

    def consequences(self) -> int:
        return sum(d.follows.total for d in self.differences)

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "leaves": self.leaves,
            "pending": self.pending,
            "tree_heads": self.heads,
            "unsigned": self.unsigned,
            "rows": self.rows,
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole report, bounded: at most LISTED causes, EXAMPLES consequences each."""
        return {
            **self.summary(),
            "difference_count": self.causes(),
            "consequence_count": self.consequences(),
            "differences": [d.describe() for d in self.differences],
            "findings": [d.to_dict() for d in self.differences],
            "unlisted": self.unlisted,
            "notes": self.notes,
        }

    def lines(self) -> Iterator[str]:
        """The report as text: each cause once, then what follows from it, then the verdict."""
        for difference in self.differences:
            yield f"DIFFERENCE {difference.describe()}"
            if difference.follows.counts:
                yield f"  {difference.follows.describe()}"
        for kind, count in self.unlisted.items():
            yield f"DIFFERENCE and {_n(count)} more of kind {kind} (not listed)"
        for note in self.notes:
            yield f"note: {note}"
        if self.ok:
            yield "OK " + json.dumps(self.summary())
            return
        causes, follows = self.causes(), self.consequences()
        counted = f"{_n(causes)} {_plural(causes, 'difference')}"
        if follows:
            counted += f", and {_n(follows)} that follow from them"
        yield f"FAILED ({counted}) " + json.dumps(self.summary())


def error_text(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _n(count: int) -> str:
    return f"{count:,}"


def _verb(count: int, plural: str) -> str:
    if count != 1:
        return plural
    return {"are": "is", "match": "matches"}.get(plural, plural + "s")


def _plural(count: int, word: str) -> str:
    if count == 1:
        return word
    return {"leaf": "leaves"}.get(word, word + "s")


def _bounded(value: Any, limit: int = 2000) -> Any:
    """A value as JSON can carry it, cut to `limit` characters when it is long."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) or len(value) <= limit else value[:limit] + "…"
    text = repr(value)
    if len(text) <= limit:
        try:
            json.dumps(value)
            return value
        except (TypeError, ValueError):
            return text
    return text[:limit] + "…"
