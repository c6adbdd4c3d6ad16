"""A projection that cannot apply an event says so, keeps trying and heals; one writer each."""

from __future__ import annotations

import logging
import threading

import pytest

from service.bootstrap import Services
from service.read.projections import parallel
from service.read.projections.lease import ProjectionsBusy
from tests.factories import CONTEST, ELECTION, TPS, poison_event, setup_election, submit_votes
from tests.live import eventually, projections_running


@pytest.fixture
def ready(services: Services) -> Services:
    setup_election(services)
    return services


def test_an_event_the_recap_cannot_apply_is_logged_recorded_and_tried_again(
    ready: Services, caplog: pytest.LogCaptureFixture
) -> None:
    before = submit_votes(ready, TPS[0], {"1": 10, "2": 20, "3": 30})
    position, aggregate = poison_event(ready)
    after = submit_votes(ready, TPS[1], {"1": 1, "2": 2, "3": 3})
    with caplog.at_level(logging.ERROR, "rekap.projections"), projections_running(ready):
        # It keeps trying (a transient fault must heal by itself): a second attempt is counted.
        recap = eventually(
            lambda: (h := ready.runner.health()["recap"]).error_attempts >= 2 and h,
            what="a second attempt at the bad event",
        )
        assert recap.running
        assert recap.error_position == position and recap.error_aggregate == aggregate
        assert recap.error_topic == "rekap:TpsResult.Submitted"
        assert "MapperDeserialisationError" in (recap.error or "")
        # Everything before the bad event is applied; nothing after it, and no one is fooled.
        assert ready.runner.positions()["recap"] == position - 1 >= before
        assert ready.queries.region(ELECTION, CONTEST, "91")["votes"] == {
            "1": 10,
            "2": 20,
            "3": 30,
        }
        assert ready.runner.position() < after
        document = recap.error_document()
        assert document and document["since"] and document["attempts"] >= 2
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    line = f"projection recap cannot apply log position {position} (aggregate {aggregate}, "
    assert any(m.startswith(line) and "topic rekap:TpsResult.Submitted" in m for m in logged)


def test_a_passing_fault_heals_itself_and_its_record_is_cleared(
    ready: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit_votes(ready, TPS[0], {"1": 10, "2": 20, "3": 30})
    recap = ready.runner.projections[0]
    original, failures = recap.apply, []

    def flaky(tx, events):  # type: ignore[no-untyped-def]
        if len(failures) < 2:
            failures.append(events[0].position)
            raise RuntimeError("disk full")
        return original(tx, events)

    monkeypatch.setattr(recap, "apply", flaky)
    with projections_running(ready):
        stuck = eventually(lambda: ready.runner.health()["recap"].error, what="the record")
        assert stuck == "RuntimeError: disk full"
        eventually(lambda: ready.runner.position() == ready.runner.head(), what="the healing")
        eventually(lambda: not ready.runner.health()["recap"].stuck, what="the clearing")
    assert ready.queries.region(ELECTION, CONTEST, "91")["tps_reported"] == 1
    states = ready.runner.health()
    assert not any(s.stuck for s in states.values())
    assert not any(s.running for s in states.values())  # stopped: its lease ended at once


def test_a_catch_up_waits_for_the_running_projections_instead_of_applying_them(
    ready: Services,
) -> None:
    with projections_running(ready):
        position = submit_votes(ready, TPS[0], {"1": 10, "2": 20, "3": 30})
        assert ready.runner.catch_up() == 0  # applied by the runner, waited for here
        assert ready.runner.position() >= position
        assert ready.queries.region(ELECTION, CONTEST, "91")["tps_reported"] == 1


def test_a_second_runner_or_a_rebuild_beside_a_running_one_is_refused(ready: Services) -> None:
    stop = threading.Event()
    with projections_running(ready):
        with pytest.raises(ProjectionsBusy, match=r"already running in process \d+"):
            parallel.run(ready.settings, stop, ready.runner)
        with pytest.raises(ProjectionsBusy, match=r"already running in process \d+"):
            parallel.rebuild(ready.settings, ready.runner)
        with pytest.raises(ProjectionsBusy):
            ready.runner.rebuild()
    assert parallel.rebuild(ready.settings, ready.runner) == ready.runner.head()
