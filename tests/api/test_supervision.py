"""The real processes: `rekap serve` keeps its projections alive, one writer per projection,
and /readyz tells the truth when they die. Linux (/proc, kill -9)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from service.bootstrap import Services
from service.cli.main import main
from tests.api.test_container_files import dockerfile_cmd
from tests.factories import CONTEST, ELECTION, TPS, setup_election, submit_votes, tps_body
from tests.live import (
    ROOT,
    alive,
    call,
    children,
    command_line,
    descendants,
    env_for,
    eventually,
    free_port,
    stop,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]
LEASE = "2"  # seconds: a dead runner shows within a few seconds, not the default 15
URL = f"/api/v1/elections/{ELECTION}/contests/{CONTEST}"


@pytest.fixture
def store(services: Services) -> Services:
    setup_election(services)
    return services


def rekap(*argv: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "service.cli", *argv], cwd=ROOT, env=env)


def rekap_once(*argv: str, env: dict[str, str]) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def submit_over_http(base: str, services: Services, tps: str) -> int:
    token, _ = services.tokens.create("kpps", tps)
    body = tps_body(tps, {"1": 10, "2": 20, "3": 30})
    status, answer, _ = call(f"{base}{URL}/tps/{tps}/submissions", "POST", body, token)
    assert status == 201, answer
    return int(answer["position"])


def supervisor_of(server: int) -> int | None:
    found = [p for p in children(server) if "projections run" in command_line(p)]
    return found[0] if found else None


@pytest.mark.parametrize("backend", ["postgresql"])
def test_serve_restarts_a_killed_projection_supervisor_whose_children_die_with_it(
    store: Services, tmp_path: Path
) -> None:
    port, home = free_port(), tmp_path / "home"
    env = env_for(store.settings, REKAP_PROJECTION_LEASE=LEASE, HOME=str(home))
    env.pop("XDG_RUNTIME_DIR", None)
    server = rekap("serve", "--port", str(port), "--workers", "1", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        ready = eventually(
            lambda: (a := call(f"{base}/readyz"))[0] == 200 and a[1], what="readiness"
        )
        assert ready["projections"]["merkle"]["running"] is True
        first = eventually(lambda: supervisor_of(server.pid), what="the supervisor")
        groups = eventually(lambda: len(children(first)) >= 2 and children(first), what="groups")

        os.kill(first, signal.SIGKILL)
        eventually(lambda: not any(alive(p) for p in groups), what="the children's death")
        second = eventually(
            lambda: (p := supervisor_of(server.pid)) not in (None, first) and p,
            what="a new supervisor",
        )
        position = submit_over_http(base, store, TPS[0])
        # 503 with Retry-After until the new supervisor's children have caught up: retry
        recap = eventually(
            lambda: (a := call(f"{base}{URL}/regions/91?wait_for={position}"))[0] == 200 and a[1],
            timeout=90,
            what="the recap after the restart",
        )
        assert recap["tps_reported"] == 1
        assert call(f"{base}/readyz")[0] == 200
        assert not (home / ".gunicorn").exists()  # no control socket shared by every instance

        everything = [second, *descendants(server.pid)]
        assert stop(server) == 0
        eventually(lambda: not any(alive(p) for p in everything), what="everything's stop")
    finally:
        stop(server)


def test_a_second_runner_is_refused_in_one_line_and_commands_wait_for_the_running_one(
    store: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_for(store.settings, REKAP_PROJECTION_LEASE=LEASE)
    runner = rekap("projections", "run", env=env)
    try:
        eventually(lambda: store.runner.health()["merkle"].running, what="the runner's start")
        refused = re.compile(rf"error: projections are already running in process {runner.pid} ")
        code, _, err = rekap_once("projections", "run", env=env)
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1 and refused.match(lines[0]), err

        monkeypatch.setenv("REKAP_DATABASE_URL", store.settings.database.url)
        capsys.readouterr()
        assert main(["projections", "rebuild"]) == 1
        assert refused.match(capsys.readouterr().err)
        submit_votes(store, TPS[0], {"1": 10, "2": 20, "3": 30})
        assert main(["recap", "--election", ELECTION, "--contest", CONTEST, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["tps_reported"] == 1
        assert stop(runner) == 0
    finally:
        stop(runner)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_readyz_is_not_ready_once_the_projection_process_is_killed_and_the_log_moves_on(
    store: Services,
) -> None:
    port = free_port()
    env = env_for(store.settings, REKAP_PROJECTION_LEASE=LEASE, REKAP_BIND=f"127.0.0.1:{port}")
    env["REKAP_WORKERS"] = "1"
    gunicorn = subprocess.Popen([sys.executable, "-m", *dockerfile_cmd()], cwd=ROOT, env=env)
    runner = rekap("projections", "run", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: call(f"{base}/readyz")[0] == 200, what="readiness")
        groups = eventually(lambda: len(children(runner.pid)) >= 2 and children(runner.pid))
        runner.kill()
        runner.wait(timeout=10)
        eventually(lambda: not any(alive(p) for p in groups), what="the children's death")

        position = submit_over_http(base, store, TPS[0])
        status, problem, headers = call(f"{base}{URL}/regions/91?wait_for={position}")
        assert status == 503 and problem["code"] == "projection_lagging"
        status, problem, headers = eventually(
            lambda: (a := call(f"{base}/readyz"))[0] == 503 and a, what="not ready"
        )
        assert problem["code"] == "not_ready" and headers["Retry-After"]
        assert "stopped renewing its lease" in problem["detail"]
        assert problem["projections"]["recap"]["running"] is False
        assert problem["projections"]["recap"]["lag"] >= 1
    finally:
        stop(gunicorn)
        stop(runner)
