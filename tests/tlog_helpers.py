"""Helpers for the tests of the C2SP formats: a log of a given size, and a live HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.app import create_app
from domain.tps_result import TpsResult
from service.bootstrap import Services
from service.store.eventlog import existing_versions
from tests.factories import (
    CONTEST,
    ELECTION,
    TPS,
    kpps_corrects,
    kpps_submits,
    setup_election,
    tps_body,
)
from tests.live import served


def grow_log(services: Services, minimum: int) -> int:
    """Set up the test election if needed and correct its TPS until the log has `minimum`
    events; the projections are caught up. Returns the number of events."""
    if services.runner.head() == 0:
        setup_election(services)
    ids = {tps: TpsResult.create_id(ELECTION, CONTEST, tps) for tps in TPS}
    stored = existing_versions(services.db, list(ids.values()))
    versions = {tps: stored[i] for tps, i in ids.items() if i in stored}
    round_ = 0
    while services.runner.head() < minimum:
        for tps in TPS:
            votes = {"1": 10 + round_ % 50, "2": 20, "3": 30}
            body = tps_body(tps, votes)
            if tps not in versions:
                outcome = kpps_submits(services, tps, body)
            else:
                body = {"form": body["form"], "reason": f"re-read {round_}"}
                outcome = kpps_corrects(services, tps, body, versions[tps])
            versions[tps] = outcome.version
        round_ += 1
    services.runner.catch_up()
    return services.runner.head()


@contextmanager
def serving(services: Services) -> Iterator[str]:
    """The API on a free local port in a thread; yields its base URL."""
    with served(create_app(services)) as server:
        yield server.url


def http_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read()).decode()
