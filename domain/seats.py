"""Seats of a legislative contest from its figures (domain.md section 3a), as pure functions.

The law, UU 7/2017 (Pemilu):
- art. 414(1): a party needs at least 4% of the national valid votes to take part in the
  allocation of DPR seats; art. 414(2): every party takes part for DPRD provinsi and kab/kota.
- art. 415(1): a party below that threshold is left out of the DPR seat count in every dapil;
  art. 415(2)-(3): each party's valid votes are divided by 1 and then the odd numbers 3, 5, 7, ...
  (pure Sainte-Lague, no modified first divisor).
- art. 420: the quotients are ranked; the highest takes the first seat, the next the second, and so
  on until the dapil's seats are used up.
- art. 422: a party's seats in a dapil go to its candidates with the most votes there (PKPU 6/2024
  adds: if none of them got a vote, by ballot number).
- art. 423(1): DPD, the four candidates with the most votes in the province; art. 423(2): a tie
  for the fourth goes to the candidate whose voters are spread more evenly over the province's
  kab/kota.
Ties: see domain/ties.py. Equal quotients for the last seats: art. 415 and 420 give no rule; the
seat goes by the wider spread of the parties' votes, tier by tier, as the previous law said it in
so many words (UU 8/2012 art. 213) and as domain.md 3a requires; otherwise it stays unresolved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from domain.ties import Spread, Tie, break_tie, spread_criteria

DPR_THRESHOLD_PERCENT = 4.0  # UU 7/2017 art. 414(1)
DPD_SEATS = 4  # UU 7/2017 art. 423(1): the four with the most votes per province

RULE_SEAT_TIE = (
    "equal quotients for the last seats (UU 7/2017 art. 415, 420 give no rule): the wider spread "
    "of the party's votes over the dapil, by kab/kota, kecamatan, desa, TPS (UU 8/2012 art. 213)"
)
RULE_CANDIDATE_TIE = (
    "equal votes for a party's last seat (UU 7/2017 art. 422; PKPU 6/2024): the wider spread of "
    "the candidate's votes by kab/kota, kecamatan, desa, TPS; then a woman; then ballot number"
)
RULE_NO_VOTES = "none of the party's candidates got a vote (PKPU 6/2024): by ballot number"
RULE_DPD_TIE = (
    "equal votes for the fourth DPD seat (UU 7/2017 art. 423(2)): the candidate whose votes are "
    "spread over more of the province's kab/kota"
)
RULE_SHORT_LIST = "the party won more seats than it has candidates (UU 7/2017 art. 422)"


@dataclass(frozen=True)
class CandidateFigures:
    number: int  # ballot number in the district (nomor urut)
    votes: int
    name: str = ""
    spread: Spread = ()  # see domain.ties.spread_of
    woman: bool | None = None  # the tie-break prefers a woman; None when unknown


@dataclass(frozen=True)
class PartyFigures:
    number: int
    votes: int  # the party's total in the district: party-only votes plus its candidates'
    spread: Spread = ()
    candidates: tuple[CandidateFigures, ...] = ()


@dataclass(frozen=True)
class DistrictFigures:
    code: str
    seats: int
    parties: tuple[PartyFigures, ...] = ()
    candidates: tuple[CandidateFigures, ...] = ()  # DPD: individual candidates, no parties


@dataclass(frozen=True)
class Quotient:
    seat: int
    party: int
    divisor: int
    votes: int

    def to_dict(self) -> dict[str, Any]:
        quotient = float(Fraction(self.votes, self.divisor))
        return {
            "seat": self.seat,
            "party": self.party,
            "divisor": self.divisor,
            "quotient": quotient,
        }


@dataclass(frozen=True)
class Elected:
    candidate: int
    name: str
    votes: int
    party: int | None = None  # None for DPD

    def to_dict(self) -> dict[str, Any]:
        head = {} if self.party is None else {"party": self.party}
        return {**head, "candidate": self.candidate, "name": self.name, "votes": self.votes}


@dataclass(frozen=True)
class DistrictSeats:
    code: str
    seats: int
    allocation: dict[int, int]  # party (DPD: candidate) -> seats won
    quotients: tuple[Quotient, ...]  # in the order the seats were given
    elected: tuple[Elected, ...]
    ties: tuple[Tie, ...]
    undecided: int  # seats no one won yet: an unresolved tie, or no votes at all

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "seats": self.seats,
            "allocation": {str(k): v for k, v in sorted(self.allocation.items())},
            "quotients": [q.to_dict() for q in self.quotients],
            "elected": [e.to_dict() for e in self.elected],
            "ties": [t.to_dict() for t in self.ties],
            "undecided": self.undecided,
        }


@dataclass(frozen=True)
class Threshold:
    percent: float
    votes: float  # percent of the national valid votes
    qualified: tuple[int, ...]  # the parties at or above it

    def to_dict(self) -> dict[str, Any]:
        return {"percent": self.percent, "votes": self.votes, "qualified": list(self.qualified)}


@dataclass(frozen=True)
class SeatResult:
    threshold: Threshold | None  # None for DPD
    seats: dict[str, int]  # party number (DPD: district code) -> seats won
    districts: tuple[DistrictSeats, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold.to_dict() if self.threshold else None,
            "seats": dict(self.seats),
            "districts": [d.to_dict() for d in self.districts],
        }


def threshold(
    districts: Sequence[DistrictFigures], percent: float, national_valid: int | None = None
) -> Threshold:
    """Who passes `percent` of the national valid votes (art. 414(1)): the valid votes are the
    sum of the parties' totals unless `national_valid` gives the officially recapped figure."""
    totals: Counter[int] = Counter()
    for district in districts:
        for party in district.parties:
            totals[party.number] += party.votes
    valid = sum(totals.values()) if national_valid is None else national_valid
    share = Fraction(str(percent))
    # "At least" the threshold (paling sedikit): votes * 100 >= percent * valid, in exact numbers.
    qualified = tuple(p for p in sorted(totals) if totals[p] * 100 >= share * valid)
    return Threshold(float(percent), float(share * valid / 100), qualified)


