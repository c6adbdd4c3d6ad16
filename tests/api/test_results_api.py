"""Submitting, correcting and reading TPS results over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.api.conftest import Auth
from tests.factories import CONTEST, DPT, ELECTION, TPS, pilkada_form, submission

BASE = f"/api/v1/elections/{ELECTION}/contests/{CONTEST}"


def tps_url(tps: str, suffix: str = "") -> str:
    return f"{BASE}/tps/{tps}{suffix}"


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and "Traceback" not in response.get_data(as_text=True)
    if code:
        assert body["code"] == code
    return body


def form(tps: str, votes: tuple[int, int, int] = (50, 40, 30)) -> dict[str, Any]:
    return pilkada_form(DPT[tps], {"1": votes[0], "2": votes[1], "3": votes[2]})


def test_a_submission_is_stored_once_and_answered_with_its_position(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    body = submission(form(TPS[0]))
    r = client.post(tps_url(TPS[0], "/submissions"), json=body, headers=kpps0)
    assert r.status_code == 201
    stored = r.get_json()
    assert stored["version"] == 1 and stored["anomalies"] == []
    assert stored["position"] == ready.runner.head()
    assert r.headers["ETag"] == '"1"'
    assert r.headers["Location"] == tps_url(TPS[0])

    retry = client.post(tps_url(TPS[0], "/submissions"), json=body, headers=kpps0)
    assert retry.status_code == 200 and retry.get_json() == stored
    assert ready.runner.head() == stored["position"]  # nothing new stored

    other = submission(form(TPS[0], (51, 40, 30)))
    problem(client.post(tps_url(TPS[0], "/submissions"), json=other, headers=kpps0), 409)
    assert ready.runner.head() == stored["position"]


def test_a_dotted_tps_code_is_the_same_tps(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    dotted = f"{TPS[0][:2]}.{TPS[0][2:4]}.{TPS[0][4:6]}.{TPS[0][6:10]}.{TPS[0][10:]}"
    r = client.post(tps_url(dotted, "/submissions"), json=submission(form(TPS[0])), headers=kpps0)
    assert r.status_code == 201 and r.get_json()["tps"] == TPS[0]


def test_an_inconsistent_form_is_accepted_with_its_anomalies(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    body = submission(form(TPS[0]))
    body["form"]["valid"] += 10  # no longer the sum of the votes
    r = client.post(tps_url(TPS[0], "/submissions"), json=body, headers=kpps0)
    assert r.status_code == 201
    assert {a["rule"] for a in r.get_json()["anomalies"]} >= {"R4"}


def test_what_cannot_be_a_c_hasil_is_422_with_every_field_at_fault(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    body = submission(form(TPS[0]))
    body["form"]["votes"] = {"1": -1, "2": 1000, "3": 5, "9": 1}
    del body["form"]["ballots"]
    r = client.post(tps_url(TPS[0], "/submissions"), json=body, headers=kpps0)
    fields = {e["field"] for e in problem(r, 422, "invalid_input")["errors"]}
    assert fields == {"form.votes.1", "form.votes.2", "form.votes.9", "form.ballots"}
    r = client.post(tps_url(TPS[0], "/submissions"), json={"form": {}, "x": 1}, headers=kpps0)
    assert {e["field"] for e in problem(r, 422)["errors"]} == {"submission_id", "x"}
    assert ready.runner.head() == ready.runner.position()  # nothing stored


def test_results_are_written_only_within_the_tokens_scope(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    body = submission(form(TPS[1]))
    url = tps_url(TPS[1], "/submissions")
    problem(client.post(url, json=body), 401, "unauthenticated")
    problem(client.post(url, json=body, headers=auth("kpps", TPS[0])), 403, "forbidden")
    problem(client.post(url, json=body, headers=auth("operator", "9102")), 403)
    problem(client.post(url, json=body, headers=auth("admin")), 403)
    problem(client.post(url, json=body, headers=auth("ppk", "910101")), 403)
    r = client.post(url, json=body, headers=auth("operator", "9101"))
    assert r.status_code == 201


def test_unknown_elections_contests_and_tps_are_404(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    operator = auth("operator", "9101")
    body = submission(form(TPS[0]))
    for url in (
        f"/api/v1/elections/nope/contests/{CONTEST}/tps/{TPS[0]}/submissions",
        f"/api/v1/elections/{ELECTION}/contests/nope/tps/{TPS[0]}/submissions",
        tps_url("9101011001009", "/submissions"),
    ):
        problem(client.post(url, json=body, headers=operator), 404, "not_found")
    problem(client.get(tps_url(TPS[0])), 404)
    problem(client.get(tps_url("9101011001009", "/history")), 404)
    problem(client.get(f"{BASE}/regions/9109"), 404)


def test_a_correction_names_the_version_it_corrects(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    url = tps_url(TPS[0], "/corrections")
    correction = {"form": form(TPS[0], (49, 41, 30)), "reason": "misread", "request_id": "c-1"}
    problem(client.post(url, json=correction, headers=kpps0), 428, "precondition_required")
    problem(
        client.post(url, json=correction, headers={**kpps0, "If-Match": '"1"'}), 404, "not_found"
    )
    client.post(tps_url(TPS[0], "/submissions"), json=submission(form(TPS[0])), headers=kpps0)

    r = client.post(url, json=correction, headers={**kpps0, "If-Match": '"1"'})
    assert r.status_code == 201 and r.get_json()["version"] == 2
    assert r.headers["ETag"] == '"2"'
    again = client.post(url, json=correction, headers={**kpps0, "If-Match": '"1"'})
    assert again.status_code == 200 and again.get_json()["version"] == 2  # a retry

    stale = {**correction, "request_id": "c-2"}
    problem(client.post(url, json=stale, headers={**kpps0, "If-Match": '"1"'}), 412)
    problem(client.post(url, json=stale, headers={**kpps0, "If-Match": "banana"}), 400)
    problem(client.post(url, json=stale, headers={**kpps0, "If-Match": '"-1"'}), 400)
    no_reason = {"form": correction["form"]}
    r = client.post(url, json=no_reason, headers={**kpps0, "If-Match": '"2"'})
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["reason"]

    ready.runner.catch_up()
    read = client.get(tps_url(TPS[0]))
    assert read.headers["ETag"] == '"2"'
    document = read.get_json()
    assert document["version"] == 2 and document["form"]["votes"] == {"1": 49, "2": 41, "3": 30}
    assert document["submitted"]["form"]["votes"]["1"] == 50
    assert [c["reason"] for c in document["corrections"]] == ["misread"]


def test_a_tps_result_is_a_cacheable_public_read(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    r = client.post(tps_url(TPS[0], "/submissions"), json=submission(form(TPS[0])), headers=kpps0)
    position = r.get_json()["position"]
    lagging = client.get(tps_url(TPS[0], f"?wait_for={position}"))
    assert problem(lagging, 503, "projection_lagging")["position"] == position
    assert lagging.headers["Retry-After"] == "1"
    problem(client.get(tps_url(TPS[0], f"?wait_for={position + 100}")), 400)

    ready.runner.catch_up()
    read = client.get(tps_url(TPS[0], f"?wait_for={position}"))
    assert read.status_code == 200 and read.get_json()["position"] == position
    assert read.headers["Cache-Control"].startswith("public, max-age=")
    cached = client.get(tps_url(TPS[0]), headers={"If-None-Match": read.headers["ETag"]})
    assert cached.status_code == 304 and cached.data == b""


def test_the_history_lists_every_event_with_its_position_time_and_actor(
    client: FlaskClient, ready: Services, services: Services, kpps0: dict[str, str]
) -> None:
    first = client.post(
        tps_url(TPS[0], "/submissions"), json=submission(form(TPS[0])), headers=kpps0
    ).get_json()
    positions = [first["position"]]
    for version in (1, 2, 3):
        body = {"form": form(TPS[0], (50 - version, 40, 30)), "reason": f"fix {version}"}
        r = client.post(
            tps_url(TPS[0], "/corrections"),
            json=body,
            headers={**kpps0, "If-Match": f'"{version}"'},
        )
        positions.append(r.get_json()["position"])

    page = client.get(tps_url(TPS[0], "/history?limit=3"))
    assert page.status_code == 200 and page.headers["Cache-Control"].startswith("public")
    document = page.get_json()
    assert [e["version"] for e in document["events"]] == [1, 2, 3]
    assert [e["type"] for e in document["events"]] == ["TpsResult.Submitted"] + [
        "TpsResult.Corrected"
    ] * 2
    assert [e["position"] for e in document["events"]] == positions[:3]
    token_id = services.tokens.list()[-1]["token_id"]
    assert {e["actor"]["id"] for e in document["events"]} == {token_id}
    assert document["events"][1]["payload"]["reason"] == "fix 1"
    assert document["events"][0]["time"]
    rest = client.get(tps_url(TPS[0], f"/history?limit=3&after={document['next_after']}"))
    assert [e["position"] for e in rest.get_json()["events"]] == positions[3:]
    assert rest.get_json()["next_after"] is None
    problem(client.get(tps_url(TPS[0], "/history?limit=0")), 422)


def test_the_recap_of_a_region_has_its_children_and_cache_headers(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    operator = auth("operator", "9101")
    for tps in TPS[:3]:
        client.post(tps_url(tps, "/submissions"), json=submission(form(tps)), headers=operator)
    ready.runner.catch_up()
    r = client.get(f"{BASE}/regions/91.01")
    assert r.status_code == 200
    recap = r.get_json()
    assert recap["votes"] == {"1": 150, "2": 120, "3": 90} and recap["tps_reported"] == 3
    assert [c["code"] for c in recap["children"]] == ["910101", "910102"]
    assert r.headers["Cache-Control"].startswith("public")
    assert (
        client.get(f"{BASE}/regions/9101", headers={"If-None-Match": r.headers["ETag"]}).status_code
        == 304
    )
    top = client.get(f"{BASE}/regions/91").get_json()
    assert top["winner"]["status"] == "pending"


def test_a_bulk_import_answers_item_by_item(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    operator = auth("operator", "9101")
    client.post(tps_url(TPS[0], "/submissions"), json=submission(form(TPS[0])), headers=operator)
    first = client.get(tps_url(TPS[0]))  # not projected: 404 is fine, we only need the retry id
    assert first.status_code == 404
    retry = submission(form(TPS[1]), "retry-1")
    client.post(tps_url(TPS[1], "/submissions"), json=retry, headers=operator)
    broken = submission(form(TPS[2]))
    broken["form"]["votes"]["1"] = -5
    items = [
        {"tps": TPS[0], **submission(form(TPS[0], (1, 2, 3)))},  # 409: TPS 0 has another
        {"tps": TPS[1], **retry},  # 200: the same submission again
        {"tps": TPS[2], **broken},  # 422
        {"tps": TPS[3], **submission(form(TPS[3]))},  # 201
        {"tps": TPS[5], **submission(form(TPS[5]))},  # 403: kab 9102 is not this operator's
        {"tps": "9101011001009", **submission(form(TPS[0]))},  # 404
    ]
    head = ready.runner.head()
    r = client.post(f"{BASE}/submissions:bulk", json=items, headers=operator)
    assert r.status_code == 200
    answer = r.get_json()
    assert [i["status"] for i in answer["items"]] == [409, 200, 422, 201, 403, 404]
    assert answer["counts"] == {"409": 1, "200": 1, "422": 1, "201": 1, "403": 1, "404": 1}
    assert answer["items"][2]["problem"]["errors"][0]["field"] == "form.votes.1"
    assert answer["position"] == ready.runner.head() == head + 1

    again = client.post(f"{BASE}/submissions:bulk", json=items, headers=operator).get_json()
    assert [i["status"] for i in again["items"]] == [409, 200, 422, 200, 403, 404]
    assert ready.runner.head() == head + 1  # a retried import stores nothing

    problem(client.post(f"{BASE}/submissions:bulk", json={"tps": TPS[0]}, headers=operator), 422)
    problem(client.post(f"{BASE}/submissions:bulk", json=items, headers=auth("kpps", TPS[0])), 403)


def test_a_submission_may_cite_only_uploaded_evidence(
    client: FlaskClient, ready: Services, kpps0: dict[str, str]
) -> None:
    photo = b"\xff\xd8\xff\xe0" + b"jpeg bytes" * 10
    upload = client.post(
        "/api/v1/evidence", data=photo, headers={**kpps0, "Content-Type": "image/jpeg"}
    )
    digest = upload.get_json()["sha256"]
    body = submission(form(TPS[0]))
    body["evidence"] = [{"page": 1, "sha256": "0" * 64}]
    r = client.post(tps_url(TPS[0], "/submissions"), json=body, headers=kpps0)
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["evidence.0.sha256"]
    body["evidence"] = [{"page": 1, "sha256": digest}]
    r = client.post(tps_url(TPS[0], "/submissions"), json=copy.deepcopy(body), headers=kpps0)
    assert r.status_code == 201
    ready.runner.catch_up()
    assert client.get(tps_url(TPS[0])).get_json()["evidence"] == [{"page": 1, "sha256": digest}]
