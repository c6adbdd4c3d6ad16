"""The audit tree in the store, signed heads, and the `rekap audit` commands end to end."""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from service.audit.findings import EXAMPLES
from service.audit.leaves import raw_leaf_hash
from service.audit.log import AuditLog
from service.audit.merkle import consistency_proof, inclusion_proof, mth, root, verify_inclusion
from service.audit.signing import verify_tree_head
from service.bootstrap import Services
from service.cli.main import main
from service.config import Settings
from service.read.projections.merkle import MerkleProjection, TxNodeStore
from service.store.eventlog import events_table, position_column, raw_events_after
from tests.factories import (
    TPS,
    setup_election,
    submit_votes,
)


def _load(services: Services) -> None:
    setup_election(services)
    _load_results(services)


def _published(services: Services, tmp_path: Path) -> Path:
    """The test election's results loaded and the audit bundle published in tmp_path/bundle."""
    _load(services)
    bundle = tmp_path / "bundle"
    assert main(["audit", "publish", str(bundle)]) == 0
    return bundle


def _load_results(services: Services) -> None:
    for tps in TPS:
        submit_votes(services, tps, {"1": 30, "2": 40, "3": 50})


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
    submit_votes(services, tps, {"1": 1, "2": 2, "3": 3})
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


def test_verify_holds_the_store_to_a_head_the_auditor_kept_and_remembers_the_latest(
    cli_env: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_election(cli_env)
    cli_env.runner.catch_up()  # a head over the set-up
    _load_results(cli_env)
    cli_env.runner.catch_up()
    assert main(["audit", "tree-head", "--publish"]) == 0
    held = tmp_path / "head.json"
    held.write_text(capsys.readouterr().out)
    state = tmp_path / "state.json"

    assert main(["audit", "verify", "--head", str(held), "--state", str(state)]) == 0
    remembered = json.loads(state.read_text())["tree_head"]
    assert remembered == {k: v for k, v in json.loads(held.read_text()).items() if k in remembered}
    capsys.readouterr()

    # the log's last events and heads are removed, the read models rebuilt: consistent, but short
    db, size = cli_env.db, remembered["size"]
    last = db.scalar("SELECT position FROM audit_leaf WHERE leaf_index = %s", (size - 3,))
    with db.transaction() as tx:
        tx.execute(f"DELETE FROM {events_table(db)} WHERE {position_column(db)} > %s", (last,))
        tx.execute("DELETE FROM audit_tree_head WHERE size > %s", (size - 2,))
    cli_env.runner.rebuild()
    assert main(["audit", "verify"]) == 0  # the store alone cannot tell
    capsys.readouterr()

    assert main(["audit", "verify", "--state", str(state)]) == 1
    captured = capsys.readouterr()
    assert f"DIFFERENCE tree_head the head you hold, size {size}" in captured.out
    assert "the store holds fewer events than this head was signed for" in captured.out
    assert f"{state} is left as it was" in captured.err
    assert json.loads(state.read_text())["tree_head"] == remembered
    assert main(["audit", "verify", "--head", str(held), "--no-projections"]) == 1


def test_verify_says_what_a_head_file_must_hold(
    cli_env: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text('{"size": 3}')
    assert main(["audit", "verify", "--head", str(tmp_path / "bad.json")]) == 1
    assert "does not hold a signed tree head as JSON" in capsys.readouterr().err


def test_every_key_format_given_out_is_accepted_and_a_bad_key_says_what_it_must_hold(
    cli_env: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env)
    cli_env.runner.catch_up()
    audit = AuditLog.of(cli_env)
    audit.publish()
    size = audit.latest().size
    (tmp_path / "proof.json").write_text(json.dumps(audit.inclusion(7)))
    assert main(["audit", "publish", str(tmp_path / "bundle")]) == 0
    capsys.readouterr()
    assert main(["audit", "tree-head"]) == 0
    formats = {
        "base64": audit.signer.public_key_b64() + "\n",
        "pem": audit.signer.public_pem().decode(),
        "tree-head": capsys.readouterr().out,
        "public-key": json.dumps(audit.public_key()),
    }
    checks = [
        ["check-proof", str(tmp_path / "proof.json")],
        ["check-bundle", str(tmp_path / "bundle")],
        ["verify", "--no-projections"],
    ]
    for name, text in formats.items():
        (tmp_path / name).write_text(text)
        for check in checks:
            assert main(["audit", *check, "--public-key", str(tmp_path / name)]) == 0, (name, check)
    capsys.readouterr()

    (tmp_path / "hex").write_text(bytes.fromhex("ab" * 32).hex())
    for check in checks:
        assert main(["audit", *check, "--public-key", str(tmp_path / "hex")]) == 1
        captured = capsys.readouterr()
        assert "does not hold an Ed25519 public key: the base64 of its raw 32 bytes" in captured.err
        assert "signature is invalid" not in captured.out
    assert size == audit.latest().size


def test_check_bundle_counts_as_passed_only_the_recaps_that_pass(
    cli_env: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _published(cli_env, tmp_path)
    recaps = (bundle / "recaps.ndjson").read_text().splitlines()
    forged = json.loads(recaps[2])
    forged["recap"]["votes"]["1"] += 1
    lines = [*recaps[:2], json.dumps(forged), "not json", *recaps[3:]]
    (bundle / "recaps.ndjson").write_text("\n".join(lines) + "\n")
    capsys.readouterr()

    assert main(["audit", "check-bundle", str(bundle)]) == 1

    out = capsys.readouterr().out.splitlines()
    total = len(recaps)
    assert f"pass: {total - 1} recaps of recaps.ndjson equal a replay of events.ndjson" in out
    assert f"FAIL: 2 of {total + 1} recaps of recaps.ndjson do not equal a replay" in out[-3]
    assert any("line 4 is not a recap line" in line for line in out)
    assert out[-1] == "FAILED (3 checks failed)"


def test_publish_reports_what_it_wrote_and_every_long_job_logs_each_phase(
    cli_env: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _load(cli_env)
    caplog.set_level(logging.INFO, logger="rekap.progress")
    assert main(["audit", "publish", str(tmp_path / "bundle")]) == 0
    written = len((tmp_path / "bundle" / "events.ndjson").read_text().splitlines())
    assert main(["audit", "check-bundle", str(tmp_path / "bundle")]) == 0
    assert main(["audit", "export", str(tmp_path / "log.ndjson")]) == 0
    assert main(["audit", "verify"]) == 0
    done = {
        r.getMessage().split(": done, ")[0]: r.getMessage().split(": done, ")[1].split(" in ")[0]
        for r in caplog.records
        if ": done, " in r.getMessage()
    }
    assert done["publish: events"] == str(written)
    assert set(done) == {
        "publish: events",
        "publish: recaps",
        "check-bundle: events",
        "check-bundle: replay",
        "check-bundle: recaps",
        "export",
        "verify: leaves and tree heads",
        "verify: live projections catch up",
        "verify: replay the log into scratch tables",
        "verify: compare the read models with the replay",
    }


def test_verify_reports_an_event_it_cannot_decode_with_its_position_and_no_traceback(
    cli_env: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env)
    cli_env.runner.catch_up()
    cli_env.app.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "rekap:NoSuch.Event", b"{")])
    position = cli_env.runner.head()

    assert main(["audit", "verify"]) == 1

    captured = capsys.readouterr()
    assert f"DIFFERENCE projection at position {position} (aggregate " in captured.out
    assert "the event cannot be decoded" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.splitlines()[-1].startswith("FAILED (1 difference)")


def test_verify_json_lists_each_cause_with_its_consequences_counted_and_a_few_shown(
    cli_env: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env)
    cli_env.runner.catch_up()
    db, size = cli_env.db, cli_env.runner.head()
    deleted = db.scalar("SELECT position FROM audit_leaf WHERE leaf_index = %s", (size - 3,))
    with db.transaction() as tx:  # a TPS's submission
        tx.execute(f"DELETE FROM {events_table(db)} WHERE {position_column(db)} = %s", (deleted,))

    assert main(["audit", "verify", "--json"]) == 1

    report = json.loads(capsys.readouterr().out)
    assert report["difference_count"] == len(report["findings"]) == 1
    finding = report["findings"][0]
    assert (finding["kind"], finding["position"], finding["leaf"]) == ("event", deleted, size - 3)
    counts = finding["consequences"]["counts"]
    assert counts["later leaves shift"] == 2
    assert report["consequence_count"] == sum(
        n for what, n in counts.items() if what != "later leaves shift"
    )
    assert 0 < len(finding["consequences"]["examples"]) <= EXAMPLES


def test_verify_help_says_what_it_checks_and_how_to_hold_the_store_to_a_head(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--help"])
    out = capsys.readouterr().out
    for text in ("--head FILE", "--state FILE", "not covered", "cannot be decoded", "shift"):
        assert text in out, text


HOSTILE = [
    b"\x00\x01\x1b[31m\x7f",  # NUL and control characters
    b'"\xed\xa0\x80"',  # a lone surrogate, as UTF-8 bytes
    b'{"public_key": "\\ud800", "size": "\\udfff"}',  # lone surrogates, escaped
    b"[" * 1000 + b"]" * 1000,  # nested a thousand deep
    b"[" * 100_000 + b"]" * 100_000,  # deeper than Python recurses
    b'{"size": 1, "size": 2, "root": "a", "root": "b", "public_key": 1, "public_key": 2}',
    b'{"size": 1' + b"0" * 400 + b', "root": "' + b"a" * 64 + b'", "timestamp": '
    b'"2024-01-01T00:00:00Z", "signature": "", "key_id": ""}',  # a huge number
    b'{"size": 1' + b"0" * 5000 + b"}",  # a number past Python's digit limit
    b'"' + b"A" * 1_000_000 + b'"',  # a huge string
]


def test_hostile_key_head_state_proof_and_bundle_files_are_errors_never_a_traceback(
    cli_env: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _published(cli_env, tmp_path)
    good = {name: (bundle / name).read_bytes() for name in os.listdir(bundle)}
    hostile = tmp_path / "hostile"
    for payload in HOSTILE:
        hostile.write_bytes(payload)
        for command in (
            ["verify", "--no-projections", "--head", str(hostile)],
            ["verify", "--no-projections", "--state", str(hostile)],
            ["verify", "--no-projections", "--public-key", str(hostile)],
            ["check-proof", str(hostile)],
            ["check-bundle", str(bundle), "--public-key", str(hostile)],
        ):
            assert main(["audit", *command]) == 1, (command, payload[:40])
        for name in good:
            (bundle / name).write_bytes(payload + b"\n" + good[name])
            assert main(["audit", "check-bundle", str(bundle)]) == 1, (name, payload[:40])
            (bundle / name).write_bytes(good[name])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
