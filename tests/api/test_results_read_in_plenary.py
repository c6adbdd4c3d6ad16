"""A TPS whose upload never came: its result read from the C.Hasil in the kecamatan plenary
(`POST .../plenaries/{code}/results`), on SQLite and PostgreSQL. The kecamatan then certifies;
a late upload of the KPPS is a conflict that shows the plenary's figures; hostile input and a
token's second factor are refused before anything is stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.access import Actor, Role
from domain.commands import RaiseObjection
from domain.plenary import ObjectionSubject
from service.bootstrap import Services
from service.input import results as given_results
from service.usecases import plenary as use
from service.usecases.results import submit
from tests.api.conftest import Auth, TotpAuth
from tests.api.test_plenary_api import BASE, OFFICIAL, SIGN, form, post, read, submit_all
from tests.factories import CONTEST, ELECTION, kpps, submission
from tests.totp_codes import code_now

MISSING = "9101011002001"  # desa B of kecamatan 910101: its KPPS never uploaded
READING = {
    "tps": MISSING,
    "form": form(MISSING, v1=71),
    "reason": "dibacakan dari C.Hasil bersegel dalam pleno",
}


def read_in_plenary(
    client: FlaskClient, headers: dict[str, str], body: Any = None, status: int = 201
) -> dict[str, Any]:
    r = client.post(f"{BASE}/plenaries/910101/results", json=body or READING, headers=headers)
    assert r.status_code == status, r.json
    return r.json


def test_a_kecamatan_with_a_missing_upload_certifies_once_its_result_is_read_in_plenary(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth, skip=(MISSING,))
    post(client, auth, "910101", "open")
    blocked = post(client, auth, "910101", "certification", SIGN, status=409)
    assert {"field": f"tps.{MISSING}", "message": "no result yet"} in blocked["errors"]

    before = read(client, ready, "regions/910101")["position"]
    done = read_in_plenary(client, auth(*OFFICIAL["910101"]))
    assert done["tps"] == MISSING and done["tps_version"] == 1 and done["status"] == "open"
    as_of = read(client, ready, f"regions/910101?as_of={before}")
    assert as_of["tps_read_in_plenary"] == 0 and as_of["tps_reported"] == 2
    as_of = read(client, ready, f"regions/910101?as_of={done['position']}")
    assert as_of["tps_read_in_plenary"] == 1 and as_of["read_in_plenary"] == [MISSING]

    tps = read(client, ready, f"tps/{MISSING}")
    assert tps["form"]["votes"] == {"1": 71, "2": 50, "3": 40}
    assert tps["submitted"]["source"] == "plenary"
    history = read(client, ready, f"tps/{MISSING}/history")["events"]
    assert [e["payload"]["source"] for e in history] == ["plenary"]
    assert history[0]["actor"]["role"] == "ppk"
    minutes = read(client, ready, "plenaries/910101")["minutes"]
    assert minutes[-1]["kind"] == "result_read" and minutes[-1]["tps"] == MISSING
    assert minutes[-1]["reason"] == READING["reason"]
    assert minutes[-1]["figures"]["votes"] == {"1": 71, "2": 50, "3": 40}

    recap = read(client, ready, "regions/910101")
    assert recap["tps_read_in_plenary"] == 1 and recap["read_in_plenary"] == [MISSING]
    assert recap["tps_reported"] == recap["tps_total"] == 3
    assert {c["code"]: c["tps_read_in_plenary"] for c in recap["children"]} == {
        "9101011001": 0,
        "9101011002": 1,
    }
    assert read(client, ready, "regions/91")["tps_read_in_plenary"] == 1

    certified = post(client, auth, "910101", "certification", SIGN)
    assert certified["status"] == "certified"
    certificate = read(client, ready, "plenaries/910101/certificate")
    marked = {t["code"]: t.get("read_in_plenary", False) for t in certificate["figures"]["tps"]}
    assert marked == {"9101011001001": False, "9101011001002": False, MISSING: True}
    assert [r["tps"] for r in certificate["results_read"]] == [MISSING]
    assert certificate["figures"]["total"]["votes"]["1"] == 50 + 60 + 71
    page = client.get(f"{BASE}/plenaries/910101/certificate?format=html").get_data(as_text=True)
    assert "Hasil TPS yang dibacakan dalam pleno" in page
    assert page.count("* TPS 91.01.01.1002.001: hasil dibacakan dari C.Hasil") == 1

    # once certified, nothing more is read there
    read_in_plenary(client, auth(*OFFICIAL["910101"]), status=409)


def test_a_late_upload_conflicts_and_shows_the_figures_read_in_plenary(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth, skip=(MISSING,))
    post(client, auth, "910101", "open")
    ppk = auth(*OFFICIAL["910101"])
    read_in_plenary(client, ppk)

    late = client.post(
        f"{BASE}/tps/{MISSING}/submissions",
        json=submission(form(MISSING)),
        headers=auth("kpps", MISSING),
    )
    assert late.status_code == 409, late.json
    assert late.mimetype == "application/problem+json"
    assert late.json["code"] == "read_in_plenary"
    shown = late.json["read_in_plenary"]
    assert shown["plenary"] == "910101" and shown["version"] == 1
    assert shown["form"]["votes"] == {"1": 71, "2": 50, "3": 40}

    bulk = client.post(
        f"{BASE}/submissions:bulk",
        json=[{"tps": MISSING, **submission(form(MISSING))}],
        headers=auth("operator", "9101"),
    )
    assert bulk.status_code == 200
    item = bulk.json["items"][0]
    assert item["status"] == 409 and item["problem"]["code"] == "read_in_plenary"
    assert item["problem"]["read_in_plenary"]["form"]["votes"]["1"] == 71

    # the same TPS again, or a TPS that has its upload, is a correction: 409
    again = read_in_plenary(client, ppk, status=409)
    assert "already has a result" in again["detail"]
    uploaded = {**READING, "tps": "9101011001001", "form": form("9101011001001")}
    read_in_plenary(client, ppk, uploaded, status=409)
    assert read(client, ready, f"tps/{MISSING}")["version"] == 1


def test_only_the_kecamatan_official_reads_a_result_and_only_while_its_plenary_is_open(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    read_in_plenary(client, auth(*OFFICIAL["910101"]), status=409)  # not open yet
    post(client, auth, "910101", "open")
    read_in_plenary(client, auth("kpps", MISSING), status=403)
    read_in_plenary(client, auth("ppk", "910102"), status=403)
    r = client.post(f"{BASE}/plenaries/9101/results", json=READING, headers=auth("ppk", "910101"))
    assert r.status_code == 403
    post(client, auth, "9101", "open")
    r = client.post(f"{BASE}/plenaries/9101/results", json=READING, headers=auth(*OFFICIAL["9101"]))
    assert r.status_code == 403  # the kab/kota's official is no PPK
    assert client.get(f"{BASE}/tps/{MISSING}").status_code == 404


def test_hostile_or_impossible_readings_are_refused_field_by_field_and_store_nothing(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    post(client, auth, "910101", "open")
    ppk = auth(*OFFICIAL["910101"])
    version = read(client, ready, "plenaries/910101")["version"]
    bad_votes = {**READING, "form": {**READING["form"], "votes": {"1": -3, "2": 1000, "9": 1}}}
    cases = [
        ({**READING, "reason": "dibaca\u0000"}, "reason"),
        ({**READING, "reason": "x" * 100_000}, "reason"),
        ({**READING, "tps": "9102011001001"}, "tps"),  # another kecamatan's TPS
        ({**READING, "tps": "9101011002009"}, "tps"),  # no such TPS
        ({**READING, "tps": "910101"}, "tps"),
        ({**READING, "evidence": [{"page": 1, "sha256": "ab" * 32}]}, "evidence.0.sha256"),
        ({**READING, "extra": 1}, "extra"),
        ({k: v for k, v in READING.items() if k != "reason"}, "reason"),
        (bad_votes, "form.votes"),
    ]
    for body, field in cases:
        r = client.post(f"{BASE}/plenaries/910101/results", json=body, headers=ppk)
        assert r.status_code == 422, (field, r.json)
        assert any(e["field"].startswith(field) for e in r.json.get("errors", [])), (field, r.json)
    r = client.post(
        f"{BASE}/plenaries/910101/results",
        data=b'{"tps": "9101011002001", "tps": "9101011002001"}',
        headers={**ppk, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert read(client, ready, "plenaries/910101")["version"] == version
    assert client.get(f"{BASE}/tps/{MISSING}").status_code == 404


def test_a_token_with_a_second_factor_needs_its_code_to_read_a_result(
    client: FlaskClient, ready: Services, auth: Auth, totp_auth: TotpAuth
) -> None:
    post(client, auth, "910101", "open")
    ppk, uri = totp_auth(*OFFICIAL["910101"])
    refused = read_in_plenary(client, ppk, status=401)
    assert refused["code"] == "otp_required"
    assert client.get(f"{BASE}/tps/{MISSING}").status_code == 404
    read_in_plenary(client, {**ppk, "X-OTP": code_now(uri)})
    assert read(client, ready, f"tps/{MISSING}")["submitted"]["source"] == "plenary"


def test_a_reading_that_loses_a_race_records_nothing_neither_on_the_tps_nor_in_the_minutes(
    client: FlaskClient, ready: Services, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reading is saved in one call with its plenary's event: an upload that lands between
    its checks and its save, or any plenary event (a certification, an objection), fails it."""
    from service.usecases.plenary import reading

    post(client, auth, "910101", "open")
    ppk = auth(*OFFICIAL["910101"])
    saved = reading.save_plenary
    meanwhile: list[Any] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        meanwhile.pop()()
        return saved(*args, **kwargs)

    monkeypatch.setattr(reading, "save_plenary", racing)
    bawaslu = Actor(id="bawaslu-91", role=Role.BAWASLU, scope="91")
    objection = RaiseObjection(ObjectionSubject.PROCEDURE, "dibaca terlalu cepat")
    meanwhile.append(
        lambda: use.raise_objection(ready.plenary, bawaslu, ELECTION, CONTEST, "910101", objection)
    )
    version = read(client, ready, "plenaries/910101")["version"]
    raced = read_in_plenary(client, ppk, status=409)
    assert "changed meanwhile" in raced["detail"]
    assert read(client, ready, "plenaries/910101")["version"] == version + 1  # the objection
    assert client.get(f"{BASE}/tps/{MISSING}").status_code == 404

    upload = given_results.submission(MISSING, submission(form(MISSING)))
    meanwhile.append(lambda: submit(ready.results, kpps(MISSING), ELECTION, CONTEST, upload))
    read_in_plenary(client, ppk, status=409)
    minutes = read(client, ready, "plenaries/910101")["minutes"]
    assert [m["kind"] for m in minutes] == ["opened", "objection_raised"]
    assert read(client, ready, f"tps/{MISSING}")["submitted"]["source"] == "api"
