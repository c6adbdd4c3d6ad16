"""A token with a second factor over HTTP, on SQLite and PostgreSQL: every write needs the
current code of its authenticator app in X-OTP, once; certifying, reopening and recording a
result in plenary included. Each code here is computed by the test from the token's URI."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.api.conftest import Auth, TotpAuth
from tests.api.hostile import HOSTILE_TEXT
from tests.api.test_plenary_api import BASE, OFFICIAL, SIGN, form, read, submit_all
from tests.factories import DPT, TPS, pilkada_form, submission
from tests.totp_codes import code_at_step, code_now, secret_of, wrong_code
from tests.unit.test_totp import HOSTILE

TPS_A = TPS[0]


def tps_url(tps: str, action: str) -> str:
    return f"{BASE}/tps/{tps}/{action}"


def otp(headers: dict[str, str], code: str) -> dict[str, str]:
    return {**headers, "X-OTP": code}


def refused(response: Any, code: str, detail: str = "") -> None:
    assert response.status_code == 401, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code
    assert detail in response.json["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def stored_version(client: FlaskClient, services: Services, tps: str) -> int | None:
    services.runner.catch_up()
    r = client.get(tps_url(tps, "").rstrip("/"))
    return r.json["version"] if r.status_code == 200 else None


def test_a_totp_token_is_refused_without_a_code_with_a_wrong_one_and_a_replayed_one(
    client: FlaskClient, ready: Services, totp_auth: TotpAuth
) -> None:
    kpps, uri = totp_auth("kpps", TPS_A)
    body = submission(pilkada_form(DPT[TPS_A], {"1": 50, "2": 40, "3": 30}))

    refused(client.post(tps_url(TPS_A, "submissions"), json=body, headers=kpps), "otp_required")
    wrong = otp(kpps, wrong_code(uri))
    refused(client.post(tps_url(TPS_A, "submissions"), json=body, headers=wrong), "otp_invalid")
    assert stored_version(client, ready, TPS_A) is None  # nothing was stored

    now = code_now(uri)
    r = client.post(tps_url(TPS_A, "submissions"), json=body, headers=otp(kpps, now))
    assert r.status_code == 201, r.json

    # The same code again, a moment later (the token itself is still in the process's cache):
    # refused, and the correction is not stored.
    fix = {"form": pilkada_form(DPT[TPS_A], {"1": 51, "2": 40, "3": 29}), "reason": "re-read"}
    replay = {**otp(kpps, now), "If-Match": '"1"'}
    r = client.post(tps_url(TPS_A, "corrections"), json=fix, headers=replay)
    refused(r, "otp_invalid", "used already")
    assert stored_version(client, ready, TPS_A) == 1

    # The app's next code is good at once (one step of drift), and counts once too.
    following = {**otp(kpps, code_now(uri, steps_ahead=1)), "If-Match": '"1"'}
    r = client.post(tps_url(TPS_A, "corrections"), json=fix, headers=following)
    assert r.status_code == 201, r.json
    assert stored_version(client, ready, TPS_A) == 2


def test_what_is_not_a_code_in_x_otp_is_otp_invalid_and_stores_nothing(
    client: FlaskClient, ready: Services, totp_auth: TotpAuth, auth: Auth
) -> None:
    kpps, uri = totp_auth("kpps", TPS_A)
    body = submission(pilkada_form(DPT[TPS_A], {"1": 50, "2": 40, "3": 30}))
    values = [*HOSTILE, *HOSTILE_TEXT, "1" * 6 + "\x00", "0x1E240", "1e5", "123456" * 1000]
    for value in values:
        r = client.post(tps_url(TPS_A, "submissions"), json=body, headers=otp(kpps, value))
        refused(r, "otp_invalid" if value.strip() else "otp_required")
    assert stored_version(client, ready, TPS_A) is None
    # An unknown token is unauthenticated whatever X-OTP says.
    r = client.post(
        tps_url(TPS_A, "submissions"),
        json=body,
        headers={"Authorization": "Bearer rk_nope", "X-OTP": code_now(uri)},
    )
    refused(r, "unauthenticated")
    # The code was never spent on those: it still works.
    r = client.post(tps_url(TPS_A, "submissions"), json=body, headers=otp(kpps, code_now(uri)))
    assert r.status_code == 201, r.json
    # A token without a second factor ignores X-OTP, whatever it holds.
    other = TPS[1]
    body = submission(pilkada_form(DPT[other], {"1": 50, "2": 40, "3": 30}))
    plain = otp(auth("kpps", other), HOSTILE[-1])
    assert client.post(tps_url(other, "submissions"), json=body, headers=plain).status_code == 201


def test_a_token_that_sent_five_wrong_codes_waits_for_the_next_step_even_with_the_right_one(
    client: FlaskClient, ready: Services, totp_auth: TotpAuth
) -> None:
    kpps, uri = totp_auth("kpps", TPS_A)
    step = int(time.time() // 30)
    ready.tokens.clock = lambda: step * 30 + 10.5  # a step that does not end during the test
    body = submission(pilkada_form(DPT[TPS_A], {"1": 50, "2": 40, "3": 30}))
    wrong = otp(kpps, wrong_code(uri))
    for _ in range(5):
        refused(client.post(tps_url(TPS_A, "submissions"), json=body, headers=wrong), "otp_invalid")
    right = otp(kpps, code_at_step(secret_of(uri), step))
    r = client.post(tps_url(TPS_A, "submissions"), json=body, headers=right)
    assert r.status_code == 429 and r.mimetype == "application/problem+json", r.json
    assert (
        r.json["code"] == "too_many_requests" and "next one is checked in 20 s" in r.json["detail"]
    )
    assert r.headers["Retry-After"] == "20"
    assert stored_version(client, ready, TPS_A) is None
    ready.tokens.clock = lambda: (step + 1) * 30 + 0.5
    r = client.post(tps_url(TPS_A, "submissions"), json=body, headers=right)
    assert r.status_code == 201, r.json  # the next step checks it: it is the previous step's


def test_writes_racing_with_the_same_code_on_other_threads_store_only_one(
    client: FlaskClient, ready: Services, totp_auth: TotpAuth
) -> None:
    operator, uri = totp_auth("operator", "9101")
    the_code = code_now(uri)
    targets = [tps for tps in TPS if tps.startswith("9101")]
    start = threading.Barrier(len(targets))
    answers: dict[str, Any] = {}
    app = client.application

    def submit(tps: str) -> None:
        body = submission(pilkada_form(DPT[tps], {"1": 50, "2": 40, "3": 30}))
        own = app.test_client()  # a client per thread, as separate requests would come
        start.wait()
        r = own.post(tps_url(tps, "submissions"), json=body, headers=otp(operator, the_code))
        answers[tps] = (r.status_code, r.json["code"] if r.status_code != 201 else None)

    threads = [threading.Thread(target=submit, args=(tps,)) for tps in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers.values(), key=str) == sorted(
        [(201, None)] + [(401, "otp_invalid")] * (len(targets) - 1), key=str
    )
    stored = [tps for tps in targets if stored_version(client, ready, tps) is not None]
    assert stored == [tps for tps, answer in answers.items() if answer[0] == 201]


def test_certifying_reopening_and_correcting_in_plenary_need_the_code_of_a_totp_official(
    client: FlaskClient, ready: Services, auth: Auth, totp_auth: TotpAuth
) -> None:
    submit_all(client, auth)
    ppk, uri = totp_auth(*OFFICIAL["910101"])
    plenary = f"{BASE}/plenaries/910101"
    r = client.post(f"{plenary}/open", headers=ppk)
    refused(r, "otp_required")
    assert read(client, ready, "plenaries/910101")["status"] == "not_open"
    assert client.post(f"{plenary}/open", headers=otp(ppk, code_now(uri))).status_code == 201

    # Recording a result in plenary: a correction of a TPS's figures in the minutes.
    fix = {"tps": TPS_A, "form": form(TPS_A, v3=31), "reason": "dihitung ulang"}
    refused(client.post(f"{plenary}/corrections", json=fix, headers=ppk), "otp_required")
    wrong = otp(ppk, wrong_code(uri))
    refused(client.post(f"{plenary}/corrections", json=fix, headers=wrong), "otp_invalid")
    assert read(client, ready, f"tps/{TPS_A}")["version"] == 1
    following = otp(ppk, code_now(uri, steps_ahead=1))
    assert client.post(f"{plenary}/corrections", json=fix, headers=following).status_code == 201
    assert read(client, ready, f"tps/{TPS_A}")["version"] == 2

    # Certifying, by another official of the kecamatan with a second factor.
    chair, chair_uri = totp_auth(*OFFICIAL["910101"])
    refused(client.post(f"{plenary}/certification", json=SIGN, headers=chair), "otp_required")
    assert read(client, ready, "plenaries/910101")["status"] == "open"
    signed = otp(chair, code_now(chair_uri))
    r = client.post(f"{plenary}/certification", json=SIGN, headers=signed)
    assert r.status_code == 201, r.json
    refused(
        client.post(f"{plenary}/certification", json=SIGN, headers=signed),
        "otp_invalid",
        "used already",
    )
    assert read(client, ready, "plenaries/910101")["status"] == "certified"

    # Reopening, by the kab/kota's authority.
    kab, kab_uri = totp_auth(*OFFICIAL["9101"])
    reopen = {"reason": "rekap ulang"}
    refused(client.post(f"{plenary}/reopen", json=reopen, headers=kab), "otp_required")
    refused(
        client.post(f"{plenary}/reopen", json=reopen, headers=otp(kab, wrong_code(kab_uri))),
        "otp_invalid",
    )
    assert read(client, ready, "plenaries/910101")["status"] == "certified"
    r = client.post(f"{plenary}/reopen", json=reopen, headers=otp(kab, code_now(kab_uri)))
    assert r.status_code == 201, r.json
    assert read(client, ready, "plenaries/910101")["status"] == "reopened"


def test_a_second_factor_that_this_server_cannot_open_is_refused_not_an_error(
    client: FlaskClient, ready: Services, totp_auth: TotpAuth
) -> None:
    kpps, _ = totp_auth("kpps", TPS_A)
    _, other_uri = totp_auth("kpps", TPS[1])
    listed = {r["scope"]: r["token_id"] for r in ready.tokens.list()}
    mine, theirs = listed[TPS_A], listed[TPS[1]]
    with ready.db.transaction() as tx:
        # The other token's sealed secret, copied onto this one's row: bound to its own token,
        # it does not open, even with the code of the secret inside it.
        rows = tx.query("SELECT token_id, sealed_secret FROM api_token_totp")
        sealed = {r["token_id"]: r["sealed_secret"] for r in rows}
        tx.execute(
            "UPDATE api_token_totp SET sealed_secret = %s WHERE token_id = %s",
            (sealed[theirs], mine),
        )
    body = submission(pilkada_form(DPT[TPS_A], {"1": 50, "2": 40, "3": 30}))
    r = client.post(
        tps_url(TPS_A, "submissions"), json=body, headers=otp(kpps, code_now(other_uri))
    )
    refused(r, "otp_invalid", "cannot be checked")
    assert stored_version(client, ready, TPS_A) is None


def test_the_openapi_document_declares_x_otp_and_its_problem_codes(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    scheme = doc["components"]["securitySchemes"]["otp"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-OTP")
    unauthorized = doc["components"]["responses"]["UNAUTHORIZED"]["description"]
    assert "otp_required" in unauthorized and "otp_invalid" in unauthorized
    certify = doc["paths"]["/api/v1/elections/{eid}/contests/{cid}/plenaries/{code}/certification"][
        "post"
    ]
    assert {"bearer": [], "otp": []} in certify["security"]
    writes = [
        operation
        for path in doc["paths"].values()
        for method, operation in path.items()
        if method in ("post", "put")
    ]
    secured = [op for op in writes if "security" in op]
    assert len(secured) >= 17
    assert all({"bearer": [], "otp": []} in op["security"] for op in secured)
