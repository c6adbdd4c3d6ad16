from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from importlib import resources
from statistics import mean, pstdev

import pytest

from service.data import wilayah
from service.demo import jakarta

SPLIT = ("l", "p", "j")
LISTS = ("dpt", "dpph", "dptb")


def broken_rules(form: dict, dpt: int) -> set[str]:
    """The rules R1-R10 that a Pilkada form breaks, for a TPS with `dpt` registered voters."""
    reg, voted, ballots = form["registered"], form["voted"], form["ballots"]
    broken = set()
    if any(r["j"] != r["l"] + r["p"] for r in (*reg.values(), *voted.values())):
        broken.add("R1")
    if form["disabled_voted"]["j"] != form["disabled_voted"]["l"] + form["disabled_voted"]["p"]:
        broken.add("R1")
    if any(voted["total"][k] != sum(voted[x][k] for x in LISTS) for k in SPLIT):
        broken.add("R2")
    if any(voted[x][k] > reg[x][k] for x in LISTS for k in SPLIT):
        broken.add("R3")
    if sum(form["votes"].values()) != form["valid"]:
        broken.add("R4")
    if form["valid"] + form["invalid"] != form["total"]:
        broken.add("R5")
    if form["total"] != ballots["used"]:
        broken.add("R6")
    if ballots["used"] != voted["total"]["j"]:
        broken.add("R7")
    if ballots["received"] != ballots["used"] + ballots["returned"] + ballots["unused"]:
        broken.add("R8")
    allowance = dpt + (2 * dpt + 99) // 100  # DPT + 2%, rounded up, without float error
    if ballots["received"] > allowance or form["total"] > allowance:
        broken.add("R9")
    if form["disabled_voted"]["j"] > voted["total"]["j"]:
        broken.add("R10")
    return broken


def boxes(form: dict) -> list[int]:
    out = []
    for value in form.values():
        out.extend(boxes(value) if isinstance(value, dict) else [value])
    return out


@pytest.fixture(scope="module")
def certified() -> dict[str, dict[str, int]]:
    text = resources.files("service.data").joinpath("jakarta-pilgub-2024.csv").read_text()
    return {
        row["kabkota_code"]: {
            k: int(v) for k, v in row.items() if k not in ("kabkota_code", "kabkota_name")
        }
        for row in csv.DictReader(io.StringIO(text))
    }


@pytest.fixture(scope="module")
def regions() -> dict:
    return jakarta.regions()


@pytest.fixture(scope="module")
def dpt(regions) -> dict[str, int]:
    return {t["code"]: t["dpt"] for t in regions["tps"]}


@pytest.fixture(scope="module")
def results() -> list[jakarta.DemoResult]:
    return list(jakarta.results())


@pytest.fixture(scope="module")
def final(results) -> dict[str, dict]:
    """The form that counts for each TPS: the correction where there is one."""
    return {r.tps: r.correction or r.form for r in results}


ANOMALIES = {
    jakarta.VOTERS_MISREAD_TPS: {"R1", "R2", "R3"},
    jakarta.BALLOTS_SLIP_TPS: {"R8"},
    jakarta.EXTRA_BALLOTS_TPS: {"R9"},
    jakarta.CORRECTED_TPS: {"R4"},
}


def test_the_election_and_contest_are_the_jakarta_governor_race():
    assert jakarta.ELECTION == {"id": "pilkada-2024", "name": "Pilkada Serentak 2024"}
    assert jakarta.CONTEST["id"] == "gub-31"
    assert jakarta.CONTEST["kind"] == "gubernur"
    assert jakarta.CONTEST["region"] == "31"
    assert jakarta.CONTEST["winner_rule"] == "majority_runoff"
    assert [c["number"] for c in jakarta.CONTEST["candidates"]] == [1, 2, 3]
    assert jakarta.CONTEST["candidates"][2]["name"] == "Pramono Anung - Rano Karno"


