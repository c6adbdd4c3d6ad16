"""Legislative contests over HTTP, on SQLite and PostgreSQL: their definition (districts that
partition the region, lists no longer than the seats, known parties) and their C.Hasil (section
IV per party, R12, a ballot of the TPS's own district)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.api.conftest import Auth
from tests.factories import DPT, TPS
from tests.legislative import BASE, dpd, dpr, dprd_kabkota, pemilu_form, section_iv


def define(client: FlaskClient, auth: Auth, document: dict[str, Any], status: int = 201) -> Any:
    r = client.post(BASE, json=document, headers=auth("admin"))
    assert r.status_code == status, (r.json, r.json.get("errors"))
    return r.json


def fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json["errors"]}


def submit(
    client: FlaskClient, auth: Auth, cid: str, tps: str, form: dict[str, Any], status: int = 201
) -> Any:
    body = {"submission_id": str(uuid.uuid4()), "form": form}
    r = client.post(f"{BASE}/{cid}/tps/{tps}/submissions", json=body, headers=auth("kpps", tps))
    assert r.status_code == status, (r.json, r.json.get("errors"))
    return r.json


def test_the_four_legislative_kinds_are_defined_and_read_back(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    for document in (dpr(), dpd(), dprd_kabkota()):
        created = define(client, auth, document)["contest"]
        assert created["kind"] == document["kind"]
        assert [d["code"] for d in created["districts"]] == [
            d["code"] for d in document["districts"]
        ]
    assert define(client, auth, dpr(), 200)["created"] is False
    again = dpr()
    again["districts"][0]["seats"] = 4
    define(client, auth, again, 409)
    ready.runner.catch_up()
    contests = client.get("/api/v1/elections/test-2024").json["contests"]
    by_id = {c["id"]: c for c in contests}
    assert by_id["dpr"]["region"] == "0" and by_id["dpr"]["threshold"] == 4.0
    assert by_id["dpd"]["districts"][0]["candidates"][0] == {"number": 1, "name": "Calon DPD 1"}
    assert by_id["dprd-9101"]["districts"][1]["candidates"]["2"][2]["name"] == "Caleg 2-3"


def test_districts_that_leave_tps_out_or_cover_them_twice_are_named_field_by_field(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    gap = dprd_kabkota()
    gap["districts"][1]["regions"] = ["9101021001", "9101011002"]  # desa B twice, C kept
    gap["districts"][0]["regions"] = ["9101011001"]  # desa B only via district 2
    overlap = dprd_kabkota()
    overlap["districts"][1]["regions"] = ["910102", "9101011001"]
    r = fields(client.post(BASE, json=overlap, headers=auth("admin")))
    assert "9101011001" in r["districts.0.regions"] or "9101011001" in r["districts.1.regions"]
    assert "more than one district" in " ".join(r.values())
    left = dprd_kabkota()
    left["districts"][1]["regions"] = ["9101021001"]
    left["districts"][0]["regions"] = ["9101011001"]
    r = fields(client.post(BASE, json=left, headers=auth("admin")))
    assert "9101011002" in r["districts"] and "in no district" in r["districts"]
    outside = dprd_kabkota()
    outside["districts"][1]["regions"] = ["910102", "9102"]
    r = fields(client.post(BASE, json=outside, headers=auth("admin")))
    assert "outside" in r["districts.1.regions"]


def test_long_lists_unknown_parties_and_a_wrong_region_are_422_and_change_nothing(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    bad = dpr()
    bad["districts"][1]["candidates"]["1"].append({"number": 3, "name": "Caleg lebih"})
    bad["districts"][2]["candidates"]["9"] = [{"number": 1, "name": "Siapa"}]
    bad["parties"].append({"number": 2, "name": "Partai Dua Lagi"})
    r = fields(client.post(BASE, json=bad, headers=auth("admin")))
    assert "more than the district's 2 seats" in r["districts.1.candidates.1"]
    assert "not one of the contest's parties" in r["districts.2.candidates.9"]
    assert "appears twice" in " ".join(v for k, v in r.items() if k.startswith("parties"))
    wrong = dprd_kabkota()
    wrong["region"] = "91"
    assert (
        "over a kabkota" in fields(client.post(BASE, json=wrong, headers=auth("admin")))["region"]
    )
    national = dpd()
    national["region"] = "91"
    national["districts"][0]["seats"] = 5
    r = fields(client.post(BASE, json=national, headers=auth("admin")))
    assert "nasional" in r["region"]
    mixed = dpd()
    mixed["districts"][0]["candidates"] = {"1": [{"number": 1, "name": "X"}]}
    r = fields(client.post(BASE, json=mixed, headers=auth("admin")))
    assert "individuals" in r["districts.0.candidates"]
    ready.runner.catch_up()
    contests = client.get("/api/v1/elections/test-2024").json["contests"]
    assert {c["id"] for c in contests} == {"gub-99"}


def test_hostile_text_in_a_contest_is_refused_at_the_edge(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    for name in ("Caleg\x00", "Caleg\x07x", "x" * 5000):
        bad = dpr()
        bad["districts"][0]["candidates"]["1"][0]["name"] = name
        r = client.post(BASE, json=bad, headers=auth("admin"))
        assert r.status_code in (400, 422), r.json
    bad = dpr()
    bad["districts"][0]["code"] = "<script>"
    bad["districts"][1]["regions"] = ["91.01.02", "\ud800"]
    r = client.post(BASE, json=bad, headers=auth("admin"))
    assert r.status_code in (400, 422), r.json


def dpr_votes(tps: str) -> dict[str, Any]:
    """A DPR section IV for a TPS: its district's parties and candidates."""
    if tps.startswith("910101"):
        return section_iv(
            {
                "1": (10, {"1": 30, "2": 5, "3": 0}),
                "2": (8, {"1": 12, "2": 20, "3": 1}),
                "3": (4, {"1": 9, "2": 2, "3": 3}),
                "5": (1, {"1": 1, "2": 0, "3": 0}),
            }
        )
    if tps.startswith("910102"):
        return section_iv(
            {
                "1": (5, {"1": 10, "2": 4}),
                "2": (9, {"1": 25, "2": 6}),
                "3": (2, {"1": 11, "2": 7}),
                "5": (0, {"1": 2, "2": 1}),
            }
        )
    return section_iv(
        {"1": (3, {"1": 14, "2": 9}), "2": (6, {"1": 8, "2": 8}), "3": (7, {"1": 30, "2": 12})}
    )


