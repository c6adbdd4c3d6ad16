"""The real server: gunicorn with several workers and the projection process, on PostgreSQL.

Clients race the same first submissions; exactly one wins each TPS, retries of the winner get
its answer, everyone else a conflict; every accepted form is then in the recap.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.bootstrap import Services
from service.config import Settings
from tests.api.test_container_files import dockerfile_cmd
from tests.conftest import POSTGRESQL_ONLY
from tests.factories import CONTEST, DPT, ELECTION, TPS, pilkada_form, setup_election
from tests.live import call, env_for, free_port, gunicorn_and_projections, stop

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
RACED = [TPS[0], TPS[2], TPS[3], TPS[5]]

pytestmark = [pytest.mark.slow, POSTGRESQL_ONLY]


@pytest.fixture
def server(settings: Settings, services: Services) -> Iterator[tuple[str, Services]]:
    setup_election(services)
    port = free_port()
    env = env_for(settings, REKAP_WORKERS="3", REKAP_BIND=f"127.0.0.1:{port}")
    command = dockerfile_cmd()  # the image's own entry point, run without Docker
    assert command[0] == "gunicorn"
    with gunicorn_and_projections(command, env) as (base, gunicorn, projections):
        yield base, services
        assert stop(gunicorn) == 0, "gunicorn did not shut down gracefully on SIGTERM"
        assert stop(projections) == 0


def test_racing_first_submissions_give_one_winner_per_tps_and_all_are_counted(
    server: tuple[str, Services],
) -> None:
    base, services = server
    tokens = {kab: services.tokens.create("operator", kab)[0] for kab in ("9101", "9102")}
    url = f"{base}/api/v1/elections/{ELECTION}/contests/{CONTEST}"
    answers: dict[str, list[tuple[str, int, dict[str, Any]]]] = {tps: [] for tps in RACED}
    barrier = threading.Barrier(CLIENTS * len(RACED))
    lock = threading.Lock()

    def client(tps: str, i: int) -> None:
        # Even clients all retry one submission id; odd ones each bring their own reading.
        sid = f"{tps}-shared" if i % 2 == 0 else f"{tps}-own-{i}"
        votes = {"1": 10 + i, "2": 20, "3": 30}
        body = {"submission_id": sid, "form": pilkada_form(DPT[tps], votes)}
        barrier.wait(timeout=30)
        status, document, _ = call(f"{url}/tps/{tps}/submissions", "POST", body, tokens[tps[:4]])
        with lock:
            answers[tps].append((sid, status, document))

    threads = [
        threading.Thread(target=client, args=(tps, i)) for tps in RACED for i in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    winners = {}
    for tps, found in answers.items():
        assert len(found) == CLIENTS
        created = [(sid, doc) for sid, status, doc in found if status == 201]
        assert len(created) == 1, [status for _, status, _ in found]
        winner_sid, winner = created[0]
        winners[tps] = winner
        for sid, status, document in found:
            if status == 201:
                continue
            if sid == winner_sid:
                assert status == 200 and document == winner
            else:
                assert status == 409 and document["code"] == "conflict"

    last = max(w["position"] for w in winners.values())
    status, recap, headers = call(f"{url}/regions/91?wait_for={last}")
    assert status == 200, recap
    assert recap["tps_reported"] == len(RACED)
    for key in ("1", "2", "3"):
        assert recap["votes"][key] == sum(w["form"]["votes"][key] for w in winners.values())
    assert headers["ETag"] and headers["Cache-Control"].startswith("public")

    # Any worker's /metrics counts every worker's requests (prometheus multiprocess mode).
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("rekap_http_requests_total{")
        and "/submissions" in line
        and 'method="POST"' in line
    )
    assert counted == CLIENTS * len(RACED)
    assert f"rekap_events_stored {float(services.runner.head())}" in metrics
