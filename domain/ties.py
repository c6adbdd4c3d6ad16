"""How the law breaks a tie for the last seats, and the record of every tie it had to break.

A tie matters only where it straddles a boundary: more contenders with the same figure than
places left (the last seats of a district, the last of a party's seats, the fourth DPD seat).
The law then ranks the tied contenders by the spread of their votes over the district's regions,
tier by tier (secara berjenjang): the one with votes in more kab/kota wins, then in more kecamatan,
in more desa, in more TPS. For candidates PKPU 6/2024 goes on to sex (a woman first) and to the
ballot number (nomor urut DCT). What no criterion separates is left unresolved and named: the
seat is not given, never picked silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

# The tiers of a spread, widest first: how many regions of each tier hold at least one vote.
SPREAD_TIERS = ("kabkota", "kecamatan", "desa", "tps")
SPREAD_LENGTHS = (4, 6, 10, 13)  # the code length of each tier
Spread = tuple[int, ...]

T = TypeVar("T")
# A criterion: (its name, a key of each contender; a higher key ranks first).
Criterion = tuple[str, Callable[[T], Any]]


def spread_of(tps_with_votes: Sequence[str] | set[str] | frozenset[str]) -> Spread:
    """The spread of votes: distinct kab/kota, kecamatan, desa and TPS among the TPS codes
    where a party or candidate got at least one vote."""
    return tuple(len({code[:n] for code in tps_with_votes}) for n in SPREAD_LENGTHS)


def spread_criteria(
    spread: Callable[[T], Spread], tiers: int = len(SPREAD_TIERS)
) -> list[Criterion[T]]:
    """The spread tiers as criteria (widest tier first), reading each contender's spread."""

    def tier_key(i: int) -> Callable[[T], int]:
        return lambda c: spread(c)[i] if i < len(spread(c)) else 0

    return [(SPREAD_TIERS[i], tier_key(i)) for i in range(tiers)]


@dataclass(frozen=True)
class Decision(Generic[T]):
    winners: tuple[T, ...]  # the contenders given a place, best first
    decided_by: str | None  # the criterion that settled it; None if it stays unresolved
    unresolved: tuple[T, ...]  # still tied for the places left, when decided_by is None


def break_tie(
    contenders: Sequence[T], places: int, criteria: Sequence[Criterion[T]]
) -> Decision[T]:
    """Give `places` places among tied `contenders` (more of them than places), criterion by
    criterion: at each one, whole groups that fit are in, the group that straddles what is left
    goes on to the next criterion."""
    winners: list[T] = []
    remaining = list(contenders)
    for name, key in criteria:
        values = sorted({key(c) for c in remaining}, reverse=True)
        straddling: list[T] = []
        for value in values:
            group = [c for c in remaining if key(c) == value]
            if len(group) <= places - len(winners):
                winners.extend(group)
            else:
                straddling = group
                break
        if len(winners) == places:
            return Decision(tuple(winners), name, ())
        remaining = straddling
    return Decision(tuple(winners), None, tuple(remaining))


@dataclass(frozen=True)
class Tie:
    """A tie the allocation had to break, as the seats document shows it."""

    kind: str  # "seat" (equal quotients), "candidate" (equal votes in a party), "dpd"
    seats: tuple[int, ...]  # seat numbers at stake (kind seat) or how many places (one item)
    figure: float  # the equal quotient or vote count
    between: tuple[dict[str, int], ...]  # the tied contenders
    rule: str  # the provision that decides it
    decided_by: str | None  # the criterion that settled it, None when unresolved
    winners: tuple[dict[str, int], ...]
    party: int | None = None  # kind candidate: whose candidates

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            **({"party": self.party} if self.party is not None else {}),
            "seats": list(self.seats),
            "figure": self.figure,
            "between": [dict(b) for b in self.between],
            "rule": self.rule,
            "resolved": self.decided_by is not None,
            "decided_by": self.decided_by,
            "winners": [dict(w) for w in self.winners],
        }
