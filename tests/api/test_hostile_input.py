"""What the read models cannot hold, or what could mean two things, is refused at the edge: a
clear problem for the client, nothing stored, and the projections never stop on it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.api.conftest import Auth
from tests.api.test_results_api import BASE, form, problem, tps_url
from tests.factories import TPS, submission

JSON = {"Content-Type": "application/json"}
NUL, SURROGATE = "x\u0000y", "\ud800"


def send(client: FlaskClient, url: str, body: Any, headers: dict[str, str]) -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=raw, headers={**headers, **JSON})


def nothing_stored_and_projections_running(services: Services, head: int) -> None:
    assert services.runner.head() == head
    services.runner.catch_up()
    assert services.runner.position() == head


def test_a_correction_whose_reason_holds_a_nul_is_refused_and_the_recap_goes_on(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    send(client, tps_url(TPS[0], "/submissions"), submission(form(TPS[0])), kpps0)
    head = ready.runner.head()
    for reason in (NUL, SURROGATE, "bell\u0007", "\u202eevil", "\x9bcsi"):
        r = send(
            client,
            tps_url(TPS[0], "/corrections"),
            {"form": form(TPS[0], (49, 41, 30)), "reason": reason},
            {**kpps0, "If-Match": '"1"'},
        )
        assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["reason"]
    nothing_stored_and_projections_running(ready, head)
    # a later correction with a real reason is stored and projected
    ok = send(
        client,
        tps_url(TPS[0], "/corrections"),
        {"form": form(TPS[0], (49, 41, 30)), "reason": "baris dua:\tdibaca ulang\n(foto)"},
        {**kpps0, "If-Match": '"1"'},
    )
    assert ok.status_code == 201
    ready.runner.catch_up()
    assert client.get(tps_url(TPS[0])).get_json()["version"] == 2


def test_an_election_named_with_a_nul_or_a_surrogate_is_refused(
    client: FlaskClient, services: Services, auth: Auth
) -> None:
    admin = auth("admin")
    head = services.runner.head()
    for name in (NUL, SURROGATE, "a" * 201):
        r = send(client, "/api/v1/elections", {"id": "e-1", "name": name}, admin)
        assert [e["field"] for e in problem(r, 422)["errors"]] == ["name"]
    nothing_stored_and_projections_running(services, head)


def test_lone_surrogates_anywhere_are_422_never_500(
    client: FlaskClient, ready: Services, kpps0: dict[str, str], auth: Auth
) -> None:
    head = ready.runner.head()
    body = submission(form(TPS[0]), submission_id=SURROGATE)
    r = send(client, tps_url(TPS[0], "/submissions"), body, kpps0)
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["submission_id"]
    body = submission(form(TPS[0]))
    body["form"]["votes"][SURROGATE] = 1
    r = send(client, tps_url(TPS[0], "/submissions"), body, kpps0)
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["form.votes.\\ud800"]
    ppk = auth("ppk", "910101")
    assert client.post(f"{BASE}/plenaries/910101/open", headers=ppk).status_code == 201
    head = ready.runner.head()
    witness = auth("bawaslu", "91")
    objection = {"subject": "procedure", "target": None, "detail": f"detail {SURROGATE}"}
    r = send(client, f"{BASE}/plenaries/910101/objections", objection, witness)
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["detail"]
    nothing_stored_and_projections_running(ready, head)


def test_in_a_bulk_import_a_faulty_item_is_refused_alone(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    operator = auth("operator", "9101")
    bad = {"tps": TPS[1], **submission(form(TPS[1]), submission_id=SURROGATE)}
    worse = {"tps": TPS[2], **submission(form(TPS[2]))}
    worse["form"]["invalid"] = NUL
    items = [
        {"tps": TPS[0], **submission(form(TPS[0]))},
        bad,
        worse,
        {"tps": TPS[3], **submission(form(TPS[3]))},
    ]
    r = send(client, f"{BASE}/submissions:bulk", items, operator)
    answer = r.get_json()
    assert r.status_code == 200 and [i["status"] for i in answer["items"]] == [201, 422, 422, 201]
    assert answer["items"][1]["problem"]["errors"][0]["field"] == "submission_id"
    assert answer["items"][2]["problem"]["errors"][0]["field"] == "form.invalid"
    ready.runner.catch_up()
    assert ready.runner.position() == ready.runner.head()
    recap = client.get(f"{BASE}/regions/91").get_json()
    assert recap["tps_reported"] == 2


def test_json_nested_a_thousand_deep_is_400(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    for deep in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000):
        r = send(client, tps_url(TPS[0], "/submissions"), deep, kpps0)
        assert "nested deeper" in problem(r, 400, "malformed_request")["detail"]
    body = submission(form(TPS[0]))
    nested: Any = 1
    for _ in range(40):
        nested = {"n": nested}
    body["form"]["votes"]["1"] = nested
    problem(send(client, tps_url(TPS[0], "/submissions"), body, kpps0), 400)


def test_a_key_given_twice_is_refused_not_the_last_one_taken(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    head = ready.runner.head()
    body = json.dumps(submission(form(TPS[0], (52, 40, 30))))
    twice = body.replace('"1": 52', '"1": 999, "1": 52')
    assert twice != body
    r = send(client, tps_url(TPS[0], "/submissions"), twice, kpps0)
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["form.votes.1"]
    nothing_stored_and_projections_running(ready, head)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ('{"id": "e-1", "name": NaN}', 400),
        ('{"id": "e-1", "name": "a", "x": 1e400}', 400),
        ('{"id": "e-1", "name": "a", "x": ' + "9" * 5000 + "}", 400),
        ('{"id": "e-1", "name": "a", "x": ' + str(2**70) + "}", 422),
        (b'{"id": "e-1", "name": "\xff"}', 400),
    ],
)
def test_numbers_no_client_can_hold_and_bytes_that_are_not_text_are_refused(
    client: FlaskClient, services: Services, auth: Auth, raw: str | bytes, status: int
) -> None:
    problem(send(client, "/api/v1/elections", raw, auth("admin")), status)
    assert services.runner.head() == 0


def test_path_and_query_parameters_holding_a_nul_are_422(
    client: FlaskClient, ready: Services
) -> None:
    r = client.get("/api/v1/elections/te%00st/contests/x/regions/91")
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["eid"]
    r = client.get(f"{BASE}/regions/91?wait_for=1%00")
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["wait_for"]


def test_a_request_id_that_is_not_a_plain_token_is_replaced(
    client: FlaskClient, ready: Services
) -> None:
    r = client.get("/api/v1/elections", headers={"X-Request-Id": "abc\u0001def"})
    assert r.headers["X-Request-Id"] != "abc\u0001def" and r.headers["X-Request-Id"].isalnum()
    r = client.get("/api/v1/elections", headers={"X-Request-Id": "req-42"})
    assert r.headers["X-Request-Id"] == "req-42"


def test_a_single_document_over_a_mebibyte_is_413_but_a_bulk_import_may_be_larger(
    client: FlaskClient, ready: Services, kpps0: dict[str, str], auth: Auth
) -> None:
    body = submission(form(TPS[0]))
    body["padding"] = "x" * (20 * 1024 * 1024)
    problem(send(client, tps_url(TPS[0], "/submissions"), body, kpps0), 413, "payload_too_large")
    items = [{"tps": TPS[0], **submission(form(TPS[0])), "note": "y" * (2 * 1024 * 1024)}]
    r = send(client, f"{BASE}/submissions:bulk", items, auth("operator", "9101"))
    assert r.status_code == 200 and r.get_json()["items"][0]["status"] == 422  # the note only


def test_a_region_code_where_a_tps_code_belongs_is_422_not_a_missing_result(
    client: FlaskClient, ready: Services
) -> None:
    for path in ("", "/history"):
        body = problem(client.get(tps_url("9101", path)), 422, "invalid_input")
        assert "not a TPS code" in body["detail"]


def test_a_malformed_if_match_is_400_not_a_stale_version(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    send(client, tps_url(TPS[0], "/submissions"), submission(form(TPS[0])), kpps0)
    correction = {"form": form(TPS[0], (49, 41, 30)), "reason": "misread"}
    for tag in ("banana", '"1', '"0x1"', '"1e3"', '"١"', '"' + "9" * 20 + '"'):
        r = send(client, tps_url(TPS[0], "/corrections"), correction, {**kpps0, "If-Match": tag})
        assert "If-Match" in problem(r, 400, "malformed_request")["detail"]
    r = send(client, tps_url(TPS[0], "/corrections"), correction, {**kpps0, "If-Match": 'W/"1"'})
    assert r.status_code == 201


def test_a_region_named_in_megabytes_and_a_flag_written_as_text_are_422(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    head = ready.runner.head()
    tree = {"regions": [{"code": "92", "name": "x" * (2 * 1024 * 1024)}], "tps": []}
    r = client.put("/api/v1/elections/test-2024/regions", json=tree, headers=auth("admin"))
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["regions.0.name"]
    ppk = auth("ppk", "910101")
    assert client.post(f"{BASE}/plenaries/910101/open", headers=ppk).status_code == 201
    head = ready.runner.head()
    for flag in ("true", 1, None):
        r = send(
            client,
            f"{BASE}/plenaries/910101/recommendations/910101-r1/answer",
            {"followed": flag, "answer": "ya"},
            ppk,
        )
        assert [e["field"] for e in problem(r, 422)["errors"]] == ["followed"]
    nothing_stored_and_projections_running(ready, head)
