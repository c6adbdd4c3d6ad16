from __future__ import annotations

import inspect
import json
from itertools import islice

import pytest

from service.data import wilayah

TIER_LENGTHS = {2, 4, 6, 10}


def _chunks(**kwargs):
    return list(wilayah.iter_region_chunks(**kwargs))


def test_the_national_summary_counts_every_tier_of_the_file():
    counts = wilayah.summary()
    # 821,510 TPS 1..N and 1,822 special TPS, as the data README adds them up; the three overseas
    # units written [-26], [-2], [-3] are one TPS each, not -31 TPS: hence 31 + 3 more.
    assert counts == {
        "provinces": 39,
        "kabkota": 610,
        "kecamatan": 7_405,
        "desa": 84_035,
        "tps": 821_510 + 1_822 + 31 + 3,
    }


def test_the_jakarta_summary_has_6_kabkota_44_kecamatan_267_kelurahan():
    assert wilayah.summary(provinces={"31"}) == {
        "provinces": 1,
        "kabkota": 6,
        "kecamatan": 44,
        "desa": 267,
        "tps": 30_686 + 80,
    }


def test_tps_numbers_include_the_special_ones_and_the_single_overseas_units():
    assert wilayah.tps_numbers([3]) == [1, 2, 3]
    assert wilayah.tps_numbers([2, 901, 902]) == [1, 2, 901, 902]
    assert wilayah.tps_numbers([5, 904, 905]) == [1, 2, 3, 4, 5, 904, 905]
    assert wilayah.tps_numbers([-26]) == [26]
    for spec in ([3], [2, 901, 902], [5, 904, 905], [-26], [0]):
        assert wilayah.tps_count(spec) == len(wilayah.tps_numbers(spec))


def test_chunks_hold_one_kecamatan_with_its_province_kabkota_and_desa_then_their_tps():
    chunks = _chunks(provinces={"31", "11"})
    assert len(chunks) == 44 + 290
    for chunk in chunks:
        assert set(chunk) == {"regions", "tps"}
        codes = [r["code"] for r in chunk["regions"]]
        assert codes == sorted(codes)
        assert [len(c) for c in codes[:3]] == [2, 4, 6]
        assert all(len(c) == 10 for c in codes[3:])
        assert codes[1].startswith(codes[0]) and codes[2].startswith(codes[1])
        assert all(c.startswith(codes[2]) for c in codes[3:])
        assert all(r["name"] and set(r) == {"code", "name"} for r in chunk["regions"])
        tps = [t["code"] for t in chunk["tps"]]
        assert tps == sorted(tps) and len(set(tps)) == len(tps)
        desa = set(codes[3:])
        assert all(len(t) == 13 and t.isdigit() and t[:10] in desa for t in tps)
        assert all(set(t) == {"code", "dpt"} for t in chunk["tps"])


def test_chunk_counts_match_the_summary():
    for provinces in ({"31", "11"}, {"99"}):
        chunks = _chunks(provinces=provinces)
        counts = wilayah.summary(provinces=provinces)
        regions = {r["code"] for c in chunks for r in c["regions"]}
        assert counts["provinces"] == sum(len(c) == 2 for c in regions)
        assert counts["kabkota"] == sum(len(c) == 4 for c in regions)
        assert counts["kecamatan"] == len(chunks)
        assert counts["desa"] == sum(len(c) == 10 for c in regions)
        assert counts["tps"] == sum(len(c["tps"]) for c in chunks)


def test_special_tps_are_numbered_from_901_and_the_overseas_units_keep_their_number():
    jakarta = {t["code"] for c in _chunks(provinces={"31"}) for t in c["tps"]}
    assert {"3101011002901", "3101011002908", "3171051003919"} <= jakarta
    overseas = {t["code"] for c in _chunks(provinces={"99"}) for t in c["tps"]}
    assert {"9901010001025", "9901010002026", "9919010002002", "9919010003003"} <= overseas


def test_the_first_chunk_is_kepulauan_seribu_utara():
    chunk = next(wilayah.iter_region_chunks(provinces=["31"]))
    assert chunk["regions"][:4] == [
        {"code": "31", "name": "DKI JAKARTA"},
        {"code": "3101", "name": "KEPULAUAN SERIBU"},
        {"code": "310101", "name": "KEPULAUAN SERIBU UTARA"},
        {"code": "3101011001", "name": "PULAU PANGGANG"},
    ]
    assert chunk["tps"][0]["code"] == "3101011001001"


def test_chunks_are_streamed_not_built_at_once():
    chunks = wilayah.iter_region_chunks()
    assert inspect.isgenerator(chunks)
    assert len(list(islice(chunks, 3))) == 3


def test_the_same_seed_gives_the_same_dpt_whatever_else_is_loaded():
    alone = _chunks(provinces={"31"})
    again = _chunks(provinces={"31"})
    with_aceh = [c for c in _chunks(provinces={"31", "11"}) if c["regions"][0]["code"] == "31"]
    assert alone == again == with_aceh
    other_seed = _chunks(provinces={"31"}, seed=7)
    assert [c["regions"] for c in other_seed] == [c["regions"] for c in alone]
    assert [c["tps"] for c in other_seed] != [c["tps"] for c in alone]


def test_dpt_stays_within_max_dpt_mostly_above_150_and_special_tps_are_smaller():
    for max_dpt in (300, 600):
        tps = [t for c in _chunks(provinces={"31", "11"}, max_dpt=max_dpt) for t in c["tps"]]
        dpt = [t["dpt"] for t in tps]
        assert min(dpt) >= 1 and max(dpt) == max_dpt
        regular = [t["dpt"] for t in tps if t["code"][10:] < "901"]
        special = [t["dpt"] for t in tps if t["code"][10:] >= "901"]
        assert sum(d >= 150 for d in regular) / len(regular) > 0.95
        assert max(special) <= max_dpt // 3
        assert sum(special) / len(special) < sum(regular) / len(regular) / 2


def test_a_max_dpt_that_does_not_fit_a_box_is_refused():
    for max_dpt in (0, 1000):
        with pytest.raises(ValueError):
            next(wilayah.iter_region_chunks(provinces={"31"}, max_dpt=max_dpt))


def test_an_unknown_province_is_refused():
    with pytest.raises(ValueError, match="00"):
        next(wilayah.iter_region_chunks(provinces={"31", "00"}))
    with pytest.raises(ValueError):
        wilayah.summary(provinces={"3"})


def test_a_hierarchy_file_can_be_given_as_plain_json(tmp_path):
    path = tmp_path / "mini.json"
    doc = {
        "id2name": {"31": "P", "3171": "K", "317101": "C", "3171011001": "D1", "3171011002": "D2"},
        "tps": {"3171011001": [2, 901, 901], "3171011002": [1]},
    }
    path.write_text(json.dumps(doc))
    (chunk,) = wilayah.iter_region_chunks(path, seed=1)
    assert [r["code"] for r in chunk["regions"]] == [
        "31", "3171", "317101", "3171011001", "3171011002"
    ]  # fmt: skip
    assert [t["code"] for t in chunk["tps"]] == [
        "3171011001001", "3171011001002", "3171011001901", "3171011002001"
    ]  # fmt: skip
    assert wilayah.summary(path)["tps"] == 4
