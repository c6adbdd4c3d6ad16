"""The real 2024 legislative contests built from the shipped data (service/data/legislative2024)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from domain.districts import coverage_faults
from domain.seats import DistrictFigures, PartyFigures, allocate
from service.data import wilayah
from service.data.legislative2024 import candidates, contests, dapil, source

OFFICIAL_VALID_2024 = 151_793_293  # Keputusan KPU 1205/2024, after the Constitutional Court
OFFICIAL_SEATS_2024 = {"3": 110, "4": 102, "2": 86, "5": 69, "1": 68, "8": 53, "12": 48, "14": 44}


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return list(contests.legislative_contests())


def desa_with_tps(scope: str) -> list[str]:
    h = wilayah.load()
    return [d for d, spec in h.tps.items() if d.startswith(scope) and wilayah.tps_count(spec)]


def test_the_2024_dpr_allocated_from_the_votes_per_dapil_is_the_official_result() -> None:
    # The threshold is set on the official national valid votes (151,793,293: 6,071,731.72
    # votes), not on the data's own sum (151,926,653, which carries a few known transcription
    # differences): the law's threshold is a share of the votes KPU certified nationally. The
    # test then shows the per-dapil figures give the official seats, and that the data's sum would
    # have let the same eight parties pass.
    seats = {d.code: d.seats for d in source.dpr_dapil()}
    figures = [
        DistrictFigures(code, seats[code], tuple(PartyFigures(p, v) for p, v in votes.items()))
        for code, votes in source.dpr_votes().items()
    ]
    result = allocate(figures, 4.0, national_valid=OFFICIAL_VALID_2024)
    assert result.threshold is not None
    assert result.threshold.votes == 6_071_731.72
    assert result.threshold.qualified == (1, 2, 3, 4, 5, 8, 12, 14)
    assert result.seats == dict(sorted(OFFICIAL_SEATS_2024.items(), key=lambda kv: int(kv[0])))
    assert sum(result.seats.values()) == 580
    assert all(not d.ties and d.undecided == 0 for d in result.districts)
    on_file_sum = allocate(figures, 4.0)
    assert on_file_sum.threshold and on_file_sum.threshold.qualified == (1, 2, 3, 4, 5, 8, 12, 14)


def test_the_dpr_contest_has_84_dapil_580_seats_and_the_real_candidate_lists() -> None:
    doc = contests.dpr_contest()
    assert (doc["id"], doc["kind"], doc["region"], doc["threshold"]) == ("dpr", "dpr", "", 4.0)
    assert [p["number"] for p in doc["parties"]] == [*range(1, 18), 24]
    assert len(doc["districts"]) == 84
    assert sum(d["seats"] for d in doc["districts"]) == 580
    assert sum(len(c) for d in doc["districts"] for c in d["candidates"].values()) == 9_917
    jakarta_2 = next(d for d in doc["districts"] if d["code"] == "3102")
    assert jakarta_2["name"] == "DKI JAKARTA II"
    assert sum(code.startswith("99") for code in jakarta_2["regions"]) == 96
    for d in doc["districts"]:
        assert 3 <= d["seats"] <= 10
        assert all(len(listed) <= d["seats"] for listed in d["candidates"].values())


def test_the_dpd_contest_has_a_district_of_four_seats_per_province() -> None:
    doc = contests.dpd_contest()
    assert len(doc["districts"]) == 38 and doc["parties"] == []
    assert all(d["seats"] == 4 and d["regions"] == [d["code"]] for d in doc["districts"])
    assert sum(len(d["candidates"]) for d in doc["districts"]) == 668


def test_there_are_38_dprd_provinsi_and_508_dprd_kabkota(documents: list[dict[str, Any]]) -> None:
    kinds = Counter(doc["kind"] for doc in documents)
    assert kinds == {"dpr": 1, "dpd": 1, "dprd_provinsi": 38, "dprd_kabkota": 508}
    assert len({doc["id"] for doc in documents}) == len(documents)
    assert not any(
        doc["region"].startswith("31") for doc in documents if doc["kind"] == "dprd_kabkota"
    )


def test_every_tps_lies_in_exactly_one_district_of_every_contest(
    documents: list[dict[str, Any]],
) -> None:
    everywhere = desa_with_tps("")
    home = [d for d in everywhere if not d.startswith("99")]  # overseas: no DPD, no DPRD
    by_scope: dict[str, list[str]] = {}
    for desa in home:
        by_scope.setdefault(desa[:2], []).append(desa)
        by_scope.setdefault(desa[:4], []).append(desa)
    for doc in documents:
        scope = {"dpr": everywhere, "dpd": home}.get(doc["kind"]) or by_scope[doc["region"]]
        districts = {d["code"]: d["regions"] for d in doc["districts"]}
        assert coverage_faults(doc["region"], districts, scope) == [], doc["id"]


def test_dprd_seats_lie_within_the_laws_ranges(documents: list[dict[str, Any]]) -> None:
    ranges = {"dprd_provinsi": (35, 120), "dprd_kabkota": (20, 55)}
    for doc in documents:
        if doc["kind"] not in ranges:
            continue
        low, high = ranges[doc["kind"]]
        assert low <= sum(d["seats"] for d in doc["districts"]) <= high, doc["id"]
        for d in doc["districts"]:
            assert 3 <= d["seats"] <= 12, (doc["id"], d["code"])
            assert all(1 <= len(c) <= d["seats"] for c in d["candidates"].values())
    west_java = next(doc for doc in documents if doc["id"] == "dprd-prov-32")
    assert sum(d["seats"] for d in west_java["districts"]) == 120  # as in 2024


def test_acehs_local_parties_stand_only_in_acehs_dprd(documents: list[dict[str, Any]]) -> None:
    for doc in documents[2:]:  # the DPR has the national parties; the DPD has no parties
        numbers = {p["number"] for p in doc["parties"]}
        listed = {int(p) for d in doc["districts"] for p in d["candidates"]}
        in_aceh = doc["region"][:2] == "11" and doc["kind"].startswith("dprd")
        assert (numbers >= set(range(18, 24))) is in_aceh, doc["id"]
        assert listed <= numbers


def test_generated_lists_have_a_woman_in_every_three_and_are_the_same_for_a_seed() -> None:
    lists = candidates.dprd_candidates("110101", 8, "11", seed=7)
    for listed in lists.values():
        women = [woman for _, _, woman in listed]
        assert all(any(women[i : i + 3]) for i in range(0, len(women), 3))
        assert [n for n, _, _ in listed] == list(range(1, len(listed) + 1))
    assert lists == candidates.dprd_candidates("110101", 8, "11", seed=7)
    assert lists != candidates.dprd_candidates("110101", 8, "11", seed=8)


def test_recoded_kecamatan_of_papua_barat_daya_are_matched_by_name() -> None:
    sorong = {d.code: d.regions for d in dapil.dprd_kabkota_dapil("9601")}
    assert "960107" in sorong["960101"]  # AIMAS: 960105 in the dapil file, 960107 in the tree
    assert wilayah.load().names["960107"] == "AIMAS"


def test_split_regions_follow_the_file_and_deal_out_what_it_does_not_list() -> None:
    medan = {d.code: d.regions for d in dapil.dprd_provinsi_dapil("12")}
    assert "127101" in medan["120001"] and "127102" in medan["120002"]  # as the file lists them
    assert "1271" not in medan["120001"]  # the part row itself names no region
    kubu_raya = {d.code: d.regions for d in dapil.dprd_kabkota_dapil("6112")}
    newer = {"6112012021", "6112012022"}  # desa of Sungai Raya the dapil file does not list
    assert sum(len(newer & set(regions)) for regions in kubu_raya.values()) == 2
