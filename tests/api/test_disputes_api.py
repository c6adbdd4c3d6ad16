"""After the top plenary over HTTP, on SQLite and PostgreSQL: a court records disputes and their
rulings, the province's KPU determines the result once the window has passed and no dispute is
open, and the certificate of determination prints; photo progress beside the data progress, in
the recap and on the site. Hostile bodies are refused and store nothing."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.api.conftest import Auth, TotpAuth
from tests.api.hostile import HOSTILE_TEXT, encode
from tests.api.test_fuzz_writes import Fuzzer
from tests.api.test_plenary_api import (
    BASE,
    OFFICIAL,
    SIGN,
    certify_region,
    form,
    post,
    read,
    submit_all,
)
from tests.api.test_results_api import problem
from tests.factories import ELECTION, GUBERNUR, TPS, submission
from tests.integration.test_disputes import RECOUNT_AT_910102
from tests.totp_codes import code_now

PLENARIES = ("910101", "910102", "910201", "9101", "9102", "91")
TOP = {"signed_by": ["Ketua KPU Provinsi", "Anggota"]}
JSON = {"Content-Type": "application/json"}


def certify_all(client: FlaskClient, auth: Auth) -> None:
    submit_all(client, auth)
    certify_region(client, auth, *PLENARIES)


def window(client: FlaskClient, services: Services) -> dict[str, Any]:
    found = read(client, services, "disputes")["window"]
    assert found is not None
    return found


def at(services: Services, moment: str, **shift: float) -> None:
    """Move the clock the determination compares the window with."""
    now = datetime.fromisoformat(moment) + timedelta(**shift)
    services.plenary.clock = lambda: now


def test_a_certified_result_is_disputed_ruled_on_and_determined_and_its_certificate_prints(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    certify_all(client, auth)
    assert read(client, ready, "regions/91")["result"] == "certified"
    assert read(client, ready, "regions/9101")["result"] is None  # only the contest's top
    site = f"/pemilu/{ELECTION}/{GUBERNUR['id']}/wilayah"
    assert 'data-result="certified"' in client.get(f"{site}/91").text
    assert "data-result" not in client.get(f"{site}/9101").text
    court, kpu = auth("court"), auth(*OFFICIAL["91"])
    opened = window(client, ready)
    assert opened["hours"] == 72 and opened["certificate"] == 1

    early = client.post(f"{BASE}/determination", json=TOP, headers=kpu)
    assert [e["field"] for e in problem(early, 409, "conflict")["errors"]] == ["dispute_window"]

    body = {"ref": "PHPU 12/PHP.GUB-XXIII/2025", "detail": "selisih suara di Kab Dua"}
    filed = client.post(f"{BASE}/disputes", json=body, headers=court)
    assert filed.status_code == 201, filed.json
    dispute_id = filed.json["dispute_id"]
    assert filed.json["status"] == "open" and filed.json["ref"] == body["ref"]
    again = client.post(f"{BASE}/disputes", json=body, headers=court)
    assert again.status_code == 200 and again.json["dispute_id"] == dispute_id
    assert read(client, ready, "regions/91")["result"] == "disputed"

    at(ready, opened["closes_at"])
    waiting = client.post(f"{BASE}/determination", json=TOP, headers=kpu)
    assert [e["field"] for e in problem(waiting, 409)["errors"]] == [f"disputes.{dispute_id}"]

    ruling = {"outcome": "rejected", "detail": "permohonan tidak dapat diterima"}
    ruled = client.post(f"{BASE}/disputes/{dispute_id}/ruling", json=ruling, headers=court)
    assert ruled.status_code == 201, ruled.json
    assert ruled.json["outcome"] == "rejected" and ruled.json["reopened"] == []
    problem(client.post(f"{BASE}/disputes/{dispute_id}/ruling", json=ruling, headers=court), 409)

    done = client.post(f"{BASE}/determination", json=TOP, headers=kpu)
    assert done.status_code == 201, done.json
    assert done.json["result"] == "determined" and done.json["window"] == {
        k: opened[k] for k in ("hours", "opens_at", "closes_at")
    }
    assert read(client, ready, "regions/91")["result"] == "determined"
    page = client.get(f"{site}/91").text
    assert 'data-result="determined"' in page
    assert f"/contests/{GUBERNUR['id']}/determination?format=html" in page
    state = read(client, ready, "disputes")
    assert state["result"] == "determined" and state["window"] == opened
    [dispute] = state["disputes"]
    assert dispute["status"] == "ruled" and dispute["ruling"]["outcome"] == "rejected"
    assert read(client, ready, f"disputes/{dispute_id}") == dispute

    certificate = read(client, ready, "determination")
    assert certificate["form"] == "PENETAPAN HASIL PEMILIHAN"
    assert certificate["certificate"]["number"] == 1
    assert certificate["result"]["verdict"]["status"] == "runoff"
    assert certificate["result"]["verdict"]["candidates"] == [1, 2]
    assert certificate["figures"]["votes"] == {"1": 340, "2": 230, "3": 200}
    assert certificate["disputes"][0]["ref"] == body["ref"]
    assert certificate["proof"] == f"/api/v1/audit/events/{certificate['position']}/proof"
    page = client.get(f"{BASE}/determination?format=html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "PENETAPAN HASIL PEMILIHAN" in html and "putaran kedua" in html
    assert "Pasangan Satu" in html and "PHPU 12/PHP.GUB-XXIII/2025" in html and "ditolak" in html
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]*/d_hasil\.css)">', html)
    assert stylesheet is not None
    assert client.get(stylesheet.group(1)).mimetype == "text/css"
    assert "<script" not in html and "style=" not in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    browser = client.get(f"{BASE}/determination", headers={"Accept": "text/html"})
    assert browser.mimetype == "text/html"

    problem(client.post(f"{BASE}/determination", json=TOP, headers=kpu), 409)
    problem(client.post(f"{BASE}/disputes", json={**body, "ref": "PHPU 13"}, headers=court), 409)
    reopen = {"reason": "rekap ulang", "order": {"kind": "re_recap", "ref": "MK 9"}}
    problem(client.post(f"{BASE}/plenaries/9101/reopen", json=reopen, headers=court), 409)


def test_a_ruling_ordering_a_recount_reopens_the_plenaries_it_names_and_those_above(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    certify_all(client, auth)
    first = window(client, ready)
    court = auth("court")
    filed = client.post(f"{BASE}/disputes", json={"ref": "PHPU 3", "detail": "x"}, headers=court)
    ruling = {"outcome": "re_count", "detail": "hitung ulang", "plenaries": ["91.01.02"]}
    ruled = client.post(
        f"{BASE}/disputes/{filed.json['dispute_id']}/ruling", json=ruling, headers=court
    )
    assert ruled.status_code == 201, ruled.json
    assert ruled.json["reopened"] == ["910102", "9101", "91"]
    states = {p["code"]: p["status"] for p in read(client, ready, "plenaries")["plenaries"]}
    assert states == RECOUNT_AT_910102
    assert read(client, ready, "regions/91")["result"] is None
    assert read(client, ready, "disputes")["window"] is None

    tps = TPS[3]
    fix = {"tps": tps, "form": form(tps, v1=45), "reason": "hasil hitung ulang"}
    post(client, auth, "910102", "corrections", fix)
    for code in ("910102", "9101", "91"):
        post(client, auth, code, "certification", SIGN)
    second = window(client, ready)
    assert second["certificate"] == 2 and second["opens_at"] > first["opens_at"]
    kpu = auth(*OFFICIAL["91"])
    gap = datetime.fromisoformat(second["opens_at"]) - datetime.fromisoformat(first["opens_at"])
    # the first window is over, the second is not
    at(ready, first["closes_at"], seconds=gap.total_seconds() / 2)
    early = client.post(f"{BASE}/determination", json=TOP, headers=kpu)
    assert [e["field"] for e in problem(early, 409)["errors"]] == ["dispute_window"]
    at(ready, second["closes_at"])
    done = client.post(f"{BASE}/determination", json=TOP, headers=kpu)
    assert done.status_code == 201 and done.json["certificate"] == 2


def test_only_a_court_records_disputes_and_only_the_top_tiers_kpu_determines(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    certify_all(client, auth)
    at(ready, window(client, ready)["closes_at"])
    body = {"ref": "PHPU 1", "detail": "x"}
    for headers in (auth(*OFFICIAL["91"]), auth("admin"), auth("bawaslu", "91")):
        problem(client.post(f"{BASE}/disputes", json=body, headers=headers), 403)
    problem(client.post(f"{BASE}/disputes", json=body), 401)
    for headers in (
        auth("court"),
        auth("kpu_kabkota", "9101"),
        auth("kpu_ri"),
        auth("ppk", "910101"),
    ):
        problem(client.post(f"{BASE}/determination", json=TOP, headers=headers), 403)
    problem(
        client.post(f"{BASE}/disputes/{'0' * 8}/ruling", json=body, headers=auth("kpps", TPS[0])),
        403,
    )
    ruling = {"outcome": "rejected", "detail": "x"}
    missing = client.post(
        f"{BASE}/disputes/not-a-dispute/ruling", json=ruling, headers=auth("court")
    )
    problem(missing, 404)
    assert read(client, ready, "disputes")["disputes"] == []
    assert read(client, ready, "regions/91")["result"] == "certified"
    problem(client.get(f"{BASE}/determination"), 404)
    problem(client.get(f"{BASE}/disputes/{'0' * 36}"), 404)


def test_a_determination_by_a_token_with_a_second_factor_needs_its_code(
    client: FlaskClient, ready: Services, auth: Auth, totp_auth: TotpAuth
) -> None:
    certify_all(client, auth)
    at(ready, window(client, ready)["closes_at"])
    kpu, uri = totp_auth("kpu_provinsi", "91")
    refused = client.post(f"{BASE}/determination", json=TOP, headers=kpu)
    assert problem(refused, 401, "otp_required")
    assert read(client, ready, "regions/91")["result"] == "certified"
    done = client.post(f"{BASE}/determination", json=TOP, headers={**kpu, "X-OTP": code_now(uri)})
    assert done.status_code == 201, done.json
    assert read(client, ready, "regions/91")["result"] == "determined"


HOSTILE_DISPUTES: list[Any] = [
    *({"ref": text, "detail": "x"} for text in HOSTILE_TEXT[:12]),
    *({"ref": "PHPU 1", "detail": text} for text in HOSTILE_TEXT[:12]),
    {"ref": "PHPU 1", "detail": "x", "extra": 1},
    {"ref": 2**70, "detail": "x"},
    {"ref": ["PHPU 1"], "detail": "x"},
    {"detail": "x"},
]
HOSTILE_RULINGS: list[Any] = [
    {"outcome": "dismissed", "detail": "x"},
    {"outcome": "rejected", "detail": "x", "plenaries": ["910101"]},
    {"outcome": "re_count", "detail": "x"},
    {"outcome": "re_count", "detail": "x", "plenaries": ["910101"], "tps": [TPS[0]]},
    {"outcome": "re_vote", "detail": "x", "plenaries": ["9101011001"], "tps": [TPS[0]]},
    {"outcome": "re_vote", "detail": "x", "plenaries": ["910101"], "tps": ["910101"]},
    {"outcome": "re_vote", "detail": "x", "plenaries": ["910101"], "tps": [TPS[5]]},
    {"outcome": "re_recap", "detail": "x", "plenaries": ["9101", "910101"]},
    {"outcome": "re_recap", "detail": "x", "plenaries": ["x\u0000y"]},
    {"outcome": "re_recap", "detail": "x", "plenaries": [2**70]},
    {"outcome": "re_recap", "detail": "x", "plenaries": ["9101"] * 1001},
    *({"outcome": "rejected", "detail": text} for text in HOSTILE_TEXT[:12]),
]
HOSTILE_DETERMINATIONS: list[Any] = [
    {"signed_by": []},
    {"signed_by": "Ketua"},
    {"signed_by": ["x" * 5000]},
    {"signed_by": ["\u202eKetua"]},
    {"signed_by": ["Ketua"], "verdict": {"status": "decided", "candidates": [3]}},
    *({"signed_by": [text]} for text in HOSTILE_TEXT[:12]),
]
RAW = [
    '{"ref": "PHPU 1", "ref": "PHPU 2", "detail": "x"}',
    '{"ref": "PHPU 1", "detail": NaN}',
    "[" * 1000 + "]" * 1000,
    '{"ref": "PHPU 1", "detail": "x\\ud800"}',
    "not json",
]


def test_hostile_disputes_rulings_and_determinations_are_refused_and_store_nothing(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    certify_all(client, auth)
    court, kpu = auth("court"), auth(*OFFICIAL["91"])
    filed = client.post(f"{BASE}/disputes", json={"ref": "PHPU 1", "detail": "x"}, headers=court)
    ruling_url = f"{BASE}/disputes/{filed.json['dispute_id']}/ruling"
    at(ready, window(client, ready)["closes_at"])
    ready.runner.catch_up()
    head = ready.runner.head()
    sent = [
        *((f"{BASE}/disputes", encode(b), court) for b in HOSTILE_DISPUTES),
        *((ruling_url, encode(b), court) for b in HOSTILE_RULINGS),
        *((f"{BASE}/determination", encode(b), kpu) for b in HOSTILE_DETERMINATIONS),
        *(
            (url, raw, who)
            for url, who in ((f"{BASE}/disputes", court), (ruling_url, court))
            for raw in RAW
        ),
    ]
    for url, raw, headers in sent:
        r = client.post(url, data=raw, headers={**headers, **JSON})
        assert r.status_code in (400, 409, 422), (url, raw[:200], r.status_code, r.json)
        assert r.mimetype == "application/problem+json"
        assert "Traceback" not in r.get_data(as_text=True)
    assert ready.runner.head() == head
    ready.runner.catch_up()
    assert ready.runner.position() == head
    assert read(client, ready, "disputes")["disputes"][0]["status"] == "open"
    named = client.post(
        ruling_url,
        json={
            "outcome": "re_vote",
            "detail": "x",
            "plenaries": ["9101", "910101"],
            "tps": [TPS[5]],
        },
        headers=court,
    )
    assert {e["field"] for e in problem(named, 422)["errors"]} == {"plenaries.0", "tps.0"}


def test_fuzzed_disputes_rulings_and_determinations_are_never_a_5xx(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    certify_all(client, auth)
    fuzzer = Fuzzer(ready, client)
    court, kpu = auth("court"), auth(*OFFICIAL["91"])
    fuzzer.document(f"{BASE}/disputes", {"ref": "PHPU 9", "detail": "selisih"}, court)
    filed = client.post(f"{BASE}/disputes", json={"ref": "PHPU 1", "detail": "x"}, headers=court)
    ruling = {"outcome": "re_vote", "detail": "PSU", "plenaries": ["910201"], "tps": [TPS[5]]}
    fuzzer.document(f"{BASE}/disputes/{filed.json['dispute_id']}/ruling", ruling, court)
    at(ready, "2100-01-01T00:00:00+00:00")
    fuzzer.document(f"{BASE}/determination", TOP, kpu)


def test_a_contest_defines_its_dispute_window_and_hostile_windows_are_refused(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    admin = auth("admin")
    url = f"/api/v1/elections/{ELECTION}/contests"
    for hours in (-1, 721, 1.5, "72", True, None, 2**70):
        r = client.post(
            url, json={**GUBERNUR, "id": "g-2", "dispute_window_hours": hours}, headers=admin
        )
        assert [e["field"] for e in problem(r, 422)["errors"]] == ["dispute_window_hours"], hours
    made = client.post(
        url, json={**GUBERNUR, "id": "g-2", "dispute_window_hours": 24}, headers=admin
    )
    assert made.status_code == 201 and made.json["contest"]["dispute_window_hours"] == 24
    same = client.post(
        url, json={**GUBERNUR, "id": "g-2", "dispute_window_hours": 24}, headers=admin
    )
    assert same.status_code == 200
    other = client.post(url, json={**GUBERNUR, "id": "g-2"}, headers=admin)
    assert other.status_code == 409  # 72 by default: another definition
    ready.runner.catch_up()
    contests = client.get(f"/api/v1/elections/{ELECTION}").json["contests"]
    assert {c["id"]: c["dispute_window_hours"] for c in contests} == {"gub-99": 72, "g-2": 24}


# -- photo progress ------------------------------------------------------------------------------


def upload(client: FlaskClient, headers: dict[str, str], i: int) -> dict[str, Any]:
    photo = b"\xff\xd8\xff\xe0" + f"foto C.Hasil {i}".encode() * 10
    r = client.post(
        "/api/v1/evidence", data=photo, headers={**headers, "Content-Type": "image/jpeg"}
    )
    assert r.status_code in (200, 201), r.json
    return {"page": 1, "sha256": r.json["sha256"]}


def test_photo_progress_shows_beside_the_data_progress_in_the_recap_and_on_the_site(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    photographed = {TPS[0], TPS[3], TPS[5]}
    for i, tps in enumerate(TPS[:5]):
        kpps = auth("kpps", tps)
        body = submission(form(tps))
        if tps in photographed:
            body["evidence"] = [upload(client, kpps, i)]
        assert (
            client.post(f"{BASE}/tps/{tps}/submissions", json=body, headers=kpps).status_code == 201
        )
    ready.runner.catch_up()
    for code in ("91", "9101", "910102", "9101021001"):
        recap = read(client, ready, f"regions/{code}")
        counted = sum(1 for t in photographed - {TPS[5]} if t.startswith(code))
        assert recap["tps_with_evidence"] == counted, code
        assert recap["evidence_progress"] == round(100 * counted / recap["tps_total"], 2)
        assert recap["tps_reported"] == sum(1 for t in TPS[:5] if t.startswith(code))
        page = client.get(f"/pemilu/{ELECTION}/gub-99/wilayah/{code}").get_data(as_text=True)
        bar = re.search(r'<div id="evidence-progress" data-with-evidence="(\d+)">', page)
        assert bar is not None and int(bar.group(1)) == counted, code
        assert 'id="progress"' in page
    province = read(client, ready, "regions/91")
    assert province["tps_with_evidence"] == 2 and province["evidence_progress"] == round(200 / 6, 2)
    assert [c["tps_with_evidence"] for c in province["children"]] == [2, 0]
    spec = json.dumps(client.get("/api/v1/openapi.json").json)
    for path in ("/disputes", "/disputes/{did}/ruling", "/determination"):
        assert f"/api/v1/elections/{{eid}}/contests/{{cid}}{path}" in spec
    assert "tps_with_evidence" in spec and "dispute_window_hours" in spec


@pytest.mark.parametrize("outcome", ["re_vote", "re_recap"])
def test_a_ruling_that_reopens_the_top_plenary_itself_supersedes_its_certificate(
    client: FlaskClient, ready: Services, auth: Auth, outcome: str
) -> None:
    certify_all(client, auth)
    court = auth("court")
    filed = client.post(f"{BASE}/disputes", json={"ref": "PHPU 4", "detail": "x"}, headers=court)
    ruling: dict[str, Any] = {"outcome": outcome, "detail": "x", "plenaries": ["91"]}
    if outcome == "re_vote":
        ruling["tps"] = [TPS[5]]
    ruled = client.post(
        f"{BASE}/disputes/{filed.json['dispute_id']}/ruling", json=ruling, headers=court
    )
    assert ruled.status_code == 201 and ruled.json["reopened"] == ["91"]
    top = read(client, ready, "plenaries/91")
    assert top["status"] == "reopened" and top["certificates"][0]["superseded_at"]
    assert top["minutes"][-1]["order"]["ref"] == "PHPU 4"