def allocate(
    districts: Sequence[DistrictFigures],
    threshold_percent: float,
    national_valid: int | None = None,
) -> SeatResult:
    """The seats of a DPR or DPRD contest: the threshold, then each district on its own."""
    passed = threshold(districts, threshold_percent, national_valid)
    qualified = set(passed.qualified)
    results = tuple(
        allocate_district(
            DistrictFigures(d.code, d.seats, tuple(p for p in d.parties if p.number in qualified))
        )
        for d in districts
    )
    won: Counter[int] = Counter()
    for result in results:
        won.update(result.allocation)
    seats = {str(p): won[p] for p in sorted(won) if won[p]}
    return SeatResult(passed, seats, results)


def allocate_district(district: DistrictFigures) -> DistrictSeats:
    """One district: Sainte-Lague over the parties given (art. 415, 420), then candidates."""
    _check_unique(district)
    ranked, ties, undecided = _seats_by_quotient(district)
    allocation = Counter(q.party for q in ranked)
    elected: list[Elected] = []
    by_number = {p.number: p for p in district.parties}
    for number in sorted(allocation, key=lambda n: min(q.seat for q in ranked if q.party == n)):
        party_elected, party_ties = _candidates_elected(by_number[number], allocation[number])
        elected.extend(party_elected)
        ties.extend(party_ties)
    return DistrictSeats(
        district.code,
        district.seats,
        dict(allocation),
        tuple(ranked),
        tuple(elected),
        tuple(ties),
        undecided,
    )


def elect_dpd(districts: Sequence[DistrictFigures]) -> SeatResult:
    """DPD: the four (district.seats) candidates with the most votes per province (art. 423)."""
    results = tuple(_dpd_district(d) for d in districts)
    seats = {r.code: sum(r.allocation.values()) for r in results}
    return SeatResult(None, seats, results)


def _seats_by_quotient(district: DistrictFigures) -> tuple[list[Quotient], list[Tie], int]:
    """The seats in the order given, the tie at the last seats if any, and seats left undecided.

    A party without a vote takes no part: a quotient of 0 wins nothing (and a district with no
    votes yet has every seat undecided, not tied)."""
    entries = [
        (Fraction(p.votes, d), p, d)
        for p in district.parties
        if p.votes > 0
        for d in range(1, 2 * district.seats, 2)
    ]
    if district.seats <= 0 or not entries:
        return [], [], max(district.seats, 0)
    entries.sort(key=lambda e: (-e[0], *(-s for s in e[1].spread), e[1].number))
    boundary = entries[district.seats - 1][0]
    above = [e for e in entries if e[0] > boundary]
    at = [e for e in entries if e[0] == boundary]
    places = district.seats - len(above)
    given, ties = above + at[:places], []
    if len(at) > places:
        decision = break_tie(at, places, spread_criteria(lambda e: e[1].spread))
        given = above + list(decision.winners)
        ties.append(
            Tie(
                "seat",
                tuple(range(len(above) + 1, district.seats + 1)),
                float(boundary),
                tuple({"party": e[1].number, "divisor": e[2]} for e in sorted(at, key=_party_of)),
                RULE_SEAT_TIE,
                decision.decided_by,
                tuple({"party": e[1].number, "divisor": e[2]} for e in decision.winners),
            )
        )
    ranked = [Quotient(i + 1, p.number, d, p.votes) for i, (_, p, d) in enumerate(given)]
    return ranked, ties, district.seats - len(given)


