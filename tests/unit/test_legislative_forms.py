"""Generated legislative forms (bench/legislative*.py): exact DPR sums, consistent forms."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import ballots, legislative, legislative_regional
from service.data.legislative2024 import contests, source

SMALL_DAPIL = ("6501", "9401")  # Kalimantan Utara; Papua Tengah, the tightest


@pytest.mark.parametrize("dapil", SMALL_DAPIL)
def test_a_dapils_forms_sum_to_its_published_votes_exactly_and_keep_every_rule(dapil: str) -> None:
    sums: Counter[int] = Counter()
    count = 0
    for _, forms in legislative.dapil_forms(dapil):
        for f in forms:
            count += 1
            assert ballots.rule_breaches(f.form) == [], f.tps
            assert set(f.form["votes"]) == {str(p) for p in source.dpr_votes()[dapil]}
            for party, box in f.form["votes"].items():
                sums[int(party)] += box["total"]
    assert dict(sums) == source.dpr_votes()[dapil]
    assert count == legislative.dpr_plan(dapil).tps


def test_the_tightest_dapil_fits_its_ballots_by_giving_up_invalid_votes() -> None:
    plan = legislative.dpr_plan("9401")  # more valid votes than generated DPT: 101.5 %
    assert plan.valid > plan.dpt and plan.load <= 1
    assert plan.invalid_rate == 0.0
    roomy = legislative.dpr_plan("6501")
    assert 0.04 <= roomy.invalid_rate <= 0.16


def test_the_same_seed_gives_the_same_forms_and_another_seed_others() -> None:
    first = next(legislative.dapil_forms("6501", seed=1))[1][:5]
    again = next(legislative.dapil_forms("6501", seed=1))[1][:5]
    other = next(legislative.dapil_forms("6501", seed=2))[1][:5]
    assert [f.form for f in first] == [f.form for f in again]
    assert [f.form for f in first] != [f.form for f in other]


def test_a_few_candidates_take_most_of_a_partys_votes_and_number_one_does_well() -> None:
    by_candidate: Counter[tuple[int, str]] = Counter()
    for _, forms in legislative.dapil_forms("7501"):
        for f in forms:
            for party, box in f.form["votes"].items():
                for number, votes in box["candidates"].items():
                    by_candidate[(int(party), number)] += votes
    firsts, leaders = 0, 0
    for party in source.dpr_votes()["7501"]:
        votes = sorted((v for (p, _), v in by_candidate.items() if p == party), reverse=True)
        leaders += sum(votes[:2]) > 0.5 * sum(votes)
        ranked = sorted(((v, n) for (p, n), v in by_candidate.items() if p == party), reverse=True)
        firsts += "1" in [n for _, n in ranked[:2]]
    assert leaders >= 12 and firsts >= 9  # of 18 parties


def test_dpd_forms_count_the_provinces_candidates_and_keep_every_rule() -> None:
    candidates = {str(c.number) for c in source.dpd_candidates()["65"]}
    totals: Counter[str] = Counter()
    for kecamatan, forms in legislative_regional.dpd_kecamatan_forms(["65"]):
        assert kecamatan.startswith("65")
        for f in forms:
            assert ballots.rule_breaches(f.form) == [], f.tps
            assert set(f.form["votes"]) == candidates
            totals.update(f.form["votes"])
    leaders = [v for _, v in totals.most_common()]
    assert sum(leaders[:4]) > sum(leaders) / 3  # a few well-known names far ahead


def test_dprd_forms_carry_the_ballot_of_the_tps_dapil_and_keep_every_rule() -> None:
    contest = contests.dprd_kabkota_contest("1101")  # Aceh Selatan: local parties on the ballot
    owner = {code: d for d in contest["districts"] for code in d["regions"]}
    seen_local = False
    for _, forms in legislative_regional.dprd_kecamatan_forms(contest):
        for f in forms:
            assert ballots.rule_breaches(f.form) == [], f.tps
            district = owner.get(f.tps[:10]) or owner[f.tps[:6]]
            assert f.form["votes"].keys() == district["candidates"].keys()
            for party, box in f.form["votes"].items():
                assert box["candidates"].keys() == {
                    str(c["number"]) for c in district["candidates"][party]
                }
            seen_local |= f.form["votes"]["21"]["total"] > 0
    assert seen_local


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 999), st.lists(st.floats(0, 10), min_size=1, max_size=12))
def test_a_split_always_adds_up_to_the_whole(total: int, weights: list[float]) -> None:
    parts = ballots.split(total, ballots.profile(weights))
    assert sum(parts) == total and all(p >= 0 for p in parts) and len(parts) == len(weights)
