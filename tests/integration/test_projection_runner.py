"""The projections apply each event exactly once and resume after a crash."""

from __future__ import annotations

import threading

import pytest

from service.bootstrap import Services
from service.read.projections import parallel
from service.read.projections.runner import ProjectionRunner
from tests.factories import (
    CONTEST,
    ELECTION,
    TPS,
    setup_election,
    submit_votes,
)


@pytest.fixture
def ready(services: Services) -> Services:
    setup_election(services)
    for tps in TPS:
        submit_votes(services, tps, {"1": 10, "2": 20, "3": 30})
    return services


def test_a_crash_in_the_middle_of_a_batch_leaves_nothing_half_applied(
    ready: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    totals = ready.runner.projections[0].totals
    original = totals.write

    def crash(*args: object) -> None:
        original(*args)  # the totals are written, then the process dies before the commit
        raise RuntimeError("power cut")

    monkeypatch.setattr(totals, "write", crash)
    before = ready.runner.position()  # the set-up, projected when the contest was defined
    with pytest.raises(RuntimeError):
        ready.runner.catch_up()
    assert ready.runner.position() == before < ready.runner.head()
    assert ready.db.query("SELECT * FROM recap_total") == []
    monkeypatch.setattr(totals, "write", original)
    ready.runner.catch_up()
    assert ready.runner.position() == ready.runner.head()
    top = ready.queries.region(ELECTION, CONTEST, "91")
    assert top["votes"] == {"1": 60, "2": 120, "3": 180} and top["tps_reported"] == 6


def test_a_batch_is_never_applied_twice(ready: Services) -> None:
    ready.runner.catch_up()
    before = ready.queries.region(ELECTION, CONTEST, "91")
    # A second runner that still believes the projection is at 0 must not apply anything.
    stale = ProjectionRunner(ready.app, ready.db, ready.runner.projections)
    stale.position = lambda: 0  # type: ignore[method-assign]
    stale.run_batch()
    assert ready.queries.region(ELECTION, CONTEST, "91") == before


def test_a_read_can_wait_for_the_position_a_write_returned(ready: Services) -> None:
    import threading

    position = ready.app.recorder.max_notification_id()
    assert ready.runner.wait_for(position, timeout=0.05) is False
    worker = threading.Thread(target=ready.runner.catch_up)
    worker.start()
    assert ready.runner.wait_for(position, timeout=10) is True
    worker.join()
    assert ready.queries.region(ELECTION, CONTEST, "91")["position"] >= position


def _read_models(services: Services) -> dict[str, list[tuple]]:
    found = {}
    for projection in services.runner.projections:
        for table, key in projection.primary_keys():
            rows = services.db.query(f"SELECT * FROM {table} ORDER BY {', '.join(key)}")
            found[table] = [tuple(r.values()) for r in rows]
    return found


def test_a_rebuild_with_the_audit_tree_in_its_own_process_equals_the_live_read_models(
    ready: Services,
) -> None:
    ready.runner.catch_up()
    live = _read_models(ready)
    assert parallel.rebuild(ready.settings, ready.runner) == ready.runner.head()
    assert ready.runner.position() == ready.runner.head()
    assert _read_models(ready) == live


def test_the_projection_processes_follow_the_log_and_stop_when_told(ready: Services) -> None:
    stop = threading.Event()
    supervisor = threading.Thread(target=parallel.run, args=(ready.settings, stop, ready.runner))
    supervisor.start()
    try:
        assert ready.runner.wait_for(ready.runner.head(), timeout=60)
        assert ready.queries.region(ELECTION, CONTEST, "91")["tps_reported"] == len(TPS)
    finally:
        stop.set()
        supervisor.join(timeout=60)
    assert not supervisor.is_alive()
