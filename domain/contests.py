"""Contests: what is being elected, over which region, and by which winner rule (a legislative
contest: by seats, over its districts; domain.md 3a)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from domain.codes import NATION, PLENARY_TIERS, TIER_ORDER, Tier, ancestors, is_within, tier_of
from domain.errors import ErrorList, FieldError


class ContestKind(StrEnum):
    PRESIDEN = "presiden"
    GUBERNUR = "gubernur"
    BUPATI = "bupati"
    WALIKOTA = "walikota"
    DPR = "dpr"
    DPD = "dpd"
    DPRD_PROVINSI = "dprd_provinsi"
    DPRD_KABKOTA = "dprd_kabkota"

    @property
    def is_pilkada(self) -> bool:
        return self in (ContestKind.GUBERNUR, ContestKind.BUPATI, ContestKind.WALIKOTA)

    @property
    def is_legislative(self) -> bool:
        return self in LEGISLATIVE

    @property
    def by_party(self) -> bool:
        """Its ballot lists parties with their candidates (DPR, DPRD; not DPD)."""
        return self.is_legislative and self is not ContestKind.DPD

    @property
    def title(self) -> str:
        """What the election is called on its forms, before the region's name."""
        return {
            ContestKind.PRESIDEN: "Pemilihan Presiden dan Wakil Presiden",
            ContestKind.GUBERNUR: "Pemilihan Gubernur dan Wakil Gubernur",
            ContestKind.BUPATI: "Pemilihan Bupati dan Wakil Bupati",
            ContestKind.WALIKOTA: "Pemilihan Wali Kota dan Wakil Wali Kota",
            ContestKind.DPR: "Pemilihan Umum Anggota DPR",
            ContestKind.DPD: "Pemilihan Umum Anggota DPD",
            ContestKind.DPRD_PROVINSI: "Pemilihan Umum Anggota DPRD Provinsi",
            ContestKind.DPRD_KABKOTA: "Pemilihan Umum Anggota DPRD Kabupaten/Kota",
        }[self]

    @property
    def scope_tier(self) -> Tier:
        return {
            ContestKind.PRESIDEN: Tier.NASIONAL,
            ContestKind.GUBERNUR: Tier.PROVINSI,
            ContestKind.BUPATI: Tier.KABKOTA,
            ContestKind.WALIKOTA: Tier.KABKOTA,
            ContestKind.DPR: Tier.NASIONAL,
            ContestKind.DPD: Tier.NASIONAL,
            ContestKind.DPRD_PROVINSI: Tier.PROVINSI,
            ContestKind.DPRD_KABKOTA: Tier.KABKOTA,
        }[self]


