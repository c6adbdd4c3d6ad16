"""The README's "A kecamatan offline", run as a user runs it: its shell blocks, in order, in one
bash, against a live central (`rekap serve` on SQLite, gunicorn with `rekap projections run` on
PostgreSQL), with the node's own `rekap serve` on SQLite. Only the variables the README gives
defaults for are set here (this test's election, kecamatan, central's URL, a free port)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.bootstrap import Services, build_services
from service.config import Settings
from service.usecases.results import submit
from tests.api.test_node_sync import FIX, FIXED, MISSING, READING, K, figures
from tests.api.test_plenary_api import form
from tests.factories import CONTEST, ELECTION, TPS, kpps, setup_election, submission
from tests.faults.servers import LiveServer, new_store
from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def readme_steps() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## A kecamatan offline\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 4, "the README's offline workflow lost its commands"
    return "\n".join(blocks)


@pytest.fixture(params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[LiveServer, Services]]:
    store = new_store(request.param, tmp_path / "central")
    services = build_services(store.settings)
    server = LiveServer(store, tmp_path / "central", workers=1)
    try:
        setup_election(services)
        from service.input import results as given

        for tps in TPS[:3]:
            if tps != MISSING:
                body = submission(form(tps))
                submit(services.results, kpps(tps), ELECTION, CONTEST, given.submission(tps, body))
        yield server.start(), services
    finally:
        server.stop()
        services.close()
        store.drop()


def test_the_readme_offline_workflow_runs_as_written(
    central: tuple[LiveServer, Services], tmp_path: Path
) -> None:
    server, services = central
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    (laptop / "c-hasil.json").write_text(json.dumps(READING))
    resolution = {"accepted": True, "note": "diterima", "correction": FIX}
    (laptop / "resolution.json").write_text(json.dumps(resolution))
    env = {
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        "HOME": str(laptop),
        "REKAP_DATABASE_URL": server.store.settings.database.url,  # on central, at first
        "E": ELECTION,
        "C": CONTEST,
        "K": K,
        "CENTRAL": server.base,
        "NODE_PORT": str(free_port()),
    }
    # Whatever happens, the node's server is asked to stop with the script, which waits a minute
    # for it at most: a server slow to stop must not hang the suite (its output goes to files,
    # so no process left behind holds the test's pipes either).
    script = (
        'trap \'if [ -n "${NODE_PID:-}" ]; then kill $NODE_PID 2>/dev/null; for _ in $(seq 120); '
        "do kill -0 $NODE_PID 2>/dev/null || break; sleep 0.5; done; fi' EXIT\n"
    )
    script += readme_steps()
    out, err = tmp_path / "steps.out", tmp_path / "steps.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        steps = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=laptop,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            returncode = steps.wait(timeout=300)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(steps.pid, signal.SIGKILL)
    done = subprocess.CompletedProcess(steps.args, returncode, out.read_text(), err.read_text())
    assert done.returncode is not None, f"the README's steps hung:\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"node"')]
    pushes = [a for a in answers if "counts" in a]
    assert [p["counts"] for p in pushes] == [{"applied": 5}, {"already_applied": 5}]
    reconciliation = json.loads(done.stdout.strip().splitlines()[-1])
    row = next(r for r in reconciliation["kecamatan"] if r["code"] == K)
    assert (row["read_in_plenary"], row["from_node"], row["plenary"]) == (1, 2, "certified")
    assert "D.HASIL KECAMATAN" in (laptop / f"d-hasil-{K}.html").read_text()

    node = build_services(
        Settings.from_env({"REKAP_DATABASE_URL": f"sqlite:///{laptop}/var/node.db"})
    )
    try:
        on_node = figures(node)
        assert on_node["tps"][MISSING]["votes"]["1"] == 71
        assert on_node["tps"][FIXED]["votes"]["1"] == 49
        assert figures(services) == on_node
    finally:
        node.close()
