"""Winner rules of domain.md section 3."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.contests import WinnerRule
from domain.winner import (
    VerdictStatus,
    decide,
    majority_runoff,
    plurality,
    presidential,
    single_candidate,
)

JAKARTA_2024 = {1: 1_718_160, 2: 459_230, 3: 2_183_239}


def test_jakarta_2024_pramono_rano_wins_outright_with_50_07_percent() -> None:
    verdict = majority_runoff(JAKARTA_2024)
    assert verdict.status is VerdictStatus.DECIDED and verdict.candidates == (3,)
    assert "50.07%" in verdict.detail


def test_majority_short_of_half_goes_to_a_runoff_of_the_top_two() -> None:
    verdict = majority_runoff({1: 40, 2: 35, 3: 25})
    assert verdict.status is VerdictStatus.RUNOFF and verdict.candidates == (1, 2)


def test_exactly_half_is_not_more_than_half() -> None:
    assert majority_runoff({1: 50, 2: 50}).status is VerdictStatus.RUNOFF
    assert single_candidate({0: 50, 1: 50}).candidates == (0,)


def test_plurality_gives_the_most_votes_and_leaves_a_tie_pending() -> None:
    assert plurality({1: 30, 2: 45, 3: 25}).candidates == (2,)
    tie = plurality({1: 40, 2: 40, 3: 20})
    assert tie.status is VerdictStatus.PENDING and tie.candidates == (1, 2)


def test_presidential_needs_half_nationally_and_20_percent_in_more_than_half_the_provinces() -> (
    None
):
    national = {1: 600, 2: 400}
    strong = {"11": {1: 30, 2: 70}, "12": {1: 25, 2: 75}, "13": {1: 90, 2: 10}}
    assert presidential(national, strong).status is VerdictStatus.DECIDED
    weak = {"11": {1: 10, 2: 90}, "12": {1: 15, 2: 85}, "13": {1: 95, 2: 5}}
    verdict = presidential(national, weak)
    assert verdict.status is VerdictStatus.RUNOFF and verdict.candidates == (1, 2)
    assert verdict.facts == {"provinces": 3, "provinces_with_20_percent": 1}


def test_presidential_2024_prabowo_gibran_wins_in_one_round() -> None:
    national = {1: 40_971_906, 2: 96_214_691, 3: 27_040_878}
    provinces = {f"p{i}": {1: 30, 2: 60, 3: 10} for i in range(36)}
    provinces |= {"11": {1: 73, 2: 24, 3: 3}, "13": {1: 57, 2: 40, 3: 3}}
    verdict = presidential(national, provinces)
    assert verdict.status is VerdictStatus.DECIDED and verdict.candidates == (2,)


def test_the_real_2024_figures_give_58_59_percent_and_20_percent_in_38_of_38_provinces() -> None:
    rows = (Path(__file__).parent.parent / "data" / "pilpres2024-provinces.csv").read_text()
    by_province = {
        code: {1: int(a), 2: int(b), 3: int(c)}
        for code, a, b, c in (line.split(",") for line in rows.splitlines()[1:] if line)
    }
    assert len(by_province) == 39 and "99" in by_province  # the overseas units are a row
    national = {n: sum(p[n] for p in by_province.values()) for n in (1, 2, 3)}
    assert national == {1: 40_971_906, 2: 96_214_691, 3: 27_040_878}
    verdict = presidential(national, by_province)
    assert verdict.status is VerdictStatus.DECIDED and verdict.candidates == (2,)
    assert verdict.facts == {"provinces": 38, "provinces_with_20_percent": 38}
    assert verdict.detail == "58.59% nationally and at least 20% in 38 of 38 provinces"


def test_the_overseas_units_never_count_as_a_province_for_the_20_percent_rule() -> None:
    national = {1: 520, 2: 480}
    # the leader has 20% in one of two provinces: not more than half, whatever happens abroad
    provinces = {"11": {1: 300, 2: 100}, "12": {1: 10, 2: 190}, "99": {1: 210, 2: 190}}
    verdict = presidential(national, provinces)
    assert verdict.status is VerdictStatus.RUNOFF
    assert verdict.facts == {"provinces": 2, "provinces_with_20_percent": 1}


def test_a_single_pair_needs_more_than_half_against_the_empty_column() -> None:
    assert single_candidate({1: 51, 0: 49}).candidates == (1,)
    lost = single_candidate({1: 42, 0: 58})  # Pangkalpinang 2024: the empty column won
    assert lost.status is VerdictStatus.DECIDED and lost.candidates == (0,)


def test_no_verdict_is_final_before_the_count_is_complete() -> None:
    verdict = decide(WinnerRule.MAJORITY_RUNOFF, JAKARTA_2024, complete=False)
    assert verdict.status is VerdictStatus.PENDING and verdict.candidates == (3,)
    assert decide(WinnerRule.MAJORITY_RUNOFF, {1: 0, 2: 0}, complete=True).status is (
        VerdictStatus.PENDING
    )


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.integers(1, 5), st.integers(0, 10_000), min_size=2, max_size=5))
def test_a_decided_majority_winner_always_has_more_than_half(votes: dict[int, int]) -> None:
    verdict = majority_runoff(votes)
    valid = sum(votes.values())
    if verdict.status is VerdictStatus.DECIDED:
        assert 2 * votes[verdict.candidates[0]] > valid
    elif verdict.status is VerdictStatus.RUNOFF:
        assert len(verdict.candidates) == 2
        assert all(2 * v <= valid for v in votes.values())
        assert (
            min(votes[c] for c in verdict.candidates)
            >= max(v for c, v in votes.items() if c not in verdict.candidates)
            if len(votes) > 2
            else True
        )
