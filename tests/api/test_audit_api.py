"""The audit endpoints: the log, signed heads, proofs that verify (and fail when mutated), as-of."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from service.audit.leaves import record_leaf_hash
from service.audit.log import AuditLog
from service.audit.merkle import mth
from service.audit.proofcheck import check_document
from service.bootstrap import Services
from tests.factories import CONTEST, ELECTION, TPS, kpps_corrects, kpps_submits, tps_body, tps_form
from tests.unit.test_merkle import consistency_mutations, inclusion_mutations

BASE = f"/api/v1/elections/{ELECTION}/contests/{CONTEST}"


def _results(services: Services) -> None:
    for i, tps in enumerate(TPS):
        kpps_submits(services, tps, tps_body(tps, {"1": 40 + i, "2": 50, "3": 60}))
    form = tps_form(TPS[0], {"1": 41, "2": 50, "3": 60})
    kpps_corrects(services, TPS[0], {"form": form, "reason": "salah tulis"}, 1)
    services.runner.catch_up()
    AuditLog.of(services).publish()  # on demand, as the projection would after its interval


def test_the_log_pages_as_json_and_streams_as_ndjson_with_leaf_hashes(
    client: FlaskClient, ready: Services
) -> None:
    _results(ready)
    page = client.get("/api/v1/audit/events?after=0&limit=5").get_json()
    assert [e["position"] for e in page["events"]] == [1, 2, 3, 4, 5]
    assert page["next_after"] == 5
    first = page["events"][0]
    assert first["type"] == "Election.Registered" and first["actor"]["role"] == "admin"
    assert first["leaf_hash"] == record_leaf_hash(first["record"]).hex()

    streamed = client.get("/api/v1/audit/events", headers={"Accept": "application/x-ndjson"})
    assert streamed.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in streamed.get_data(as_text=True).splitlines()]
    assert len(lines) == ready.runner.head()
    corrected = lines[-1]
    assert corrected["type"] == "TpsResult.Corrected"
    assert corrected["payload"]["form"]["votes"] == {"1": 41, "2": 50, "3": 60}
    head = client.get("/api/v1/audit/tree-head").get_json()
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in lines]
    assert head["size"] == len(lines) and head["root"] == mth(leaves).hex()


def test_an_inclusion_proof_verifies_offline_and_every_mutation_fails(
    client: FlaskClient, ready: Services
) -> None:
    _results(ready)
    head = client.get("/api/v1/audit/tree-head").get_json()
    key = client.get("/api/v1/audit/public-key").get_json()["public_key"]
    for position in range(1, head["size"] + 1):
        document = client.get(f"/api/v1/audit/proofs/inclusion?position={position}").get_json()
        assert document["tree_head"] == head
        result = check_document(document, key)
        assert result.ok, result.messages
        assert document["inclusion"]["leaf_hash"] == record_leaf_hash(document["record"]).hex()
        proof = document["inclusion"]
        leaf, root = bytes.fromhex(proof["leaf_hash"]), bytes.fromhex(head["root"])
        path = [bytes.fromhex(p) for p in proof["proof"]]
        for name, attempt in inclusion_mutations(leaf, proof["index"], head["size"], path, root):
            assert attempt() is False, (name, position)


def test_a_consistency_proof_between_two_heads_verifies_and_every_mutation_fails(
    client: FlaskClient, ready: Services
) -> None:
    first = client.get("/api/v1/audit/tree-head").get_json()
    _results(ready)
    second = AuditLog.of(ready).latest()
    assert second.size > first["size"]
    document = client.get(
        f"/api/v1/audit/proofs/consistency?first={first['size']}&second={second.size}"
    ).get_json()
    assert document["first_tree_head"] == first
    result = check_document(document, client.get("/api/v1/audit/public-key").get_json()["pem"])
    assert result.ok, result.messages
    c = document["consistency"]
    roots = bytes.fromhex(c["first_root"]), bytes.fromhex(c["second_root"])
    path = [bytes.fromhex(p) for p in c["proof"]]
    for name, attempt in consistency_mutations(c["first"], c["second"], *roots, path):
        assert attempt() is False, name


def test_bad_proof_requests_are_field_level_errors(client: FlaskClient, ready: Services) -> None:
    size = AuditLog.of(ready).size()
    beyond = client.get(f"/api/v1/audit/proofs/inclusion?position=1&size={size + 1}")
    assert beyond.status_code == 422 and beyond.get_json()["errors"][0]["field"] == "size"
    assert client.get("/api/v1/audit/proofs/inclusion?position=999").status_code == 404
    assert client.get("/api/v1/audit/proofs/inclusion").status_code == 422
    assert client.get("/api/v1/audit/proofs/consistency?first=0").status_code == 422
    assert client.get("/api/v1/audit/events?limit=0").status_code == 422


def test_as_of_answers_the_recap_and_the_tps_as_they_stood(
    client: FlaskClient, ready: Services
) -> None:
    before = ready.runner.head()
    region_then = client.get(f"{BASE}/regions/9101").get_json()
    _results(ready)
    replayed = client.get(f"{BASE}/regions/9101?as_of={before}").get_json()
    assert replayed == region_then
    now = client.get(f"{BASE}/regions/91").get_json()
    assert client.get(f"{BASE}/regions/91?as_of={ready.runner.head()}").get_json() == now
    first_version = ready.runner.head() - 1  # before the correction
    tps = client.get(f"{BASE}/tps/{TPS[0]}?as_of={first_version}").get_json()
    assert tps["version"] == 1 and tps["form"]["votes"]["1"] == 40
    moment = client.get("/api/v1/audit/events?after=0&limit=1000").get_json()["events"][-1]["time"]
    at_time = client.get(f"{BASE}/tps/{TPS[0]}", query_string={"as_of": moment}).get_json()
    assert at_time["version"] == 2
    bad = client.get(f"{BASE}/regions/91?as_of=yesterday")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "as_of"


def test_the_history_of_a_region_lists_the_events_of_its_tps_oldest_first(
    client: FlaskClient, ready: Services
) -> None:
    _results(ready)
    history = client.get(f"{BASE}/regions/910101/history?limit=2").get_json()
    assert [e["payload"]["tps"] for e in history["events"]] == [TPS[0], TPS[1]]
    rest = client.get(f"{BASE}/regions/910101/history?after={history['next_after']}").get_json()
    kinds = [(e["payload"]["tps"], e["type"]) for e in rest["events"]]
    assert kinds == [(TPS[2], "TpsResult.Submitted"), (TPS[0], "TpsResult.Corrected")]
    assert rest["next_after"] is None
    whole = client.get(f"{BASE}/regions/91/history?limit=1000").get_json()
    assert len(whole["events"]) == len(TPS) + 1
    positions = [e["position"] for e in whole["events"]]
    assert positions == sorted(positions)
