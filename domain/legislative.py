"""Legislative contests (domain.md 3a): what their definition must be, and a TPS's ballot.

A definition is checked field by field: parties numbered once; each district with its seats,
its ballot (parties of the contest, at most as many candidates as seats; DPD: four seats in one
province, individuals) and regions that, all districts together, hold every TPS of the contest's
region exactly once (domain/districts.py). A TPS's form is read against its own district's
ballot, found from its code (Contest.district_of).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.codes import OVERSEAS, Tier, tier_of
from domain.contests import Candidate, Contest
from domain.districts import coverage_faults
from domain.errors import ErrorList, FieldError, NotFound
from domain.form import Form, parse_form
from domain.seats import DPD_SEATS


def legislative_faults(contest: Contest, tps: Iterable[str]) -> list[FieldError]:
    """Every rule a legislative contest's parties and districts break; `tps` are the TPS (or
    desa) codes of its region in the election's tree."""
    errors = ErrorList()
    if contest.candidates:
        errors.add("candidates", "a legislative contest lists its candidates in its districts")
    _numbered_once(contest.parties, "parties", errors)
    if contest.kind.by_party and not contest.parties:
        errors.add("parties", f"a {contest.kind.value} contest lists its parties")
    if not contest.kind.by_party and contest.parties:
        errors.add("parties", "DPD candidates stand as individuals: no parties")
    if not contest.districts:
        errors.add("districts", "a legislative contest has at least one district")
    known = {p.number for p in contest.parties}
    codes = [d.code for d in contest.districts]
    for i, d in enumerate(contest.districts):
        at = f"districts.{i}"
        if d.code in codes[:i]:
            errors.add(f"{at}.code", f"district {d.code} appears twice")
        if contest.kind.by_party:
            _party_ballot(d.lists, d.individuals, d.seats, known, at, errors)
        else:
            _dpd_district(d.regions, d.individuals, d.lists, d.seats, at, errors)
    if errors:
        return errors.errors
    if not contest.kind.by_party:  # overseas voters vote for President and DPR only
        tps = [code for code in tps if not code.startswith(OVERSEAS)]
    index = {d.code: i for i, d in enumerate(contest.districts)}
    for fault in coverage_faults(
        contest.region, {d.code: d.regions for d in contest.districts}, tps
    ):
        field = f"districts.{index[fault.districts[0]]}.regions" if fault.districts else "districts"
        errors.add(field, fault.message)
    return errors.errors


def _numbered_once(items: tuple[Candidate, ...], at: str, errors: ErrorList) -> None:
    numbers = [c.number for c in items]
    for i, number in enumerate(numbers):
        if number in numbers[:i]:
            errors.add(f"{at}.{i}.number", f"number {number} appears twice")


def _party_ballot(
    lists: tuple[tuple[int, tuple[Candidate, ...]], ...],
    individuals: tuple[Candidate, ...],
    seats: int,
    known: set[int],
    at: str,
    errors: ErrorList,
) -> None:
    if individuals:
        errors.add(f"{at}.candidates", "candidates are listed per party: {party: [...]}")
    for party, listed in lists:
        where = f"{at}.candidates.{party}"
        if party not in known:
            errors.add(where, f"party {party} is not one of the contest's parties")
        if len(listed) > seats:
            errors.add(where, f"{len(listed)} candidates, more than the district's {seats} seats")
        _numbered_once(listed, where, errors)


def _dpd_district(
    regions: tuple[str, ...],
    individuals: tuple[Candidate, ...],
    lists: tuple[tuple[int, tuple[Candidate, ...]], ...],
    seats: int,
    at: str,
    errors: ErrorList,
) -> None:
    if seats != DPD_SEATS:
        errors.add(f"{at}.seats", f"a DPD district elects {DPD_SEATS} (UU 7/2017 art. 196)")
    if len(regions) != 1 or tier_of(regions[0]) is not Tier.PROVINSI:
        errors.add(f"{at}.regions", "a DPD district is one province")
    if lists or not individuals:
        errors.add(f"{at}.candidates", "DPD candidates are individuals: [{number, name}]")
    _numbered_once(individuals, f"{at}.candidates", errors)


def read_form(contest: Contest, tps: str, document: Any, path: str = "form") -> Form:
    """A TPS's form read against its ballot: its district's parties and candidates for a
    legislative contest (anything else on it is 422), the contest's candidates otherwise."""
    if not contest.is_legislative:
        return parse_form(document, contest.kind, contest.candidate_keys, path)
    district = contest.district_of(tps)
    if district is None:
        raise NotFound(f"TPS {tps} lies in no district of contest {contest.contest_id}")
    if contest.kind.by_party:
        return parse_form(document, contest.kind, [], path, ballot=district.ballot)
    return parse_form(document, contest.kind, district.candidate_keys, path)


def votes_of(contest: Contest, code: str, sums: dict[str, int]) -> dict[str, int]:
    """A region's `votes` from its summed boxes: each party's total (DPR, DPRD), or each of
    its district's candidates (DPD, where the region lies inside one province; none above)."""
    if contest.kind.by_party:
        return {str(p.number): sums.get(f"votes.{p.number}.total", 0) for p in contest.parties}
    district = contest.district_inside(code)
    keys = district.candidate_keys if district is not None else []
    return {k: sums.get(f"votes.{k}", 0) for k in keys}
