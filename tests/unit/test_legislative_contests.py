"""Legislative contests in the domain: a TPS's district from its code, the district a region
lies inside, and what a definition must be (domain/contests.py, domain/legislative.py)."""

from __future__ import annotations

from domain.contests import Candidate, Contest, ContestKind, District, WinnerRule
from domain.legislative import legislative_faults

TPS = ["9101011001001", "9101011002001", "9101021001001", "9102011001001", "9901011001001"]


def contest(kind: ContestKind, districts: tuple[District, ...]) -> Contest:
    parties = () if kind is ContestKind.DPD else (Candidate(1, "Satu"), Candidate(2, "Dua"))
    return Contest(
        "e", "c", kind, "0", WinnerRule.PLURALITY, (), parties=parties, districts=districts
    )


def party_district(code: str, regions: tuple[str, ...], seats: int = 3) -> District:
    lists = ((1, (Candidate(1, "A"), Candidate(2, "B"))), (2, (Candidate(1, "C"),)))
    return District(code, code, seats, regions, lists)


DPR = contest(
    ContestKind.DPR,
    (
        party_district("I", ("910101",)),
        party_district("II", ("9101021001", "9102")),
        party_district("LN", ("99",)),
    ),
)


def test_a_tps_finds_its_district_from_its_code_at_any_tier() -> None:
    assert DPR.district_of("9101011002001").code == "I"
    assert DPR.district_of("9101021001001").code == "II"
    assert DPR.district_of("9102999999999").code == "II"
    assert DPR.district_of("9201011001001") is None


def test_a_region_lies_inside_one_district_or_spans_several() -> None:
    assert DPR.district_inside("9102").code == "II"
    assert DPR.district_inside("910102").code == "II"  # its only desa is district II's
    assert DPR.district_inside("9101") is None
    assert [d.code for d in DPR.districts_under("9101")] == ["I", "II"]
    assert [d.code for d in DPR.districts_under("0")] == ["I", "II", "LN"]


def test_a_dpr_covers_the_tps_abroad_and_the_dpd_leaves_them_out() -> None:
    assert legislative_faults(DPR, TPS) == []
    home = contest(ContestKind.DPR, DPR.districts[:2])
    assert [e.field for e in legislative_faults(home, TPS)] == ["districts"]
    dpd = contest(
        ContestKind.DPD,
        (District("91", "P", 4, ("91",), individuals=(Candidate(1, "X"), Candidate(2, "Y"))),),
    )
    assert legislative_faults(dpd, TPS) == []


def test_a_party_list_longer_than_the_seats_or_of_an_unknown_party_is_named() -> None:
    long = District("I", "I", 1, ("91",), ((1, (Candidate(1, "A"), Candidate(2, "B"))),))
    unknown = District("II", "II", 2, ("99",), ((7, (Candidate(1, "Z"),)),))
    faults = {
        e.field: e.message
        for e in legislative_faults(contest(ContestKind.DPR, (long, unknown)), TPS)
    }
    assert "more than the district's 1 seats" in faults["districts.0.candidates.1"]
    assert "not one of the contest's parties" in faults["districts.1.candidates.7"]
