"""The recap and the seats of legislative contests over HTTP, on SQLite and PostgreSQL: the DPR's
seats equal Sainte-Lague computed here from the posted forms (threshold included), a DPD
province elects its four, a DPRD kab/kota over kecamatan names its tie, and certifying the top
tier turns provisional seats into final ones."""

from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction
from typing import Any

from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.api.conftest import Auth
from tests.api.test_legislative_api import define, dpr_votes, submit
from tests.factories import DPT, TPS
from tests.legislative import BASE, dpd, dpr, dprd_kabkota, pemilu_form, section_iv


def read(client: FlaskClient, services: Services, path: str) -> dict[str, Any]:
    services.runner.catch_up()
    r = client.get(f"{BASE}/{path}")
    assert r.status_code == 200, r.json
    return r.json


def district_of(tps: str) -> str:
    return {"910101": "9101", "910102": "9102"}.get(tps[:6], "9103")


def sainte_lague(votes: dict[int, int], seats: int) -> Counter[int]:
    """The seats of a district, computed the plain way: the highest of votes / (2s + 1)."""
    quotients = sorted(
        ((Fraction(v, 2 * s + 1), p) for p, v in votes.items() for s in range(seats)),
        reverse=True,
    )
    return Counter(p for _, p in quotients[:seats])