def test_the_regions_are_the_real_jakarta_regions(regions):
    h = wilayah.load()
    codes = [r["code"] for r in regions["regions"]]
    assert codes == sorted(codes)
    assert Counter(len(c) for c in codes) == {2: 1, 4: 6, 6: 44, 10: 267}
    assert all(h.names[r["code"]] == r["name"] for r in regions["regions"])
    assert set(codes) == {c for c in h.names if c.startswith("31")}


def test_the_province_has_14835_tps_and_8214007_registered_voters(regions):
    assert len(regions["tps"]) == 14_835
    assert sum(t["dpt"] for t in regions["tps"]) == 8_214_007
    assert max(t["dpt"] for t in regions["tps"]) <= 600


def test_tps_and_dpt_per_kabkota_equal_the_certified_csv(regions, certified):
    tps, dpt = Counter(), Counter()
    for t in regions["tps"]:
        tps[t["code"][:4]] += 1
        dpt[t["code"][:4]] += t["dpt"]
    assert tps == {code: row["tps"] for code, row in certified.items()}
    assert dpt == {code: row["dpt"] for code, row in certified.items()}


def test_every_kelurahan_has_tps_numbered_from_001_in_proportion_to_its_pemilu_tps(regions):
    h = wilayah.load()
    per_desa: dict[str, list[int]] = defaultdict(list)
    for t in regions["tps"]:
        per_desa[t["code"][:10]].append(int(t["code"][10:]))
    kelurahan = [r["code"] for r in regions["regions"] if len(r["code"]) == 10]
    assert set(per_desa) == set(kelurahan)
    for numbers in per_desa.values():
        assert numbers == list(range(1, len(numbers) + 1))
    for kab in h.children["31"]:
        desas = [d for d in kelurahan if d.startswith(kab)]
        pemilu = {d: wilayah.tps_count(h.tps[d]) for d in desas}
        spare = sum(len(per_desa[d]) for d in desas) - len(desas)
        for d in desas:
            quota = 1 + spare * pemilu[d] / sum(pemilu.values())
            assert abs(len(per_desa[d]) - quota) < 1


def test_there_is_one_form_per_tps_in_code_order_on_its_dpt(results, dpt):
    assert [r.tps for r in results] == sorted(dpt)
    for r in results:
        assert r.form["registered"]["dpt"]["j"] == dpt[r.tps]
        if r.correction is not None:
            assert r.correction["registered"]["dpt"]["j"] == dpt[r.tps]


def test_votes_per_kabkota_equal_the_certified_csv(final, certified):
    votes: dict[str, Counter] = defaultdict(Counter)
    for code, form in final.items():
        votes[code[:4]].update(form["votes"])
    for kab, row in certified.items():
        assert votes[kab] == {"1": row["paslon_1"], "2": row["paslon_2"], "3": row["paslon_3"]}


def test_valid_and_invalid_are_exact_for_the_province_and_known_kabkota(final, certified):
    valid, invalid = Counter(), Counter()
    for code, form in final.items():
        valid[code[:4]] += form["valid"]
        invalid[code[:4]] += form["invalid"]
    assert sum(valid.values()) == 4_360_629
    assert sum(invalid.values()) == 363_764
    assert invalid["3101"] == 474
    assert invalid["3173"] == 71_927
    rest = ("3171", "3172", "3174", "3175")
    spare = 363_764 - 474 - 71_927
    for kab in rest:
        assert abs(invalid[kab] - spare * valid[kab] / sum(valid[k] for k in rest)) < 1


def test_pramono_rano_win_50_07_percent_of_valid_votes(final):
    votes = Counter()
    for form in final.values():
        votes.update(form["votes"])
    assert votes == {"1": 1_718_160, "2": 459_230, "3": 2_183_239}
    assert round(100 * votes["3"] / sum(votes.values()), 2) == 50.07


