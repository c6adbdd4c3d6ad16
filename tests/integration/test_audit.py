"""The audit tree in the store, signed heads, and the `rekap audit` commands end to end."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from service.audit.leaves import raw_leaf_hash
from service.audit.log import AuditLog
from service.audit.merkle import consistency_proof, inclusion_proof, mth, root, verify_inclusion
from service.audit.signing import verify_tree_head
from service.bootstrap import Services
from service.cli import main
from service.config import Settings
from service.eventlog import raw_events_after
from service.projections.merkle import MerkleProjection, TxNodeStore
from service.results import submit
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


def _load(services: Services) -> None:
    setup_election(services)
    for tps in TPS:
        body = submission(pilkada_form(DPT[tps], {"1": 30, "2": 40, "3": 50}))
        submit(services.results, kpps(tps), ELECTION, CONTEST, tps, body)


def test_every_stored_event_is_a_leaf_and_the_stored_tree_matches_the_reference(
    services: Services,
) -> None:
    _load(services)
    services.runner.batch_size = 3  # the tree grows across many batches
    services.runner.catch_up()
    raw = raw_events_after(services.db, 0, 1000)
    hashes = [raw_leaf_hash(r) for r in raw]
    leaves = services.db.query("SELECT leaf_index, position, leaf_hash FROM audit_leaf ORDER BY 1")
    assert [(r["leaf_index"], r["position"]) for r in leaves] == [
        (i, r["position"]) for i, r in enumerate(raw)
    ]
    assert [bytes.fromhex(r["leaf_hash"]) for r in leaves] == hashes
    with services.db.transaction(write=False) as tx:
        store = TxNodeStore(tx)
        for size in range(1, len(hashes) + 1):
            assert root(store, size) == mth(hashes[:size])
            for index in range(size):
                proof = inclusion_proof(store, index, size)
                assert verify_inclusion(hashes[index], index, size, proof, mth(hashes[:size]))
        assert consistency_proof(store, 3, len(hashes))


def test_the_projection_publishes_a_signed_head_when_the_last_is_old_enough(
    services: Services,
) -> None:
    merkle = next(p for p in services.runner.projections if isinstance(p, MerkleProjection))
    merkle.head_interval = 0.0
    setup_election(services)
    services.runner.catch_up()
    _, tps = TPS[0], TPS[1]
    submit(
        services.results,
        kpps(tps),
        ELECTION,
        CONTEST,
        tps,
        submission(pilkada_form(DPT[tps], {"1": 1, "2": 2, "3": 3})),
    )
    services.runner.catch_up()
    audit = AuditLog.of(services)
    heads = audit.heads()
    sizes = [h.size for h in heads]
    assert sizes[-2:] == [services.runner.head() - 1, services.runner.head()]  # one per batch
    assert sizes == sorted(set(sizes))
    key = audit.signer.public_key_b64()
    assert all(verify_tree_head(h, key) for h in heads)
    assert audit.publish() == heads[-1]  # nothing new: no new head


@pytest.fixture
def cli_env(settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv("REKAP_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("REKAP_AUDIT_KEY", str(settings.audit_key))
    monkeypatch.setenv("REKAP_EVIDENCE_DIR", str(settings.evidence_dir))
    return services


def test_the_audit_commands_export_verify_prove_publish_and_check_offline(
    cli_env: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env)
    cli_env.runner.catch_up()
    assert main(["audit", "tree-head", "--publish"]) == 0
    head = json.loads(capsys.readouterr().out)
    assert head["size"] == cli_env.runner.head()

    assert main(["audit", "export", str(tmp_path / "log.ndjson")]) == 0
    lines = (tmp_path / "log.ndjson").read_text().splitlines()
    assert len(lines) == head["size"]

    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("OK ")

    assert main(["audit", "proof", "--position", "7"]) == 0
    (tmp_path / "proof.json").write_text(capsys.readouterr().out)
    key = tmp_path / "key.pub"
    key.write_text(head["public_key"])
    assert (
        main(["audit", "check-proof", str(tmp_path / "proof.json"), "--public-key", str(key)]) == 0
    )
    document = json.loads((tmp_path / "proof.json").read_text())
    document["inclusion"]["index"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(document))
    assert main(["audit", "check-proof", str(tmp_path / "bad.json")]) == 1
    capsys.readouterr()

    bundle = tmp_path / "bundle"
    assert main(["audit", "publish", str(bundle)]) == 0
    assert sorted(os.listdir(bundle)) == ["events.ndjson", "recaps.ndjson", "tree-head.json"]
    assert main(["audit", "check-bundle", str(bundle), "--public-key", str(key)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK"

    recaps = (bundle / "recaps.ndjson").read_text().splitlines()
    forged = json.loads(recaps[0])
    forged["recap"]["votes"]["1"] += 1
    (bundle / "recaps.ndjson").write_text("\n".join([json.dumps(forged), *recaps[1:]]) + "\n")
    assert main(["audit", "check-bundle", str(bundle)]) == 1
    assert "differs from the replay in votes" in capsys.readouterr().out


def test_verify_exits_non_zero_and_prints_each_difference(
    cli_env: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env)
    cli_env.runner.catch_up()
    with cli_env.db.transaction() as tx:
        tx.execute("UPDATE audit_leaf SET leaf_hash = %s WHERE leaf_index = 3", ("0" * 64,))
    assert main(["audit", "verify", "--no-projections"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENCE event at position 4 (leaf 3" in out