def test_the_dpr_recap_and_seats_follow_the_posted_forms_with_the_threshold(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    contest = dpr()
    define(client, auth, contest)
    posted = {tps: pemilu_form(DPT[tps], dpr_votes(tps)) for tps in TPS}
    for tps, form in posted.items():
        submit(client, auth, "dpr", tps, form)

    per_district: dict[str, Counter[int]] = defaultdict(Counter)
    candidates: dict[tuple[str, int], Counter[int]] = defaultdict(Counter)
    national: Counter[int] = Counter()
    for tps, form in posted.items():
        for party, box in form["votes"].items():
            per_district[district_of(tps)][int(party)] += box["total"]
            national[int(party)] += box["total"]
            for c, n in box["candidates"].items():
                candidates[(district_of(tps), int(party))][int(c)] += n
    valid = sum(national.values())
    qualified = {p for p, v in national.items() if v * 100 >= 4 * valid}
    assert qualified == {1, 2, 3}  # party 5 is below 4%
    seats = {d["code"]: d["seats"] for d in contest["districts"]}
    expected = {
        code: sainte_lague({p: v for p, v in votes.items() if p in qualified}, seats[code])
        for code, votes in per_district.items()
    }

    nation = read(client, ready, "dpr/regions/0")
    assert nation["votes"] == {str(p): national[p] for p in (1, 2, 3, 5)}
    assert nation["valid"] == valid and nation["winner"] is None and "parties" not in nation
    assert [d["code"] for d in nation["districts"]] == ["9101", "9102", "9103"]
    assert nation["districts"][1]["votes"] == {
        str(p): per_district["9102"][p] for p in (1, 2, 3, 5)
    }
    assert nation["districts"][1]["progress"] == 100.0
    kab = read(client, ready, "dpr/regions/9101")
    assert [d["code"] for d in kab["districts"]] == ["9101", "9102"]
    kecamatan = read(client, ready, "dpr/regions/910101")
    assert kecamatan["district"]["code"] == "9101"
    assert kecamatan["parties"]["1"] == {
        "party": 30,
        "candidates": {"1": 90, "2": 15, "3": 0},
        "total": 135,
    }
    inside = read(client, ready, "dpr/regions/9102")  # kab 9102 is the whole of district 9103
    assert inside["district"]["code"] == "9103" and inside["parties"]["3"]["candidates"]["1"] == 30

    result = read(client, ready, "dpr/seats")
    assert result["status"] == "provisional" and result["based_on"]["certified"] is False
    assert result["threshold"]["qualified"] == [1, 2, 3]
    assert result["threshold"]["votes"] == valid * 4 / 100
    for district in result["districts"]:
        assert district["allocation"] == {
            str(p): n for p, n in sorted(expected[district["code"]].items())
        }
        for elected in district["elected"]:
            listed = candidates[(district["code"], elected["party"])]
            best = max(listed.values())
            assert listed[elected["candidate"]] == best == elected["votes"]
        assert district["ties"] == []
    total = sum(expected.values(), Counter())
    assert result["seats"] == {str(p): n for p, n in sorted(total.items())}
    assert sum(result["seats"].values()) == sum(seats.values())
    assert "5" not in result["seats"]


def test_a_dpd_province_elects_the_four_with_the_most_votes(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpd())
    votes = {"1": 40, "2": 10, "3": 25, "4": 5, "5": 30, "6": 2}
    for tps in TPS:
        submit(client, auth, "dpd", tps, pemilu_form(DPT[tps], votes))
    province = read(client, ready, "dpd/regions/91")
    assert province["votes"] == {k: v * len(TPS) for k, v in votes.items()}
    assert province["district"]["code"] == "91"
    nation = read(client, ready, "dpd/regions/0")
    # The test tree's nation is its one province: it lies inside that district too.
    assert nation["votes"] == province["votes"] and nation["district"]["code"] == "91"
    result = read(client, ready, "dpd/seats")
    assert result["threshold"] is None and result["seats"] == {"91": 4}
    (district,) = result["districts"]
    assert [e["candidate"] for e in district["elected"]] == [1, 5, 3, 2]
    assert district["elected"][0] == {"candidate": 1, "name": "Calon DPD 1", "votes": 240}


DPRD_VOTES = {  # district 910101: a tie for party 1's seat between candidates 1 and 2
    TPS[0]: {"1": (5, {"1": 20, "2": 10, "3": 0}), "2": (30, {"1": 40}), "3": (5, {"1": 30})},
    TPS[1]: {"1": (5, {"1": 0, "2": 10, "3": 0}), "2": (20, {"1": 30}), "3": (0, {"1": 20})},
    TPS[2]: {"1": (5, {"1": 0, "2": 0, "3": 1}), "2": (10, {"1": 20}), "3": (5, {"1": 10})},
    TPS[3]: {"1": (10, {"1": 50}), "2": (5, {"1": 5}), "3": (5, {"1": 40})},
    TPS[4]: {"1": (10, {"1": 50}), "2": (5, {"1": 5}), "3": (5, {"1": 40})},
}


def dprd_form(tps: str) -> dict[str, Any]:
    full = {
        p: (only, {str(c): cands.get(str(c), 0) for c in (1, 2, 3)})
        for p, (only, cands) in DPRD_VOTES[tps].items()
    }
    return pemilu_form(DPT[tps], section_iv(full))


def test_a_dprd_kabkota_over_kecamatan_names_the_tie_it_breaks_by_spread(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dprd_kabkota())
    for tps in TPS[:5]:
        submit(client, auth, "dprd-9101", tps, dprd_form(tps))
    top = read(client, ready, "dprd-9101/regions/9101")
    assert [d["code"] for d in top["districts"]] == ["910101", "910102"]
    result = read(client, ready, "dprd-9101/seats")
    assert result["threshold"] == {"percent": 0.0, "votes": 0.0, "qualified": [1, 2, 3]}
    first = result["districts"][0]
    assert first["allocation"] == {"1": 1, "2": 1, "3": 1}
    (tie,) = first["ties"]
    assert tie["kind"] == "candidate" and tie["party"] == 1
    assert tie["between"] == [{"candidate": 1}, {"candidate": 2}]
    assert tie["decided_by"] == "tps" and tie["winners"] == [{"candidate": 2}]
    assert "UU 7/2017 art. 422" in tie["rule"]
    assert {(e["party"], e["candidate"]) for e in first["elected"]} == {(1, 2), (2, 1), (3, 1)}


def certify(client: FlaskClient, auth: Auth, cid: str, code: str, who: tuple[str, ...]) -> None:
    base = f"{BASE}/{cid}/plenaries/{code}"
    for action, body in (("open", None), ("certification", {"signed_by": ["Ketua"]})):
        r = client.post(f"{base}/{action}", json=body, headers=auth(*who))
        assert r.status_code == 201, r.json


def test_certifying_the_top_tier_turns_provisional_seats_final(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    for tps in TPS:
        submit(client, auth, "dpr", tps, pemilu_form(DPT[tps], dpr_votes(tps)))
    for code in ("910101", "910102", "910201"):
        certify(client, auth, "dpr", code, ("ppk", code))
    for code in ("9101", "9102"):
        certify(client, auth, "dpr", code, ("kpu_kabkota", code))
    certify(client, auth, "dpr", "91", ("kpu_provinsi", "91"))
    before = read(client, ready, "dpr/seats")
    assert before["status"] == "provisional"
    certify(client, auth, "dpr", "0", ("kpu_ri",))
    after = read(client, ready, "dpr/seats")
    assert after["status"] == "final" and after["based_on"]["certified"] is True
    assert after["based_on"]["certificate"] >= 1
    assert after["seats"] == before["seats"] == {"1": 2, "2": 2, "3": 3}
    assert after["districts"] == before["districts"]
    r = client.get(f"{BASE}/dpr/plenaries/910101/certificate?format=html")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Caleg 1-1" in page and "Partai Satu" in page
    nation = read(client, ready, "dpr/regions/0")
    assert nation["plenary"]["status"] == "certified" and nation["winner"] is None


def test_the_site_shows_districts_lists_and_seats_as_the_api_does(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    define(client, auth, dpd())
    for tps in TPS:
        submit(client, auth, "dpr", tps, pemilu_form(DPT[tps], dpr_votes(tps)))
        votes = {"1": 40, "2": 10, "3": 25, "4": 5, "5": 30, "6": 2}
        submit(client, auth, "dpd", tps, pemilu_form(DPT[tps], votes))
    ready.runner.catch_up()
    nation = client.get("/pemilu/test-2024/dpr/wilayah/0")
    assert nation.status_code == 200
    page = nation.get_data(as_text=True)
    seats = read(client, ready, "dpr/seats")
    for party, n in seats["seats"].items():
        assert f'data-field="seats.{party}">{n}<' in page
    assert 'data-district="9103"' in page and "UJI III" in page
    inside = client.get("/pemilu/test-2024/dpr/wilayah/910101").get_data(as_text=True)
    api = read(client, ready, "dpr/regions/910101")
    assert "Caleg 1-1" in inside
    first = api["parties"]["1"]["candidates"]["1"]
    assert f'data-field="parties.1.candidates.1">{first}<' in inside
    province = client.get("/pemilu/test-2024/dpd/wilayah/91?lang=en").get_data(as_text=True)
    assert "Calon DPD 5" in province and 'data-field="votes.5">180<' in province


ABROAD = {
    "regions": [
        {"code": "99", "name": "LUAR NEGERI"},
        {"code": "9901", "name": "PPLN UJI"},
        {"code": "990101", "name": "KOTA UJI"},
        {"code": "9901011001", "name": "KBRI UJI"},
    ],
    "tps": [{"code": "9901011001001", "dpt": 120}],
}


def test_the_dpd_leaves_the_tps_abroad_out_and_certifies_to_final_without_them(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    r = client.put("/api/v1/elections/test-2024/regions", json=ABROAD, headers=auth("admin"))
    assert r.status_code == 200, r.json
    left_out = client.post(BASE, json=dpr(), headers=auth("admin"))
    assert left_out.status_code == 422 and "99" in str(left_out.json["errors"])
    define(client, auth, dpd())
    abroad = pemilu_form(120, {str(n): 1 for n in range(1, 7)})
    body = {"submission_id": "abroad", "form": abroad}
    r = client.post(
        f"{BASE}/dpd/tps/9901011001001/submissions",
        json=body,
        headers=auth("kpps", "9901011001001"),
    )
    assert r.status_code == 404
    votes = {"1": 40, "2": 10, "3": 25, "4": 5, "5": 30, "6": 2}
    for tps in TPS:
        submit(client, auth, "dpd", tps, pemilu_form(DPT[tps], votes))
    nation = read(client, ready, "dpd/regions/0")
    assert nation["tps_total"] == len(TPS) and nation["progress"] == 100.0
    for code in ("910101", "910102", "910201"):
        certify(client, auth, "dpd", code, ("ppk", code))
    for code in ("9101", "9102"):
        certify(client, auth, "dpd", code, ("kpu_kabkota", code))
    certify(client, auth, "dpd", "91", ("kpu_provinsi", "91"))
    certify(client, auth, "dpd", "0", ("kpu_ri",))
    result = read(client, ready, "dpd/seats")
    assert result["status"] == "final"
    assert [e["candidate"] for e in result["districts"][0]["elected"]] == [1, 5, 3, 2]


def test_a_legislative_tps_page_shows_each_partys_boxes(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    define(client, auth, dpd())
    submit(client, auth, "dpr", TPS[0], pemilu_form(DPT[TPS[0]], dpr_votes(TPS[0])))
    dpd_votes = {str(n): n for n in range(1, 7)}
    submit(client, auth, "dpd", TPS[0], pemilu_form(DPT[TPS[0]], dpd_votes))
    ready.runner.catch_up()
    for cid in ("dpr", "dpd"):
        r = client.get(f"/pemilu/test-2024/{cid}/tps/{TPS[0]}")
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        assert ("Calon DPD 6" if cid == "dpd" else "Partai Lima") in page
        r = client.get(f"/pemilu/test-2024/{cid}/wilayah/{TPS[0][:10]}/riwayat")
        assert r.status_code == 200
