"""The C.Hasil rules R1-R11: each reports the fields at fault and its severity."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.contests import ContestKind
from domain.errors import InvalidInput
from domain.form import flatten, parse_form, unflatten
from domain.rules import Severity, ballot_allowance, check_form
from tests.factories import pilkada_form

CANDIDATES = ["1", "2", "3"]


def rules_broken(doc: dict[str, Any]) -> list[str]:
    return [a.rule for a in check_form(parse_form(doc, ContestKind.GUBERNUR, CANDIDATES))]


@pytest.fixture
def form() -> dict[str, Any]:
    return pilkada_form(250, {"1": 50, "2": 40, "3": 30})


def test_a_consistent_form_has_no_anomaly(form: dict[str, Any]) -> None:
    assert rules_broken(form) == []


def test_r1_a_split_row_whose_total_is_not_men_plus_women(form: dict[str, Any]) -> None:
    form["disabled_voted"]["j"] += 1
    anomalies = check_form(parse_form(form, ContestKind.GUBERNUR, CANDIDATES))
    assert [(a.rule, a.severity) for a in anomalies] == [("R1", Severity.HARD)]
    assert anomalies[0].fields == ("disabled_voted.l", "disabled_voted.p", "disabled_voted.j")


def test_r2_voter_lists_that_do_not_add_up_to_the_total_row(form: dict[str, Any]) -> None:
    form["voted"]["dptb"] = {"l": 2, "p": 1, "j": 3}
    form["registered"]["dptb"] = {"l": 2, "p": 1, "j": 3}
    assert set(rules_broken(form)) == {"R2"}


def test_r3_more_voters_from_the_dpt_than_registered_on_it(form: dict[str, Any]) -> None:
    form["registered"]["dpt"] = {"l": 50, "p": 50, "j": 100}
    assert "R3" in rules_broken(form)


def test_r4_candidate_votes_that_do_not_add_up_to_valid_votes(form: dict[str, Any]) -> None:
    form["votes"]["1"] = 650  # the 2024 misread: 652 for 152
    anomalies = check_form(parse_form(form, ContestKind.GUBERNUR, CANDIDATES))
    assert [a.rule for a in anomalies] == ["R4"]
    assert anomalies[0].fields == ("votes.1", "votes.2", "votes.3", "valid")
    assert "720" in anomalies[0].message and "120" in anomalies[0].message


def test_r5_valid_plus_invalid_is_not_the_total(form: dict[str, Any]) -> None:
    form["invalid"] += 1
    assert rules_broken(form) == ["R5"]


def test_r6_total_votes_differ_from_ballots_used(form: dict[str, Any]) -> None:
    form["ballots"]["used"] += 1
    form["ballots"]["unused"] -= 1
    assert rules_broken(form) == ["R6", "R7"]


def test_r7_ballots_used_differ_from_voters(form: dict[str, Any]) -> None:
    form["voted"]["dpt"] = {"l": 60, "p": 58, "j": 118}
    form["voted"]["total"] = {"l": 60, "p": 60, "j": 120}
    assert rules_broken(form) == ["R7"]


def test_r8_ballots_received_are_not_accounted_for(form: dict[str, Any]) -> None:
    form["ballots"]["unused"] += 3
    assert rules_broken(form) == ["R8"]


def test_r9_more_ballots_than_dpt_and_reserve_is_soft(form: dict[str, Any]) -> None:
    allowance = ballot_allowance(250)
    assert allowance == 255
    form["ballots"]["received"] = allowance + 10
    form["ballots"]["unused"] += 10
    anomalies = check_form(parse_form(form, ContestKind.GUBERNUR, CANDIDATES))
    assert [(a.rule, a.severity) for a in anomalies] == [("R9", Severity.SOFT)]


def test_r10_more_disabled_voters_than_voters_is_soft() -> None:
    form = pilkada_form(250, {"1": 1, "2": 0, "3": 0}, invalid=0, dpph=0, dptb=0)
    form["disabled_voted"] = {"l": 1, "p": 1, "j": 2}
    anomalies = check_form(parse_form(form, ContestKind.GUBERNUR, CANDIDATES))
    assert [(a.rule, a.severity) for a in anomalies] == [("R10", Severity.SOFT)]


def test_r11_a_box_over_999_or_negative_cannot_be_a_c_hasil(form: dict[str, Any]) -> None:
    form["votes"]["1"] = 1000
    form["invalid"] = -1
    with pytest.raises(InvalidInput) as caught:
        parse_form(form, ContestKind.GUBERNUR, CANDIDATES)
    assert {(e.field, e.message[:3]) for e in caught.value.errors} == {
        ("form.votes.1", "R11"),
        ("form.invalid", "R11"),
    }


def test_unknown_candidates_missing_sections_and_foreign_lists_are_refused(
    form: dict[str, Any],
) -> None:
    form["votes"]["9"] = 1
    del form["ballots"]
    form["voted"]["dpk"] = {"l": 0, "p": 0, "j": 0}  # a Pemilu list on a Pilkada form
    with pytest.raises(InvalidInput) as caught:
        parse_form(form, ContestKind.GUBERNUR, CANDIDATES)
    assert {e.field for e in caught.value.errors} == {
        "form.votes.9",
        "form.ballots",
        "form.voted.dpk",
    }


def test_a_pemilu_form_uses_the_pemilu_list_names() -> None:
    doc = pilkada_form(250, {"1": 5, "2": 5, "3": 5})
    with pytest.raises(InvalidInput) as caught:
        parse_form(doc, ContestKind.PRESIDEN, CANDIDATES)
    fields = {e.field for e in caught.value.errors}
    assert {"form.registered.dpph", "form.voted.dpk"} <= fields


def test_booleans_and_strings_are_not_numbers(form: dict[str, Any]) -> None:
    form["valid"] = True
    form["invalid"] = "2"
    with pytest.raises(InvalidInput) as caught:
        parse_form(form, ContestKind.GUBERNUR, CANDIDATES)
    assert {e.field for e in caught.value.errors} == {"form.valid", "form.invalid"}


def test_flatten_and_unflatten_are_inverse(form: dict[str, Any]) -> None:
    assert unflatten(flatten(form)) == form
    assert flatten(form)["voted.total.j"] == form["voted"]["total"]["j"]


@st.composite
def consistent_forms(draw: st.DrawFn) -> dict[str, Any]:
    dpt = draw(st.integers(10, 600))
    votes = {k: draw(st.integers(0, dpt // 4)) for k in CANDIDATES}
    invalid = draw(st.integers(0, 3))
    return pilkada_form(dpt, votes, invalid=invalid, dpph=0, dptb=0)


@settings(max_examples=60, deadline=None)
@given(
    consistent_forms(),
    st.sampled_from(["votes.1", "valid", "invalid", "ballots.unused"]),
    st.integers(1, 50),
)
def test_changing_one_box_of_a_consistent_form_always_breaks_a_hard_rule(
    form: dict[str, Any], field: str, delta: int
) -> None:
    assert rules_broken(form) == []
    flat = flatten(form)
    flat[field] = min(flat[field] + delta, 999)
    if flat[field] == flatten(form)[field]:
        return
    broken = check_form(parse_form(unflatten(flat), ContestKind.GUBERNUR, CANDIDATES))
    assert any(a.severity is Severity.HARD for a in broken)


@settings(max_examples=60, deadline=None)
@given(consistent_forms())
def test_rules_never_fail_on_a_valid_form_and_are_deterministic(form: dict[str, Any]) -> None:
    once = rules_broken(copy.deepcopy(form))
    assert once == rules_broken(form) == []