def _candidates_elected(party: PartyFigures, seats: int) -> tuple[list[Elected], list[Tie]]:
    """A party's seats to its candidates with the most votes (art. 422), ties by PKPU 6/2024."""
    candidates = sorted(party.candidates, key=lambda c: (-c.votes, c.number))
    ties: list[Tie] = []
    if len(candidates) <= seats:
        # Figures without any candidate ask for the party seats only.
        if 0 < len(candidates) < seats:
            ties.append(_short_list(party, seats, len(candidates)))
        return [_elected(c, party.number) for c in candidates], ties
    if all(c.votes == 0 for c in candidates):
        chosen = sorted(candidates, key=lambda c: c.number)[:seats]
        ties.append(
            _candidate_tie(party, seats, 0, candidates, chosen, RULE_NO_VOTES, "ballot_number")
        )
        return [_elected(c, party.number) for c in chosen], ties
    boundary = candidates[seats - 1].votes
    above = [c for c in candidates if c.votes > boundary]
    at = [c for c in candidates if c.votes == boundary]
    chosen = above + at[: seats - len(above)]
    if len(at) > seats - len(above):
        criteria = spread_criteria(lambda c: c.spread)
        if all(c.woman is not None for c in at):
            criteria.append(("sex", lambda c: 1 if c.woman else 0))
        criteria.append(("ballot_number", lambda c: -c.number))
        decision = break_tie(at, seats - len(above), criteria)
        chosen = above + list(decision.winners)
        ties.append(
            _candidate_tie(
                party,
                seats,
                boundary,
                at,
                list(decision.winners),
                RULE_CANDIDATE_TIE,
                decision.decided_by,
            )
        )
    return [_elected(c, party.number) for c in chosen], ties


def _dpd_district(district: DistrictFigures) -> DistrictSeats:
    _check_unique(district)
    voted = sorted(
        (c for c in district.candidates if c.votes > 0), key=lambda c: (-c.votes, c.number)
    )
    places = min(district.seats, len(voted))
    chosen, ties = voted[:places], []
    if places and len(voted) > places and voted[places].votes == voted[places - 1].votes:
        boundary = voted[places - 1].votes
        above = [c for c in voted if c.votes > boundary]
        at = [c for c in voted if c.votes == boundary]
        decision = break_tie(at, places - len(above), spread_criteria(lambda c: c.spread, 1))
        chosen = above + list(decision.winners)
        ties.append(
            Tie(
                "dpd",
                (places - len(above),),
                float(boundary),
                tuple({"candidate": c.number} for c in at),
                RULE_DPD_TIE,
                decision.decided_by,
                tuple({"candidate": c.number} for c in decision.winners),
            )
        )
    return DistrictSeats(
        district.code,
        district.seats,
        {c.number: 1 for c in chosen},
        (),
        tuple(_elected(c, None) for c in chosen),
        tuple(ties),
        district.seats - len(chosen),
    )


def _party_of(entry: tuple[Fraction, PartyFigures, int]) -> int:
    return entry[1].number


def _elected(candidate: CandidateFigures, party: int | None) -> Elected:
    return Elected(candidate.number, candidate.name, candidate.votes, party)


def _candidate_tie(
    party: PartyFigures,
    seats: int,
    votes: int,
    between: Sequence[CandidateFigures],
    winners: Sequence[CandidateFigures],
    rule: str,
    decided_by: str | None,
) -> Tie:
    return Tie(
        "candidate",
        (seats,),
        float(votes),
        tuple({"candidate": c.number} for c in between),
        rule,
        decided_by,
        tuple({"candidate": c.number} for c in winners),
        party=party.number,
    )


def _short_list(party: PartyFigures, seats: int, listed: int) -> Tie:
    return Tie(
        "short_list",
        (seats - listed,),
        float(party.votes),
        (),
        RULE_SHORT_LIST,
        None,
        (),
        party=party.number,
    )


def _check_unique(district: DistrictFigures) -> None:
    numbers = [p.number for p in district.parties] or [c.number for c in district.candidates]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"district {district.code}: a party or candidate appears twice")
    for party in district.parties:
        listed = [c.number for c in party.candidates]
        if len(set(listed)) != len(listed):
            raise ValueError(f"district {district.code}: party {party.number} lists a number twice")
