"""Public reads served from a real streaming standby of the test PostgreSQL: they come from it,
`?wait_for=` waits for its replay, a replica too far behind, dead or promoted serves none, and
killing it under load fails no read."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.app import create_app
from service.store.db import Database
from tests.conftest import POSTGRES_URL
from tests.factories import CONTEST, ELECTION, TPS, submit_votes
from tests.live import eventually, free_port
from tests.replicas.conftest import Replicated, caught_up, client_of
from tests.standby import Standby

pytestmark = pytest.mark.slow
API = f"/api/v1/elections/{ELECTION}/contests/{CONTEST}"
SITE = f"/pemilu/{ELECTION}/{CONTEST}"
VOTES = {"1": 100, "2": 80, "3": 40}


def state_of(services: Any, name: str = "replica-1") -> dict[str, Any]:
    services.reads.check()
    return next(s for s in services.reads.statuses() if s["name"] == name)


def test_public_reads_come_from_the_replica_whose_position_they_carry(
    replicated: Replicated, replica: Standby
) -> None:
    services = replicated(REKAP_REPLICA_MAX_LAG="600")
    client = client_of(services)
    submit_votes(services, TPS[0], VOTES)
    services.runner.catch_up()
    caught_up(services)
    seen = client.get(f"{API}/regions/91").get_json()
    assert seen["tps_reported"] == 1

    replica.pause_replay()  # the replica stays where it is; the primary moves on
    position = submit_votes(services, TPS[1], VOTES)
    services.runner.catch_up()
    assert services.queries.region(ELECTION, CONTEST, "91")["tps_reported"] == 2  # the primary

    answer = client.get(f"{API}/regions/91").get_json()
    assert answer["tps_reported"] == 1 and answer["position"] == seen["position"] < position
    page = client.get(f"{SITE}/wilayah/9101")
    assert page.status_code == 200
    tps = client.get(f"{API}/tps/{TPS[1]}")
    assert tps.status_code == 404  # not replayed on the replica yet
    history = client.get(f"{API}/regions/91/history").get_json()
    assert position not in [e["position"] for e in history["events"]]
    events = client.get("/api/v1/audit/events?limit=1000").get_json()["events"]
    assert events[-1]["position"] < position
    assert services.reads.sessions["replica-1"] >= 5
    assert services.reads.sessions["primary"] == 0


def test_a_read_with_wait_for_waits_until_the_replica_has_replayed_that_position(
    replicated: Replicated, replica: Standby
) -> None:
    services = replicated(REKAP_REPLICA_MAX_LAG="600")
    replica.pause_replay()
    position = submit_votes(services, TPS[0], VOTES)
    services.runner.catch_up()
    url = f"{API}/regions/91?wait_for={position}"

    lagging = client_of(services, wait=0.2).get(url)
    assert lagging.status_code == 503 and lagging.headers["Retry-After"]
    assert lagging.get_json()["code"] == "projection_lagging"
    as_of = client_of(services, wait=0.2).get(f"{API}/regions/91?as_of={position}")
    assert as_of.status_code == 503  # never a past document short of its events

    polled = threading.Event()
    ask = services.reads.position_of

    def observed(source: Any) -> int:
        if isinstance(source, Database) and source is not services.db:
            polled.set()  # a read is waiting on the replica's own position
        return ask(source)

    services.reads.position_of = observed
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(client_of(services, wait=120).get, url)
        assert polled.wait(60)
        replica.resume_replay()
        answer = waiting.result(timeout=180)
    assert answer.status_code == 200
    document = answer.get_json()
    assert document["tps_reported"] == 1 and document["position"] >= position
    assert services.reads.sessions["primary"] == 0


def test_a_replica_too_far_behind_serves_no_reads_and_readyz_shows_its_lag(
    replicated: Replicated, replica: Standby
) -> None:
    services = replicated(REKAP_REPLICA_MAX_LAG="0")
    client = client_of(services)
    replica.pause_replay()
    position = submit_votes(services, TPS[0], VOTES)
    services.runner.catch_up()

    behind = eventually(
        lambda: (found := state_of(services))["state"] == "behind" and found,
        what="the replica's lag",
    )
    assert behind["lag"] >= 1 and behind["seconds"] > 0 and behind["position"] < position
    answer = client.get(f"{API}/regions/91").get_json()
    assert answer["tps_reported"] == 1 and answer["position"] >= position  # from the primary
    assert services.reads.sessions["primary"] >= 1

    ready = client.get("/readyz")
    assert ready.status_code == 200  # the primary answers for it
    (listed,) = ready.get_json()["replicas"]
    assert listed["name"] == "replica-1" and listed["state"] == "behind"
    assert listed["lag"] >= 1 and listed["seconds"] > 0
    assert listed["address"] == f"127.0.0.1:{replica.port}/postgres"

    replica.resume_replay()
    caught_up(services)
    before = services.reads.sessions["replica-1"]
    assert client.get(f"{API}/regions/91").get_json()["tps_reported"] == 1
    assert services.reads.sessions["replica-1"] == before + 1


def test_a_replica_that_does_not_answer_is_skipped_for_the_others(
    replicated: Replicated, replica: Standby
) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    services = replicated(replicas=[dead, replica.url(POSTGRES_URL)], serving=["replica-2"])
    client = client_of(services)
    for _ in range(4):
        assert client.get(f"{API}/regions/91").status_code == 200
    assert services.reads.sessions["replica-2"] == 4
    assert services.reads.sessions["replica-1"] == services.reads.sessions["primary"] == 0
    down, serving = client.get("/readyz").get_json()["replicas"]
    assert down["state"] == "down" and "Error" in down["error"] and down["position"] is None
    assert serving["state"] == "streaming" and serving["lag"] == 0


def test_audit_reads_the_replica_lacks_are_answered_by_the_primary(
    replicated: Replicated, replica: Standby
) -> None:
    services = replicated(REKAP_REPLICA_MAX_LAG="600")
    client = client_of(services)
    leaves = "SELECT COUNT(*) FROM audit_leaf"
    size = services.db.scalar(leaves)
    replica.pause_replay()
    position = submit_votes(services, TPS[0], VOTES)
    services.runner.catch_up()
    grown = services.db.scalar(leaves)
    assert grown > size

    tile = client.get(f"/api/v1/audit/tile/0/000.p/{grown}")
    assert tile.status_code == 200 and len(tile.data) == 32 * grown
    proof = client.get(f"/api/v1/audit/proofs/inclusion?position={position}&size={grown}")
    assert proof.status_code == 200 and proof.get_json()["inclusion"]["size"] == grown
    assert services.reads.sessions["primary"] == 2
    older = client.get(f"/api/v1/audit/tile/0/000.p/{size}")
    assert older.status_code == 200 and len(older.data) == 32 * size
    assert services.reads.sessions["primary"] == 2  # what the replica holds, it answers


def test_killing_the_replica_under_load_fails_no_read(
    replicated: Replicated, replica: Standby
) -> None:
    services = replicated()
    for tps in TPS[:3]:
        submit_votes(services, tps, VOTES)
    services.runner.catch_up()
    caught_up(services)
    app = create_app(services, {"TESTING": True})
    urls = [
        f"{API}/regions/91",
        f"{API}/regions/9101",
        f"{API}/tps/{TPS[0]}",
        f"{SITE}/wilayah/91",
        f"{SITE}/tps/{TPS[1]}",
        f"{API}/regions/9101/history",
    ]
    answers: list[tuple[str, int]] = []
    stop = threading.Event()

    def read() -> None:
        client = app.test_client()
        while not stop.is_set():
            for url in urls:
                answers.append((url, client.get(url).status_code))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        eventually(lambda: services.reads.sessions["replica-1"] >= 40, what="reads from it")
        replica.kill()
        after = services.reads.sessions["primary"]
        eventually(lambda: services.reads.sessions["primary"] >= after + 40, what="failover")
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    failed = [(url, status) for url, status in answers if status != 200]
    assert failed == [] and len(answers) >= 80
    assert state_of(services)["state"] == "down"

    replica.start()  # back, it serves again
    eventually(lambda: state_of(services)["state"] == "streaming", what="its return")
    before = services.reads.sessions["replica-1"]
    assert app.test_client().get(f"{API}/regions/91").status_code == 200
    assert services.reads.sessions["replica-1"] == before + 1


def test_a_promoted_replica_serves_no_reads(replicated: Replicated) -> None:
    promoted = Standby.create(POSTGRES_URL)
    try:
        services = replicated(replicas=[promoted.url(POSTGRES_URL)])
        client = client_of(services)
        assert client.get(f"{API}/regions/91").status_code == 200
        assert services.reads.sessions["replica-1"] == 1
        promoted.promote()
        eventually(lambda: state_of(services)["state"] == "promoted", what="the promotion seen")
        submit_votes(services, TPS[0], VOTES)
        services.runner.catch_up()
        answer = client.get(f"{API}/regions/91").get_json()
        assert answer["tps_reported"] == 1 and services.reads.sessions["primary"] == 1
        (listed,) = client.get("/readyz").get_json()["replicas"]
        assert listed["state"] == "promoted" and "no longer follows" in listed["error"]
    finally:
        promoted.remove()