def test_a_dpr_form_is_read_against_its_districts_ballot_and_r12_is_an_anomaly(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    good = pemilu_form(DPT[TPS[0]], dpr_votes(TPS[0]))
    stored = submit(client, auth, "dpr", TPS[0], good)
    assert stored["anomalies"] == []
    assert stored["form"]["votes"]["1"] == {
        "party": 10,
        "candidates": {"1": 30, "2": 5, "3": 0},
        "total": 45,
    }

    slip = pemilu_form(DPT[TPS[1]], dpr_votes(TPS[1]))
    slip["votes"]["2"]["total"] += 3  # the party's total as written disagrees with its boxes
    slip["valid"] += 3
    slip["total"] += 3
    slip["ballots"]["used"] += 3
    slip["ballots"]["unused"] -= 3
    for row in ("dpt", "total"):
        slip["voted"][row]["l"] += 3
        slip["voted"][row]["j"] += 3
    anomalies = submit(client, auth, "dpr", TPS[1], slip)["anomalies"]
    assert [a["rule"] for a in anomalies] == ["R12"]
    assert "votes.2.total" in anomalies[0]["fields"] and anomalies[0]["severity"] == "hard"

    apart = pemilu_form(DPT[TPS[2]], dpr_votes(TPS[2]))
    apart["valid"] -= 1
    apart["invalid"] += 1
    anomalies = submit(client, auth, "dpr", TPS[2], apart)["anomalies"]
    assert [a["rule"] for a in anomalies] == ["R12"] and "valid" in anomalies[0]["fields"]

    ready.runner.catch_up()
    read = client.get(f"{BASE}/dpr/tps/{TPS[1]}").json
    assert [a["rule"] for a in read["anomalies"]] == ["R12"]


def test_a_party_or_candidate_not_on_the_districts_ballot_is_422(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    tps = TPS[5]  # district UJI III: parties 1, 2, 3 with two candidates each
    form = pemilu_form(DPT[tps], dpr_votes(tps))
    foreign = copy.deepcopy(form)
    foreign["votes"]["5"] = {"party": 0, "candidates": {"1": 0, "2": 0}, "total": 0}
    foreign["votes"]["1"]["candidates"]["3"] = 0
    r = fields(
        client.post(
            f"{BASE}/dpr/tps/{tps}/submissions",
            json={"submission_id": "a1", "form": foreign},
            headers=auth("kpps", tps),
        )
    )
    assert "not on the ballot" in r["form.votes.5"]
    assert "candidate of this party" in r["form.votes.1.candidates.3"]
    missing = copy.deepcopy(form)
    del missing["votes"]["3"]["candidates"]["2"]
    missing["votes"]["2"]["party"] = 1000
    r = fields(
        client.post(
            f"{BASE}/dpr/tps/{tps}/submissions",
            json={"submission_id": "a2", "form": missing},
            headers=auth("kpps", tps),
        )
    )
    assert set(r) == {"form.votes.3.candidates.2", "form.votes.2.party"}
    submit(client, auth, "dpr", tps, form)


def test_a_dpd_form_counts_the_provinces_candidates(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpd())
    votes = {"1": 40, "2": 10, "3": 25, "4": 5, "5": 30, "6": 2}
    assert submit(client, auth, "dpd", TPS[0], pemilu_form(DPT[TPS[0]], votes))["anomalies"] == []
    r = fields(
        client.post(
            f"{BASE}/dpd/tps/{TPS[1]}/submissions",
            json={"submission_id": "d1", "form": pemilu_form(DPT[TPS[1]], {**votes, "7": 1})},
            headers=auth("kpps", TPS[1]),
        )
    )
    assert "form.votes.7" in r


def r12_slip(tps: str) -> dict[str, Any]:
    """A DPR form whose party 1 total is written 5 short of its boxes (R12 only)."""
    form = pemilu_form(DPT[tps], dpr_votes(tps))
    form["votes"]["1"]["total"] -= 5
    return form


def test_corrections_before_and_in_the_plenary_take_the_legislative_form(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    first = submit(client, auth, "dpr", TPS[0], r12_slip(TPS[0]))
    assert {a["rule"] for a in first["anomalies"]} == {"R12"}  # the party, and V.A
    fixed = pemilu_form(DPT[TPS[0]], dpr_votes(TPS[0]))
    r = client.post(
        f"{BASE}/dpr/tps/{TPS[0]}/corrections",
        json={"form": fixed, "reason": "total party 1 misread"},
        headers={**auth("kpps", TPS[0]), "If-Match": '"1"'},
    )
    assert r.status_code == 201 and r.json["anomalies"] == [] and r.json["version"] == 2

    submit(client, auth, "dpr", TPS[3], r12_slip(TPS[3]))
    submit(client, auth, "dpr", TPS[4], pemilu_form(DPT[TPS[4]], dpr_votes(TPS[4])))
    ppk = auth("ppk", "910102")
    plenary = f"{BASE}/dpr/plenaries/910102"
    assert client.post(f"{plenary}/open", headers=ppk).status_code == 201
    sign = {"signed_by": ["Ketua PPK"]}
    blocked = client.post(f"{plenary}/certification", json=sign, headers=ppk)
    assert blocked.status_code == 409 and TPS[3] in str(blocked.json["errors"])
    wrong = copy.deepcopy(fixed)  # the ballot of another district
    r = client.post(
        f"{plenary}/corrections",
        json={"tps": TPS[3], "form": wrong, "reason": "x"},
        headers=ppk,
    )
    assert "form.votes.1.candidates.3" in fields(r)
    good = pemilu_form(DPT[TPS[3]], dpr_votes(TPS[3]))
    r = client.post(
        f"{plenary}/corrections",
        json={"tps": TPS[3], "form": good, "reason": "recount of party 1's total"},
        headers=ppk,
    )
    assert r.status_code == 201, r.json
    assert client.post(f"{plenary}/certification", json=sign, headers=ppk).status_code == 201
    ready.runner.catch_up()
    kecamatan = client.get(f"{BASE}/dpr/regions/910102").json
    assert kecamatan["anomalies"]["hard"] == 0
    assert kecamatan["plenary"]["status"] == "certified"


def test_a_legislative_region_reads_as_it_stood_at_a_past_position(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    then = submit(client, auth, "dpr", TPS[0], pemilu_form(DPT[TPS[0]], dpr_votes(TPS[0])))
    submit(client, auth, "dpr", TPS[1], pemilu_form(DPT[TPS[1]], dpr_votes(TPS[1])))
    ready.runner.catch_up()
    now = client.get(f"{BASE}/dpr/regions/910101").json
    past = client.get(f"{BASE}/dpr/regions/910101?as_of={then['position']}").json
    assert now["parties"]["2"]["total"] == 2 * past["parties"]["2"]["total"] == 82
    assert past["tps_reported"] == 1 and past["district"]["code"] == "9101"
    nation = client.get(f"{BASE}/dpr/regions/0?as_of={then['position']}").json
    assert nation["districts"][0]["votes"]["2"] == 41


def test_a_legislative_result_read_in_plenary_takes_its_districts_ballot(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    define(client, auth, dpr())
    submit(client, auth, "dpr", TPS[3], pemilu_form(DPT[TPS[3]], dpr_votes(TPS[3])))
    ppk = auth("ppk", "910102")
    plenary = f"{BASE}/dpr/plenaries/910102"
    assert client.post(f"{plenary}/open", headers=ppk).status_code == 201
    reason = "dibacakan dari C.Hasil bersegel"
    other = pemilu_form(DPT[TPS[4]], dpr_votes(TPS[0]))  # the ballot of district 9101
    r = client.post(
        f"{plenary}/results", json={"tps": TPS[4], "form": other, "reason": reason}, headers=ppk
    )
    assert "form.votes.1.candidates.3" in fields(r)
    assert client.get(f"{BASE}/dpr/tps/{TPS[4]}").status_code == 404

    good = pemilu_form(DPT[TPS[4]], dpr_votes(TPS[4]))
    r = client.post(
        f"{plenary}/results", json={"tps": TPS[4], "form": good, "reason": reason}, headers=ppk
    )
    assert r.status_code == 201, r.json
    assert (
        client.post(
            f"{plenary}/certification", json={"signed_by": ["Ketua PPK"]}, headers=ppk
        ).status_code
        == 201
    )
    ready.runner.catch_up()
    kecamatan = client.get(f"{BASE}/dpr/regions/910102").json
    assert kecamatan["tps_read_in_plenary"] == 1 and kecamatan["read_in_plenary"] == [TPS[4]]
    assert kecamatan["parties"]["2"]["total"] == 2 * (9 + 25 + 6)
