"""kill -9 of the service's processes under a steady load of submissions (issue 10).

Whatever dies, every write the service acknowledged is in the log and the read models, nothing
unacknowledged half-exists, and `rekap audit verify` passes; the service is whole again for the
next scenario.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable

import pytest

from tests.faults.conftest import Recorder
from tests.faults.province import AFTER, PROVINCE, WARM_UP, Province, fault_figures
from tests.faults.servers import HEARTBEAT, LiveServer, call
from tests.live import alive

pytestmark = pytest.mark.slow

RESTARTED_WITHIN = 10.0  # a supervisor restarts a child after 1 s; the child imports for ~2


def wait_until(condition: Callable[[], object], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def test_killing_each_gunicorn_worker_under_load_loses_no_acknowledged_write(
    province: Province, record: Recorder
) -> None:
    server = province.server
    load = province.loaded()
    for i, victim in enumerate(server.worker_pids()):
        if i:
            time.sleep(AFTER / 2)
        server.kill(victim)
        fault = time.monotonic()
        assert wait_until(lambda v=victim: not alive(v), 5)
    recovery = province.recovery(load, fault)
    time.sleep(AFTER / 2)
    load.stop()
    assert wait_until(lambda: len(server.worker_pids()) == server.workers, 10), (
        "gunicorn did not replace its killed workers"
    )
    lost = province.check_nothing_lost(load)
    record(
        "kill -9 each gunicorn worker",
        province.backend,
        **fault_figures(load, lost, recovery),
    )
    assert recovery is not None


@pytest.mark.parametrize(
    ("child", "names"), [(0, "recap+plenary"), (1, "audit tree")], ids=["recap", "merkle"]
)
def test_killing_a_projection_process_under_load_loses_nothing_and_it_is_restarted(
    pg_province: Province, record: Recorder, child: int, names: str
) -> None:
    server = pg_province.server
    victim = server.projection_children()[child]
    load = pg_province.loaded()
    fault = time.monotonic()
    server.kill(victim)
    recovery = pg_province.recovery(load, fault)
    restarted = wait_until(
        lambda: (
            victim not in server.projection_children() and len(server.projection_children()) == 2
        ),
        RESTARTED_WITHIN,
    )
    time.sleep(AFTER)
    load.stop()
    lost = pg_province.check_nothing_lost(load)
    record(
        f"kill -9 projections ({names})",
        "postgresql",
        **fault_figures(load, lost, recovery),
    )
    assert restarted, f"the supervisor did not restart its child:\n{server.logs()}"
    assert recovery is not None


def test_killing_the_projection_supervisor_under_load_takes_its_children_down_and_loses_nothing(
    pg_province: Province, record: Recorder
) -> None:
    server = pg_province.server
    supervisor = server.processes["projections"].pid
    orphans = server.projection_children()
    load = pg_province.load()
    try:
        load.start()
        time.sleep(WARM_UP)
        fault = time.monotonic()
        server.kill(supervisor)
        gone = wait_until(lambda: not any(alive(pid) for pid in orphans), 5)
        left = [pid for pid in orphans if alive(pid)]
        server.start_projections()  # what the orchestrator does for a process that died
        recovery, outcome = pg_province.settle(load, fault)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(supervisor, signal.SIGKILL)  # whatever it left behind
    record(
        "kill -9 projection supervisor",
        "postgresql",
        **outcome,
        note=f"its children left running {len(left)}, collisions {collisions(server)}",
    )
    assert gone, f"the killed supervisor's children still run 5 s later: {left}"
    assert recovery is not None


def test_the_projections_still_stop_on_sigterm_after_a_child_was_killed(
    pg_province: Province,
) -> None:
    server = pg_province.server
    supervisor = server.processes["projections"]
    victim = server.projection_children()[1]
    server.kill(victim)
    assert wait_until(
        lambda: (
            victim not in server.projection_children() and len(server.projection_children()) == 2
        ),
        RESTARTED_WITHIN,
    ), server.logs()
    children = server.projection_children()
    supervisor.send_signal(signal.SIGTERM)
    try:
        stopped = wait_until(lambda: supervisor.poll() is not None, 8)
        assert stopped and not any(alive(pid) for pid in children), (
            f"SIGTERM did not stop the projections in 8 s (supervisor alive: {not stopped}, "
            f"children alive: {[p for p in children if alive(p)]})"
        )
    finally:
        os.killpg(supervisor.pid, signal.SIGKILL)
        server.start_projections()
        server.wait_ready()


COLLIDED = ("batch rolled back", "UniqueViolation")  # what runner.py logs when two collide


def collisions(server: LiveServer) -> int:
    logs = server.log_text("projections") + server.log_text("second-projections")
    return sum(logs.count(sign) for sign in COLLIDED)


def test_a_second_projection_runner_under_load_neither_collides_nor_loses_anything(
    pg_province: Province, record: Recorder
) -> None:
    server = pg_province.server
    before = collisions(server)
    load = pg_province.loaded()
    fault = time.monotonic()
    # an operator's mistake, or a deploy that overlaps the old one
    second = server.spawn("second-projections", "-m", "service.cli", "projections", "run")
    try:
        recovery, outcome = pg_province.settle(load, fault)
    finally:
        second.send_signal(signal.SIGTERM)
        stopped = wait_until(lambda: second.poll() is not None, 10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(second.pid, signal.SIGKILL)
        del server.processes["second-projections"]
    said = (server.log_text("second-projections").strip().splitlines() or [""])[-1]
    record(
        "a second projections run",
        "postgresql",
        **outcome,
        note=f"collisions {collisions(server) - before}; it said: {said[:60]}",
    )
    assert recovery is not None and stopped
    assert collisions(server) == before, "two runners applied the same batches"


def test_readiness_fails_while_the_projections_are_down_and_nothing_is_lost_when_they_return(
    pg_province: Province, record: Recorder
) -> None:
    server = pg_province.server
    load = pg_province.loaded()
    fault = time.monotonic()
    os.killpg(server.processes["projections"].pid, signal.SIGKILL)  # the container died
    time.sleep(1.0)
    probe = load.submit()
    assert probe is not None
    position = probe.answer["position"]
    lagging = call(f"{pg_province.url}/regions/{PROVINCE}?wait_for={position}")
    assert lagging.status == 503 and lagging.json["code"] == "projection_lagging"
    readiness: list[int] = []  # the runners' heartbeat holds HEARTBEAT s after they died

    def not_ready() -> bool:
        readiness.append(call(f"{server.base}/readyz").status)
        return readiness[-1] == 503

    wait_until(not_ready, HEARTBEAT + 5, step=0.5)
    restart = time.monotonic()
    server.start_projections()
    recovery, outcome = pg_province.settle(load, restart)
    record(
        "projections killed, restarted",
        "postgresql",
        **outcome,
        note=f"down {restart - fault:.1f} s, /readyz 503 after {len(readiness) / 2:.1f} s",
    )
    assert recovery is not None
    assert readiness[-1] == 503, f"/readyz answered {readiness} while wait_for answered 503"


def test_the_embedded_server_restarts_a_killed_projection_process(
    sqlite_province: Province, record: Recorder
) -> None:
    server = sqlite_province.server
    victim = server.projector_pid()
    load = sqlite_province.loaded(rate=50)
    fault = time.monotonic()
    server.kill(victim)
    restarted = wait_until(lambda: server.projector_pids() not in ([], [victim]), 6)
    if not restarted:  # leave the shared server whole for the next scenario
        server.start_projections()
    _, outcome = sqlite_province.settle(load, fault)
    record(
        "kill -9 projections (rekap serve)",
        "sqlite",
        **outcome,
        note="restarted by serve" if restarted else "not restarted: started by the test",
    )
    assert restarted, "rekap serve did not restart its projection process in 6 s"
