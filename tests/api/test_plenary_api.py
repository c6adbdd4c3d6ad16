"""The staged plenary over HTTP, from the TPS forms to the province's certificate, on SQLite and
PostgreSQL: objections, corrections, refusals, lock, reopening by court order, re-vote."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.api.conftest import Auth
from tests.factories import CONTEST, DPT, ELECTION, TPS, pilkada_form, submission

BASE = f"/api/v1/elections/{ELECTION}/contests/{CONTEST}"
VOTES = {
    "9101011001001": {"1": 50, "2": 40, "3": 30},
    "9101011001002": {"1": 60, "2": 30, "3": 20},
    "9101011002001": {"1": 70, "2": 50, "3": 40},
    "9101021001001": {"1": 40, "2": 45, "3": 35},
    "9101021001002": {"1": 55, "2": 25, "3": 30},
    "9102011001001": {"1": 65, "2": 40, "3": 45},
}
OFFICIAL = {
    "910101": ("ppk", "910101"),
    "910102": ("ppk", "910102"),
    "910201": ("ppk", "910201"),
    "9101": ("kpu_kabkota", "9101"),
    "9102": ("kpu_kabkota", "9102"),
    "91": ("kpu_provinsi", "91"),
}
SIGN = {"signed_by": ["Ketua", "Anggota 1"]}


def form(tps: str, **changes: int) -> dict[str, Any]:
    votes = {**VOTES[tps], **{k[1:]: v for k, v in changes.items()}}
    return pilkada_form(DPT[tps], votes)


def submit_all(client: FlaskClient, auth: Auth, skip: tuple[str, ...] = ()) -> None:
    for tps in TPS:
        if tps in skip:
            continue
        r = client.post(
            f"{BASE}/tps/{tps}/submissions", json=submission(form(tps)), headers=auth("kpps", tps)
        )
        assert r.status_code == 201, r.json


def post(
    client: FlaskClient, auth: Auth, code: str, action: str, body: Any = None, status: int = 201
) -> dict[str, Any]:
    r = client.post(f"{BASE}/plenaries/{code}/{action}", json=body, headers=auth(*OFFICIAL[code]))
    assert r.status_code == status, r.json
    return r.json


def certify_region(client: FlaskClient, auth: Auth, *codes: str) -> None:
    for code in codes:
        post(client, auth, code, "open")
        post(client, auth, code, "certification", SIGN)


def read(client: FlaskClient, services: Services, path: str) -> dict[str, Any]:
    services.runner.catch_up()
    r = client.get(f"{BASE}/{path}")
    assert r.status_code == 200, r.json
    return r.json


def test_a_whole_contest_goes_from_the_tps_forms_to_the_province_certificate_and_its_winner(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    certify_region(client, auth, "910101", "910102", "910201")
    certify_region(client, auth, "9101", "9102")
    before = read(client, ready, "regions/91")
    assert before["winner"]["status"] == "pending"
    assert "final when the provinsi plenary certifies" in before["winner"]["detail"]

    post(client, auth, "91", "open")
    refusal = {"by": "Saksi paslon 2", "reason": "menolak hasil"}
    done = post(client, auth, "91", "certification", {**SIGN, "refusals": [refusal]})

    assert done["status"] == "certified" and done["certificate"] == 1
    total = {k: sum(v[k] for v in VOTES.values()) for k in ("1", "2", "3")}
    assert total == {"1": 340, "2": 230, "3": 200}
    assert done["verdict"]["status"] == "runoff" and done["verdict"]["candidates"] == [1, 2]
    recap = read(client, ready, "regions/91")
    assert recap["winner"] == done["verdict"]
    assert recap["plenary"]["status"] == "certified"
    assert recap["plenary"]["certified"]["votes"] == total == recap["votes"]
    assert recap["plenary"]["difference"] == {"votes": {}, "valid": 0, "invalid": 0, "total": 0}
    assert {c["code"]: c["plenary"] for c in recap["children"]} == {
        "9101": "certified",
        "9102": "certified",
    }

    certificate = read(client, ready, "plenaries/91/certificate")
    assert certificate["form"] == "D.HASIL PROVINSI"
    assert certificate["figures"]["total"]["votes"] == total
    assert [c["code"] for c in certificate["figures"]["children"]] == ["9101", "9102"]
    assert certificate["refusals"] == [refusal]
    assert certificate["signed_by"] == SIGN["signed_by"]
    page = client.get(f"{BASE}/plenaries/91/certificate?format=html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "D.HASIL PROVINSI" in html and "menolak hasil" in html
    # named as the election is, at the time as the region reads it (province 91 is in WIT)
    assert "Pemilihan Gubernur dan Wakil Gubernur PROVINSI UJI" in html
    certified_at = datetime.fromisoformat(certificate["certified_at"])
    assert f" {certified_at.astimezone(timezone(timedelta(hours=9))):%H.%M} WIT" in html
    assert certificate["certified_at"] not in html
    browser = client.get(f"{BASE}/plenaries/91/certificate", headers={"Accept": "text/html"})
    assert browser.mimetype == "text/html"
    assert client.get(f"{BASE}/plenaries/91/").json["status"] == "certified"
    kecamatan = read(client, ready, "plenaries/910101/certificate")
    assert [t["code"] for t in kecamatan["figures"]["tps"]] == TPS[:3]
    assert [c["code"] for c in kecamatan["figures"]["children"]] == ["9101011001", "9101011002"]


def test_an_objection_accepted_in_the_kecamatan_corrects_its_tps_in_the_minutes(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    post(client, auth, "910101", "open")
    tps = TPS[0]
    saksi = auth("saksi", "910101", contest=CONTEST, candidate=2)
    r = client.post(
        f"{BASE}/plenaries/910101/objections",
        json={"subject": "tps", "target": tps, "detail": "suara paslon 2 kurang 5"},
        headers=saksi,
    )
    assert r.status_code == 201, r.json
    oid = r.json["objection_id"]
    resolution = {
        "accepted": True,
        "note": "dihitung ulang (HSU), terbukti",
        "correction": {"tps": tps, "form": form(tps, v1=45, v2=45), "reason": "hitung ulang"},
    }
    done = post(client, auth, "910101", f"objections/{oid}/resolution", resolution)
    assert done["tps_version"] == 2

    result = read(client, ready, f"tps/{tps}")
    assert result["version"] == 2 and result["form"]["votes"]["2"] == 45
    assert result["corrections"][0]["objection_id"] == oid
    assert result["corrections"][0]["plenary"]["code"] == "910101"
    plenary = read(client, ready, "plenaries/910101")
    assert [m["kind"] for m in plenary["minutes"]] == [
        "opened",
        "objection_raised",
        "objection_resolved",
        "correction_recorded",
    ]
    assert plenary["minutes"][-1]["change"]["votes"] == {"1": -5, "2": 5}
    assert plenary["open_objections"] == []
    post(client, auth, "910101", "certification", SIGN)
    certificate = read(client, ready, "plenaries/910101/certificate")
    assert certificate["corrections"][0]["objection_id"] == oid
    assert certificate["objections"][0]["resolution"]["accepted"] is True
    assert certificate["figures"]["total"]["votes"]["2"] == 40 + 30 + 50 + 5


def test_a_correction_at_the_kabkota_leaves_the_kecamatan_certificate_and_explains_the_difference(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    certify_region(client, auth, "910101", "910102")
    post(client, auth, "9101", "open")
    tps = TPS[3]  # in kecamatan 910102
    post(
        client,
        auth,
        "9101",
        "corrections",
        {"tps": tps, "form": form(tps, v3=45), "reason": "salah jumlah, dibuka kotak"},
    )

    kecamatan = read(client, ready, "regions/910102")
    assert kecamatan["plenary"]["status"] == "certified"
    assert kecamatan["plenary"]["certified"]["votes"]["3"] == 35 + 30
    assert kecamatan["votes"]["3"] == 45 + 30
    assert kecamatan["plenary"]["difference"]["votes"] == {"3": 10}
    [why] = kecamatan["plenary"]["corrections"]
    assert why["tps"] == tps and why["plenary"] == "9101" and why["tier"] == "kabkota"
    assert why["reason"] == "salah jumlah, dibuka kotak" and why["change"]["votes"] == {"3": 10}
    certificate = read(client, ready, "plenaries/910102/certificate")
    assert certificate["figures"]["total"]["votes"]["3"] == 65  # as issued
    assert certificate["superseded_at"] is None

    # the kecamatan is locked for everyone else; the kab/kota's own certificate has the change
    again = client.post(
        f"{BASE}/plenaries/910102/corrections",
        json={"tps": tps, "form": form(tps), "reason": "x"},
        headers=auth(*OFFICIAL["910102"]),
    )
    assert again.status_code == 409
    kpps = client.post(
        f"{BASE}/tps/{tps}/corrections",
        json={"form": form(tps), "reason": "x"},
        headers={**auth("kpps", tps), "If-Match": '"2"'},
    )
    assert kpps.status_code == 409 and kpps.json["code"] == "tier_locked"
    post(client, auth, "9101", "certification", SIGN)
    kab = read(client, ready, "plenaries/9101/certificate")
    assert kab["figures"]["total"]["votes"]["3"] == 30 + 20 + 40 + 45 + 30
    assert kab["corrections"][0]["tps"] == tps


def test_a_certification_is_refused_with_every_reason_that_blocks_it(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth, skip=(TPS[1],))
    broken = form(TPS[2])
    broken["valid"] += 10  # R4 and R5: the votes do not add up
    broken["total"] += 10
    r = client.post(
        f"{BASE}/tps/{TPS[2]}/submissions",
        json={**submission(broken)},
        headers=auth("kpps", TPS[2]),
    )
    assert r.status_code == 409  # already submitted above: correct it before the plenary
    r = client.post(
        f"{BASE}/tps/{TPS[2]}/corrections",
        json={"form": broken, "reason": "salin ulang"},
        headers={**auth("kpps", TPS[2]), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.json
    post(client, auth, "910101", "open")
    saksi = auth("saksi", "9101", contest=CONTEST, candidate=1)
    r = client.post(
        f"{BASE}/plenaries/910101/objections",
        json={"subject": "procedure", "detail": "kotak suara tidak bersegel"},
        headers=saksi,
    )
    oid = r.json["objection_id"]
    bawaslu = auth("bawaslu", "91")
    r = client.post(
        f"{BASE}/plenaries/910101/recommendations",
        json={"text": "hitung ulang TPS 001"},
        headers=bawaslu,
    )
    assert r.status_code == 201, r.json
    rid = r.json["recommendation_id"]

    refused = post(client, auth, "910101", "certification", SIGN, status=409)
    assert refused["code"] == "conflict"
    assert {e["field"] for e in refused["errors"]} == {
        f"tps.{TPS[1]}",
        f"anomalies.{TPS[2]}",
        f"objections.{oid}",
        f"recommendations.{rid}",
    }
    assert read(client, ready, "plenaries/910101")["status"] == "open"

    # resolve each: the objection is refused (it travels up), the anomaly accepted with a reason
    post(
        client,
        auth,
        "910101",
        f"objections/{oid}/resolution",
        {"accepted": False, "note": "segel utuh"},
    )
    post(
        client,
        auth,
        "910101",
        f"recommendations/{rid}/answer",
        {"followed": False, "answer": "tidak perlu"},
    )
    post(client, auth, "910101", f"anomalies/{TPS[2]}/acceptance", {"reason": "sesuai fisik kotak"})
    still = post(client, auth, "910101", "certification", SIGN, status=409)
    assert [e["field"] for e in still["errors"]] == [f"tps.{TPS[1]}"]
    submit_one = client.post(
        f"{BASE}/tps/{TPS[1]}/submissions",
        json=submission(form(TPS[1])),
        headers=auth("kpps", TPS[1]),
    )
    assert submit_one.status_code == 201
    post(client, auth, "910101", "certification", SIGN)

    # one tier up: the uncertified child and the objection carried up from below
    post(client, auth, "9101", "open")
    up = post(client, auth, "9101", "certification", SIGN, status=409)
    assert {e["field"] for e in up["errors"]} == {"children.910102", f"objections.{oid}"}
    assert [o["id"] for o in read(client, ready, "plenaries/9101")["open_objections"]] == [oid]
    post(
        client, auth, "9101", f"objections/{oid}/resolution", {"accepted": True, "note": "dicatat"}
    )
    certify_region(client, auth, "910102")
    post(client, auth, "9101", "certification", SIGN)


def test_a_court_order_reopens_every_tier_above_and_the_revote_is_certified_again(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    certify_region(client, auth, "910101", "910102", "910201", "9101", "9102", "91")
    tps = TPS[5]  # in kecamatan 910201, kab 9102
    court = auth("court")
    order = {"kind": "re_vote", "ref": "MK 123/PHP.GUB-XXIII/2025", "tps": [tps]}
    no_order = client.post(
        f"{BASE}/plenaries/910201/reopen", json={"reason": "putusan MK"}, headers=court
    )
    assert no_order.status_code == 422
    r = client.post(
        f"{BASE}/plenaries/910201/reopen",
        json={"reason": "pemungutan suara ulang", "order": order},
        headers=court,
    )
    assert r.status_code == 201, r.json
    assert r.json["reopened"] == ["910201", "9102", "91"]
    for code in ("910201", "9102", "91"):
        plenary = read(client, ready, f"plenaries/{code}")
        assert plenary["status"] == "reopened" and plenary["certificate"] is None
        assert plenary["certificates"][0]["superseded_at"] is not None
    assert read(client, ready, "plenaries/9101")["status"] == "certified"
    assert read(client, ready, "regions/91")["winner"]["status"] == "pending"

    new = form(tps, v1=30, v2=95, v3=45)
    post(client, auth, "910201", "revotes", {"tps": tps, "form": new})
    result = read(client, ready, f"tps/{tps}")
    assert result["version"] == 2 and result["form"]["votes"]["2"] == 95
    assert result["corrections"][0]["kind"] == "revoted"
    assert result["submitted"]["form"]["votes"]["2"] == 40  # the old vote stays in history

    for code in ("910201", "9102", "91"):
        post(client, auth, code, "certification", SIGN)
    top = read(client, ready, "plenaries/91")
    assert top["certificate"]["number"] == 2
    assert top["certificate"]["figures"]["total"]["votes"] == {"1": 305, "2": 285, "3": 200}
    assert read(client, ready, "regions/91")["winner"]["candidates"] == [1, 2]
    first = read(client, ready, "plenaries/91/certificate?number=1")
    assert first["figures"]["total"]["votes"]["2"] == 230 and first["superseded_at"]


def test_a_plenary_official_reopens_its_own_tier_and_a_lower_one_but_not_a_higher_one(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    certify_region(client, auth, "910101", "910102", "9101")
    body = {"reason": "rekap ulang"}
    r = client.post(f"{BASE}/plenaries/9101/reopen", json=body, headers=auth("ppk", "910101"))
    assert r.status_code == 403
    r = client.post(
        f"{BASE}/plenaries/910102/reopen", json=body, headers=auth("kpu_kabkota", "9102")
    )
    assert r.status_code == 403
    r = client.post(
        f"{BASE}/plenaries/910102/reopen", json=body, headers=auth("kpu_kabkota", "9101")
    )
    assert r.status_code == 201 and r.json["reopened"] == ["910102", "9101"]


def test_a_witness_outside_its_mandate_is_refused_and_nothing_is_recorded(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    post(client, auth, "910101", "open")
    objection = {"subject": "tps", "target": TPS[0], "detail": "angka janggal"}
    elsewhere = auth("saksi", "9102", contest=CONTEST, candidate=1)
    other_contest = auth("saksi", "9101", contest="bupati-9101", candidate=1)
    for headers in (elsewhere, other_contest, auth("kpps", TPS[0]), auth("ppk", "910101")):
        r = client.post(f"{BASE}/plenaries/910101/objections", json=objection, headers=headers)
        assert r.status_code == 403, r.json
        assert r.mimetype == "application/problem+json"
    wrong_official = client.post(f"{BASE}/plenaries/910102/open", headers=auth("ppk", "910101"))
    assert wrong_official.status_code == 403
    assert read(client, ready, "plenaries/910101")["minutes"][-1]["kind"] == "opened"
    assert read(client, ready, "plenaries/910102")["status"] == "not_open"


def test_bad_plenary_requests_get_field_level_problems(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    assert (
        client.post(f"{BASE}/plenaries/9101011001/open", headers=auth("ppk", "910101")).status_code
        == 404
    )
    post(client, auth, "910101", "open")
    post(client, auth, "910101", "open", status=409)
    saksi = auth("saksi", "91", contest=CONTEST, candidate=3)
    r = client.post(
        f"{BASE}/plenaries/910101/objections",
        json={"subject": "tps", "target": "9102011001001", "detail": "x"},
        headers=saksi,
    )
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "target"
    r = client.post(
        f"{BASE}/plenaries/910101/objections",
        json={"subject": "rumor", "detail": ""},
        headers=saksi,
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json["errors"]} == {"subject", "detail"}
    bad = copy.deepcopy(form(TPS[0]))
    bad["votes"]["9"] = 1
    r = post(
        client,
        auth,
        "910101",
        "corrections",
        {"tps": TPS[0], "form": bad, "reason": "x"},
        status=422,
    )
    assert r["errors"][0]["field"] == "form.votes.9"
    post(client, auth, "910101", "certification", {"signed_by": []}, status=422)
    r = client.get(f"{BASE}/plenaries/910101/certificate")
    assert r.status_code == 404
    assert "plenar" in client.get("/api/v1/openapi.json").get_data(as_text=True)
