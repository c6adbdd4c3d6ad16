"""Region codes, region trees, contests and access rules."""

from __future__ import annotations

import pytest

from domain.access import (
    Role,
    make_actor,
    require_objector,
    require_reopener,
    require_result_writer,
)
from domain.codes import NATION, Tier, ancestors, chain_up_to, dotted, normalise, parent_of, tier_of
from domain.contests import Contest, contest_faults
from domain.errors import Forbidden, InvalidInput
from domain.regions import parse_region_tree
from tests.factories import GUBERNUR, TREE


def test_codes_are_accepted_dotted_or_undotted() -> None:
    assert normalise("31.71.01.1001.001") == "3171011001001"
    assert normalise(" 3171 ") == "3171"
    assert dotted("3171011001001") == "31.71.01.1001.001"


@pytest.mark.parametrize("bad", ["", "3", "317", "31a1", "31.71.0", "٣١", 31, None])
def test_anything_else_is_not_a_code(bad: object) -> None:
    with pytest.raises(InvalidInput):
        normalise(bad)


def test_tiers_parents_and_chains() -> None:
    assert tier_of("3171011001001") is Tier.TPS and tier_of(NATION) is Tier.NASIONAL
    assert parent_of("3171011001001") == "3171011001" and parent_of("31") == NATION
    assert ancestors("317101") == ["3171", "31", NATION]
    assert chain_up_to("3171011001", "31") == ["3171011001", "317101", "3171", "31"]


def test_a_region_tree_is_split_into_kecamatan_chunks() -> None:
    chunks = parse_region_tree(TREE)
    assert [c.key for c in chunks] == ["910101", "910102", "910201"]
    assert chunks[0].regions[0] == ("91", "PROVINSI UJI")
    assert [t[0] for t in chunks[0].tps] == ["9101011001001", "9101011001002", "9101011002001"]
    assert chunks[0].digest == parse_region_tree(TREE)[0].digest


def test_a_code_that_does_not_fit_its_parent_is_refused() -> None:
    tree = {
        "regions": [{"code": "91", "name": "P"}, {"code": "910101", "name": "K"}],
        "tps": [{"code": "9101019999001", "dpt": 10}, {"code": "91.01.01.0000.000", "dpt": 5}],
    }
    with pytest.raises(InvalidInput) as caught:
        parse_region_tree(tree)
    messages = {e.field: e.message for e in caught.value.errors}
    assert "no region 9101" in messages["regions.1.code"]
    assert "no desa 9101019999" in messages["tps.0.code"]
    assert "tps.1.code" in messages


def test_a_contest_breaking_the_rules_of_the_process_is_named_field_by_field() -> None:
    contest = Contest.from_dict("e", GUBERNUR)
    assert contest.plenary_tiers == [Tier.KECAMATAN, Tier.KABKOTA, Tier.PROVINSI]
    assert contest_faults(contest) == []
    twice = Contest.from_dict(
        "e",
        {
            **GUBERNUR,
            "region": "3171",  # a gubernur contest is provincial
            "candidates": [{"number": 1, "name": "A"}, {"number": 1, "name": "B"}],
        },
    )
    assert {e.field for e in contest_faults(twice)} == {"region", "candidates.1.number"}


def test_a_single_candidate_contest_has_the_empty_column() -> None:
    doc = {
        **GUBERNUR,
        "winner_rule": "single_candidate",
        "candidates": [{"number": 0, "name": "Kotak kosong"}, {"number": 1, "name": "A"}],
    }
    assert contest_faults(Contest.from_dict("e", doc)) == []
    assert Contest.from_dict("e", doc).candidate_keys == ["0", "1"]
    empty_column_elsewhere = Contest.from_dict("e", {**doc, "winner_rule": "plurality"})
    assert [e.field for e in contest_faults(empty_column_elsewhere)] == ["candidates"]


def test_a_token_scope_must_fit_its_role() -> None:
    assert make_actor("t", "ppk", "31.71.01").scope == "317101"
    assert make_actor("t", "kpu_ri").scope == NATION
    for role, scope in [("kpps", "3171"), ("ppk", "3171"), ("admin", "31"), ("saksi", "31")]:
        with pytest.raises(InvalidInput):
            make_actor("t", role, scope)


def test_result_writers_and_objectors_act_only_within_their_scope() -> None:
    require_result_writer(make_actor("t", "kpps", "3171011001001"), "3171011001001")
    require_result_writer(make_actor("t", "operator", "3171"), "3171011001001")
    with pytest.raises(Forbidden):
        require_result_writer(make_actor("t", "operator", "3172"), "3171011001001")
    saksi = make_actor("t", "saksi", "3171", contest="gub-31", candidate=1)
    require_objector(saksi, "gub-31", "317101")
    with pytest.raises(Forbidden):
        require_objector(saksi, "gub-31", "3172")
    with pytest.raises(Forbidden):
        require_objector(saksi, "other", "317101")


def test_reopening_needs_that_tier_or_one_above_in_the_same_region_or_a_court() -> None:
    require_reopener(make_actor("t", "kpu_provinsi", "31"), Tier.KECAMATAN, "317101")
    require_reopener(make_actor("t", "court"), Tier.PROVINSI, "31")
    with pytest.raises(Forbidden):
        require_reopener(make_actor("t", "ppk", "317101"), Tier.KABKOTA, "3171")
    with pytest.raises(Forbidden):
        require_reopener(make_actor("t", "kpu_kabkota", "3172"), Tier.KECAMATAN, "317101")
    assert Role.PPK.value == "ppk"


def test_a_certificate_shows_a_time_as_its_region_reads_it() -> None:
    from service.read.certificate import local_time

    moment = "2024-12-08T07:05:00+00:00"
    assert local_time(moment, "31") == "8 Desember 2024 pukul 14.05 WIB"
    assert local_time(moment, "7371") == "8 Desember 2024 pukul 15.05 WITA"
    assert local_time(moment, "9101011001") == "8 Desember 2024 pukul 16.05 WIT"
    assert local_time("2024-12-31T20:00:00+00:00", "0") == "1 Januari 2025 pukul 03.00 WIB"