def test_every_normal_form_has_the_pilkada_shape_and_satisfies_r1_to_r10(results, dpt):
    normal = [r for r in results if r.tps not in ANOMALIES]
    assert len(normal) == 14_835 - 4
    for r in normal:
        form = r.form
        assert (r.correction, r.correction_reason, r.note) == (None, None, None)
        assert set(form) == {
            "registered", "voted", "ballots", "disabled_voted", "votes", "valid", "invalid",
            "total",
        }  # fmt: skip
        assert set(form["registered"]) == set(LISTS)
        assert set(form["voted"]) == {*LISTS, "total"}
        assert set(form["ballots"]) == {"received", "used", "returned", "unused"}
        assert set(form["votes"]) == {"1", "2", "3"}
        assert all(type(b) is int and 0 <= b <= 999 for b in boxes(form))
        assert broken_rules(form, dpt[r.tps]) == set(), r.tps
        assert form["total"] <= dpt[r.tps]


def test_the_forms_look_like_a_real_election(final, dpt):
    forms = list(final.values())
    turnout = [f["total"] / dpt[code] for code, f in final.items()]
    assert 0.57 < mean(turnout) < 0.58 and 0.03 < pstdev(turnout) < 0.15
    share = [f["votes"]["3"] / f["valid"] for f in forms]
    assert 0.05 < pstdev(share) < 0.2
    assert sum(f["voted"]["dpph"]["j"] + f["voted"]["dptb"]["j"] > 0 for f in forms) > 1000
    assert max(f["voted"]["dpph"]["j"] + f["voted"]["dptb"]["j"] for f in forms) < 20
    assert sum(f["ballots"]["returned"] > 0 for f in forms) > 1000
    assert max(f["disabled_voted"]["j"] for f in forms) < 10
    for code, f in final.items():
        assert f["ballots"]["received"] == dpt[code] + -(-2 * dpt[code] // 100) or (
            code == jakarta.EXTRA_BALLOTS_TPS
        )


def test_the_anomaly_tps_break_exactly_the_rules_announced(results, dpt):
    by_tps = {r.tps: r for r in results}
    assert len({code[:4] for code in ANOMALIES}) == 4
    for code, rules in ANOMALIES.items():
        r = by_tps[code]
        assert broken_rules(r.form, dpt[code]) == rules, code
        assert r.note and all(rule in r.note for rule in rules)
    misread = by_tps[jakarta.VOTERS_MISREAD_TPS].form
    assert misread["voted"]["dpt"]["j"] == 652 > dpt[jakarta.VOTERS_MISREAD_TPS]
    corrected = by_tps[jakarta.CORRECTED_TPS]
    assert corrected.form["votes"]["3"] == 652 and corrected.correction["votes"]["3"] == 152
    assert corrected.correction_reason == (
        "Koreksi operator: salah baca OCR pada suara paslon 3 (652, seharusnya 152)"
    )
    assert broken_rules(corrected.correction, dpt[jakarta.CORRECTED_TPS]) == set()
    assert all(by_tps[c].correction is None for c in ANOMALIES if c != jakarta.CORRECTED_TPS)


def test_the_anomalies_leave_the_counted_figures_alone(results):
    for r in results:
        if r.tps in ANOMALIES and r.tps != jakarta.CORRECTED_TPS:
            form = r.form
            assert sum(form["votes"].values()) == form["valid"]
            assert form["valid"] + form["invalid"] == form["total"] == form["ballots"]["used"]


def test_results_are_the_same_every_time(results):
    assert list(jakarta.results()) == results


def test_apportion_is_exact_and_respects_caps():
    assert jakarta.apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert jakarta.apportion(7, [5, 1, 0]) == [6, 1, 0]
    assert jakarta.apportion(10, [9, 1, 1], caps=[4, 9, 9]) == [4, 3, 3]
    assert jakarta.apportion(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        jakarta.apportion(10, [1, 1], caps=[4, 5])
