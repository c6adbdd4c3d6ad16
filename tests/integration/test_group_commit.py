"""Concurrent first submissions share transactions and still get their own exact answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from domain.errors import Conflict
from domain.tps_result import TpsResult
from service.bootstrap import Services
from service.store.group_commit import GroupCommit
from service.usecases.results import ResultOutcome
from tests.factories import (
    CONTEST,
    ELECTION,
    TPS,
    kpps,
    kpps_submits,
    setup_election,
    tps_body,
    tps_form,
)

THREADS = 12
ONE_TWO_THREE = {"1": 1, "2": 2, "3": 3}


@pytest.fixture
def ready(services: Services) -> Services:
    setup_election(services)
    return services


def _all_at_once(calls: list[Callable[[], ResultOutcome]]) -> list[Any]:
    """Run the calls on threads released together; each call's outcome or exception."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = calls[i]()
        except Exception as exc:
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def _submitted_events(services: Services) -> list[Any]:
    notifications = services.app.recorder.select_notifications(start=None, limit=10_000)
    return [
        e
        for e in (services.app.mapper.to_domain_event(n) for n in notifications)
        if isinstance(e, TpsResult.Submitted)
    ]


def test_concurrent_submissions_of_different_tps_are_each_stored_once(ready: Services) -> None:
    bodies = {tps: tps_body(tps, {"1": 10 + i, "2": 20, "3": 30}) for i, tps in enumerate(TPS)}
    calls = [
        (lambda tps=tps: kpps_submits(ready, tps, bodies[tps]))
        for tps in TPS
        for _ in range(2)  # each TPS twice: the retry answers the same stored result
    ]
    answers = _all_at_once(calls)
    assert all(isinstance(a, ResultOutcome) for a in answers), answers
    for tps in TPS:
        mine = [a for a in answers if a.tps == tps]
        assert sorted(a.created for a in mine) == [False, True]
        assert mine[0].position == mine[1].position
        assert mine[0].submission_id == bodies[tps]["submission_id"]
        assert mine[0].form["votes"] == bodies[tps]["form"]["votes"]
    events = _submitted_events(ready)
    assert sorted(e.tps for e in events) == sorted(TPS)
    positions = {a.tps: a.position for a in answers}
    stored = ready.app.recorder.select_notifications(start=None, limit=10_000)
    by_position = {n.id: ready.app.mapper.to_domain_event(n) for n in stored}
    for tps, position in positions.items():
        assert by_position[position].tps == tps  # every answer points at its own event


def test_concurrent_different_submissions_of_one_tps_give_one_created_and_conflicts(
    ready: Services,
) -> None:
    tps = TPS[0]
    bodies = [tps_body(tps, {"1": 10 + i, "2": 20, "3": 30}) for i in range(THREADS)]
    answers = _all_at_once([(lambda b=b: kpps_submits(ready, tps, b)) for b in bodies])
    created = [a for a in answers if isinstance(a, ResultOutcome)]
    assert len(created) == 1 and created[0].created and created[0].version == 1
    assert all(isinstance(a, Conflict) for a in answers if a is not created[0])
    (event,) = _submitted_events(ready)
    assert event.submission_id == created[0].submission_id
    assert ready.app.recorder.max_notification_id() == created[0].position


def test_group_commits_report_one_position_per_caller_and_count_their_groups(
    ready: Services,
) -> None:
    answers = _all_at_once(
        [(lambda tps=tps: kpps_submits(ready, tps, tps_body(tps, ONE_TWO_THREE))) for tps in TPS]
    )
    assert len({a.position for a in answers}) == len(TPS)
    commits = ready.results.commits
    assert commits.saved == len(TPS) and 1 <= commits.groups <= len(TPS)
    ready.runner.catch_up()
    assert ready.queries.region(ELECTION, CONTEST, "91")["tps_reported"] == len(TPS)


def _new_result(tps: str) -> TpsResult:
    return TpsResult(
        election_id=ELECTION,
        contest_id=CONTEST,
        tps=tps,
        form=tps_form(tps, ONE_TWO_THREE),
        evidence=[],
        submission_id=f"s-{tps}",
        captured_at=None,
        source="test",
        actor=kpps(tps).to_dict(),
    )


def test_a_leader_waits_for_company_only_after_a_group_had_some(ready: Services) -> None:
    commits = GroupCommit(ready.app, gather_seconds=0.5)
    started = time.monotonic()
    commits.save(_new_result(TPS[0]))  # alone, after nobody: saved at once
    commits.save(_new_result(TPS[1]))  # alone after a lone save: at once again
    assert time.monotonic() - started < 0.4 and commits.groups == 2
    commits._last_group = 2  # as if the group before had company (under load)
    started = time.monotonic()
    threading.Timer(0.1, lambda: commits.save(_new_result(TPS[2]))).start()
    commits.save(_new_result(TPS[3]))  # leads, waits, and takes the late caller along
    assert time.monotonic() - started >= 0.45
    assert commits.groups == 3 and commits.saved == 4
