"""Seat allocation of legislative contests (domain.md 3a; UU 7/2017 art. 414-423)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.seats import (
    CandidateFigures,
    DistrictFigures,
    PartyFigures,
    allocate,
    allocate_district,
    elect_dpd,
    threshold,
)
from domain.ties import spread_of

WIDE = (3, 10, 40, 90)


def district(seats: int, votes: dict[int, int], code: str = "D1") -> DistrictFigures:
    return DistrictFigures(code, seats, tuple(PartyFigures(p, v, WIDE) for p, v in votes.items()))


def test_six_seats_go_one_by_one_to_the_highest_quotients_of_odd_divisors() -> None:
    result = allocate_district(district(6, {1: 30_000, 2: 20_000, 3: 15_000, 4: 7_000, 5: 5_000}))
    assert result.allocation == {1: 2, 2: 2, 3: 1, 4: 1}
    order = [(q.party, q.divisor) for q in result.quotients]
    assert order == [(1, 1), (2, 1), (3, 1), (1, 3), (4, 1), (2, 3)]
    assert result.to_dict()["quotients"][5] == {
        "seat": 6,
        "party": 2,
        "divisor": 3,
        "quotient": 20_000 / 3,
    }
    assert result.ties == () and result.undecided == 0


def test_pure_sainte_lague_differs_from_dhondt_on_the_same_votes() -> None:
    # D'Hondt (1, 2, 3) would give the big party 3 of 4; odd divisors give it 2.
    result = allocate_district(district(4, {1: 60_000, 2: 25_000, 3: 15_000}))
    assert result.allocation == {1: 2, 2: 1, 3: 1}


def test_a_party_below_four_percent_nationally_wins_no_dpr_seat_even_where_it_is_first() -> None:
    strong_here = district(3, {1: 9_000, 2: 5_000, 3: 4_000}, "A")
    elsewhere = district(3, {1: 1_000, 2: 200_000, 3: 190_000}, "B")
    result = allocate([strong_here, elsewhere], 4.0)
    assert result.threshold is not None and result.threshold.qualified == (2, 3)
    assert result.districts[0].allocation == {2: 2, 3: 1}
    assert "1" not in result.seats


def test_exactly_four_percent_passes_the_threshold() -> None:
    passed = threshold([district(1, {1: 4, 2: 96})], 4.0)
    assert passed.qualified == (1, 2) and passed.votes == 4.0


def test_the_threshold_can_be_set_on_the_officially_recapped_national_total() -> None:
    passed = threshold([district(1, {1: 40, 2: 60})], 4.0, national_valid=1_001)
    assert passed.votes == 40.04 and passed.qualified == (2,)


def test_dprd_has_no_threshold_every_party_takes_part() -> None:
    result = allocate([district(5, {1: 1_000, 2: 30})], 0.0)
    assert result.threshold is not None and result.threshold.qualified == (1, 2)
    assert result.districts[0].allocation == {1: 5}


def test_a_partys_seats_go_to_its_candidates_with_the_most_votes() -> None:
    candidates = tuple(CandidateFigures(n, v, f"C{n}") for n, v in ((1, 5), (2, 9), (3, 8), (4, 1)))
    party = PartyFigures(7, 1_000, WIDE, candidates)
    result = allocate_district(DistrictFigures("D", 2, (party, PartyFigures(8, 300, WIDE))))
    assert result.allocation == {7: 2}
    assert [(e.party, e.candidate, e.votes) for e in result.elected] == [(7, 2, 9), (7, 3, 8)]
    assert result.ties == ()


def test_equal_candidate_votes_go_to_the_wider_spread_tier_by_tier() -> None:
    narrow = CandidateFigures(1, 50, "A", (2, 8, 30, 60))
    wide = CandidateFigures(2, 50, "B", (2, 9, 12, 20))
    party = PartyFigures(3, 500, WIDE, (narrow, wide, CandidateFigures(3, 10, "C")))
    result = allocate_district(DistrictFigures("D", 1, (party,)))
    assert [e.candidate for e in result.elected] == [2]
    (tie,) = result.ties
    assert tie.to_dict() == {
        "kind": "candidate",
        "party": 3,
        "seats": [1],
        "figure": 50.0,
        "between": [{"candidate": 1}, {"candidate": 2}],
        "rule": tie.rule,
        "resolved": True,
        "decided_by": "kecamatan",
        "winners": [{"candidate": 2}],
    }


def test_equal_votes_and_spread_go_to_a_woman_then_to_the_lower_ballot_number() -> None:
    man = CandidateFigures(1, 50, "A", WIDE, woman=False)
    woman = CandidateFigures(4, 50, "B", WIDE, woman=True)
    result = allocate_district(DistrictFigures("D", 1, (PartyFigures(3, 500, WIDE, (man, woman)),)))
    assert [e.candidate for e in result.elected] == [4]
    assert result.ties[0].decided_by == "sex"
    both_men = (man, CandidateFigures(2, 50, "C", WIDE, woman=False))
    result = allocate_district(DistrictFigures("D", 1, (PartyFigures(3, 500, WIDE, both_men),)))
    assert [e.candidate for e in result.elected] == [1]
    assert result.ties[0].decided_by == "ballot_number"


def test_no_candidate_with_a_vote_leaves_the_seat_to_the_ballot_order() -> None:
    silent = tuple(CandidateFigures(n, 0, f"C{n}") for n in (3, 1, 2))
    result = allocate_district(DistrictFigures("D", 2, (PartyFigures(5, 90, WIDE, silent),)))
    assert [e.candidate for e in result.elected] == [1, 2]
    assert result.ties[0].decided_by == "ballot_number"


def test_equal_quotients_for_the_last_seat_go_to_the_wider_spread_and_are_named() -> None:
    # 300/3 = 100/1: the third seat is contested by party 1's second quotient and party 2.
    parties = (PartyFigures(1, 300, (2, 5, 9, 20)), PartyFigures(2, 100, (2, 5, 9, 21)))
    other = PartyFigures(3, 150, WIDE)
    result = allocate_district(DistrictFigures("D", 3, (*parties, other)))
    assert result.allocation == {1: 1, 3: 1, 2: 1}
    (tie,) = result.ties
    assert tie.kind == "seat" and tie.seats == (3,) and tie.figure == 100.0
    assert tie.decided_by == "tps" and tie.winners == ({"party": 2, "divisor": 1},)
    assert tie.between == ({"party": 1, "divisor": 3}, {"party": 2, "divisor": 1})


def test_a_tie_the_spread_cannot_break_leaves_the_seat_undecided_never_picked() -> None:
    result = allocate_district(district(1, {1: 100, 2: 100}))
    assert result.allocation == {} and result.undecided == 1
    (tie,) = result.ties
    assert tie.decided_by is None and tie.winners == ()
    assert tie.to_dict()["resolved"] is False


def test_a_district_without_votes_has_every_seat_undecided_and_no_tie() -> None:
    result = allocate_district(district(4, {1: 0, 2: 0}))
    assert result.allocation == {} and result.undecided == 4 and result.ties == ()


def test_the_seats_document_has_the_shape_of_the_seats_endpoint() -> None:
    doc = allocate([district(2, {1: 70, 2: 30}, "3101")], 4.0).to_dict()
    assert doc["threshold"] == {"percent": 4.0, "votes": 4.0, "qualified": [1, 2]}
    assert doc["seats"] == {"1": 1, "2": 1}
    (d,) = doc["districts"]
    assert set(d) == {"code", "seats", "allocation", "quotients", "elected", "ties", "undecided"}
    assert d["allocation"] == {"1": 1, "2": 1}


def test_dpd_elects_the_four_with_the_most_votes_in_the_province() -> None:
    votes = {1: 500, 2: 900, 3: 100, 4: 700, 5: 650, 6: 0}
    province = DistrictFigures(
        "11", 4, candidates=tuple(CandidateFigures(n, v, f"C{n}", WIDE) for n, v in votes.items())
    )
    result = elect_dpd([province])
    assert [e.candidate for e in result.districts[0].elected] == [2, 4, 5, 1]
    assert result.seats == {"11": 4} and result.threshold is None
    assert "party" not in result.to_dict()["districts"][0]["elected"][0]


def test_a_dpd_tie_for_the_fourth_seat_goes_to_more_kab_kota_or_stays_open() -> None:
    def province(spread_a: tuple[int, ...], spread_b: tuple[int, ...]) -> DistrictFigures:
        top = tuple(CandidateFigures(n, 900 - n, f"C{n}", WIDE) for n in (1, 2, 3))
        tied = (CandidateFigures(4, 50, "A", spread_a), CandidateFigures(5, 50, "B", spread_b))
        return DistrictFigures("12", 4, candidates=top + tied)

    decided = elect_dpd([province((7, 1, 1, 1), (6, 99, 99, 99))]).districts[0]
    assert decided.allocation == {1: 1, 2: 1, 3: 1, 4: 1}
    assert decided.ties[0].decided_by == "kabkota"
    # Art. 423(2) knows only the kab/kota: more kecamatan does not decide it.
    open_ = elect_dpd([province((7, 1, 1, 1), (7, 99, 99, 99))]).districts[0]
    assert open_.undecided == 1 and open_.ties[0].decided_by is None


def test_spread_counts_the_regions_of_each_tier_that_hold_votes() -> None:
    tps = {"3171011001001", "3171011001002", "3171011002001", "3171021001001", "3172011001001"}
    assert spread_of(tps) == (2, 3, 4, 5)


# Property tests -----------------------------------------------------------------------------

spreads = st.tuples(*(st.integers(0, 3) for _ in range(4)))


@st.composite
def contests(draw: st.DrawFn) -> list[DistrictFigures]:
    count = draw(st.integers(1, 3))
    parties = draw(st.integers(2, 7))
    found = []
    for i in range(count):
        votes = draw(st.lists(st.integers(0, 5_000), min_size=parties, max_size=parties))
        figures = tuple(PartyFigures(n + 1, v, draw(spreads)) for n, v in enumerate(votes))
        found.append(DistrictFigures(f"D{i}", draw(st.integers(1, 12)), figures))
    return found


@settings(max_examples=60, deadline=None)
@given(contests(), st.sampled_from([0.0, 4.0]))
def test_a_districts_seats_always_add_up_to_its_seats(
    figures: list[DistrictFigures], percent: float
) -> None:
    result = allocate(figures, percent)
    assert result.threshold is not None
    qualified = set(result.threshold.qualified)
    for d, seats in zip(figures, result.districts, strict=True):
        assert sum(seats.allocation.values()) + seats.undecided == d.seats
        # A seat stays undecided only by an unresolved tie or for want of any vote.
        unresolved = any(t.decided_by is None for t in seats.ties)
        no_votes = all(p.votes == 0 or p.number not in qualified for p in d.parties)
        assert seats.undecided == 0 or unresolved or no_votes


@settings(max_examples=60, deadline=None)
@given(contests(), st.data())
def test_more_votes_for_a_party_never_lose_it_a_seat(
    figures: list[DistrictFigures], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(figures) - 1))
    d = figures[i]
    party = data.draw(st.sampled_from(d.parties))
    more = data.draw(st.integers(1, 3_000))
    raised = [
        DistrictFigures(
            x.code,
            x.seats,
            tuple(
                PartyFigures(p.number, p.votes + more, p.spread) if x is d and p is party else p
                for p in x.parties
            ),
        )
        for x in figures
    ]
    before = allocate(figures, 4.0).districts[i].allocation.get(party.number, 0)
    after = allocate(raised, 4.0).districts[i].allocation.get(party.number, 0)
    assert after >= before


@settings(max_examples=60, deadline=None)
@given(contests())
def test_parties_below_the_threshold_never_get_a_seat(figures: list[DistrictFigures]) -> None:
    result = allocate(figures, 4.0)
    assert result.threshold is not None
    qualified = set(result.threshold.qualified)
    for d in result.districts:
        assert set(d.allocation) <= qualified
    assert {int(p) for p in result.seats} <= qualified


@settings(max_examples=60, deadline=None)
@given(contests(), st.randoms(use_true_random=False))
def test_renumbering_the_parties_renumbers_the_result(figures: list[DistrictFigures], rnd) -> None:
    numbers = [p.number for p in figures[0].parties]
    shuffled = numbers[:]
    rnd.shuffle(shuffled)
    new = dict(zip(numbers, (n * 10 for n in shuffled), strict=True))
    renamed = [
        DistrictFigures(
            d.code,
            d.seats,
            tuple(PartyFigures(new[p.number], p.votes, p.spread) for p in d.parties),
        )
        for d in figures
    ]
    original, permuted = allocate(figures, 4.0), allocate(renamed, 4.0)
    assert permuted.threshold and original.threshold
    assert set(permuted.threshold.qualified) == {new[p] for p in original.threshold.qualified}
    assert permuted.seats == {str(new[int(p)]): s for p, s in original.seats.items()}
    for a, b in zip(original.districts, permuted.districts, strict=True):
        assert b.allocation == {new[p]: s for p, s in a.allocation.items()}
        assert b.undecided == a.undecided
        assert sorted((q.party, q.divisor) for q in b.quotients) == sorted(
            (new[q.party], q.divisor) for q in a.quotients
        )