LEGISLATIVE = frozenset(
    {ContestKind.DPR, ContestKind.DPD, ContestKind.DPRD_PROVINSI, ContestKind.DPRD_KABKOTA}
)


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
class District:
    """An electoral district (dapil) of a legislative contest: the regions it is made of and its
    ballot: each party's numbered candidates (`lists`), or individuals (DPD)."""

    code: str
    name: str
    seats: int
    regions: tuple[str, ...]
    lists: tuple[tuple[int, tuple[Candidate, ...]], ...] = ()
    individuals: tuple[Candidate, ...] = ()

    @cached_property
    def ballot(self) -> dict[str, list[str]]:
        """Party key -> its candidates' keys, as a form's section IV lists them."""
        return {str(p): [str(c.number) for c in listed] for p, listed in self.lists}

    @property
    def candidate_keys(self) -> list[str]:
        return [str(c.number) for c in self.individuals]

    def names(self) -> dict[tuple[int | None, int], str]:
        """(party or None, candidate) -> name."""
        found: dict[tuple[int | None, int], str] = {
            (None, c.number): c.name for c in self.individuals
        }
        for party, listed in self.lists:
            found.update({(party, c.number): c.name for c in listed})
        return found

    def to_dict(self) -> dict[str, Any]:
        def listed(candidates: tuple[Candidate, ...]) -> list[dict[str, Any]]:
            return [{"number": c.number, "name": c.name} for c in candidates]

        return {
            "code": self.code,
            "name": self.name,
            "seats": self.seats,
            "regions": list(self.regions),
            "candidates": (
                {str(p): listed(c) for p, c in self.lists}
                if self.lists or not self.individuals
                else listed(self.individuals)
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> District:
        candidates = data.get("candidates") or {}

        def listed(items: list[dict[str, Any]]) -> tuple[Candidate, ...]:
            return tuple(Candidate(c["number"], c["name"]) for c in items)

        if isinstance(candidates, list):
            lists: tuple[tuple[int, tuple[Candidate, ...]], ...] = ()
            individuals = listed(candidates)
        else:
            lists = tuple((int(p), listed(c)) for p, c in candidates.items())
            individuals = ()
        return cls(
            data["code"], data["name"], data["seats"], tuple(data["regions"]), lists, individuals
        )


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
    parties: tuple[Candidate, ...] = ()  # legislative: the parties by ballot number
    districts: tuple[District, ...] = ()
    threshold: float = 0.0  # percent of the contest's valid votes a party needs for a seat

    @property
    def is_legislative(self) -> bool:
        return self.kind.is_legislative

    @cached_property
    def _district_by_region(self) -> dict[str, District]:
        return {code: d for d in self.districts for code in d.regions}

    @cached_property
    def _districts_under(self) -> dict[str, frozenset[str]]:
        """Region -> the districts made of regions strictly inside it."""
        found: dict[str, set[str]] = {}
        for d in self.districts:
            for code in d.regions:
                for above in ancestors(code):
                    found.setdefault(above, set()).add(d.code)
        return {code: frozenset(ds) for code, ds in found.items()}

    def district_of(self, code: str) -> District | None:
        """The district a TPS (or a region) lies in, from its code: at most five look-ups."""
        by_region = self._district_by_region
        for length in (len(code), 10, 6, 4, 2):
            if length <= len(code):
                found = by_region.get(code[:length])
                if found is not None:
                    return found
        return by_region.get(NATION)

    def district_inside(self, region: str) -> District | None:
        """The one district holding every TPS of `region`, None where it spans several."""
        found = self.district_of(region)
        if found is not None:
            return found
        under = self._districts_under.get(region, frozenset())
        return self.district(next(iter(under))) if len(under) == 1 else None

    def districts_under(self, region: str) -> list[District]:
        """The districts holding TPS of `region`, in the contest's order."""
        inside = self.district_of(region)
        if inside is not None:
            return [inside]
        under = self._districts_under.get(region, frozenset())
        return [d for d in self.districts if d.code in under]

    def covers(self, code: str) -> bool:
        """`code` holds TPS of this contest: inside its region and, for a legislative contest,
        in one of its districts (the DPD's leave the overseas TPS out)."""
        if not is_within(code, self.region):
            return False
        return not self.is_legislative or bool(self.districts_under(code))

    def district(self, code: str) -> District | None:
        return next((d for d in self.districts if d.code == code), None)

    @property
    def candidate_keys(self) -> list[str]:
        return [str(c.number) for c in self.candidates]

    @property
    def plenary_tiers(self) -> list[Tier]:
        """The tiers that hold a plenary for this contest, lowest first."""
        top = TIER_ORDER.index(tier_of(self.region))
        return [t for t in PLENARY_TIERS if TIER_ORDER.index(t) >= top]

    def to_dict(self) -> dict[str, Any]:
        legislative: dict[str, Any] = {}
        if self.is_legislative:
            legislative = {
                "threshold": self.threshold,
                "parties": [{"number": p.number, "name": p.name} for p in self.parties],
                "districts": [d.to_dict() for d in self.districts],
            }
        return {
            "id": self.contest_id,
            "kind": self.kind.value,
            "region": self.region,
            "winner_rule": self.winner_rule.value,
            "name": self.name,
            "candidates": [{"number": c.number, "name": c.name} for c in self.candidates],
            "dispute_window_hours": self.dispute_window_hours,
            **legislative,
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
            parties=tuple(Candidate(p["number"], p["name"]) for p in data.get("parties", ())),
            districts=tuple(District.from_dict(d) for d in data.get("districts", ())),
            threshold=data.get("threshold", 0.0),
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
    if contest.is_legislative:
        return errors.errors  # its districts: domain/legislative.py
    if not contest.candidates:
        errors.add("candidates", "a contest of paslon needs at least one pair")
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
