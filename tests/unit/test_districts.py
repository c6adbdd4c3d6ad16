"""The districts of a contest cover every TPS of its region exactly once (domain/districts.py)."""

from __future__ import annotations

from domain.districts import MAX_NAMED, coverage_faults

# Province 91: kab 9101 (kecamatan 910101 with desa A, B; 910102 with desa C), kab 9102 (desa D).
TPS = [
    "9101011001001",
    "9101011001002",
    "9101011002001",
    "9101021001001",
    "9102011001001",
    "9102011001002",
]


def problems(districts: dict[str, list[str]], region: str = "91") -> list[tuple[str, str]]:
    return [(f.problem, f.code) for f in coverage_faults(region, districts, TPS)]


def test_districts_that_partition_the_region_have_no_fault() -> None:
    assert coverage_faults("91", {"1": ["9101"], "2": ["9102"]}, TPS) == []
    assert coverage_faults("91", {"1": ["910101", "910102"], "2": ["9102"]}, TPS) == []
    assert (
        coverage_faults("91", {"1": ["9101011001", "910102"], "2": ["9101011002", "9102"]}, TPS)
        == []
    )


def test_a_region_left_out_is_named_once_at_its_largest() -> None:
    faults = coverage_faults("91", {"1": ["9101"]}, TPS)
    assert [(f.problem, f.code) for f in faults] == [("left_out", "9102")]
    assert faults[0].message == "9102: 2 TPS lie in no district"
    assert problems({"1": ["910101", "9102"]}) == [("left_out", "910102")]
    assert problems({"1": ["9101011001", "910102", "9102"]}) == [("left_out", "9101011002")]


def test_a_region_with_no_district_at_all_is_named_as_a_whole() -> None:
    assert problems({}) == [("left_out", "91")]
    assert problems({"1": ["9201"]}) == [("outside", "9201"), ("left_out", "91")]


def test_tps_covered_twice_name_the_districts_and_the_regions_through_which() -> None:
    faults = coverage_faults("91", {"1": ["9101"], "2": ["910101", "9102"]}, TPS)
    assert len(faults) == 1
    (fault,) = faults
    assert (fault.problem, fault.code, fault.districts) == ("covered_twice", "910101", ("1", "2"))
    assert "1 (through 9101)" in fault.message and "2 (through 910101)" in fault.message
    assert "3 TPS" in fault.message


def test_the_same_region_listed_twice_is_covered_twice() -> None:
    assert problems({"1": ["9101", "9101"], "2": ["9102"]}) == [("covered_twice", "9101")]
    assert problems({"1": ["9101", "9102"], "2": ["9102"]}) == [("covered_twice", "9102")]


def test_regions_outside_the_contest_or_without_tps_or_not_regions_are_named() -> None:
    districts = {"1": ["9101", "9102", "9201"], "2": ["9103", "9101011001001"]}
    assert problems(districts) == [
        ("outside", "9201"),
        ("not_a_region", "9101011001001"),
        ("no_tps", "9103"),
    ]


def test_a_national_contest_covers_every_province() -> None:
    tps = [*TPS, "3171011001001"]
    assert coverage_faults("", {"a": ["91"], "b": ["31"]}, tps) == []
    assert [f.code for f in coverage_faults("", {"a": ["91"]}, tps)] == ["31"]


def test_desa_codes_serve_as_well_as_tps_codes() -> None:
    desa = sorted({t[:10] for t in TPS})
    assert coverage_faults("91", {"1": ["9101"]}, desa)[0].code == "9102"


def test_a_flood_of_faults_is_named_up_to_a_limit_and_then_counted() -> None:
    tps = [f"91010110{n:02d}001" for n in range(MAX_NAMED + 10)]
    districts = {"1": ["910101"], "2": [t[:10] for t in tps]}
    faults = coverage_faults("91", districts, tps)
    assert len(faults) == MAX_NAMED + 1
    assert faults[-1].message == "and 10 more covered_twice faults"
