"""`rekap node` on the command line with no network at all: central exports a file, the laptop
makes a node of it, and a newer export (on a USB stick) brings in what central received since.
Central on SQLite and PostgreSQL, the node on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.bootstrap import Services
from service.cli.main import main
from service.input import results as given
from service.usecases.results import submit
from tests.factories import (
    CONTEST,
    DPT,
    ELECTION,
    TPS,
    kpps,
    pilkada_form,
    setup_election,
    submission,
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    out = capsys.readouterr().out.strip()
    return code, json.loads(out) if out.startswith("{") else {}


def test_a_node_is_made_and_refreshed_from_files_alone(
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    setup_election(services)
    for tps in TPS[:2]:
        body = submission(pilkada_form(DPT[tps], {"1": 10, "2": 20, "3": 30}))
        submit(services.results, kpps(tps), ELECTION, CONTEST, given.submission(tps, body))
    central = services.settings.database.url
    node = f"sqlite:///{tmp_path / 'node.db'}"
    monkeypatch.chdir(tmp_path)

    monkeypatch.setenv("REKAP_DATABASE_URL", central)
    code, exported = run(
        capsys, "node", "export", "--election", ELECTION, "--region", "910101", "first.rekap.gz"
    )
    assert code == 0 and exported["tps"] == 3 and exported["events"] == 2
    assert run(capsys, "node", "export", "--election", ELECTION, "--region", "9101", "x")[0] == 1

    monkeypatch.setenv("REKAP_DATABASE_URL", node)
    assert run(capsys, "init")[0] == 0
    code, made = run(capsys, "node", "init", "first.rekap.gz")
    assert code == 0 and made["region"] == "910101" and made["imported"] == 2
    assert run(capsys, "node", "init", "first.rekap.gz")[0] == 1  # a node once
    code, status = run(capsys, "node", "status")
    assert code == 0 and status["steps"] == {}

    monkeypatch.setenv("REKAP_DATABASE_URL", central)
    tps = TPS[2]
    body = submission(pilkada_form(DPT[tps], {"1": 5, "2": 6, "3": 7}))
    submit(services.results, kpps(tps), ELECTION, CONTEST, given.submission(tps, body))
    assert (
        run(
            capsys,
            "node",
            "export",
            "--election",
            ELECTION,
            "--region",
            "910101",
            "second.rekap.gz",
        )[0]
        == 0
    )

    monkeypatch.setenv("REKAP_DATABASE_URL", node)
    code, pulled = run(capsys, "node", "pull", "--from", "second.rekap.gz")
    assert code == 0 and pulled["imported"] == 1 and pulled["present"] == 2
    code, recap = run(
        capsys, "recap", "--election", ELECTION, "--contest", CONTEST, "910101", "--json"
    )
    assert code == 0 and recap["tps_reported"] == 3
