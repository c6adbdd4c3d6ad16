"""Contests: what is being elected, over which region, and by which winner rule."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.codes import PLENARY_TIERS, TIER_ORDER, Tier, tier_of
from domain.errors import ErrorList, FieldError


class ContestKind(StrEnum):
    PRESIDEN = "presiden"
    GUBERNUR = "gubernur"
    BUPATI = "bupati"
    WALIKOTA = "walikota"

    @property
    def is_pilkada(self) -> bool:
        return self is not ContestKind.PRESIDEN

    @property
    def title(self) -> str:
        """What the election is called on its forms, before the region's name."""
        return {
            ContestKind.PRESIDEN: "Pemilihan Presiden dan Wakil Presiden",
            ContestKind.GUBERNUR: "Pemilihan Gubernur dan Wakil Gubernur",
            ContestKind.BUPATI: "Pemilihan Bupati dan Wakil Bupati",
            ContestKind.WALIKOTA: "Pemilihan Wali Kota dan Wakil Wali Kota",
        }[self]

    @property
    def scope_tier(self) -> Tier:
        return {
            ContestKind.PRESIDEN: Tier.NASIONAL,
            ContestKind.GUBERNUR: Tier.PROVINSI,
            ContestKind.BUPATI: Tier.KABKOTA,
            ContestKind.WALIKOTA: Tier.KABKOTA,
        }[self]


class WinnerRule(StrEnum):
    PLURALITY = "plurality"
    MAJORITY_RUNOFF = "majority_runoff"
    PRESIDENTIAL = "presidential"
    SINGLE_CANDIDATE = "single_candidate"


EMPTY_COLUMN = 0  # kotak kosong: the "candidate" against a single pair
# Hours after the top plenary certifies during which a dispute may reach the Constitutional Court
# (Pilkada 2020 in Solo: three days after the announcement); the determination waits them out.
DISPUTE_WINDOW_HOURS = 72


@dataclass(frozen=True)
class Candidate:
    number: int
    name: str


@dataclass(frozen=True)
class Contest:
    election_id: str
    contest_id: str
    kind: ContestKind
    region: str
    winner_rule: WinnerRule
    candidates: tuple[Candidate, ...]
    name: str = ""
    dispute_window_hours: int = DISPUTE_WINDOW_HOURS

    @property
    def candidate_keys(self) -> list[str]:
        return [str(c.number) for c in self.candidates]

    @property
    def plenary_tiers(self) -> list[Tier]:
        """The tiers that hold a plenary for this contest, lowest first."""
        top = TIER_ORDER.index(tier_of(self.region))
        return [t for t in PLENARY_TIERS if TIER_ORDER.index(t) >= top]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.contest_id,
            "kind": self.kind.value,
            "region": self.region,
            "winner_rule": self.winner_rule.value,
            "name": self.name,
            "candidates": [{"number": c.number, "name": c.name} for c in self.candidates],
            "dispute_window_hours": self.dispute_window_hours,
        }

    @classmethod
    def from_dict(cls, election_id: str, data: dict[str, Any]) -> Contest:
        return cls(
            election_id=election_id,
            contest_id=data["id"],
            kind=ContestKind(data["kind"]),
            region=data["region"],
            winner_rule=WinnerRule(data["winner_rule"]),
            candidates=tuple(Candidate(c["number"], c["name"]) for c in data["candidates"]),
            name=data.get("name", ""),
            dispute_window_hours=data.get("dispute_window_hours", DISPUTE_WINDOW_HOURS),
        )


def contest_faults(contest: Contest) -> list[FieldError]:
    """Every rule of the process a contest's definition breaks (its fields were checked as they
    were read): a region of the kind's tier, candidates numbered once, the empty column only
    against a single pair."""
    errors = ErrorList()
    if tier_of(contest.region) is not contest.kind.scope_tier:
        errors.add(
            "region", f"a {contest.kind.value} contest runs over a {contest.kind.scope_tier.value}"
        )
    numbers = [c.number for c in contest.candidates]
    for i, number in enumerate(numbers):
        if number in numbers[:i]:
            errors.add(f"candidates.{i}.number", f"ballot number {number} appears twice")
    if contest.winner_rule is WinnerRule.SINGLE_CANDIDATE:
        if sorted(set(numbers)) != [EMPTY_COLUMN, 1]:
            errors.add("candidates", "a single-candidate contest has pair 1 and the empty column 0")
    elif EMPTY_COLUMN in numbers:
        errors.add("candidates", "only a single-candidate contest has the empty column (0)")
    return errors.errors
