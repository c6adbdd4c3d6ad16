"""A witness against a live rekap (gunicorn and the projection process, on PostgreSQL) under a
load of submissions: it cosigns successive checkpoints, then catches a forked log (another root
signed for a size it has seen), refuses, and the log never shows a cosignature on the fork."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.audit.checkpoint import Checkpoint
from service.audit.cosignatures import read_witness_keys
from service.audit.log import AuditLog
from service.audit.note import parse_note
from service.audit.signing import TreeHead
from service.bootstrap import Services, build_services, init_store
from service.store.eventlog import count_events
from tests.conftest import drop_schema, make_settings
from tests.factories import CONTEST, DPT, ELECTION, TPS, pilkada_form, setup_election
from tests.live import ROOT, call, env_for, free_port, gunicorn_and_projections
from tests.tlog_helpers import http_text

ORIGIN = "rekap.test/live"
CORRECTIONS = 8  # per TPS and phase: the load is bounded in count
PHASES = 3
CLI = [sys.executable, "-m", "service.cli"]

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Services, dict[str, str]]]:
    settings, schema = make_settings("postgresql", tmp_path)
    env = env_for(
        settings,
        REKAP_LOG_ORIGIN=ORIGIN,
        REKAP_WITNESSES=str(tmp_path / "witnesses.txt"),
        REKAP_WORKERS="2",
    )
    init_store(settings)
    services = build_services(type(settings).from_env(env))
    setup_election(services)
    env["REKAP_BIND"] = f"127.0.0.1:{free_port()}"
    command = ["gunicorn", "-c", "api/gunicorn_conf.py", "api.wsgi:application"]
    try:
        with gunicorn_and_projections(command, env) as (base, _, _):
            yield base, services, env
    finally:
        services.close()
        if schema:
            drop_schema(schema)


def _load(base: str, token: str, tps: str, versions: dict[str, int], errors: list[str]) -> None:
    """One TPS's share of a phase: its first submission, or CORRECTIONS corrections."""
    url = f"{base}/api/v1/elections/{ELECTION}/contests/{CONTEST}/tps/{tps}"
    if tps not in versions:
        form = pilkada_form(DPT[tps], {"1": 10, "2": 20, "3": 30})
        body = {"submission_id": f"{tps}-1", "form": form}
        status, document, _ = call(f"{url}/submissions", "POST", body, token)
        if status != 201:
            errors.append(f"{tps} submission: {status} {document}")
        versions[tps] = 1
        return
    for i in range(CORRECTIONS):
        form = pilkada_form(DPT[tps], {"1": 11 + versions[tps], "2": 20, "3": 30})
        request = {"form": form, "reason": f"re-read {versions[tps]}"}
        status, document, _ = _call_if_match(f"{url}/corrections", request, token, versions[tps])
        if status != 201:
            errors.append(f"{tps} correction {i}: {status} {document}")
            return
        versions[tps] = document["version"]


def _wait_for_tree(audit: AuditLog, size: int) -> None:
    for _ in range(600):
        if audit.size() >= size:
            return
        time.sleep(0.1)
    raise AssertionError(f"the projection did not hash {size} events")


def _call_if_match(url: str, body: Any, token: str, version: int) -> tuple[int, Any, Any]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("If-Match", f'"{version}"')
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), None


def _witness(
    env: dict[str, str], base: str, key: Path, vkey: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "audit", "witness", "--log", base, "--key", str(key), "--log-key", vkey],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_witness_cosigns_a_live_log_under_load_and_catches_a_fork(
    live: tuple[str, Services, dict[str, str]], tmp_path: Path
) -> None:
    base, services, env = live
    key = tmp_path / "bawaslu.key"
    made = subprocess.run(
        [*CLI, "audit", "witness-key", "--name", "bawaslu.test/witness", "--out", str(key)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    Path(env["REKAP_WITNESSES"]).write_text(made.stdout)
    witness_key = read_witness_keys(Path(env["REKAP_WITNESSES"]))[0]
    log_vkey = json.loads(http_text(f"{base}/api/v1/audit/public-key"))["vkey"]
    audit = AuditLog.of(services)

    tokens = {kab: services.tokens.create("operator", kab)[0] for kab in ("9101", "9102")}
    errors: list[str] = []
    versions: dict[str, int] = {}
    cosigned: list[int] = []
    for _phase in range(PHASES):
        load = [
            threading.Thread(target=_load, args=(base, tokens[t[:4]], t, versions, errors))
            for t in TPS
        ]
        for thread in load:
            thread.start()
        # While this phase's submissions arrive, the witness checks what the log has signed.
        audit.publish()
        round_ = _witness(env, base, key, log_vkey)
        assert round_.returncode == 0, round_.stdout + round_.stderr
        outcome = json.loads(round_.stdout.splitlines()[-1])
        assert outcome["cosigned"] and outcome["attached"], outcome
        cosigned.append(outcome["size"])
        for thread in load:
            thread.join(timeout=120)
        assert not errors, errors
        _wait_for_tree(audit, count_events(services.db))
    audit.publish()
    final = json.loads(_witness(env, base, key, log_vkey).stdout.splitlines()[-1])
    cosigned.append(final["size"])
    assert final["cosigned"] and final["size"] == count_events(services.db)
    assert len(set(cosigned)) == PHASES + 1 and cosigned == sorted(cosigned)

    # The log forks: it re-signs another root for the size the witness holds and serves it.
    head = audit.latest()
    assert head.size == cosigned[-1]
    forged = audit.signer.sign(head.size, "ab" * 32, origin=ORIGIN)
    with services.db.transaction() as tx:
        tx.execute(
            "UPDATE audit_tree_head SET root = %s, signature = %s, timestamp = %s WHERE size = %s",
            (forged.root, forged.signature, forged.timestamp, head.size),
        )
    caught = _witness(env, base, key, log_vkey)
    assert caught.returncode == 3, caught.stdout + caught.stderr
    assert f"FORK: the log {ORIGIN} signed two checkpoints of size {head.size}" in caught.stderr
    assert "refuses to cosign" in caught.stderr

    served = parse_note(http_text(f"{base}/api/v1/audit/checkpoint").encode())
    assert Checkpoint.parse(served.text).root.hex() == "ab" * 32
    assert [s.name for s in served.signatures] == [ORIGIN]  # no cosignature on the fork
    rows = services.db.query("SELECT size, line FROM audit_cosignature ORDER BY size")
    assert [r["size"] for r in rows] == sorted(set(cosigned))
    for row in rows:
        stored = audit.head_of_size(row["size"])
        assert isinstance(stored, TreeHead)
        signature = parse_note(stored.message() + b"\n" + row["line"].encode()).signatures[0]
        valid = witness_key.verify(stored.message().decode(), signature)
        assert valid == (row["size"] != head.size)  # only the forged head fails its cosignature
