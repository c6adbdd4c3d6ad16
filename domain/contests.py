"""Contests: what is being elected, over which region, and by which winner rule."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.codes import PLENARY_TIERS, TIER_ORDER, Tier, normalise, tier_of
from domain.errors import ErrorList, InvalidInput


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
        )


def parse_contest(election_id: str, data: dict[str, Any]) -> Contest:
    """A contest from its API document, or InvalidInput listing every field at fault."""
    errors = ErrorList()
    contest_id = data.get("id")
    if not isinstance(contest_id, str) or not _is_slug(contest_id):
        errors.add("id", "a contest id is 1-64 letters, digits, '-' or '_'")
    kind = _enum(ContestKind, data.get("kind"), "kind", errors)
    rule = _enum(WinnerRule, data.get("winner_rule"), "winner_rule", errors)
    region = data.get("region")
    try:
        region = normalise(region)
    except InvalidInput as exc:
        errors.add("region", exc.message)
        region = None
    if kind is not None and region is not None and tier_of(region) is not kind.scope_tier:
        errors.add("region", f"a {kind.value} contest runs over a {kind.scope_tier.value}")
    candidates = _candidates(data.get("candidates"), rule, errors)
    name = data.get("name", "")
    if not isinstance(name, str):
        errors.add("name", "must be a string")
    if errors:
        raise InvalidInput("the contest is not valid", errors.errors)
    assert kind and rule and region is not None and isinstance(contest_id, str)
    return Contest(election_id, contest_id, kind, region, rule, tuple(candidates), name or "")


def _candidates(raw: object, rule: WinnerRule | None, errors: ErrorList) -> list[Candidate]:
    if not isinstance(raw, list) or not raw:
        errors.add("candidates", "a non-empty list of {number, name}")
        return []
    result, seen = [], set()
    for i, item in enumerate(raw):
        number = item.get("number") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 99:
            errors.add(f"candidates.{i}.number", "a ballot number from 0 to 99")
            continue
        if not isinstance(name, str) or not name.strip():
            errors.add(f"candidates.{i}.name", "a non-empty name")
            continue
        if number in seen:
            errors.add(f"candidates.{i}.number", f"ballot number {number} appears twice")
            continue
        seen.add(number)
        result.append(Candidate(number, name.strip()))
    if rule is WinnerRule.SINGLE_CANDIDATE and errors.errors == []:
        if sorted(seen) != [EMPTY_COLUMN, 1]:
            errors.add("candidates", "a single-candidate contest has pair 1 and the empty column 0")
    elif EMPTY_COLUMN in seen:
        errors.add("candidates", "only a single-candidate contest has the empty column (0)")
    return sorted(result, key=lambda c: c.number)


def _enum(enum: type[StrEnum], value: object, field: str, errors: ErrorList) -> Any:
    try:
        return enum(value)
    except ValueError:
        errors.add(field, f"one of {', '.join(e.value for e in enum)}")
        return None


def _is_slug(value: str) -> bool:
    return 0 < len(value) <= 64 and all(
        ch.isascii() and (ch.isalnum() or ch in "-_") for ch in value
    )
